/* Form tracking's reading of the page (sdk-wasm/src/forms.rs binds it): the window's
   listeners, the walk of a form's fields, their names and positions, the time spent in each
   and the form's progress are smaller as JavaScript than as wasm reading each property
   through an import. Each event goes to Rust as `send([kind, properties, …])`, kind being
   0 Form Started, 1 Form Field Changed (with the field), 2 Form Error, 3 Form Submitted
   (with the fields and the form's id) and 4 Form Abandoned, properties a JSON object's
   text; Rust decides which values may be sent (orbit_core::forms, shared with the
   collector), adds them, keeps the visitor's form counts and identifies leads.

   A field is an array, as Rust reads it: [name, type, id attribute, autocomplete attribute,
   has data-orbit-capture, its form has data-orbit-hash-email, value (undefined when not a
   string), form id, position]. Nothing here throws into the page. */

// orbit_core::forms's MAX_FORM_NAME_CHARS and VALIDITY_KINDS (a Rust test checks they agree).
const MAX_FORM_NAME_CHARS = 100;
const VALIDITY_KINDS = 'valueMissing typeMismatch patternMismatch tooShort tooLong rangeUnderflow rangeOverflow stepMismatch badInput customError';

/** Window events handled, in the capture phase (`invalid`, `focus` and `blur` do not bubble,
    and the page's own handlers cannot stop them first); `handle` goes by their place. An open
    shadow root gets them too once one of its events reaches the window, and handles its own
    (focus moving inside it, `submit`, `change` and `invalid` never leave it). */
const EVENTS = ['submit', 'focusin', 'input', 'change', 'focusout', 'invalid'];
/** Control types that are not fields (an empty type is none either). */
const NOT_FIELDS = 'submit button reset image hidden fieldset output'.split(' ');
const IGNORED = '[data-orbit-ignore]';

/* Each tracker on the page (two `init` calls make two) has its own record, which watchForms
   returns and the other exports take: {send: the tracker's listener, on: whether it tracks
   (not off: no consent, Do Not Track), r: the shadow roots listened to, m: the observer of
   aria-invalid, forms: this page view's forms by id, as started:
   {s: start ms, l: last field, d: done (submitted or abandoned), a: the last field its Form
   Abandoned gave, n: fields completed, f: the fields' progress by name}, e: the Form Errors
   sent this page view, by form id, field name and kind}. */

/** Hands an event to the tracker (Rust). */
const emit = (t, kind, properties, ...rest) => t.send([kind, JSON.stringify(properties), ...rest]);

/** Milliseconds from `start` to `now`, never negative (the clock may be set back). */
const since = (start, now) => Math.max(0, now - start);

/** Whether the text is empty or only white space, as Rust's `char::is_whitespace` has it
    (orbit_core::text::trim; `String#trim` differs on U+0085 and U+FEFF); true for none. */
const blank = (text) => /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/.test(text ?? '');

/** The first 100 characters (code points, as Rust counts them). */
const cut = (text) => text && [...text].slice(0, MAX_FORM_NAME_CHARS).join('');

/** The value of the first of `names` the element has, unless blank. */
function first(element, names) {
  const value = names.map((name) => element.getAttribute(name)).find((value) => value != null);
  return blank(value) ? undefined : value;
}

/** Listens to the forms of the page for a tracker, for the page's lifetime; its record. */
export function watchForms(listener, tracking) {
  const t = { send: listener, on: tracking, forms: new Map(), r: new WeakSet(), e: new Set() };
  // A page script set aria-invalid="true" on a field: a Form Error (once per change to true).
  t.m = new MutationObserver((records) => {
    for (const { target, oldValue } of records) {
      const field = t.on && oldValue != 'true' && target.getAttribute?.('aria-invalid') == 'true' && fieldOf(target);
      if (field) error(t, field, 'aria-invalid');
    }
  });
  listen(t, window, document);
  return t;
}

/** Handles the form events of `node` (the window, or a shadow root), watching `tree`'s
    aria-invalid attributes. */
function listen(t, node, tree) {
  for (const type of EVENTS) node.addEventListener(type, (event) => handle(t, event), true);
  t.m.observe(tree, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['aria-invalid'] });
}

/** Whether the tracker tracks: nothing is recorded while it is off. */
export function formsOn(t, tracking) {
  t.on = tracking;
}

/** `orbit('formSubmitted', form)`: false when `form` is not a form. */
export function formSubmitted(t, form) {
  const ok = form instanceof Element && typeof form.elements == 'object' && !!form.elements;
  if (ok) submitted(t, form);
  return ok;
}

/** `orbit('track', 'Form Submitted', {form_id})`: the page reported the submission itself, so
    the form is done (no Form Abandoned later); whether the tracker tracks (Rust counts it). */
export function formDone(t, id) {
  const form = t.forms.get(id);
  if (form) form.d = true;
  return t.on;
}

/** Form Abandoned for every form started and not submitted, once per form (page hide, an SPA
    navigation); `reset` starts counting afresh (a new page view). A form the visitor comes
    back to and submits (the tab was only hidden) says so in its Form Submitted
    (`abandoned_field`), and the form report no longer counts it as abandoned. */
export function formsLeft(t, reset) {
  const now = Date.now();
  for (const [id, form] of t.forms) {
    if (form.d) continue;
    form.d = true;
    form.a = form.l;
    emit(t, 4, { form_id: id, last_field: form.l, fields_completed: form.n, duration_ms: since(form.s, now) });
  }
  if (reset) {
    t.forms = new Map();
    t.e = new Set();
  }
}

