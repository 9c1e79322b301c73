//! What is known about the visitor: the facts conditions test.
//!
//! The browser fills a [`VisitorContext`] from the page, its session state and what the
//! collector delivered (segments, lead score); the collector's preview fills one from JSON
//! ([`VisitorContext::from_json`]) whose keys are the attribute names of docs/rules.md. The
//! clock is part of the context too ("pass the world in"), so evaluation is deterministic.

use alloc::string::String;
use alloc::vec::Vec;

use super::attribute::{Attr, AttrId};
use super::error::{Problems, RulesError, Seg};
use crate::enrich::campaign::{query_params, Campaign, ClickId, CLICK_ID_PARAMS};
use crate::enrich::ua::{classify, DeviceType};
use crate::json::read::{read_json, Json};
use crate::limits::MAX_VISITOR_CONTEXT_BYTES;
use crate::text::split_once;

/// Everything conditions can test about one visitor on one page view. `None` (or an absent
/// map entry) is a missing attribute: see docs/rules.md for what each operator makes of it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitorContext {
    /// The id experiments and the holdout hash (the anonymous id); empty means none, and
    /// then the visitor is in no experiment and not held out.
    pub visitor_id: String,
    /// Now (Unix ms), for relative dates such as `"7 days ago"`.
    pub now_ms: Option<i64>,
    /// The page's full URL.
    pub url: Option<String>,
    /// The page's host name, lowercase, without port.
    pub host: Option<String>,
    /// The page's path, `/` at least.
    pub path: Option<String>,
    /// The fragment, without `#`.
    pub hash: Option<String>,
    /// The decoded query parameters, in order (`query.NAME` matches the first `NAME`,
    /// ASCII case-insensitively).
    pub query: Vec<(String, String)>,
    /// The campaign the current session arrived with.
    pub campaign: Campaign,
    /// The visitor's first campaign (first touch).
    pub first_touch: Campaign,
    /// The first page the visitor landed on.
    pub landing_page: Option<String>,
    /// The document referrer.
    pub referrer: Option<String>,
    /// The referrer's host name, lowercase, without `www.`.
    pub referrer_domain: Option<String>,
    /// Desktop, mobile, tablet…
    pub device: Option<DeviceType>,
    /// Browser family, e.g. `Chrome`.
    pub browser: Option<String>,
    /// Operating system, e.g. `iOS`.
    pub os: Option<String>,
    /// The browser's language tag, e.g. `de-DE`.
    pub language: Option<String>,
    /// Hour of the day in the visitor's time zone, 0–23.
    pub local_hour: Option<u8>,
    /// Day of the week in the visitor's time zone, ISO numbering: 1 Monday … 7 Sunday.
    pub local_weekday: Option<u8>,
    /// Whether the visitor has been here before; derived from `visit_count > 1` when `None`.
    pub returning: Option<bool>,
    /// Which visit (session) this is, counting from 1.
    pub visit_count: Option<u32>,
    /// Page views in this session so far, this one included.
    pub session_page_views: Option<u32>,
    /// Seconds since this session started.
    pub seconds_on_site: Option<u64>,
    /// Forms the visitor started filling in (all visits).
    pub forms_started: Option<u32>,
    /// Forms the visitor submitted (all visits).
    pub forms_submitted: Option<u32>,
    /// Ids of the forms the visitor submitted.
    pub forms_submitted_ids: Option<Vec<String>>,
    /// Whether `identify` gave the visitor a user id.
    pub identified: Option<bool>,
    /// Traits from `identify` and the collector's profile, as JSON (`null` and objects are
    /// not values rules can test: they read as missing).
    pub traits: Vec<(String, Json)>,
    /// Attributes the page set with `orbit('set', …)`, as JSON, like `traits`.
    pub custom: Vec<(String, Json)>,
    /// Segments the collector computed for the visitor.
    pub segments: Option<Vec<String>>,
    /// The collector's lead score.
    pub lead_score: Option<f64>,
    /// Variants already assigned (experiment id → variant id): kept while they exist.
    pub experiments: Vec<(String, String)>,
}

