//! Form tracking: `Form Started`, `Form Field Changed`, `Form Error`, `Form Submitted` and
//! `Form Abandoned` for every form on the page, including forms added later (the listeners
//! sit on the window, in the capture phase, so no form needs to be found first).
//!
//! Values are never read unless a field opts in with `data-orbit-capture`, and never for
//! password, hidden, payment or national-id fields or values that look like a card number
//! or a national id ([`orbit_core::forms`]). `data-orbit-ignore` on a field or a form
//! leaves it out entirely.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use orbit_core::forms::{
    is_email_field, is_secret_type, is_sensitive_name, normalize_email, value_is_sendable,
    FORM_ABANDONED, FORM_ERROR, FORM_FIELD_CHANGED, FORM_STARTED, FORM_SUBMITTED,
    MAX_CAPTURED_VALUE_CHARS, MAX_FORM_NAME_CHARS, VALIDITY_KINDS,
};
use orbit_core::json::JsonWriter;
use orbit_core::sha256::sha256_hex;
use orbit_core::text::{split, split_once};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::events::{truncate_chars, EventBody};
use crate::personalize::{attribute, same, within};
use crate::web::length;
use crate::{enqueue, now_u64, touch_session, web, Mode, Shared};

/// Attribute naming a form in reports, overriding its id and name.
pub const FORM_NAME_ATTRIBUTE: &str = "data-orbit-form";
/// Attribute that leaves a field or a whole form out of tracking.
pub const IGNORE_ATTRIBUTE: &str = "data-orbit-ignore";
/// Attribute that allows a field's value to be sent (never for sensitive fields).
pub const CAPTURE_ATTRIBUTE: &str = "data-orbit-capture";
/// Attribute on a form that hashes the lead's email even when the site does not.
pub const HASH_EMAIL_ATTRIBUTE: &str = "data-orbit-hash-email";

/// Window events the form listener handles (all in the capture phase: `invalid`, `focus`
/// and `blur` do not bubble, and the page's own handlers cannot stop them first), separated
/// by spaces; [`handle`] dispatches on their place in this list.
const EVENTS: &str = "submit focusin input change focusout invalid";

/// Control types that are not fields, separated by spaces (an empty type is none either).
const NOT_FIELDS: &str = "submit button reset image hidden fieldset output";

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

/// This page view's forms.
#[derive(Debug, Default)]
pub struct Forms {
    forms: Vec<FormState>,
}

/// One form's progress during the page view.
#[derive(Debug)]
struct FormState {
    id: String,
    started_ms: u64,
    /// Submitted, or reported abandoned: no `Form Abandoned` is due for it (any more).
    finished: bool,
    last_field: String,
    fields: Vec<FieldState>,
}

/// One field's progress.
#[derive(Debug, Default)]
struct FieldState {
    name: String,
    focused_since: Option<u64>,
    time_ms: u64,
    corrections: u32,
    changed: bool,
    completed: bool,
}

impl FormState {
    fn field(&mut self, name: &str) -> &mut FieldState {
        let index = match self.fields.iter().position(|f| f.name == name) {
            Some(index) => index,
            None => {
                self.fields.push(FieldState {
                    name: String::from(name),
                    ..FieldState::default()
                });
                self.fields.len() - 1
            }
        };
        &mut self.fields[index]
    }

    fn completed_fields(&self) -> u64 {
        self.fields.iter().filter(|f| f.completed).count() as u64
    }
}

impl Forms {
    fn get(&mut self, id: &str) -> Option<&mut FormState> {
        self.forms.iter_mut().find(|f| f.id == id)
    }

    /// Starts tracking the form at its first field; false when it had started already.
    fn start(&mut self, id: &str, field: &str, now: u64) -> bool {
        if self.get(id).is_some() {
            return false;
        }
        self.forms.push(FormState {
            id: String::from(id),
            started_ms: now,
            finished: false,
            last_field: String::from(field),
            fields: Vec::new(),
        });
        true
    }
}

/// A form field an event happened on, with what reports need to know about it.
struct Field {
    element: Element,
    form_id: String,
    name: String,
    kind: String,
    position: u32,
}

/// Installs the form listeners and the `aria-invalid` observer; they live as long as the
/// page.
pub(crate) fn install(shared: &Rc<Shared>) {
    // One listener for both: the observer passes an array of records, a listener an event.
    let listener = crate::event_callback(Rc::downgrade(shared), on_event);
    for event in split(EVENTS, b' ') {
        web::on_window_capture(event, &listener);
    }
    web::dom::observe_attribute("aria-invalid", &listener);
    shared.listeners.borrow_mut().push(listener);
}

/// The forms' listener and `aria-invalid` observer: mutation records or an event.
fn on_event(shared: &Rc<Shared>, event: &JsValue) {
    if js_sys::Array::is_array(event) {
        aria_invalid_changed(shared, event.unchecked_ref());
    } else {
        handle(shared, event);
    }
}

