//! What the collector adds to an event: device from the user agent, the client address
//! (truncated unless the operator opts in), campaign from the page URL, and a bot flag;
//! and the one thing it takes away: a form field's value that the tracker never sends.
//!
//! Values the sender gave win: enrichment only fills what is missing, so a server library
//! forwarding its visitor's `context.ip` and `context.userAgent` is taken at its word.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value};

use super::RequestInfo;
use crate::enrich::campaign::{parse_campaign, Campaign};
use crate::enrich::ua::{is_bot, parse_user_agent};

/// The enrichment's results that storage keeps as columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enrichment {
    /// `context.page.referrer`.
    pub referrer: Option<String>,
    /// `context.campaign.source` (utm_source).
    pub campaign_source: Option<String>,
    /// `context.campaign.medium` (utm_medium).
    pub campaign_medium: Option<String>,
    /// `context.campaign.name` (utm_campaign).
    pub campaign_name: Option<String>,
    /// Browser name from the user agent.
    pub browser: Option<String>,
    /// Operating system name.
    pub os: Option<String>,
    /// `desktop`, `mobile`, `tablet`, `bot` or the sender's own `context.device.type`.
    pub device_type: Option<String>,
    /// The client address as stored (truncated unless configured otherwise).
    pub ip: Option<String>,
    /// Whether the user agent is a known bot, crawler or HTTP library.
    pub bot: bool,
}

/// Drops the host part of an address: IPv4 to its /24, IPv6 to its /48, so that stored
/// data cannot single out one device (an IPv4-mapped IPv6 address counts as IPv4).
pub fn truncate_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return truncate_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

/// Removes `properties.value` from a `Form Field Changed` that the tracker would never have
/// sent it with (a password, hidden or payment field, a card number or a national id): an
/// older tracker or another client must not store what Orbit promises visitors it never
/// keeps. The event itself is kept.
fn withhold_form_value(event: &mut Map<String, Value>) {
    if event.get("event").and_then(Value::as_str) != Some(crate::forms::FORM_FIELD_CHANGED) {
        return;
    }
    let Some(Value::Object(properties)) = event.get_mut("properties") else {
        return;
    };
    let text = |key: &str| properties.get(key).and_then(Value::as_str).unwrap_or("");
    let sendable = !crate::forms::is_sensitive_name(text("field"))
        && !crate::forms::is_secret_type(text("field_type"))
        && match properties.get("value") {
            Some(Value::String(value)) => crate::forms::value_is_sendable(value),
            Some(Value::Number(number)) => crate::forms::value_is_sendable(&number.to_string()),
            _ => true,
        };
    if !sendable {
        properties.remove("value");
    }
}

/// Enriches `event` in place and returns the column values.
pub(super) fn enrich(event: &mut Map<String, Value>, request: &RequestInfo<'_>) -> Enrichment {
    withhold_form_value(event);
    let mut out = Enrichment::default();
    let url = page_field(event, "url");
    out.referrer = page_field(event, "referrer");
    let context = context_of(event);

    // The user agent: the event's own, else the browser's request header.
    let user_agent = match context.get("userAgent") {
        Some(Value::String(ua)) => Some(ua.clone()),
        _ => request.user_agent.map(str::to_owned),
    };
    if let Some(ua) = user_agent.filter(|ua| !ua.is_empty()) {
        let parsed = parse_user_agent(&ua);
        out.bot = parsed.bot || is_bot(&ua);
        out.browser = parsed.browser.map(str::to_owned);
        out.os = parsed.os.map(str::to_owned);
        out.device_type = Some(parsed.device.as_str().to_owned());
        if let Some(browser) = parsed.browser {
            let mut b = Map::new();
            b.insert("name".to_owned(), Value::String(browser.to_owned()));
            if let Some(version) = parsed.browser_version {
                b.insert("version".to_owned(), Value::String(version));
            }
            context.entry("browser").or_insert(Value::Object(b));
        }
        if let Some(os) = parsed.os {
            let os_object = context
                .entry("os")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(os_object) = os_object {
                os_object
                    .entry("name")
                    .or_insert_with(|| Value::String(os.to_owned()));
            }
        }
        let device = context
            .entry("device")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(device) = device {
            let kind = device
                .entry("type")
                .or_insert_with(|| Value::String(parsed.device.as_str().to_owned()));
            out.device_type = kind.as_str().map(str::to_owned).or(out.device_type);
        }
        context
            .entry("userAgent")
            .or_insert_with(|| Value::String(ua));
        if out.bot {
            context.insert("bot".to_owned(), Value::Bool(true));
        }
    } else {
        out.os = nested_str(context, "os", "name");
        out.device_type = nested_str(context, "device", "type");
    }

    // The address: the sender's `context.ip` (server libraries forward the visitor's),
    // else the connection's; stored truncated unless the operator opted in.
    let given = match context.get("ip") {
        Some(Value::String(ip)) => ip.parse::<IpAddr>().ok(),
        _ => None,
    };
    match given.or(request.client_ip) {
        Some(ip) => {
            let stored = if request.keep_full_ip {
                ip
            } else {
                truncate_ip(ip)
            };
            let text = stored.to_string();
            context.insert("ip".to_owned(), Value::String(text.clone()));
            out.ip = Some(text);
        }
        // Never keep an address that could not be read (and so not truncated).
        None => {
            context.remove("ip");
        }
    }

    // Campaign: the sender's, else parsed from the page URL's UTM and click ids.
    if !context.contains_key("campaign") {
        if let Some(campaign) = url.as_deref().and_then(parse_campaign) {
            context.insert("campaign".to_owned(), campaign_value(campaign));
        }
    }
    if let Some(Value::Object(campaign)) = context.get("campaign") {
        let text = |key: &str| campaign.get(key).and_then(Value::as_str).map(str::to_owned);
        out.campaign_source = text("source");
        out.campaign_medium = text("medium");
        out.campaign_name = text("name");
    }
    out
}

