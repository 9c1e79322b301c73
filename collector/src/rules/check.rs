//! What the collector accepts as a rule document, and what it stores.
//!
//! [`check_document`] lints with `orbit-core` (every problem, with its JSON path) using the
//! collector's [`RegexHost`], and, when nothing is an error, normalises the document: every
//! action is written back from the *parsed* document with `orbit-core`'s
//! [`write_action`], so HTML is the sanitiser's output and every other field is what the
//! parser checked. `<script>`, `on*` attributes and `javascript:` URLs can therefore never
//! be stored: lint refuses them as errors, and even HTML that only loses harmless parts (a
//! comment, an unknown element) is stored as sanitised. The normalised text is parsed again
//! and must mean exactly what the original meant, or the document is refused.
//!
//! Everything else is kept as written, members in their order (notes such as `name` and
//! `description` included), as compact JSON. The document is compiled too (what the browser
//! reads), and refused if that form would be over the browser's size limit.

use orbit_core::json::read::{read_json, Json};
use orbit_core::json::JsonWriter;
use orbit_core::limits::MAX_RULES_JSON_DEPTH;
use orbit_core::rules::{
    has_errors, lint, parse_rules, write_action, Action, Finding, Rules, Severity,
};

use super::compile::compile_with_room;
use super::host::RegexHost;

/// Largest rule document, in bytes, as sent and as stored: `orbit-core`'s limit (the
/// browser refuses larger ones too).
pub const MAX_RULES_DOCUMENT_BYTES: usize = orbit_core::limits::MAX_RULES_DOCUMENT_BYTES;

/// What checking a document found (a rule document, or profile definitions with `T`
/// their valid form).
#[derive(Debug)]
pub struct Checked<T = ValidDocument> {
    /// Every finding: errors and warnings, in lint's order, each with its JSON path.
    pub findings: Vec<Finding>,
    /// The document to store; `None` when some finding is an error.
    pub document: Option<T>,
}

impl<T> Checked<T> {
    /// Findings that block saving.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Findings that do not.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// A document without errors, ready to store.
#[derive(Debug)]
pub struct ValidDocument {
    /// The parsed document.
    pub rules: Rules,
    /// Its normalised text: compact JSON, actions rewritten from the parsed document.
    pub normalized: String,
    /// Its compiled form, what the browser reads ([`super::compile`]).
    pub compiled: String,
}

/// Lints `text` and, when it has no errors, normalises it for storage. A leading byte
/// order mark (Windows editors write one) is ignored, as RFC 8259 allows: it is not part of
/// the document, and the error it would give ("line 1, column 1: expected a JSON value")
/// points at nothing visible.
pub fn check_document(text: &str) -> Checked {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut findings = lint(text, &RegexHost);
    if text
        .trim_ascii_start()
        .starts_with("[\"orbit-rules-compiled/")
    {
        // What `rules compile` and `rules.json` give: say so, not just "not an object".
        for finding in findings.iter_mut().filter(|f| f.path == "$") {
            finding.message = String::from(
                "this is a compiled document (what rules.json serves and `rules compile` \
                 prints); send or check the document as written, the JSON object it was \
                 compiled from",
            );
        }
    }
    if has_errors(&findings) {
        return Checked {
            findings,
            document: None,
        };
    }
    match normalize(text) {
        Ok(document) => Checked {
            findings,
            document: Some(document),
        },
        Err(problem) => {
            findings.push(problem);
            Checked {
                findings,
                document: None,
            }
        }
    }
}

fn error(path: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Error,
        path: path.into(),
        message: message.into(),
    }
}

