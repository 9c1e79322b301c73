//! `orbit-sdk`: the browser tracker, compiled to WebAssembly.
//!
//! The loader (`js/loader.js`, served as `orbit.js`) instantiates this module and calls
//! [`init_tracker`] with the script tag's options; every later `orbit(...)` call arrives
//! through [`Tracker::command`].
//!
//! - [`config`]: options → a validated `TrackerConfig`.
//! - [`identity`]: the anonymous id's cookie format and which stored copy wins.
//! - [`events`]: events and batches in the wire format, written without serde.
//! - [`delivery`]: the stored queue of unsent events and which tab owns it.
//! - [`autotrack`]: SPA page views, page leave (engaged time, scroll), tracked clicks.
//! - [`forms`]: form starts, fields, errors, submissions, abandonment and lead capture.
//! - [`personalize`]: the site's rules applied to the page, reverted, re-applied, measured.
//! - `web`: the only module that touches the browser (storage, page, transport, console).
//!
//! Size matters here more than anywhere (SIZE.md): no serde reading, no `core::fmt`,
//! messages are `&'static str`, and the production build (`--features bundle`) is `no_std`.
#![cfg_attr(all(feature = "bundle", target_arch = "wasm32"), no_std)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

extern crate alloc;

pub mod autotrack;
pub mod config;
pub mod delivery;
pub mod events;
pub mod forms;
pub mod identity;
pub mod personalize;
pub mod profile;
mod web;

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::mem::ManuallyDrop;

use js_sys::Array;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use config::{RawOptions, TrackerConfig};
use delivery::InFlight;
use events::{EventBody, EventMeta};
use identity::{anonymous_id_cookie, choose_anonymous_id, cookie_value, IdSource};
use orbit_core::id::{uuid_v7, UUID_RANDOM_BYTES};
use orbit_core::tracker::backoff::{
    classify, parse_retry_after_seconds, retry_delay_ms, SendOutcome,
};
use orbit_core::tracker::queue::{
    Queue, FLUSH_INTERVAL_MS, KEEPALIVE_BUDGET_BYTES, MAX_QUEUED_EVENTS,
};
use orbit_core::tracker::session::{self, SessionState};

/// talc, with the smaller of its two ways to take memory: each `memory.grow` becomes a heap
/// of its own instead of extending the last (a little fragmentation; the tracker's heap is
/// small), and (Cargo.toml) no reallocation in place, so a growing buffer is copied: -0.2 KB
/// gzip of each bundle.
#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: talc::cell::TalcSyncCell<talc::wasm::WasmGrowAndClaim, talc::wasm::WasmBinning> =
    talc::cell::TalcSyncCell::new_wasm(talc::wasm::WasmGrowAndClaim);

/// A panic traps (the loader catches it) instead of pulling in std's message formatting.
#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Form tracking is in this build (feature `forms`); the core bundle leaves it out. A
/// constant rather than `cfg` attributes: the compiler drops what it guards.
const FORMS: bool = cfg!(feature = "forms");
/// Personalisation is in this build (feature `personalize`).
const PERSONALIZE: bool = cfg!(feature = "personalize");
/// The warning for a command of a feature this bundle leaves out.
const NOT_IN_CORE: &str = "this command needs the full tracker: load orbit.js (or orbit.mjs) \
                           instead of orbit-core.js";

/// The warning for `identify` and `alias` with `data-cookieless`.
const NO_USER_ID_WHEN_COOKIELESS: &str =
    "identify and alias are ignored in cookieless mode: they would send a user id";

/// Bytes the batch `context` member adds besides the object itself: `,"context":`.
const BATCH_CONTEXT_OVERHEAD: usize = 11;

/// localStorage key of the user id given to `identify`.
pub const USER_ID_KEY: &str = "orbit_uid";
/// localStorage key of the session state.
pub const SESSION_KEY: &str = "orbit_session";
/// localStorage key of the custom attributes (`orbit('set', …)`), a JSON object.
pub const ATTRIBUTES_KEY: &str = "orbit_attrs";
/// localStorage key of the traits `identify` gave last (a JSON object), for rules.
pub const TRAITS_KEY: &str = "orbit_traits";
/// localStorage key of the visitor's IANA time zone, read once when the page was idle.
pub const TIMEZONE_KEY: &str = "orbit_tz";
/// localStorage key recording that the visitor consented (only ever `granted`).
pub const CONSENT_KEY: &str = "orbit_consent";

/// The running tracker; the page keeps it for its lifetime (see [`start_tracker`]).
pub struct Tracker {
    shared: Rc<Shared>,
}

/// What the tracker may do, decided by the site's options and the visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Store and send.
    Tracking,
    /// `data-consent="required"` and no answer yet: events wait in memory, nothing is
    /// stored or sent.
    AwaitingConsent,
    /// Consent denied, or Do Not Track / Global Privacy Control: no events at all.
    Off,
    /// `data-cookieless`: send, but store nothing and send no ids (the collector derives a
    /// visitor id that changes every day).
    Cookieless,
}

/// The tracker's one closure type (see [`listener`]): three arguments, so that it also
/// serves as `history.pushState` / `replaceState` (state, title, url); listeners and
/// callbacks ignore what they do not read. `Fn`, like the tracker's own function: it may be
/// entered again while it runs (a page's `pushState` inside ours), and the bundle carries one
/// kind of closure glue.
type EventListener = Closure<dyn Fn(JsValue, JsValue, JsValue)>;

/// What the callbacks (timers, listeners, fetch answers) share with the tracker.
pub(crate) struct Shared {
    /// Never dropped (only tests free a tracker; the page keeps it for its lifetime), which
    /// keeps the state's drop code (queue, forms, rules) out of the bundle: kilobytes.
    state: ManuallyDrop<RefCell<State>>,
    /// Runs a scheduled delivery pass; handed to `setTimeout` each time one is needed.
    /// Page-lifetime, like the listeners below: never dropped, so a freed tracker's (tests)
    /// stay callable and do nothing, and their drop code stays out of the bundle.
    tick: ManuallyDrop<RefCell<Option<EventListener>>>,
    /// Turns a failed `fetch` into `undefined`, so one answer handler sees both outcomes
    /// (and the page never sees an unhandled rejection).
    swallow_failure: EventListener,
    /// Keeps the page listeners alive (the tracker's, the forms', the rules' observer).
    listeners: ManuallyDrop<RefCell<Vec<EventListener>>>,
    /// Keeps the `history.pushState`/`replaceState` wrappers alive.
    history_wrappers: ManuallyDrop<RefCell<Vec<EventListener>>>,
}

