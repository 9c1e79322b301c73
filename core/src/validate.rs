//! Reading, checking and normalising incoming batches (collector side).
//!
//! A body that is not a batch at all is a [`BatchError`]; inside a batch, each event is
//! checked on its own, so one bad event is a [`Rejection`] with its index and a reason a
//! developer can act on while the others are still stored.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::event::EventType;
use crate::limits;
use crate::time::{format_rfc3339_ms, parse_rfc3339_ms};

/// The limits a batch is checked against; the collector's configuration fills it.
#[derive(Clone, Debug)]
pub struct BatchLimits {
    /// Largest serialised event, in bytes.
    pub max_event_bytes: usize,
    /// Most events in one batch.
    pub max_batch_events: usize,
    /// How far in the future (after clock-skew correction) an event may be, in ms.
    pub max_future_ms: i64,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_event_bytes: limits::MAX_EVENT_BYTES,
            max_batch_events: limits::MAX_BATCH_EVENTS,
            max_future_ms: limits::MAX_FUTURE_MS,
        }
    }
}

/// Why a whole body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// The body is JSON but not `{"batch":[…]}`.
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

/// One event of a batch that was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Position in the batch.
    pub index: usize,
    /// What is wrong, with the JSON path of the problem.
    pub reason: String,
}

/// An event ready to store: the columns storage indexes, and the normalised JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizedEvent {
    /// The idempotency key (given, or derived from the content).
    pub message_id: String,
    /// The event type.
    pub kind: EventType,
    /// The `event` name of a track event.
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
    /// The whole event in wire form, with `timestamp`, `messageId` and `receivedAt` set.
    pub json: String,
}

/// A parsed batch: the write key its body carried, and each event's outcome in order.
#[derive(Debug)]
pub struct ParsedBatch {
    /// `writeKey` from the body, if present.
    pub write_key: Option<String>,
    /// One entry per event of the batch.
    pub events: Vec<Result<NormalizedEvent, Rejection>>,
}

/// Parses a `/v1/batch` body received at `received_at_ms`.
pub fn parse_batch(
    body: &[u8],
    received_at_ms: i64,
    limits: &BatchLimits,
) -> Result<ParsedBatch, BatchError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| BatchError::NotJson(e.to_string()))?;
    let Value::Object(mut root) = value else {
        return Err(BatchError::NotABatch(
            "the body must be a JSON object like {\"batch\":[…]}".to_owned(),
        ));
    };
    let write_key = root
        .get("writeKey")
        .and_then(Value::as_str)
        .map(str::to_owned);
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
    let ctx = Context {
        received_at_ms,
        sent_at_ms: sent_at,
        limits,
    };
    let events = batch
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            normalize_event(event, None, &ctx).map_err(|reason| Rejection {
                index,
                reason: format!("batch[{index}]{reason}"),
            })
        })
        .collect();
    Ok(ParsedBatch { write_key, events })
}

struct Context<'a> {
    received_at_ms: i64,
    sent_at_ms: Option<i64>,
    limits: &'a BatchLimits,
}

fn read_sent_at(value: Option<&Value>) -> Option<i64> {
    value.and_then(Value::as_str).and_then(parse_rfc3339_ms)
}

