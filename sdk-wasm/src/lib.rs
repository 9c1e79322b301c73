//! `orbit-sdk`: the browser tracker, compiled to WebAssembly.
//!
//! The loader (`js/loader.js`, served as `orbit.js`) instantiates this module and calls
//! [`init_tracker`] with the script tag's options; every later `orbit(...)` call arrives
//! through [`Tracker::command`].
//!
//! - [`config`]: options → a validated `TrackerConfig`.
//! - [`identity`]: the anonymous id's cookie format and which stored copy wins.
//! - [`events`]: events and batches in the wire format, written without serde.
//! - `web`: the only module that touches the browser (storage, page, transport, console).
//!
//! Size matters here more than anywhere (SIZE.md): no serde reading, no `core::fmt`,
//! messages are `&'static str`, and the production build (`--features bundle`) is `no_std`.
#![cfg_attr(all(feature = "bundle", target_arch = "wasm32"), no_std)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

extern crate alloc;

pub mod config;
pub mod events;
pub mod identity;
mod web;

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use config::{RawOptions, TrackerConfig};
use events::{EventBody, EventMeta};
use identity::{anonymous_id_cookie, choose_anonymous_id, cookie_value, IdSource};
use orbit_core::id::{uuid_v7, UUID_RANDOM_BYTES};
use orbit_core::time::format_rfc3339_ms;

#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic traps (the loader catches it) instead of pulling in std's message formatting.
#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Largest batch body sent with `fetch(..., {keepalive: true})`; browsers cap all in-flight
/// keepalive bodies of a page at 64 KB together.
pub const MAX_KEEPALIVE_BODY_BYTES: usize = 60 * 1024;

/// The running tracker; the loader keeps it for the page's lifetime.
#[wasm_bindgen]
pub struct Tracker {
    shared: Rc<Shared>,
    /// Runs a scheduled flush; handed to `setTimeout` each time one is needed.
    flush_callback: Closure<dyn FnMut()>,
}

struct Shared {
    state: RefCell<State>,
    /// Swallows a failed delivery so it never appears as an unhandled promise rejection.
    on_send_failure: Closure<dyn FnMut(JsValue)>,
}

struct State {
    config: TrackerConfig,
    anonymous_id: String,
    queue: Vec<String>,
    flush_scheduled: bool,
    debug: bool,
}

/// Starts the tracker from `{site, key, endpoint}`; logs why and returns nothing when the
/// options cannot work.
#[wasm_bindgen(js_name = initTracker)]
pub fn init_tracker(options: &JsValue) -> Option<Tracker> {
    let raw = RawOptions {
        site: string_option(options, "site"),
        key: string_option(options, "key"),
        endpoint: string_option(options, "endpoint"),
    };
    let config = match TrackerConfig::from_raw(raw) {
        Ok(config) => config,
        Err(error) => {
            web::console::warn(error.message());
            return None;
        }
    };
    let state = State {
        config,
        anonymous_id: load_anonymous_id(),
        queue: Vec::new(),
        flush_scheduled: false,
        debug: false,
    };
    let shared = Rc::new(Shared {
        state: RefCell::new(state),
        on_send_failure: Closure::new(|_: JsValue| {}),
    });
    let for_timer = Rc::clone(&shared);
    let tracker = Tracker {
        shared,
        flush_callback: Closure::new(move || {
            for_timer.state.borrow_mut().flush_scheduled = false;
            flush(&for_timer);
        }),
    };
    tracker.enqueue(EventBody::Page { name: None }, None);
    Some(tracker)
}

#[wasm_bindgen]
impl Tracker {
    /// Runs one `orbit(name, ...args)` call; bad calls get one console warning.
    pub fn command(&self, name: &str, args: &Array) {
        let result = match name {
            "page" => self.page(args),
            "track" => self.track(args),
            "flush" => {
                flush(&self.shared);
                Ok(())
            }
            "debug" => {
                self.shared.state.borrow_mut().debug = args.get(0).is_truthy();
                Ok(())
            }
            _ => Err("unknown command; expected one of: page, track, flush, debug"),
        };
        if let Err(message) = result {
            web::console::warn(message);
        }
    }

    /// Sends everything queued now.
    pub fn flush(&self) {
        flush(&self.shared);
    }

    /// The visitor's anonymous id (for tests and for pages that link it elsewhere).
    #[wasm_bindgen(getter, js_name = anonymousId)]
    pub fn anonymous_id(&self) -> String {
        self.shared.state.borrow().anonymous_id.clone()
    }

