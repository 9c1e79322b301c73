//! The experiment report in-process, over `tests/fixtures/experiments.json` sent through
//! the real ingest path and a rule document saved through the rules API. The expected
//! numbers were computed independently from the fixture with Python (`math.erfc` for the
//! one-degree and `exp(-x/2)` for the two-degree chi-square tails); the comments show the
//! arithmetic.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{json, Value};

const WINDOW: &str = "from=2026-09-01&to=2026-09-15";

/// The current document: hero-test (control marked), cta-test (control by name), a 10 %
/// holdout; old-test is not in it.
const DOCUMENT: &str = r##"{"version": 1, "holdout": {"percent": 10}, "rules": [
  {"id": "hero", "experiment": {"id": "hero-test", "variants": [
    {"id": "control", "weight": 0.5, "control": true},
    {"id": "b", "weight": 0.25, "actions": [{"type": "set_text", "selector": "#hero h1", "text": "B"}]},
    {"id": "c", "weight": 0.25, "actions": [{"type": "set_text", "selector": "#hero h1", "text": "C"}]}]}},
  {"id": "cta", "experiment": {"id": "cta-test", "variants": [
    {"id": "control", "weight": 0.5},
    {"id": "big", "weight": 0.5, "actions": [{"type": "add_class", "selector": "#cta", "class": "big"}]}]}},
  {"id": "spring", "conditions": {"attribute": "utm_campaign", "op": "equals", "value": "spring"},
   "actions": [{"type": "set_text", "selector": "#hero p", "text": "Spring"}]}]}"##;

async fn with_fixture(save_document: bool) -> TestApp {
    let app = test_app_configured(|_| {}, |raw| raw.limits.max_age_days = Some(36_500));
    if save_document {
        let request = Request::put("/v1/sites/shop/rules")
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(Body::from(DOCUMENT))
            .unwrap();
        let (status, _, text) = app.call(request).await;
        assert_eq!(status, 201, "{text}");
    }
    app.store_fixture_events(include_str!("fixtures/experiments.json"))
        .await;
    app
}

async fn report(app: &TestApp, query: &str) -> (u16, Value) {
    let request = Request::get(format!("/v1/reports/experiments?site=shop&{query}"))
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, text) = app.call(request).await;
    (status, serde_json::from_str(&text).unwrap())
}

fn experiment<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["experiment_id"] == id)
        .unwrap_or_else(|| panic!("no experiment {id} in {report}"))
}

fn variant<'a>(experiment: &'a Value, id: &str) -> &'a Value {
    experiment["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variant_id"] == id)
        .unwrap_or_else(|| panic!("no variant {id} in {experiment}"))
}

