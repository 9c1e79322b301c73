//! Sessions: when a visit starts, what it arrived with, and the visitor's first touch.
//!
//! A session ends after [`SESSION_TIMEOUT_MS`] without activity, and a visitor who comes back
//! through a different campaign link starts a new one, as Google Analytics does, so each visit
//! is attributed to the campaign that brought it. A navigation without campaign tags keeps the
//! session and its campaign. The state is stored between page loads as one cookie-safe string
//! ([`SessionState::encode`]).

use alloc::string::String;
use alloc::vec::Vec;

use super::parse_u64;
use crate::enrich::campaign::{campaign_value, click_id_kind, raw_campaign, Campaign, ClickId};
use crate::json::push_u64;

/// Inactivity after which the next page view or event starts a new session (30 minutes, the
/// convention of Google Analytics, Segment and Plausible).
pub const SESSION_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// The first field of [`SessionState::encode`]'s string, so a later format can tell old
/// strings apart instead of misreading them.
const FORMAT_VERSION: &str = "1";

/// Fields in an encoded session, the version included.
const ENCODED_FIELDS: usize = 9;

/// The visitor's current session and first touch, as kept in the browser between page loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    /// The session id that events carry in `context.sessionId`.
    pub id: String,
    /// When the session started (Unix ms).
    pub started_ms: u64,
    /// The latest page view or event of the session (Unix ms); the timeout counts from here.
    pub last_activity_ms: u64,
    /// Which visit this is, counting from 1: rules tell new from returning visitors with it.
    pub session_count: u32,
    /// Page views in this session so far.
    pub page_views: u32,
    /// The [`campaign_key`] of the campaign the session arrived with, if it had one.
    pub campaign_key: Option<String>,
    /// The [`campaign_key`] of the first page view of the first session (first touch),
    /// kept for good; [`campaign_from_key`] reads it back for first-touch rules.
    pub first_campaign: Option<String>,
    /// The URL of the first page view of the first session (first touch), kept for good.
    pub landing_page: Option<String>,
}

impl SessionState {
    /// Whether the session has been idle long enough that the next activity starts a new one;
    /// a clock that went backwards counts as no time passed.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.last_activity_ms) >= SESSION_TIMEOUT_MS
    }

    /// The state as one string for a cookie or localStorage: `|`-separated fields with every
    /// byte outside the cookie-safe set (and `%`, `|`) percent-encoded.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(64);
        out.push_str(FORMAT_VERSION);
        out.push('|');
        push_escaped(&mut out, &self.id);
        for n in &[
            self.started_ms,
            self.last_activity_ms,
            u64::from(self.session_count),
            u64::from(self.page_views),
        ] {
            out.push('|');
            push_u64(&mut out, *n);
        }
        for text in &[&self.campaign_key, &self.first_campaign, &self.landing_page] {
            out.push('|');
            push_escaped(&mut out, text.as_deref().unwrap_or(""));
        }
        out
    }

    /// Reads a string written by [`SessionState::encode`]; `None` for anything else (another
    /// version, a truncated or edited cookie), so the tracker starts afresh instead of failing.
    pub fn decode(s: &str) -> Option<SessionState> {
        let [version, id, started, last, count, views, campaign, first, landing] =
            split_fields::<ENCODED_FIELDS>(s)?;
        if version != FORMAT_VERSION || id.is_empty() {
            return None;
        }
        let session_count = u32::try_from(parse_u64(count)?).ok()?;
        if session_count == 0 {
            return None;
        }
        // The numbers before the texts: a bad number then drops no text (a smaller bundle).
        let started_ms = parse_u64(started)?;
        let last_activity_ms = parse_u64(last)?;
        let page_views = u32::try_from(parse_u64(views)?).ok()?;
        Some(SessionState {
            id: unescape(id)?,
            started_ms,
            last_activity_ms,
            session_count,
            page_views,
            campaign_key: unescape_opt(campaign)?,
            first_campaign: unescape_opt(first)?,
            landing_page: unescape_opt(landing)?,
        })
    }
}