    fn page(&self, args: &Array) -> Result<(), &'static str> {
        let first = args.get(0);
        let (name, props) = match first.as_string() {
            Some(name) => (Some(name), args.get(1)),
            None => (None, first),
        };
        let props = properties_json(&props)
            .ok_or("orbit('page', [name], [properties]): properties must be a plain object")?;
        self.enqueue(
            EventBody::Page {
                name: name.as_deref(),
            },
            props.as_deref(),
        );
        Ok(())
    }

    fn track(&self, args: &Array) -> Result<(), &'static str> {
        let name = args
            .get(0)
            .as_string()
            .filter(|n| !n.trim().is_empty())
            .ok_or("orbit('track', name, [properties]): name must be a non-empty string")?;
        let props = properties_json(&args.get(1))
            .ok_or("orbit('track', name, [properties]): properties must be a plain object")?;
        self.enqueue(EventBody::Track { event: &name }, props.as_deref());
        Ok(())
    }

    fn enqueue(&self, body: EventBody<'_>, properties: Option<&str>) {
        let now = web::now_ms();
        let message_id = new_id(now);
        let timestamp = format_rfc3339_ms(now);
        let page = web::page::info();
        let mut state = self.shared.state.borrow_mut();
        let meta = EventMeta {
            message_id: &message_id,
            anonymous_id: &state.anonymous_id,
            timestamp: &timestamp,
        };
        let event = events::write_event(&meta, &body, &page, properties);
        state.queue.push(event);
        if !state.flush_scheduled {
            state.flush_scheduled = true;
            schedule(&self.flush_callback);
        }
    }
}

/// Sends the queue in batches that fit the keepalive budget.
fn flush(shared: &Shared) {
    let (events, config, debug) = {
        let mut state = shared.state.borrow_mut();
        if state.queue.is_empty() {
            return;
        }
        (
            core::mem::take(&mut state.queue),
            state.config.clone(),
            state.debug,
        )
    };
    let url = web::transport::batch_url(&config.endpoint, &config.write_key);
    let sent_at = format_rfc3339_ms(web::now_ms());
    for batch in events::split_batches(&events, MAX_KEEPALIVE_BODY_BYTES) {
        let body = events::write_batch(batch, &sent_at);
        if debug {
            web::console::debug("sending batch", &JsValue::from_str(&body));
        }
        web::transport::post(&url, &body, &shared.on_send_failure);
    }
}

/// Runs `callback` in a later task, so that calls made together leave in one batch.
fn schedule(callback: &Closure<dyn FnMut()>) {
    if let Some(window) = web::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.as_ref().unchecked_ref(),
            0,
        );
    }
}

/// Reads the stored anonymous id, or makes one, and writes back whichever copy is missing.
fn load_anonymous_id() -> String {
    let cookies = web::storage::cookies();
    let cookie = cookies
        .as_deref()
        .and_then(|c| cookie_value(c, identity::ANONYMOUS_ID_KEY));
    let local = web::storage::local_get(identity::ANONYMOUS_ID_KEY);
    let write_cookie = |id: &str| {
        web::storage::set_cookie(&anonymous_id_cookie(id, web::page::is_https(), None));
    };
    match choose_anonymous_id(cookie, local.as_deref()) {
        IdSource::Both(id) => id,
        IdSource::Cookie(id) => {
            web::storage::local_set(identity::ANONYMOUS_ID_KEY, &id);
            id
        }
        IdSource::LocalStorage(id) => {
            write_cookie(&id);
            id
        }
        IdSource::New => {
            let id = new_id(web::now_ms());
            write_cookie(&id);
            web::storage::local_set(identity::ANONYMOUS_ID_KEY, &id);
            id
        }
    }
}

/// A UUIDv7 from the Web Crypto API; `Math.random` only where crypto is missing (ids need
/// to be unique, not secret).
fn new_id(now_ms: i64) -> String {
    let random = web::random::bytes::<UUID_RANDOM_BYTES>().unwrap_or_else(|| {
        let mut fallback = [0u8; UUID_RANDOM_BYTES];
        for b in &mut fallback {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
        fallback
    });
    uuid_v7(now_ms.max(0) as u64, random)
}

fn string_option(options: &JsValue, key: &str) -> Option<String> {
    Reflect::get(options, &JsValue::from_str(key))
        .ok()?
        .as_string()
}

/// A properties argument as JSON text: `Some(None)` when absent, `None` when unusable
/// (not a plain object, or `JSON.stringify` threw on a cycle or a BigInt).
fn properties_json(value: &JsValue) -> Option<Option<String>> {
    if value.is_undefined() || value.is_null() {
        return Some(None);
    }
    if !value.is_object() || Array::is_array(value) {
        return None;
    }
    JSON::stringify(value).ok()?.as_string().map(Some)
}
