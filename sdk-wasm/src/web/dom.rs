//! The page's elements, for personalisation: find them, watch them, and change them with
//! js/personalize.js (DOM work is smaller as JavaScript than as wasm calling each method
//! through an import); and, for the same reason, the forms, which js/forms.js watches.
//! Methods are called through `Reflect` where web-sys would add one import (and glue) per
//! method; every failure is a `None`/no-op, never a throw.

use alloc::string::String;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use super::call;

/// `document` through the shared reader (`undefined` without one): no binding of its own.
fn document() -> JsValue {
    super::global("document")
}

/// `document[method](selector)`: `undefined` when the selector is invalid (it throws) or
/// there is no document.
fn select(method: &str, selector: &str) -> JsValue {
    call(&document(), method, &[&JsValue::from_str(selector)])
}

/// The first element matching `selector`. `querySelector` gives an element or `null`
/// (`undefined` when it threw), so no `instanceof` test (and its glue) is needed.
pub fn query(selector: &str) -> Option<Element> {
    let found = select("querySelector", selector);
    (!found.is_null_or_undefined()).then(|| found.unchecked_into())
}

/// `element.textContent`.
pub fn text(element: &Element) -> String {
    // Through `Reflect` (shared), not the web-sys binding: one glue shim fewer.
    super::prop_text(element, "textContent")
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/personalize.js")]
extern "C" {
    /// A tracker's record of its changes to the page, for [`apply`] and [`restore_all`]
    /// (js/personalize.js). Never throws: `catch` gives this import, and `restore_all`, a
    /// wrapper in the glue, which minify-names.mjs needs (an import wasm-bindgen would leave
    /// direct names a second module).
    #[wasm_bindgen(catch)]
    pub fn changes() -> Result<JsValue, JsValue>;

    /// Makes the planned change `plan`, of `kind`, on the elements matching `selector`, and
    /// makes it again where the page undid it (js/personalize.js, which never throws): 2 when
    /// the page fights back (the circuit breaker), 1 when the change is on some element, 0
    /// when on none.
    pub fn apply(
        changes: &JsValue,
        plan: u32,
        selector: &str,
        kind: u32,
        a: &str,
        b: &str,
        c: &str,
    ) -> u32;

    /// Calls `callback` with the records of every change to the document's elements
    /// (children, text, attributes); the observer, to read or stop, or `undefined` where
    /// there is no document to observe (js/personalize.js, which never throws).
    #[wasm_bindgen(js_name = observeDocument, catch)]
    pub fn observe_document(callback: &JsValue) -> Result<JsValue, JsValue>;

    /// Puts every element [`apply`] changed back, newest change first, and forgets them.
    #[wasm_bindgen(js_name = restoreAll, catch)]
    pub fn restore_all(changes: &JsValue) -> Result<(), JsValue>;

    /// Sets `attribute` on every element matching `slots` and removes the element `style`
    /// (js/personalize.js, which never throws).
    pub fn reveal(slots: &str, attribute: &str, style: &str);
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/sanitize.js")]
extern "C" {
    /// Never called from Rust: bound so that wasm-bindgen copies js/sanitize.js (rules' HTML,
    /// sanitised with the browser's parser) beside js/personalize.js, which imports it.
    #[wasm_bindgen(js_name = putHtml)]
    fn put_html(element: &Element, html: &str, position: &str) -> Option<Element>;
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/forms.js")]
extern "C" {
    /// Starts form tracking's listeners for the page's lifetime (js/forms.js, which never
    /// throws): each form event goes to `send` as `[kind, properties, …]`. The tracker's
    /// record, which the other calls take (each tracker on a page has its own).
    #[wasm_bindgen(js_name = watchForms)]
    pub fn watch_forms(send: &JsValue, tracking: bool) -> JsValue;

    /// Whether the tracker tracks: js/forms.js records nothing while it does not.
    #[wasm_bindgen(js_name = formsOn)]
    pub fn forms_on(forms: &JsValue, tracking: bool);

    /// Sends `Form Abandoned` for the forms started and not submitted; `reset` forgets the
    /// page view's forms.
    #[wasm_bindgen(js_name = formsLeft)]
    pub fn forms_left(forms: &JsValue, reset: bool);

    /// Submits `form` as its submit event would; false when it is not a form. Never throws:
    /// `catch` gives the import a wrapper in the glue, which minify-names.mjs needs (an
    /// import wasm-bindgen would leave direct names a second module).
    #[wasm_bindgen(js_name = formSubmitted, catch)]
    pub fn form_submitted(forms: &JsValue, form: &JsValue) -> Result<bool, JsValue>;

    /// Ends the form with id `id` as its submission would (no `Form Abandoned` later): the
    /// page tracked `Form Submitted` itself. Whether the tracker tracks.
    #[wasm_bindgen(js_name = formDone)]
    pub fn form_done(forms: &JsValue, id: &str) -> bool;
}

/// Redirects with `location.replace`, so the personalised page is not in the history.
pub fn replace_location(url: &str) {
    call(
        &super::global("location"),
        "replace",
        &[&JsValue::from_str(url)],
    );
}

#[cfg(test)]
mod tests {
    use orbit_core::limits::MAX_HTML_DEPTH;
    use orbit_core::rules::sanitize::{ALLOWED, DROP_WITH_CONTENT, GLOBAL_ATTRIBUTES, RAW_TEXT};
    use orbit_core::rules::url::{CODE_IN_CSS_VALUES, URL_ATTRIBUTES};

    #[test]
    fn the_browser_sanitiser_holds_the_rust_sanitisers_lists() {
        let js = include_str!("../../js/sanitize.js");
        let depth = MAX_HTML_DEPTH.to_string();
        for (name, value) in [
            ("ALLOWED", ALLOWED),
            ("GLOBAL_ATTRIBUTES", GLOBAL_ATTRIBUTES),
            ("RAW_TEXT", RAW_TEXT),
            ("DROP_WITH_CONTENT", DROP_WITH_CONTENT),
            ("URL_ATTRIBUTES", URL_ATTRIBUTES),
            ("CODE_IN_CSS_VALUES", CODE_IN_CSS_VALUES),
        ] {
            let line = format!("const {name} = '{value}';\n");
            assert!(js.contains(&line), "sanitize.js should hold {line}");
        }
        let line = format!("const MAX_HTML_DEPTH = {depth};\n");
        assert!(js.contains(&line), "sanitize.js should hold {line}");
    }
}
