//! A site's profile definitions: which events earn lead-score points, and which segments
//! exist. One JSON document per site (docs/profiles.md):
//!
//! ```json
//! {"lead_score": {"max": 100, "half_life_days": 30,
//!                 "points": [{"event": "Form Submitted", "points": 40},
//!                            {"event": "page", "path_prefix": "/pricing", "points": 10, "max": 30}]},
//!  "segments": [{"id": "hot-lead", "conditions": {"attribute": "lead_score", "op": "gte", "value": 50}}]}
//! ```
//!
//! [`check_definitions`] lists every problem with its JSON path, as the rules' lint does.
//! Segment conditions are the rule language's, checked by `orbit-core`'s own lint: each
//! segment becomes a rule of a synthetic rule document (`{"rules": [{"id": "s0",
//! "conditions": …}]}`), and the findings' paths are mapped back (`rules[0].conditions.op`
//! → `segments[3].conditions.op`), so the messages are exactly the rules'.

use orbit_core::json::read::{read_json, Json, Problem};
use orbit_core::json::JsonWriter;
use orbit_core::limits::{MAX_ID_CHARS, MAX_RULES_JSON_DEPTH, MAX_RULE_ID_BYTES};
use orbit_core::rules::{has_errors, lint, parse_rules, Finding, Rules, RulesError, Severity};

use super::ProfileError;
use crate::rules::check::write_json;
use crate::rules::RegexHost;

/// Largest definitions document, in bytes, as sent and as stored: room for the segment
/// and points limits below with a few conditions each.
pub const MAX_PROFILE_DOCUMENT_BYTES: usize = 64 * 1024;
/// Most segments one site may define: every profile request evaluates them all.
pub const MAX_SEGMENTS: usize = 100;
/// Most lead-score points entries: every profile request matches each event against them.
pub const MAX_POINT_ENTRIES: usize = 100;
/// Largest `points` or `max`: ample for any scale, small enough that sums stay exact.
pub const MAX_POINTS: f64 = 1_000_000.0;
/// Longest half-life, in days (a century): beyond that, leave decay out.
pub const MAX_HALF_LIFE_DAYS: f64 = 36_500.0;
/// Longest `event` and `form_id`, in characters: the longest event name ingest accepts.
pub const MAX_MATCH_CHARS: usize = MAX_ID_CHARS;
/// Longest `path_prefix`, in bytes.
pub const MAX_PATH_PREFIX_BYTES: usize = 1_024;

const TOP_KEYS: &[&str] = &[
    "$schema",
    "version",
    "description",
    "lead_score",
    "segments",
];
const LEAD_SCORE_KEYS: &[&str] = &["description", "max", "half_life_days", "points"];
const POINTS_KEYS: &[&str] = &[
    "event",
    "form_id",
    "path_prefix",
    "points",
    "max",
    "description",
];
const SEGMENT_KEYS: &[&str] = &["id", "name", "description", "conditions"];

/// What a negative operator sees on a missing attribute, said once for the warnings below.
const MISSING_MEANS: &str = "so equals, in, contains, regex, gt… are false and not_equals, \
     not_in, not_contains, not_regex and missing are true";

/// A checked definitions document.
#[derive(Clone, Debug, PartialEq)]
pub struct Definitions {
    /// How the lead score is computed; `None`: the profile has no `lead_score`.
    pub lead_score: Option<LeadScoreDefinition>,
    /// The segments, in definition order (the order the profile lists them in); empty
    /// when there is no `segments` section.
    pub segments: Vec<SegmentDefinition>,
}

/// The `lead_score` section.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadScoreDefinition {
    /// Cap on the total.
    pub max: Option<f64>,
    /// An event's points halve every this many days of age; `None`: no decay.
    pub half_life_days: Option<f64>,
    /// The entries, in document order.
    pub points: Vec<PointsEntry>,
}