/// Checks and normalises one event; the error is a reason that starts with the path
/// inside the event (`.type: …`) so the caller can prefix where the event was.
fn normalize_event(
    event: Value,
    expected: Option<EventType>,
    ctx: &Context<'_>,
) -> Result<NormalizedEvent, String> {
    let Value::Object(mut obj) = event else {
        return Err(": must be a JSON object".to_owned());
    };
    let kind = match (obj.get("type"), expected) {
        (None, Some(kind)) => kind,
        (Some(Value::String(name)), _) => EventType::parse(name).ok_or_else(type_reason)?,
        _ => return Err(type_reason()),
    };
    if let Some(expected) = expected {
        if expected != kind {
            return Err(format!(
                ".type: this endpoint takes {} events",
                expected.as_str()
            ));
        }
    }
    obj.insert("type".to_owned(), Value::String(kind.as_str().to_owned()));
    obj.remove("integrations");

    let anonymous_id = read_id(&obj, "anonymousId")?;
    let user_id = read_id(&obj, "userId")?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err(": needs an anonymousId or a userId".to_owned());
    }
    let event_name = read_id(&obj, "event")?;
    match kind {
        EventType::Track if event_name.is_none() => {
            return Err(".event: a track event needs an event name".to_owned())
        }
        EventType::Alias if read_id(&obj, "previousId")?.is_none() => {
            return Err(".previousId: an alias event needs the previous id".to_owned())
        }
        EventType::Group if read_id(&obj, "groupId")?.is_none() => {
            return Err(".groupId: a group event needs a groupId".to_owned())
        }
        _ => {}
    }

    let timestamp_ms = event_time(&mut obj, ctx)?;
    obj.insert(
        "timestamp".to_owned(),
        Value::String(format_rfc3339_ms(timestamp_ms)),
    );

    let (message_id, derived) = match read_id(&obj, "messageId")? {
        Some(id) => (id, false),
        None => (derive_message_id(&obj), true),
    };
    if derived {
        obj.insert("messageId".to_owned(), Value::String(message_id.clone()));
    }
    obj.insert(
        "receivedAt".to_owned(),
        Value::String(format_rfc3339_ms(ctx.received_at_ms)),
    );

    let context = obj.get("context").and_then(Value::as_object);
    let session_id = context
        .and_then(|c| c.get("sessionId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let url = context
        .and_then(|c| c.get("page"))
        .and_then(|p| p.get("url"))
        .or_else(|| obj.get("properties").and_then(|p| p.get("url")))
        .and_then(Value::as_str)
        .map(str::to_owned);

    let json = Value::Object(obj).to_string();
    if json.len() > ctx.limits.max_event_bytes {
        return Err(format!(
            ": the event is {} bytes; the limit is {} bytes",
            json.len(),
            ctx.limits.max_event_bytes
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
        received_at_ms: ctx.received_at_ms,
        url,
        json,
    })
}

fn type_reason() -> String {
    let mut names = String::new();
    for (i, t) in EventType::ALL.iter().enumerate() {
        if i > 0 {
            names.push_str(", ");
        }
        names.push_str(t.as_str());
    }
    format!(".type: expected one of {names}")
}

/// Reads an identifier field: absent, null or "" is none; numbers are accepted as text
/// (some server libraries send numeric user ids).
fn read_id(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    let text = match obj.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(format!(".{field}: must be a string")),
    };
    if text.chars().count() > limits::MAX_ID_CHARS {
        return Err(format!(
            ".{field}: longer than {} characters",
            limits::MAX_ID_CHARS
        ));
    }
    Ok(Some(text))
}

/// The event's time: its `timestamp` corrected for the client's clock skew against
/// `sentAt` (`receivedAt + (timestamp − sentAt)`), or the receive time when it has none.
fn event_time(obj: &mut Map<String, Value>, ctx: &Context<'_>) -> Result<i64, String> {
    let client_ms = match obj.get("timestamp") {
        None | Some(Value::Null) => return Ok(ctx.received_at_ms),
        Some(Value::String(s)) => parse_rfc3339_ms(s).ok_or_else(|| {
            ".timestamp: expected an ISO-8601 date-time such as 2026-11-22T10:00:00.000Z".to_owned()
        })?,
        Some(_) => return Err(".timestamp: must be an ISO-8601 date-time string".to_owned()),
    };
    let sent_at = read_sent_at(obj.get("sentAt")).or(ctx.sent_at_ms);
    let corrected = match sent_at {
        Some(sent) => ctx.received_at_ms + (client_ms - sent),
        None => client_ms,
    };
    if corrected != client_ms {
        if let Some(original) = obj.get("timestamp").cloned() {
            obj.insert("originalTimestamp".to_owned(), original);
        }
    }
    if corrected - ctx.received_at_ms > ctx.limits.max_future_ms {
        return Err(
            ".timestamp: more than 23 hours in the future; check the sender's clock".to_owned(),
        );
    }
    Ok(corrected)
}

/// A stable id for an event sent without one, so that its retries are still recognised:
/// FNV-1a (128 bit) over the event's canonical JSON (serde_json sorts keys).
fn derive_message_id(obj: &Map<String, Value>) -> String {
    let canonical = Value::Object(obj.clone()).to_string();
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

    fn parse(body: Value) -> Result<ParsedBatch, BatchError> {
        parse_batch(body.to_string().as_bytes(), NOW, &BatchLimits::default())
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
            parse_batch(b"{nope", NOW, &BatchLimits::default()),
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
            parse_batch(body.as_bytes(), NOW, &limits).unwrap_err(),
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
        let mut parsed = parse_batch(body.as_bytes(), NOW, &limits).unwrap();
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
}
