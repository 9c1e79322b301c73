//! Reads what the page says about itself: location, title, referrer, browser, screen.

use crate::events::PageInfo;
use alloc::string::String;

/// What changes as the visitor navigates, all an event's page fields need: location, title,
/// referrer. The rest (browser, language, time zone, screen) is read once by [`info`].
pub fn location() -> PageInfo {
    let mut info = PageInfo::default();
    let Some(window) = super::window() else {
        return info;
    };
    // Read with `Reflect` (shared with every other property read) rather than one web-sys
    // binding each: a smaller glue and bundle.
    let location = window.location();
    let text = super::prop_text;
    info.url = text(&location, "href");
    info.path = text(&location, "pathname");
    info.search = text(&location, "search");
    if let Some(document) = window.document() {
        info.title = text(&document, "title");
        info.referrer = text(&document, "referrer");
    }
    info
}

/// A full snapshot of the page; fields the browser won't give stay empty, and so does the
/// time zone where only [`timezone`] can read it. Runs once per page load.
pub fn info() -> PageInfo {
    let mut info = location();
    let Some(window) = super::window() else {
        return info;
    };
    let navigator = window.navigator();
    info.user_agent = super::prop_text(&navigator, "userAgent");
    info.utc_offset_min = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    info.locale = super::prop_text(&navigator, "language");
    info.timezone = quick_timezone().unwrap_or_default();
    let screen = super::prop(&window, "screen");
    let size = |name| super::prop(&screen, name).as_f64().unwrap_or(0.0).max(0.0) as u32;
    info.screen = (size("width"), size("height"));
    info
}

/// `location.hostname` (no port).
pub fn hostname() -> Option<String> {
    let location = super::window()?.location();
    super::prop_string(location.as_ref(), "hostname")
}

/// Whether the page was served over https (cookies then get `Secure`).
pub fn is_https() -> bool {
    super::window()
        .and_then(|w| super::prop_string(&w.location(), "protocol"))
        .is_some_and(|p| p == "https:")
}

/// The IANA time zone from `Temporal.Now.timeZoneId()`, which costs ~0.1 ms where the
/// browser has Temporal (Chromium 144+, Firefox 139+); `None` elsewhere.
pub fn quick_timezone() -> Option<String> {
    let temporal = super::prop(&super::window()?.into(), "Temporal");
    if !temporal.is_object() {
        return None;
    }
    let now = super::prop(&temporal, "Now");
    super::call(&now, "timeZoneId", &[])
        .as_string()
        .filter(|t| !t.is_empty())
}

/// The IANA time zone (`Europe/Paris`) where there is no Temporal. The first
/// `Intl.DateTimeFormat` of a page costs 30–60 ms (the browser loads its locale data), so
/// this is read when the page is idle and kept for the next visits.
pub fn timezone() -> Option<String> {
    // `Intl.DateTimeFormat().resolvedOptions().timeZone`, called through `Reflect` (the
    // constructor may be called without `new`): no bindings of its own in the glue.
    let window = super::window()?;
    let format = super::call(&super::prop(&window, "Intl"), "DateTimeFormat", &[]);
    super::prop_string(&super::call(&format, "resolvedOptions", &[]), "timeZone")
}

/// `document.referrer`.
pub fn referrer() -> String {
    super::window()
        .and_then(|w| w.document())
        .and_then(|d| super::prop_string(&d, "referrer"))
        .unwrap_or_default()
}

/// The value of the query parameter `name` in the page's URL.
pub fn query_param(name: &str) -> Option<String> {
    orbit_core::enrich::campaign::query_param(&href(), name)
}

/// The visitor's local hour (0–23) and ISO weekday (1 = Monday … 7 = Sunday), for
/// time-based rules.
pub fn local_hour_and_weekday() -> (u8, u8) {
    let now = js_sys::Date::new_0();
    let day = now.get_day() as u8; // 0 = Sunday
    (now.get_hours() as u8, if day == 0 { 7 } else { day })
}

/// `location.href`.
pub fn href() -> String {
    super::window()
        .and_then(|w| super::prop_string(&w.location(), "href"))
        .unwrap_or_default()
}

/// How far down the page the visitor has seen, in percent of the document's height.
pub fn scroll_depth_pct() -> u32 {
    let Some(window) = super::window() else {
        return 0;
    };
    let Some(document) = window.document() else {
        return 0;
    };
    let number = |target: &wasm_bindgen::JsValue, name| super::prop(target, name).as_f64();
    let root = super::prop(&document, "documentElement");
    let height = number(&root, "scrollHeight").unwrap_or(0.0);
    if height <= 0.0 {
        return 0;
    }
    let seen =
        number(&window, "scrollY").unwrap_or(0.0) + number(&window, "innerHeight").unwrap_or(0.0);
    (seen * 100.0 / height).clamp(0.0, 100.0) as u32
}

/// A link's absolute URL, and whether it leaves this site (another host, http or https).
pub fn resolve_link(link: &str) -> Option<(String, bool)> {
    let location = super::window()?.location();
    let base = super::prop_string(&location, "href")?;
    let url = web_sys::Url::new_with_base(link, &base).ok()?;
    let text = |target: &wasm_bindgen::JsValue, name| super::prop_string(target, name);
    let protocol = text(&url, "protocol")?;
    let web = protocol == "http:" || protocol == "https:";
    // The page's own host is `location.host`, as a URL made from its href would give.
    let outbound = web && text(&url, "host") != text(&location, "host");
    Some((text(&url, "href")?, outbound))
}

/// Whether the visitor asked not to be tracked: Do Not Track (`navigator.doNotTrack` is
/// "1") or Global Privacy Control (`navigator.globalPrivacyControl` is true).
pub fn asks_not_to_be_tracked() -> bool {
    let Some(window) = super::window() else {
        return false;
    };
    let navigator = window.navigator();
    let dnt = super::prop_string(&navigator, "doNotTrack");
    let gpc = super::prop(&navigator, "globalPrivacyControl").as_bool() == Some(true);
    dnt.as_deref() == Some("1") || gpc
}
