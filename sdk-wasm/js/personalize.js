/* Personalisation's changes to the page's elements (sdk-wasm/src/web/dom.rs binds `changes`,
   `apply`, `restoreAll`, `reveal` and `observeDocument`; web/transport.rs binds `getText`;
   web/page.rs binds `redirectTarget`): this DOM work is
   smaller as JavaScript than as wasm calling each DOM method through an import. Each change
   returns a record that puts the element back (`restore`), says whether the page has since
   undone the change (`undone`) and makes it again (`redo`); `apply` makes a planned change
   on the elements it matches, within the circuit breaker. Which changes apply and the
   exposures stay in Rust. Nothing here throws into the page. */

import { attributeOk, putHtml, styleOk } from './sanitize.js';

// The kinds of change are numbers, the order of orbit_core::rules::Action's variants (as
// sdk-wasm/src/personalize.rs passes them): 0 set_text, 1 set_html, 2 set_attribute,
// 3 remove_attribute, 4 add_class, 5 remove_class, 6 set_style, 7 show, 8 hide, 9 insert.
// `a` names what a change touches (the attribute, `class`, the style property, the insert
// position); `b` and `c` are its value (text, HTML, classes, style value) and priority.

/** A style property's value and priority (nothing where the element has no style). */
const style = ({ style }, property) => [style?.getPropertyValue(property), style?.getPropertyPriority(property)];

/** Sets a style property, or removes it for an empty value. */
function setStyle({ style }, property, value, priority) {
  if (value) style?.setProperty(property, value, priority);
  else style?.removeProperty(property);
}

/** Sets an attribute, or removes it for `null`. */
function setAttribute(element, name, value) {
  if (value == null) element.removeAttribute(name);
  else element.setAttribute(name, value);
}

/** What a change of `kind` touches, as it reads now: the element's HTML (text and HTML), the
 * attribute `a`, whether it has each class of `b` (class changes: the page's own classes are
 * not the change's, and stay as the page set them when it is undone), the style property
 * `a`, or its visibility (show and hide); nothing for an insertion, whose wrapper is checked
 * instead. */
function read(element, kind, a, b) {
  if (kind < 2) return [element.innerHTML];
  if (kind < 4) return [element.getAttribute(a)];
  if (kind < 6) return b.split(' ').map((name) => element.classList.contains(name));
  if (kind < 7) return style(element, a);
  if (kind < 9) return [element.getAttribute('hidden'), ...style(element, 'display')];
  return [];
}

/** Puts back what `read` read (text and HTML changes put back the element's own nodes
 * instead, in `change`). */
function write(element, kind, a, b, before) {
  const [first, second, third] = before;
  if (kind < 4) setAttribute(element, a, first);
  else if (kind < 6) b.split(' ').map((name, i) => attempt(() => element.classList.toggle(name, before[i])));
  else if (kind < 7) setStyle(element, a, first, second);
  else if (kind < 9) {
    setAttribute(element, 'hidden', first);
    setStyle(element, 'display', second, third);
  }
}

/** Makes a change of `kind` with the action's strings (classes separated by spaces); an
 * insertion returns its wrapper. */
function make(element, kind, a, b, c) {
  if (kind < 1) element.textContent = b;
  else if (kind < 2) putHtml(element, b, '');
  // The document came over the network: an attribute or style the checks refuse is not set.
  else if (kind < 3) attributeOk(a, b) && setAttribute(element, a, b);
  else if (kind < 4) element.removeAttribute(a);
  else if (kind < 6) {
    // One class at a time: one the browser refuses leaves the others.
    for (const name of b.split(' ')) {
      attempt(() => element.classList[kind < 5 ? 'add' : 'remove'](name));
    }
  } else if (kind < 7) styleOk(a, b) && setStyle(element, a, b, c);
  else if (kind < 8) {
    element.removeAttribute('hidden');
    if (style(element, 'display')[0] == 'none') setStyle(element, 'display');
  } else if (kind < 9) setStyle(element, 'display', 'none', 'important');
  else return putHtml(element, b, a);
}

/** What `action` returns, or nothing where the page's DOM throws. */
function attempt(action) {
  try {
    return action();
  } catch {}
}

/** Applies one change to `element` and returns its record: `restore()` puts the element back
 * as it was before, `undone()` is true once the page changed what the change touched (or
 * removed the inserted HTML), `redo()` makes the change again. */
function change(element, kind, a, b, c) {
  const now = () => attempt(() => read(element, kind, a, b));
  const before = now();
  // The content a text or HTML change replaces, as nodes: put back, they are the page's own
  // (its listeners, a framework's references), and no HTML is parsed (Trusted Types).
  const nodes = kind < 2 && [...element.childNodes];
  let after, wrapper;
  const redo = () => {
    wrapper = attempt(() => make(element, kind, a, b, c));
    after = now();
  };
  redo();
  return {
    restore: () =>
      attempt(() =>
        kind > 8 ? wrapper?.remove() : kind < 2 ? element.replaceChildren(...nodes) : write(element, kind, a, b, before),
      ),
    undone: () =>
      attempt(() => (kind > 8 ? !!wrapper && !wrapper.isConnected : now().some((value, i) => value !== after[i]))),
    redo,
  };
}

/** Elements no action changes (orbit_core::rules::selector::UNCHANGEABLE_ELEMENTS). */
const UNCHANGEABLE = /^(script|style|link|meta|base|i?frame|object|embed)$/;

