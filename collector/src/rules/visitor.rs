//! A visitor context rebuilt from one anonymous id's stored events, for previewing rules
//! for a real visitor. It is written as the JSON that
//! [`VisitorContext::from_json`](orbit_core::rules::VisitorContext::from_json) reads, so the
//! preview shows exactly what it evaluated, and a context sent with the request can
//! override any part of it.
//!
//! Where each attribute comes from (events in time order):
//! - `url`, `referrer`, `user_agent` (so device, browser, OS), `language` and the current
//!   campaign (`utm_*`, click id): the latest page view (the latest event if there is none).
//! - `first_touch` (campaign and `landing_page`): the earliest page view (or event).
//! - `visit_count`: distinct session ids; `session_page_views` and `seconds_on_site`: the
//!   latest event's session.
//! - `forms_started`, `forms_submitted`, `forms_submitted_ids`: `Form Started` and
//!   `Form Submitted` events.
//! - `identified`: whether any event carries a user id; `traits`: identify events' traits,
//!   later ones winning (scalars and lists of scalars only).
//! - `experiments`: the variant of each experiment's first `Experiment Viewed` event (the
//!   site-wide holdout is not an experiment).
//!
//! Not known to the collector here: local time, custom attributes the page sets, segments
//! and lead score; pass them in the request's `context`.

use orbit_core::enrich::campaign::CLICK_ID_PARAMS;
use serde_json::{Map, Value};

use crate::reports::experiments::HOLDOUT_EXPERIMENT_ID;

/// Most events read for one visitor (the latest ones): a preview needs a recent history,
/// not every event of a years-old visitor.
pub const MAX_VISITOR_HISTORY_EVENTS: usize = 10_000;

/// One stored event of the visitor, as the preview needs it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VisitorEventRow {
    /// Its `messageId`, so an explanation can name the event.
    pub message_id: Option<String>,
    /// The anonymous id that sent it (a profile also reads the ids linked by a user id).
    pub anonymous_id: Option<String>,
    /// `page`, `track`, `identify`…
    pub kind: String,
    /// A track event's name.
    pub event: Option<String>,
    /// The session it belongs to.
    pub session_id: Option<String>,
    /// The user id, once identified.
    pub user_id: Option<String>,
    /// When it happened (Unix ms).
    pub timestamp_ms: i64,
    /// The page URL.
    pub url: Option<String>,
    /// The page referrer.
    pub referrer: Option<String>,
    /// `context.userAgent`.
    pub user_agent: Option<String>,
    /// `context.locale`.
    pub locale: Option<String>,
    /// `context.campaign`, as JSON text.
    pub campaign: Option<String>,
    /// `properties.form_id`.
    pub form_id: Option<String>,
    /// An identify event's `traits`, as JSON text.
    pub traits: Option<String>,
    /// `properties.experiment_id` of an `Experiment Viewed` event.
    pub experiment_id: Option<String>,
    /// `properties.variation_id` of an `Experiment Viewed` event.
    pub variation_id: Option<String>,
}

/// The visitor context JSON of `anonymous_id`, from its events in time order.
pub fn context_from_history(anonymous_id: &str, rows: &[VisitorEventRow]) -> Value {
    let mut ctx = Map::new();
    ctx.insert("visitor_id".into(), anonymous_id.into());
    let pages: Vec<&VisitorEventRow> = rows.iter().filter(|r| r.kind == "page").collect();
    let latest = pages.last().copied().or(rows.last());
    let earliest = pages.first().copied().or(rows.first());

    if let Some(row) = latest {
        put(&mut ctx, "url", row.url.as_deref());
        put(&mut ctx, "referrer", row.referrer.as_deref());
        put(&mut ctx, "user_agent", row.user_agent.as_deref());
        put(&mut ctx, "language", row.locale.as_deref());
        for (key, value) in campaign(row.campaign.as_deref()) {
            ctx.insert(key, value);
        }
    }
    if let Some(row) = earliest {
        let mut first = Map::new();
        for (key, value) in campaign(row.campaign.as_deref()) {
            first.insert(key, value);
        }
        put(&mut first, "landing_page", row.url.as_deref());
        if !first.is_empty() {
            ctx.insert("first_touch".into(), Value::Object(first));
        }
    }

    let mut sessions: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.session_id.as_deref())
        .collect();
    sessions.sort_unstable();
    sessions.dedup();
    if !sessions.is_empty() {
        ctx.insert("visit_count".into(), sessions.len().into());
    }
    if let Some(session) = rows.last().and_then(|r| r.session_id.as_deref()) {
        let in_session: Vec<&VisitorEventRow> = rows
            .iter()
            .filter(|r| r.session_id.as_deref() == Some(session))
            .collect();
        let views = in_session.iter().filter(|r| r.kind == "page").count();
        ctx.insert("session_page_views".into(), views.into());
        if let (Some(first), Some(last)) = (in_session.first(), in_session.last()) {
            let seconds = (last.timestamp_ms - first.timestamp_ms).max(0) / 1000;
            ctx.insert("seconds_on_site".into(), seconds.into());
        }
    }

    let named = |name: &'static str| {
        rows.iter()
            .filter(move |r| r.event.as_deref() == Some(name))
    };
    if !rows.is_empty() {
        ctx.insert("forms_started".into(), named("Form Started").count().into());
        let submitted: Vec<&VisitorEventRow> = named("Form Submitted").collect();
        ctx.insert("forms_submitted".into(), submitted.len().into());
        let mut ids: Vec<Value> = Vec::new();
        for id in submitted.iter().filter_map(|r| r.form_id.as_deref()) {
            if !ids.iter().any(|v| v == id) {
                ids.push(id.into());
            }
        }
        ctx.insert("forms_submitted_ids".into(), Value::Array(ids));
        ctx.insert(
            "identified".into(),
            rows.iter().any(|r| r.user_id.is_some()).into(),
        );
    }

    let mut traits = Map::new();
    for row in rows.iter().filter(|r| r.kind == "identify") {
        let parsed = row
            .traits
            .as_deref()
            .and_then(|t| serde_json::from_str::<Map<String, Value>>(t).ok());
        for (key, value) in parsed.into_iter().flatten() {
            if is_trait_value(&value) {
                traits.insert(key, value);
            }
        }
    }
    if !traits.is_empty() {
        ctx.insert("traits".into(), Value::Object(traits));
    }

    let mut experiments = Map::new();
    for row in named("Experiment Viewed") {
        if let (Some(experiment), Some(variant)) = (&row.experiment_id, &row.variation_id) {
            if experiment != HOLDOUT_EXPERIMENT_ID && !experiments.contains_key(experiment) {
                experiments.insert(experiment.clone(), variant.clone().into());
            }
        }
    }
    if !experiments.is_empty() {
        ctx.insert("experiments".into(), Value::Object(experiments));
    }
    Value::Object(ctx)
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        map.insert(key.into(), value.into());
    }
}