/// The document with its actions written from the parse, checked to mean the same.
fn normalize(text: &str) -> Result<ValidDocument, Finding> {
    let rules = parse_rules(text).map_err(|e| error(e.path.clone(), e.to_message()))?;
    let json = read_json(text, MAX_RULES_DOCUMENT_BYTES, MAX_RULES_JSON_DEPTH)
        .map_err(|e| error("$", e.reason()))?;
    let Json::Object(members) = &json else {
        return Err(error("$", "expected a rule document object"));
    };
    let mut w = JsonWriter::new();
    w.begin_object();
    for (key, value) in members {
        w.key(key);
        if key == "rules" {
            write_rules(&mut w, value, &rules)?;
        } else {
            write_json(&mut w, value);
        }
    }
    w.end_object();
    let normalized = w.finish();
    if normalized.len() > MAX_RULES_DOCUMENT_BYTES {
        return Err(error(
            "$",
            format!(
                "the document is {} bytes once normalised (sanitised HTML can be longer), \
                 over the limit of {MAX_RULES_DOCUMENT_BYTES}; make it smaller",
                normalized.len()
            ),
        ));
    }
    match parse_rules(&normalized) {
        Ok(again) if again == rules => {}
        _ => {
            return Err(error(
                "$",
                "the document would not mean the same once normalised for storage (a number \
                 with more than 15 significant digits?); simplify it",
            ))
        }
    }
    let compiled = compile_with_room(&rules).map_err(|e| error("$", e.to_string()))?;
    Ok(ValidDocument {
        rules,
        normalized,
        compiled,
    })
}

fn write_rules(w: &mut JsonWriter, value: &Json, rules: &Rules) -> Result<(), Finding> {
    let Json::Array(items) = value else {
        return Err(error("rules", "expected an array of rules"));
    };
    w.begin_array();
    for (i, item) in items.iter().enumerate() {
        let path = format!("rules[{i}]");
        let rule = rules
            .rules()
            .iter()
            .find(|r| r.position() == i)
            .ok_or_else(|| error(&path, "this rule was not understood"))?;
        let Json::Object(members) = item else {
            return Err(error(&path, "expected a rule object"));
        };
        w.begin_object();
        for (key, value) in members {
            w.key(key);
            match (key.as_str(), rule.experiment()) {
                ("actions", _) => {
                    write_actions(w, value, rule.actions(), &format!("{path}.actions"))?
                }
                ("experiment", Some(experiment)) => {
                    let Json::Object(fields) = value else {
                        return Err(error(format!("{path}.experiment"), "expected an object"));
                    };
                    w.begin_object();
                    for (field, value) in fields {
                        w.key(field);
                        if field == "variants" {
                            let Json::Array(variants) = value else {
                                return Err(error(
                                    format!("{path}.experiment.variants"),
                                    "expected an array of variants",
                                ));
                            };
                            w.begin_array();
                            for (k, variant) in variants.iter().enumerate() {
                                let vpath = format!("{path}.experiment.variants[{k}]");
                                let parsed = experiment
                                    .variants()
                                    .get(k)
                                    .ok_or_else(|| error(&vpath, "variant not understood"))?;
                                let Json::Object(vfields) = variant else {
                                    return Err(error(&vpath, "expected a variant object"));
                                };
                                w.begin_object();
                                for (vkey, vvalue) in vfields {
                                    w.key(vkey);
                                    if vkey == "actions" {
                                        let apath = format!("{vpath}.actions");
                                        write_actions(w, vvalue, parsed.actions(), &apath)?;
                                    } else {
                                        write_json(w, vvalue);
                                    }
                                }
                                w.end_object();
                            }
                            w.end_array();
                        } else {
                            write_json(w, value);
                        }
                    }
                    w.end_object();
                }
                _ => write_json(w, value),
            }
        }
        w.end_object();
    }
    w.end_array();
    Ok(())
}

/// The parsed actions in place of the written ones (one for one, or the document is
/// refused rather than stored with something unchecked).
fn write_actions(
    w: &mut JsonWriter,
    value: &Json,
    parsed: &[Action],
    path: &str,
) -> Result<(), Finding> {
    let written = value.as_array().map_or(0, <[Json]>::len);
    if written != parsed.len() {
        return Err(error(
            path,
            format!(
                "{written} actions written but {} understood; fix the actions",
                parsed.len()
            ),
        ));
    }
    w.begin_array();
    for action in parsed {
        write_action(w, action);
    }
    w.end_array();
    Ok(())
}

/// Writes a JSON value as compact text, object members in their order.
pub fn write_json(w: &mut JsonWriter, value: &Json) {
    match value {
        Json::Null => {
            w.raw("null");
        }
        Json::Bool(b) => {
            w.bool(*b);
        }
        Json::Number(n) => {
            if n.fract() == 0.0 && n.abs() <= 9e15 {
                w.int(*n as i64);
            } else if n.is_finite() {
                // Rust prints the shortest text that reads back as the same f64, never
                // with an exponent: valid JSON.
                w.raw(&n.to_string());
            } else {
                w.raw("null"); // the reader never produces these
            }
        }
        Json::String(s) => {
            w.string(s);
        }
        Json::Array(items) => {
            w.begin_array();
            for item in items {
                write_json(w, item);
            }
            w.end_array();
        }
        Json::Object(members) => {
            w.begin_object();
            for (key, value) in members {
                w.key(key);
                write_json(w, value);
            }
            w.end_object();
        }
    }
}

