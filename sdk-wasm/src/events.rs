//! Events in the wire format of DESIGN.md (Segment Spec), written without serde.
//!
//! Free-form parts (properties, traits) arrive as JSON text from the browser's
//! `JSON.stringify` and are spliced in; everything else is written field by field.

use alloc::string::String;
use orbit_core::json::JsonWriter;

/// `context.library.name` on every event.
pub const LIBRARY_NAME: &str = "orbit-sdk";
/// `context.library.version` on every event.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the page is when an event is made: each event's page fields (`path`, `referrer`,
/// `search`, `title`, `url`), written once as JSON object members for both places an event
/// has them (`properties` of a page event, `context.page`).
#[derive(Clone, Debug, Default)]
pub struct PageLocation {
    members: String,
}

impl PageLocation {
    /// From the fields already written as object members (`"path":"/","referrer":"",…`) by
    /// a [`JsonWriter`] outside any object.
    pub fn from_members(members: String) -> PageLocation {
        PageLocation { members }
    }
}

/// What the browser says about itself, the same for the page's life: the batch context.
#[derive(Clone, Debug, Default)]
pub struct PageInfo {
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// `navigator.language`.
    pub locale: String,
    /// The IANA time zone, e.g. `Europe/Paris` (empty until read: see `web::page::timezone`).
    pub timezone: String,
    /// Minutes east of UTC now (`Date#getTimezoneOffset`, negated): cheap, always known.
    pub utc_offset_min: i32,
    /// `screen.width`, `screen.height`.
    pub screen: (u32, u32),
}

/// The identifiers and time every event carries.
#[derive(Clone, Debug)]
pub struct EventMeta<'a> {
    /// The UUIDv7 idempotency key.
    pub message_id: &'a str,
    /// The visitor's anonymous id; `None` in cookieless mode, where the collector derives
    /// one and the event says `context.cookieless: true`.
    pub anonymous_id: Option<&'a str>,
    /// RFC 3339 creation time.
    pub timestamp: &'a str,
    /// The user id, once `identify` gave one.
    pub user_id: Option<&'a str>,
    /// The session this event belongs to (`context.sessionId`).
    pub session_id: Option<&'a str>,
}

/// The event-specific part.
pub enum EventBody<'a> {
    /// A page view, optionally named.
    Page {
        /// `name`, as in `orbit('page', 'Pricing')`.
        name: Option<&'a str>,
    },
    /// A named action.
    Track {
        /// `event`.
        event: &'a str,
    },
    /// Links the visitor to a user id; `properties` are its traits.
    Identify {
        /// The form whose submission identified the visitor (lead capture):
        /// `context.form_id`, which makes the profile a lead on the collector.
        form_id: Option<&'a str>,
    },
    /// Merges `previous_id` into the user id of the event.
    Alias {
        /// `previousId`: the id used until now.
        previous_id: &'a str,
    },
}

/// Writes one event. `properties` is a JSON object's text (or `None` for `{}`).
pub fn write_event(
    meta: &EventMeta<'_>,
    body: &EventBody<'_>,
    page: &PageLocation,
    properties: Option<&str>,
) -> String {
    let mut w = JsonWriter::new();
    w.begin_object();
    match body {
        EventBody::Page { name } => {
            w.string_member("type", "page");
            if let Some(name) = name {
                w.string_member("name", name);
            }
            w.key("properties").begin_object();
            write_page_fields(&mut w, page);
            splice_members(&mut w, properties);
            w.end_object();
        }
        EventBody::Track { event } => {
            w.string_member("type", "track")
                .string_member("event", event);
            w.key("properties").begin_object();
            splice_members(&mut w, properties);
            w.end_object();
        }
        EventBody::Identify { .. } => {
            w.string_member("type", "identify");
            w.key("traits").begin_object();
            splice_members(&mut w, properties);
            w.end_object();
        }
        EventBody::Alias { previous_id } => {
            w.string_member("type", "alias")
                .string_member("previousId", previous_id);
        }
    }
    w.string_member("messageId", meta.message_id);
    if let Some(anonymous_id) = meta.anonymous_id {
        w.string_member("anonymousId", anonymous_id);
    }
    if let Some(user_id) = meta.user_id {
        w.string_member("userId", user_id);
    }
    w.string_member("timestamp", meta.timestamp);
    w.key("context").begin_object();
    if let Some(session_id) = meta.session_id {
        w.string_member("sessionId", session_id);
    }
    if meta.anonymous_id.is_none() {
        w.key("cookieless").bool(true);
    }
    if let EventBody::Identify {
        form_id: Some(form_id),
    } = body
    {
        w.string_member("form_id", form_id);
    }
    w.key("page").begin_object();
    write_page_fields(&mut w, page);
    w.end_object();
    w.end_object();
    w.end_object();
    w.finish()
}

