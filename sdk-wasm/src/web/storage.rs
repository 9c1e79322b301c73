//! First-party cookie and localStorage access. Either may throw (disabled cookies, Safari
//! private mode, quota): every failure is treated as "nothing stored".

use alloc::string::String;
use wasm_bindgen::JsCast;

fn html_document() -> Option<web_sys::HtmlDocument> {
    super::window()?.document()?.dyn_into().ok()
}

/// The whole `document.cookie` text.
pub fn cookies() -> Option<String> {
    html_document()?.cookie().ok()
}

/// Assigns `document.cookie`; false when the browser refused.
pub fn set_cookie(assignment: &str) -> bool {
    html_document().is_some_and(|d| d.set_cookie(assignment).is_ok())
}

fn local_storage() -> Option<web_sys::Storage> {
    super::window()?.local_storage().ok()?
}

/// Reads a localStorage item.
pub fn local_get(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

/// Writes a localStorage item; false when storage is unavailable or full.
pub fn local_set(key: &str, value: &str) -> bool {
    local_storage().is_some_and(|s| s.set_item(key, value).is_ok())
}
