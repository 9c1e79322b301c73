//! Reading, checking and normalising incoming events (collector side).
//!
//! A body that is not a batch at all is a [`BatchError`]; inside a batch, each event is
//! checked on its own, so one bad event is a [`Rejection`] with its index and a reason a
//! developer can act on while the others are still stored. Normalising also enriches:
//! receive time, clock-skew correction, user agent, truncated IP and campaign.

mod enrichment;
mod shape;

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;

use serde_json::{Map, Value};

use crate::event::EventType;
use crate::limits;
use crate::time::{format_rfc3339_ms, parse_rfc3339_ms};

pub use enrichment::{truncate_ip, Enrichment};

/// The limits events are checked against; the collector's configuration fills it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Largest serialised event, in bytes.
    pub max_event_bytes: usize,
    /// Most events in one batch.
    pub max_batch_events: usize,
    /// How far in the future (after clock-skew correction) an event may be, in ms.
    pub max_future_ms: i64,
    /// How far in the past an event may be, in ms.
    pub max_age_ms: i64,
    /// Deepest nesting of objects and arrays in an event.
    pub max_depth: usize,
    /// Longest string value in an event, in bytes.
    pub max_string_bytes: usize,
    /// Longest object key in an event, in bytes.
    pub max_key_bytes: usize,
    /// Most keys in one object of an event.
    pub max_properties: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_event_bytes: limits::MAX_EVENT_BYTES,
            max_batch_events: limits::MAX_BATCH_EVENTS,
            max_future_ms: limits::MAX_FUTURE_MS,
            max_age_ms: limits::MAX_AGE_MS,
            max_depth: limits::MAX_DEPTH,
            max_string_bytes: limits::MAX_STRING_BYTES,
            max_key_bytes: limits::MAX_KEY_BYTES,
            max_properties: limits::MAX_PROPERTIES,
        }
    }
}

/// What the collector knows about the request, beyond its body.
#[derive(Clone, Debug, Default)]
pub struct RequestInfo<'a> {
    /// When the collector received the request (Unix ms).
    pub received_at_ms: i64,
    /// The browser's `User-Agent`, for events without `context.userAgent`; `None` for
    /// server-to-server requests, whose header names the library, not the visitor.
    pub user_agent: Option<&'a str>,
    /// The client's address (socket, or the trusted proxy's header).
    pub client_ip: Option<IpAddr>,
    /// Store addresses whole instead of truncated (IPv4 /24, IPv6 /48); operator opt-in.
    pub keep_full_ip: bool,
    /// The visitor id for cookieless events (`context.cookieless: true`, no ids): derived
    /// by the collector from a daily salt, the site, the truncated address and the user
    /// agent; `None` when the site was not known before the body was read.
    pub cookieless_id: Option<&'a str>,
}

/// Why a whole body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// The body is JSON but not `{"batch":[…]}` (or, for one event, not an object).
    #[error("{0}")]
    NotABatch(String),
    /// More events than the limit.
    #[error("the batch has {count} events; the limit is {max} per request, split it")]
    TooManyEvents {
        /// Events in the batch.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// One event that was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Position in the batch (0 for a single event).
    pub index: usize,
    /// A stable, short name of the problem, for metrics (`invalid_type`, `too_old`, …).
    pub code: &'static str,
    /// What is wrong, with the JSON path of the problem.
    pub reason: String,
}

/// A problem inside one event: a code for metrics, and a detail that starts with the path
/// inside the event (`.type: …`) so the caller can prefix where the event was.
#[derive(Debug)]
struct Problem {
    code: &'static str,
    detail: String,
}

impl Problem {
    fn new(code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            code,
            detail: detail.into(),
        }
    }
}

/// An event ready to store: the columns storage indexes, and the normalised JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizedEvent {
    /// The idempotency key (given, or derived from the content).
    pub message_id: String,
    /// The event type.
    pub kind: EventType,
    /// The `event` name of a track event, or the `name` of a page.
    pub event_name: Option<String>,
    /// The visitor's anonymous id.
    pub anonymous_id: Option<String>,
    /// The user id, once identified.
    pub user_id: Option<String>,
    /// `context.sessionId`.
    pub session_id: Option<String>,
    /// When the event happened, corrected for client clock skew.
    pub timestamp_ms: i64,
    /// When the collector received it.
    pub received_at_ms: i64,
    /// `context.page.url`, or `properties.url`.
    pub url: Option<String>,
    /// What the collector derived: referrer, campaign, device, truncated IP, bot flag.
    pub enrichment: Enrichment,
    /// The whole event in wire form, with `timestamp`, `messageId`, `receivedAt` and the
    /// enrichment set.
    pub json: String,
}

