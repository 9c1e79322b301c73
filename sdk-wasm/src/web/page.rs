//! Reads what the page says about itself: location, title, referrer, browser, screen.

use crate::events::{PageInfo, PageLocation};
use alloc::string::String;
use orbit_core::json::JsonWriter;
use wasm_bindgen::JsValue;

use super::global;

/// [`global`] when it is a string.
fn global_string(path: &str) -> Option<String> {
    global(path).as_string()
}

/// [`global`] when it is a string, else empty.
#[inline(never)]
fn global_text(path: &str) -> String {
    global_string(path).unwrap_or_default()
}

/// [`global`] when it is a number, else 0.
#[inline(never)]
fn global_number(path: &str) -> f64 {
    global(path).as_f64().unwrap_or(0.0)
}

/// What changes as the visitor navigates, all an event's page fields need: location, title,
/// referrer. The rest (browser, language, time zone, screen) is read once by [`info`].
pub fn location() -> PageLocation {
    let mut w = JsonWriter::new();
    w.string_member("path", &global_text("location.pathname"));
    w.string_member("referrer", &global_text("document.referrer"));
    w.string_member("search", &global_text("location.search"));
    w.string_member("title", &global_text("document.title"));
    w.string_member("url", &global_text("location.href"));
    PageLocation::from_members(w.finish())
}

/// What the browser says about itself (each event reads its [`location`]); fields the
/// browser won't give stay empty, and so does the time zone where only [`timezone`] can
/// read it. Runs once per page load.
pub fn info() -> PageInfo {
    let size = |path| global_number(path).max(0.0) as u32;
    PageInfo {
        user_agent: global_text("navigator.userAgent"),
        utc_offset_min: -(date_get(&date_now(), "getTimezoneOffset") as i32),
        locale: global_text("navigator.language"),
        timezone: quick_timezone().unwrap_or_default(),
        screen: (size("screen.width"), size("screen.height")),
    }
}

/// `new Date()`, made with the bindings `iso_time` uses: no binding of its own.
fn date_now() -> JsValue {
    js_sys::Date::new(&JsValue::from_f64(super::now_ms() as f64)).into()
}

/// `date[method]()` for a `Date` getter, called through `Reflect` rather than a binding each.
fn date_get(date: &JsValue, method: &str) -> f64 {
    super::call(date, method, &[]).as_f64().unwrap_or(0.0)
}

/// `location.hostname` (no port).
pub fn hostname() -> Option<String> {
    global_string("location.hostname")
}

/// Whether the page was served over https (cookies then get `Secure`).
pub fn is_https() -> bool {
    global_string("location.protocol").is_some_and(|p| p == "https:")
}

/// The IANA time zone from `Temporal.Now.timeZoneId()`, which costs ~0.1 ms where the
/// browser has Temporal (Chromium 144+, Firefox 139+); `None` elsewhere.
pub fn quick_timezone() -> Option<String> {
    // Without Temporal the reads give `undefined` and the call `undefined`: `None`.
    super::call(&global("Temporal.Now"), "timeZoneId", &[])
        .as_string()
        .filter(|t| !t.is_empty())
}

/// The IANA time zone (`Europe/Paris`) where there is no Temporal. The first
/// `Intl.DateTimeFormat` of a page costs 30–60 ms (the browser loads its locale data), so
/// this is read when the page is idle and kept for the next visits.
pub fn timezone() -> Option<String> {
    // `Intl.DateTimeFormat().resolvedOptions().timeZone`, called through `Reflect` (the
    // constructor may be called without `new`): no bindings of its own in the glue.
    let format = super::call(&global("Intl"), "DateTimeFormat", &[]);
    super::prop_string(&super::call(&format, "resolvedOptions", &[]), "timeZone")
}

/// The value of the query parameter `name` in the page's URL.
pub fn query_param(name: &str) -> Option<String> {
    orbit_core::enrich::campaign::query_param(&href(), name)
}

/// `location.href`.
pub fn href() -> String {
    global_text("location.href")
}

/// How far down the page the visitor has seen, in percent of the document's height.
pub fn scroll_depth_pct() -> u32 {
    let height = global_number("document.documentElement.scrollHeight");
    if height <= 0.0 {
        return 0;
    }
    let seen = global_number("scrollY") + global_number("innerHeight");
    (seen * 100.0 / height).clamp(0.0, 100.0) as u32
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A `URL` object.
    type Url;
    /// `new URL(link, base)`, given the page's values as they are: no string copies.
    #[wasm_bindgen(catch, constructor, js_class = "URL")]
    fn new(link: &JsValue, base: &JsValue) -> Result<Url, JsValue>;
}

/// A link's absolute URL when it leaves this site (http or https, another host); `link` is
/// the `href` attribute's value (`null` gives `None`: it resolves to this site).
pub fn outbound_link(link: &JsValue) -> Option<String> {
    let url = Url::new(link, &global("location.href")).ok()?;
    let protocol = super::prop_string(&url, "protocol")?;
    // The page's own host is `location.host`, as a URL made from its href would give.
    if !(protocol == "http:" || protocol == "https:")
        // Compared in JavaScript (`===`): no copies of the two host names.
        || super::prop(&url, "host") == global("location.host")
    {
        return None;
    }
    super::prop_string(&url, "href")
}

/// Whether the visitor asked not to be tracked: Do Not Track (`navigator.doNotTrack` is
/// "1") or Global Privacy Control (`navigator.globalPrivacyControl` is true).
pub fn asks_not_to_be_tracked() -> bool {
    let dnt = global_string("navigator.doNotTrack");
    // `=== true` (the comparison the tracker binds anyway): no boolean-reading binding.
    let gpc = global("navigator.globalPrivacyControl") == JsValue::TRUE;
    dnt.as_deref() == Some("1") || gpc
}

// In js/personalize.js, not a module of its own: see scripts/test on how many modules the
// browser tests can load.
#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/personalize.js")]
extern "C" {
    /// Where a redirect rule goes from this page: `target` resolved by the browser's URL
    /// parser (js/personalize.js; no resolver in the bundle), with the page's query parameters
    /// it does not set itself when `keep_query`; empty when it must not go (the same page,
    /// another scheme than http(s), mailto or tel, or no URL). Never throws. A plain value
    /// rather than a `String`, read with `as_string` like every other: no string-returning
    /// wrapper of its own in the glue.
    #[wasm_bindgen(js_name = redirectTarget)]
    pub fn redirect_target(target: &str, keep_query: bool) -> JsValue;
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/context.js")]
extern "C" {
    /// The visitor's local hour (0–23) and ISO weekday (1 Monday … 7 Sunday), the device
    /// (its index in `DeviceType`), browser and OS of `user_agent`, then `href`'s host, path
    /// and hash, the page's referrer and its domain, then each of `href`'s query parameters'
    /// name and value, as `VisitorContext::set_user_agent`, `set_url` and `set_referrer` give
    /// them, read by the browser's `Date` and URL parser and a few lines of JavaScript
    /// (js/context.js, which never throws): no URL parser or user-agent tables in the bundle.
    #[wasm_bindgen(js_name = pageContext)]
    pub fn page_context(href: &str, user_agent: &str) -> js_sys::Array;
}