#[tokio::test]
async fn the_report_counts_exposures_conversions_and_lift_exactly() {
    let app = with_fixture(true).await;
    let (status, report) = report(&app, WINDOW).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["site"], "shop");
    assert_eq!(report["from"], "2026-09-01T00:00:00.000Z");
    assert_eq!(report["to"], "2026-09-15T00:00:00.000Z");
    assert_eq!(report["conversion"], "Form Submitted");
    assert_eq!(report["revision"], "1");
    assert_eq!(report["ignored_exposures"], 1, "broken has no variation_id");
    let ids: Vec<&str> = report["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["experiment_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cta-test", "hero-test", "old-test"]);

    // hero-test: control 4/20 (hero-01 converted only before its exposure; hero-05 twice
    // counts once), b 6/12 (hero-21, b first then control, counts in b), c 1/8 (hero-34's
    // conversion is after the window). hero-early (exposed before the window) and the
    // crawler are left out.
    let hero = experiment(&report, "hero-test");
    assert_eq!(hero["rule_id"], "hero");
    assert_eq!(hero["in_document"], true);
    assert_eq!(hero["control"], "control");
    assert_eq!(hero["visitors"], 40);
    assert_eq!(hero["conversions"], 11);
    assert_eq!(hero["multiple_variant_visitors"], 1);
    assert_eq!(hero["notes"], json!([]));
    assert_eq!(
        variant(hero, "control"),
        &json!({"variant_id": "control", "control": true, "weight": 0.5, "exposed": 20,
                "conversions": 4, "conversion_rate": 0.2, "lift": null})
    );
    // b: 0.5 - 0.2 = 0.3, se = sqrt(0.25/12 + 0.16/20) = 0.169804, ± 1.959964 se;
    // relative 1.5 with se = sqrt(v1/p0² + p1²·v0/p0⁴) = 1.330727.
    assert_eq!(
        variant(hero, "b"),
        &json!({"variant_id": "b", "control": false, "weight": 0.25, "exposed": 12,
                "conversions": 6, "conversion_rate": 0.5,
                "lift": {"absolute": 0.3, "absolute_ci": [-0.032809, 0.632809],
                         "relative": 1.5, "relative_ci": [-1.108176, 4.108176],
                         "p_value": 0.077271, "significant": false}})
    );
    assert_eq!(
        variant(hero, "c"),
        &json!({"variant_id": "c", "control": false, "weight": 0.25, "exposed": 8,
                "conversions": 1, "conversion_rate": 0.125,
                "lift": {"absolute": -0.075, "absolute_ci": [-0.363534, 0.213534],
                         "relative": -0.375, "relative_ci": [-1.645084, 0.895084],
                         "p_value": 0.610427, "significant": false}})
    );
    // Expected 20, 10, 10: (0 + 4/10 + 4/10) = 0.8 with 2 degrees of freedom, p = e^-0.4.
    assert_eq!(
        hero["sample_ratio"],
        json!({"expected": "document", "chi_square": 0.8, "degrees_of_freedom": 2,
               "p_value": 0.67032, "mismatch": false})
    );

    // cta-test: no variant is marked control, so the one named control is. 30 vs 6 on a
    // 50/50 split: (12² + 12²)/18 = 16, p = erfc(sqrt(8)) = 6.334e-5 < 0.001: flagged.
    let cta = experiment(&report, "cta-test");
    assert_eq!(cta["control"], "control");
    assert_eq!(
        cta["sample_ratio"],
        json!({"expected": "document", "chi_square": 16.0, "degrees_of_freedom": 1,
               "p_value": 6.33425e-5, "mismatch": true})
    );
    assert_eq!(variant(cta, "control")["conversion_rate"], 0.1);
    // big converts nobody: -0.1 ± 1.959964·sqrt(0.09/30); relative -1, and the delta
    // method's interval would collapse to [-1, -1] (the variant's variance is 0), a
    // certainty the data do not give: no interval.
    assert_eq!(
        variant(cta, "big")["lift"],
        json!({"absolute": -0.1, "absolute_ci": [-0.207352, 0.007352],
               "relative": -1.0, "relative_ci": null,
               "p_value": 0.0678892, "significant": false})
    );

    // old-test is not in the document: equal weights, no control, no lift. 5 vs 3:
    // (1 + 1)/4 = 0.5, p = erfc(0.5).
    let old = experiment(&report, "old-test");
    assert_eq!(old["in_document"], false);
    assert_eq!(old["rule_id"], "old", "from the events");
    assert_eq!(old["control"], Value::Null);
    assert_eq!(old["notes"].as_array().unwrap().len(), 2, "{old}");
    assert!(old["notes"][0].as_str().unwrap().contains("equal weights"));
    assert_eq!(
        variant(old, "x"),
        &json!({"variant_id": "x", "control": false, "weight": 0.5, "exposed": 5,
                "conversions": 2, "conversion_rate": 0.4, "lift": null})
    );
    assert_eq!(variant(old, "y")["conversion_rate"], 0.3333);
    assert_eq!(
        old["sample_ratio"],
        json!({"expected": "equal", "chi_square": 0.5, "degrees_of_freedom": 1,
               "p_value": 0.4795, "mismatch": false})
    );

    // Holdout: 1 of 3 held out converted; 11 of 37 personalized (hero-02..05, 21..26, 33
    // after their membership event). Expected 4 and 36: 1/4 + 1/36 = 0.277778.
    let holdout = &report["holdout"];
    assert_eq!(holdout["experiment_id"], "holdout");
    assert_eq!(holdout["in_document"], true);
    assert_eq!(holdout["control"], "holdout");
    assert_eq!(
        variant(holdout, "holdout"),
        &json!({"variant_id": "holdout", "control": true, "weight": 0.1, "exposed": 3,
                "conversions": 1, "conversion_rate": 0.3333, "lift": null})
    );
    assert_eq!(
        variant(holdout, "personalized"),
        &json!({"variant_id": "personalized", "control": false, "weight": 0.9, "exposed": 37,
                "conversions": 11, "conversion_rate": 0.2973,
                "lift": {"absolute": -0.036036, "absolute_ci": [-0.589428, 0.517356],
                         "relative": -0.108108, "relative_ci": [-1.602226, 1.38601],
                         "p_value": 0.898442, "significant": false}})
    );
    assert_eq!(
        holdout["sample_ratio"],
        json!({"expected": "document", "chi_square": 0.277778, "degrees_of_freedom": 1,
               "p_value": 0.598161, "mismatch": false})
    );
}