/// No campaign: [`Campaign::default`] as a constant.
const NO_CAMPAIGN: Campaign = Campaign {
    source: None,
    medium: None,
    name: None,
    term: None,
    content: None,
    click_id: None,
};

/// A visitor of whom nothing is known. A constant, so that `default` copies it rather than
/// storing each of the many fields (a smaller bundle).
const UNKNOWN: VisitorContext = VisitorContext {
    visitor_id: String::new(),
    now_ms: None,
    url: None,
    host: None,
    path: None,
    hash: None,
    query: Vec::new(),
    campaign: NO_CAMPAIGN,
    first_touch: NO_CAMPAIGN,
    landing_page: None,
    referrer: None,
    referrer_domain: None,
    device: None,
    browser: None,
    os: None,
    language: None,
    local_hour: None,
    local_weekday: None,
    returning: None,
    visit_count: None,
    session_page_views: None,
    seconds_on_site: None,
    forms_started: None,
    forms_submitted: None,
    forms_submitted_ids: None,
    identified: None,
    traits: Vec::new(),
    custom: Vec::new(),
    segments: None,
    lead_score: None,
    experiments: Vec::new(),
};

impl Default for VisitorContext {
    fn default() -> Self {
        UNKNOWN
    }
}

/// A borrowed view of an attribute's value during evaluation. `repr(C)`, like the rule
/// document's enums: each variant's value at one offset (a smaller browser bundle).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) enum Val<'a> {
    Text(&'a str),
    Number(f64),
    Bool(bool),
    Texts(&'a [String]),
    /// A JSON array: its scalars are its elements (see [`view`]).
    List(&'a [Json]),
}

/// A stored JSON value (a trait, a custom attribute or a list's element) as rules see it:
/// `null` and objects are not values they can test. The JSON is kept as it was read, not
/// converted into a type of its own (one form of the data, and less code in the bundle).
pub(crate) fn view(json: &Json) -> Option<Val<'_>> {
    Some(match json {
        Json::String(s) => Val::Text(s),
        Json::Number(n) => Val::Number(*n),
        Json::Bool(b) => Val::Bool(*b),
        Json::Array(items) => Val::List(items),
        Json::Null | Json::Object(_) => return None,
    })
}

impl VisitorContext {
    /// Sets `url` and the parts derived from it: `host`, `path`, `hash` and `query`.
    pub fn set_url(&mut self, url: &str) {
        let parts = split_url(url);
        self.host = parts.host.map(|h| h.to_ascii_lowercase());
        self.path = Some(String::from(parts.path));
        self.hash = parts.hash.map(String::from);
        self.query = query_params(url);
        self.url = Some(String::from(url));
    }

    /// Sets `referrer` and `referrer_domain`; an empty referrer (direct visit) sets neither.
    pub fn set_referrer(&mut self, referrer: &str) {
        if referrer.is_empty() {
            self.referrer = None;
            self.referrer_domain = None;
            return;
        }
        self.referrer_domain = split_url(referrer).host.map(|h| {
            let www = h.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www."));
            let h = if www { h.get(4..).unwrap_or(h) } else { h };
            h.to_ascii_lowercase()
        });
        self.referrer = Some(String::from(referrer));
    }

    /// Sets `device`, `browser` and `os` from a `User-Agent` string.
    pub fn set_user_agent(&mut self, user_agent: &str) {
        let (browser, os, device) = classify(user_agent);
        self.device = Some(device);
        self.browser = browser.map(String::from);
        self.os = os.map(String::from);
    }

    /// Reads a context from JSON whose keys are the attribute names (`"utm_source"`,
    /// `"first_touch": {…}`, `"traits": {…}`, `"experiments": {…}`), plus `visitor_id`,
    /// `now` (RFC 3339 or Unix ms) and `user_agent`; `url` and `referrer` fill their
    /// derived attributes unless those are given too. Used by the collector's preview and by
    /// the shared fixtures.
    pub fn from_json(text: &str) -> Result<VisitorContext, RulesError> {
        let json = read_json(text, MAX_VISITOR_CONTEXT_BYTES, 8)
            .map_err(|e| super::parse::syntax_error(text, &e))?;
        let mut problems = Problems::new();
        let ctx = read_context(&json, &mut problems);
        match problems.errors.into_iter().next() {
            Some(err) => Err(err),
            None => Ok(ctx),
        }
    }

    /// The value of `attr`, if the visitor has one. `assigned` holds the variants assigned
    /// earlier in the same evaluation, which `experiments.ID` sees before the stored ones.
    pub(crate) fn lookup<'a>(
        &'a self,
        attr: &Attr,
        assigned: &[(&'a str, &'a str)],
    ) -> Option<Val<'a>> {
        let member = attr.member.as_str();
        // Text attributes share one tail; the others return their value directly.
        let text: &'a Option<String> = match attr.id {
            AttrId::Url => &self.url,
            AttrId::Host => &self.host,
            AttrId::Path => &self.path,
            AttrId::Hash => &self.hash,
            AttrId::LandingPage => &self.landing_page,
            AttrId::Referrer => &self.referrer,
            AttrId::ReferrerDomain => &self.referrer_domain,
            AttrId::Browser => &self.browser,
            AttrId::Os => &self.os,
            AttrId::Language => &self.language,
            AttrId::Query => {
                return self
                    .query
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(member))
                    .map(|(_, v)| Val::Text(v))
            }
            AttrId::UtmSource
            | AttrId::UtmMedium
            | AttrId::UtmCampaign
            | AttrId::UtmTerm
            | AttrId::UtmContent
            | AttrId::ClickId
            | AttrId::ClickIdType
            | AttrId::FirstUtmSource
            | AttrId::FirstUtmMedium
            | AttrId::FirstUtmCampaign
            | AttrId::FirstUtmTerm
            | AttrId::FirstUtmContent
            | AttrId::FirstClickId
            | AttrId::FirstClickIdType => {
                // The two campaigns' fields are declared in the same order, current first.
                let field = attr.id as usize - AttrId::UtmSource as usize;
                let campaign = if field < 7 {
                    &self.campaign
                } else {
                    &self.first_touch
                };
                return campaign_value(campaign, field % 7).map(Val::Text);
            }
            AttrId::Device => return self.device.map(|d| Val::Text(d.as_str())),
            AttrId::Returning | AttrId::Identified => {
                let flag = if attr.id == AttrId::Identified {
                    self.identified
                } else {
                    self.returning.or_else(|| self.visit_count.map(|n| n > 1))
                };
                return flag.map(Val::Bool);
            }
            // Small counts share one conversion to a number.
            AttrId::LocalHour
            | AttrId::LocalWeekday
            | AttrId::VisitCount
            | AttrId::SessionPageViews
            | AttrId::FormsStarted
            | AttrId::FormsSubmitted => {
                let count = match attr.id {
                    AttrId::LocalHour => self.local_hour.map(u32::from),
                    AttrId::LocalWeekday => self.local_weekday.map(u32::from),
                    AttrId::VisitCount => self.visit_count,
                    AttrId::SessionPageViews => self.session_page_views,
                    AttrId::FormsStarted => self.forms_started,
                    _ => self.forms_submitted,
                };
                return count.map(|n| Val::Number(f64::from(n)));
            }
            AttrId::SecondsOnSite => return self.seconds_on_site.map(|s| Val::Number(s as f64)),
            AttrId::FormsSubmittedIds | AttrId::Segments => {
                let list = if attr.id == AttrId::Segments {
                    &self.segments
                } else {
                    &self.forms_submitted_ids
                };
                return list.as_deref().map(Val::Texts);
            }
            AttrId::Trait => return find(&self.traits, member).and_then(view),
            AttrId::Custom => return find(&self.custom, member).and_then(view),
            AttrId::LeadScore => return self.lead_score.map(Val::Number),
            AttrId::Experiment => {
                return assigned
                    .iter()
                    .find(|(e, _)| *e == member)
                    .map(|(_, v)| *v)
                    .or_else(|| self.assigned_variant(member))
                    .map(Val::Text)
            }
        };
        text.as_deref().map(Val::Text)
    }

    /// The variant stored for experiment `id`, if any.
    pub(crate) fn assigned_variant(&self, id: &str) -> Option<&str> {
        self.experiments
            .iter()
            .find(|(e, _)| e == id)
            .map(|(_, v)| v.as_str())
    }
}

