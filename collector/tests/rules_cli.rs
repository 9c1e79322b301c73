//! `orbit-collector rules check FILE`, run as the built binary: every finding as
//! `PATH: severity: message`, a summary, and exit 0 (saveable), 1 (errors) or 2 (unreadable);
//! and `rules compile FILE`: the compiled document on stdout, the findings on stderr.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use orbit_core::rules::{parse_rules, read_compiled};

const BIN: &str = env!("CARGO_BIN_EXE_orbit-collector");

/// Runs `orbit-collector rules COMMAND FILE` in `dir`, writing `content` to FILE first.
fn rules(command: &str, dir: &Path, file: &str, content: Option<&[u8]>) -> Output {
    if let Some(content) = content {
        std::fs::write(dir.join(file), content).unwrap();
    }
    Command::new(BIN)
        .args(["rules", command, file])
        .current_dir(dir)
        .env_clear()
        .env("ORBIT_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn check(dir: &Path, file: &str, content: Option<&[u8]>) -> Output {
    rules("check", dir, file, content)
}

fn stdout(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_clean_document_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let output = check(
        dir.path(),
        "rules.json",
        Some(br#"{"rules":[{"id":"a","actions":[{"type":"hide","selector":".promo"}]}]}"#),
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        ["rules.json: 0 errors, 0 warnings; the collector would save it"]
    );
}

#[test]
fn warnings_are_printed_and_still_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let output = check(
        dir.path(),
        "rules.json",
        Some(br#"{"rules":[{"id":"a","actions":[]}]}"#),
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        [
            "rules[0]: warning: rule \"a\" has no actions and no experiment: it does nothing",
            "rules.json: 0 errors, 1 warning; the collector would save it",
        ]
    );
}

/// A document with two errors: a misspelt attribute and a script in HTML.
const TWO_ERRORS: &[u8] = br#"{"rules":[
    {"id":"a","conditions":{"attribute":"utm_sorce","op":"equals","value":"x"},
     "actions":[{"type":"set_text","selector":"h1","text":"x"}]},
    {"id":"b","actions":[{"type":"set_html","selector":"p","html":"<script>x()</script>"}]}]}"#;

#[test]
fn errors_are_each_printed_with_their_path_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = check(dir.path(), "rules.json", Some(TWO_ERRORS));
    assert_eq!(output.status.code(), Some(1));
    let lines = stdout(&output);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.contains(
        &"rules[0].conditions.attribute: error: unknown attribute \"utm_sorce\"; did you mean \"utm_source\"?"
            .to_owned()
    ));
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("rules[1].actions[0].html: error: the sanitiser removes: <script>"))
    );
    assert_eq!(
        lines[2],
        "rules.json: 2 errors, 0 warnings; the collector would refuse it"
    );
    let output = check(dir.path(), "broken.json", Some(b"{\"rules\": [}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output)[0].starts_with("line 1, column 12: error: "),
        "{:?}",
        stdout(&output)
    );
}

#[test]
fn an_unreadable_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = check(dir.path(), "missing.json", None);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read missing.json"), "{stderr}");
    let output = check(dir.path(), "binary.json", Some(&[0xff, 0xfe, 0x00]));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not UTF-8"));
}

#[test]
fn a_document_over_the_limit_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b' '; orbit_collector::rules::check::MAX_RULES_DOCUMENT_BYTES + 10];
    let output = check(dir.path(), "big.json", Some(&big));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        [
            "$: error: the document is larger than 524288 bytes, the limit; split or shorten it",
            "big.json: 1 error, 0 warnings; the collector would refuse it",
        ]
    );
}

// `rules compile FILE`.

fn compile(dir: &Path, file: &str, content: Option<&[u8]>) -> Output {
    rules("compile", dir, file, content)
}

fn stderr(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

const HIDE: &str = r#"{"revision":"r1","rules":[{"id":"a","actions":[{"type":"set_html","selector":".promo","html":"<b>new</b>"}]}]}"#;

#[test]
fn compile_prints_the_compiled_document_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let output = compile(dir.path(), "rules.json", Some(HIDE.as_bytes()));
    assert_eq!(output.status.code(), Some(0), "{:?}", stderr(&output));
    assert!(output.stderr.is_empty(), "{:?}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("[\"orbit-rules-compiled/2\",\"r1\","),
        "{text}"
    );
    assert!(
        !text.contains('<'),
        "ready for an inline script element: {text}"
    );
    assert_eq!(
        read_compiled(&text),
        Ok(parse_rules(HIDE).unwrap()),
        "the output, newline included, reads back as the document"
    );
}

#[test]
fn compile_reads_standard_input_with_a_dash() {
    let mut child = Command::new(BIN)
        .args(["rules", "compile", "-"])
        .env_clear()
        .env("ORBIT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(HIDE.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(read_compiled(&text), Ok(parse_rules(HIDE).unwrap()));
}

#[test]
fn compile_prints_warnings_on_stderr_and_still_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let document = r#"{"rules":[{"id":"a","actions":[]}]}"#;
    let output = compile(dir.path(), "rules.json", Some(document.as_bytes()));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stderr(&output),
        [
            "rules[0]: warning: rule \"a\" has no actions and no experiment: it does nothing",
            "rules.json: 0 errors, 1 warning; compiled",
        ]
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(read_compiled(&text), Ok(parse_rules(document).unwrap()));
}

#[test]
fn compile_with_errors_prints_them_on_stderr_nothing_on_stdout_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = compile(dir.path(), "rules.json", Some(TWO_ERRORS));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let lines = stderr(&output);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0]
        .starts_with("rules[0].conditions.attribute: error: unknown attribute \"utm_sorce\""));
    assert!(lines[1].starts_with("rules[1].actions[0].html: error: "));
    assert_eq!(lines[2], "rules.json: 2 errors, 0 warnings; not compiled");

    let output = compile(dir.path(), "broken.json", Some(b"{\"rules\": [}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output)[0].starts_with("line 1, column 12: error: "));
}

#[test]
fn compile_refuses_a_document_over_the_limit_and_an_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b' '; orbit_collector::rules::check::MAX_RULES_DOCUMENT_BYTES + 10];
    let output = compile(dir.path(), "big.json", Some(&big));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert_eq!(
        stderr(&output),
        [
            "$: error: the document is larger than 524288 bytes, the limit; split or shorten it",
            "big.json: 1 error, 0 warnings; not compiled",
        ]
    );
    let output = compile(dir.path(), "missing.json", None);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read missing.json"));
}
