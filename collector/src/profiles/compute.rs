//! A visitor's profile from their stored events: first the lead score, then the segments,
//! whose conditions may test it.
//!
//! **Lead score.** For each points entry, every event that matches it earns the entry's
//! points, times `0.5 ^ (age_days / half_life_days)` with decay (age from the event's
//! timestamp to `now`, never negative). An event earns points from every entry it matches.
//! Each entry's sum is capped by its `max`, the entries' sum by the total `max`, and the
//! result is rounded once, to 2 decimals, half away from zero: what the tracker receives and
//! what segments test.
//!
//! **Segments.** The visitor context the rules preview rebuilds
//! ([`crate::rules::visitor::context_from_history`]), plus `lead_score` and `now`, is
//! evaluated by `orbit-core`'s [`RuleEngine`] with the collector's [`RegexHost`] against the
//! segments as rules: the very evaluator the browser runs, with the same missing-attribute
//! semantics. Segments are listed in definition order.

use orbit_core::json::JsonWriter;
use orbit_core::rules::{EvalOptions, Outcome, RuleEngine, VisitorContext};
use orbit_core::time::format_rfc3339_ms;
use serde_json::{json, Map, Value};

use super::definitions::{Definitions, LeadScoreDefinition, PointsEntry};
use super::ProfileError;
use crate::reports::url_path;
use crate::rules::visitor::{context_from_history, VisitorEventRow};
use crate::rules::RegexHost;

/// Most matched events an explanation lists per points entry (the latest ones); the counts
/// and sums always cover them all.
pub const MAX_EXPLAINED_EVENTS: usize = 100;

const MS_PER_DAY: f64 = 86_400_000.0;

/// Definitions ready to compute profiles: the segments compiled (regexes included) once.
pub struct Profiler {
    definitions: Definitions,
    engine: RuleEngine<RegexHost>,
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler")
            .field("definitions", &self.definitions)
            .finish_non_exhaustive()
    }
}

/// A computed profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The lead score; `None` when the definitions have no `lead_score` section.
    pub lead_score: Option<LeadScore>,
    /// The ids of the segments the visitor is in, in definition order.
    pub segments: Vec<String>,
    /// The visitor context the segments were evaluated on (JSON, as the preview shows it).
    pub context: Value,
    /// With `explain`: each segment's outcome and why.
    pub trace: Vec<SegmentTrace>,
}

/// Why a visitor is in a segment or not.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentTrace {
    /// The segment.
    pub id: String,
    /// Whether the visitor is in it.
    pub member: bool,
    /// The evaluator's explanation, e.g. `segment hot-lead: skipped, condition lead_score
    /// gte 50 was false (value 42.5)`.
    pub detail: String,
}

/// A lead score and how it came about.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadScore {
    /// The score: capped and rounded to 2 decimals.
    pub value: f64,
    /// The entries' capped sums added up, before the total cap and rounding.
    pub uncapped: f64,
    /// Each points entry's part, in definition order.
    pub entries: Vec<EntryScore>,
}

/// What one points entry added.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntryScore {
    /// Events that matched.
    pub events: usize,
    /// Their points after decay, added up.
    pub before_cap: f64,
    /// What counts towards the score: `before_cap` capped by the entry's `max`.
    pub counted: f64,
    /// The latest matched events (at most the `explain` limit), oldest first.
    pub matched: Vec<MatchedEvent>,
}

/// One event an entry matched.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchedEvent {
    /// Its index in the history.
    pub row: usize,
    /// Its age at `now`, in days (0 for an event in the future).
    pub age_days: f64,
    /// The points it earned after decay.
    pub points: f64,
}

impl Profiler {
    /// Compiles checked definitions.
    pub fn new(definitions: Definitions) -> Result<Profiler, ProfileError> {
        let rules = definitions
            .segment_rules()
            .map_err(|e| ProfileError::InvalidDefinitions(e.to_message()))?;
        Ok(Profiler {
            definitions,
            engine: RuleEngine::new(rules, RegexHost),
        })
    }