fn find<'a>(members: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A campaign's field by its position in `utm_source utm_medium utm_campaign utm_term
/// utm_content click_id click_id_type`.
fn campaign_value(campaign: &Campaign, field: usize) -> Option<&str> {
    match field {
        0 => campaign.source.as_deref(),
        1 => campaign.medium.as_deref(),
        2 => campaign.name.as_deref(),
        3 => campaign.term.as_deref(),
        4 => campaign.content.as_deref(),
        5 => campaign.click_id.as_ref().map(|c| c.value.as_str()),
        _ => campaign.click_id.as_ref().map(|c| c.kind),
    }
}

/// The parts of a URL that rules test.
pub(crate) struct UrlParts<'a> {
    /// Host name without user info and port.
    pub(crate) host: Option<&'a str>,
    /// Path, `/` when empty.
    pub(crate) path: &'a str,
    /// Fragment without `#`.
    pub(crate) hash: Option<&'a str>,
}

/// Splits an absolute (`https://host/path?q#h`), protocol-relative or relative URL.
pub(crate) fn split_url(url: &str) -> UrlParts<'_> {
    // Byte splits (`text::split_once`), not `str`'s char searches: smaller.
    let (rest, hash) = match split_once(url, b'#') {
        Some((before, hash)) => (before, Some(hash)),
        None => (url, None),
    };
    let rest = split_once(rest, b'?').map_or(rest, |(before, _)| before);
    let scheme = crate::text::find(rest, "://", false)
        .and_then(|i| rest.get(..i))
        .filter(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        });
    let after_slashes = match scheme {
        Some(s) => rest.get(s.len() + 3..),
        None => rest.strip_prefix("//"),
    };
    let (host, path) = match after_slashes {
        Some(after) => {
            let (authority, path) = match split_once(after, b'/') {
                Some((authority, _)) => (authority, after.get(authority.len()..).unwrap_or("/")),
                None => (after, "/"),
            };
            // After the last `@` (user info); bytes, not a reverse char search (smaller).
            let host_port = authority
                .bytes()
                .rposition(|b| b == b'@')
                .and_then(|i| authority.get(i + 1..))
                .unwrap_or(authority);
            let host = if host_port.starts_with('[') {
                // An IPv6 literal keeps its brackets; only a port after `]` is cut.
                split_once(host_port, b']')
                    .and_then(|(h, _)| host_port.get(..=h.len()))
                    .unwrap_or(host_port)
            } else {
                split_once(host_port, b':').map_or(host_port, |(h, _)| h)
            };
            (Some(host).filter(|h| !h.is_empty()), path)
        }
        None => (None, if rest.is_empty() { "/" } else { rest }),
    };
    UrlParts { host, path, hash }
}