/** Most times one element is changed again in a second before the page counts as fighting
 * back (sdk-wasm/src/personalize.rs's MAX_PATCHES_PER_SECOND). */
const MAX_PATCHES_PER_SECOND = 10;

/** A tracker's changes to the page: `made`, [plan index, element, record] for each change
 * made, newest last, and `of`, each changed element's records by plan index (found without
 * a search through all of them: a page with thousands of matching elements re-checks them on
 * every mutation); `patches`, each element's [second's start, changes again in it], and
 * `rounds`, each plan's calls that changed something in the current task (the circuit
 * breaker). */
export const changes = () => ({ made: [], of: new Map(), patches: new Map(), rounds: new Map() });

/** Makes the planned change `plan` (`kind`, `a`, `b`, `c` as for `change`) on each element
 * matching `selector` it was not made on yet, except in HTML a rule inserted (rules apply to
 * the page's own elements, so an insertion that matches its own selector does not repeat
 * forever) and UNCHANGEABLE elements, and makes it again where the page undid it: 2 once an
 * element is changed again more than MAX_PATCHES_PER_SECOND times in a second (the page
 * fights back: stop), else 1 when the change is on some element, else 0. An invalid
 * selector matches nothing. */
export function apply(state, plan, selector, kind, a, b, c) {
  const { made, of, patches, rounds } = state;
  const now = Date.now();
  let changed;
  for (const element of attempt(() => document.querySelectorAll(selector)) ?? []) {
    // Never an element whose change could run or load code, or restyle the whole page
    // (orbit_core::rules::selector::UNCHANGEABLE_ELEMENTS, which lint refuses by name).
    if (element.closest('[data-orbit-inserted]') || UNCHANGEABLE.test(element.localName)) continue;
    let own = of.get(element);
    own || of.set(element, (own = []));
    const record = own[plan];
    if (!record) changed = made.push([plan, element, (own[plan] = change(element, kind, a, b, c))]);
    else if (record.undone()) {
      let [since, count] = patches.get(element) ?? [now, 0];
      if (now - since >= 1000) [since, count] = [now, 0];
      patches.set(element, [since, ++count]);
      if (count > MAX_PATCHES_PER_SECOND) return 2;
      record.redo();
      changed = 1;
    }
  }
  // A page that answers each change in the same task with a new element (a re-render that
  // replaces it) is never seen by the element's count, and would never let the page paint
  // again: within one task, a plan changes the page at most MAX_PATCHES_PER_SECOND times.
  if (changed) {
    rounds.size || setTimeout(() => rounds.clear());
    rounds.set(plan, -~rounds.get(plan));
    if (rounds.get(plan) > MAX_PATCHES_PER_SECOND) return 2;
  }
  return +made.some(([p]) => p == plan);
}

/** Puts every changed element back, newest change first, and forgets the changes. */
export function restoreAll(state) {
  for (const [, , record] of state.made.reverse()) record.restore();
  state.made = [];
  state.of.clear();
  state.patches.clear();
}

/** Marks every element matching `slots` as decided (`attribute`) and removes the element
 * `style` (the anti-flicker style). */
export function reveal(slots, attribute, style) {
  attempt(() => {
    for (const slot of document.querySelectorAll(slots)) slot.setAttribute(attribute, '');
    document.querySelector(style)?.remove();
  });
}

/** GETs `url` without cookies (with `If-None-Match` the ETag localStorage holds under
 * `etagKey`, unless the key is empty or there is none) and calls `done` once: with [body, ETag
 * (or null), `tag`] for a 200, with no array for anything else (304, an error, no network).
 * `tag` comes back as given: which visitor a profile was asked for. One promise chain here,
 * not two closures and their glue in the .wasm. */
export function getText(url, etagKey, done, tag) {
  // Storage may be disabled (it throws): then no ETag.
  const etag = etagKey ? attempt(() => localStorage.getItem(etagKey)) : null;
  new Promise((ok) => ok(fetch(url, { credentials: 'omit', headers: etag == null ? {} : { 'If-None-Match': etag } })))
    .then((r) => r.status == 200 && r.text().then((body) => [body, r.headers.get('etag'), tag]))
    .catch(() => {})
    .then(done);
}

/** The page's observer: `callback` gets the records of every change to the document's
    elements (children, text, attributes); undefined where there is no document. */
export function observeDocument(callback) {
  try {
    const observer = new MutationObserver(callback);
    observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    return observer;
  } catch {}
}

/* Where a redirect rule sends the visitor (sdk-wasm/src/web/page.rs binds it): the target
   resolved against the page by the browser's own URL parser, with the page's query
   parameters the target does not set itself appended as they are written (campaign tags
   survive a split-URL test), or '' when the rule must not redirect: to the same page (same
   host and path: a loop), to a scheme other than http(s), mailto or tel, or to a URL the
   browser cannot read. Never throws into the page. `page` is the page's URL (for tests). */
export function redirectTarget(target, keepQuery, page = location.href) {
  try {
    const here = new URL(page);
    const url = new URL(target.trim(), here);
    if (!/^(https?|mailto|tel):$/.test(url.protocol) || (url.host == here.host && url.pathname == here.pathname)) return '';
    const name = (pair) => pair.split('=')[0];
    const own = url.search.slice(1).split('&').map(name);
    const extra = keepQuery ? here.search.slice(1).split('&').filter((pair) => pair && !own.includes(name(pair))) : [];
    if (extra.length) url.search = [url.search.slice(1), ...extra].filter(Boolean).join('&');
    return url.href;
  } catch {
    return '';
  }
}
