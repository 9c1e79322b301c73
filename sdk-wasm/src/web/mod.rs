//! Everything that touches the browser (web-sys, js-sys). Each function fails soft: a
//! missing API or a throwing one yields `None`/`false`, never an exception into the page.

pub mod console;
pub mod page;
pub mod random;
pub mod storage;
pub mod transport;

/// The browser window, when there is one (not in a worker).
pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// `Date.now()` in whole milliseconds.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