/// `context.page.FIELD`, else `properties.FIELD` (page events carry their URL there).
pub(super) fn page_field(event: &Map<String, Value>, field: &str) -> Option<String> {
    event
        .get("context")
        .and_then(|c| c.get("page"))
        .and_then(|p| p.get(field))
        .or_else(|| event.get("properties").and_then(|p| p.get(field)))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The event's `context` object, created if missing (a non-object context is replaced:
/// the Segment Spec defines it as an object).
fn context_of(event: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let context = event
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    if !context.is_object() {
        *context = Value::Object(Map::new());
    }
    match context {
        Value::Object(map) => map,
        _ => unreachable!("replaced by an object above"),
    }
}

fn nested_str(context: &Map<String, Value>, outer: &str, inner: &str) -> Option<String> {
    context
        .get(outer)
        .and_then(|o| o.get(inner))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn campaign_value(campaign: Campaign) -> Value {
    let mut map = Map::new();
    let fields = [
        ("source", campaign.source),
        ("medium", campaign.medium),
        ("name", campaign.name),
        ("term", campaign.term),
        ("content", campaign.content),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            map.insert(key.to_owned(), Value::String(value));
        }
    }
    if let Some(click) = campaign.click_id {
        map.insert(click.kind.to_owned(), Value::String(click.value));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    fn enriched(event: Value, request: RequestInfo<'_>) -> (Value, Enrichment) {
        let Value::Object(mut map) = event else {
            panic!("test events are objects")
        };
        let out = enrich(&mut map, &request);
        (Value::Object(map), out)
    }

    #[test]
    fn a_form_value_the_tracker_never_sends_is_not_stored() {
        let field = |field: &str, kind: &str, value: Value| {
            let event = json!({"type": "track", "event": "Form Field Changed", "properties": {
                "form_id": "signup", "field": field, "field_type": kind, "value": value
            }});
            enriched(event, RequestInfo::default()).0["properties"].clone()
        };
        for (name, kind, value) in [
            ("password", "text", json!("hunter2")),
            ("secret", "password", json!("hunter2")),
            ("token", "hidden", json!("abc")),
            ("cardNumber", "text", json!("4111")),
            ("notes", "text", json!("my card is 4111 1111 1111 1111")),
            ("ref", "text", json!(4_111_111_111_111_111_u64)),
            ("id", "text", json!("123-45-6789")),
        ] {
            let properties = field(name, kind, value);
            assert_eq!(properties.get("value"), None, "{name}");
            assert_eq!(properties["field"], name, "the event is kept");
        }
        for (name, value) in [("company", json!("Acme")), ("seats", json!(25))] {
            assert_eq!(field(name, "text", value.clone())["value"], value, "{name}");
        }
        // Other events' properties are theirs.
        let event = json!({"type": "track", "event": "Signed Up", "properties": {
            "field": "password", "value": "kept"
        }});
        let (event, _) = enriched(event, RequestInfo::default());
        assert_eq!(event["properties"]["value"], "kept");
    }

    #[test]
    fn ipv4_keeps_its_24_and_ipv6_its_48() {
        let cases = [
            ("203.0.113.77", "203.0.113.0"),
            ("2001:db8:abcd:12:3456::1", "2001:db8:abcd::"),
            ("::ffff:198.51.100.9", "198.51.100.0"),
        ];
        for (given, stored) in cases {
            let ip: IpAddr = given.parse().unwrap();
            assert_eq!(truncate_ip(ip).to_string(), stored, "{given}");
        }
    }

    #[test]
    fn a_browser_request_gets_device_truncated_ip_and_campaign() {
        let request = RequestInfo {
            user_agent: Some(CHROME_WINDOWS),
            client_ip: "203.0.113.77".parse().ok(),
            ..RequestInfo::default()
        };
        let event = json!({"context": {"page": {
            "url": "https://x.test/?utm_source=news&utm_medium=email&utm_campaign=fall&gclid=abc",
            "referrer": "https://news.test/"
        }}});
        let (event, out) = enriched(event, request);
        let context = &event["context"];
        assert_eq!(context["ip"], "203.0.113.0");
        assert_eq!(context["userAgent"], CHROME_WINDOWS);
        assert_eq!(
            context["browser"],
            json!({"name": "Chrome", "version": "131"})
        );
        assert_eq!(context["os"]["name"], "Windows");
        assert_eq!(context["device"]["type"], "desktop");
        assert_eq!(
            context["campaign"],
            json!({"source": "news", "medium": "email", "name": "fall", "gclid": "abc"})
        );
        assert!(context.get("bot").is_none());
        assert_eq!(out.ip.as_deref(), Some("203.0.113.0"));
        assert_eq!(out.campaign_name.as_deref(), Some("fall"));
        assert_eq!(out.referrer.as_deref(), Some("https://news.test/"));
        assert_eq!(out.device_type.as_deref(), Some("desktop"));
        assert!(!out.bot);
    }

    #[test]
    fn what_the_sender_gave_wins_and_its_ip_is_truncated_too() {
        let request = RequestInfo {
            user_agent: Some("curl/8.5.0"),
            client_ip: "10.1.2.3".parse().ok(),
            ..RequestInfo::default()
        };
        let event = json!({"context": {
            "ip": "198.51.100.23",
            "userAgent": CHROME_WINDOWS,
            "campaign": {"source": "given"},
            "page": {"url": "https://x.test/?utm_source=ignored"}
        }});
        let (event, out) = enriched(event, request);
        assert_eq!(event["context"]["ip"], "198.51.100.0");
        assert_eq!(event["context"]["campaign"], json!({"source": "given"}));
        assert!(!out.bot, "the event's own user agent is the visitor's");
    }

    #[test]
    fn the_full_address_is_kept_only_on_opt_in() {
        let request = RequestInfo {
            client_ip: "203.0.113.77".parse().ok(),
            keep_full_ip: true,
            ..RequestInfo::default()
        };
        let (event, _) = enriched(json!({}), request);
        assert_eq!(event["context"]["ip"], "203.0.113.77");
    }

    #[test]
    fn an_unreadable_ip_is_not_stored() {
        let (event, out) = enriched(
            json!({"context": {"ip": "not an address"}}),
            RequestInfo::default(),
        );
        assert!(event["context"].get("ip").is_none());
        assert_eq!(out.ip, None);
    }

    #[test]
    fn bots_are_flagged_not_dropped() {
        let request = RequestInfo {
            user_agent: Some(
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
            ..RequestInfo::default()
        };
        let (event, out) = enriched(json!({}), request);
        assert!(out.bot);
        assert_eq!(event["context"]["bot"], true);
        assert_eq!(out.device_type.as_deref(), Some("bot"));
    }

    #[test]
    fn a_server_event_without_user_agent_is_not_a_bot() {
        let (_, out) = enriched(
            json!({"context": {"os": {"name": "iOS"}, "device": {"type": "ios"}}}),
            RequestInfo::default(),
        );
        assert!(!out.bot);
        assert_eq!(out.os.as_deref(), Some("iOS"));
        assert_eq!(out.device_type.as_deref(), Some("ios"));
    }
}