    /// Compiles stored definitions (checked again: they were checked when saved).
    pub fn from_stored(document: &str) -> Result<Profiler, ProfileError> {
        Profiler::new(Definitions::from_stored(document)?)
    }

    /// What was compiled.
    pub fn definitions(&self) -> &Definitions {
        &self.definitions
    }

    /// The profile of `anonymous_id` from its events in time order, at `now_ms`. With
    /// `explain`, the latest matched events of each points entry and the segments' trace are
    /// kept too.
    pub fn compute(
        &self,
        anonymous_id: &str,
        rows: &[VisitorEventRow],
        now_ms: i64,
        explain: bool,
    ) -> Result<Profile, ProfileError> {
        let keep = if explain { MAX_EXPLAINED_EVENTS } else { 0 };
        let lead_score = self
            .definitions
            .lead_score
            .as_ref()
            .map(|definition| lead_score(definition, rows, now_ms, keep));
        let mut context = context_from_history(anonymous_id, rows);
        if let Value::Object(map) = &mut context {
            map.insert("now".into(), now_ms.into());
            if let Some(score) = &lead_score {
                map.insert("lead_score".into(), score.value.into());
            }
        }
        let visitor = read_context(&mut context)?;
        let evaluation = self.engine.evaluate(
            &visitor,
            &EvalOptions {
                preview: None,
                debug: explain,
            },
        );
        let segments = self
            .definitions
            .segments
            .iter()
            .filter(|s| evaluation.decisions.iter().any(|d| d.rule.id() == s.id))
            .map(|s| s.id.clone())
            .collect();
        let trace = evaluation
            .trace
            .iter()
            .map(|t| SegmentTrace {
                id: t.rule.id().to_owned(),
                member: t.outcome == Outcome::Applied,
                detail: match t.detail.strip_prefix("rule ") {
                    Some(rest) => format!("segment {rest}"),
                    None => t.detail.clone(),
                },
            })
            .collect();
        Ok(Profile {
            lead_score,
            segments,
            context,
            trace,
        })
    }
}

/// The context as `orbit-core` reads it. Traits can make it larger than that reader takes
/// (64 KB); the segments are then evaluated without them rather than not at all.
fn read_context(context: &mut Value) -> Result<VisitorContext, ProfileError> {
    match VisitorContext::from_json(&context.to_string()) {
        Ok(visitor) => Ok(visitor),
        Err(first) => {
            if let Value::Object(map) = context {
                if map.remove("traits").is_some() {
                    if let Ok(visitor) = VisitorContext::from_json(&context.to_string()) {
                        return Ok(visitor);
                    }
                }
            }
            Err(ProfileError::Context(first.to_message()))
        }
    }
}

impl Profile {
    /// What the tracker receives: `{"segments":["…"],"lead_score":42.5}` (`lead_score` only
    /// when the definitions compute one), compact, in that order.
    pub fn body(&self) -> String {
        let mut w = JsonWriter::new();
        w.begin_object().key("segments").begin_array();
        for id in &self.segments {
            w.string(id);
        }
        w.end_array();
        if let Some(score) = &self.lead_score {
            // Finite and rounded: Rust writes the shortest text that reads back the same,
            // never with an exponent, so it is valid JSON.
            w.key("lead_score").raw(&score.value.to_string());
        }
        w.end_object();
        w.finish()
    }

    /// How the profile came about, for the admin: per points entry the events matched and
    /// the points counted, the segments with the evaluator's reasons, and the context.
    /// Intermediate sums are shown rounded to 2 decimals; the score is computed unrounded.
    pub fn explain(&self, definitions: &Definitions, rows: &[VisitorEventRow]) -> Value {
        let lead_score = match (&self.lead_score, &definitions.lead_score) {
            (Some(score), Some(definition)) => {
                let entries: Vec<Value> = definition
                    .points
                    .iter()
                    .zip(&score.entries)
                    .enumerate()
                    .map(|(i, (entry, part))| explain_entry(i, entry, part, rows))
                    .collect();
                json!({
                    "value": score.value,
                    "uncapped": round_score(score.uncapped),
                    "max": definition.max,
                    "capped": definition.max.is_some_and(|max| score.uncapped > max),
                    "half_life_days": definition.half_life_days,
                    "points": entries,
                })
            }
            _ => Value::Null,
        };
        let trace: Vec<Value> = self
            .trace
            .iter()
            .map(|t| json!({"id": t.id, "member": t.member, "detail": t.detail}))
            .collect();
        json!({
            "lead_score": lead_score,
            "segments": self.segments,
            "segment_trace": trace,
            "context": self.context,
        })
    }
}