struct State {
    config: TrackerConfig,
    /// Whether events are recorded, held for consent, or not made at all.
    mode: Mode,
    /// The current page view's engagement (autotrack).
    view: autotrack::View,
    /// Forms started and submitted across visits (for rules).
    form_counts: forms::FormCounts,
    /// This tracker's record in js/forms.js (`undefined` until forms are watched).
    forms: JsValue,
    /// The traits `identify` gave last, as a JSON object (for rules).
    traits: Option<String>,
    /// The rules, what they changed, and what was reported.
    personal: personalize::Personalization,
    /// Custom attributes from `orbit('set', key, value)`: key and JSON value.
    attributes: Vec<(String, String)>,
    /// What does not change during the page's life (browser, language, screen).
    page: events::PageInfo,
    /// Whether the time zone was read into `page` (done at the first send).
    timezone_read: bool,
    /// The session changed since it was last stored.
    session_dirty: bool,
    anonymous_id: String,
    user_id: Option<String>,
    session: Option<SessionState>,
    queue: Queue,
    in_flight: InFlight,
    /// Events handed to `sendBeacon`: probably delivered, kept stored until the next page.
    sent_blind: Vec<String>,
    /// Failed attempts in a row; the next retry waits `retry_delay_ms(attempt)`.
    attempt: u32,
    /// No regular send before this time (backoff).
    retry_at_ms: u64,
    last_flush_ms: u64,
    /// When the next tick is due, if one is scheduled.
    tick_due_ms: Option<u64>,
    /// The stored queue changed since it was last written.
    dirty: bool,
    storage_key: String,
    debug: bool,
}

/// Starts the tracker for JavaScript: its [`Tracker::command`] as a function `(name, args)`,
/// or `undefined` when the options cannot work. A closure that may be called re-entrantly
/// (a `ready` callback that calls `orbit`), rather than an exported class: no class glue.
#[wasm_bindgen(js_name = initTracker)]
pub fn start_tracker(options: &JsValue) -> JsValue {
    let Some(tracker) = init_tracker(options) else {
        return JsValue::UNDEFINED;
    };
    // The tracker runs for the page's lifetime even if the page drops the function (whose
    // closure is then freed): its listeners and timers keep working.
    core::mem::forget(Rc::clone(&tracker.shared));
    // Three arguments like the listeners (the third is unused): the same shim shape, smaller.
    Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(
        move |name: JsValue, args: JsValue, _: JsValue| {
            tracker.command(&name.as_string().unwrap_or_default(), args.unchecked_ref());
        },
    )
    .into_js_value()
}

/// Starts the tracker from `{site, key, endpoint}`; logs why and returns nothing when the
/// options cannot work.
pub fn init_tracker(options: &JsValue) -> Option<Tracker> {
    let raw = RawOptions {
        site: string_option(options, "site"),
        key: string_option(options, "key"),
        endpoint: string_option(options, "endpoint"),
        consent: string_option(options, "consent"),
        respect_dnt: string_option(options, "respectDnt"),
        cookie_domain: string_option(options, "cookieDomain"),
        cookieless: string_option(options, "cookieless"),
        lead_capture: string_option(options, "leadCapture"),
        hash_email: string_option(options, "hashEmail"),
        track_hash: string_option(options, "trackHash"),
    };
    let config = match TrackerConfig::from_raw(raw) {
        Ok(config) => config,
        Err(error) => {
            web::console::warn(error.message());
            return None;
        }
    };
    let now = now_u64();
    // A site that offers cookieless tracking may count visitors who ask not to be tracked
    // (Do Not Track, Global Privacy Control) anonymously; others do not count them.
    let mode = if config.cookieless {
        Mode::Cookieless
    } else if config.respect_dnt && web::page::asks_not_to_be_tracked() {
        Mode::Off
    } else if config.consent_required
        && web::storage::local_get(CONSENT_KEY).as_deref() != Some("granted")
    {
        Mode::AwaitingConsent
    } else {
        Mode::Tracking
    };
    let href = web::page::href();
    let view = autotrack::View::start(
        String::from(autotrack::view_url(&href, config.track_hash)),
        now,
        !web::is_hidden(),
    );
    let page = web::page::info();
    // Where Temporal gave the zone for free, there is nothing to read later (deliver()).
    let timezone_read = !page.timezone.is_empty();
    let mut state = State {
        config,
        mode,
        view,
        form_counts: forms::FormCounts::default(),
        forms: JsValue::UNDEFINED,
        traits: None,
        personal: personalize::Personalization::default(),
        attributes: Vec::new(),
        page,
        timezone_read,
        session_dirty: false,
        // Until consent, a visitor id that lives only in memory.
        anonymous_id: new_id(now as i64),
        user_id: None,
        session: None,
        queue: Queue::new(),
        in_flight: InFlight::default(),
        sent_blind: Vec::new(),
        attempt: 0,
        retry_at_ms: 0,
        // The first pass sends at once: a visit is counted by its page view.
        last_flush_ms: 0,
        tick_due_ms: None,
        dirty: false,
        storage_key: String::new(),
        debug: false,
    };
    if mode == Mode::Tracking {
        load_stored_state(&mut state, now);
    }
    let shared = Rc::new(Shared {
        state: ManuallyDrop::new(RefCell::new(state)),
        tick: ManuallyDrop::new(RefCell::new(None)),
        // A callback whose tracker never exists (an empty `Weak`): it does nothing, and
        // shares its closure type with the click listener.
        swallow_failure: event_callback(Weak::new(), |_, _| {}),
        listeners: ManuallyDrop::new(RefCell::new(Vec::new())),
        history_wrappers: ManuallyDrop::new(RefCell::new(Vec::new())),
    });
    *shared.tick.borrow_mut() = Some(callback(&shared, |shared| {
        shared.state.borrow_mut().tick_due_ms = None;
        deliver(shared, Pass::Due);
    }));
    listen(&shared);
    autotrack::install(&shared);
    if FORMS {
        forms::install(&shared);
    }
    let tracker = Tracker { shared };
    page_view(&tracker.shared, None, None);
    if PERSONALIZE {
        personalize::start(&tracker.shared);
    }
    Some(tracker)
}