/// Points for each event that matches.
#[derive(Clone, Debug, PartialEq)]
pub struct PointsEntry {
    /// `page` (page views), `identify` (identify events) or a track event's name.
    pub event: String,
    /// Only events whose `properties.form_id` is exactly this.
    pub form_id: Option<String>,
    /// Only events whose page path starts with this.
    pub path_prefix: Option<String>,
    /// Points per matching event (before decay).
    pub points: f64,
    /// Cap on what this entry adds up to.
    pub max: Option<f64>,
}

/// A named condition on the visitor.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentDefinition {
    /// Its id: what `segments` holds when the visitor is in it.
    pub id: String,
    /// Its condition, as written (the rule language's JSON).
    pub conditions: Json,
}

impl Definitions {
    /// The segments as a rule document for `orbit-core`'s evaluator: one rule per segment,
    /// named by the segment's id, in definition order.
    pub fn segment_rules(&self) -> Result<Rules, RulesError> {
        let segments: Vec<(&str, &Json)> = self
            .segments
            .iter()
            .map(|s| (s.id.as_str(), &s.conditions))
            .collect();
        parse_rules(&rules_document(&segments))
    }

    /// Reads stored definitions (checked when they were saved).
    pub fn from_stored(text: &str) -> Result<Definitions, ProfileError> {
        let checked = check_definitions(text);
        match checked.document {
            Some(valid) => Ok(valid.definitions),
            None => Err(ProfileError::InvalidDefinitions(
                checked
                    .findings
                    .iter()
                    .find(|f| f.severity == Severity::Error)
                    .map_or_else(|| "unknown problem".to_owned(), ToString::to_string),
            )),
        }
    }
}

/// What checking a definitions document found.
pub type CheckedDefinitions = crate::rules::check::Checked<ValidDefinitions>;

/// Definitions without errors, ready to store.
#[derive(Debug)]
pub struct ValidDefinitions {
    /// What they say.
    pub definitions: Definitions,
    /// The document as compact JSON, members in their order: what is stored and served.
    pub normalized: String,
}

/// Lists every problem of a definitions document and, when none is an error, gives the
/// definitions and the text to store.
pub fn check_definitions(text: &str) -> CheckedDefinitions {
    let json = match read_json(text, MAX_PROFILE_DOCUMENT_BYTES, MAX_RULES_JSON_DEPTH) {
        Ok(json) => json,
        Err(e) => {
            let (line, column) = e.line_column(text);
            let message = if e.problem == Problem::TooLarge {
                format!(
                    "the document is larger than the limit ({MAX_PROFILE_DOCUMENT_BYTES} bytes)"
                )
            } else {
                e.reason().to_owned()
            };
            return CheckedDefinitions {
                findings: vec![error(format!("line {line}, column {column}"), message)],
                document: None,
            };
        }
    };
    let mut checker = Checker::default();
    let definitions = checker.document(&json);
    let mut findings = checker.findings;
    if has_errors(&findings) {
        return CheckedDefinitions {
            findings,
            document: None,
        };
    }
    let Some(definitions) = definitions else {
        findings.push(error("$", "the definitions were not understood"));
        return CheckedDefinitions {
            findings,
            document: None,
        };
    };
    // The evaluator must read what lint passed; refuse rather than store what it cannot.
    if let Err(e) = definitions.segment_rules() {
        findings.push(error("segments", e.to_message()));
        return CheckedDefinitions {
            findings,
            document: None,
        };
    }
    let mut w = JsonWriter::new();
    write_json(&mut w, &json);
    CheckedDefinitions {
        findings,
        document: Some(ValidDefinitions {
            definitions,
            normalized: w.finish(),
        }),
    }
}

fn error(path: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Error,
        path: path.into(),
        message: message.into(),
    }
}

fn warning(path: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Warning,
        path: path.into(),
        message: message.into(),
    }
}

