//! The one place the tracker talks to the developer: console warnings with a common prefix.

/// Logs `[orbit] message` as a console warning.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&prefixed(message));
}

/// Logs `[orbit] message` at debug level (shown only with `orbit('debug', true)`).
pub fn debug(message: &str, detail: &wasm_bindgen::JsValue) {
    web_sys::console::log_2(&prefixed(message), detail);
}

/// Logs `[orbit] message` at debug level with no detail: alone, not followed by `undefined`.
pub fn note(message: &str) {
    web_sys::console::log_1(&prefixed(message));
}

/// `[orbit] message`, the common prefix written once.
fn prefixed(message: &str) -> wasm_bindgen::JsValue {
    let mut text = alloc::string::String::from("[orbit] ");
    text.push_str(message);
    text.into()
}
