//! The shared rule fixtures (tests/fixtures/rules/cases.json) in a real browser, with the
//! browser's own `RegExp` as the engine's regex host: the same cases orbit-core and the
//! collector run, so the three cannot drift. Run by `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use orbit_core::rules::{
    bucket, parse_rules, sanitize_html, EvalOptions, RuleEngine, VisitorContext,
};
use orbit_sdk::personalize::JsHost;
use serde_json::{json, Value};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn section(name: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("../../tests/fixtures/rules/cases.json"))
        .expect("the fixture file is JSON");
    all[name].as_array().cloned().expect("the section exists")
}

/// Whether `actual` has every key of `expected` with an equal value (a bare string in
/// `expected` is shorthand for `{"rule": …}`).
fn matches_subset(expected: &Value, actual: &Value) -> bool {
    let expected = match expected {
        Value::String(rule) => json!({ "rule": rule }),
        other => other.clone(),
    };
    expected
        .as_object()
        .is_some_and(|keys| keys.iter().all(|(k, v)| actual.get(k) == Some(v)))
}

fn flat_decision(d: &Value) -> Value {
    let mut flat = json!({ "rule": d["rule"], "forced": d["forced"], "actions": d["actions"] });
    if let Some(exp) = d["experiment"].as_object() {
        flat["variant"] = exp["variant"].clone();
        flat["source"] = exp["source"].clone();
        flat["exposure"] = exp["exposure"].clone();
    }
    flat
}

fn check(failures: Vec<String>, total: usize) {
    assert!(total > 0, "no cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[wasm_bindgen_test]
fn every_evaluate_case_passes_with_the_browsers_regexp() {
    let cases = section("evaluate");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let rules = parse_rules(&case["document"].to_string()).expect("the document parses");
        let ctx =
            VisitorContext::from_json(&case["context"].to_string()).expect("the context parses");
        let engine = RuleEngine::new(rules, JsHost);
        let options = EvalOptions {
            preview: case["preview"].as_str(),
            debug: case["debug"].as_bool().unwrap_or(false),
        };
        let result: Value =
            serde_json::from_str(&engine.evaluate(&ctx, &options).to_json()).unwrap();
        let expected = &case["expected"];
        let decisions: Vec<Value> = result["decisions"]
            .as_array()
            .map(|d| d.iter().map(flat_decision).collect())
            .unwrap_or_default();
        let want = expected["decisions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let decisions_ok = decisions.len() == want.len()
            && want
                .iter()
                .zip(&decisions)
                .all(|(w, d)| matches_subset(w, d));
        let trace_ok = expected["trace"].as_array().is_none_or(|want| {
            let trace = result["trace"].as_array().cloned().unwrap_or_default();
            trace.len() == want.len() && want.iter().zip(&trace).all(|(w, t)| matches_subset(w, t))
        });
        if result["holdout"] != expected["holdout"] || !decisions_ok || !trace_ok {
            failures.push(format!("{name}: expected {expected}, got {result}"));
        }
    }
    check(failures, cases.len());
}

#[wasm_bindgen_test]
fn every_sanitize_case_passes_in_the_browser_build() {
    let cases = section("sanitize");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = sanitize_html(case["input"].as_str().unwrap());
            let want = case["output"].as_str().unwrap();
            (got.as_str() != want).then(|| format!("{}: got {:?}", case["name"], got.as_str()))
        })
        .collect();
    check(failures, cases.len());
}

#[wasm_bindgen_test]
fn every_bucket_case_passes_in_the_browser_build() {
    let cases = section("bucket");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = bucket(
                case["seed"].as_str().unwrap(),
                case["salt"].as_str().unwrap(),
                case["visitor_id"].as_str().unwrap(),
            );
            (Some(got) != case["bucket"].as_f64()).then(|| format!("{case}: got {got}"))
        })
        .collect();
    check(failures, cases.len());
}