/// `path.key`, or `key` at the root.
fn join(path: &str, key: &str) -> String {
    if path == "$" {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Whether `s` is a segment id: the rule language's id (1–64 ASCII letters, digits, `-`,
/// `_` or `.`), since segment ids travel where rule ids do.
fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_RULE_ID_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `{"rules": [{"id": ID, "conditions": …}, …]}`: what `orbit-core` lints and evaluates.
fn rules_document(segments: &[(&str, &Json)]) -> String {
    let mut w = JsonWriter::new();
    w.begin_object().key("rules").begin_array();
    for (id, conditions) in segments {
        w.begin_object().key("id").string(id).key("conditions");
        write_json(&mut w, conditions);
        w.end_object();
    }
    w.end_array().end_object();
    w.finish()
}

/// Walks the document, collecting findings.
#[derive(Default)]
struct Checker {
    findings: Vec<Finding>,
}

type Members<'j> = &'j [(String, Json)];

impl Checker {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.findings.push(error(path, message));
    }

    fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.findings.push(warning(path, message));
    }

    /// The members of an object at `path`, each unknown one reported.
    fn object<'j>(
        &mut self,
        json: &'j Json,
        path: &str,
        allowed: &[&str],
        what: &str,
    ) -> Option<Members<'j>> {
        let Some(members) = json.as_object() else {
            self.error(path, format!("expected {what}, found {}", json.kind()));
            return None;
        };
        for (key, _) in members {
            if !allowed.contains(&key.as_str()) {
                self.error(
                    join(path, key),
                    format!(
                        "unknown field \"{key}\"; expected one of {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(members)
    }

    /// Optional text at `path`: non-empty, at most `max_chars` characters.
    fn text(&mut self, value: Option<&Json>, path: &str, max_chars: usize) -> Option<String> {
        let value = value?;
        match value.as_str() {
            Some("") => self.error(path, "expected non-empty text"),
            Some(s) if s.chars().count() > max_chars => {
                self.error(path, format!("longer than {max_chars} characters"))
            }
            Some(s) => return Some(s.to_owned()),
            None => self.error(path, format!("expected a string, found {}", value.kind())),
        }
        None
    }

    /// An optional note (`description`, `name`, `$schema`): any string.
    fn note(&mut self, members: Members<'_>, path: &str, key: &str) {
        if let Some(value) = member(members, key) {
            if value.as_str().is_none() {
                self.error(
                    join(path, key),
                    format!("expected a string, found {}", value.kind()),
                );
            }
        }
    }

    /// A number at `path` in `[0, max]` (`(0, max]` with `positive`).
    fn number(&mut self, value: &Json, path: &str, positive: bool, max: f64) -> Option<f64> {
        let low = if positive { "above 0" } else { "from 0" };
        match value {
            Json::Number(n) if n.is_finite() && (*n > 0.0 || (!positive && *n == 0.0)) => {
                if *n <= max {
                    return Some(*n);
                }
                self.error(
                    path,
                    format!("{n} is over the limit; expected a number {low} to {max}"),
                );
            }
            Json::Number(n) => self.error(
                path,
                format!("{n} is not allowed; expected a number {low} to {max}"),
            ),
            other => self.error(
                path,
                format!("expected a number {low} to {max}, found {}", other.kind()),
            ),
        }
        None
    }

    fn document(&mut self, json: &Json) -> Option<Definitions> {
        let members = self.object(json, "$", TOP_KEYS, "a profile definitions object")?;
        self.note(members, "$", "$schema");
        self.note(members, "$", "description");
        if let Some(version) = member(members, "version") {
            if version.as_f64() != Some(1.0) {
                self.error(
                    "version",
                    "unsupported version; this collector knows version 1",
                );
            }
        }
        let lead_score_json = member(members, "lead_score");
        let segments_json = member(members, "segments");
        if lead_score_json.is_none() && segments_json.is_none() {
            self.error(
                "$",
                "these definitions compute nothing: define \"lead_score\", \"segments\" or both",
            );
        }
        let lead_score = lead_score_json.map(|v| self.lead_score(v));
        let segments = segments_json.map(|v| self.segments(v, lead_score_json.is_some()));
        Some(Definitions {
            lead_score: lead_score.flatten(),
            segments: segments.flatten().unwrap_or_default(),
        })
    }

    /// Whether an error was found since `before` findings.
    fn failed_since(&self, before: usize) -> bool {
        self.findings
            .get(before..)
            .unwrap_or_default()
            .iter()
            .any(|f| f.severity == Severity::Error)
    }

    fn lead_score(&mut self, json: &Json) -> Option<LeadScoreDefinition> {
        let before = self.findings.len();
        let path = "lead_score";
        let members = self.object(json, path, LEAD_SCORE_KEYS, "a lead_score object")?;
        self.note(members, path, "description");
        let max = member(members, "max")
            .and_then(|v| self.number(v, "lead_score.max", false, MAX_POINTS));
        let half_life_days = member(members, "half_life_days")
            .and_then(|v| self.number(v, "lead_score.half_life_days", true, MAX_HALF_LIFE_DAYS));
        let Some(points) = member(members, "points") else {
            self.error(
                path,
                "missing field \"points\": the events that earn points",
            );
            return None;
        };
        let Some(items) = points.as_array() else {
            self.error(
                "lead_score.points",
                format!(
                    "expected an array of points entries, found {}",
                    points.kind()
                ),
            );
            return None;
        };
        if items.len() > MAX_POINT_ENTRIES {
            self.error(
                "lead_score.points",
                format!(
                    "{} points entries, over the limit of {MAX_POINT_ENTRIES}; merge or drop some",
                    items.len()
                ),
            );
        }
        if items.is_empty() {
            self.warn(
                "lead_score.points",
                "no points entries: every visitor's lead score is 0",
            );
        }
        let entries: Vec<Option<PointsEntry>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.points_entry(item, &format!("lead_score.points[{i}]")))
            .collect();
        for (j, entry) in entries.iter().enumerate() {
            let Some(entry) = entry else { continue };
            let same = entries.get(..j).and_then(|earlier| {
                earlier.iter().position(|e| {
                    e.as_ref().is_some_and(|e| {
                        e.event == entry.event
                            && e.form_id == entry.form_id
                            && e.path_prefix == entry.path_prefix
                    })
                })
            });
            if let Some(i) = same {
                self.warn(
                    format!("lead_score.points[{j}]"),
                    format!(
                        "matches the same events as lead_score.points[{i}]: each of them earns \
                         both entries' points"
                    ),
                );
            }
        }
        if self.failed_since(before) {
            return None;
        }
        Some(LeadScoreDefinition {
            max,
            half_life_days,
            points: entries.into_iter().flatten().collect(),
        })
    }

    fn points_entry(&mut self, json: &Json, path: &str) -> Option<PointsEntry> {
        let before = self.findings.len();
        let members = self.object(json, path, POINTS_KEYS, "a points entry object")?;
        self.note(members, path, "description");
        let event = match member(members, "event") {
            None => {
                self.error(
                    path,
                    "missing field \"event\": page, identify or a track event's name",
                );
                None
            }
            some => self.text(some, &join(path, "event"), MAX_MATCH_CHARS),
        };
        let form_id = self.text(
            member(members, "form_id"),
            &join(path, "form_id"),
            MAX_MATCH_CHARS,
        );
        let prefix_path = join(path, "path_prefix");
        // Limited in bytes, below, like every path the collector stores.
        let path_prefix = self.text(member(members, "path_prefix"), &prefix_path, usize::MAX);
        if let Some(prefix) = &path_prefix {
            if !prefix.starts_with('/') {
                self.error(
                    &prefix_path,
                    format!(
                        "\"{prefix}\" is not a path; a path prefix starts with / (\"/pricing\")"
                    ),
                );
            } else if prefix.len() > MAX_PATH_PREFIX_BYTES {
                self.error(
                    &prefix_path,
                    format!("longer than {MAX_PATH_PREFIX_BYTES} bytes"),
                );
            }
        }
        let points = match member(members, "points") {
            None => {
                self.error(
                    path,
                    "missing field \"points\": the points each matching event earns",
                );
                None
            }
            Some(v) => self.number(v, &join(path, "points"), false, MAX_POINTS),
        };
        let max = member(members, "max")
            .and_then(|v| self.number(v, &join(path, "max"), false, MAX_POINTS));
        if self.failed_since(before) {
            return None;
        }
        Some(PointsEntry {
            event: event?,
            form_id,
            path_prefix,
            points: points?,
            max,
        })
    }

    fn segments(&mut self, json: &Json, has_lead_score: bool) -> Option<Vec<SegmentDefinition>> {
        let Some(items) = json.as_array() else {
            self.error(
                "segments",
                format!("expected an array of segments, found {}", json.kind()),
            );
            return None;
        };
        if items.len() > MAX_SEGMENTS {
            self.error(
                "segments",
                format!(
                    "{} segments, over the limit of {MAX_SEGMENTS}; merge or drop some",
                    items.len()
                ),
            );
        }
        let mut segments = Vec::with_capacity(items.len());
        // (index in `segments`, conditions) of each segment the lint document holds.
        let mut linted: Vec<(usize, &Json)> = Vec::new();
        let mut ids: Vec<(&str, usize)> = Vec::new();
        let mut complete = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("segments[{i}]");
            let Some(members) = self.object(item, &path, SEGMENT_KEYS, "a segment object") else {
                complete = false;
                continue;
            };
            self.note(members, &path, "name");
            self.note(members, &path, "description");
            let id = match member(members, "id") {
                None => {
                    self.error(&path, "missing field \"id\"");
                    None
                }
                Some(Json::String(id)) if is_id(id) => Some(id.as_str()),
                Some(Json::String(id)) => {
                    self.error(
                        format!("{path}.id"),
                        format!(
                            "\"{id}\": an id is 1 to {MAX_RULE_ID_BYTES} letters, digits, '-', '_' or '.'"
                        ),
                    );
                    None
                }
                Some(other) => {
                    self.error(
                        format!("{path}.id"),
                        format!("expected a string, found {}", other.kind()),
                    );
                    None
                }
            };
            if let Some(id) = id {
                match ids.iter().find(|(seen, _)| *seen == id) {
                    Some((_, first)) => self.error(
                        format!("{path}.id"),
                        format!("duplicate segment id \"{id}\"; segments[{first}] has it too"),
                    ),
                    None => ids.push((id, i)),
                }
            }
            let Some(conditions) = member(members, "conditions") else {
                self.error(
                    &path,
                    "missing field \"conditions\" (use {\"all\": []} for every visitor)",
                );
                complete = false;
                continue;
            };
            self.attributes(conditions, &format!("{path}.conditions"), has_lead_score);
            linted.push((i, conditions));
            match id {
                Some(id) => segments.push(SegmentDefinition {
                    id: id.to_owned(),
                    conditions: conditions.clone(),
                }),
                None => complete = false,
            }
        }
        self.lint_conditions(&linted);
        complete.then_some(segments)
    }

    /// What the rule language's lint cannot know about segments: they may not test
    /// `segments` (circular), and some attributes never reach the collector.
    fn attributes(&mut self, json: &Json, path: &str, has_lead_score: bool) {
        let Some(members) = json.as_object() else {
            return; // lint reports the shape
        };
        for (key, value) in members {
            match (key.as_str(), value) {
                ("all" | "any", Json::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        self.attributes(item, &format!("{path}.{key}[{i}]"), has_lead_score);
                    }
                }
                ("not", inner) => self.attributes(inner, &format!("{path}.not"), has_lead_score),
                ("attribute", Json::String(name)) => {
                    self.attribute(name, &format!("{path}.attribute"), has_lead_score)
                }
                _ => {}
            }
        }
    }

    fn attribute(&mut self, name: &str, path: &str, has_lead_score: bool) {
        if name == "segments" {
            self.error(
                path,
                "a segment cannot test segments: segments are what these conditions compute \
                 (a circular definition); repeat the other segment's conditions instead",
            );
        } else if name == "local_hour" || name == "local_weekday" {
            self.warn(
                path,
                format!(
                    "the collector does not know the visitor's local time: {name} is always \
                     missing here, {MISSING_MEANS}; test it in the page's rules instead"
                ),
            );
        } else if name.starts_with("custom.") {
            self.warn(
                path,
                format!(
                    "custom attributes are set by the page and never reach the collector: \
                     {name} is always missing here, {MISSING_MEANS}"
                ),
            );
        } else if name == "lead_score" && !has_lead_score {
            self.warn(
                path,
                format!(
                    "there is no \"lead_score\" section, so lead_score is always missing here, \
                     {MISSING_MEANS}"
                ),
            );
        }
    }

    /// Lints the segments' conditions with `orbit-core`, as rules `s0`, `s1`… of a synthetic
    /// document (synthetic ids: segment ids are checked above, with segment wording), and
    /// maps each finding's path back to the segment.
    fn lint_conditions(&mut self, linted: &[(usize, &Json)]) {
        if linted.is_empty() {
            return;
        }
        let ids: Vec<String> = (0..linted.len()).map(|k| format!("s{k}")).collect();
        let segments: Vec<(&str, &Json)> = ids
            .iter()
            .zip(linted)
            .map(|(id, (_, conditions))| (id.as_str(), *conditions))
            .collect();
        for finding in lint(&rules_document(&segments), &RegexHost) {
            // The synthetic document has no experiments; on the collector `experiments.ID`
            // is the visitor's stored variant, so "no experiment has this id" is noise.
            if finding.severity == Severity::Warning
                && finding
                    .message
                    .starts_with("no experiment in this document")
            {
                continue;
            }
            match remap(&finding.path, linted) {
                Remapped::Path(path) => self.findings.push(Finding { path, ..finding }),
                // A rule-level warning ("has no actions"): segments have no actions.
                Remapped::RuleLevel(_) if finding.severity == Severity::Warning => {}
                Remapped::RuleLevel(path) => self.findings.push(Finding { path, ..finding }),
            }
        }
    }
}