fn explain_entry(
    i: usize,
    entry: &PointsEntry,
    part: &EntryScore,
    rows: &[VisitorEventRow],
) -> Value {
    let matched: Vec<Value> = part
        .matched
        .iter()
        .filter_map(|m| {
            let row = rows.get(m.row)?;
            Some(json!({
                "message_id": row.message_id,
                "anonymous_id": row.anonymous_id,
                "type": row.kind,
                "event": row.event,
                "timestamp": format_rfc3339_ms(row.timestamp_ms),
                "path": row.url.as_deref().and_then(url_path),
                "form_id": row.form_id,
                "age_days": round_score(m.age_days),
                "points": round_score(m.points),
            }))
        })
        .collect();
    let mut out = Map::new();
    out.insert("entry".into(), i.into());
    out.insert("event".into(), entry.event.clone().into());
    out.insert("form_id".into(), json!(entry.form_id));
    out.insert("path_prefix".into(), json!(entry.path_prefix));
    out.insert("points".into(), entry.points.into());
    out.insert("max".into(), json!(entry.max));
    out.insert("events".into(), part.events.into());
    out.insert("before_cap".into(), round_score(part.before_cap).into());
    out.insert("counted".into(), round_score(part.counted).into());
    out.insert(
        "capped".into(),
        entry.max.is_some_and(|max| part.before_cap > max).into(),
    );
    out.insert("matched".into(), matched.into());
    out.insert(
        "matched_truncated".into(),
        (part.events > part.matched.len()).into(),
    );
    Value::Object(out)
}

/// The lead score of `rows` (time order) at `now_ms`, keeping the latest `keep` matched
/// events of each entry for an explanation.
pub fn lead_score(
    definition: &LeadScoreDefinition,
    rows: &[VisitorEventRow],
    now_ms: i64,
    keep: usize,
) -> LeadScore {
    let entries: Vec<EntryScore> = definition
        .points
        .iter()
        .map(|entry| {
            let mut part = EntryScore::default();
            for (i, row) in rows.iter().enumerate() {
                if !matches(entry, row) {
                    continue;
                }
                let age_ms = now_ms.saturating_sub(row.timestamp_ms).max(0);
                let points = decayed(entry.points, definition.half_life_days, age_ms);
                part.events += 1;
                part.before_cap += points;
                if keep > 0 {
                    if part.matched.len() == keep {
                        part.matched.remove(0);
                    }
                    part.matched.push(MatchedEvent {
                        row: i,
                        age_days: age_ms as f64 / MS_PER_DAY,
                        points,
                    });
                }
            }
            part.counted = entry
                .max
                .map_or(part.before_cap, |max| part.before_cap.min(max));
            part
        })
        .collect();
    let uncapped: f64 = entries.iter().map(|e| e.counted).sum();
    let capped = definition.max.map_or(uncapped, |max| uncapped.min(max));
    LeadScore {
        value: round_score(capped),
        uncapped,
        entries,
    }
}

/// Whether `row` is an event `entry` gives points for: the name (`page` and `identify` name
/// those event types, anything else a track event), then `form_id` and `path_prefix`.
pub fn matches(entry: &PointsEntry, row: &VisitorEventRow) -> bool {
    let named = match entry.event.as_str() {
        "page" => row.kind == "page",
        "identify" => row.kind == "identify",
        name => row.kind == "track" && row.event.as_deref() == Some(name),
    };
    named
        && entry
            .form_id
            .as_ref()
            .is_none_or(|form| row.form_id.as_ref() == Some(form))
        && entry.path_prefix.as_deref().is_none_or(|prefix| {
            row.url
                .as_deref()
                .and_then(url_path)
                .is_some_and(|path| path.starts_with(prefix))
        })
}