/// Records a page view at `url`: continues the session, or starts a new one when there is
/// none, it has expired, or the visitor arrives with a campaign other than the session's.
///
/// Returns the new state and whether a session started. `new_id` is called only then. The
/// first page view of the first session sets the first touch (campaign and landing page),
/// which later sessions keep.
pub fn touch(
    prev: Option<SessionState>,
    now_ms: u64,
    arrival_campaign: Option<&Campaign>,
    url: &str,
    new_id: impl FnOnce() -> String,
) -> (SessionState, bool) {
    let key = arrival_campaign.filter(|c| !c.is_empty()).map(campaign_key);
    touch_with_key(prev, now_ms, key, url, new_id)
}

/// [`touch`] with the campaign read from `url` itself ([`arrival_key`]): what the browser
/// does, without a [`Campaign`] in between (a smaller bundle).
pub fn touch_page(
    prev: Option<SessionState>,
    now_ms: u64,
    url: &str,
    new_id: impl FnOnce() -> String,
) -> (SessionState, bool) {
    touch_with_key(prev, now_ms, arrival_key(url), url, new_id)
}

/// [`touch`] given the arrival campaign's [`campaign_key`].
fn touch_with_key(
    prev: Option<SessionState>,
    now_ms: u64,
    key: Option<String>,
    url: &str,
    new_id: impl FnOnce() -> String,
) -> (SessionState, bool) {
    let (mut state, is_new) = advance(prev, now_ms, key.as_deref(), new_id);
    if state.page_views == 0 {
        // The session's first page view is its arrival.
        state.campaign_key = key;
        if state.session_count == 1 {
            state.first_campaign = state.campaign_key.clone();
            state.landing_page = (!url.is_empty()).then(|| String::from(url));
        }
    }
    state.page_views = state.page_views.saturating_add(1);
    (state, is_new)
}

/// Records an event other than a page view (track, form, identify): continues the session or
/// starts a new one after the timeout, without counting a page view.
///
/// Returns the new state and whether a session started; `new_id` is called only then.
pub fn touch_event(
    prev: Option<SessionState>,
    now_ms: u64,
    new_id: impl FnOnce() -> String,
) -> (SessionState, bool) {
    advance(prev, now_ms, None, new_id)
}

/// The session rules common to page views and events; the caller records the page view.
fn advance(
    prev: Option<SessionState>,
    now_ms: u64,
    arrival_key: Option<&str>,
    new_id: impl FnOnce() -> String,
) -> (SessionState, bool) {
    let first = prev.is_none();
    // A new session keeps only the count and the first touch; edited in place (less code
    // than building a new state), from an empty one the first time.
    let mut state = prev.unwrap_or(SessionState {
        id: String::new(),
        started_ms: 0,
        last_activity_ms: 0,
        session_count: 0,
        page_views: 0,
        campaign_key: None,
        first_campaign: None,
        landing_page: None,
    });
    // A session that has not seen a page yet takes its campaign from its first page.
    let is_new = first
        || state.is_expired(now_ms)
        || (state.page_views > 0
            && arrival_key.is_some_and(|key| state.campaign_key.as_deref() != Some(key)));
    if is_new {
        state.id = new_id();
        state.started_ms = now_ms;
        state.session_count = state.session_count.saturating_add(1);
        state.page_views = 0;
        state.campaign_key = None;
    }
    state.last_activity_ms = now_ms;
    (state, is_new)
}

/// A campaign's fingerprint: all five UTM values and the click id, `|`-separated and escaped,
/// so two campaigns have the same key exactly when they are equal.
pub fn campaign_key(campaign: &Campaign) -> String {
    let click = campaign.click_id.as_ref();
    let mut key = KeyWriter::default();
    for field in [
        campaign.source.as_deref(),
        campaign.medium.as_deref(),
        campaign.name.as_deref(),
        campaign.term.as_deref(),
        campaign.content.as_deref(),
        click.map(|c| c.kind),
        click.map(|c| c.value.as_str()),
    ] {
        key.field(field);
    }
    key.0
}