function handle(t, event) {
  const index = EVENTS.indexOf(event.type);
  // Inside an open shadow root, the element itself, not its host.
  const target = event.composedPath()[0];
  const root = target.getRootNode?.();
  if (!t.on) return;
  // An event inside a shadow root is handled on that root, which it reaches after the window
  // (and any outer root): a listener added now still hears it.
  if (root instanceof ShadowRoot && event.currentTarget != root) {
    if (!t.r.has(root)) listen(t, root, root);
    t.r.add(root);
    return;
  }
  if (!index) return target instanceof Element && submitted(t, target);
  const field = fieldOf(target);
  if (!field) return;
  const now = Date.now();
  if (index == 5) return error(t, field, VALIDITY_KINDS.split(' ').find((kind) => target.validity?.[kind]) || 'invalid');
  if (index == 4) return complete(t, field, now);
  // focusin, input, change: the form starts.
  const [name, , , , , , , id] = field;
  if (!t.forms.has(id)) {
    t.forms.set(id, { s: now, n: 0, f: new Map() });
    emit(t, 0, { form_id: id, field: name });
  }
  const form = t.forms.get(id);
  const state = progress(form, name);
  form.l = name;
  if (index == 1) {
    state.t = now;
    return;
  }
  // The browser's `change` when focus leaves a field its form's submission already completed
  // (`orbit('formSubmitted')` while it was being edited): reported, not changed again.
  if (index == 3 && state.t == null && state.v === field[6]) return;
  state.x = true;
  // A correction is a run of deletions (holding backspace is one); `change` has no inputType.
  const deleting = !!event.inputType?.startsWith('delete');
  if (deleting && !state.k) state.c++;
  state.k = deleting;
  // A select or checkbox changed without focus (a script, a label click).
  if (index == 3 && state.t == null) complete(t, field, now);
}

/** A field's progress in its form: {t: focused since, m: ms spent in it, c: corrections,
    k: the last input deleted, x: changed since last completed, d: completed, v: the value
    when last completed}. */
function progress(form, name) {
  if (!form.f.has(name)) form.f.set(name, { m: 0, c: 0 });
  return form.f.get(name);
}

/** Form Field Changed when a field that changed loses focus (or its form is submitted). */
function complete(t, field, now) {
  const [name, kind, , , , , value, id, position] = field;
  const form = t.forms.get(id);
  if (!form) return;
  const state = progress(form, name);
  if (state.t != null) state.m += since(state.t, now);
  state.t = null;
  if (!state.x) return;
  state.x = false;
  state.v = value;
  if (!state.d) form.n++;
  state.d = true;
  emit(t, 1, { form_id: id, field: name, field_type: kind, position, duration_ms: state.m, empty: blank(value), corrections: state.c }, field);
}

/** Form Error, once per field and kind a page view: a page that calls `checkValidity()` on
    every keystroke flags every invalid field each time, and the report counts the page views
    that met each error, not the checks. */
function error(t, [name, kind, , , , , , id], error) {
  const key = id + '\n' + name + '\n' + error;
  if (t.e.has(key)) return;
  t.e.add(key);
  emit(t, 2, { form_id: id, field: name, field_type: kind, error });
}

/** Form Submitted, after the field being edited (Enter submits) is completed. */
function submitted(t, form) {
  if (!t.on || form.closest(IGNORED)) return;
  const fields = fieldsOf(form);
  const id = formId(form);
  const now = Date.now();
  let filled = 0;
  for (const field of fields) {
    complete(t, field, now);
    if (!blank(field[6])) filled++;
  }
  const started = t.forms.get(id);
  if (started) started.d = true;
  // A form never started (a script submitting it) has no time to complete: none is sent.
  emit(t, 3, { form_id: id, duration_ms: started && since(started.s, now), fields_filled: filled, abandoned_field: started?.a }, fields, id);
}

/** The field an event's target is, if it is a tracked field of a form. */
function fieldOf(target) {
  const form = target instanceof Element && target.form;
  // A field outside an ignored form (`form="id"`) is ignored with it.
  return form instanceof Element && !form.closest(IGNORED) ? fieldsOf(form, target).pop() : undefined;
}

/** The tracked fields of a form (only `only`, when given): its controls that are not
    buttons, not hidden and not ignored, numbered from 1. */
function fieldsOf(form, only) {
  const id = formId(form);
  const hash = form.hasAttribute('data-orbit-hash-email');
  const fields = [];
  let position = 0;
  for (const element of form.elements || []) {
    const kind = typeof element.type == 'string' ? element.type : '';
    if (!kind || NOT_FIELDS.includes(kind) || element.closest(IGNORED)) continue;
    position++;
    if (only && only != element) continue;
    // A checkbox or radio: its value when checked, else empty.
    const value = /^(checkbox|radio)$/.test(kind) && !element.checked ? '' : element.value;
    fields.push([
      cut(first(element, ['name', 'id']) ?? kind + '-' + position),
      kind,
      element.getAttribute('id'),
      element.getAttribute('autocomplete'),
      element.hasAttribute('data-orbit-capture'),
      hash,
      typeof value == 'string' ? value : undefined,
      id,
      position,
    ]);
  }
  return fields;
}

/** data-orbit-form, else the id, else the name, else the form's place among the page's forms
    (`form-2`), or among its shadow root's, after the root's host (`signup-box/form-1`). */
function formId(form) {
  const root = form.getRootNode();
  const host = root.host ? root.host.localName + '/' : '';
  return cut(first(form, ['data-orbit-form', 'id', 'name'])) ?? host + 'form-' + ([...root.querySelectorAll('form')].indexOf(form) + 1 || 1);
}
