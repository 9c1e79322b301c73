//! Test fixtures: a collector app over a temporary database and asset directories.
#![allow(dead_code)]

pub mod real;

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use orbit_collector::app::{app, AppState};
use orbit_collector::config::{RawConfig, RawSite};
use orbit_collector::metrics::Metrics;
use orbit_collector::server::open_storage;
use tempfile::TempDir;
use tower::ServiceExt;

pub const ADMIN: &str = "test-admin-token-0123456789";
pub const KEY: &str = "WRITE_KEY";
pub const ORIGIN: &str = "https://shop.example.com";

pub struct TestApp {
    pub router: Router,
    pub dir: TempDir,
}

/// Writes `files` (path, content) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

pub fn raw_config(dir: &Path) -> RawConfig {
    RawConfig {
        listen: Some("127.0.0.1:0".into()),
        admin_token: Some(ADMIN.into()),
        storage: Some(format!("sqlite://{}", dir.join("orbit.db").display())),
        sdk_dir: Some(dir.join("sdk")),
        site_dir: Some(dir.join("site")),
        sites: vec![RawSite {
            id: Some("shop".into()),
            write_key: Some(KEY.into()),
            allowed_origins: vec![ORIGIN.into()],
            drop_bots: false,
        }],
        ..RawConfig::default()
    }
}

pub fn test_app() -> TestApp {
    test_app_with(|_| {})
}

/// An app whose asset directories `prepare` may fill first.
pub fn test_app_with(prepare: impl FnOnce(&Path)) -> TestApp {
    test_app_configured(prepare, |_| {})
}

/// An app over a configuration `configure` may change.
pub fn test_app_configured(
    prepare: impl FnOnce(&Path),
    configure: impl FnOnce(&mut RawConfig),
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let mut raw = raw_config(dir.path());
    configure(&mut raw);
    let config = raw.validate().unwrap();
    let metrics = Arc::new(Metrics::default());
    let storage = open_storage(&config, Arc::clone(&metrics)).unwrap();
    TestApp {
        router: app(AppState::new(config, storage, metrics)),
        dir,
    }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// Sends and returns status, headers and the body as text.
    pub async fn call(&self, request: Request<Body>) -> (u16, axum::http::HeaderMap, String) {
        let response = self.send(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// POSTs a JSON body to /v1/batch with the key in the query.
    pub async fn post_batch(&self, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let request = Request::post(format!("/v1/batch?key={KEY}"))
            .header("content-type", "text/plain")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, text) = self.call(request).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    /// POSTs a fixture file's `events` as one batch and checks that all were accepted.
    pub async fn store_fixture_events(&self, fixture: &str) {
        let fixture: serde_json::Value = serde_json::from_str(fixture).unwrap();
        let events = fixture["events"].as_array().unwrap();
        let (status, answer) = self
            .post_batch(&serde_json::json!({ "batch": events }))
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer,
            serde_json::json!({"accepted": events.len(), "duplicates": 0, "rejected": []})
        );
    }

    /// Checks the CORS preflight of a public read (`rules.json`, `profile`): allowed for
    /// `origin` with `If-None-Match`, refused (403) for another origin.
    pub async fn assert_public_preflight(&self, uri: &str, origin: &str) {
        let request = Request::builder()
            .method("OPTIONS")
            .uri(uri)
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "if-none-match")
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = self.call(request).await;
        assert_eq!(status, 204);
        assert_eq!(headers["access-control-allow-origin"], origin);
        assert_eq!(headers["access-control-allow-headers"], "If-None-Match");
        assert_eq!(
            headers["access-control-allow-methods"],
            "GET, HEAD, OPTIONS"
        );
        assert_eq!(headers["vary"], "Origin");
        let request = Request::builder()
            .method("OPTIONS")
            .uri(uri)
            .header("origin", "https://evil.example")
            .body(Body::empty())
            .unwrap();
        assert_eq!(self.call(request).await.0, 403);
    }

    pub async fn export(&self, site: &str) -> Vec<serde_json::Value> {
        let request = Request::get(format!("/v1/export?site={site}"))
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(Body::empty())
            .unwrap();
        let (status, _, text) = self.call(request).await;
        assert_eq!(status, 200, "{text}");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

pub fn track(message_id: &str) -> serde_json::Value {
    serde_json::json!({"type": "track", "event": "Clicked", "anonymousId": "anon-1",
                       "messageId": message_id, "properties": {"n": 1}})
}

/// Sends `method uri` with `headers` and `body`: status, headers and the body as text.
pub async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (u16, axum::http::HeaderMap, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.call(request.body(body.into()).unwrap()).await
}

/// An admin request: status, headers and the body as JSON (or as a JSON string if not).
pub async fn admin(
    app: &TestApp,
    method: &str,
    uri: &str,
    body: &str,
) -> (u16, axum::http::HeaderMap, serde_json::Value) {
    let bearer = format!("Bearer {ADMIN}");
    let (status, headers, text) = send(
        app,
        method,
        uri,
        &[("authorization", &bearer)],
        body.to_owned(),
    )
    .await;
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, headers, json)
}

/// A 422 answer's findings as sorted `(severity, path)` pairs.
pub fn finding_paths(answer: &serde_json::Value) -> Vec<(String, String)> {
    let mut paths: Vec<(String, String)> = answer["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {answer}"))
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    paths.sort();
    paths
}
