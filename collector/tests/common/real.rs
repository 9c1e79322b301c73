//! The real binary on a real socket, driven by a real HTTP client.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

pub const BIN: &str = env!("CARGO_BIN_EXE_orbit-collector");
pub const REAL_ADMIN: &str = "real-admin-token-0123456789";
pub const REAL_KEY: &str = "wk_real";
pub const REAL_ORIGIN: &str = "https://shop.example.com";

/// A running collector; killed if a test fails before stopping it.
pub struct Server {
    child: Child,
    pub addr: String,
    pub db: PathBuf,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer: status, headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Starts the collector over the database in `dir`, with one site (`shop`, key
/// `REAL_KEY`, origin `REAL_ORIGIN`), rate limits off unless `args` set them.
pub fn start(dir: &Path, args: &[&str]) -> Server {
    let db = dir.join("orbit.db");
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ORBIT_LOG", "error")
        .env("ORBIT_ADMIN_TOKEN", REAL_ADMIN);
    if !args.contains(&"--config") {
        command.env("ORBIT_SITES", format!("shop:{REAL_KEY}:{REAL_ORIGIN}"));
    }
    let mut child = command
        .env("ORBIT_CLIENT_REQUESTS_PER_SECOND", "0")
        .env("ORBIT_SITE_EVENTS_PER_SECOND", "0")
        .current_dir(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--storage"])
        .arg(format!("sqlite://{}", db.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("Orbit collector listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    std::thread::spawn(move || lines.for_each(drop));
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(5))
        .build_http();
    Server {
        child,
        addr,
        db,
        client,
    }
}

impl Server {
    /// Sends a request; `headers` are added as given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .client
            .request(request.body(Full::new(body.into())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: body.to_vec(),
        }
    }

    /// POSTs JSON to an ingest path with the key in the query.
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Answer {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.send(
            Method::POST,
            &format!("{path}{sep}key={REAL_KEY}"),
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    /// POSTs like [`Server::post`]; `None` when the connection failed (server gone).
    pub async fn try_post(&self, path: &str, body: &serde_json::Value) -> Option<u16> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let request = Request::post(format!("http://{}{path}{sep}key={REAL_KEY}", self.addr))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let response = self.client.request(request).await.ok()?;
        let status = response.status().as_u16();
        response.into_body().collect().await.ok()?;
        Some(status)
    }

    /// The collector's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the collector to exit.
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// The answer to `GET /v1/export?site=shop{query}` with the admin token.
    pub async fn export_answer(&self, query: &str) -> Answer {
        self.send(
            Method::GET,
            &format!("/v1/export?site=shop{query}"),
            &[("authorization", &format!("Bearer {REAL_ADMIN}"))],
            Bytes::new(),
        )
        .await
    }

    /// The site's export, one JSON value per line.
    pub async fn export(&self, query: &str) -> Vec<serde_json::Value> {
        let answer = self.export_answer(query).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer
            .text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        self.child.wait().unwrap()
    }
}