/// One form event: its place in [`EVENTS`] says what to do (one lookup, no string
/// comparisons per branch).
fn handle(shared: &Rc<Shared>, event: &JsValue) {
    if shared.state.borrow().mode == Mode::Off {
        return;
    }
    let kind = web::prop_text(event, "type");
    let Some(index) = split(EVENTS, b' ').position(|e| e == kind) else {
        return;
    };
    let target = web::prop(event, "target");
    if index == 0 {
        if let Ok(form) = target.dyn_into::<Element>() {
            submitted(shared, &form);
        }
        return;
    }
    let Some(field) = field_of(&target) else {
        return;
    };
    let now = now_u64();
    match index {
        // focusin, input, change.
        1..=3 => {
            started(shared, &field, now);
            // Focus events have no `inputType`.
            let deleting =
                web::prop_string(event, "inputType").is_some_and(|t| t.starts_with("delete"));
            let complete_now = {
                let mut state = shared.state.borrow_mut();
                let Some(form) = state.forms.get(&field.form_id) else {
                    return;
                };
                form.last_field.clone_from(&field.name);
                let state = form.field(&field.name);
                if index == 1 {
                    state.focused_since = Some(now);
                    return;
                }
                state.changed = true;
                if deleting {
                    state.corrections += 1;
                }
                // A select or checkbox changed without focus (a script, a label click).
                index == 3 && state.focused_since.is_none()
            };
            if complete_now {
                field_completed(shared, &field, now);
            }
        }
        4 => field_completed(shared, &field, now),
        _ => {
            let validity = web::prop(field.element.as_ref(), "validity");
            let error = split(VALIDITY_KINDS, b' ')
                .find(|kind| web::prop(&validity, kind).is_truthy())
                .unwrap_or("invalid");
            send_error(shared, &field, error);
        }
    }
}

/// `Form Started`, the first time a field of the form is focused or edited this page view.
fn started(shared: &Rc<Shared>, field: &Field, now: u64) {
    let first = {
        let mut state = shared.state.borrow_mut();
        let first = state.forms.start(&field.form_id, &field.name, now);
        if first {
            state.form_counts.started += 1;
            store_counts(&state);
        }
        first
    };
    if first {
        let mut w = JsonWriter::new();
        w.begin_object()
            .string_member("form_id", &field.form_id)
            .string_member("field", &field.name)
            .end_object();
        crate::track_event(shared, FORM_STARTED, &w.finish());
    }
}

/// `Form Field Changed` when a field that changed loses focus: time spent, corrections,
/// whether it was left empty, and its value only when allowed.
fn field_completed(shared: &Rc<Shared>, field: &Field, now: u64) {
    let (time_ms, corrections) = {
        let mut state = shared.state.borrow_mut();
        let Some(form) = state.forms.get(&field.form_id) else {
            return;
        };
        let state = form.field(&field.name);
        if let Some(since) = state.focused_since.take() {
            state.time_ms += now.saturating_sub(since);
        }
        if !state.changed {
            return;
        }
        state.changed = false;
        state.completed = true;
        (state.time_ms, state.corrections)
    };
    let value = field_value(field);
    let mut w = field_event(field);
    w.key("position")
        .uint(u64::from(field.position))
        .key("duration_ms")
        .uint(time_ms)
        .key("empty")
        .bool(value.as_deref().is_none_or(blank))
        .key("corrections")
        .uint(u64::from(corrections));
    if let Some(value) = value.as_deref().and_then(|v| capturable(shared, field, v)) {
        w.string_member("value", &value);
    }
    w.end_object();
    crate::track_event(shared, FORM_FIELD_CHANGED, &w.finish());
}

fn send_error(shared: &Rc<Shared>, field: &Field, error: &str) {
    let mut w = field_event(field);
    w.string_member("error", error).end_object();
    crate::track_event(shared, FORM_ERROR, &w.finish());
}

/// The properties every field event starts with: `form_id`, `field`, `field_type`.
fn field_event(field: &Field) -> JsonWriter {
    let mut w = JsonWriter::new();
    w.begin_object()
        .string_member("form_id", &field.form_id)
        .string_member("field", &field.name)
        .string_member("field_type", &field.kind);
    w
}

/// A page script set `aria-invalid="true"` on a field: a `Form Error` of kind
/// `aria-invalid` (once per change to true).
fn aria_invalid_changed(shared: &Rc<Shared>, records: &js_sys::Array) {
    // By index with `Array#get`, the binding the glue has anyway (`iter` adds another).
    for i in 0..length(records) {
        let record = records.get(i);
        let was = web::prop_string(&record, "oldValue");
        let target = web::prop(&record, "target");
        let Some(element) = target.dyn_ref::<Element>() else {
            continue;
        };
        let now_invalid = attribute(element, "aria-invalid").as_deref() == Some("true");
        if now_invalid && was.as_deref() != Some("true") {
            if let Some(field) = field_of(&target) {
                send_error(shared, &field, "aria-invalid");
            }
        }
    }
}

