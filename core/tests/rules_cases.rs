//! Runs the shared rule fixtures (`tests/fixtures/rules/cases.json`) natively; the browser
//! build and the collector run the same file, so the three cannot drift. Also: a
//! 1,000-rule document against one visitor, timed.

extern crate alloc;

#[path = "support/mini_regex.rs"]
mod mini_regex;

use std::time::{Duration, Instant};

use mini_regex::MiniRegex;
use orbit_core::rules::{fixtures, parse_rules, EvalOptions, Host, RuleEngine, VisitorContext};
use serde_json::{json, Value};

/// The stand-in for `RegExp` / the `regex` crate.
struct TestHost;

impl Host for TestHost {
    type Regex = MiniRegex;

    fn compile_regex(&self, pattern: &str, ignore_case: bool) -> Option<MiniRegex> {
        MiniRegex::new(pattern, ignore_case)
    }

    fn regex_is_match(&self, regex: &MiniRegex, text: &str) -> bool {
        regex.is_match(text)
    }
}

fn fixtures() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/rules/cases.json"
    );
    fixtures::read(&std::fs::read_to_string(path).expect("the shared fixture file"))
}

#[test]
fn every_evaluate_case_passes() {
    fixtures::evaluate_cases(&fixtures(), || TestHost).assert_passed("evaluate");
}

#[test]
fn every_parse_error_case_passes() {
    fixtures::parse_error_cases(&fixtures()).assert_passed("parse_errors");
}

#[test]
fn every_lint_case_passes() {
    fixtures::lint_cases(&fixtures(), &TestHost).assert_passed("lint");
}

#[test]
fn every_sanitize_case_passes() {
    fixtures::sanitize_cases(&fixtures()).assert_passed("sanitize");
}

#[test]
fn every_bucket_case_passes() {
    fixtures::bucket_cases(&fixtures()).assert_passed("bucket");
}

#[test]
fn the_fixture_file_covers_every_section() {
    let f = fixtures();
    assert_eq!(f["hash_version"], 1);
    for (name, at_least) in [
        ("evaluate", 60),
        ("parse_errors", 10),
        ("lint", 8),
        ("sanitize", 30),
        ("bucket", 8),
    ] {
        let n = f[name].as_array().map_or(0, Vec::len);
        assert!(n >= at_least, "{name}: {n} cases");
    }
}

/// A realistic 1,000-rule document: three conditions each (text, list and prefix), a regex
/// on every tenth, exclusive groups of ten, an experiment on every fiftieth.
fn thousand_rules() -> String {
    let rules: Vec<Value> = (0..1000)
        .map(|i| {
            let mut conditions = vec![
                json!({"attribute": "utm_campaign", "op": "equals", "value": format!("campaign-{i}")}),
                json!({"attribute": "device", "op": "in", "value": ["mobile", "tablet"]}),
                json!({"attribute": "path", "op": "starts_with", "value": format!("/landing/{}", i % 7)}),
            ];
            if i % 10 == 0 {
                conditions.push(json!({"attribute": "url", "op": "regex", "value": format!("^https://shop\\.example/landing/{}", i % 7)}));
            }
            let mut rule = json!({
                "id": format!("rule-{i}"),
                "priority": i % 13,
                "group": format!("group-{}", i / 10),
                "conditions": {"any": [{"all": conditions}, {"attribute": "segments", "op": "contains", "value": format!("segment-{i}")}]},
            });
            if i % 50 == 0 {
                rule["experiment"] = json!({"id": format!("exp-{i}"), "variants": [
                    {"id": "control", "control": true},
                    {"id": "b", "actions": [{"type": "set_text", "selector": "#hero h1", "text": "B"}]}
                ]});
            } else {
                rule["actions"] = json!([{"type": "set_text", "selector": format!("#slot-{i}"), "text": "Hello"}]);
            }
            rule
        })
        .collect();
    json!({"version": 1, "holdout": {"percent": 5}, "rules": rules}).to_string()
}

fn visitor() -> VisitorContext {
    VisitorContext::from_json(
        r#"{"visitor_id":"018f3c2e-7b1a-7cde-9f00-0123456789ab","now":"2026-11-22T10:00:00Z",
            "url":"https://shop.example/landing/3?utm_campaign=campaign-500","utm_campaign":"campaign-500",
            "device":"mobile","visit_count":2,"segments":["segment-7","vip"]}"#,
    )
    .expect("a valid context")
}

/// Median time of one evaluation of the 1,000-rule document.
fn time_thousand_rules(rounds: u32) -> Duration {
    let engine = RuleEngine::new(parse_rules(&thousand_rules()).expect("parses"), TestHost);
    let ctx = visitor();
    let options = EvalOptions::default();
    let result = engine.evaluate(&ctx, &options);
    assert!(!result.decisions.is_empty(), "some rules apply");
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let result = engine.evaluate(&ctx, &options);
            let elapsed = start.elapsed();
            std::hint::black_box(result);
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

#[test]
fn a_thousand_rules_parse_and_evaluate_within_budget() {
    let text = thousand_rules();
    assert!(
        text.len() < orbit_core::limits::MAX_RULES_DOCUMENT_BYTES,
        "{}",
        text.len()
    );
    let median = time_thousand_rules(50);
    // The budget is 1 ms in the browser; unoptimised test builds get ten times that.
    assert!(median < Duration::from_millis(10), "median {median:?}");
}

/// `cargo test --release -p orbit-core --test rules_cases -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn bench_thousand_rules() {
    let text = thousand_rules();
    let start = Instant::now();
    let rules = parse_rules(&text).expect("parses");
    let parse = start.elapsed();
    let start = Instant::now();
    let engine = RuleEngine::new(rules, TestHost);
    let compile = start.elapsed();
    drop(engine);
    let median = time_thousand_rules(2_000);
    println!(
        "1,000 rules, {} bytes: parse {parse:?}, compile regexes {compile:?}, evaluate median {median:?}",
        text.len()
    );
}

/// docs/rules.schema.json lists the same attributes, operators and action types as the parser.
#[test]
fn the_json_schema_names_what_the_parser_accepts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the schema"))
        .expect("the schema is JSON");
    let defs = &schema["$defs"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    };
    let mut attributes = strings(&defs["attribute"]["anyOf"][0]["enum"]);
    for prefix in ["query", "traits", "custom", "experiments"] {
        let member = if prefix == "experiments" {
            "ID"
        } else {
            "NAME"
        };
        attributes.push(format!("{prefix}.{member}"));
    }
    attributes.sort();
    let mut ours: Vec<String> = orbit_core::rules::ATTRIBUTE_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    ours.sort();
    assert_eq!(attributes, ours);
    assert_eq!(
        strings(&defs["leaf"]["properties"]["op"]["enum"]),
        orbit_core::rules::OPERATOR_NAMES
    );
    assert_eq!(
        strings(&defs["action"]["properties"]["type"]["enum"]),
        orbit_core::rules::ACTION_TYPES
    );
    assert_eq!(
        defs["rule"]["properties"]["priority"]["maximum"],
        json!(1_000_000),
        "the parser's MAX_PRIORITY"
    );
    assert_eq!(
        schema["properties"]["rules"]["maxItems"],
        json!(orbit_core::limits::MAX_RULES)
    );
}
