//! The real binary on a real socket: start-up, a round trip over HTTP, graceful shutdown,
//! configuration errors and `--help`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use axum::body::Bytes;
use axum::http::Method;
use common::real::{start, BIN};

fn command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ORBIT_LOG", "warn")
        .current_dir(dir);
    cmd
}

#[tokio::test]
async fn serves_a_round_trip_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(dir.path(), &[]);
    let batch: serde_json::Value = serde_json::from_str(
        r#"{"batch":[{"type":"track","event":"Signed Up","userId":"u1","messageId":"p-1"}]}"#,
    )
    .unwrap();
    let answer = running.post("/v1/batch", &batch).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(
        answer.text().contains(r#""accepted":1"#),
        "{}",
        answer.text()
    );
    let export = running.export_answer("").await;
    assert_eq!(export.status, 200);
    assert!(
        export.text().contains(r#""messageId":"p-1""#),
        "{}",
        export.text()
    );
    let health = running
        .send(Method::GET, "/healthz", &[], Bytes::new())
        .await;
    assert_eq!(health.status, 200);

    let exit = running.terminate();
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

/// The admin token guards rules and profiles too, not only the export.
#[test]
fn help_says_what_the_admin_token_guards() {
    let output = command(std::path::Path::new("."))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("admin APIs (export, leads, reports, rules, profiles)"),
        "{help}"
    );
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
