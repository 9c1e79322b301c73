//! The shared rule fixtures (`tests/fixtures/rules/cases.json`) through the collector's own
//! code: `evaluate` cases through the `regex`-crate host (with orbit-core's runner),
//! `lint` and `parse_errors` cases through the check `PUT /v1/sites/{site}/rules` and
//! `rules check` run. orbit-core and the browser build run the same file, so the three
//! cannot drift apart.

use orbit_collector::rules::check_document;
use orbit_collector::rules::host::RegexHost;
use orbit_core::rules::fixtures;
use serde_json::{json, Value};

fn cases() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/rules/cases.json"
    );
    fixtures::read(&std::fs::read_to_string(path).expect("the shared fixture file"))
}

/// Panics with every failing case at once.
fn report(failures: Vec<String>, total: usize) {
    fixtures::Outcome { total, failures }.assert_passed("collector");
}

#[test]
fn every_evaluate_case_passes_with_the_collectors_regex_host() {
    fixtures::evaluate_cases(&cases(), || RegexHost).assert_passed("evaluate");
}

#[test]
fn every_lint_case_gives_the_same_findings_as_a_save() {
    let all = cases();
    let cases = fixtures::section(&all, "lint");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let checked = check_document(&case["document"].to_string());
        let refused = case["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["severity"] == "error");
        if let Some(mismatch) = fixtures::lint_mismatch(case, &checked.findings) {
            failures.push(mismatch);
        } else if refused == checked.document.is_some() {
            failures.push(format!(
                "{name}: saved {}, but errors {refused}",
                checked.document.is_some()
            ));
        }
    }
    report(failures, cases.len());
}

#[test]
fn every_parse_error_case_is_refused_at_its_path() {
    let all = cases();
    let cases = fixtures::section(&all, "parse_errors");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let checked = check_document(&fixtures::document_text(case));
        let path = case["path"].as_str().unwrap_or("");
        let found = checked
            .findings
            .iter()
            .any(|f| f.severity.as_str() == "error" && f.path == path);
        if checked.document.is_some() || !found {
            let listed: Vec<String> = checked.findings.iter().map(ToString::to_string).collect();
            failures.push(format!("{name}: want an error at {path}, got {listed:?}"));
        }
    }
    report(failures, cases.len());
}

#[test]
fn every_sanitize_case_is_refused_or_stored_as_the_sanitisers_output() {
    let all = cases();
    let cases = fixtures::section(&all, "sanitize");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let document = json!({"rules": [{"id": "a", "actions": [
            {"type": "set_html", "selector": "#slot", "html": case["input"]}]}]});
        let checked = check_document(&document.to_string());
        let unsafe_removed = checked
            .findings
            .iter()
            .any(|f| f.severity.as_str() == "error" && f.path == "rules[0].actions[0].html");
        match &checked.document {
            None if unsafe_removed => {}
            None => failures.push(format!("{name}: refused: {:?}", checked.findings)),
            Some(valid) => {
                let stored: Value = serde_json::from_str(&valid.normalized).unwrap();
                let html = &stored["rules"][0]["actions"][0]["html"];
                if html != &case["output"] {
                    failures.push(format!("{name}: stored {html}, want {}", case["output"]));
                }
            }
        }
    }
    report(failures, cases.len());
}
