//! Form tracking: `Form Started`, `Form Field Changed`, `Form Error`, `Form Submitted` and
//! `Form Abandoned` for every form on the page, including forms added later (the listeners
//! sit on the window, in the capture phase, so no form needs to be found first).
//!
//! js/forms.js reads the page (listeners, fields, timing, each form's progress: smaller as
//! JavaScript than as wasm reading each property through an import) and hands every event
//! to [`on_message`]; this side keeps what must agree with the collector or the rules:
//! which values may be sent, the visitor's form counts, and lead identification.
//!
//! Values are never sent unless a field opts in with `data-orbit-capture`, and never for
//! password, hidden, payment or national-id fields or values that look like a card number
//! or a national id ([`orbit_core::forms`]). `data-orbit-ignore` on a field or a form
//! leaves it out entirely.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use orbit_core::forms::{
    is_email_field, is_secret_type, is_sensitive_name, normalize_email, value_is_sendable,
    FORM_ABANDONED, FORM_ERROR, FORM_FIELD_CHANGED, FORM_STARTED, FORM_SUBMITTED,
    MAX_CAPTURED_VALUE_CHARS,
};
use orbit_core::json::{push_json_string, JsonWriter};
use orbit_core::sha256::sha256_hex;
use orbit_core::text::{prefix_chars, split, split_once};
use wasm_bindgen::{JsCast, JsValue};

use crate::events::EventBody;
use crate::web::{dom, length};
use crate::{enqueue, touch_session, Mode, Shared, State};

/// localStorage key of the visitor's form counts (for rules): `started|submitted|id,id`.
pub const FORM_COUNTS_KEY: &str = "orbit_forms";
/// Most submitted form ids remembered for rules (`forms_submitted_ids`).
pub const MAX_REMEMBERED_FORMS: usize = 20;

/// How many forms the visitor started and submitted, across visits, for rules.
#[derive(Debug, Default)]
pub struct FormCounts {
    /// Forms started.
    pub started: u32,
    /// Forms submitted.
    pub submitted: u32,
    /// The ids of the forms submitted (the last [`MAX_REMEMBERED_FORMS`]).
    pub submitted_ids: Vec<String>,
}

impl FormCounts {
    /// Reads the stored form `started|submitted|id,id`; anything unreadable counts as none.
    pub fn decode(text: &str) -> FormCounts {
        // Byte splits, as `splitn(3, '|')` would cut (no `char` pattern searchers).
        let (started, rest) = split_once(text, b'|').unwrap_or((text, ""));
        let (submitted, ids) = split_once(rest, b'|').unwrap_or((rest, ""));
        let mut submitted_ids = Vec::new();
        for id in split(ids, b',') {
            if !id.is_empty() {
                submitted_ids.push(String::from(id));
            }
        }
        FormCounts {
            started: count(started),
            submitted: count(submitted),
            submitted_ids,
        }
    }

    /// The stored form (ids lose `,` and `|`, which separate them).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        orbit_core::json::push_u64(&mut out, u64::from(self.started));
        out.push('|');
        orbit_core::json::push_u64(&mut out, u64::from(self.submitted));
        out.push('|');
        for (i, id) in self.submitted_ids.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // The pieces between separators, pushed whole: no character-by-character filter.
            for piece in split(id, b',') {
                for piece in split(piece, b'|') {
                    out.push_str(piece);
                }
            }
        }
        out
    }

    fn submitted(&mut self, id: &str) {
        self.submitted += 1;
        // As `retain` would, in less code: every copy of the id goes.
        while let Some(at) = self.submitted_ids.iter().position(|i| i == id) {
            self.submitted_ids.remove(at);
        }
        self.submitted_ids.push(String::from(id));
        if self.submitted_ids.len() > MAX_REMEMBERED_FORMS {
            self.submitted_ids.remove(0);
        }
    }
}

/// A stored count, or 0 when unreadable.
fn count(text: &str) -> u32 {
    let n = orbit_core::tracker::parse_u64(text);
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// Stores the counts, where the visitor's browser may be written to.
fn store_counts(state: &crate::State) {
    if state.mode == Mode::Tracking {
        crate::web::storage::local_set(FORM_COUNTS_KEY, &state.form_counts.encode());
    }
}

/// A form field as js/forms.js describes it, with what deciding on its value needs.
struct Field {
    name: String,
    kind: String,
    /// Its `id` and `autocomplete` attributes (empty without).
    id: String,
    autocomplete: String,
    /// It has `data-orbit-capture`.
    capture: bool,
    /// Its form has `data-orbit-hash-email`.
    hash: bool,
    /// Its value (a checkbox's or radio's is empty unless checked), if a string.
    value: Option<String>,
}

impl Field {
    /// Reads js/forms.js's array: `[name, type, id, autocomplete, capture, hash, value, …]`.
    fn read(field: &JsValue) -> Field {
        let field: &js_sys::Array = field.unchecked_ref();
        let text = |i| field.get(i).as_string().unwrap_or_default();
        Field {
            name: text(0),
            kind: text(1),
            id: text(2),
            autocomplete: text(3),
            capture: field.get(4).is_truthy(),
            hash: field.get(5).is_truthy(),
            value: field.get(6).as_string(),
        }
    }
}

/// The fields of js/forms.js's list, read one at a time (kept in no `Vec`: less code).
fn fields(list: &JsValue) -> impl Iterator<Item = Field> + '_ {
    let list: &js_sys::Array = list.unchecked_ref();
    (0..length(list)).map(|i| Field::read(&list.get(i)))
}

