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
    js_sys::encode_uri_component(text).into()
}

/// A GET's answer: the body and `ETag` of a 200, or `None`.
pub type Answer = Option<(String, Option<String>)>;
/// What to do with a GET's [`Answer`].
pub type OnAnswer = alloc::boxed::Box<dyn FnOnce(Answer)>;

/// GETs `url` (with `If-None-Match: etag`) and calls `done` once: with the body and the
/// `ETag` of a 200, or `None` for anything else (304, an error, no network). `swallow`
/// turns a rejected fetch into `undefined`. `done` is boxed so that every caller shares one
/// copy of this function in the bundle.
pub fn get_text(url: &str, etag: Option<&str>, swallow: &impl AsRef<JsValue>, done: OnAnswer) {
    use core::cell::Cell;
    use wasm_bindgen::closure::Closure;
    let Some(window) = super::window() else {
        return done(None);
    };
    let init = request_init();
    if let Some(etag) = etag {
        let headers = js_sys::Object::new();
        super::set_prop(&headers, "If-None-Match", &JsValue::from_str(etag));
        super::set_prop(&init, "headers", &headers);
    }
    let swallow = swallow.as_ref();
    let fetched = window.fetch_with_str_and_init(url, init.unchecked_ref());
    let settled = super::call(&fetched, "catch", &[swallow]);
    let swallow = swallow.clone();
    // Closures of the tracker's listener type (`Fn` of three values; the promises pass
    // one), owned by JavaScript and freed when collected, rather than one-shot ones: no
    // one-shot or `FnMut` closure glue in the bundle.
    // Each promise calls its handler once; `Cell::take` keeps `done` a one-time call
    // regardless, and cannot fail if a handler were entered again.
    let done = Cell::new(Some(done));
    let on_response = Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(
        move |response: JsValue, _: JsValue, _: JsValue| {
            let Some(done) = done.take() else {
                return;
            };
            let (status, _) = response_status(&response);
            if status != 200 {
                return done(None);
            }
            let etag = Cell::new(header(&response, "etag"));
            // Any promise (a `then` method) rather than an `instanceof` check: no binding.
            let text = super::call(&response, "text", &[]);
            if !super::prop(&text, "then").is_function() {
                return done(None);
            }
            let done = Cell::new(Some(done));
            let on_text = Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(
                move |body: JsValue, _: JsValue, _: JsValue| {
                    if let Some(done) = done.take() {
                        done(body.as_string().map(|body| (body, etag.take())));
                    }
                },
            )
            .into_js_value();
            let text = super::call(&text, "catch", &[&swallow]);
            super::call(&text, "then", &[&on_text]);
        },
    )
    .into_js_value();
    super::call(&settled, "then", &[&on_response]);
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

/// `response.headers.get(name)` through `Reflect`, as `response_status` reads it: no web-sys
/// `Response` or `Headers` binding in the glue; `None` for a missing header.
fn header(response: &JsValue, name: &str) -> Option<String> {
    let headers = super::prop(response, "headers");
    super::call(&headers, "get", &[&JsValue::from_str(name)]).as_string()
}

/// `navigator.onLine`; true when the browser does not say.
pub fn is_online() -> bool {
    super::window().is_none() || super::global("navigator.onLine").is_truthy()
}