/// The [`campaign_key`] of `parse_campaign(url)`, written straight from the URL's tags; `None`
/// when it has none.
pub fn arrival_key(url: &str) -> Option<String> {
    let (utm, click) = raw_campaign(url);
    if click.is_none() && utm.iter().all(Option::is_none) {
        return None;
    }
    let mut key = KeyWriter::default();
    // By reference: an array's by-value iterator costs ~0.2 KB in the browser bundle.
    for raw in &utm {
        key.field(raw.map(campaign_value).as_deref());
    }
    key.field(click.map(|(kind, _)| kind));
    key.field(click.map(|(_, raw)| campaign_value(raw)).as_deref());
    Some(key.0)
}

/// The key format itself, one field at a time: escaped, joined by `|`, a missing one empty.
#[derive(Default)]
struct KeyWriter(String, usize);

impl KeyWriter {
    fn field(&mut self, value: Option<&str>) {
        if self.1 > 0 {
            self.0.push('|');
        }
        self.1 += 1;
        push_escaped(&mut self.0, value.unwrap_or(""));
    }
}

/// Reads a [`campaign_key`] back into the campaign (for first-touch rules); `None` when it is
/// not one.
pub fn campaign_from_key(key: &str) -> Option<Campaign> {
    // Filled in place, field by field: a malformed field then drops one campaign instead of
    // each half-built one, and no array of fields is copied (a smaller bundle).
    let mut campaign = Campaign::default();
    let mut fields = crate::text::split(key, b'|');
    // By reference: an array's by-value iterator costs ~0.1 KB in the browser bundle.
    for text in &mut [
        &mut campaign.source,
        &mut campaign.medium,
        &mut campaign.name,
        &mut campaign.term,
        &mut campaign.content,
    ] {
        **text = unescape_opt(fields.next()?)?;
    }
    // The kind is compared as written: every click-id parameter name is plain.
    let kind = fields.next()?;
    let value = unescape_opt(fields.next()?)?;
    if fields.next().is_some() {
        return None;
    }
    campaign.click_id = match value {
        None if kind.is_empty() => None,
        // A kind without a value, or a value without a known kind: not a key.
        None => return None,
        Some(value) => Some(ClickId {
            kind: click_id_kind(kind)?,
            value,
        }),
    };
    if campaign.is_empty() {
        return None;
    }
    Some(campaign)
}

/// Exactly `N` `|`-separated fields, or `None` (collected without a `Vec`: a smaller bundle).
fn split_fields<const N: usize>(s: &str) -> Option<[&str; N]> {
    let mut fields = crate::text::split(s, b'|');
    let mut out = [""; N];
    for slot in &mut out {
        *slot = fields.next()?;
    }
    fields.next().is_none().then_some(out)
}

/// Whether a byte may stand for itself in an encoded field: a cookie-value octet (RFC 6265),
/// except `%` and `|`, which the format itself uses.
fn is_plain(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'"' | b',' | b';' | b'\\' | b'%' | b'|')
}

/// Appends `s` with every byte that is not [`is_plain`] written as `%XX`.
fn push_escaped(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if is_plain(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Reverses [`push_escaped`]; `None` on a `%` without two hex digits or on bytes that are not
/// UTF-8.
fn unescape(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, after)) = rest.split_first() {
        rest = after;
        if b == b'%' {
            let [hi, lo, after @ ..] = rest else {
                return None;
            };
            let hex = crate::text::hex_value;
            bytes.push(hex(*hi)? << 4 | hex(*lo)?);
            rest = after;
        } else {
            bytes.push(b);
        }
    }
    crate::text::utf8(&bytes)
}

