//! The runner of the shared rule fixtures (`tests/fixtures/rules/cases.json`), one for the
//! three places that run them with their own regex host: orbit-core natively, the browser
//! build in Chromium, and the collector. Feature `fixtures` (tests only: it needs serde_json).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{json, Value};

use super::{
    bucket, lint, parse_rules, read_compiled, sanitize_html, write_compiled, EvalOptions, Finding,
    Host, RuleEngine, VisitorContext,
};

/// What running one section gave: how many cases, and a line for each that failed.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Cases in the section.
    pub total: usize,
    /// One line per failing case, saying what was expected and what came.
    pub failures: Vec<String>,
}

impl Outcome {
    /// Panics with every failing case at once, so one run shows them all.
    pub fn assert_passed(&self, section: &str) {
        assert!(self.total > 0, "{section}: no cases");
        assert!(
            self.failures.is_empty(),
            "{section}: {} of {} cases failed:\n{}",
            self.failures.len(),
            self.total,
            self.failures.join("\n")
        );
    }
}

/// The fixture file's text as JSON (a test helper: a broken file fails the test at once).
#[allow(clippy::expect_used)]
pub fn read(text: &str) -> Value {
    serde_json::from_str(text).expect("the fixture file is JSON")
}

/// The cases of one section of the file (`evaluate`, `lint`, …).
pub fn section<'a>(fixtures: &'a Value, name: &str) -> &'a [Value] {
    fixtures[name].as_array().map_or(&[], Vec::as_slice)
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

/// A decision of `Evaluation::to_json` with its experiment fields next to `rule`.
fn flat_decision(d: &Value) -> Value {
    let mut flat = json!({ "rule": d["rule"], "forced": d["forced"], "actions": d["actions"] });
    if let Some(exp) = d["experiment"].as_object() {
        flat["variant"] = exp["variant"].clone();
        flat["source"] = exp["source"].clone();
        flat["exposure"] = exp["exposure"].clone();
    }
    flat
}

/// `evaluate`: each document against its context, compared as the file's description says.
pub fn evaluate_cases<H: Host>(fixtures: &Value, host: impl Fn() -> H) -> Outcome {
    let cases = section(fixtures, "evaluate");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let rules = match parse_rules(&case["document"].to_string()) {
            Ok(rules) => rules,
            Err(e) => {
                failures.push(format!(
                    "{name}: document does not parse: {}",
                    e.to_message()
                ));
                continue;
            }
        };
        // The browser reads the compiled form: every case runs through it, and it must
        // mean exactly what the parsed document means.
        let rules = match read_compiled(&write_compiled(&rules)) {
            Ok(compiled) if compiled == rules => compiled,
            other => {
                failures.push(format!("{name}: the compiled document differs: {other:?}"));
                continue;
            }
        };
        let ctx = match VisitorContext::from_json(&case["context"].to_string()) {
            Ok(ctx) => ctx,
            Err(e) => {
                failures.push(format!(
                    "{name}: context does not parse: {}",
                    e.to_message()
                ));
                continue;
            }
        };
        let engine = RuleEngine::new(rules, host());
        let options = EvalOptions {
            preview: case["preview"].as_str(),
            debug: case["debug"].as_bool().unwrap_or(false),
        };
        let result = read(&engine.evaluate(&ctx, &options).to_json());
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
            let got = json!({ "holdout": result["holdout"], "decisions": decisions, "trace": result["trace"] });
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    Outcome {
        total: cases.len(),
        failures,
    }
}

/// A case's document as text: `document_text` verbatim (for syntax errors), else `document`.
pub fn document_text(case: &Value) -> String {
    match case["document_text"].as_str() {
        Some(text) => text.to_owned(),
        None => case["document"].to_string(),
    }
}

/// `parse_errors`: each document fails with the given path, message and found text.
pub fn parse_error_cases(fixtures: &Value) -> Outcome {
    let cases = section(fixtures, "parse_errors");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let text = document_text(case);
        match parse_rules(&text) {
            Ok(_) => failures.push(format!("{name}: parsed, but should fail")),
            Err(e) => {
                let found_ok = case
                    .get("found")
                    .is_none_or(|f| f.as_str() == e.found.as_deref());
                if e.path != case["path"] || e.message != case["message"] || !found_ok {
                    failures.push(format!("{name}: got {}", e.to_message()));
                }
            }
        }
    }
    Outcome {
        total: cases.len(),
        failures,
    }
}

/// `lint`: the findings' (severity, path) pairs, in any order.
pub fn lint_cases<H: Host>(fixtures: &Value, host: &H) -> Outcome {
    let cases = section(fixtures, "lint");
    let failures = cases
        .iter()
        .filter_map(|case| lint_mismatch(case, &lint(&case["document"].to_string(), host)))
        .collect();
    Outcome {
        total: cases.len(),
        failures,
    }
}

/// Why `findings` are not what the `lint` case expects (the (severity, path) pairs, in any
/// order), or `None` when they are; for checks built on lint, such as the collector's save.
pub fn lint_mismatch(case: &Value, findings: &[Finding]) -> Option<String> {
    let mut got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.severity.as_str().to_owned(), f.path.clone()))
        .collect();
    let mut want: Vec<(String, String)> = case["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or("").to_owned();
            (text("severity"), text("path"))
        })
        .collect();
    got.sort();
    want.sort();
    (got != want).then(|| {
        let listed: Vec<String> = findings.iter().map(ToString::to_string).collect();
        format!(
            "{}:\n  want {want:?}\n  got  {}",
            case["name"].as_str().unwrap_or("?"),
            listed.join("\n       ")
        )
    })
}

/// `sanitize`: `sanitize_html(input) == output`.
pub fn sanitize_cases(fixtures: &Value) -> Outcome {
    let cases = section(fixtures, "sanitize");
    let failures = cases
        .iter()
        .filter_map(|case| {
            let got = sanitize_html(case["input"].as_str().unwrap_or(""));
            (got.as_str() != case["output"].as_str().unwrap_or(""))
                .then(|| format!("{}: got {:?}", case["name"], got.as_str()))
        })
        .collect();
    Outcome {
        total: cases.len(),
        failures,
    }
}

/// `bucket`: `bucket(seed, salt, visitor_id)` exactly.
pub fn bucket_cases(fixtures: &Value) -> Outcome {
    let cases = section(fixtures, "bucket");
    let failures = cases
        .iter()
        .filter_map(|case| {
            let text = |k: &str| case[k].as_str().unwrap_or("");
            let got = bucket(text("seed"), text("salt"), text("visitor_id"));
            (Some(got) != case["bucket"].as_f64()).then(|| format!("{case}: got {got}"))
        })
        .collect();
    Outcome {
        total: cases.len(),
        failures,
    }
}