/// The context every event of the page shares (library, browser, language, time zone,
/// screen), sent once per batch: the collector gives it to each event (the Segment batch
/// API's `context`), which keeps stored and sent events small.
pub fn write_batch_context(page: &PageInfo) -> String {
    let mut w = JsonWriter::new();
    w.begin_object();
    w.key("library")
        .begin_object()
        .string_member("name", LIBRARY_NAME)
        .string_member("version", LIBRARY_VERSION)
        .end_object();
    w.string_member("userAgent", &page.user_agent);
    w.string_member("locale", &page.locale);
    if !page.timezone.is_empty() {
        w.string_member("timezone", &page.timezone);
    }
    w.key("timezoneOffset").int(i64::from(page.utc_offset_min));
    w.key("screen")
        .begin_object()
        .key("width")
        .uint(u64::from(page.screen.0))
        .key("height")
        .uint(u64::from(page.screen.1))
        .end_object();
    w.end_object();
    w.finish()
}

fn write_page_fields(w: &mut JsonWriter, page: &PageLocation) {
    if !page.members.is_empty() {
        w.raw(&page.members);
    }
}

/// Appends the members of a JSON object's text to the object being written; later keys win
/// when the collector reads it, so a page's own properties override the defaults.
fn splice_members(w: &mut JsonWriter, object: Option<&str>) {
    // Bytes, not `char` patterns: no UTF-8 encoding of the braces.
    let object = orbit_core::text::trim(object.unwrap_or(""));
    let inner = match object.as_bytes() {
        [b'{', .., b'}'] => object
            .get(1..object.len() - 1)
            .map_or("", orbit_core::text::trim),
        _ => "",
    };
    if !inner.is_empty() {
        w.raw(inner);
    }
}

