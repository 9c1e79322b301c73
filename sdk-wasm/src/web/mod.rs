//! Everything that touches the browser (web-sys, js-sys). Each function fails soft: a
//! missing API or a throwing one yields `None`/`false`, never an exception into the page.

pub mod console;
pub mod dom;
pub mod page;
pub mod random;
pub mod storage;
pub mod transport;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global object, only to read `window` from.
    #[wasm_bindgen(js_name = globalThis)]
    type Global;

    /// `globalThis.window` (absent in a worker): one binding, where `web_sys::window()`
    /// looks through `self`, `window`, `globalThis` and `global` with four, and read at
    /// each call, where a `static` adds a lazily initialised cell to every use.
    #[wasm_bindgen(static_method_of = Global, getter = window)]
    fn global_window() -> Option<web_sys::Window>;
}

/// The browser window, when there is one (not in a worker).
pub fn window() -> Option<web_sys::Window> {
    Global::global_window()
}

/// `window.a.b…` for a dotted `path` such as `"location.href"` or `"localStorage"`, or
/// `undefined` where a step is missing or throws (storage disabled): one out-of-line helper
/// for every read of the page's globals, rather than a binding or a chain of reads (each
/// with its `Option` and drop) at each use. A method call or property read on `undefined`
/// then fails soft too.
#[inline(never)]
pub(crate) fn global(path: &str) -> wasm_bindgen::JsValue {
    let mut value = window().map_or(wasm_bindgen::JsValue::UNDEFINED, Into::into);
    for name in orbit_core::text::split(path, b'.') {
        value = prop(&value, name);
    }
    value
}

/// `Date.now()` in whole milliseconds.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// `target.addEventListener(event, listener, capture)`: one binding for every listener.
fn add_listener(
    target: Option<web_sys::EventTarget>,
    event: &str,
    listener: &wasm_bindgen::JsValue,
    capture: bool,
) {
    use wasm_bindgen::JsCast;
    if let Some(target) = target {
        let _ = target.add_event_listener_with_callback_and_bool(
            event,
            listener.unchecked_ref(),
            capture,
        );
    }
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (`Date#toISOString`, which leaves the
/// date arithmetic out of the bundle).
pub fn iso_time(ms: i64) -> alloc::string::String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    into_string(date.to_iso_string())
}

/// A JavaScript string as a `String`, read like every other string (`as_string`): js-sys's
/// own conversion adds a copy of the reading code and a panic message to the bundle.
pub fn into_string(value: impl Into<wasm_bindgen::JsValue>) -> alloc::string::String {
    value.into().as_string().unwrap_or_default()
}

/// Calls `listener` on every `event` of the window (`pagehide`, `online`, …).
pub fn on_window(event: &str, listener: &impl AsRef<wasm_bindgen::JsValue>) {
    add_listener(window().map(Into::into), event, listener.as_ref(), false);
}

/// Calls `listener` on every `event` of the document (`visibilitychange`).
pub fn on_document(event: &str, listener: &impl AsRef<wasm_bindgen::JsValue>) {
    use wasm_bindgen::JsCast;
    // Without a document, `addEventListener` throws on `undefined`, which the binding catches.
    let document = global("document").unchecked_into();
    add_listener(Some(document), event, listener.as_ref(), false);
}

/// Whether the page is hidden (another tab, minimised, or being unloaded).
pub fn is_hidden() -> bool {
    // `document.hidden` is true exactly when `visibilityState` is "hidden".
    prop(&global("document"), "hidden").is_truthy()
}

/// Runs `callback` after `ms` milliseconds.
pub fn set_timeout(callback: &impl AsRef<wasm_bindgen::JsValue>, ms: i32) {
    if let Some(window) = window() {
        call(
            &window,
            "setTimeout",
            &[callback.as_ref(), &wasm_bindgen::JsValue::from(ms)],
        );
    }
}

/// Calls `callback` when the browser is idle (`requestIdleCallback`, at most `timeout_ms`
/// later), or after `timeout_ms` where there is no such API (Safari).
pub fn when_idle(callback: &wasm_bindgen::JsValue, timeout_ms: u32) {
    let Some(window) = window() else {
        return;
    };
    let has_idle = prop(window.as_ref(), "requestIdleCallback").is_function();
    let (method, second) = if has_idle {
        let options = js_sys::Object::new();
        set_prop(
            &options,
            "timeout",
            &wasm_bindgen::JsValue::from(timeout_ms),
        );
        ("requestIdleCallback", options.into())
    } else {
        ("setTimeout", wasm_bindgen::JsValue::from(timeout_ms))
    };
    call(window.as_ref(), method, &[callback, &second]);
}

/// `target.method(...args)`, or `undefined` when it is missing or throws.
pub fn call(
    target: &wasm_bindgen::JsValue,
    method: &str,
    args: &[&wasm_bindgen::JsValue],
) -> wasm_bindgen::JsValue {
    // `Reflect.apply` throws on a missing method (anything not callable): no check here.
    apply(&prop(target, method), target, args).unwrap_or(wasm_bindgen::JsValue::UNDEFINED)
}

/// `Reflect.apply(function, this, args)`: the result, or what it threw.
pub fn apply(
    function: &wasm_bindgen::JsValue,
    this: &wasm_bindgen::JsValue,
    args: &[&wasm_bindgen::JsValue],
) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let list = js_sys::Array::new();
    for arg in args {
        list.push(arg);
    }
    js_sys::Reflect::apply::<fn() -> wasm_bindgen::JsValue>(function.unchecked_ref(), this, &list)
}

/// Calls `listener` with each `event` of the window in the capture phase, before the
/// page's own handlers can stop it.
pub fn on_window_capture(event: &str, listener: &impl AsRef<wasm_bindgen::JsValue>) {
    add_listener(window().map(Into::into), event, listener.as_ref(), true);
}

/// `target[name]`, or `undefined` when reading it throws.
pub fn prop(target: &wasm_bindgen::JsValue, name: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(target, &wasm_bindgen::JsValue::from_str(name))
        .unwrap_or(wasm_bindgen::JsValue::UNDEFINED)
}

/// `list.length` of an array or a list-like value (0 for anything without one), read through
/// `Reflect` like every other property: `Array#length`'s binding would add a glue import.
pub fn length(list: &wasm_bindgen::JsValue) -> u32 {
    prop(list, "length").as_f64().unwrap_or(0.0) as u32
}

/// `target[name] = value`; false when the assignment throws (a setter that refuses).
pub fn set_prop(target: &wasm_bindgen::JsValue, name: &str, value: &wasm_bindgen::JsValue) -> bool {
    js_sys::Reflect::set(target, &wasm_bindgen::JsValue::from_str(name), value).is_ok()
}

/// `target[name]` when it is a string.
pub fn prop_string(target: &wasm_bindgen::JsValue, name: &str) -> Option<alloc::string::String> {
    prop(target, name).as_string()
}

/// `target[name]` when it is a string, else empty; one out-of-line copy for its many uses.
#[inline(never)]
pub fn prop_text(target: &wasm_bindgen::JsValue, name: &str) -> alloc::string::String {
    prop_string(target, name).unwrap_or_default()
}