/// `orbit('formSubmitted', formElement)`, for forms that submit through JavaScript.
pub(crate) fn submitted_command(shared: &Rc<Shared>, form: &JsValue) -> Result<(), &'static str> {
    let form = form
        .clone()
        .dyn_into::<Element>()
        .ok()
        .filter(|f| web::prop(f.as_ref(), "elements").is_object())
        .ok_or("orbit('formSubmitted', form): form must be a <form> element")?;
    submitted(shared, &form);
    Ok(())
}

/// `Form Submitted` (after an `identify` when lead capture applies).
fn submitted(shared: &Rc<Shared>, form: &Element) {
    if ignored(form) || shared.state.borrow().mode == Mode::Off {
        return;
    }
    let fields = fields_of(form, None);
    let form_id = form_id(form);
    let now = now_u64();
    let mut filled = 0;
    for field in &fields {
        // The field being edited when Enter submitted the form counts as completed.
        field_completed(shared, field, now);
        if field_value(field).is_some_and(|v| !blank(&v)) {
            filled += 1;
        }
    }
    let duration = {
        let mut state = shared.state.borrow_mut();
        state.form_counts.submitted(&form_id);
        store_counts(&state);
        match state.forms.get(&form_id) {
            Some(f) => {
                f.finished = true;
                now.saturating_sub(f.started_ms)
            }
            None => 0,
        }
    };
    let lead = identify_lead(shared, form, &form_id, &fields);
    let mut w = JsonWriter::new();
    w.begin_object()
        .string_member("form_id", &form_id)
        .key("duration_ms")
        .uint(duration)
        .key("fields_filled")
        .uint(filled)
        .key("lead")
        .bool(lead)
        .end_object();
    crate::track_event(shared, FORM_SUBMITTED, &w.finish());
}

