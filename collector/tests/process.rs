//! The real binary on a real socket: start-up, a round trip over HTTP, graceful shutdown,
//! configuration errors and `--help`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_orbit-collector");
const ADMIN: &str = "process-admin-token-0123456789";

/// Kills the collector if a test fails before stopping it.
struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ORBIT_LOG", "warn")
        .current_dir(dir);
    cmd
}

fn start(dir: &std::path::Path) -> Running {
    let mut child = command(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--storage"])
        .arg(format!("sqlite://{}", dir.join("orbit.db").display()))
        .env("ORBIT_ADMIN_TOKEN", ADMIN)
        .env("ORBIT_SITES", "shop:wk_1:https://shop.example.com")
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
    // Keep draining stdout so the collector never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Running { child, addr }
}

/// A minimal HTTP/1.1 exchange; returns status and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn serves_a_round_trip_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(dir.path());
    let batch =
        r#"{"batch":[{"type":"track","event":"Signed Up","userId":"u1","messageId":"p-1"}]}"#;
    let (status, body) = http(&running.addr, "POST", "/v1/batch?key=wk_1", &[], batch);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""accepted":1"#), "{body}");
    let auth = format!("Bearer {ADMIN}");
    let (status, export) = http(
        &running.addr,
        "GET",
        "/v1/export?site=shop",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 200);
    assert!(export.contains(r#""messageId":"p-1""#), "{export}");
    assert_eq!(http(&running.addr, "GET", "/healthz", &[], "").0, 200);

    sigterm(&running.child);
    let exit = running.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "graceful shutdown exits 0");
}

#[test]
fn with_no_configuration_the_demo_site_and_a_token_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed: Vec<String> = (0..4).map(|_| lines.next().unwrap().unwrap()).collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(printed[0].starts_with("Orbit collector listening on http://127.0.0.1:"));
    assert_eq!(printed[1], "demo site: id=demo write_key=demo-write-key");
    assert!(
        printed[3].starts_with("admin token: ") && printed[3].len() == 13 + 32,
        "{printed:?}"
    );
    assert!(
        dir.path().join("data/orbit.db").exists(),
        "the default database is created"
    );
}

#[test]
fn a_bad_config_file_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orbit.toml");
    std::fs::write(&file, "[[sites]]\nid = \"shop\"\nwrite_key = \"\"\n").unwrap();
    let output = command(dir.path())
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sites[0].write_key"), "{stderr}");

    std::fs::write(&file, "listen = 8080\n").unwrap();
    let output = command(dir.path())
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("listen"));
}

#[test]
fn help_documents_every_setting_and_its_environment_variable() {
    let output = command(std::path::Path::new("."))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "ORBIT_CONFIG",
        "ORBIT_LISTEN",
        "ORBIT_ADMIN_TOKEN",
        "ORBIT_STORAGE",
        "ORBIT_SDK_DIR",
        "ORBIT_SITE_DIR",
        "ORBIT_SITES",
        "127.0.0.1:8080",
        "sqlite://data/orbit.db",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}