/// `context.campaign` (`{"source", "medium", "name", "term", "content", "gclid"…}`) as the
/// context's `utm_*`, `click_id` and `click_id_type`.
fn campaign(json: Option<&str>) -> Vec<(String, Value)> {
    let Some(map) = json.and_then(|t| serde_json::from_str::<Map<String, Value>>(t).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (field, key) in [
        ("source", "utm_source"),
        ("medium", "utm_medium"),
        ("name", "utm_campaign"),
        ("term", "utm_term"),
        ("content", "utm_content"),
    ] {
        if let Some(value) = map.get(field).and_then(Value::as_str) {
            out.push((key.to_owned(), value.into()));
        }
    }
    let click = CLICK_ID_PARAMS
        .iter()
        .find_map(|kind| map.get(*kind).and_then(Value::as_str).map(|v| (*kind, v)));
    if let Some((kind, value)) = click {
        out.push(("click_id".to_owned(), value.into()));
        out.push(("click_id_type".to_owned(), kind.into()));
    }
    out
}

/// What a trait can be in a context: text, a number, a boolean or a list of those.
fn is_trait_value(value: &Value) -> bool {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
        Value::Array(items) => items
            .iter()
            .all(|v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))),
        Value::Null | Value::Object(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::rules::VisitorContext;
    use serde_json::json;

    fn row(kind: &str, ts: i64, session: &str) -> VisitorEventRow {
        VisitorEventRow {
            kind: kind.into(),
            timestamp_ms: ts,
            session_id: Some(session.into()),
            ..VisitorEventRow::default()
        }
    }

    #[test]
    fn a_history_becomes_a_context_core_reads() {
        let mut landing = row("page", 1_000, "s1");
        landing.url = Some("https://shop.example.com/?utm_source=news".into());
        landing.campaign = Some(r#"{"source":"news","medium":"email","gclid":"abc"}"#.into());
        let mut submit = row("track", 2_000, "s1");
        submit.event = Some("Form Submitted".into());
        submit.form_id = Some("signup".into());
        let mut identify = row("identify", 2_100, "s1");
        identify.user_id = Some("u1".into());
        identify.traits = Some(r#"{"plan":"pro","address":{"city":"x"},"tags":["a"]}"#.into());
        let mut seen = row("track", 2_200, "s1");
        seen.event = Some("Experiment Viewed".into());
        seen.experiment_id = Some("hero".into());
        seen.variation_id = Some("b".into());
        let mut holdout = seen.clone();
        holdout.experiment_id = Some("holdout".into());
        holdout.variation_id = Some("personalized".into());
        let mut again = row("page", 90_000, "s2");
        again.url = Some("https://shop.example.com/pricing".into());
        again.referrer = Some("https://www.google.com/".into());
        again.user_agent = Some(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
                .into(),
        );
        let mut later = row("track", 95_500, "s2");
        later.event = Some("Clicked".into());
        let rows = [landing, submit, identify, seen, holdout, again, later];
        let ctx = context_from_history("anon-1", &rows);
        assert_eq!(
            ctx,
            json!({
                "visitor_id": "anon-1",
                "url": "https://shop.example.com/pricing",
                "referrer": "https://www.google.com/",
                "user_agent": rows[5].user_agent,
                "first_touch": {"utm_source": "news", "utm_medium": "email", "click_id": "abc",
                                "click_id_type": "gclid",
                                "landing_page": "https://shop.example.com/?utm_source=news"},
                "visit_count": 2,
                "session_page_views": 1,
                "seconds_on_site": 5,
                "forms_started": 0,
                "forms_submitted": 1,
                "forms_submitted_ids": ["signup"],
                "identified": true,
                "traits": {"plan": "pro", "tags": ["a"]},
                "experiments": {"hero": "b"}
            })
        );
        let read = VisitorContext::from_json(&ctx.to_string()).unwrap();
        assert_eq!(read.visit_count, Some(2));
        assert_eq!(read.path.as_deref(), Some("/pricing"));
        assert_eq!(read.referrer_domain.as_deref(), Some("google.com"));
        assert_eq!(read.device.map(|d| d.as_str()), Some("mobile"));
        assert_eq!(
            read.landing_page.as_deref(),
            Some("https://shop.example.com/?utm_source=news")
        );
    }

    #[test]
    fn no_history_is_just_the_visitor_id() {
        assert_eq!(context_from_history("a", &[]), json!({"visitor_id": "a"}));
    }
}
