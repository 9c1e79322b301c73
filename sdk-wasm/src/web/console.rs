//! The one place the tracker talks to the developer: console warnings with a common prefix.

/// Logs `[orbit] message` as a console warning.
pub fn warn(message: &str) {
    let mut text = alloc::string::String::from("[orbit] ");
    text.push_str(message);
    web_sys::console::warn_1(&text.into());
}

/// Logs `[orbit] message` at debug level (shown only with `orbit('debug', true)`).
pub fn debug(message: &str, detail: &wasm_bindgen::JsValue) {
    let mut text = alloc::string::String::from("[orbit] ");
    text.push_str(message);
    web_sys::console::log_2(&text.into(), detail);
}