#[tokio::test]
async fn the_conversion_event_can_be_chosen() {
    let app = with_fixture(true).await;
    let (status, report) = report(&app, &format!("{WINDOW}&conversion=Signed%20Up")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["conversion"], "Signed Up");
    let hero = experiment(&report, "hero-test");
    assert_eq!(variant(hero, "control")["conversions"], 0);
    // b: 2/12 over 0/20: 0.166667 ± 1.959964·sqrt((1/6)(5/6)/12); no relative lift over 0.
    assert_eq!(
        variant(hero, "b")["lift"],
        json!({"absolute": 0.166667, "absolute_ci": [-0.044192, 0.377525],
               "relative": null, "relative_ci": null,
               "p_value": 0.121335, "significant": false})
    );
    // c and control both 0: a zero difference with a zero standard error, no p-value.
    assert_eq!(
        variant(hero, "c")["lift"],
        json!({"absolute": 0.0, "absolute_ci": [0.0, 0.0], "relative": null,
               "relative_ci": null, "p_value": null, "significant": false})
    );
}

#[tokio::test]
async fn without_a_window_everything_counts_and_without_a_document_weights_are_equal() {
    let app = with_fixture(false).await;
    let (status, report) = report(&app, "").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["from"], Value::Null);
    assert_eq!(report["revision"], Value::Null);
    // All time: hero-early (exposed to c before the window, converted after) and hero-34's
    // late conversion count now.
    let hero = experiment(&report, "hero-test");
    assert_eq!(hero["in_document"], false);
    assert_eq!(hero["control"], "control", "the variant named control");
    let c = variant(hero, "c");
    assert_eq!(
        (c["exposed"].clone(), c["conversions"].clone()),
        (json!(9), json!(3))
    );
    // Equal weights over three variants: 20, 12 and 9 against 41/3 each: 4.731707.
    assert_eq!(hero["sample_ratio"]["expected"], "equal");
    assert_eq!(hero["sample_ratio"]["chi_square"], 4.731707);
    let holdout = &report["holdout"];
    assert_eq!(holdout["in_document"], false);
    assert_eq!(holdout["control"], "holdout");
    assert_eq!(holdout["sample_ratio"]["expected"], "none");
    assert_eq!(holdout["sample_ratio"]["p_value"], Value::Null);
    assert_eq!(variant(holdout, "holdout")["weight"], Value::Null);
    assert!(variant(holdout, "personalized")["lift"].is_object());
}

#[tokio::test]
async fn bad_report_parameters_are_400s() {
    let app = test_app();
    for (query, needle) in [
        ("conversion=", "conversion is empty"),
        ("convertion=x", "unknown field"),
        ("from=2026-09-15&to=2026-09-01", "to must be after from"),
        ("from=yesterday", "from=\"yesterday\""),
    ] {
        let (status, answer) = report(&app, query).await;
        assert_eq!(status, 400, "{query}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(needle), "{query}: {error}");
    }
    let long = format!("conversion={}", "x".repeat(201));
    let (status, answer) = report(&app, &long).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("at most 200"));
    let (status, answer) = report(&app, "").await;
    assert_eq!(status, 200, "an empty site has an empty report");
    assert_eq!(answer["experiments"], json!([]));
    assert_eq!(answer["holdout"], Value::Null);
}