// Rust-side accessors, for tests: the page reaches the tracker only through `command`
// (orbit.mjs keeps the object private), so these are not exported to JavaScript and the
// bundle carries none of them.
impl Tracker {
    /// Sends everything queued now.
    pub fn flush(&self) {
        deliver(&self.shared, Pass::Flush);
    }

    /// The visitor's anonymous id.
    pub fn anonymous_id(&self) -> String {
        self.shared.state.borrow().anonymous_id.clone()
    }

    /// The user id `identify` gave, if any.
    pub fn user_id(&self) -> Option<String> {
        self.shared.state.borrow().user_id.clone()
    }

    /// The current session's id.
    pub fn session_id(&self) -> Option<String> {
        self.shared
            .state
            .borrow()
            .session
            .as_ref()
            .map(|s| s.id.clone())
    }

    /// Unsent events (queued or in flight), for tests and debugging.
    pub fn pending(&self) -> usize {
        let state = self.shared.state.borrow();
        state.queue.len() + state.in_flight.events().count()
    }

    /// The custom attributes as a JSON object (for rules and tests).
    pub fn attributes(&self) -> String {
        attributes_json(&self.shared.state.borrow().attributes)
    }
}

/// The commands, in the order [`Tracker::command`] matches their index: one loop over a
/// table instead of a string comparison each.
const COMMANDS: [&str; 12] = [
    "page",
    "track",
    "identify",
    "alias",
    "reset",
    "ready",
    "set",
    "consent",
    "flush",
    "formSubmitted",
    "reapply",
    "debug",
];

impl Tracker {
    /// Runs one `orbit(name, ...args)` call; bad calls get one console warning.
    pub fn command(&self, name: &str, args: &Array) {
        // The arguments are read once here: one `Array#get` call site each.
        let first = args.get(0);
        let second = args.get(1);
        let result = match COMMANDS.iter().position(|c| *c == name) {
            Some(0) => self.page(&first, &second),
            Some(1) => self.track(&first, &second),
            Some(2) => self.identify(&first, &second),
            Some(3) => self.alias(&first),
            Some(4) => {
                self.reset();
                Ok(())
            }
            Some(5) => ready(&first),
            Some(6) => self.set(&first, &second),
            Some(7) => self.consent(&first),
            Some(8) => {
                deliver(&self.shared, Pass::Flush);
                Ok(())
            }
            Some(9) if FORMS => forms::submitted_command(&self.shared, &first),
            Some(10) if PERSONALIZE => {
                personalize::reapply(&self.shared);
                Ok(())
            }
            Some(9 | 10) => Err(NOT_IN_CORE),
            Some(11) => {
                let on = first.is_truthy();
                self.shared.state.borrow_mut().debug = on;
                if on && PERSONALIZE {
                    personalize::explain(&self.shared);
                }
                Ok(())
            }
            _ => Err(
                "unknown command; expected one of: page, track, identify, alias, reset, \
                      set, consent, ready, flush, formSubmitted, reapply, debug",
            ),
        };
        if let Err(message) = result {
            web::console::warn(message);
        }
    }

