//! Personalisation in a real browser (headless Chromium): a rule document inlined in the
//! page changes its elements when the tracker starts, and `reapply` puts them back before
//! applying again. A page of its own, so the inlined rules reach no other test.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use orbit_core::rules::{parse_rules, write_compiled};
use orbit_sdk::init_tracker;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options() -> JsValue {
    let o = Object::new();
    set(&o, "site", "demo");
    set(&o, "key", "k");
    // Port 9 (discard) on loopback: nothing listens, so every request fails, harmlessly.
    set(&o, "endpoint", "http://127.0.0.1:9");
    o.into()
}

fn set(target: &JsValue, name: &str, value: &str) {
    Reflect::set(target, &name.into(), &value.into()).unwrap();
}

/// `target[method](...args)`.
fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> JsValue {
    let function = Reflect::get(target, &method.into()).unwrap();
    let list: Array = args.iter().copied().collect();
    Reflect::apply::<fn() -> JsValue>(function.unchecked_ref(), target, &list).unwrap()
}

fn document() -> JsValue {
    Reflect::get(&js_sys::global(), &"document".into()).unwrap()
}

fn class(id: &str) -> String {
    let element = call(&document(), "getElementById", &[&id.into()]);
    call(&element, "getAttribute", &[&"class".into()])
        .as_string()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
fn class_actions_edit_the_class_list_and_reapply_reverts_them_first() {
    let rules = parse_rules(
        r##"{"rules":[{"id":"r","actions":[
            {"type":"add_class","selector":"#add","class":"b a"},
            {"type":"remove_class","selector":"#remove","class":"b"}]}]}"##,
    )
    .unwrap();
    // Added to the page, which holds the test runner's own output too.
    let body = Reflect::get(&document(), &"body".into()).unwrap();
    let html = r#"<p id="add" class="a">x</p><p id="remove" class="a b c">y</p>"#;
    let position = JsValue::from("beforeend");
    call(&body, "insertAdjacentHTML", &[&position, &html.into()]);
    let script = call(&document(), "createElement", &[&"script".into()]);
    set(&script, "type", "application/json");
    set(&script, "id", "orbit-rules");
    set(&script, "textContent", &write_compiled(&rules));
    call(&body, "appendChild", &[&script]);

    let tracker = init_tracker(&options()).expect("valid options start");
    assert_eq!(class("add"), "a b");
    assert_eq!(class("remove"), "a c");
    tracker.command("reapply", &Array::new());
    assert_eq!(class("add"), "a b", "reverted to \"a\", then applied again");
    assert_eq!(class("remove"), "a c");
}