/// A parsed body: the write key it carried, and each event's outcome in order.
#[derive(Debug)]
pub struct ParsedBatch {
    /// `writeKey` from the body, if present.
    pub write_key: Option<String>,
    /// One entry per event.
    pub events: Vec<Result<NormalizedEvent, Rejection>>,
}

/// Parses a `/v1/batch` body: `{"batch":[…], "sentAt"?, "writeKey"?, "context"?}`.
pub fn parse_batch(
    body: &[u8],
    request: &RequestInfo<'_>,
    limits: &BatchLimits,
) -> Result<ParsedBatch, BatchError> {
    let mut root = parse_object(body, "the body must be a JSON object like {\"batch\":[…]}")?;
    let write_key = take_write_key(&mut root);
    let sent_at = read_sent_at(root.get("sentAt"));
    let Some(Value::Array(batch)) = root.remove("batch") else {
        return Err(BatchError::NotABatch(
            "the body must have a \"batch\" array of events".to_owned(),
        ));
    };
    if batch.len() > limits.max_batch_events {
        return Err(BatchError::TooManyEvents {
            count: batch.len(),
            max: limits.max_batch_events,
        });
    }
    // Segment's batch API lets a batch carry a context shared by its events.
    let shared_context = match root.remove("context") {
        Some(Value::Object(context)) => Some(context),
        _ => None,
    };
    let ctx = Context {
        request,
        sent_at_ms: sent_at,
        limits,
    };
    let events = batch
        .into_iter()
        .enumerate()
        .map(|(index, mut event)| {
            if let (Some(shared), Value::Object(obj)) = (&shared_context, &mut event) {
                merge_context(obj, shared);
            }
            normalize_event(event, None, &ctx).map_err(|p| Rejection {
                index,
                code: p.code,
                reason: format!("batch[{index}]{}", p.detail),
            })
        })
        .collect();
    Ok(ParsedBatch { write_key, events })
}

/// Parses the body of a single-event endpoint (`/v1/track`, …): one event object whose
/// `type`, when present, must be `kind`.
pub fn parse_event(
    body: &[u8],
    kind: EventType,
    request: &RequestInfo<'_>,
    limits: &BatchLimits,
) -> Result<ParsedBatch, BatchError> {
    let mut root = parse_object(body, "the body must be one event as a JSON object")?;
    let write_key = take_write_key(&mut root);
    let ctx = Context {
        request,
        sent_at_ms: None,
        limits,
    };
    let event = normalize_event(Value::Object(root), Some(kind), &ctx).map_err(|p| Rejection {
        index: 0,
        code: p.code,
        reason: format!("body{}", p.detail),
    });
    Ok(ParsedBatch {
        write_key,
        events: alloc::vec![event],
    })
}

fn parse_object(body: &[u8], what: &str) -> Result<Map<String, Value>, BatchError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| BatchError::NotJson(e.to_string()))?;
    match value {
        Value::Object(root) => Ok(root),
        _ => Err(BatchError::NotABatch(what.to_owned())),
    }
}

/// The write key is a credential of the request, not part of any event: never stored.
fn take_write_key(root: &mut Map<String, Value>) -> Option<String> {
    match root.remove("writeKey") {
        Some(Value::String(key)) if !key.is_empty() => Some(key),
        _ => None,
    }
}

