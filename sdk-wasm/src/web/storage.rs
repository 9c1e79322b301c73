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

/// Removes a localStorage item.
pub fn local_remove(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// Every localStorage key that starts with `prefix`.
pub fn local_keys(prefix: &str) -> alloc::vec::Vec<String> {
    let mut keys = alloc::vec::Vec::new();
    let Some(storage) = local_storage() else {
        return keys;
    };
    let count = storage.length().unwrap_or(0);
    for i in 0..count {
        if let Ok(Some(key)) = storage.key(i) {
            if key.starts_with(prefix) {
                keys.push(key);
            }
        }
    }
    keys
}

fn session_storage() -> Option<web_sys::Storage> {
    super::window()?.session_storage().ok()?
}

/// Reads a sessionStorage item (per tab, kept across the tab's navigations).
pub fn session_get(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok()?
}

/// Writes a sessionStorage item; false when unavailable.
pub fn session_set(key: &str, value: &str) -> bool {
    session_storage().is_some_and(|s| s.set_item(key, value).is_ok())
}