// Lists of names are words separated by spaces, as [`RulesError::expected`] takes them.
const CONTEXT_KEYS: &str =
    "visitor_id now url host path hash query utm_source utm_medium utm_campaign utm_term \
utm_content click_id click_id_type first_touch referrer referrer_domain user_agent \
device browser os language local_hour local_weekday returning visit_count \
session_page_views seconds_on_site forms_started forms_submitted forms_submitted_ids \
identified traits custom segments lead_score experiments";

const CAMPAIGN_KEYS: &str =
    "utm_source utm_medium utm_campaign utm_term utm_content click_id click_id_type \
landing_page";

const DEVICE_NAMES: &str = "desktop mobile tablet bot unknown";

/// [`CLICK_ID_PARAMS`] as words, for the error that lists them.
const CLICK_ID_LIST: &str =
    "gclid gbraid wbraid dclid fbclid msclkid ttclid li_fat_id twclid epik rdt_cid sccid \
yclid";

fn read_context(json: &Json, p: &mut Problems) -> VisitorContext {
    let mut ctx = VisitorContext::default();
    let Some(members) = json.as_object() else {
        p.report("expected a visitor context object", None, "");
        return ctx;
    };
    // Derived fields first, so explicit ones given alongside win.
    if let Some(url) = json.get("url").and_then(Json::as_str) {
        ctx.set_url(url);
    }
    if let Some(referrer) = json.get("referrer").and_then(Json::as_str) {
        ctx.set_referrer(referrer);
    }
    if let Some(ua) = json.get("user_agent").and_then(Json::as_str) {
        ctx.set_user_agent(ua);
    }
    for (key, value) in members {
        p.at(Seg::Key(key), |p| read_member(&mut ctx, key, value, p));
    }
    ctx
}