/// [`unescape`] for an optional field, where the empty string means absent: `Some(None)` for
/// an empty field, `None` when the field is malformed.
fn unescape_opt(s: &str) -> Option<Option<String>> {
    if s.is_empty() {
        Some(None)
    } else {
        unescape(s).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::campaign::parse_campaign;
    use alloc::string::ToString;
    use alloc::vec;

    const T0: u64 = 1_700_000_000_000;
    const MIN: u64 = 60 * 1000;

    /// Ids "s1", "s2", … in the order sessions start, so tests see which session they are in.
    fn ids() -> impl FnMut() -> String {
        let mut n = 0u32;
        move || {
            n += 1;
            let mut id = String::from("s");
            push_u64(&mut id, u64::from(n));
            id
        }
    }

    fn page(
        prev: Option<SessionState>,
        now: u64,
        url: &str,
        next_id: &mut impl FnMut() -> String,
    ) -> (SessionState, bool) {
        let campaign = parse_campaign(url);
        touch(prev, now, campaign.as_ref(), url, next_id)
    }

    fn full_state() -> SessionState {
        SessionState {
            id: "0192f3a1-7c5e-7abc-9def-0123456789ab".to_string(),
            started_ms: T0,
            last_activity_ms: T0 + 5 * MIN,
            session_count: 3,
            page_views: 7,
            campaign_key: parse_campaign("/?utm_source=news|letter&utm_medium=50%25&gclid=x")
                .as_ref()
                .map(campaign_key),
            first_campaign: parse_campaign("/?utm_campaign=spring+sale;%22quoted%22,%E2%9C%93")
                .as_ref()
                .map(campaign_key),
            landing_page: Some("https://shop.test/a b?x=1&y=%7C|;\"\\é".to_string()),
        }
    }

    #[test]
    fn the_first_page_view_starts_session_one_and_sets_the_first_touch() {
        let mut next = ids();
        let url = "https://shop.test/offer?utm_source=news&utm_medium=email";
        let (s, is_new) = page(None, T0, url, &mut next);
        assert!(is_new);
        assert_eq!(s.id, "s1");
        assert_eq!((s.started_ms, s.last_activity_ms), (T0, T0));
        assert_eq!((s.session_count, s.page_views), (1, 1));
        let key = campaign_key(&parse_campaign(url).unwrap());
        assert_eq!(s.campaign_key.as_deref(), Some(key.as_str()));
        assert_eq!(s.first_campaign.as_deref(), Some(key.as_str()));
        assert_eq!(s.landing_page.as_deref(), Some(url));
    }

    #[test]
    fn activity_within_the_timeout_continues_the_session() {
        let mut next = ids();
        let (s, _) = page(None, T0, "https://x.test/", &mut next);
        let (s, is_new) = page(Some(s), T0 + 29 * MIN, "https://x.test/b", &mut next);
        assert!(!is_new);
        let (s, is_new) = page(Some(s), T0 + 58 * MIN, "https://x.test/c", &mut next);
        assert!(!is_new);
        assert_eq!(s.id, "s1");
        assert_eq!(s.page_views, 3);
        assert_eq!(s.started_ms, T0);
        assert_eq!(s.last_activity_ms, T0 + 58 * MIN);
        assert_eq!(s.landing_page.as_deref(), Some("https://x.test/"));
    }

    #[test]
    fn thirty_minutes_of_inactivity_starts_a_new_session() {
        let mut next = ids();
        let (s, _) = page(None, T0, "https://x.test/", &mut next);
        let (same, is_new) = page(
            Some(s.clone()),
            T0 + SESSION_TIMEOUT_MS - 1,
            "/b",
            &mut next,
        );
        assert!(!is_new);
        assert_eq!(same.id, "s1");
        let (s, is_new) = page(Some(s), T0 + SESSION_TIMEOUT_MS, "/c", &mut next);
        assert!(is_new);
        assert_eq!(s.id, "s2");
        assert_eq!((s.session_count, s.page_views), (2, 1));
        assert_eq!(s.started_ms, T0 + SESSION_TIMEOUT_MS);
        assert_eq!(s.landing_page.as_deref(), Some("https://x.test/"));
    }

    #[test]
    fn a_different_campaign_starts_a_new_session_and_keeps_the_first_touch() {
        let mut next = ids();
        let first = "https://x.test/?utm_source=news";
        let (s, _) = page(None, T0, first, &mut next);
        let (s, is_new) = page(Some(s), T0 + MIN, "https://x.test/?gclid=abc", &mut next);
        assert!(is_new);
        assert_eq!((s.id.as_str(), s.session_count, s.page_views), ("s2", 2, 1));
        let gclid = campaign_key(&parse_campaign("/?gclid=abc").unwrap());
        assert_eq!(s.campaign_key.as_deref(), Some(gclid.as_str()));
        let news = campaign_key(&parse_campaign(first).unwrap());
        assert_eq!(s.first_campaign.as_deref(), Some(news.as_str()));
        assert_eq!(s.landing_page.as_deref(), Some(first));
    }

    #[test]
    fn a_change_in_any_campaign_field_is_a_different_campaign() {
        let mut next = ids();
        let (s, _) = page(None, T0, "/?utm_source=a&utm_content=x", &mut next);
        let (s, is_new) = page(Some(s), T0 + 1, "/?utm_source=a&utm_content=y", &mut next);
        assert!(is_new);
        assert_eq!(s.id, "s2");
    }

    #[test]
    fn the_same_campaign_again_continues_the_session() {
        let mut next = ids();
        let url = "https://x.test/?utm_source=news&gclid=abc";
        let (s, _) = page(None, T0, url, &mut next);
        // A reload, or the same link in another tab, with the parameters in another order.
        let again = "https://x.test/?gclid=abc&UTM_SOURCE=news&ref=1";
        let (s, is_new) = page(Some(s), T0 + MIN, again, &mut next);
        assert!(!is_new);
        assert_eq!((s.id.as_str(), s.page_views), ("s1", 2));
    }

    #[test]
    fn a_navigation_without_campaign_keeps_the_session_and_its_campaign() {
        let mut next = ids();
        let (s, _) = page(None, T0, "/?utm_source=news", &mut next);
        let key = s.campaign_key.clone();
        let (s, is_new) = page(Some(s), T0 + MIN, "/pricing", &mut next);
        assert!(!is_new);
        assert_eq!(s.campaign_key, key);
        let (s, is_new) = touch(
            Some(s),
            T0 + 2 * MIN,
            Some(&Campaign::default()),
            "/x",
            &mut next,
        );
        assert!(!is_new, "an empty campaign is no campaign");
        assert_eq!(s.campaign_key, key);
    }

    #[test]
    fn a_campaign_after_a_direct_arrival_starts_a_new_session() {
        let mut next = ids();
        let (s, _) = page(None, T0, "https://x.test/", &mut next);
        assert_eq!(
            (s.campaign_key.as_ref(), s.first_campaign.as_ref()),
            (None, None)
        );
        let (s, is_new) = page(Some(s), T0 + MIN, "/?utm_source=ads", &mut next);
        assert!(is_new);
        assert!(s.campaign_key.is_some());
        assert_eq!(s.first_campaign, None, "the first touch was direct");
    }

    #[test]
    fn an_expired_session_with_a_campaign_arrival_counts_once() {
        let mut next = ids();
        let (s, _) = page(None, T0, "/?utm_source=a", &mut next);
        let (s, is_new) = page(
            Some(s),
            T0 + 2 * SESSION_TIMEOUT_MS,
            "/?utm_source=b",
            &mut next,
        );
        assert!(is_new);
        assert_eq!((s.id.as_str(), s.session_count), ("s2", 2));
    }

    #[test]
    fn events_extend_or_restart_the_session_without_counting_page_views() {
        let mut next = ids();
        let (s, _) = page(None, T0, "/", &mut next);
        let (s, is_new) = touch_event(Some(s), T0 + 20 * MIN, &mut next);
        assert!(!is_new);
        assert_eq!((s.page_views, s.last_activity_ms), (1, T0 + 20 * MIN));
        let (s, is_new) = touch_event(Some(s), T0 + 50 * MIN - 1, &mut next);
        assert!(!is_new, "the event at +20 min kept the session alive");
        let (s, is_new) = touch_event(Some(s), T0 + 90 * MIN, &mut next);
        assert!(is_new);
        assert_eq!((s.id.as_str(), s.session_count, s.page_views), ("s2", 2, 0));
        assert_eq!(s.campaign_key, None);
    }

    #[test]
    fn a_session_started_by_an_event_takes_its_campaign_and_first_touch_from_its_first_page() {
        let mut next = ids();
        let (s, is_new) = touch_event(None, T0, &mut next);
        assert!(is_new);
        assert_eq!(
            (s.session_count, s.page_views, s.landing_page.as_ref()),
            (1, 0, None)
        );
        let url = "/?utm_source=news";
        let (s, is_new) = page(Some(s), T0 + 1, url, &mut next);
        assert!(!is_new);
        assert_eq!(s.id, "s1");
        assert!(s.campaign_key.is_some());
        assert_eq!(s.first_campaign, s.campaign_key);
        assert_eq!(s.landing_page.as_deref(), Some(url));
    }

    #[test]
    fn new_id_is_called_only_for_a_new_session() {
        let (s, _) = touch(None, T0, None, "/", || "first".to_string());
        let (s, _) = touch(Some(s), T0 + 1, None, "/b", || unreachable!("same session"));
        let (s, _) = touch_event(Some(s), T0 + 2, || unreachable!("same session"));
        assert_eq!(s.id, "first");
    }

    #[test]
    fn a_clock_that_goes_backwards_does_not_end_the_session() {
        let mut next = ids();
        let (s, _) = page(None, T0, "/", &mut next);
        let (s, is_new) = page(Some(s), T0 - 10 * MIN, "/b", &mut next);
        assert!(!is_new);
        assert_eq!(s.last_activity_ms, T0 - 10 * MIN);
        let (_, is_new) = page(Some(s), T0 + 25 * MIN, "/c", &mut next);
        assert!(is_new, "the timeout counts from the latest activity seen");
    }

    #[test]
    fn counters_saturate_instead_of_overflowing() {
        let mut s = full_state();
        s.session_count = u32::MAX;
        s.page_views = u32::MAX;
        let (same, _) = touch(
            Some(s.clone()),
            s.last_activity_ms,
            None,
            "/",
            || unreachable!(),
        );
        assert_eq!(same.page_views, u32::MAX);
        let (new, is_new) = touch(Some(s), u64::MAX, None, "/", || "n".to_string());
        assert!(is_new);
        assert_eq!(new.session_count, u32::MAX);
    }

    #[test]
    fn an_empty_url_leaves_no_landing_page() {
        let (s, _) = touch(None, T0, None, "", || "a".to_string());
        assert_eq!(s.landing_page, None);
    }

    #[test]
    fn the_arrival_key_read_from_a_url_is_its_campaign_key() {
        for url in [
            "/",
            "/?utm_source=&gclid=",
            "/?utm_source=news|letter&utm_medium=50%25&gclid=x",
            "/?UTM_CAMPAIGN=spring+sale;%22quoted%22,%E2%9C%93&utm_content=b&utm_term=k",
            "/?msclkid=m&gclid=g&utm_source=a&utm_source=b#utm_medium=no",
            "/?li_fat_id=%FF%41&foo=bar",
        ] {
            let expected = parse_campaign(url).map(|c| campaign_key(&c));
            assert_eq!(arrival_key(url), expected, "{url}");
            let mut next = ids();
            let (page_state, _) = touch_page(None, T0, url, &mut next);
            assert_eq!(page_state, page(None, T0, url, &mut ids()).0, "{url}");
        }
    }

    #[test]
    fn campaign_keys_do_not_collide_across_fields() {
        let a = campaign_key(&parse_campaign("/?utm_source=a%7Cb").unwrap());
        let b = campaign_key(&parse_campaign("/?utm_source=a&utm_medium=b").unwrap());
        assert_ne!(a, b);
        let c = campaign_key(&parse_campaign("/?utm_source=a%257Cb").unwrap());
        assert_ne!(a, c);
    }

    #[test]
    fn campaign_keys_read_back_into_the_campaign() {
        for url in [
            "/?utm_source=news|letter&utm_medium=50%25&utm_campaign=%E2%9C%93&utm_term=a+b&utm_content=%3B",
            "/?gclid=abc|def",
            "/?utm_medium=cpc&li_fat_id=x%25y",
        ] {
            let campaign = parse_campaign(url).unwrap();
            let key = campaign_key(&campaign);
            assert_eq!(campaign_from_key(&key), Some(campaign), "{url}");
        }
    }

    #[test]
    fn garbage_is_no_campaign_key() {
        for key in [
            "",
            "||||||",
            "a|b",
            "a||||||||",
            "a|||||gclid|",
            "a||||||x",
            "a|||||nope|x",
            "a%zz||||||",
            "%FF||||||",
        ] {
            assert_eq!(campaign_from_key(key), None, "{key:?}");
        }
    }

    #[test]
    fn a_click_id_kind_must_be_written_plain_in_a_campaign_key() {
        let key = campaign_key(&parse_campaign("/?gclid=abc").unwrap());
        assert!(campaign_from_key(&key).is_some());
        assert_eq!(campaign_from_key(&key.replace("gclid", "gcl%69d")), None);
        assert_eq!(campaign_from_key("|||||gclid|"), None);
    }

    #[test]
    fn encode_and_decode_round_trip() {
        let s = full_state();
        assert_eq!(SessionState::decode(&s.encode()), Some(s.clone()));
        let bare = SessionState {
            campaign_key: None,
            first_campaign: None,
            landing_page: None,
            started_ms: 0,
            last_activity_ms: u64::MAX,
            session_count: u32::MAX,
            page_views: 0,
            ..s
        };
        assert_eq!(SessionState::decode(&bare.encode()), Some(bare));
    }

    #[test]
    fn the_encoding_is_short_and_safe_in_a_cookie_value() {
        let s = full_state();
        let text = s.encode();
        assert!(text.starts_with("1|0192f3a1-7c5e-7abc-9def-0123456789ab|1700000000000|"));
        assert!(
            text.bytes().all(|b| is_plain(b) || b == b'|' || b == b'%'),
            "{text}"
        );
        assert_eq!(text.split('|').count(), ENCODED_FIELDS);
    }

    #[test]
    fn decode_rejects_other_shapes() {
        let good = full_state().encode();
        let fields: Vec<&str> = good.split('|').collect();
        let with = |i: usize, value: &str| {
            let mut f = fields.clone();
            f[i] = value;
            f.join("|")
        };
        let mut bad = vec![
            String::new(),
            "garbage".to_string(),
            "|||||||||".to_string(),
            good.clone() + "|extra",
            good.replacen('|', "||", 1),
            with(0, "2"),
            with(0, ""),
            with(1, ""),
            with(1, "%zz"),
            with(1, "%7"),
            with(1, "%FF%FE"),
        ];
        for i in 2..=5 {
            for n in [
                "",
                "-1",
                "+1",
                "1.5",
                "1e3",
                " 1",
                "x",
                "18446744073709551616",
            ] {
                bad.push(with(i, n));
            }
        }
        bad.push(with(4, "0"));
        bad.push(with(4, "4294967296"));
        bad.push(with(5, "4294967296"));
        for i in 6..=8 {
            bad.push(with(i, "%"));
            bad.push(with(i, "%C3%28"));
        }
        for text in &bad {
            assert_eq!(SessionState::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn truncated_and_mutated_strings_never_panic() {
        let good = full_state().encode();
        for end in 0..good.len() {
            let prefix = &good[..end];
            let decoded = SessionState::decode(prefix);
            if prefix.split('|').count() < ENCODED_FIELDS || prefix.ends_with('%') {
                assert_eq!(decoded, None, "{prefix:?}");
            }
        }
        let bytes = good.as_bytes();
        for i in 0..bytes.len() {
            for b in [b'|', b'%', b'0', b'x', 0xff] {
                let mut mutated = bytes.to_vec();
                mutated[i] = b;
                let text = String::from_utf8_lossy(&mutated);
                let _ = SessionState::decode(&text);
            }
        }
    }
}