/// The `/v1/batch` body for queued events, with the page's shared `context` (a JSON object).
pub fn write_batch(events: &[String], sent_at: &str, context: &str) -> String {
    let mut w = JsonWriter::new();
    w.begin_object().key("batch").begin_array();
    for event in events {
        w.raw(event);
    }
    w.end_array()
        .string_member("sentAt", sent_at)
        .key("context")
        .raw(context)
        .end_object();
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    use alloc::string::ToString;
    use alloc::vec;

    fn page() -> PageLocation {
        let mut w = JsonWriter::new();
        w.string_member("path", "/offer")
            .string_member("referrer", "")
            .string_member("search", "?utm_source=mail")
            .string_member("title", "Offer \"B\"")
            .string_member("url", "https://shop.test/offer?utm_source=mail");
        PageLocation::from_members(w.finish())
    }

    fn browser() -> PageInfo {
        PageInfo {
            user_agent: "UA".into(),
            locale: "en-GB".into(),
            timezone: "Europe/London".into(),
            utc_offset_min: 60,
            screen: (1280, 720),
        }
    }

    fn meta() -> EventMeta<'static> {
        EventMeta {
            message_id: "m-1",
            anonymous_id: Some("a-1"),
            timestamp: "2026-11-22T10:00:00.000Z",
            user_id: None,
            session_id: Some("s-1"),
        }
    }

    fn parse(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_page_event_follows_the_segment_spec() {
        let text = write_event(&meta(), &EventBody::Page { name: None }, &page(), None);
        let e = parse(&text);
        assert_eq!(e["type"], "page");
        assert_eq!(e["messageId"], "m-1");
        assert_eq!(e["anonymousId"], "a-1");
        assert_eq!(e["timestamp"], "2026-11-22T10:00:00.000Z");
        assert_eq!(e["properties"]["title"], "Offer \"B\"");
        assert_eq!(e["context"]["page"]["path"], "/offer");
        let shared = parse(&write_batch_context(&browser()));
        assert_eq!(shared["screen"]["width"], 1280);
        assert_eq!(shared["library"]["name"], "orbit-sdk");
        assert_eq!(shared["timezone"], "Europe/London");
        assert_eq!(shared["timezoneOffset"], 60);
    }

    #[test]
    fn custom_properties_are_merged_and_override_page_fields() {
        let text = write_event(
            &meta(),
            &EventBody::Page {
                name: Some("Offer"),
            },
            &page(),
            Some(r#"{"title":"Custom","plan":"pro"}"#),
        );
        let e = parse(&text);
        assert_eq!(e["name"], "Offer");
        assert_eq!(e["properties"]["title"], "Custom");
        assert_eq!(e["properties"]["plan"], "pro");
    }

    #[test]
    fn a_track_event_carries_its_name_and_properties() {
        let text = write_event(
            &meta(),
            &EventBody::Track { event: "Signed Up" },
            &page(),
            Some("{}"),
        );
        let e = parse(&text);
        assert_eq!(e["event"], "Signed Up");
        assert_eq!(e["properties"], serde_json::json!({}));
    }

    #[test]
    fn identify_and_alias_carry_the_user_id() {
        let meta = EventMeta {
            user_id: Some("u-42"),
            ..meta()
        };
        let e = parse(&write_event(
            &meta,
            &EventBody::Identify { form_id: None },
            &page(),
            Some(r#"{"email":"ada@example.com"}"#),
        ));
        assert_eq!(e["type"], "identify");
        assert_eq!(e["userId"], "u-42");
        assert_eq!(e["anonymousId"], "a-1");
        assert_eq!(e["traits"]["email"], "ada@example.com");
        assert_eq!(e["context"]["sessionId"], "s-1");
        let a = parse(&write_event(
            &meta,
            &EventBody::Alias { previous_id: "old" },
            &page(),
            None,
        ));
        assert_eq!(a["type"], "alias");
        assert_eq!(a["previousId"], "old");
        assert_eq!(a["userId"], "u-42");
    }

    #[test]
    fn a_lead_identify_names_its_form_in_the_context() {
        let e = parse(&write_event(
            &meta(),
            &EventBody::Identify {
                form_id: Some("signup"),
            },
            &page(),
            Some(r#"{"email_sha256":"ab"}"#),
        ));
        assert_eq!(e["context"]["form_id"], "signup");
        assert_eq!(e["traits"]["email_sha256"], "ab");
        assert!(e.get("userId").is_none());
    }

    #[test]
    fn a_cookieless_event_has_no_id_and_says_so() {
        let meta = EventMeta {
            anonymous_id: None,
            ..meta()
        };
        let e = parse(&write_event(
            &meta,
            &EventBody::Page { name: None },
            &page(),
            None,
        ));
        assert!(e.get("anonymousId").is_none());
        assert_eq!(e["context"]["cookieless"], true);
    }

    #[test]
    fn a_batch_body_has_sent_at() {
        let events = vec![r#"{"a":1}"#.to_string(), r#"{"b":2}"#.to_string()];
        let body = parse(&write_batch(
            &events,
            "2026-11-22T10:00:01.000Z",
            r#"{"locale":"fr"}"#,
        ));
        assert_eq!(body["context"]["locale"], "fr");
        assert_eq!(body["batch"][1]["b"], 2);
        assert_eq!(body["sentAt"], "2026-11-22T10:00:01.000Z");
    }
}