fn read_member(ctx: &mut VisitorContext, key: &str, value: &Json, p: &mut Problems) {
    if matches!(value, Json::Null) {
        return; // null is the same as absent
    }
    match key {
        "visitor_id" => {
            if let Some(s) = text(value, p) {
                ctx.visitor_id = s;
            }
        }
        "now" => {
            ctx.now_ms = match value {
                Json::Number(n) => Some(*n as i64),
                Json::String(s) => {
                    let ms = crate::time::parse_rfc3339_ms(s);
                    if ms.is_none() {
                        p.report(
                            "expected an RFC 3339 date-time or Unix milliseconds",
                            Some(s),
                            "",
                        );
                    }
                    ms
                }
                _ => {
                    p.report(
                        "expected an RFC 3339 date-time or Unix milliseconds",
                        None,
                        "",
                    );
                    None
                }
            }
        }
        "url" | "referrer" | "user_agent" => {
            text(value, p);
        }
        "host" => ctx.host = text(value, p),
        "path" => ctx.path = text(value, p),
        "hash" => ctx.hash = text(value, p),
        "query" => ctx.query = text_map(value, p),
        "first_touch" => {
            let Some(members) = value.as_object() else {
                p.report("expected an object", None, "");
                return;
            };
            for (k, v) in members {
                p.at(Seg::Key(k), |p| {
                    if k == "landing_page" {
                        ctx.landing_page = text(v, p);
                    } else if !set_campaign_field(&mut ctx.first_touch, k, v, p) {
                        p.report("unknown field", Some(k), CAMPAIGN_KEYS);
                    }
                });
            }
        }
        "referrer_domain" => ctx.referrer_domain = text(value, p),
        "device" => {
            ctx.device = match value.as_str() {
                Some("desktop") => Some(DeviceType::Desktop),
                Some("mobile") => Some(DeviceType::Mobile),
                Some("tablet") => Some(DeviceType::Tablet),
                Some("bot") => Some(DeviceType::Bot),
                Some("unknown") => Some(DeviceType::Unknown),
                other => {
                    p.report("unknown device type", other, DEVICE_NAMES);
                    None
                }
            }
        }
        "browser" => ctx.browser = text(value, p),
        "os" => ctx.os = text(value, p),
        "language" => ctx.language = text(value, p),
        "local_hour" => ctx.local_hour = count(value, 23, p).map(|n| n as u8),
        "local_weekday" => {
            ctx.local_weekday = count(value, 7, p).map(|n| n as u8);
            if ctx.local_weekday == Some(0) {
                p.report(
                    "expected an ISO weekday, 1 (Monday) to 7 (Sunday)",
                    None,
                    "",
                );
            }
        }
        "returning" => ctx.returning = boolean(value, p),
        "visit_count" => ctx.visit_count = count(value, u64::from(u32::MAX), p).map(|n| n as u32),
        "session_page_views" => {
            ctx.session_page_views = count(value, u64::from(u32::MAX), p).map(|n| n as u32);
        }
        "seconds_on_site" => ctx.seconds_on_site = count(value, u64::from(u32::MAX), p),
        "forms_started" => {
            ctx.forms_started = count(value, u64::from(u32::MAX), p).map(|n| n as u32)
        }
        "forms_submitted" => {
            ctx.forms_submitted = count(value, u64::from(u32::MAX), p).map(|n| n as u32);
        }
        "forms_submitted_ids" => ctx.forms_submitted_ids = text_list(value, p),
        "identified" => ctx.identified = boolean(value, p),
        "traits" => ctx.traits = value_map(value, p),
        "custom" => ctx.custom = value_map(value, p),
        "segments" => ctx.segments = text_list(value, p),
        "lead_score" => {
            ctx.lead_score = value.as_f64();
            if ctx.lead_score.is_none() {
                p.report("expected a number", None, "");
            }
        }
        "experiments" => ctx.experiments = text_map(value, p),
        _ => {
            if !set_campaign_field(&mut ctx.campaign, key, value, p) {
                p.report("unknown field", Some(key), CONTEXT_KEYS);
            }
        }
    }
}

