//! The shared rule fixtures (tests/fixtures/rules/cases.json) in a real browser, with the
//! browser's own `RegExp` as the engine's regex host: the same cases orbit-core and the
//! collector run, so the three cannot drift. Run by `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use orbit_core::rules::fixtures;
use orbit_sdk::personalize::JsHost;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn cases() -> serde_json::Value {
    fixtures::read(include_str!("../../tests/fixtures/rules/cases.json"))
}

#[wasm_bindgen_test]
fn every_evaluate_case_passes_with_the_browsers_regexp() {
    fixtures::evaluate_cases(&cases(), || JsHost).assert_passed("evaluate");
}

#[wasm_bindgen_test]
fn every_sanitize_case_passes_in_the_browser_build() {
    fixtures::sanitize_cases(&cases()).assert_passed("sanitize");
}

#[wasm_bindgen_test]
fn every_bucket_case_passes_in_the_browser_build() {
    fixtures::bucket_cases(&cases()).assert_passed("bucket");
}

#[wasm_bindgen_test]
fn every_parse_error_case_passes_in_the_browser_build() {
    fixtures::parse_error_cases(&cases()).assert_passed("parse_errors");
}