    fn page(&self, first: &JsValue, second: &JsValue) -> Result<(), &'static str> {
        let (name, props) = match first.as_string() {
            Some(name) => (Some(name), second),
            None => (None, first),
        };
        let props = properties_json(props)
            .ok_or("orbit('page', [name], [properties]): properties must be a plain object")?;
        page_view(&self.shared, name.as_deref(), props.as_deref());
        Ok(())
    }

    /// `orbit('consent', 'granted' | 'denied')`: granted stores the visitor id and sends
    /// what waited; denied drops it and removes everything Orbit stored.
    fn consent(&self, answer: &JsValue) -> Result<(), &'static str> {
        let answer = answer.as_string();
        let now = now_u64();
        match answer.as_deref() {
            Some("granted") => {
                let mut state = self.shared.state.borrow_mut();
                if state.mode != Mode::Tracking {
                    web::storage::local_set(CONSENT_KEY, "granted");
                    let waiting_id = state.anonymous_id.clone();
                    state.mode = Mode::Tracking;
                    if FORMS {
                        forms::tracking(&state, true);
                    }
                    let waiting_session = state.session.take();
                    load_stored_state(&mut state, now);
                    if state.session.is_none() {
                        state.session = waiting_session;
                        state.session_dirty = true;
                    }
                    let State {
                        queue,
                        anonymous_id,
                        ..
                    } = &mut *state;
                    // The waiting events carry the id that lived in memory: the stored one
                    // replaces it (`String#replaceAll`; ids are UUIDs, no `$` patterns).
                    let replace_all = web::global("String.prototype.replaceAll");
                    let (from, to) = (
                        JsValue::from_str(&waiting_id),
                        JsValue::from_str(anonymous_id),
                    );
                    queue.rewrite_events(|event| {
                        web::call(
                            &replace_all,
                            "call",
                            &[&JsValue::from_str(event), &from, &to],
                        )
                        .as_string()
                    });
                    state.dirty = true;
                    drop(state);
                    schedule(&self.shared, 0);
                }
                Ok(())
            }
            Some("denied") => {
                let mut state = self.shared.state.borrow_mut();
                state.mode = Mode::Off;
                if FORMS {
                    forms::tracking(&state, false);
                }
                state.queue = Queue::new();
                forget_everything(&state);
                Ok(())
            }
            _ => Err("orbit('consent', answer): answer must be 'granted' or 'denied'"),
        }
    }

    /// `orbit('set', key, value)`: a custom attribute for personalisation rules, kept in
    /// localStorage; `null` or `undefined` removes it.
    fn set(&self, key: &JsValue, value: &JsValue) -> Result<(), &'static str> {
        const USAGE: &str = "orbit('set', key, value): key must be letters, digits, '_', '-' or \
                             '.', and value a string, number, boolean, array or plain object";
        let key = key
            .as_string()
            .filter(|k| is_attribute_key(k))
            .ok_or(USAGE)?;
        let mut state = self.shared.state.borrow_mut();
        state.attributes.retain(|(k, _)| *k != key);
        if !value.is_null_or_undefined() {
            let json = stringify(value).ok_or(USAGE)?;
            state.attributes.push((key, json));
        }
        if state.mode == Mode::Tracking {
            web::storage::local_set(ATTRIBUTES_KEY, &attributes_json(&state.attributes));
        }
        Ok(())
    }

    fn track(&self, name: &JsValue, props_value: &JsValue) -> Result<(), &'static str> {
        let name = non_blank(name)
            .ok_or("orbit('track', name, [properties]): name must be a non-empty string")?;
        let props = properties_json(props_value)
            .ok_or("orbit('track', name, [properties]): properties must be a plain object")?;
        record(
            &self.shared,
            EventBody::Track { event: &name },
            props.as_deref(),
        );
        if FORMS && name == orbit_core::forms::FORM_SUBMITTED {
            forms::tracked_submission(&self.shared, props_value);
        }
        Ok(())
    }

    fn identify(&self, first: &JsValue, traits: &JsValue) -> Result<(), &'static str> {
        const USAGE: &str = "orbit('identify', userId, [traits]): userId must be a non-empty \
                             string and traits a plain object";
        let user_id = non_blank_or_number(first).ok_or(USAGE)?;
        let traits = properties_json(traits).ok_or(USAGE)?;
        if self.mode() == Mode::Cookieless {
            return Err(NO_USER_ID_WHEN_COOKIELESS);
        }
        let state = self.shared.state.borrow();
        let another = state.user_id.as_ref().is_some_and(|p| *p != user_id);
        drop(state);
        if another {
            // Another person on this browser: their events must not join the last one's.
            self.reset();
        }
        self.set_user_id(user_id);
        if let Some(traits) = traits.as_deref() {
            if self.may_store() {
                web::storage::local_set(TRAITS_KEY, traits);
            }
            // Kept for rules only (the core bundle has none).
            if PERSONALIZE {
                self.shared.state.borrow_mut().traits = Some(String::from(traits));
            }
        }
        record(
            &self.shared,
            EventBody::Identify { form_id: None },
            traits.as_deref(),
        );
        Ok(())
    }

    fn alias(&self, new_id: &JsValue) -> Result<(), &'static str> {
        let new_id = non_blank(new_id)
            .ok_or("orbit('alias', newUserId): newUserId must be a non-empty string")?;
        if self.mode() == Mode::Cookieless {
            return Err(NO_USER_ID_WHEN_COOKIELESS);
        }
        let previous = {
            let state = self.shared.state.borrow();
            state
                .user_id
                .as_ref()
                .unwrap_or(&state.anonymous_id)
                .clone()
        };
        self.set_user_id(new_id);
        record(
            &self.shared,
            EventBody::Alias {
                previous_id: &previous,
            },
            None,
        );
        Ok(())
    }

    /// The user id from now on (`identify`, `alias`), stored when the browser may be written.
    fn set_user_id(&self, id: String) {
        if self.may_store() {
            web::storage::local_set(USER_ID_KEY, &id);
        }
        self.shared.state.borrow_mut().user_id = Some(id);
    }

    /// Whether the visitor's browser may be written to (not before consent).
    fn may_store(&self) -> bool {
        self.mode() == Mode::Tracking
    }

    /// What the tracker may do now.
    fn mode(&self) -> Mode {
        self.shared.state.borrow().mode
    }

    /// Forgets the user (logout): a new anonymous id, no user id, a new session.
    fn reset(&self) {
        let id = new_id(web::now_ms());
        if self.may_store() {
            let state = self.shared.state.borrow();
            store_anonymous_id(&id, state.config.cookie_domain.as_deref());
            drop(state);
            web::storage::local_remove(USER_ID_KEY);
            web::storage::local_remove(SESSION_KEY);
            web::storage::local_remove(TRAITS_KEY);
            profile::forget();
        }
        let mut state = self.shared.state.borrow_mut();
        if PERSONALIZE {
            // Only rules load a profile: the core bundle has none to forget in memory.
            state.personal.profile = profile::Profile::default();
        }
        state.anonymous_id = id;
        state.user_id = None;
        state.traits = None;
        state.session = None;
    }
}

/// Records a page view: continues or starts the session, then queues the event.
pub(crate) fn page_view(shared: &Rc<Shared>, name: Option<&str>, props: Option<&str>) {
    let now = now_u64();
    let url = web::page::href();
    {
        let mut state = shared.state.borrow_mut();
        let (session, started) =
            session::touch_page(state.session.take(), now, &url, || new_id(now as i64));
        if started && state.debug {
            web::console::debug("new session", &JsValue::from_str(&session.id));
        }
        state.session = Some(session);
        state.session_dirty = true;
    }
    enqueue(shared, EventBody::Page { name }, props);
}

/// Continues the session (or starts one after 30 minutes) for an event that is not a page.
pub(crate) fn touch_session(shared: &Rc<Shared>) {
    let now = now_u64();
    let mut state = shared.state.borrow_mut();
    let (session, _) = session::touch_event(state.session.take(), now, || new_id(now as i64));
    state.session = Some(session);
    state.session_dirty = true;
}

/// Records an event the tracker makes itself (forms, exposures): visitor activity, so the
/// session goes on.
pub(crate) fn track_event(shared: &Rc<Shared>, event: &str, properties: &str) {
    record(shared, EventBody::Track { event }, Some(properties));
}

/// Continues the session and queues an event: what every visitor action does.
fn record(shared: &Rc<Shared>, body: EventBody<'_>, properties: Option<&str>) {
    touch_session(shared);
    enqueue(shared, body, properties);
}

