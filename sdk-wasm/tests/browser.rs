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

fn args(values: &[JsValue]) -> Array {
    values.iter().collect::<Array>()
}

fn clear_all() {
    clear_identity();
    local_storage().clear().unwrap();
}

#[wasm_bindgen_test]
fn identify_keeps_the_user_and_another_user_gets_a_new_anonymous_id() {
    clear_all();
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    let anonymous = tracker.anonymous_id();
    tracker.command("identify", &args(&["user-1".into()]));
    assert_eq!(tracker.user_id().as_deref(), Some("user-1"));
    assert_eq!(
        tracker.anonymous_id(),
        anonymous,
        "identify links, it does not reset"
    );
    assert_eq!(
        local_storage().get_item("orbit_uid").unwrap().as_deref(),
        Some("user-1")
    );
    let again = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(
        again.user_id().as_deref(),
        Some("user-1"),
        "kept across pages"
    );

    again.command("identify", &args(&[JsValue::from(42)]));
    assert_eq!(
        again.user_id().as_deref(),
        Some("42"),
        "numeric ids are text"
    );
    assert_ne!(
        again.anonymous_id(),
        anonymous,
        "a different user resets first"
    );

    again.command("reset", &args(&[]));
    assert_eq!(again.user_id(), None);
    assert!(local_storage().get_item("orbit_uid").unwrap().is_none());
    assert_eq!(stored_cookie(), Some(again.anonymous_id()));
}

#[wasm_bindgen_test]
fn a_session_continues_across_pages_and_reset_ends_it() {
    clear_all();
    let first = init_tracker(&options("demo", "k")).unwrap();
    let session = first.session_id().expect("a page view starts a session");
    first.flush();
    // `flush` ran a delivery pass, which stores the session (normally the end of the task).
    let second = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(second.session_id().as_deref(), Some(session.as_str()));
    second.command("reset", &args(&[]));
    second.command("track", &args(&["After Reset".into()]));
    assert_ne!(second.session_id(), Some(session));
}

#[wasm_bindgen_test]
async fn unsent_events_are_stored_and_taken_over_by_the_next_page() {
    clear_all();
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    for _ in 0..3 {
        tracker.command("track", &args(&["Stored".into(), Object::new().into()]));
    }
    assert_eq!(tracker.pending(), 4, "the page view and three tracks");
    // Let the end-of-task pass store the queue (and fail to send: nothing listens).
    sleep(50).await;
    let keys: Vec<String> = (0..local_storage().length().unwrap())
        .filter_map(|i| local_storage().key(i).unwrap())
        .filter(|k| k.starts_with("orbit_q."))
        .collect();
    // One queue per tab, and a key per request in flight beside it (`<queue key>.<n>`).
    let queues: Vec<&String> = keys.iter().filter(|k| k[8..].find('.').is_none()).collect();
    assert_eq!(queues.len(), 1, "one queue per tab: {keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with(queues[0].as_str())),
        "{keys:?}"
    );
    let stored: String = keys
        .iter()
        .map(|k| local_storage().get_item(k).unwrap().unwrap())
        .collect();
    assert_eq!(stored.matches("\"Stored\"").count(), 3, "{stored}");
    // The tab's next page owns the same key and takes the events over.
    let next = init_tracker(&options("demo", "k")).unwrap();
    assert!(next.pending() >= 4, "adopted: {}", next.pending());
    drop(tracker);
}

#[wasm_bindgen_test]
fn ready_calls_back_and_a_throwing_callback_does_not_escape() {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    let calls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&calls);
    let called = Closure::<dyn FnMut()>::new(move || counter.set(counter.get() + 1));
    tracker.command("ready", &args(&[called.as_ref().clone()]));
    assert_eq!(calls.get(), 1);
    let throws = Closure::<dyn FnMut()>::new(|| wasm_bindgen::throw_str("page bug"));
    tracker.command("ready", &args(&[throws.as_ref().clone()]));
    tracker.command("ready", &args(&["not a function".into()]));
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
fn custom_attributes_are_kept_and_removed() {
    clear_all();
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    tracker.command("set", &args(&["plan".into(), "pro".into()]));
    tracker.command("set", &args(&["seats".into(), JsValue::from(12)]));
    tracker.command("set", &args(&["bad key!".into(), "x".into()]));
    assert_eq!(tracker.attributes(), r#"{"plan":"pro","seats":12}"#);
    let next = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(
        next.attributes(),
        r#"{"plan":"pro","seats":12}"#,
        "kept across pages"
    );
    next.command("set", &args(&["plan".into(), JsValue::NULL]));
    assert_eq!(next.attributes(), r#"{"seats":12}"#);
}

#[wasm_bindgen_test]
fn the_function_javascript_gets_runs_commands_even_from_a_ready_callback() {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    assert!(orbit_sdk::start_tracker(&JsValue::UNDEFINED).is_undefined());
    let orbit: js_sys::Function = orbit_sdk::start_tracker(&options("demo", "k")).unchecked_into();
    let call = |orbit: &js_sys::Function, name: &str, arg: &JsValue| {
        orbit.call2(
            &JsValue::NULL,
            &name.into(),
            &args(std::slice::from_ref(arg)),
        )
    };
    call(&orbit, "track", &"Clicked".into()).expect("a command runs");
    // A ready callback that calls the tracker again, with another ready callback: the nested
    // call runs at once, not as an error about a recursive call.
    let ran = Rc::new(Cell::new(false));
    let nested_ran = Rc::clone(&ran);
    let nested = Closure::<dyn FnMut()>::new(move || nested_ran.set(true));
    let nested_call_ok = Rc::new(Cell::new(false));
    let ok = Rc::clone(&nested_call_ok);
    let again = orbit.clone();
    let nested_fn: JsValue = nested.as_ref().clone();
    let outer = Closure::<dyn FnMut()>::new(move || {
        ok.set(call(&again, "ready", &nested_fn).is_ok());
    });
    call(&orbit, "ready", outer.as_ref()).expect("a ready callback runs");
    assert!(nested_call_ok.get(), "the nested call did not throw");
    assert!(ran.get(), "the nested ready callback ran");
}
