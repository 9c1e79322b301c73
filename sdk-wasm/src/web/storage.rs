//! First-party cookie and localStorage access. Either may throw (disabled cookies, Safari
//! private mode, quota): every failure is treated as "nothing stored".

use alloc::string::String;
use wasm_bindgen::JsValue;

// `document.cookie` through `Reflect` (which the tracker binds anyway) rather than
// web-sys's HtmlDocument: fewer bindings in the glue. Without a document, `Reflect` throws,
// which reads as no cookies and a refused write.
fn document() -> JsValue {
    super::global("document")
}

/// The whole `document.cookie` text.
pub fn cookies() -> Option<String> {
    super::prop_string(&document(), "cookie")
}

/// Assigns `document.cookie`; false when the browser refused (it throws in sandboxes).
pub fn set_cookie(assignment: &str) -> bool {
    super::set_prop(&document(), "cookie", &JsValue::from_str(assignment))
}

const LOCAL: &str = "localStorage";
const SESSION: &str = "sessionStorage";

/// `window.localStorage` or `window.sessionStorage` (`name`), or `undefined` when reading it
/// throws (storage disabled). One function for both: a smaller bundle. Whatever it gives,
/// a method call on it that fails (on `undefined` or `null`) reads as nothing stored.
fn storage(name: &str) -> JsValue {
    super::global(name)
}

// Reading, listing and removing go through `web::call` (shared with every other method
// call): no glue shim each. Writing keeps its binding, which tells a refused write apart.
fn get(name: &str, key: &str) -> Option<String> {
    super::call(&storage(name), "getItem", &[&JsValue::from_str(key)]).as_string()
}

fn set(name: &str, key: &str, value: &str) -> bool {
    use wasm_bindgen::JsCast;
    storage(name)
        .unchecked_into::<web_sys::Storage>()
        .set_item(key, value)
        .is_ok()
}

/// Reads a localStorage item.
pub fn local_get(key: &str) -> Option<String> {
    get(LOCAL, key)
}

/// Writes a localStorage item; false when storage is unavailable or full.
pub fn local_set(key: &str, value: &str) -> bool {
    set(LOCAL, key, value)
}

/// Removes a localStorage item.
pub fn local_remove(key: &str) {
    super::call(&storage(LOCAL), "removeItem", &[&JsValue::from_str(key)]);
}

/// Every localStorage key that starts with `prefix`.
pub fn local_keys(prefix: &str) -> alloc::vec::Vec<String> {
    let mut keys = alloc::vec::Vec::new();
    let storage = storage(LOCAL);
    let count = super::length(&storage);
    for i in 0..count {
        if let Some(key) = super::call(&storage, "key", &[&JsValue::from(i)]).as_string() {
            if key.starts_with(prefix) {
                keys.push(key);
            }
        }
    }
    keys
}

/// Reads a sessionStorage item (per tab, kept across the tab's navigations).
pub fn session_get(key: &str) -> Option<String> {
    get(SESSION, key)
}

/// Writes a sessionStorage item; false when unavailable.
pub fn session_set(key: &str, value: &str) -> bool {
    set(SESSION, key, value)
}

/// Stores `body` under `key` for `owner` (a visitor, a site): the owner, a line break, the
/// body, which [`owned`] gives back to the same owner only.
pub fn store_owned(key: &str, owner: &str, body: &str) {
    let mut stored = String::from(owner);
    stored.push('\n');
    stored.push_str(body);
    local_set(key, &stored);
}

/// What [`store_owned`] stored under `key`, if it was for `owner`.
pub fn owned(key: &str, owner: &str) -> Option<String> {
    let mut stored = local_get(key)?;
    let (first, _) = orbit_core::text::split_once(&stored, b'\n')?;
    (first == owner).then(|| stored.split_off(owner.len() + 1))
}
