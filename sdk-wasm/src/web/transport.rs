//! Sends batches to the collector as CORS-simple requests: `fetch` with `keepalive`, a
//! `text/plain` body and the write key in the query, so no preflight is needed; and
//! `sendBeacon` when the page is going away and `fetch` cannot be started.

use alloc::string::String;
use wasm_bindgen::JsValue;

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
pub fn get_text(
    url: &str,
    etag: Option<&str>,
    swallow: &wasm_bindgen::closure::Closure<dyn FnMut(JsValue)>,
    done: OnAnswer,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(window) = super::window() else {
        return done(None);
    };
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    if let Some(etag) = etag {
        let headers = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &headers,
            &JsValue::from_str("If-None-Match"),
            &JsValue::from_str(etag),
        );
        let _ = js_sys::Reflect::set(&init, &JsValue::from_str("headers"), &headers);
    }
    let settled = window.fetch_with_str_and_init(url, &init).catch(swallow);
    let swallow: js_sys::Function = swallow.as_ref().clone().unchecked_into();
    let on_response = Closure::once_into_js(move |response: JsValue| {
        let (status, _) = response_status(&response);
        if status != 200 {
            return done(None);
        }
        let etag = response
            .dyn_ref::<web_sys::Response>()
            .and_then(|r| r.headers().get("etag").ok().flatten());
        let Ok(text) = super::call(&response, "text", &[]).dyn_into::<js_sys::Promise>() else {
            return done(None);
        };
        let on_text = Closure::once_into_js(move |body: JsValue| {
            done(body.as_string().map(|body| (body, etag)));
        });
        let text = super::call(&text, "catch", &[&swallow]);
        super::call(&text, "then", &[&on_text]);
    });
    super::call(&settled, "then", &[&on_response]);
}

/// Posts `body` to `url`: the promise of the `Response`, or `None` when the request could
/// not even be started. `keepalive` lets the request outlive the page, but browsers allow
/// only 64 KB of such bodies in flight, so it is used only when the page is going away.
pub fn post(url: &str, body: &str, keepalive: bool) -> Option<js_sys::Promise> {
    let window = super::window()?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    if keepalive {
        // Not in web-sys's RequestInit yet.
        let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    }
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let promise = window.fetch_with_str_and_init(url, &init);
    Some(promise)
}

/// `navigator.sendBeacon(url, body)`: queued by the browser even as the page unloads.
pub fn beacon(url: &str, body: &str) -> bool {
    super::window()
        .and_then(|w| w.navigator().send_beacon_with_opt_str(url, Some(body)).ok())
        .unwrap_or(false)
}

/// The status of a fetch `Response`, and its `Retry-After` header.
pub fn response_status(response: &JsValue) -> (u16, Option<String>) {
    use wasm_bindgen::JsCast;
    let Some(response) = response.dyn_ref::<web_sys::Response>() else {
        return (0, None);
    };
    let retry_after = response.headers().get("retry-after").ok().flatten();
    (response.status(), retry_after)
}

/// `navigator.onLine`; true when the browser does not say.
pub fn is_online() -> bool {
    super::window().is_none_or(|w| w.navigator().on_line())
}