/// Where a synthetic rule document's finding belongs in the definitions.
#[derive(Debug, PartialEq, Eq)]
enum Remapped {
    /// Inside a segment's conditions: `rules[k].conditions.x` → `segments[i].conditions.x`.
    Path(String),
    /// About the rule as a whole (or unplaceable): the segment, or `segments`.
    RuleLevel(String),
}

fn remap(path: &str, linted: &[(usize, &Json)]) -> Remapped {
    let parsed = path.strip_prefix("rules[").and_then(|rest| {
        let (k, tail) = rest.split_once(']')?;
        let (i, _) = linted.get(k.parse::<usize>().ok()?)?;
        Some((*i, tail))
    });
    match parsed {
        Some((i, "")) => Remapped::RuleLevel(format!("segments[{i}]")),
        Some((i, tail)) => Remapped::Path(format!("segments[{i}]{tail}")),
        None => Remapped::RuleLevel("segments".to_owned()),
    }
}

fn member<'j>(members: Members<'j>, key: &str) -> Option<&'j Json> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<(&'static str, String)> {
        let mut found: Vec<(&'static str, String)> = check_definitions(text)
            .findings
            .iter()
            .map(|f| (f.severity.as_str(), f.path.clone()))
            .collect();
        found.sort();
        found
    }

    fn owned(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut v: Vec<_> = pairs.iter().map(|(s, p)| (*s, (*p).to_owned())).collect();
        v.sort();
        v
    }

    const EXAMPLE: &str = r#"{
      "lead_score": {"max": 100, "half_life_days": 30, "points": [
        {"event": "Form Submitted", "points": 40},
        {"event": "Form Submitted", "form_id": "Demo request", "points": 20},
        {"event": "page", "path_prefix": "/pricing", "points": 10, "max": 30},
        {"event": "identify", "points": 15, "max": 15}]},
      "segments": [
        {"id": "pricing-visitor", "description": "two pages", "conditions": {"attribute": "session_page_views", "op": "gte", "value": 2}},
        {"id": "hot-lead", "conditions": {"attribute": "lead_score", "op": "gte", "value": 50}}]
    }"#;

    #[test]
    fn the_example_is_valid_and_stored_compact_in_its_order() {
        let checked = check_definitions(EXAMPLE);
        assert!(checked.findings.is_empty(), "{:?}", checked.findings);
        let valid = checked.document.unwrap();
        assert!(valid
            .normalized
            .starts_with(r#"{"lead_score":{"max":100,"half_life_days":30,"points":[{"event":"Form Submitted","points":40},"#));
        let d = valid.definitions;
        let score = d.lead_score.as_ref().unwrap();
        assert_eq!((score.max, score.half_life_days), (Some(100.0), Some(30.0)));
        assert_eq!(score.points[2].path_prefix.as_deref(), Some("/pricing"));
        assert_eq!(score.points[1].form_id.as_deref(), Some("Demo request"));
        assert_eq!(score.points[3].max, Some(15.0));
        let ids: Vec<&str> = d.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["pricing-visitor", "hot-lead"]);
        assert_eq!(Definitions::from_stored(&valid.normalized).unwrap(), d);
    }

    #[test]
    fn every_problem_is_listed_with_its_path_in_the_definitions() {
        let text = r#"{
          "lead_score": {"max": -1, "half_life_days": 0, "colour": 1, "points": [
            {"event": "", "points": -5},
            {"event": "page", "path_prefix": "pricing", "points": 2000000},
            {"points": 3, "max": "lots"}]},
          "segments": [
            {"id": "ok", "conditions": {"attribute": "utm_sorce", "op": "equals", "value": "x"}},
            {"id": "bad id!", "conditions": {"all": [{"attribute": "path", "op": "equal", "value": "/"}]}},
            {"id": "ok", "conditions": {"attribute": "path", "op": "regex", "value": "(unclosed"}},
            {"id": "loop", "conditions": {"not": {"attribute": "segments", "op": "contains", "value": "ok"}}},
            {"id": "none"},
            "nope"]
        }"#;
        assert_eq!(
            findings(text),
            owned(&[
                ("error", "lead_score.max"),
                ("error", "lead_score.half_life_days"),
                ("error", "lead_score.colour"),
                ("error", "lead_score.points[0].event"),
                ("error", "lead_score.points[0].points"),
                ("error", "lead_score.points[1].path_prefix"),
                ("error", "lead_score.points[1].points"),
                ("error", "lead_score.points[2]"),
                ("error", "lead_score.points[2].max"),
                ("error", "segments[0].conditions.attribute"),
                ("error", "segments[1].id"),
                ("error", "segments[1].conditions.all[0].op"),
                ("error", "segments[2].id"),
                ("error", "segments[2].conditions.value"),
                ("error", "segments[3].conditions.not.attribute"),
                ("error", "segments[4]"),
                ("error", "segments[5]"),
            ])
        );
        let checked = check_definitions(text);
        assert!(checked.document.is_none());
        let message = |path: &str| {
            checked
                .findings
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.message.clone())
                .unwrap()
        };
        // The rules' own messages, "did you mean" included.
        assert!(
            message("segments[0].conditions.attribute").contains("did you mean \"utm_source\"?")
        );
        assert!(message("segments[1].conditions.all[0].op").contains("did you mean \"equals\"?"));
        assert!(message("segments[2].conditions.value").contains("does not compile"));
        assert!(message("segments[2].id").contains("duplicate segment id \"ok\"; segments[0]"));
        assert!(message("segments[3].conditions.not.attribute").contains("circular"));
        assert!(message("lead_score.points[1].points").contains("over the limit"));
        assert!(message("lead_score.points[0].points").contains("-5 is not allowed"));
        let infinite = findings(r#"{"lead_score": {"points": [{"event": "x", "points": 1e999}]}}"#);
        assert_eq!(
            infinite,
            owned(&[("error", "line 1, column 58")]),
            "not a finite number"
        );
    }

    #[test]
    fn limits_are_errors_and_the_rest_is_still_checked() {
        let points: Vec<String> = (0..=MAX_POINT_ENTRIES)
            .map(|i| format!(r#"{{"event": "e{i}", "points": 1}}"#))
            .collect();
        let segments: Vec<String> = (0..=MAX_SEGMENTS)
            .map(|i| format!(r#"{{"id": "s{i}", "conditions": {{"all": []}}}}"#))
            .collect();
        let text = format!(
            r#"{{"lead_score": {{"points": [{}]}}, "segments": [{}, {{"id": "x", "conditions": {{"attribute": "nope", "op": "exists"}}}}]}}"#,
            points.join(","),
            segments.join(",")
        );
        assert!(text.len() < MAX_PROFILE_DOCUMENT_BYTES);
        assert_eq!(
            findings(&text),
            owned(&[
                ("error", "lead_score.points"),
                ("error", "segments"),
                ("error", "segments[101].conditions.attribute"),
            ])
        );
        let huge = format!(
            r#"{{"description": "{}", "segments": []}}"#,
            "x".repeat(MAX_PROFILE_DOCUMENT_BYTES)
        );
        let checked = check_definitions(&huge);
        assert_eq!(checked.findings.len(), 1);
        assert!(
            checked.findings[0].message.contains("65536 bytes"),
            "{:?}",
            checked.findings
        );
        assert_eq!(MAX_PROFILE_DOCUMENT_BYTES, 65_536);
        assert_eq!((MAX_SEGMENTS, MAX_POINT_ENTRIES), (100, 100));
    }

    #[test]
    fn bad_json_and_empty_definitions_are_refused() {
        assert_eq!(
            findings("{\"segments\": ["),
            owned(&[("error", "line 1, column 15")])
        );
        assert_eq!(findings("{}"), owned(&[("error", "$")]));
        assert_eq!(findings("[]"), owned(&[("error", "$")]));
        assert_eq!(
            findings(r#"{"segments": [], "segments2": 1, "version": 2}"#),
            owned(&[("error", "segments2"), ("error", "version")])
        );
        assert_eq!(
            findings(r#"{"segments": [], "segments": []}"#).len(),
            1,
            "duplicate keys are a JSON error"
        );
    }

    #[test]
    fn what_the_collector_cannot_know_is_a_warning() {
        let text = r#"{"segments": [
            {"id": "evening", "conditions": {"any": [{"attribute": "local_hour", "op": "gte", "value": 18},
                                                     {"attribute": "custom.plan", "op": "equals", "value": "pro"}]}},
            {"id": "scored", "conditions": {"attribute": "lead_score", "op": "gt", "value": 0}},
            {"id": "variant", "conditions": {"attribute": "experiments.hero", "op": "equals", "value": "b"}},
            {"id": "typed", "conditions": {"attribute": "visit_count", "op": "contains", "value": "1"}}]}"#;
        let checked = check_definitions(text);
        assert_eq!(checked.errors(), 0, "{:?}", checked.findings);
        assert!(checked.document.is_some());
        assert_eq!(
            findings(text),
            owned(&[
                ("warning", "segments[0].conditions.any[0].attribute"),
                ("warning", "segments[0].conditions.any[1].attribute"),
                ("warning", "segments[1].conditions.attribute"),
                ("warning", "segments[3].conditions.op"),
            ]),
            "no warning that experiments.hero names no experiment, none that a segment has no actions"
        );
    }

    #[test]
    fn duplicate_matchers_are_a_warning() {
        let text = r#"{"lead_score": {"points": [
            {"event": "page", "path_prefix": "/a", "points": 1},
            {"event": "page", "path_prefix": "/b", "points": 1},
            {"event": "page", "path_prefix": "/a", "points": 2}]}}"#;
        assert_eq!(
            findings(text),
            owned(&[("warning", "lead_score.points[2]")])
        );
        assert_eq!(
            findings(r#"{"lead_score": {"points": []}}"#),
            owned(&[("warning", "lead_score.points")])
        );
    }

    #[test]
    fn paths_of_the_synthetic_document_map_back_to_the_segments() {
        let c = Json::Null;
        let linted = [(2, &c), (5, &c)];
        assert_eq!(
            remap("rules[1].conditions.all[0].op", &linted),
            Remapped::Path("segments[5].conditions.all[0].op".into())
        );
        assert_eq!(
            remap("rules[0].conditions", &linted),
            Remapped::Path("segments[2].conditions".into())
        );
        assert_eq!(
            remap("rules[0]", &linted),
            Remapped::RuleLevel("segments[2]".into())
        );
        assert_eq!(
            remap("rules[9].id", &linted),
            Remapped::RuleLevel("segments".into())
        );
        assert_eq!(remap("$", &linted), Remapped::RuleLevel("segments".into()));
    }
}