/// Sets a campaign field named as in documents; `false` when `key` is not one.
fn set_campaign_field(campaign: &mut Campaign, key: &str, value: &Json, p: &mut Problems) -> bool {
    let slot = match key {
        "utm_source" => &mut campaign.source,
        "utm_medium" => &mut campaign.medium,
        "utm_campaign" => &mut campaign.name,
        "utm_term" => &mut campaign.term,
        "utm_content" => &mut campaign.content,
        "click_id" | "click_id_type" => {
            let Some(s) = text(value, p) else {
                return true;
            };
            let click = campaign.click_id.get_or_insert(ClickId {
                kind: "",
                value: String::new(),
            });
            if key == "click_id" {
                click.value = s;
            } else if let Some(kind) = CLICK_ID_PARAMS.iter().find(|k| **k == s) {
                click.kind = kind;
            } else {
                p.report("unknown click id type", Some(&s), CLICK_ID_LIST);
            }
            return true;
        }
        _ => return false,
    };
    *slot = text(value, p);
    true
}

fn text(value: &Json, p: &mut Problems) -> Option<String> {
    let s = value.as_str().map(String::from);
    if s.is_none() {
        p.report("expected a string", None, "");
    }
    s
}

fn boolean(value: &Json, p: &mut Problems) -> Option<bool> {
    let b = value.as_bool();
    if b.is_none() {
        p.report("expected true or false", None, "");
    }
    b
}

fn count(value: &Json, max: u64, p: &mut Problems) -> Option<u64> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n <= max as f64 && n == (n as u64) as f64 => Some(n as u64),
        _ => {
            p.report("expected a whole number in range", None, "");
            None
        }
    }
}

fn text_list(value: &Json, p: &mut Problems) -> Option<Vec<String>> {
    let Some(items) = value.as_array() else {
        p.report("expected an array of strings", None, "");
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(s) = p.at(Seg::Index(i), |p| text(item, p)) {
            out.push(s);
        }
    }
    Some(out)
}

fn text_map(value: &Json, p: &mut Problems) -> Vec<(String, String)> {
    let Some(members) = value.as_object() else {
        p.report("expected an object", None, "");
        return Vec::new();
    };
    let mut out = Vec::with_capacity(members.len());
    for (k, v) in members {
        if let Some(s) = p.at(Seg::Key(k), |p| text(v, p)) {
            out.push((k.clone(), s));
        }
    }
    out
}

