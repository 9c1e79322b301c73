//! What the tracker records by itself: page views on SPA navigation (`history.pushState`,
//! `replaceState`, `popstate`), a `Page Leave` event with engaged time and scroll depth when
//! the page is hidden or left, and clicks on outbound links and on elements marked
//! `data-orbit-track="Event Name"` (their other `data-orbit-*` attributes are properties).

use alloc::rc::Rc;
use alloc::string::String;

use orbit_core::json::JsonWriter;
use wasm_bindgen::{JsCast, JsValue};

use crate::events::EventBody;
use crate::{enqueue, now_u64, page_view, web, Shared};

/// Event name of the engagement summary sent when a page is hidden or left.
pub const PAGE_LEAVE_EVENT: &str = "Page Leave";
/// Event name of a click on a link to another site.
pub const OUTBOUND_CLICK_EVENT: &str = "Outbound Link Clicked";
/// Attribute naming the event a click on an element sends.
pub const TRACK_ATTRIBUTE: &str = "data-orbit-track";
/// Longest link text kept in an outbound click event.
pub const MAX_LINK_TEXT_CHARS: usize = 100;

/// The current page view's engagement, since its start or its last `Page Leave`.
#[derive(Debug, Default)]
pub struct View {
    /// `location.href` without the fragment, to tell a navigation from a no-op.
    pub url: String,
    /// Visible time accumulated so far.
    pub engaged_ms: u64,
    /// When the page last became visible, while it is.
    pub visible_since: Option<u64>,
    /// Deepest scroll seen, in percent of the document's height (kept for the whole view).
    pub max_scroll_pct: u32,
    /// Whether the visitor was here since the last `Page Leave` (one per visible stretch).
    pub leave_pending: bool,
}

impl View {
    /// A view starting now at `url`.
    pub fn start(url: String, now: u64, visible: bool) -> View {
        View {
            url,
            visible_since: visible.then_some(now),
            leave_pending: true,
            ..View::default()
        }
    }

    /// Engaged time up to `now`.
    fn engaged(&self, now: u64) -> u64 {
        self.engaged_ms
            + self
                .visible_since
                .map_or(0, |since| now.saturating_sub(since))
    }
}

/// The URL without its fragment: a hash change is not a page view.
pub fn without_fragment(url: &str) -> &str {
    orbit_core::text::split_once(url, b'#').map_or(url, |(before, _)| before)
}

/// What identifies a page view: the URL without its fragment, or with it when hash changes
/// count (`data-track-hash`, for hash-routed apps).
pub fn view_url(url: &str, track_hash: bool) -> &str {
    if track_hash {
        url
    } else {
        without_fragment(url)
    }
}

/// Installs the listeners; they live as long as the page.
pub(crate) fn install(shared: &Rc<Shared>) {
    for method in ["pushState", "replaceState"] {
        wrap_history(method, shared);
    }
    let on_navigate = crate::callback(shared, navigated);
    web::on_window("popstate", &on_navigate);
    if shared.state.borrow().config.track_hash {
        web::on_window("hashchange", &on_navigate);
    }

    let on_scroll = crate::callback(shared, |shared| {
        let depth = web::page::scroll_depth_pct();
        let mut state = shared.state.borrow_mut();
        state.view.max_scroll_pct = state.view.max_scroll_pct.max(depth);
    });
    web::on_window("scroll", &on_scroll);

    let on_click = crate::event_callback(Rc::downgrade(shared), clicked);
    web::on_window_capture("click", &on_click);

    let mut listeners = shared.listeners.borrow_mut();
    listeners.push(on_navigate);
    listeners.push(on_scroll);
    listeners.push(on_click);
}

/// Replaces `history[method]` with a function that calls the original, then checks for a
/// navigation (`Handler::History`): a tracker closure like the others, so no closure type
/// of its own in the bundle.
fn wrap_history(method: &str, shared: &Rc<Shared>) {
    let history = web::global("history");
    let original = web::prop(&history, method);
    // Checked, then cast: `dyn_into`'s generic code is not needed for one type test.
    if !original.is_function() {
        return;
    }
    let handler = crate::Handler::History(original.unchecked_into(), history.clone());
    let wrapper = crate::listener(Rc::downgrade(shared), handler);
    web::set_prop(&history, method, wrapper.as_ref());
    shared.history_wrappers.borrow_mut().push(wrapper);
}

/// After a history change: a new page view when the URL (fragment aside) changed, with a
/// `Page Leave` for the one before.
pub(crate) fn navigated(shared: &Rc<Shared>) {
    let href = web::page::href();
    let url = {
        let state = shared.state.borrow();
        let url = view_url(&href, state.config.track_hash);
        if state.view.url == url {
            return;
        }
        url
    };
    if crate::FORMS {
        crate::forms::page_changed(shared);
    }
    send_leave(shared);
    let now = now_u64();
    shared.state.borrow_mut().view = View::start(String::from(url), now, !web::is_hidden());
    page_view(shared, None, None);
    if crate::PERSONALIZE {
        crate::personalize::navigated(shared);
    }
}