/// Writes an event and queues it; storing and sending happen in the end-of-task pass.
pub(crate) fn enqueue(shared: &Rc<Shared>, body: EventBody<'_>, properties: Option<&str>) {
    let now = web::now_ms();
    let message_id = new_id(now);
    let timestamp = web::iso_time(now);
    {
        let mut state = shared.state.borrow_mut();
        let page = web::page::location();
        let meta = EventMeta {
            message_id: &message_id,
            anonymous_id: (state.mode != Mode::Cookieless).then_some(state.anonymous_id.as_str()),
            timestamp: &timestamp,
            user_id: state.user_id.as_deref(),
            session_id: state.session.as_ref().map(|s| s.id.as_str()),
        };
        let event = events::write_event(&meta, &body, &page, properties);
        if state.debug {
            web::console::debug("queued", &JsValue::from_str(&event));
        }
        state.queue.push(event);
        state.dirty = true;
    }
    // Storing and sending wait for the end of the task, so a burst of calls is one
    // write; the pass then sends when 20 events, 32 KB or 5 s are reached.
    schedule(shared, 0);
}

/// `orbit('ready', callback)`: the tracker is running when commands are, so it is called
/// at once; a callback that throws gets a warning, not an exception into the page.
fn ready(callback: &JsValue) -> Result<(), &'static str> {
    if !callback.is_function() {
        return Err("orbit('ready', callback): callback must be a function");
    }
    // Through `Reflect.apply`, which the tracker binds anyway: no `Function#call` binding.
    web::apply(callback, &JsValue::NULL, &[])
        .map(|_| ())
        .map_err(|_| "the ready callback threw; see the error above")
}

/// Reads the IANA time zone when the page is idle (`requestIdleCallback`, else a timer), for
/// the next batches, and keeps it for the next visits. Runs at most once a page, so the
/// callback is kept with the page's listeners (one closure type less than a one-shot).
fn read_timezone_when_idle(shared: &Rc<Shared>) {
    let read = callback(shared, |shared| {
        let timezone = web::page::timezone().unwrap_or_default();
        let mut state = shared.state.borrow_mut();
        if state.mode == Mode::Tracking && !timezone.is_empty() {
            web::storage::local_set(TIMEZONE_KEY, &timezone);
        }
        state.page.timezone = timezone;
    });
    web::when_idle(read.as_ref(), 2_000);
    shared.listeners.borrow_mut().push(read);
}

/// Sends everything queued with `keepalive`, before the page navigates away (a redirect).
pub(crate) fn deliver_now(shared: &Rc<Shared>) {
    deliver(shared, Pass::Leave);
}

/// Why a delivery pass runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// A timer: send when 20 events, 32 KB or 5 s are reached, one request at a time.
    Due,
    /// `orbit('flush')`: send everything now.
    Flush,
    /// The page is hidden or unloading: send everything with `keepalive` (or a beacon).
    Leave,
}

/// A delivery pass: stores the queue if it changed, then sends what the pass calls for.
fn deliver(shared: &Rc<Shared>, pass: Pass) {
    let all = pass != Pass::Due;
    let now = now_u64();
    let mut requests = Vec::new();
    let url;
    {
        let mut state = shared.state.borrow_mut();
        if matches!(state.mode, Mode::AwaitingConsent | Mode::Off) {
            return; // nothing is stored or sent before consent
        }
        url = web::transport::batch_url(&state.config.endpoint, &state.config.write_key);
        let waiting_retry = now < state.retry_at_ms;
        let due = all
            || (!waiting_retry
                && state.in_flight.is_empty()
                && state.queue.should_flush(now, state.last_flush_ms));
        if due && !state.queue.is_empty() && web::transport::is_online() {
            state.last_flush_ms = now;
            if !state.timezone_read {
                // Not now: the first Intl.DateTimeFormat costs 30–60 ms, a long task on the
                // page's load. This batch has the UTC offset; later ones the zone's name.
                state.timezone_read = true;
                read_timezone_when_idle(shared);
            }
            let context = events::write_batch_context(&state.page);
            let budget =
                KEEPALIVE_BUDGET_BYTES.saturating_sub(context.len() + BATCH_CONTEXT_OVERHEAD);
            loop {
                let mut batch = state.queue.take_batch(budget);
                if batch.is_empty() {
                    break;
                }
                let body = events::write_batch(&batch, &web::iso_time(now as i64), &context);
                if state.debug {
                    web::console::debug("sending batch", &JsValue::from_str(&body));
                }
                // Leaving: a beacon is queued by the browser however the page ends. Its
                // answer cannot be read, so its events stay stored and the next page sends
                // them again; the collector drops the duplicates.
                if pass == Pass::Leave && web::transport::beacon(&url, &body) {
                    state.sent_blind.append(&mut batch);
                    let excess = state.sent_blind.len().saturating_sub(MAX_QUEUED_EVENTS);
                    if excess > 0 {
                        state.sent_blind = state.sent_blind.split_off(excess);
                    }
                    state.dirty = true;
                    continue;
                }
                // Stored under a key of its own until answered (delivery.rs); the tab's
                // queue is stored again without it, in this task.
                let stored =
                    (state.mode == Mode::Tracking).then(|| delivery::encode_stored(now, &[&batch]));
                let id = state.in_flight.start(batch);
                if let Some(text) = stored {
                    web::storage::local_set(&delivery::request_key(&state.storage_key, id), &text);
                }
                state.dirty = true;
                requests.push((id, body));
                if !all {
                    break; // one request at a time keeps order and spares the collector
                }
            }
        }
        if state.mode == Mode::Cookieless {
            state.dirty = false;
            state.session_dirty = false;
        }
        if state.dirty {
            persist(&mut state, now);
        }
        if state.session_dirty {
            state.session_dirty = false;
            if let Some(session) = &state.session {
                web::storage::local_set(SESSION_KEY, &session.encode());
            }
        }
        if !state.queue.is_empty() && state.in_flight.is_empty() {
            let wait = if now < state.retry_at_ms {
                state.retry_at_ms - now
            } else {
                FLUSH_INTERVAL_MS.saturating_sub(now.saturating_sub(state.last_flush_ms))
            };
            drop(state);
            schedule(shared, wait);
        }
    }
    for (id, body) in &requests {
        send(shared, &url, *id, body, pass == Pass::Leave);
    }
}