/// `document` (a normalised document) with `"revision": "VERSION"`: replaced where it was,
/// else added after `$schema` and `version`. The browser sends the revision with every
/// exposure, so reports can tell versions apart.
pub fn with_revision(document: &str, version: u64) -> Result<String, String> {
    with_revision_text(document, &version.to_string())
}

/// [`with_revision`] with any revision text (an inline document's content hash).
pub fn with_revision_text(document: &str, revision: &str) -> Result<String, String> {
    let json = read_json(document, usize::MAX, MAX_RULES_JSON_DEPTH + 1)
        .map_err(|e| format!("a stored rule document is not JSON: {}", e.reason()))?;
    let Json::Object(mut members) = json else {
        return Err("a stored rule document is not an object".into());
    };
    let revision = Json::String(revision.to_owned());
    match members.iter_mut().find(|(k, _)| k == "revision") {
        Some((_, value)) => *value = revision,
        None => {
            let at = members
                .iter()
                .take_while(|(k, _)| k == "$schema" || k == "version")
                .count();
            members.insert(at, ("revision".to_owned(), revision));
        }
    }
    let mut w = JsonWriter::new();
    write_json(&mut w, &Json::Object(members));
    Ok(w.finish())
}

/// A finding as JSON: `{"severity","path","message"}`.
pub fn finding_json(finding: &Finding) -> serde_json::Value {
    serde_json::json!({
        "severity": finding.severity.as_str(),
        "path": finding.path,
        "message": finding.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(checked: &Checked) -> Vec<(&'static str, &str)> {
        checked
            .findings
            .iter()
            .map(|f| (f.severity.as_str(), f.path.as_str()))
            .collect()
    }

    #[test]
    fn a_clean_document_is_stored_compact_with_its_members_in_order() {
        let text = r##"{
            "version": 1,
            "description": "spring",
            "rules": [{"id": "a", "name": "Hero", "priority": 2,
                       "actions": [{"type": "add_class", "selector": "h1", "class": "big  bold"},
                                   {"type": "set_attribute", "selector": "a", "name": "HREF", "value": "/x"}]}]
        }"##;
        let checked = check_document(text);
        assert!(checked.findings.is_empty(), "{:?}", checked.findings);
        let doc = checked.document.unwrap();
        assert_eq!(
            doc.normalized,
            r#"{"version":1,"description":"spring","rules":[{"id":"a","name":"Hero","priority":2,"actions":[{"type":"add_class","selector":"h1","class":"big bold"},{"type":"set_attribute","selector":"a","name":"href","value":"/x"}]}]}"#
        );
    }

    #[test]
    fn unsafe_html_is_an_error_and_nothing_is_ready_to_store() {
        let text = r#"{"rules":[{"id":"a","actions":[
            {"type":"set_html","selector":"p","html":"<b onclick=\"x()\">hi</b><script>alert(1)</script>"}]}]}"#;
        let checked = check_document(text);
        assert!(checked.document.is_none());
        assert!(paths(&checked).contains(&("error", "rules[0].actions[0].html")));
    }

    #[test]
    fn harmless_html_changes_are_warnings_and_the_sanitised_html_is_stored() {
        let text = r#"{"rules":[{"id":"a","experiment":{"id":"e","variants":[
            {"id":"control","control":true},
            {"id":"b","actions":[{"type":"insert","selector":"p","position":"after","html":"<p>new<!-- note --></p>"}]}]}}]}"#;
        let checked = check_document(text);
        assert_eq!(checked.errors(), 0, "{:?}", checked.findings);
        assert!(paths(&checked)
            .contains(&("warning", "rules[0].experiment.variants[1].actions[0].html")));
        let doc = checked.document.unwrap();
        assert!(
            doc.normalized.contains(r#""html":"<p>new</p>""#),
            "{}",
            doc.normalized
        );
        assert!(!doc.normalized.contains("note"));
    }

    #[test]
    fn a_document_whose_compiled_form_is_over_the_limit_is_refused() {
        // `<` is written `\u003c` in the compiled form: six bytes for one.
        let text = "<".repeat(16 * 1024 - 16);
        let rules: Vec<String> = (0..10)
            .map(|i| {
                format!(
                    r#"{{"id":"r{i}","actions":[{{"type":"set_text","selector":"p","text":"{text}"}}]}}"#
                )
            })
            .collect();
        let document = format!(r#"{{"rules":[{}]}}"#, rules.join(","));
        assert!(document.len() < MAX_RULES_DOCUMENT_BYTES / 2);
        let checked = check_document(&document);
        assert!(checked.document.is_none());
        let last = checked.findings.last().unwrap();
        assert_eq!((last.severity, last.path.as_str()), (Severity::Error, "$"));
        assert!(
            last.message.starts_with("the compiled document is "),
            "{}",
            last.message
        );
        let small = check_document(&document.replace(&text, "<b>"));
        assert!(small.document.is_some(), "{:?}", small.findings);
    }

    #[test]
    fn the_revision_is_set_to_the_version() {
        let doc = check_document(r#"{"$schema":"x","version":1,"rules":[]}"#)
            .document
            .unwrap();
        let stored = with_revision(&doc.normalized, 7).unwrap();
        assert_eq!(
            stored,
            r#"{"$schema":"x","version":1,"revision":"7","rules":[]}"#
        );
        assert_eq!(parse_rules(&stored).unwrap().revision(), Some("7"));
        let again = with_revision(&stored, 8).unwrap();
        assert_eq!(
            again,
            r#"{"$schema":"x","version":1,"revision":"8","rules":[]}"#
        );
        assert_eq!(
            with_revision(r#"{"revision":3,"rules":[]}"#, 4).unwrap(),
            r#"{"revision":"4","rules":[]}"#
        );
    }

    #[test]
    fn numbers_are_written_back_exactly() {
        let text = r#"{"holdout":{"percent":2.5},"rules":[{"id":"a","priority":-3,
            "conditions":{"attribute":"lead_score","op":"between","value":[0.125,1000000]},
            "actions":[{"type":"hide","selector":"p"}]}]}"#;
        let doc = check_document(text).document.unwrap();
        assert!(doc.normalized.contains(r#""percent":2.5"#));
        assert!(doc.normalized.contains(r#""priority":-3"#));
        assert!(doc.normalized.contains(r#""value":[0.125,1000000]"#));
    }

    #[test]
    fn numbers_of_up_to_15_significant_digits_survive_normalisation() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let numbers: Vec<String> = (0..1000)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let digits = 1 + (state >> 60) % 15;
                let mantissa = (state >> 8) % 10u64.pow(digits as u32);
                let exponent = (state >> 4) % 12;
                let sign = if i % 3 == 0 { "-" } else { "" };
                format!("{sign}{mantissa}e-{exponent}")
            })
            .collect();
        let text = format!(
            r#"{{"rules":[{{"id":"a","conditions":{{"attribute":"lead_score","op":"in","value":[{}]}},"actions":[{{"type":"hide","selector":"p"}}]}}]}}"#,
            numbers.join(",")
        );
        let checked = check_document(&text);
        assert!(checked.document.is_some(), "{:?}", checked.findings);
    }

    #[test]
    fn text_that_is_not_a_document_is_one_error() {
        let checked = check_document("not json");
        assert_eq!(checked.errors(), 1);
        assert!(checked.document.is_none());
        let checked = check_document(&" ".repeat(MAX_RULES_DOCUMENT_BYTES + 1));
        assert_eq!(checked.errors(), 1, "{:?}", checked.findings);
    }

    #[test]
    fn a_compiled_document_is_named_as_such() {
        let rules = parse_rules(r#"{"rules":[]}"#).unwrap();
        let checked = check_document(&orbit_core::rules::write_compiled(&rules));
        assert_eq!(checked.errors(), 1, "{:?}", checked.findings);
        assert!(
            checked.findings[0].message.contains("compiled document"),
            "{:?}",
            checked.findings
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_document() {
        let checked = check_document("\u{feff}{\"rules\": []}");
        assert!(checked.findings.is_empty(), "{:?}", checked.findings);
        assert_eq!(checked.document.unwrap().normalized, r#"{"rules":[]}"#);
        let checked = check_document("{\"rules\": []}\u{feff}");
        assert_eq!(checked.errors(), 1, "only a leading one");
    }
}