/// Queues a `Page Leave` with the engaged time since the view started or became visible
/// again, and the deepest scroll of the view; at most one per visible stretch (hiding the
/// tab and then closing it sends one).
pub(crate) fn send_leave(shared: &Rc<Shared>) {
    let now = now_u64();
    let properties = {
        let mut state = shared.state.borrow_mut();
        let view = &mut state.view;
        if !view.leave_pending {
            return;
        }
        let engaged = view.engaged(now);
        view.leave_pending = false;
        let mut w = JsonWriter::new();
        w.begin_object()
            .key("engaged_ms")
            .uint(engaged)
            .key("scroll_depth")
            .uint(u64::from(view.max_scroll_pct))
            .end_object();
        view.engaged_ms = 0;
        view.visible_since = None;
        w.finish()
    };
    enqueue(
        shared,
        EventBody::Track {
            event: PAGE_LEAVE_EVENT,
        },
        Some(&properties),
    );
}

/// The page became visible again: engagement counts from now.
pub(crate) fn became_visible(shared: &Rc<Shared>) {
    let now = now_u64();
    let mut state = shared.state.borrow_mut();
    if state.view.visible_since.is_none() {
        state.view.visible_since = Some(now);
    }
    state.view.leave_pending = true;
}

/// A click: an element marked `data-orbit-track`, or a link to another site.
fn clicked(shared: &Rc<Shared>, event: &JsValue) {
    // Untyped: where the target is not an element (or nothing matches), `closest` and
    // `getAttribute` are missing and give `undefined`, so no cast (and no binding) is needed.
    // Both are called through `web::call` (shared), not web-sys bindings.
    let target = web::prop(event, "target");
    let selector = JsValue::from_str("[data-orbit-track],a[href]");
    let element = web::call(&target, "closest", &[&selector]);
    let attribute = |name: &str| web::call(&element, "getAttribute", &[&JsValue::from_str(name)]);
    let name = attribute(TRACK_ATTRIBUTE)
        .as_string()
        .filter(|n| !orbit_core::text::trim(n).is_empty());
    let properties = if name.is_some() {
        data_properties(&element)
    } else {
        let Some(url) = web::page::outbound_link(&attribute("href")) else {
            return;
        };
        let text = web::prop_text(&element, "textContent");
        let text =
            orbit_core::text::prefix_chars(orbit_core::text::trim(&text), MAX_LINK_TEXT_CHARS);
        let mut w = JsonWriter::new();
        w.begin_object()
            .string_member("url", &url)
            .string_member("text", text)
            .end_object();
        w.finish()
    };
    let event = name.as_deref().unwrap_or(OUTBOUND_CLICK_EVENT);
    enqueue(shared, EventBody::Track { event }, Some(&properties));
}

/// `data-orbit-plan="pro"` → `{"plan":"pro"}` for every `data-orbit-*` attribute but the
/// event name.
fn data_properties(element: &JsValue) -> String {
    let mut w = JsonWriter::new();
    w.begin_object();
    // Read with `Reflect` rather than the NamedNodeMap and Attr bindings: five glue shims
    // fewer. `Array#get` is plain indexing (`attributes[i]`), which a NamedNodeMap has too.
    let attributes = web::prop(element, "attributes");
    let count = web::length(&attributes);
    for i in 0..count {
        let attribute = attributes.unchecked_ref::<js_sys::Array>().get(i);
        let Some(name) = web::prop_string(&attribute, "name") else {
            continue;
        };
        if name == TRACK_ATTRIBUTE {
            continue;
        }
        // `starts_with` and a slice rather than `strip_prefix`: one prefix test in the bundle.
        const PREFIX: &str = "data-orbit-";
        if let Some(key) = name
            .get(PREFIX.len()..)
            .filter(|_| name.starts_with(PREFIX))
        {
            let value = web::prop_text(&attribute, "value");
            w.string_member(key, &value);
        }
    }
    w.end_object();
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_not_a_new_page() {
        assert_eq!(
            without_fragment("https://x.test/a?b=1#top"),
            "https://x.test/a?b=1"
        );
        assert_eq!(without_fragment("https://x.test/a"), "https://x.test/a");
    }

    #[test]
    fn with_hash_tracking_the_fragment_makes_a_new_view() {
        assert_eq!(
            view_url("https://x.test/#/pricing", true),
            "https://x.test/#/pricing"
        );
        assert_eq!(
            view_url("https://x.test/#/pricing", false),
            "https://x.test/"
        );
    }

    #[test]
    fn engaged_time_counts_only_while_visible() {
        let mut view = View::start("u".into(), 1_000, true);
        assert_eq!(view.engaged(4_000), 3_000);
        view.engaged_ms = view.engaged(4_000);
        view.visible_since = None;
        assert_eq!(view.engaged(10_000), 3_000, "hidden time does not count");
        let hidden = View::start("u".into(), 1_000, false);
        assert_eq!(hidden.engaged(9_000), 0);
    }
}