/// With `data-lead-capture`, a submitted form with a valid email identifies the visitor:
/// `identify` with the email (or its SHA-256) and the captured fields as traits.
fn identify_lead(shared: &Rc<Shared>, form: &Element, form_id: &str, fields: &[Field]) -> bool {
    let enabled = {
        let state = shared.state.borrow();
        state.config.lead_capture && matches!(state.mode, Mode::Tracking | Mode::AwaitingConsent)
    };
    if !enabled {
        return false;
    }
    let hash = hashes_emails(shared, form);
    let Some(email) = fields
        .iter()
        .filter(|f| is_email(f) && !is_secret(f))
        .find_map(|f| field_value(f).and_then(|v| normalize_email(&v)))
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
    for field in fields {
        if is_email(field) {
            continue;
        }
        if let Some(value) = field_value(field).and_then(|v| capturable(shared, field, &v)) {
            w.string_member(&field.name, &value);
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
    let now = now_u64();
    let mut pending = Vec::new();
    for f in shared.state.borrow_mut().forms.forms.iter_mut() {
        if f.finished {
            continue;
        }
        f.finished = true;
        let mut w = JsonWriter::new();
        w.begin_object()
            .string_member("form_id", &f.id)
            .string_member("last_field", &f.last_field)
            .key("fields_completed")
            .uint(f.completed_fields())
            .key("duration_ms")
            .uint(now.saturating_sub(f.started_ms))
            .end_object();
        pending.push(w.finish());
    }
    // Borrowed, not consumed: no by-value iterator's drop code for this one loop.
    for properties in &pending {
        crate::track_event(shared, FORM_ABANDONED, properties);
    }
}

/// A new page view (SPA navigation): forms left behind are abandoned, and counting starts
/// afresh.
pub(crate) fn page_changed(shared: &Rc<Shared>) {
    send_abandoned(shared);
    shared.state.borrow_mut().forms = Forms::default();
}

/// The field an event target is, if it is a tracked field of a tracked form.
fn field_of(target: &JsValue) -> Option<Field> {
    let element = target.dyn_ref::<Element>()?;
    let form = web::prop(target, "form").dyn_into::<Element>().ok()?;
    fields_of(&form, Some(element)).pop()
}

/// The tracked fields of a form, described (only `only`, when given): its controls that are
/// not buttons, not hidden and not ignored, numbered from 1. One walk of the form serves
/// events and submissions.
fn fields_of(form: &Element, only: Option<&Element>) -> Vec<Field> {
    let form_id = form_id(form);
    let elements = web::prop(form.as_ref(), "elements");
    let mut fields = Vec::new();
    let mut position = 0;
    for i in 0..length(&elements) {
        // `Array#get` is plain indexing (`elements[i]`), which the collection has too: the
        // binding `dom::query_all` uses, none of its own.
        let Ok(element) = elements
            .unchecked_ref::<js_sys::Array>()
            .get(i)
            .dyn_into::<Element>()
        else {
            continue;
        };
        let kind = web::prop_text(element.as_ref(), "type");
        let is_field = !kind.is_empty() && !split(NOT_FIELDS, b' ').any(|t| t == kind);
        if !is_field || ignored(&element) {
            continue;
        }
        position += 1;
        if only.is_some_and(|only| !same(only, &element)) {
            continue;
        }
        let name = first_attribute(&element, "name id").unwrap_or_else(|| {
            let mut name = kind.clone();
            name.push('-');
            orbit_core::json::push_u64(&mut name, u64::from(position));
            name
        });
        fields.push(Field {
            form_id: form_id.clone(),
            name: truncate_chars(&name, MAX_FORM_NAME_CHARS),
            kind,
            position,
            element,
        });
    }
    fields
}

/// `data-orbit-form`, else the id, else the name, else the form's place among the page's
/// forms (`form-2`).
fn form_id(form: &Element) -> String {
    // FORM_NAME_ATTRIBUTE first.
    if let Some(name) = first_attribute(form, "data-orbit-form id name") {
        return truncate_chars(&name, MAX_FORM_NAME_CHARS);
    }
    // The page's forms in document order, as `document.forms` lists them.
    let index = web::dom::query_all("form")
        .unwrap_or_default()
        .iter()
        .position(|f| same(f, form))
        .unwrap_or(0);
    let mut id = String::from("form-");
    orbit_core::json::push_u64(&mut id, index as u64 + 1);
    id
}

/// The value of the first of the space-separated `names` the element has, unless blank.
fn first_attribute(element: &Element, names: &str) -> Option<String> {
    split(names, b' ')
        .find_map(|name| attribute(element, name))
        .filter(|value| !blank(value))
}

/// Whether the text is empty or only white space (`str::trim` would add a reverse searcher).
fn blank(text: &str) -> bool {
    orbit_core::text::trim(text).is_empty()
}

fn ignored(element: &Element) -> bool {
    within(element, "[data-orbit-ignore]")
}

/// Whether lead emails are sent hashed: `data-hash-email` on the script, or
/// `data-orbit-hash-email` on the form.
fn hashes_emails(shared: &Rc<Shared>, form: &Element) -> bool {
    shared.state.borrow().config.hash_email || attribute(form, HASH_EMAIL_ATTRIBUTE).is_some()
}

fn is_email(field: &Field) -> bool {
    let autocomplete = attribute(&field.element, "autocomplete").unwrap_or_default();
    is_email_field(&field.kind, &field.name, &autocomplete)
}

/// Whether the field's value must never be read beyond emptiness.
fn is_secret(field: &Field) -> bool {
    let read = |name| attribute(&field.element, name).unwrap_or_default();
    is_secret_type(&field.kind)
        || is_sensitive_name(&field.name)
        || is_sensitive_name(&read("id"))
        || is_sensitive_name(&read("autocomplete"))
}

/// The field's value (a checkbox or radio: its value when checked, else empty).
fn field_value(field: &Field) -> Option<String> {
    let target = field.element.as_ref();
    if matches!(field.kind.as_str(), "checkbox" | "radio")
        && !web::prop(target, "checked").is_truthy()
    {
        return Some(String::new());
    }
    web::prop_string(target, "value")
}

/// The value to send for a field that opted in (`data-orbit-capture`, or the rule document's
/// `capture` list), if it may be sent (an email's is not, when emails are sent hashed).
fn capturable(shared: &Rc<Shared>, field: &Field, value: &str) -> Option<String> {
    let listed = shared.state.borrow().personal.captures(&field.name);
    let opted_in = listed || attribute(&field.element, CAPTURE_ATTRIBUTE).is_some();
    // The field's form read back from it (`element.form`): no form kept with every field.
    let form = web::prop(field.element.as_ref(), "form");
    let forbidden =
        is_secret(field) || (hashes_emails(shared, form.unchecked_ref()) && is_email(field));
    let allowed = opted_in && !forbidden && !blank(value) && value_is_sendable(value);
    allowed.then(|| truncate_chars(orbit_core::text::trim(value), MAX_CAPTURED_VALUE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_starts_once_and_counts_completed_fields() {
        let mut forms = Forms::default();
        assert!(forms.start("signup", "email", 1_000));
        assert!(!forms.start("signup", "company", 2_000));
        let form = forms.get("signup").unwrap();
        assert_eq!(form.started_ms, 1_000);
        assert_eq!(form.last_field, "email");
        form.field("email").completed = true;
        form.field("company");
        form.field("email").corrections += 1;
        assert_eq!(form.fields.len(), 2);
        assert_eq!(form.completed_fields(), 1);
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