/// `points` after `age_ms` with a half-life of `half_life_days` (none: no decay).
pub fn decayed(points: f64, half_life_days: Option<f64>, age_ms: i64) -> f64 {
    match half_life_days {
        Some(days) if days > 0.0 => points * 0.5f64.powf(age_ms as f64 / (days * MS_PER_DAY)),
        _ => points,
    }
}

/// `score` rounded to 2 decimals, half away from zero (`0.125` → `0.13`).
pub fn round_score(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::definitions::check_definitions;

    const DAY: i64 = 86_400_000;
    /// 2026-11-22T10:00:00Z.
    const NOW: i64 = 1_795_341_600_000;

    fn profiler(text: &str) -> Profiler {
        let checked = check_definitions(text);
        let valid = checked
            .document
            .unwrap_or_else(|| panic!("{:?}", checked.findings));
        Profiler::new(valid.definitions).unwrap()
    }

    fn event(kind: &str, name: Option<&str>, ts: i64) -> VisitorEventRow {
        VisitorEventRow {
            kind: kind.into(),
            event: name.map(Into::into),
            timestamp_ms: ts,
            session_id: Some("s1".into()),
            ..VisitorEventRow::default()
        }
    }

    fn page(path: &str, ts: i64) -> VisitorEventRow {
        let mut row = event("page", None, ts);
        row.url = Some(format!("https://shop.example.com{path}?utm_source=x"));
        row
    }

    fn submitted(form: &str, ts: i64) -> VisitorEventRow {
        let mut row = event("track", Some("Form Submitted"), ts);
        row.form_id = Some(form.into());
        row
    }

    const EXAMPLE: &str = r#"{
      "lead_score": {"max": 100, "points": [
        {"event": "Form Submitted", "points": 40},
        {"event": "Form Submitted", "form_id": "Demo request", "points": 20},
        {"event": "page", "path_prefix": "/pricing", "points": 10, "max": 30},
        {"event": "identify", "points": 15, "max": 15}]},
      "segments": [
        {"id": "pricing-visitor", "conditions": {"attribute": "session_page_views", "op": "gte", "value": 2}},
        {"id": "hot-lead", "conditions": {"attribute": "lead_score", "op": "gte", "value": 50}},
        {"id": "everyone", "conditions": {"all": []}},
        {"id": "unknown", "conditions": {"attribute": "visit_count", "op": "missing"}}]
    }"#;

    #[test]
    fn points_add_up_per_entry_with_each_entrys_cap_and_the_total_cap() {
        let p = profiler(EXAMPLE);
        let rows = [
            page("/pricing", NOW - 5 * DAY),
            page("/pricing/teams", NOW - 4 * DAY),
            page("/pricing", NOW - 3 * DAY),
            page("/pricing", NOW - 2 * DAY),
            page("/", NOW - 2 * DAY),
            event("identify", None, NOW - DAY),
            event("identify", None, NOW - DAY),
            submitted("Newsletter", NOW),
        ];
        let profile = p.compute("a", &rows, NOW, true).unwrap();
        let score = profile.lead_score.as_ref().unwrap();
        let counted: Vec<f64> = score.entries.iter().map(|e| e.counted).collect();
        // 40 (one submission) + 0 (not the demo form) + 30 (4 pricing views, capped) + 15
        // (two identifies, capped).
        assert_eq!(counted, [40.0, 0.0, 30.0, 15.0]);
        assert_eq!(score.entries[2].before_cap, 40.0);
        assert_eq!(score.entries[2].events, 4);
        assert_eq!(score.value, 85.0);
        assert_eq!(
            profile.segments,
            ["pricing-visitor", "hot-lead", "everyone"]
        );

        let mut more = rows.to_vec();
        more.push(submitted("Demo request", NOW));
        let profile = p.compute("a", &more, NOW, false).unwrap();
        let score = profile.lead_score.unwrap();
        assert_eq!(score.uncapped, 145.0);
        assert_eq!(score.value, 100.0, "the total cap");
        assert!(
            score.entries.iter().all(|e| e.matched.is_empty()),
            "nothing kept without explain"
        );
    }

    #[test]
    fn points_halve_every_half_life_with_a_fixed_now() {
        let p = profiler(
            r#"{"lead_score": {"half_life_days": 10, "points": [{"event": "Signed Up", "points": 40}]}}"#,
        );
        let rows = [
            event("track", Some("Signed Up"), NOW - 20 * DAY),
            event("track", Some("Signed Up"), NOW - 10 * DAY),
            event("track", Some("Signed Up"), NOW),
            event("track", Some("Signed Up"), NOW + DAY),
        ];
        let score = p
            .compute("a", &rows, NOW, true)
            .unwrap()
            .lead_score
            .unwrap();
        // 10 + 20 + 40 + 40 (a future event does not grow).
        assert_eq!(score.value, 110.0);
        let points: Vec<f64> = score.entries[0].matched.iter().map(|m| m.points).collect();
        assert_eq!(points, [10.0, 20.0, 40.0, 40.0]);
        assert_eq!(score.entries[0].matched[0].age_days, 20.0);
        assert_eq!(score.entries[0].matched[3].age_days, 0.0);
        // A day later, the three past events have decayed by 2^(-1/10) more.
        let later = p.compute("a", &rows, NOW + DAY, false).unwrap();
        let expected = round_score(70.0 * 0.5f64.powf(0.1) + 40.0);
        assert_eq!(later.lead_score.unwrap().value, expected);
        assert_eq!(decayed(40.0, None, 1_000 * DAY), 40.0);
    }

    #[test]
    fn scores_round_half_away_from_zero_and_ties_at_a_threshold_are_in() {
        assert_eq!(round_score(0.125), 0.13);
        assert_eq!(round_score(42.504), 42.5);
        assert_eq!(round_score(2.0 / 3.0), 0.67);
        let p = profiler(
            r#"{"lead_score": {"points": [{"event": "A", "points": 12.5}, {"event": "B", "points": 0.125}]},
                "segments": [{"id": "fifty", "conditions": {"attribute": "lead_score", "op": "gte", "value": 50}},
                             {"id": "exact", "conditions": {"attribute": "lead_score", "op": "equals", "value": 50.13}}]}"#,
        );
        let rows: Vec<VisitorEventRow> = (0..4)
            .map(|_| event("track", Some("A"), NOW))
            .chain([event("track", Some("B"), NOW)])
            .collect();
        let profile = p.compute("a", &rows, NOW, false).unwrap();
        assert_eq!(profile.lead_score.as_ref().unwrap().value, 50.13);
        assert_eq!(
            profile.segments,
            ["fifty", "exact"],
            "segments test the rounded score the tracker gets"
        );
        let equal_times = [
            event("track", Some("A"), NOW),
            event("track", Some("A"), NOW),
        ];
        let profile = p.compute("a", &equal_times, NOW, false).unwrap();
        assert_eq!(
            profile.lead_score.unwrap().value,
            25.0,
            "events at the same time both count"
        );
    }

    #[test]
    fn an_empty_history_scores_0_and_gets_the_segments_that_hold_for_nobody_known() {
        let profile = profiler(EXAMPLE).compute("a", &[], NOW, false).unwrap();
        assert_eq!(profile.lead_score.as_ref().unwrap().value, 0.0);
        assert_eq!(profile.segments, ["everyone", "unknown"]);
        assert_eq!(
            profile.body(),
            r#"{"segments":["everyone","unknown"],"lead_score":0}"#
        );
        assert_eq!(
            profile.context,
            json!({"visitor_id": "a", "now": NOW, "lead_score": 0.0})
        );
    }

    #[test]
    fn names_forms_and_paths_must_all_match() {
        let entry = |event: &str, form: Option<&str>, prefix: Option<&str>| PointsEntry {
            event: event.into(),
            form_id: form.map(Into::into),
            path_prefix: prefix.map(Into::into),
            points: 1.0,
            max: None,
        };
        let mut demo = submitted("Demo request", NOW);
        demo.url = Some("https://shop.example.com/demo?x=1".into());
        assert!(matches(&entry("Form Submitted", None, None), &demo));
        assert!(matches(
            &entry("Form Submitted", Some("Demo request"), Some("/de")),
            &demo
        ));
        assert!(
            !matches(&entry("Form Submitted", Some("demo request"), None), &demo),
            "case matters"
        );
        assert!(!matches(
            &entry("Form Submitted", None, Some("/pricing")),
            &demo
        ));
        assert!(!matches(&entry("form submitted", None, None), &demo));
        assert!(!matches(&entry("page", None, None), &demo));
        let mut named_page = event("track", Some("page"), NOW);
        named_page.url = demo.url.clone();
        assert!(
            !matches(&entry("page", None, None), &named_page),
            "page means page views"
        );
        assert!(matches(
            &entry("page", None, Some("/pricing")),
            &page("/pricing/x", NOW)
        ));
        assert!(
            !matches(
                &entry("page", None, Some("/pricing")),
                &event("page", None, NOW)
            ),
            "no URL, no path"
        );
    }

    #[test]
    fn the_body_lists_segments_in_definition_order_and_omits_an_undefined_score() {
        let p = profiler(
            r#"{"segments": [{"id": "b", "conditions": {"all": []}}, {"id": "a", "conditions": {"all": []}}]}"#,
        );
        let profile = p.compute("a", &[], NOW, false).unwrap();
        assert_eq!(profile.body(), r#"{"segments":["b","a"]}"#);
        assert!(!profile
            .context
            .as_object()
            .unwrap()
            .contains_key("lead_score"));
    }

    #[test]
    fn an_explanation_names_the_matched_events_and_the_segments_reasons() {
        let p = profiler(EXAMPLE);
        let mut demo = submitted("Demo request", NOW - DAY);
        demo.message_id = Some("m1".into());
        demo.anonymous_id = Some("a".into());
        demo.url = Some("https://shop.example.com/demo".into());
        let rows = [demo];
        let profile = p.compute("a", &rows, NOW, true).unwrap();
        let explained = profile.explain(p.definitions(), &rows);
        assert_eq!(explained["lead_score"]["value"], 60.0);
        let first = &explained["lead_score"]["points"][1];
        assert_eq!(first["events"], 1);
        assert_eq!(first["counted"], 20.0);
        assert_eq!(first["matched"][0]["message_id"], "m1");
        assert_eq!(first["matched"][0]["path"], "/demo");
        assert_eq!(first["matched"][0]["age_days"], 1.0);
        assert_eq!(explained["segments"], json!(["hot-lead", "everyone"]));
        let trace = explained["segment_trace"].as_array().unwrap();
        assert_eq!(trace.len(), 4);
        assert_eq!(trace[0]["member"], false);
        let detail = trace[0]["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("segment pricing-visitor: skipped"),
            "{detail}"
        );
        assert!(detail.contains("session_page_views"), "{detail}");
    }

    #[test]
    fn an_explanation_keeps_only_the_latest_matches() {
        let p = profiler(r#"{"lead_score": {"points": [{"event": "page", "points": 1}]}}"#);
        let rows: Vec<VisitorEventRow> = (0..MAX_EXPLAINED_EVENTS as i64 + 5)
            .map(|i| page("/", NOW - 1000 + i))
            .collect();
        let score = p
            .compute("a", &rows, NOW, true)
            .unwrap()
            .lead_score
            .unwrap();
        assert_eq!(score.entries[0].events, MAX_EXPLAINED_EVENTS + 5);
        assert_eq!(score.entries[0].matched.len(), MAX_EXPLAINED_EVENTS);
        assert_eq!(score.entries[0].matched[0].row, 5, "the oldest are dropped");
    }
}
