//! Sends batches to the collector as CORS-simple requests: `fetch` with `keepalive`, a
//! `text/plain` body and the write key in the query, so no preflight is needed.

use alloc::string::String;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

/// The URL a batch is posted to.
pub fn batch_url(endpoint: &str, write_key: &str) -> String {
    let mut url = String::from(endpoint);
    url.push_str("/v1/batch?key=");
    let encoded: String = js_sys::encode_uri_component(write_key).into();
    url.push_str(&encoded);
    url
}

/// Posts `body` to `url`; returns false when the request could not even be started.
/// A failed delivery is caught by `on_failure` so it never shows as an unhandled rejection.
pub fn post(url: &str, body: &str, on_failure: &Closure<dyn FnMut(JsValue)>) -> bool {
    let Some(window) = super::window() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    // Not in web-sys's RequestInit yet; keepalive lets the request outlive the page.
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let promise = window.fetch_with_str_and_init(url, &init);
    let _ = promise.catch(on_failure);
    true
}
