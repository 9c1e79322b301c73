//! The tracker in a real browser (headless Chromium): identity storage and the public
//! API's tolerance of bad calls. Run by `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use orbit_sdk::identity::{cookie_value, ANONYMOUS_ID_KEY};
use orbit_sdk::init_tracker;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(site: &str, key: &str) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&o, &k.into(), &v.into()).unwrap();
    set("site", site);
    set("key", key);
    // Port 9 (discard) on loopback: nothing listens, so every send fails, harmlessly.
    set("endpoint", "http://127.0.0.1:9");
    o.into()
}

fn document() -> web_sys::HtmlDocument {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn stored_cookie() -> Option<String> {
    let jar = document().cookie().unwrap();
    cookie_value(&jar, ANONYMOUS_ID_KEY).map(String::from)
}

fn clear_identity() {
    document()
        .set_cookie(&format!("{ANONYMOUS_ID_KEY}=; Path=/; Max-Age=0"))
        .unwrap();
    local_storage().remove_item(ANONYMOUS_ID_KEY).unwrap();
}

#[wasm_bindgen_test]
fn a_new_visitor_gets_a_uuid_v7_in_cookie_and_local_storage() {
    clear_identity();
    let tracker = init_tracker(&options("demo", "k")).expect("valid options start");
    let id = tracker.anonymous_id();
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "7", "version nibble of {id}");
    assert_eq!(stored_cookie().as_deref(), Some(id.as_str()));
    assert_eq!(
        local_storage().get_item(ANONYMOUS_ID_KEY).unwrap(),
        Some(id)
    );
}

#[wasm_bindgen_test]
fn a_returning_visitor_keeps_the_same_id() {
    clear_identity();
    let first = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    let second = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    assert_eq!(first, second);
}

#[wasm_bindgen_test]
fn the_cookie_wins_over_local_storage_and_resyncs_it() {
    clear_identity();
    let cookie_id = "01923456-789a-7fff-bfff-ffffffffffff";
    document()
        .set_cookie(&format!("{ANONYMOUS_ID_KEY}={cookie_id}; Path=/"))
        .unwrap();
    local_storage()
        .set_item(ANONYMOUS_ID_KEY, "01923456-789a-7fff-bfff-000000000000")
        .unwrap();
    let id = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    assert_eq!(id, cookie_id);
    assert_eq!(
        local_storage()
            .get_item(ANONYMOUS_ID_KEY)
            .unwrap()
            .as_deref(),
        Some(cookie_id)
    );
}

#[wasm_bindgen_test]
fn a_lost_cookie_is_restored_from_local_storage() {
    clear_identity();
    let local_id = "01923456-789a-7fff-bfff-000000000001";
    local_storage()
        .set_item(ANONYMOUS_ID_KEY, local_id)
        .unwrap();
    let id = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    assert_eq!(id, local_id);
    assert_eq!(stored_cookie().as_deref(), Some(local_id));
}

#[wasm_bindgen_test]
fn options_without_a_key_do_not_start() {
    assert!(init_tracker(&options("demo", "")).is_none());
    assert!(init_tracker(&JsValue::UNDEFINED).is_none());
}

#[wasm_bindgen_test]
fn bad_calls_are_ignored_without_throwing() {
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    let args = |values: &[JsValue]| values.iter().collect::<Array>();
    tracker.command("no-such-command", &args(&[]));
    tracker.command("track", &args(&[]));
    tracker.command("track", &args(&[JsValue::from(42)]));
    tracker.command("track", &args(&["Clicked".into(), "not an object".into()]));
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    tracker.command("track", &args(&["Clicked".into(), cyclic.into()]));
    tracker.command("track", &args(&["Clicked".into(), Object::new().into()]));
    tracker.command("page", &args(&["Pricing".into()]));
    tracker.command("flush", &args(&[]));
}