/// Starts js/forms.js's listeners (page-lifetime, like the listener they call).
pub(crate) fn install(shared: &Rc<Shared>) {
    let listener = crate::event_callback(Rc::downgrade(shared), on_message);
    let tracking = shared.state.borrow().mode != Mode::Off;
    let forms = dom::watch_forms(listener.as_ref(), tracking);
    shared.state.borrow_mut().forms = forms;
    shared.listeners.borrow_mut().push(listener);
}

/// The visitor consented (true) or refused: js/forms.js records nothing for this tracker
/// while it is off.
pub(crate) fn tracking(state: &State, on: bool) {
    dom::forms_on(&state.forms, on);
}

/// One event from js/forms.js: `[kind, properties, …]`, kind numbering Form Started, Form
/// Field Changed (then the field), Form Error, Form Submitted (then the fields and the
/// form's id) and Form Abandoned; properties a JSON object's text, to which the value the
/// field may send, or whether the submission made a lead, is added here.
fn on_message(shared: &Rc<Shared>, message: &JsValue) {
    let message: &js_sys::Array = message.unchecked_ref();
    let mut properties = message.get(1).as_string().unwrap_or_default();
    // The closing brace goes back last, after what is added here (`truncate`, not `pop`:
    // no character decoding; the text is JSON.stringify's, ending in an ASCII `}`).
    properties.truncate(properties.len().saturating_sub(1));
    let kind = message.get(0).as_f64().unwrap_or(0.0);
    let event = if kind == 0.0 {
        let mut state = shared.state.borrow_mut();
        state.form_counts.started += 1;
        store_counts(&state);
        FORM_STARTED
    } else if kind == 1.0 {
        let field = Field::read(&message.get(2));
        if let Some(value) = field
            .value
            .as_deref()
            .and_then(|v| capturable(shared, &field, v))
        {
            properties.push_str(",\"value\":");
            push_json_string(&mut properties, value);
        }
        FORM_FIELD_CHANGED
    } else if kind == 3.0 {
        let form_id = message.get(3).as_string().unwrap_or_default();
        {
            let mut state = shared.state.borrow_mut();
            state.form_counts.submitted(&form_id);
            store_counts(&state);
        }
        let lead = identify_lead(shared, &form_id, &message.get(2));
        properties.push_str(if lead {
            ",\"lead\":true"
        } else {
            ",\"lead\":false"
        });
        FORM_SUBMITTED
    } else if kind == 2.0 {
        FORM_ERROR
    } else {
        FORM_ABANDONED
    };
    properties.push('}');
    crate::track_event(shared, event, &properties);
}

/// `orbit('formSubmitted', formElement)`, for forms that submit through JavaScript.
pub(crate) fn submitted_command(shared: &Rc<Shared>, form: &JsValue) -> Result<(), &'static str> {
    if dom::form_submitted(&watched(shared), form).unwrap_or(false) {
        Ok(())
    } else {
        Err("orbit('formSubmitted', form): form must be a <form> element")
    }
}

/// `orbit('track', 'Form Submitted', {form_id})`, for forms whose page reports the submission
/// itself: the form is done (no `Form Abandoned` when the page is left) and counts as
/// submitted for the rules, as a submit event would. Lead capture needs the form's fields:
/// `orbit('formSubmitted', form)` does that.
pub(crate) fn tracked_submission(shared: &Rc<Shared>, properties: &JsValue) {
    let Some(id) = crate::web::prop(properties, "form_id").as_string() else {
        return;
    };
    if !id.is_empty() && dom::form_done(&watched(shared), &id) {
        let mut state = shared.state.borrow_mut();
        state.form_counts.submitted(&id);
        store_counts(&state);
    }
}

