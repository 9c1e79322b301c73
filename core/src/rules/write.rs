//! Evaluations and actions as JSON, for the collector's preview endpoint and the shared
//! fixtures, written with the crate's small writer (no serde).

use alloc::string::String;

use super::document::Action;
use super::eval::Evaluation;
use crate::json::JsonWriter;

impl Evaluation<'_> {
    /// The evaluation as JSON:
    /// `{"holdout":false,"decisions":[{"rule","priority","group","forced","experiment",
    /// "actions"}],"trace":[{"rule","outcome","detail"}]}` (docs/rules.md, "Evaluation").
    pub fn to_json(&self) -> String {
        let mut w = JsonWriter::new();
        w.begin_object().key("holdout").bool(self.holdout);
        w.key("decisions").begin_array();
        for d in &self.decisions {
            w.begin_object()
                .key("rule")
                .string(&d.rule.id)
                .key("priority")
                .int(i64::from(d.rule.priority))
                .key("group")
                .opt_string(d.rule.group_name.as_deref())
                .key("forced")
                .bool(d.forced)
                .key("experiment");
            match &d.assignment {
                None => {
                    w.raw("null");
                }
                Some(a) => {
                    w.begin_object()
                        .key("id")
                        .string(&a.experiment.id)
                        .key("variant")
                        .string(&a.variant.id)
                        .key("control")
                        .bool(a.variant.control)
                        .key("source")
                        .string(a.source.as_str())
                        .key("exposure")
                        .bool(a.exposure)
                        .end_object();
                }
            }
            w.key("actions").begin_array();
            for action in d.actions {
                write_action(&mut w, action);
            }
            w.end_array().end_object();
        }
        w.end_array();
        w.key("trace").begin_array();
        for t in &self.trace {
            w.begin_object()
                .key("rule")
                .string(&t.rule.id)
                .key("outcome")
                .string(t.outcome.as_str())
                .key("detail")
                .string(&t.detail)
                .end_object();
        }
        w.end_array().end_object();
        w.finish()
    }
}

/// Writes an action as a document would (HTML already sanitised), e.g.
/// `{"type":"set_text","selector":"h1","text":"Hello"}`.
pub fn write_action(w: &mut JsonWriter, action: &Action) {
    w.begin_object().key("type").string(action.type_name());
    if let Some(selector) = action.selector() {
        w.key("selector").string(selector);
    }
    match action {
        Action::SetText { text, .. } => {
            w.key("text").string(text);
        }
        Action::SetHtml { html, .. } => {
            w.key("html").string(html.as_str());
        }
        Action::SetAttribute { name, value, .. } => {
            w.key("name").string(name).key("value").string(value);
        }
        Action::RemoveAttribute { name, .. } => {
            w.key("name").string(name);
        }
        Action::AddClass { classes, .. } | Action::RemoveClass { classes, .. } => {
            w.key("class").string(&classes.join(" "));
        }
        Action::SetStyle {
            property,
            value,
            important,
            ..
        } => {
            w.key("property")
                .string(property)
                .key("value")
                .string(value);
            if *important {
                w.key("important").bool(true);
            }
        }
        Action::Show { .. } | Action::Hide { .. } => {}
        Action::Insert { position, html, .. } => {
            w.key("position")
                .string(position.as_str())
                .key("html")
                .string(html.as_str());
        }
        Action::Redirect { url, keep_query } => {
            w.key("url").string(url).key("keep_query").bool(*keep_query);
        }
    }
    w.end_object();
}