/// Posts one batch and handles its answer: delivered, retried with backoff, or dropped.
fn send(shared: &Rc<Shared>, url: &str, id: u32, body: &str, leaving: bool) {
    let Some(promise) = web::transport::post(url, body, leaving) else {
        answered(shared, id, 0, None);
        return;
    };
    // Called exactly once: with the Response, or with `undefined` when fetch failed (the
    // shared `catch` handler turns a rejection into that).
    // The listeners' closure (see `Handler`) rather than a one-shot closure (whose glue
    // costs ~300 B gzip): owned by JavaScript, and freed when the function is garbage
    // collected (the glue's FinalizationRegistry, which every browser able to run this
    // module has).
    let on_answer = listener(Rc::downgrade(shared), Handler::Answer(id)).into_js_value();
    // Both through `web::call`, which the tracker has anyway: no `catch` binding in the glue.
    let settled = web::call(&promise, "catch", &[shared.swallow_failure.as_ref()]);
    web::call(&settled, "then", &[&on_answer]);
}

fn answered(shared: &Rc<Shared>, id: u32, status: u16, retry_after: Option<String>) {
    let now = now_u64();
    {
        let mut state = shared.state.borrow_mut();
        let events = state.in_flight.finish(id);
        if state.mode == Mode::Tracking {
            // Retried events go back to the queue, stored again at the end of this pass.
            web::storage::local_remove(&delivery::request_key(&state.storage_key, id));
        }
        match classify(status) {
            SendOutcome::Delivered => {
                state.attempt = 0;
                state.retry_at_ms = 0;
            }
            SendOutcome::Retry => {
                let wait_for = retry_after.and_then(|v| parse_retry_after_seconds(&v));
                let jitter = web::random::bytes::<4>().map_or(0, u32::from_le_bytes);
                let delay = retry_delay_ms(state.attempt, jitter, wait_for);
                state.attempt = state.attempt.saturating_add(1);
                state.retry_at_ms = now + delay;
                state.queue.requeue_front(events);
                if state.debug {
                    web::console::debug(
                        "delivery failed; retrying in ms",
                        &JsValue::from_f64(delay as f64),
                    );
                }
            }
            SendOutcome::Drop => {
                web::console::warn(
                    "the collector refused a batch (a 4xx answer: check data-site, data-key \
                     and the site's allowed_origins); its events are dropped",
                );
            }
        }
        state.dirty = true;
    }
    deliver(shared, Pass::Due);
}

/// Writes the unsent events (sent blind and queued) under this tab's key; those in flight
/// have keys of their own.
fn persist(state: &mut State, now: u64) {
    state.dirty = false;
    if state.queue.is_empty() && state.sent_blind.is_empty() {
        web::storage::local_remove(&state.storage_key);
        return;
    }
    let text = delivery::encode_stored(now, &[&state.sent_blind, state.queue.events()]);
    if !web::storage::local_set(&state.storage_key, &text) && state.debug {
        web::console::note("cannot store the queue");
    }
}

/// Takes over this tab's stored events (its queue, and requests its last page sent and
/// never saw answered) and those of tabs closed long enough ago, in the storage's key
/// order (each event keeps its timestamp; ordering them would cost ~300 B gzip).
fn adopt_stored_queues(state: &mut State, now: u64) {
    // By reference: the `Vec`'s drop is in the bundle anyway, an iterator's would not be.
    for key in &web::storage::local_keys(delivery::QUEUE_KEY_PREFIX) {
        let Some(text) = web::storage::local_get(key) else {
            continue;
        };
        let (written, events) = delivery::decode_stored(&text);
        let queue_key = *key == state.storage_key;
        let own = queue_key || key.starts_with(state.storage_key.as_str());
        if !own && !delivery::is_abandoned(written, now) {
            continue;
        }
        adopt_events(&mut state.queue, events);
        // This tab's queue key is written again by the next pass.
        if !queue_key {
            web::storage::local_remove(key);
        }
        state.dirty = true;
    }
}

/// Queues the events of a stored queue's text (a JSON array of objects), in order; none when
/// the text is damaged. Read with the browser's `JSON.parse` and each written back with
/// `JSON.stringify` (the queue's scanner in Rust is ~350 B gzip of the bundle): the same
/// events as the collector reads them, only member order (integer-like keys first, a
/// repeated key once) and escapes can differ from the stored text.
fn adopt_events(queue: &mut Queue, text: &str) {
    let list = parse_json(text);
    if !Array::is_array(&list) {
        return;
    }
    let list = list.unchecked_ref::<Array>();
    let count = web::length(list);
    // Checked whole first, so a damaged text adds nothing.
    if (0..count).all(|i| is_plain_object(&list.get(i))) {
        for i in 0..count {
            // A parsed object always has a JSON text (no cycle, no BigInt).
            if let Some(event) = stringify(&list.get(i)) {
                queue.push(event);
            }
        }
    }
}

/// This tab's queue key; the tab id lives in sessionStorage, so the tab's next page owns
/// the same key.
fn own_storage_key(now: u64) -> String {
    let tab = web::storage::session_get(delivery::TAB_KEY)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| {
            let id = new_id(now as i64);
            web::storage::session_set(delivery::TAB_KEY, &id);
            id
        });
    let mut key = String::from(delivery::QUEUE_KEY_PREFIX);
    key.push_str(&tab);
    key
}

/// Sends everything when the page is hidden or unloaded, and resumes when back online.
fn listen(shared: &Rc<Shared>) {
    let on_leave = callback(shared, |shared| {
        if web::is_hidden() {
            leave(shared);
        } else {
            autotrack::became_visible(shared);
        }
    });
    web::on_document("visibilitychange", &on_leave);
    let on_pagehide = callback(shared, leave);
    web::on_window("pagehide", &on_pagehide);
    let on_online = callback(shared, |shared| {
        let mut state = shared.state.borrow_mut();
        state.retry_at_ms = 0;
        state.attempt = 0;
        drop(state);
        deliver(shared, Pass::Due);
    });
    web::on_window("online", &on_online);
    let mut listeners = shared.listeners.borrow_mut();
    listeners.push(on_leave);
    listeners.push(on_pagehide);
    listeners.push(on_online);
}

/// The page is going away or hidden: abandoned forms, the page's engagement, and a send
/// of everything queued.
fn leave(shared: &Rc<Shared>) {
    if FORMS {
        forms::send_abandoned(shared);
    }
    autotrack::send_leave(shared);
    deliver(shared, Pass::Leave);
}