/// With `data-lead-capture`, a submitted form with a valid email identifies the visitor:
/// `identify` with the email (or its SHA-256) and the captured fields as traits.
fn identify_lead(shared: &Rc<Shared>, form_id: &str, list: &JsValue) -> bool {
    let enabled = {
        let state = shared.state.borrow();
        state.config.lead_capture && matches!(state.mode, Mode::Tracking | Mode::AwaitingConsent)
    };
    if !enabled {
        return false;
    }
    let Some((hash, email)) = fields(list)
        .filter(|f| is_email(f) && !is_secret(f))
        .find_map(|f| {
            Some((
                hashes_emails(shared, &f),
                normalize_email(f.value.as_deref()?)?,
            ))
        })
    else {
        return false;
    };
    let mut w = JsonWriter::new();
    w.begin_object();
    if hash {
        w.string_member("email_sha256", &sha256_hex(email.as_bytes()));
    } else {
        w.string_member("email", &email);
    }
    for field in fields(list) {
        if is_email(&field) {
            continue;
        }
        if let Some(value) = field
            .value
            .as_deref()
            .and_then(|v| capturable(shared, &field, v))
        {
            w.string_member(&field.name, value);
        }
    }
    w.end_object();
    touch_session(shared);
    enqueue(
        shared,
        EventBody::Identify {
            form_id: Some(form_id),
        },
        Some(&w.finish()),
    );
    true
}

/// `Form Abandoned` for every form started and not submitted, once per form: on page hide
/// (closing the tab) and before an SPA navigation.
pub(crate) fn send_abandoned(shared: &Rc<Shared>) {
    dom::forms_left(&watched(shared), false);
}

/// A new page view (SPA navigation): forms left behind are abandoned, and counting starts
/// afresh.
pub(crate) fn page_changed(shared: &Rc<Shared>) {
    dom::forms_left(&watched(shared), true);
}

/// This tracker's record in js/forms.js, out of the state: the calls that take it hand
/// events back to the tracker, which borrows the state again.
fn watched(shared: &Rc<Shared>) -> JsValue {
    shared.state.borrow().forms.clone()
}

/// Whether lead emails are sent hashed: `data-hash-email` on the script, or
/// `data-orbit-hash-email` on the field's form.
fn hashes_emails(shared: &Rc<Shared>, field: &Field) -> bool {
    shared.state.borrow().config.hash_email || field.hash
}

fn is_email(field: &Field) -> bool {
    is_email_field(&field.kind, &field.name, &field.autocomplete)
}

/// Whether the field's value must never be read beyond emptiness.
fn is_secret(field: &Field) -> bool {
    is_secret_type(&field.kind)
        || is_sensitive_name(&field.name)
        || is_sensitive_name(&field.id)
        || is_sensitive_name(&field.autocomplete)
}

/// The value to send for a field that opted in (`data-orbit-capture`, or the rule document's
/// `capture` list), if it may be sent (an email's is not, when emails are sent hashed):
/// trimmed and cut, borrowed from `value` (no copy).
fn capturable<'v>(shared: &Rc<Shared>, field: &Field, value: &'v str) -> Option<&'v str> {
    // `str::trim` would add a reverse searcher.
    let value = orbit_core::text::trim(value);
    let listed = shared.state.borrow().personal.captures(&field.name);
    let opted_in = listed || field.capture;
    let forbidden = is_secret(field) || (hashes_emails(shared, field) && is_email(field));
    let allowed = opted_in && !forbidden && !value.is_empty() && value_is_sendable(value);
    allowed.then(|| prefix_chars(value, MAX_CAPTURED_VALUE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_js_holds_the_limits_and_validity_kinds_of_orbit_core() {
        let js = include_str!("../js/forms.js");
        for line in [
            format!(
                "const MAX_FORM_NAME_CHARS = {};\n",
                orbit_core::forms::MAX_FORM_NAME_CHARS
            ),
            format!(
                "const VALIDITY_KINDS = '{}';\n",
                orbit_core::forms::VALIDITY_KINDS
            ),
        ] {
            assert!(js.contains(&line), "forms.js should hold {line}");
        }
    }

    #[test]
    fn form_counts_survive_their_stored_form() {
        let mut counts = FormCounts::decode("");
        assert_eq!((counts.started, counts.submitted), (0, 0));
        counts.started = 3;
        counts.submitted("signup");
        counts.submitted("demo|x,y");
        counts.submitted("signup");
        let text = counts.encode();
        assert_eq!(text, "3|3|demoxy,signup");
        let back = FormCounts::decode(&text);
        assert_eq!((back.started, back.submitted), (3, 3));
        assert_eq!(back.submitted_ids, ["demoxy", "signup"]);
        assert_eq!(
            FormCounts::decode("x|y").started,
            0,
            "unreadable counts as none"
        );
        let extra = FormCounts::decode("1|2|a|b,,c");
        assert_eq!((extra.started, extra.submitted), (1, 2));
        assert_eq!(extra.submitted_ids, ["a|b", "c"], "only two `|` separate");
    }
}