/// Fills the event's `context` with the batch's shared one; the event's own keys win.
fn merge_context(event: &mut Map<String, Value>, shared: &Map<String, Value>) {
    let context = event
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(context) = context {
        for (key, value) in shared {
            context.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
}

struct Context<'a> {
    request: &'a RequestInfo<'a>,
    sent_at_ms: Option<i64>,
    limits: &'a BatchLimits,
}

fn read_sent_at(value: Option<&Value>) -> Option<i64> {
    value.and_then(Value::as_str).and_then(parse_rfc3339_ms)
}

/// Checks, normalises and enriches one event.
fn normalize_event(
    event: Value,
    expected: Option<EventType>,
    ctx: &Context<'_>,
) -> Result<NormalizedEvent, Problem> {
    let Value::Object(mut obj) = event else {
        return Err(Problem::new("not_an_object", ": must be a JSON object"));
    };
    let kind = match (obj.get("type"), expected) {
        (None, Some(kind)) => kind,
        (Some(Value::String(name)), _) => EventType::parse(name).ok_or_else(type_problem)?,
        _ => return Err(type_problem()),
    };
    if let Some(expected) = expected {
        if expected != kind {
            return Err(Problem::new(
                "invalid_type",
                format!(
                    ".type: this endpoint takes {} events; send {} events to /v1/{} or /v1/batch",
                    expected.as_str(),
                    kind.as_str(),
                    kind.as_str()
                ),
            ));
        }
    }
    obj.insert("type".to_owned(), Value::String(kind.as_str().to_owned()));
    obj.remove("integrations");
    obj.remove("writeKey");
    shape::check_shape(&obj, ctx.limits)?;

    let mut anonymous_id = read_id(&obj, "anonymousId")?;
    let user_id = read_id(&obj, "userId")?;
    if anonymous_id.is_none() && user_id.is_none() {
        if !is_cookieless(&obj) {
            return Err(Problem::new(
                "missing_id",
                ": needs an anonymousId or a userId",
            ));
        }
        let id = ctx.request.cookieless_id.ok_or_else(|| {
            Problem::new(
                "missing_id",
                ": a cookieless event needs the write key in the URL (?key=) or in Basic \
                 auth, so the collector can derive its visitor id",
            )
        })?;
        obj.insert("anonymousId".to_owned(), Value::String(id.to_owned()));
        anonymous_id = Some(id.to_owned());
    }
    let event_name = match kind {
        EventType::Page => read_id(&obj, "name")?,
        _ => read_id(&obj, "event")?,
    };
    match kind {
        EventType::Track if event_name.is_none() => {
            return Err(Problem::new(
                "missing_field",
                ".event: a track event needs an event name",
            ))
        }
        EventType::Alias if read_id(&obj, "previousId")?.is_none() => {
            return Err(Problem::new(
                "missing_field",
                ".previousId: an alias event needs the previous id",
            ))
        }
        EventType::Group if read_id(&obj, "groupId")?.is_none() => {
            return Err(Problem::new(
                "missing_field",
                ".groupId: a group event needs a groupId",
            ))
        }
        _ => {}
    }

    // Derived from the event as sent (before any server field is added), so that every
    // retry of it gets the same id.
    let message_id = match read_id(&obj, "messageId")? {
        Some(id) => id,
        None => {
            let id = derive_message_id(&obj);
            obj.insert("messageId".to_owned(), Value::String(id.clone()));
            id
        }
    };

    let timestamp_ms = event_time(&mut obj, ctx)?;
    obj.insert(
        "timestamp".to_owned(),
        Value::String(format_rfc3339_ms(timestamp_ms)),
    );
    obj.insert(
        "receivedAt".to_owned(),
        Value::String(format_rfc3339_ms(ctx.request.received_at_ms)),
    );

    let enrichment = enrichment::enrich(&mut obj, ctx.request);
    let context = obj.get("context").and_then(Value::as_object);
    let session_id = context
        .and_then(|c| c.get("sessionId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let url = enrichment::page_field(&obj, "url");

    // `to_string` on a Value goes through `core::fmt`; the serializer writes bytes directly.
    let json = serde_json::to_string(&Value::Object(obj)).unwrap_or_default();
    if json.len() > ctx.limits.max_event_bytes {
        return Err(Problem::new(
            "too_large",
            format!(
                ": the event is {} bytes; the limit is {} bytes",
                json.len(),
                ctx.limits.max_event_bytes
            ),
        ));
    }
    Ok(NormalizedEvent {
        message_id,
        kind,
        event_name,
        anonymous_id,
        user_id,
        session_id,
        timestamp_ms,
        received_at_ms: ctx.request.received_at_ms,
        url,
        enrichment,
        json,
    })
}

/// Whether the sender marked the event cookieless (`context.cookieless: true`).
fn is_cookieless(obj: &Map<String, Value>) -> bool {
    obj.get("context")
        .and_then(|c| c.get("cookieless"))
        .and_then(Value::as_bool)
        == Some(true)
}

fn type_problem() -> Problem {
    let mut names = String::new();
    for (i, t) in EventType::ALL.iter().enumerate() {
        if i > 0 {
            names.push_str(", ");
        }
        names.push_str(t.as_str());
    }
    Problem::new("invalid_type", format!(".type: expected one of {names}"))
}

/// Reads an identifier field: absent, null or "" is none; numbers are accepted as text
/// (some server libraries send numeric user ids).
fn read_id(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, Problem> {
    let text = match obj.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(Problem::new(
                "invalid_field",
                format!(".{field}: must be a string"),
            ))
        }
    };
    if text.chars().count() > limits::MAX_ID_CHARS {
        return Err(Problem::new(
            "invalid_field",
            format!(".{field}: longer than {} characters", limits::MAX_ID_CHARS),
        ));
    }
    Ok(Some(text))
}

/// The event's time: its `timestamp` corrected for the client's clock skew against
/// `sentAt` (`receivedAt + (timestamp − sentAt)`), or the receive time when it has none.
fn event_time(obj: &mut Map<String, Value>, ctx: &Context<'_>) -> Result<i64, Problem> {
    let received = ctx.request.received_at_ms;
    let client_ms = match obj.get("timestamp") {
        None | Some(Value::Null) => return Ok(received),
        Some(Value::String(s)) => parse_rfc3339_ms(s).ok_or_else(|| {
            Problem::new(
                "invalid_timestamp",
                ".timestamp: expected an ISO-8601 date-time such as 2026-11-22T10:00:00.000Z",
            )
        })?,
        Some(_) => {
            return Err(Problem::new(
                "invalid_timestamp",
                ".timestamp: must be an ISO-8601 date-time string",
            ))
        }
    };
    let sent_at = read_sent_at(obj.get("sentAt")).or(ctx.sent_at_ms);
    let corrected = match sent_at {
        Some(sent) => received.saturating_add(client_ms.saturating_sub(sent)),
        None => client_ms,
    };
    if corrected != client_ms {
        if let Some(original) = obj.get("timestamp").cloned() {
            obj.insert("originalTimestamp".to_owned(), original);
        }
    }
    if corrected.saturating_sub(received) > ctx.limits.max_future_ms {
        return Err(Problem::new(
            "in_future",
            format!(
                ".timestamp: more than {} hours in the future; check the sender's clock",
                ctx.limits.max_future_ms / 3_600_000
            ),
        ));
    }
    if received.saturating_sub(corrected) > ctx.limits.max_age_ms {
        return Err(Problem::new(
            "too_old",
            format!(
                ".timestamp: older than {} days; the collector keeps no events that old",
                ctx.limits.max_age_ms / 86_400_000
            ),
        ));
    }
    Ok(corrected)
}

/// A stable id for an event sent without one, so that its retries are still recognised:
/// FNV-1a (128 bit) over the event's canonical JSON (serde_json sorts keys), leaving out
/// `sentAt`, which differs between retries.
fn derive_message_id(obj: &Map<String, Value>) -> String {
    let mut content = obj.clone();
    content.remove("sentAt");
    let canonical = serde_json::to_string(&Value::Object(content)).unwrap_or_default();
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in canonical.bytes() {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let mut id = String::from("orbit-");
    for b in hash.to_be_bytes() {
        crate::id::push_hex_byte(&mut id, b);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_341_600_000; // 2026-11-22T10:00:00Z
    const REQUEST: RequestInfo<'static> = RequestInfo {
        received_at_ms: NOW,
        user_agent: None,
        client_ip: None,
        keep_full_ip: false,
        cookieless_id: None,
    };

    fn parse(body: Value) -> Result<ParsedBatch, BatchError> {
        parse_batch(
            body.to_string().as_bytes(),
            &REQUEST,
            &BatchLimits::default(),
        )
    }

    fn one(event: Value) -> Result<NormalizedEvent, Rejection> {
        parse(json!({ "batch": [event] })).unwrap().events.remove(0)
    }

    #[test]
    fn a_page_event_is_normalised_with_receive_time() {
        let e = one(json!({
            "type": "page", "messageId": "m1", "anonymousId": "a1",
            "timestamp": "2026-11-22T09:59:59.000Z",
            "context": {"page": {"url": "https://x.test/?utm_source=s"}, "sessionId": "s1"}
        }))
        .unwrap();
        assert_eq!(e.kind, EventType::Page);
        assert_eq!(e.message_id, "m1");
        assert_eq!(e.timestamp_ms, NOW - 1000);
        assert_eq!(e.session_id.as_deref(), Some("s1"));
        assert_eq!(e.url.as_deref(), Some("https://x.test/?utm_source=s"));
        let stored: Value = serde_json::from_str(&e.json).unwrap();
        assert_eq!(stored["receivedAt"], "2026-11-22T10:00:00.000Z");
    }

    #[test]
    fn clock_skew_is_corrected_against_sent_at() {
        // The client's clock is 1 hour fast: it stamped the event 2 s before sending it.
        let body = json!({
            "batch": [{"type": "track", "event": "E", "anonymousId": "a",
                       "timestamp": "2026-11-22T10:59:58.000Z"}],
            "sentAt": "2026-11-22T11:00:00.000Z"
        });
        let e = parse(body).unwrap().events.remove(0).unwrap();
        assert_eq!(e.timestamp_ms, NOW - 2000);
        let stored: Value = serde_json::from_str(&e.json).unwrap();
        assert_eq!(stored["originalTimestamp"], "2026-11-22T10:59:58.000Z");
    }

    #[test]
    fn bad_events_are_rejected_with_their_index_and_path() {
        let body = json!({"batch": [
            {"type": "page", "anonymousId": "a"},
            {"type": "pageview", "anonymousId": "a"},
            {"type": "track", "anonymousId": "a"},
            {"type": "page"},
            {"type": "page", "anonymousId": "a", "timestamp": "soon"},
            {"type": "page", "anonymousId": "a", "timestamp": "2026-11-24T10:00:00Z"},
            "not an object",
            {"type": "page", "anonymousId": {"x": 1}},
        ]});
        let reasons: Vec<String> = parse(body)
            .unwrap()
            .events
            .into_iter()
            .filter_map(|r| r.err().map(|e| e.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                "batch[1].type: expected one of page, track, identify, alias, group",
                "batch[2].event: a track event needs an event name",
                "batch[3]: needs an anonymousId or a userId",
                "batch[4].timestamp: expected an ISO-8601 date-time such as 2026-11-22T10:00:00.000Z",
                "batch[5].timestamp: more than 23 hours in the future; check the sender's clock",
                "batch[6]: must be a JSON object",
                "batch[7].anonymousId: must be a string",
            ]
        );
    }

    #[test]
    fn a_body_that_is_not_a_batch_is_an_error() {
        assert!(matches!(
            parse_batch(b"{nope", &REQUEST, &BatchLimits::default()),
            Err(BatchError::NotJson(_))
        ));
        assert!(matches!(
            parse(json!([1, 2])),
            Err(BatchError::NotABatch(_))
        ));
        assert!(matches!(
            parse(json!({"events": []})),
            Err(BatchError::NotABatch(_))
        ));
    }

    #[test]
    fn too_many_events_is_an_error_for_the_whole_batch() {
        let limits = BatchLimits {
            max_batch_events: 2,
            ..BatchLimits::default()
        };
        let body = json!({"batch": [{}, {}, {}]}).to_string();
        assert_eq!(
            parse_batch(body.as_bytes(), &REQUEST, &limits).unwrap_err(),
            BatchError::TooManyEvents { count: 3, max: 2 }
        );
    }

    #[test]
    fn oversized_events_are_rejected_with_the_limit() {
        let limits = BatchLimits {
            max_event_bytes: 200,
            ..BatchLimits::default()
        };
        let big = "x".repeat(300);
        let body = json!({"batch": [{"type": "track", "event": "E", "anonymousId": "a",
                                      "properties": {"big": big}}]})
        .to_string();
        let mut parsed = parse_batch(body.as_bytes(), &REQUEST, &limits).unwrap();
        let reason = parsed.events.remove(0).unwrap_err().reason;
        assert!(reason.ends_with("the limit is 200 bytes"), "{reason}");
    }

    #[test]
    fn events_without_message_id_get_a_stable_derived_one() {
        let event = json!({"type": "track", "event": "E", "anonymousId": "a",
                           "timestamp": "2026-11-22T09:00:00Z"});
        let a = one(event.clone()).unwrap();
        let b = one(event).unwrap();
        assert!(a.message_id.starts_with("orbit-"));
        assert_eq!(a.message_id, b.message_id);
        let other = one(json!({"type": "track", "event": "F", "anonymousId": "a",
                               "timestamp": "2026-11-22T09:00:00Z"}))
        .unwrap();
        assert_ne!(a.message_id, other.message_id);
    }

    #[test]
    fn the_body_write_key_is_read() {
        let parsed = parse(json!({"batch": [], "writeKey": "k"})).unwrap();
        assert_eq!(parsed.write_key.as_deref(), Some("k"));
    }
    #[test]
    fn a_single_event_takes_its_type_from_the_endpoint() {
        let body = json!({"event": "Signed Up", "userId": 42, "writeKey": "k"}).to_string();
        let mut parsed = parse_event(
            body.as_bytes(),
            EventType::Track,
            &REQUEST,
            &BatchLimits::default(),
        )
        .unwrap();
        assert_eq!(parsed.write_key.as_deref(), Some("k"));
        let e = parsed.events.remove(0).unwrap();
        assert_eq!(e.kind, EventType::Track);
        assert_eq!(e.user_id.as_deref(), Some("42"));
        assert!(
            !e.json.contains("writeKey"),
            "the key is never stored: {}",
            e.json
        );

        let wrong = json!({"type": "page", "anonymousId": "a"}).to_string();
        let rejection = parse_event(
            wrong.as_bytes(),
            EventType::Track,
            &REQUEST,
            &BatchLimits::default(),
        )
        .unwrap()
        .events
        .remove(0)
        .unwrap_err();
        assert_eq!(rejection.code, "invalid_type");
        assert_eq!(
            rejection.reason,
            "body.type: this endpoint takes track events; send page events to /v1/page or /v1/batch"
        );
    }

    #[test]
    fn old_events_are_rejected_with_the_window() {
        let e = one(json!({"type": "track", "event": "E", "anonymousId": "a",
                           "timestamp": "2026-09-01T00:00:00Z"}))
        .unwrap_err();
        assert_eq!(e.code, "too_old");
        assert_eq!(
            e.reason,
            "batch[0].timestamp: older than 30 days; the collector keeps no events that old"
        );
    }

    #[test]
    fn shape_limits_reject_one_event_not_the_batch() {
        let mut deep = json!("leaf");
        for _ in 0..40 {
            deep = json!({ "d": deep });
        }
        let body = json!({"batch": [
            {"type": "track", "event": "E", "anonymousId": "a", "properties": deep},
            {"type": "track", "event": "E", "anonymousId": "a"},
        ]});
        let events = parse(body).unwrap().events;
        let rejection = events[0].as_ref().unwrap_err();
        assert_eq!(rejection.code, "too_deep");
        assert!(
            rejection.reason.starts_with("batch[0].properties.d.d."),
            "{}",
            rejection.reason
        );
        assert!(
            rejection.reason.ends_with("the limit is 32"),
            "{}",
            rejection.reason
        );
        assert!(events[1].is_ok());
    }

    #[test]
    fn the_batch_context_is_shared_by_its_events() {
        let body = json!({
            "batch": [{"type": "track", "event": "E", "anonymousId": "a",
                       "context": {"locale": "fr-FR"}}],
            "context": {"locale": "en-US", "library": {"name": "analytics-python"}}
        });
        let e = parse(body).unwrap().events.remove(0).unwrap();
        let stored: Value = serde_json::from_str(&e.json).unwrap();
        assert_eq!(stored["context"]["locale"], "fr-FR");
        assert_eq!(stored["context"]["library"]["name"], "analytics-python");
    }

    #[test]
    fn a_derived_message_id_survives_retries_with_a_new_sent_at() {
        let first = json!({"batch": [{"type": "track", "event": "E", "anonymousId": "a"}],
                           "sentAt": "2026-11-22T09:59:00Z"});
        let retry = json!({"batch": [{"type": "track", "event": "E", "anonymousId": "a"}],
                           "sentAt": "2026-11-22T09:59:30Z"});
        let a = parse(first).unwrap().events.remove(0).unwrap();
        let request = RequestInfo {
            received_at_ms: NOW + 30_000,
            ..REQUEST
        };
        let b = parse_batch(
            retry.to_string().as_bytes(),
            &request,
            &BatchLimits::default(),
        )
        .unwrap()
        .events
        .remove(0)
        .unwrap();
        assert_eq!(a.message_id, b.message_id);
    }

    #[test]
    fn cookieless_events_get_the_derived_visitor_id() {
        let event = json!({"type": "page", "context": {"cookieless": true}});
        let body = json!({ "batch": [event.clone()] }).to_string();
        let request = RequestInfo {
            cookieless_id: Some("cl-0123"),
            ..REQUEST
        };
        let e = parse_batch(body.as_bytes(), &request, &BatchLimits::default())
            .unwrap()
            .events
            .remove(0)
            .unwrap();
        assert_eq!(e.anonymous_id.as_deref(), Some("cl-0123"));
        let without_site = one(event).unwrap_err();
        assert!(
            without_site.reason.contains("in the URL"),
            "{}",
            without_site.reason
        );
        let not_marked = one(json!({"type": "page"})).unwrap_err();
        assert_eq!(not_marked.code, "missing_id");
    }
}