/// A page-lifetime callback that runs `f` while the tracker exists. It has the listeners'
/// closure type (the argument, when there is one, is ignored), so the bundle holds one
/// copy of wasm-bindgen's closure glue for both.
pub(crate) fn callback(shared: &Rc<Shared>, f: fn(&Rc<Shared>)) -> EventListener {
    listener(Rc::downgrade(shared), Handler::Plain(f))
}

/// A page-lifetime listener that runs `f` with the tracker (while it exists) and the event:
/// one closure type for all of them, like [`callback`].
pub(crate) fn event_callback(weak: Weak<Shared>, f: fn(&Rc<Shared>, &JsValue)) -> EventListener {
    listener(weak, Handler::Event(f))
}

/// What a tracker closure runs: one closure type (and one copy of wasm-bindgen's glue for
/// it) serves callbacks, listeners, batch answers and the history wrappers alike.
enum Handler {
    /// Runs with the tracker; the arguments are ignored.
    Plain(fn(&Rc<Shared>)),
    /// Runs with the tracker and the event.
    Event(fn(&Rc<Shared>, &JsValue)),
    /// The answer (a `Response`, or `undefined`) to the batch request with this number.
    Answer(u32),
    /// Replaces `history.pushState` or `replaceState` (the original, and `history`): calls
    /// the original with the page's arguments, then checks for a navigation. The original's
    /// exceptions (a cross-origin URL) reach the page unchanged.
    History(js_sys::Function, JsValue),
}

/// The one closure type behind [`callback`], [`event_callback`], batch answers and the
/// history wrappers: runs `handler` while the tracker exists.
fn listener(weak: Weak<Shared>, handler: Handler) -> EventListener {
    Closure::new(move |arg: JsValue, title: JsValue, url: JsValue| {
        if let Handler::History(original, history) = &handler {
            if let Err(error) = web::apply(original, history, &[&arg, &title, &url]) {
                wasm_bindgen::throw_val(error);
            }
        }
        if let Some(shared) = weak.upgrade() {
            match &handler {
                Handler::Plain(f) => f(&shared),
                Handler::Event(f) => f(&shared, &arg),
                Handler::Answer(id) => {
                    let (status, retry_after) = web::transport::response_status(&arg);
                    answered(&shared, *id, status, retry_after);
                }
                Handler::History(..) => autotrack::navigated(&shared),
            }
        }
    })
}

/// Runs a delivery pass in `ms` (0: at the end of this task), unless one is due sooner.
fn schedule(shared: &Rc<Shared>, ms: u64) {
    let due = now_u64() + ms;
    {
        let mut state = shared.state.borrow_mut();
        if state.tick_due_ms.is_some_and(|d| d <= due) {
            return;
        }
        state.tick_due_ms = Some(due);
    }
    if let Some(tick) = shared.tick.borrow().as_ref() {
        web::set_timeout(tick, i32::try_from(ms).unwrap_or(i32::MAX));
    }
}

pub(crate) fn now_u64() -> u64 {
    web::now_ms().max(0) as u64
}

/// Reads the stored anonymous id, or makes one, and writes back whichever copy is missing.
fn load_anonymous_id(cookie_domain: Option<&str>) -> String {
    let cookie = read_cookie(identity::ANONYMOUS_ID_KEY);
    let local = web::storage::local_get(identity::ANONYMOUS_ID_KEY);
    let id = match choose_anonymous_id(cookie.as_deref(), local.as_deref()) {
        // Both: renews the cookie's lifetime (browsers cap script-set cookies, e.g. Safari
        // at 7 days) and moves it to the shared domain. LocalStorage: restores the cookie.
        IdSource::Both(id) | IdSource::LocalStorage(id) => {
            write_id_cookie(id, cookie_domain);
            id
        }
        IdSource::Cookie(id) => {
            web::storage::local_set(identity::ANONYMOUS_ID_KEY, id);
            id
        }
        IdSource::New => {
            let id = new_id(web::now_ms());
            store_anonymous_id(&id, cookie_domain);
            return id;
        }
    };
    String::from(id)
}

/// Reads what earlier pages stored: visitor and user ids, session, attributes, and the
/// unsent events of this tab and of closed tabs.
fn load_stored_state(state: &mut State, now: u64) {
    if state.config.detect_cookie_domain {
        state.config.detect_cookie_domain = false;
        state.config.cookie_domain = detect_cookie_domain();
    }
    state.anonymous_id = load_anonymous_id(state.config.cookie_domain.as_deref());
    state.user_id = web::storage::local_get(USER_ID_KEY).filter(|id| !id.is_empty());
    if !state.timezone_read {
        if let Some(timezone) = web::storage::local_get(TIMEZONE_KEY).filter(|t| !t.is_empty()) {
            state.page.timezone = timezone;
            state.timezone_read = true;
        }
    }
    state.session = web::storage::local_get(SESSION_KEY).and_then(|s| SessionState::decode(&s));
    state.attributes = load_attributes();
    // Traits and form counts are read only by rules (and the counts kept up by forms):
    // the core bundle leaves both out.
    if PERSONALIZE {
        state.traits = web::storage::local_get(TRAITS_KEY);
    }
    if FORMS || PERSONALIZE {
        state.form_counts = forms::FormCounts::decode(
            &web::storage::local_get(forms::FORM_COUNTS_KEY).unwrap_or_default(),
        );
    }
    state.storage_key = own_storage_key(now);
    adopt_stored_queues(state, now);
}

/// Removes every cookie and storage item Orbit wrote (consent withdrawn).
fn forget_everything(state: &State) {
    web::storage::set_cookie(&identity::expired_cookie(
        state.config.cookie_domain.as_deref(),
    ));
    for key in &[
        identity::ANONYMOUS_ID_KEY,
        USER_ID_KEY,
        SESSION_KEY,
        ATTRIBUTES_KEY,
        CONSENT_KEY,
        TRAITS_KEY,
        TIMEZONE_KEY,
        forms::FORM_COUNTS_KEY,
        personalize::RULES_CACHE_KEY,
        personalize::RULES_ETAG_KEY,
        personalize::ASSIGNMENTS_KEY,
        personalize::EXPOSED_KEY,
        profile::PROFILE_CACHE_KEY,
        profile::PROFILE_ETAG_KEY,
    ] {
        web::storage::local_remove(key);
    }
    if !state.storage_key.is_empty() {
        // The tab's queue, and its requests in flight (delivery.rs).
        web::storage::local_remove(&state.storage_key);
        for id in state.in_flight.ids() {
            web::storage::local_remove(&delivery::request_key(&state.storage_key, id));
        }
    }
}

