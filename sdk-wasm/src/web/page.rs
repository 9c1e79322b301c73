//! Reads what the page says about itself: location, title, referrer, browser, screen.

use crate::events::PageInfo;
use alloc::string::String;
use wasm_bindgen::JsValue;

/// What changes as the visitor navigates: location, title, referrer. The rest of `base`
/// (browser, language, time zone, screen) is read once by [`info`].
pub fn refresh(base: &PageInfo) -> PageInfo {
    let mut info = base.clone();
    let Some(window) = super::window() else {
        return info;
    };
    let location = window.location();
    info.url = location.href().unwrap_or_default();
    info.path = location.pathname().unwrap_or_default();
    info.search = location.search().unwrap_or_default();
    if let Some(document) = window.document() {
        info.title = document.title();
        info.referrer = document.referrer();
    }
    info
}

/// A full snapshot of the page; fields the browser won't give stay empty. Reading the time
/// zone builds an `Intl.DateTimeFormat`, which is slow, so this runs once per page load.
pub fn info() -> PageInfo {
    let mut info = refresh(&PageInfo::default());
    let Some(window) = super::window() else {
        return info;
    };
    let navigator = window.navigator();
    info.user_agent = navigator.user_agent().unwrap_or_default();
    info.locale = navigator.language().unwrap_or_default();
    info.timezone = timezone().unwrap_or_default();
    if let Ok(screen) = window.screen() {
        let width = screen.width().unwrap_or(0).max(0) as u32;
        let height = screen.height().unwrap_or(0).max(0) as u32;
        info.screen = (width, height);
    }
    info
}

/// Whether the page was served over https (cookies then get `Secure`).
pub fn is_https() -> bool {
    super::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "https:")
}

fn timezone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    let options = format.resolved_options();
    js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()?
        .as_string()
}

/// `location.href`.
pub fn href() -> String {
    super::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}