fn value_map(value: &Json, p: &mut Problems) -> Vec<(String, Json)> {
    let Some(members) = value.as_object() else {
        p.report("expected an object", None, "");
        return Vec::new();
    };
    members
        .iter()
        .filter(|(_, v)| view(v).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_click_id_list_is_the_campaign_list() {
        assert!(CLICK_ID_LIST.split(' ').eq(CLICK_ID_PARAMS.iter().copied()));
    }

    #[test]
    fn a_url_fills_host_path_hash_and_query() {
        let mut ctx = VisitorContext::default();
        ctx.set_url("https://User@Shop.Example.com:8443/pricing/?plan=pro&utm_source=mail#faq");
        assert_eq!(ctx.host.as_deref(), Some("shop.example.com"));
        assert_eq!(ctx.path.as_deref(), Some("/pricing/"));
        assert_eq!(ctx.hash.as_deref(), Some("faq"));
        assert_eq!(
            ctx.query,
            [
                ("plan".into(), "pro".into()),
                ("utm_source".into(), "mail".into())
            ]
        );
        ctx.set_url("https://example.com");
        assert_eq!(ctx.path.as_deref(), Some("/"));
        assert_eq!(ctx.hash, None);
        ctx.set_url("/landing?x=1");
        assert_eq!(ctx.host, None);
        assert_eq!(ctx.path.as_deref(), Some("/landing"));
    }

    #[test]
    fn referrer_domain_drops_www_and_a_direct_visit_has_none() {
        let mut ctx = VisitorContext::default();
        ctx.set_referrer("https://www.Google.com/search?q=x");
        assert_eq!(ctx.referrer_domain.as_deref(), Some("google.com"));
        ctx.set_referrer("");
        assert_eq!(ctx.referrer, None);
        assert_eq!(ctx.referrer_domain, None);
    }

    #[test]
    fn context_json_uses_the_attribute_names() {
        let ctx = VisitorContext::from_json(
            r#"{"visitor_id":"v1","url":"https://a.com/p?q=1","utm_source":"spring",
                "click_id":"abc","click_id_type":"gclid",
                "first_touch":{"utm_source":"ads","landing_page":"https://a.com/"},
                "device":"mobile","local_hour":9,"local_weekday":6,"visit_count":3,
                "traits":{"plan":"pro","seats":5,"tags":["a","b"],"nested":{"x":1}},
                "segments":["vip"],"lead_score":42.5,"experiments":{"hero":"b"},
                "now":"2026-11-22T10:00:00Z","language":null}"#,
        )
        .unwrap();
        assert_eq!(ctx.visitor_id, "v1");
        assert_eq!(ctx.path.as_deref(), Some("/p"));
        assert_eq!(ctx.campaign.source.as_deref(), Some("spring"));
        assert_eq!(ctx.campaign.click_id.as_ref().unwrap().kind, "gclid");
        assert_eq!(ctx.first_touch.source.as_deref(), Some("ads"));
        assert_eq!(ctx.device, Some(DeviceType::Mobile));
        assert_eq!(ctx.traits.len(), 3, "objects are not testable values");
        assert_eq!(
            ctx.lookup(&Attr::from_name("returning").unwrap(), &[])
                .map(|v| matches!(v, Val::Bool(true))),
            Some(true)
        );
        let first = |name: &str| match ctx.lookup(&Attr::from_name(name).unwrap(), &[]) {
            Some(Val::Text(s)) => Some(String::from(s)),
            _ => None,
        };
        assert_eq!(first("utm_source").as_deref(), Some("spring"));
        assert_eq!(first("first_touch.utm_source").as_deref(), Some("ads"));
        assert_eq!(first("click_id_type").as_deref(), Some("gclid"));
        assert_eq!(first("experiments.hero").as_deref(), Some("b"));
        assert_eq!(ctx.now_ms, Some(1_795_341_600_000));
        assert_eq!(ctx.language, None);
    }

    #[test]
    fn context_json_errors_carry_the_path() {
        let err = VisitorContext::from_json(r#"{"traits":{},"utm_sorce":"x"}"#).unwrap_err();
        assert_eq!(err.path, "utm_sorce");
        assert_eq!(err.message, "unknown field");
        let err = VisitorContext::from_json(r#"{"first_touch":{"utm_source":3}}"#).unwrap_err();
        assert_eq!(
            err.to_message(),
            "first_touch.utm_source: expected a string"
        );
        let err = VisitorContext::from_json(r#"{"local_hour":24}"#).unwrap_err();
        assert_eq!(err.path, "local_hour");
    }
}