/// The custom attributes as one JSON object (what is stored, and what rules will read).
fn attributes_json(attributes: &[(String, String)]) -> String {
    let mut w = orbit_core::json::JsonWriter::new();
    w.begin_object();
    for (key, value) in attributes {
        w.key(key).raw(value);
    }
    w.end_object();
    w.finish()
}

/// Attribute keys are plain names (letters, digits, `_`, `-`, `.`), so they need no
/// escaping in the stored JSON. One out-of-line copy for `set` and the stored attributes.
#[inline(never)]
fn is_attribute_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .as_bytes()
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The stored custom attributes: each member of the stored object, read with the browser's
/// `JSON.parse` (a member scanner in Rust is ~400 B gzip of the core bundle) and each value
/// written back with `JSON.stringify`, which gives back the text it wrote (`set`). Members
/// come in JavaScript's order: integer-like keys first, the others as stored.
fn load_attributes() -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let Some(text) = web::storage::local_get(ATTRIBUTES_KEY) else {
        return attributes;
    };
    let object = parse_json(&text);
    if !is_plain_object(&object) {
        return attributes;
    }
    let keys = web::call(&web::global("Object"), "keys", &[&object]);
    for i in 0..web::length(&keys) {
        let Some(key) = keys.unchecked_ref::<Array>().get(i).as_string() else {
            continue;
        };
        if is_attribute_key(&key) {
            if let Some(value) = stringify(&web::prop(&object, &key)) {
                attributes.push((key, value));
            }
        }
    }
    attributes
}

/// The registrable domain of the page's host: the broadest parent domain the browser
/// accepts a cookie on (it refuses public suffixes), found with a probe cookie that is
/// removed at once. None on `localhost`, IP addresses, or a host under a public suffix
/// such as `myapp.vercel.app`, where the cookie stays on the host.
fn detect_cookie_domain() -> Option<String> {
    let host = web::page::hostname()?;
    let domain = identity::first_accepted_domain(&host, |candidate| {
        let mut probe = String::from(identity::DOMAIN_PROBE_COOKIE);
        probe.push_str("=1; Path=/; SameSite=Lax; Domain=");
        probe.push_str(candidate);
        web::storage::set_cookie(&probe);
        let accepted = read_cookie(identity::DOMAIN_PROBE_COOKIE).is_some();
        if accepted {
            probe.push_str("; Max-Age=0");
            web::storage::set_cookie(&probe);
        }
        accepted
    });
    domain.map(String::from)
}

/// The value of the cookie `name`, if the page has one.
fn read_cookie(name: &str) -> Option<String> {
    let cookies = web::storage::cookies()?;
    cookie_value(&cookies, name).map(String::from)
}

/// Writes the anonymous id to the cookie and localStorage.
fn store_anonymous_id(id: &str, cookie_domain: Option<&str>) {
    write_id_cookie(id, cookie_domain);
    web::storage::local_set(identity::ANONYMOUS_ID_KEY, id);
}

/// Writes the anonymous id cookie (Secure on https).
fn write_id_cookie(id: &str, cookie_domain: Option<&str>) {
    web::storage::set_cookie(&anonymous_id_cookie(
        id,
        web::page::is_https(),
        cookie_domain,
    ));
}

/// A UUIDv7 from the Web Crypto API; `Math.random` only where crypto is missing (ids need
/// to be unique, not secret).
fn new_id(now_ms: i64) -> String {
    let random = web::random::bytes::<UUID_RANDOM_BYTES>()
        .unwrap_or_else(|| core::array::from_fn(|_| (js_sys::Math::random() * 256.0) as u8));
    uuid_v7(now_ms.max(0) as u64, random)
}

/// A string argument that is not blank.
fn non_blank(value: &JsValue) -> Option<String> {
    non_blank_text(value.as_string())
}

/// A string or number argument (a number as JavaScript prints it) that is not blank.
fn non_blank_or_number(value: &JsValue) -> Option<String> {
    non_blank_text(
        value
            .as_string()
            .or_else(|| value.as_f64().and_then(number_text)),
    )
}

/// `text` unless it is missing or blank.
fn non_blank_text(text: Option<String>) -> Option<String> {
    text.filter(|t| !orbit_core::text::trim(t).is_empty())
}

/// A number as JavaScript prints it (`42`, not `42.0`), for numeric user ids: `String(n)`,
/// through the method-call helper every browser call shares (no binding of its own).
fn number_text(n: f64) -> Option<String> {
    let window = web::window()?;
    web::call(window.as_ref(), "String", &[&JsValue::from_f64(n)]).as_string()
}

#[inline(never)]
fn string_option(options: &JsValue, key: &str) -> Option<String> {
    web::prop_string(options, key)
}

/// A properties argument as JSON text: `Some(None)` when absent, `None` when unusable
/// (not a plain object, or `JSON.stringify` threw on a cycle or a BigInt).
fn properties_json(value: &JsValue) -> Option<Option<String>> {
    if value.is_null_or_undefined() {
        return Some(None);
    }
    if !is_plain_object(value) {
        return None;
    }
    stringify(value).map(Some)
}

/// Whether `value` is an object and not an array.
fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !Array::is_array(value)
}

/// `JSON.parse(text)`, or `undefined` when it throws (not JSON): through `web::call`, like
/// [`stringify`].
fn parse_json(text: &str) -> JsValue {
    web::call(&web::global("JSON"), "parse", &[&JsValue::from_str(text)])
}

/// `JSON.stringify(value)`; `None` when it throws (a cycle, a BigInt) or gives `undefined`.
/// Called through `web::call` (which turns a throw into `undefined`): no binding of its own.
fn stringify(value: &JsValue) -> Option<String> {
    // Without a window, `JSON` reads as `undefined` and the call as `undefined` too.
    web::call(&web::global("JSON"), "stringify", &[value]).as_string()
}
