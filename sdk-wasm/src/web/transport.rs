//! Sends batches to the collector as CORS-simple requests: `fetch` with `keepalive`, a
//! `text/plain` body and the write key in the query, so no preflight is needed; and
//! `sendBeacon` when the page is going away and `fetch` cannot be started.

use alloc::string::String;
use wasm_bindgen::{JsCast, JsValue};

/// The URL a batch is posted to.
pub fn batch_url(endpoint: &str, write_key: &str) -> String {
    let mut url = String::from(endpoint);
    url.push_str("/v1/batch?key=");
    url.push_str(&encode_component(write_key));
    url
}

/// `encodeURIComponent(text)`.
pub fn encode_component(text: &str) -> String {
    super::into_string(js_sys::encode_uri_component(text))
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/personalize.js")]
extern "C" {
    /// GETs `url` without cookies (with `If-None-Match` the ETag stored in localStorage under
    /// `etag_key`, unless empty) and calls `done` once, with what [`answer`] reads: the fetch
    /// and its promises are js/personalize.js's (which never throws), not two closures and
    /// their glue in the .wasm. `tag` comes back in the answer.
    #[wasm_bindgen(js_name = getText)]
    pub fn get_text(url: &str, etag_key: &str, done: &JsValue, tag: &str);
}

/// The body and `ETag` of a [`get_text`]'s 200; `None` for anything else (304, an error, no
/// network).
pub fn answer(answer: &JsValue) -> Option<(String, Option<String>)> {
    let part = |i| super::prop(answer, i).as_string();
    Some((part("0")?, part("1")))
}

/// Whether a [`get_text`]'s answer has the tag `tag` (compared in JavaScript: no copy).
pub fn answer_tagged(answer: &JsValue, tag: &str) -> bool {
    super::prop(answer, "2") == JsValue::from_str(tag)
}

/// Posts `body` to `url`: the promise of the `Response`, or `None` when the request could
/// not even be started. `keepalive` lets the request outlive the page, but browsers allow
/// only 64 KB of such bodies in flight, so it is used only when the page is going away.
pub fn post(url: &str, body: &str, keepalive: bool) -> Option<js_sys::Promise> {
    let window = super::window()?;
    let init = request_init();
    super::set_prop(&init, "method", &JsValue::from_str("POST"));
    super::set_prop(&init, "body", &JsValue::from_str(body));
    if keepalive {
        super::set_prop(&init, "keepalive", &JsValue::TRUE);
    }
    let promise = window.fetch_with_str_and_init(url, init.unchecked_ref());
    Some(promise)
}

/// A `fetch` init object for a CORS request without cookies, built with `Reflect` rather than
/// web-sys's RequestInit, whose setters each add a binding to the glue. (`mode` is `cors`
/// already: the default of a `fetch` given a URL string.)
fn request_init() -> js_sys::Object {
    let init = js_sys::Object::new();
    super::set_prop(&init, "credentials", &JsValue::from_str("omit"));
    init
}

/// `navigator.sendBeacon(url, body)`: queued by the browser even as the page unloads.
pub fn beacon(url: &str, body: &str) -> bool {
    let args = [&JsValue::from_str(url), &JsValue::from_str(body)];
    super::call(&super::global("navigator"), "sendBeacon", &args).is_truthy()
}

/// The status of a fetch `Response`, and its `Retry-After` header.
pub fn response_status(response: &JsValue) -> (u16, Option<String>) {
    // `undefined` (a failed fetch) has no properties: status 0.
    let status = super::prop(response, "status").as_f64().unwrap_or(0.0) as u16;
    let headers = super::prop(response, "headers");
    let retry_after = super::call(&headers, "get", &[&JsValue::from_str("retry-after")]);
    (status, retry_after.as_string())
}

/// `navigator.onLine`; true when the browser does not say.
pub fn is_online() -> bool {
    super::window().is_none() || super::global("navigator.onLine").is_truthy()
}
