//! The compiled rule document: what the browser reads.
//!
//! The collector serves it at `rules.json`, compiles the inline documents of the pages it
//! serves, and `orbit-collector rules compile FILE` writes it for other pages. It is the
//! parsed, checked [`Rules`] as one flat JSON array, so the browser needs neither the
//! parser nor its error messages (4.8 KB gzip of the bundle): reading it is a walk
//! along the array.
//!
//! The first element is [`COMPILED_FORMAT`]; a tracker refuses another format (a cache
//! written by an older tracker, a source document). Numbers that are not small integers
//! (weights, percentages, operands) travel as the 16 hex digits of their bits, so a
//! document means exactly the same after the trip. The reader checks again what the
//! browser must never trust: HTML is sanitised (in the browser tracker, as it is inserted:
//! [`ActionHtml`]), URLs and styles are checked (in the browser tracker, attributes and
//! styles as they are set: js/sanitize.js), counts and nesting are bounded (the limits of
//! [`crate::limits`]).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::attribute::{Attr, AttrId};
use super::document::{
    Action, Condition, DateRef, Experiment, Holdout, InsertPosition, Leaf, Op, Operand,
    RegexSource, Rule, Rules, Scalar, Variant,
};
#[cfg(not(feature = "sanitize-in-browser"))]
use super::sanitize::sanitize_html;
use super::sanitize::ActionHtml;
use super::url::is_safe_url;
use super::url::{attribute_problem, is_attribute_name, style_problem};
use crate::json::read::{Elements, Json};
use crate::json::JsonWriter;
use crate::limits::{
    MAX_ACTIONS_PER_RULE, MAX_CONDITION_DEPTH, MAX_RULES, MAX_RULES_DOCUMENT_BYTES, MAX_VARIANTS,
};
use crate::text::hex_value;

/// Whether the reader checks attribute names and values, styles and redirect targets itself:
/// not in the browser tracker, which checks them as it uses them (js/sanitize.js's
/// `attributeOk` and `styleOk`, the same rules; js/personalize.js's `redirectTarget`, which
/// follows only http(s), mailto and tel URLs as the browser resolves them), smaller there than
/// here. When false, the checks compile away.
const CHECKS_VALUES: bool = !cfg!(feature = "sanitize-in-browser");

/// The format's name and version, the array's first element.
pub const COMPILED_FORMAT: &str = "orbit-rules-compiled/2";

/// Why a text is not a compiled document the browser can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompiledError {
    /// A rule document as written (an object): compile it first.
    Source,
    /// A compiled document of another format version.
    Version,
    /// Not a compiled document, or damaged.
    Invalid,
}

/// Writes the compiled form of `rules`, with `<` escaped so that it can sit in an inline
/// `<script>` element as it is.
pub fn write_compiled(rules: &Rules) -> String {
    let mut w = JsonWriter::new();
    w.begin_array().string(COMPILED_FORMAT);
    w.opt_string(rules.revision.as_deref());
    match &rules.holdout {
        Some(h) => {
            float(&mut w, h.percent);
            w.string(&h.seed);
        }
        None => {
            w.raw("null");
        }
    }
    strings(&mut w, &rules.capture);
    strings(&mut w, &rules.groups);
    w.uint(rules.regexes.len() as u64);
    for r in &rules.regexes {
        w.string(&r.pattern).bool(r.ignore_case);
    }
    w.uint(rules.rules.len() as u64);
    for rule in &rules.rules {
        w.string(&rule.id)
            .uint(rule.position as u64)
            .bool(rule.enabled)
            .int(i64::from(rule.priority));
        match rule.group {
            Some(g) => w.uint(g as u64),
            None => w.raw("null"),
        };
        match &rule.conditions {
            Some(c) => condition(&mut w, c),
            None => {
                w.raw("null");
            }
        }
        actions(&mut w, &rule.actions);
        match &rule.experiment {
            Some(e) => {
                w.string(&e.id).string(&e.seed);
                float(&mut w, e.traffic_percent);
                float(&mut w, e.weight_sum);
                w.uint(e.variants.len() as u64);
                for v in &e.variants {
                    w.string(&v.id);
                    float(&mut w, v.weight);
                    float(&mut w, v.upper);
                    w.bool(v.control);
                    actions(&mut w, &v.actions);
                }
            }
            None => {
                w.raw("null");
            }
        }
    }
    w.end_array();
    w.finish().replace('<', "\\u003c")
}

fn strings(w: &mut JsonWriter, list: &[String]) {
    w.uint(list.len() as u64);
    for s in list {
        w.string(s);
    }
}

/// An `f64` as the 16 hex digits of its bits: exact both ways.
fn float(w: &mut JsonWriter, n: f64) {
    let bits = n.to_bits();
    let mut hex = String::with_capacity(16);
    for shift in (0..16).rev() {
        let digit = ((bits >> (shift * 4)) & 0xf) as u8;
        hex.push(char::from(if digit < 10 {
            b'0' + digit
        } else {
            b'a' + digit - 10
        }));
    }
    w.string(&hex);
}

fn condition(w: &mut JsonWriter, c: &Condition) {
    match c {
        Condition::All(children) | Condition::Any(children) => {
            w.uint(u64::from(matches!(c, Condition::Any(_))));
            w.uint(children.len() as u64);
            for child in children {
                condition(w, child);
            }
        }
        Condition::Not(inner) => {
            w.uint(2);
            condition(w, inner);
        }
        Condition::Leaf(leaf) => {
            w.uint(3)
                .uint(leaf.attr.id as u64)
                .string(&leaf.attr.member)
                .uint(leaf.op as u64)
                .bool(leaf.ignore_case);
            match &leaf.operand {
                Operand::None => {
                    w.uint(0);
                }
                Operand::Scalar(s) => {
                    w.uint(1);
                    scalar(w, s);
                }
                Operand::List(list) => {
                    w.uint(2).uint(list.len() as u64);
                    for s in list {
                        scalar(w, s);
                    }
                }
                Operand::Text(t) => {
                    w.uint(3).string(t);
                }
                Operand::Number(n) => {
                    w.uint(4);
                    float(w, *n);
                }
                Operand::Range(lo, hi) => {
                    w.uint(5);
                    float(w, *lo);
                    float(w, *hi);
                }
                Operand::Date(DateRef::Absolute(ms)) => {
                    w.uint(6).int(*ms);
                }
                Operand::Date(DateRef::Relative(ms)) => {
                    w.uint(7).int(*ms);
                }
                Operand::Regex(i) => {
                    w.uint(8).uint(*i as u64);
                }
            }
        }
    }
}

/// A constant: a string or a boolean as itself, a number as `null` and its bits.
fn scalar(w: &mut JsonWriter, s: &Scalar) {
    match s {
        Scalar::Text(t) => {
            w.string(t);
        }
        Scalar::Bool(b) => {
            w.bool(*b);
        }
        Scalar::Number(n) => {
            w.raw("null");
            float(w, *n);
        }
    }
}

fn actions(w: &mut JsonWriter, list: &[Action]) {
    w.uint(list.len() as u64);
    for action in list {
        let kind = match action {
            Action::SetText { .. } => 0,
            Action::SetHtml { .. } => 1,
            Action::SetAttribute { .. } => 2,
            Action::RemoveAttribute { .. } => 3,
            Action::AddClass { .. } => 4,
            Action::RemoveClass { .. } => 5,
            Action::SetStyle { .. } => 6,
            Action::Show { .. } => 7,
            Action::Hide { .. } => 8,
            Action::Insert { .. } => 9,
            Action::Redirect { .. } => 10,
        };
        w.uint(kind);
        if let Some(selector) = action.selector() {
            w.string(selector);
        }
        match action {
            Action::SetText { text, .. } => {
                w.string(text);
            }
            Action::SetHtml { html, .. } => {
                w.string(html.as_str());
            }
            Action::SetAttribute { name, value, .. } => {
                w.string(name).string(value);
            }
            Action::RemoveAttribute { name, .. } => {
                w.string(name);
            }
            Action::AddClass { classes, .. } | Action::RemoveClass { classes, .. } => {
                strings(w, classes);
            }
            Action::SetStyle {
                property,
                value,
                important,
                ..
            } => {
                w.string(property).string(value).bool(*important);
            }
            Action::Show { .. } | Action::Hide { .. } => {}
            Action::Insert { position, html, .. } => {
                w.uint(*position as u64).string(html.as_str());
            }
            Action::Redirect { url, keep_query } => {
                w.string(url).bool(*keep_query);
            }
        }
    }
}

/// Reads a compiled document (see the module's documentation).
pub fn read_compiled(text: &str) -> Result<Rules, CompiledError> {
    let Some(items) = Elements::new(text, MAX_RULES_DOCUMENT_BYTES) else {
        // A source document is an object.
        return Err(if text.trim_ascii_start().starts_with('{') {
            CompiledError::Source
        } else {
            CompiledError::Invalid
        });
    };
    let mut r = Reader { items };
    match r.items.next() {
        Json::String(format) if format == COMPILED_FORMAT => {}
        Json::String(format) if format.starts_with("orbit-rules-compiled/") => {
            return Err(CompiledError::Version)
        }
        _ => return Err(CompiledError::Invalid),
    }
    let rules = r.document();
    if !r.items.end() {
        // In the browser, what was read of a damaged document is forgotten, not dropped:
        // this is the only place the tracker would drop a document, so the document's drop
        // code stays out of the bundle (-0.3 KB gzip), and a damaged document is rare (a
        // page loads at most two, the inline or cached one and the fetched one).
        if cfg!(target_arch = "wasm32") {
            core::mem::forget(rules);
        }
        return Err(CompiledError::Invalid);
    }
    Ok(rules)
}

/// A walk along the array, element by element (no tree of the whole array is built). A
/// read that finds an element missing or of another kind marks the document bad and gives
/// a default: values are always built whole, and the document is refused at the end (a
/// smaller bundle than returning early from every read).
struct Reader<'t> {
    items: Elements<'t>,
}

impl Reader<'_> {
    /// The next element; `null` (and the document bad) when there is none.
    fn next(&mut self) -> Json {
        self.items.next()
    }

    /// Marks the document bad unless `ok`.
    fn check(&mut self, ok: bool) {
        self.items.bad |= !ok;
    }

    /// Whether the next element is `null`, consumed if so.
    fn null(&mut self) -> bool {
        self.items.null()
    }

    fn string(&mut self) -> String {
        match self.next() {
            Json::String(s) => s,
            _ => {
                self.items.bad = true;
                String::new()
            }
        }
    }

    fn flag(&mut self) -> bool {
        let b = self.next().as_bool();
        self.check(b.is_some());
        b.unwrap_or_default()
    }

    fn int(&mut self) -> i64 {
        let n = self.next().as_f64().unwrap_or(0.5);
        let i = n as i64;
        self.check(i as f64 == n && i.unsigned_abs() < 1 << 53);
        i
    }

    /// A count or index, at most `max`.
    fn index(&mut self, max: usize) -> usize {
        let n = usize::try_from(self.int()).unwrap_or(usize::MAX);
        self.check(n <= max);
        if self.items.bad {
            0
        } else {
            n
        }
    }

    fn float(&mut self) -> f64 {
        let hex = self.string();
        let mut bits = 0u64;
        let mut ok = hex.len() == 16;
        for c in hex.bytes() {
            let digit = hex_value(c);
            ok &= digit.is_some();
            bits = bits << 4 | u64::from(digit.unwrap_or_default());
        }
        let n = f64::from_bits(bits);
        self.check(ok && n.is_finite());
        n
    }

    /// A count, then that many elements read by `read` (none once the document is bad; each
    /// read takes at least one element, so a damaged count cannot make the list larger than
    /// the document).
    fn list<T>(&mut self, max: usize, mut read: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let n = self.index(max);
        let mut out = Vec::new();
        for _ in 0..n {
            if self.items.bad {
                break;
            }
            out.push(read(self));
        }
        out
    }

    fn strings(&mut self) -> Vec<String> {
        self.list(usize::MAX, Self::string)
    }

    fn document(&mut self) -> Rules {
        let revision = (!self.null()).then(|| self.string());
        let holdout = (!self.null()).then(|| Holdout {
            percent: self.float(),
            seed: self.string(),
        });
        let capture = self.strings();
        let groups = self.strings();
        let regexes = self.list(usize::MAX, |r| RegexSource {
            pattern: r.string(),
            ignore_case: r.flag(),
        });
        let rules = self.list(MAX_RULES, |r| r.rule(&groups, regexes.len()));
        Rules {
            revision,
            holdout,
            capture,
            rules,
            groups,
            regexes,
        }
    }

    fn rule(&mut self, groups: &[String], regexes: usize) -> Rule {
        let id = self.string();
        let position = self.index(MAX_RULES);
        let enabled = self.flag();
        let priority = self.int() as i32;
        let group = (!self.null()).then(|| self.index(groups.len().wrapping_sub(1)));
        let conditions = (!self.null()).then(|| self.condition(regexes, MAX_CONDITION_DEPTH));
        let actions = self.actions();
        let experiment = (!self.null()).then(|| Experiment {
            id: self.string(),
            seed: self.string(),
            traffic_percent: self.float(),
            weight_sum: self.float(),
            variants: self.list(MAX_VARIANTS, |r| Variant {
                id: r.string(),
                weight: r.float(),
                upper: r.float(),
                control: r.flag(),
                actions: r.actions(),
            }),
        });
        Rule {
            id,
            position,
            enabled,
            priority,
            group_name: group.and_then(|g| groups.get(g)).cloned(),
            group,
            conditions,
            actions,
            experiment,
        }
    }

    fn condition(&mut self, regexes: usize, depth: usize) -> Condition {
        self.check(depth > 0);
        let depth = depth.saturating_sub(1);
        match self.index(3) {
            _ if self.items.bad => Condition::All(Vec::new()),
            kind @ (0 | 1) => {
                let children = self.list(usize::MAX, |r| r.condition(regexes, depth));
                if kind == 0 {
                    Condition::All(children)
                } else {
                    Condition::Any(children)
                }
            }
            2 => Condition::Not(Box::new(self.condition(regexes, depth))),
            _ => {
                let id = AttrId::from_index(self.index(usize::MAX));
                let member = self.string();
                let op = Op::from_index(self.index(usize::MAX));
                // A map attribute needs a member name, and only a map attribute has one.
                self.check(id.is_some_and(|id| id.is_map() != member.is_empty()) && op.is_some());
                let ignore_case = self.flag();
                let operand = match self.index(8) {
                    0 => Operand::None,
                    1 => Operand::Scalar(self.scalar()),
                    2 => Operand::List(self.list(usize::MAX, Self::scalar)),
                    3 => Operand::Text(self.string()),
                    4 => Operand::Number(self.float()),
                    5 => Operand::Range(self.float(), self.float()),
                    6 => Operand::Date(DateRef::Absolute(self.int())),
                    7 => Operand::Date(DateRef::Relative(self.int())),
                    _ => Operand::Regex(self.index(regexes.wrapping_sub(1))),
                };
                Condition::Leaf(Leaf {
                    attr: Attr {
                        id: id.unwrap_or(AttrId::Url),
                        member,
                    },
                    op: op.unwrap_or(Op::Exists),
                    ignore_case,
                    operand,
                })
            }
        }
    }

    fn scalar(&mut self) -> Scalar {
        match self.next() {
            Json::Null => Scalar::Number(self.float()),
            Json::Bool(b) => Scalar::Bool(b),
            Json::String(s) => Scalar::Text(s),
            _ => {
                self.items.bad = true;
                Scalar::Bool(false)
            }
        }
    }

    /// The HTML of `set_html` or `insert`, sanitised.
    #[cfg(not(feature = "sanitize-in-browser"))]
    fn html(&mut self) -> ActionHtml {
        sanitize_html(&self.string())
    }

    /// The HTML of `set_html` or `insert`, left for the browser tracker to sanitise as it
    /// inserts it ([`ActionHtml`]).
    #[cfg(feature = "sanitize-in-browser")]
    fn html(&mut self) -> ActionHtml {
        ActionHtml::from(self.string())
    }

    fn actions(&mut self) -> Vec<Action> {
        self.list(MAX_ACTIONS_PER_RULE, Self::action)
    }

    /// One action, checked as the parser checks it: what the browser must never trust.
    fn action(&mut self) -> Action {
        let kind = self.index(10);
        if kind == 10 {
            let url = self.string();
            self.check(!CHECKS_VALUES || is_safe_url(&url));
            return Action::Redirect {
                url,
                keep_query: self.flag(),
            };
        }
        let selector = self.string();
        match kind {
            0 => Action::SetText {
                selector,
                text: self.string(),
            },
            1 => Action::SetHtml {
                selector,
                html: self.html(),
            },
            2 => {
                let name = self.string();
                let value = self.string();
                self.check(!CHECKS_VALUES || attribute_problem(&name, &value).is_none());
                Action::SetAttribute {
                    selector,
                    name,
                    value,
                }
            }
            3 => {
                let name = self.string();
                self.check(!CHECKS_VALUES || is_attribute_name(&name));
                Action::RemoveAttribute { selector, name }
            }
            4 => Action::AddClass {
                selector,
                classes: self.strings(),
            },
            5 => Action::RemoveClass {
                selector,
                classes: self.strings(),
            },
            6 => {
                let property = self.string();
                let value = self.string();
                self.check(!CHECKS_VALUES || style_problem(&property, &value).is_none());
                Action::SetStyle {
                    selector,
                    property,
                    value,
                    important: self.flag(),
                }
            }
            7 => Action::Show { selector },
            8 => Action::Hide { selector },
            _ => Action::Insert {
                selector,
                position: match self.index(3) {
                    0 => InsertPosition::Before,
                    1 => InsertPosition::After,
                    2 => InsertPosition::Prepend,
                    _ => InsertPosition::Append,
                },
                html: self.html(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_rules;

    fn compile(source: &str) -> String {
        write_compiled(&parse_rules(source).expect("the source parses"))
    }

    #[test]
    fn a_document_means_the_same_after_compiling() {
        let source = r#"{"revision":"r7","holdout":{"percent":5,"seed":"h"},"capture":["email"],
            "rules":[
              {"id":"a","priority":3,"group":"hero","conditions":{"all":[
                 {"attribute":"query.ref","op":"in","value":["x",2,true]},
                 {"not":{"attribute":"path","op":"regex","value":"^/b","ignore_case":true}},
                 {"any":[{"attribute":"visit_count","op":"between","value":[0.1,1e300]},
                         {"attribute":"first_touch.utm_campaign","op":"exists"}]}]},
               "actions":[{"type":"insert","selector":"h1","position":"prepend","html":"<b>hi</b>"},
                          {"type":"set_style","selector":"p","property":"color","value":"red","important":true},
                          {"type":"add_class","selector":"p","class":"x y"}]},
              {"id":"b","enabled":false,"experiment":{"id":"e","traffic_percent":33.3,"variants":[
                 {"id":"c","control":true},{"id":"t","actions":[{"type":"redirect","url":"/t","keep_query":false}]},
                 {"id":"u","actions":[{"type":"set_attribute","selector":"a","name":"href","value":"https://x.test/"}]}]}}]}"#;
        let rules = parse_rules(source).unwrap();
        let compiled = write_compiled(&rules);
        assert!(
            compiled.starts_with("[\"orbit-rules-compiled/2\",\"r7\""),
            "{compiled}"
        );
        assert_eq!(read_compiled(&compiled), Ok(rules));
        // Weights of a three-way split are not short decimals: their bits travel.
        let exp = read_compiled(&compiled).unwrap().rules()[1]
            .experiment()
            .cloned()
            .unwrap();
        assert_eq!(exp.variants()[0].weight(), 1.0 / 3.0);
    }

    #[test]
    fn the_text_can_sit_in_a_script_element() {
        let compiled = compile(
            r#"{"rules":[{"id":"a","actions":[{"type":"set_text","selector":"h1","text":"</script><script>x()</script>"}]}]}"#,
        );
        assert!(!compiled.contains('<'), "{compiled}");
        let rules = read_compiled(&compiled).unwrap();
        assert!(
            matches!(&rules.rules()[0].actions()[0], Action::SetText { text, .. } if text.starts_with("</script>"))
        );
    }

    #[test]
    fn other_texts_are_told_apart() {
        assert_eq!(read_compiled(r#"{"rules":[]}"#), Err(CompiledError::Source));
        let source =
            r#" {"rules":[{"id":"a","conditions":{"all":[{"attribute":"url","op":"exists"}]}}]}"#;
        assert_eq!(read_compiled(source), Err(CompiledError::Source));
        assert_eq!(
            read_compiled(r#"["orbit-rules-compiled/9",null]"#),
            Err(CompiledError::Version)
        );
        for bad in [
            "",
            "[",
            "42",
            "[]",
            r#"["other"]"#,
            r#"["orbit-rules-compiled/2"]"#,
        ] {
            assert_eq!(read_compiled(bad), Err(CompiledError::Invalid), "{bad}");
        }
        let good = compile(r#"{"rules":[{"id":"a","actions":[{"type":"hide","selector":"p"}]}]}"#);
        assert!(read_compiled(&good).is_ok());
        // Cut short, or with something after the end.
        let cut = good.replacen(",8,\"p\",null]", ",8,\"p\"]", 1);
        assert_eq!(read_compiled(&cut), Err(CompiledError::Invalid), "{cut}");
        let longer = good.replacen("]", ",1]", 1);
        assert_eq!(
            read_compiled(&longer),
            Err(CompiledError::Invalid),
            "{longer}"
        );
        // Elements are read one by one, and the array must still be JSON: commas between
        // them, no value that nests, nothing after the end.
        let hide = ",8,\"p\",null]";
        assert!(good.contains(hide), "{good}");
        for damaged in [
            ",8 \"p\",null]",
            ",8,\"p\",null,]",
            ",8,[\"p\"],null]",
            ",8,{\"p\":1},null]",
            ",8,\"p\",null] x",
            ",8,\"p\",null]]",
        ] {
            let damaged = good.replacen(hide, damaged, 1);
            assert_eq!(
                read_compiled(&damaged),
                Err(CompiledError::Invalid),
                "{damaged}"
            );
        }
        let spaced = good.replacen(hide, " , 8 ,\n\"p\" , null ] ", 1);
        assert!(read_compiled(&spaced).is_ok(), "{spaced}");
    }

    #[test]
    fn what_the_browser_must_never_trust_is_checked_again() {
        let good = compile(
            r#"{"rules":[{"id":"a","actions":[{"type":"set_html","selector":"p","html":"<i>ok</i>"}]}]}"#,
        );
        let html = good.replace(
            "\\u003ci>ok\\u003c/i>",
            "\\u003cimg src=x onerror=alert(1)>\\u003cscript>alert(2)\\u003c/script>",
        );
        assert_ne!(html, good);
        let rules = read_compiled(&html).unwrap();
        let Action::SetHtml { html, .. } = &rules.rules()[0].actions()[0] else {
            panic!("{rules:?}")
        };
        assert!(
            !html.as_str().contains("onerror") && !html.as_str().contains("script"),
            "{html:?}"
        );

        let link = compile(
            r#"{"rules":[{"id":"a","actions":[{"type":"set_attribute","selector":"a","name":"href","value":"/ok"}]}]}"#,
        );
        assert!(read_compiled(&link).is_ok());
        let script_url = link.replace("\"/ok\"", "\"javascript:alert(1)\"");
        assert_eq!(read_compiled(&script_url), Err(CompiledError::Invalid));
        let handler = link.replace("\"href\"", "\"onclick\"");
        assert_eq!(read_compiled(&handler), Err(CompiledError::Invalid));

        let redirect =
            compile(r#"{"rules":[{"id":"a","actions":[{"type":"redirect","url":"/b"}]}]}"#);
        assert!(read_compiled(&redirect).is_ok());
        let redirect = redirect.replace("\"/b\"", "\"javascript:alert(1)\"");
        assert_eq!(read_compiled(&redirect), Err(CompiledError::Invalid));

        let style = compile(
            r#"{"rules":[{"id":"a","actions":[{"type":"set_style","selector":"p","property":"color","value":"red"}]}]}"#,
        );
        assert!(read_compiled(&style).is_ok());
        let style = style.replace("\"red\"", "\"expression(alert(1))\"");
        assert_eq!(read_compiled(&style), Err(CompiledError::Invalid));
    }

    #[test]
    fn attributes_travel_as_ids_with_their_member() {
        let good = compile(
            r#"{"rules":[{"id":"a","conditions":{"attribute":"traits.plan","op":"exists"}}]}"#,
        );
        // `traits.NAME` is attribute 36; its member is the rest of the name.
        assert!(good.contains(r#",3,36,"plan","#), "{good}");
        assert!(read_compiled(&good).is_ok());
        // A map attribute without a member, a plain one with a member, or an id past the
        // list: damaged.
        for bad in [r#",3,36,"","#, r#",3,0,"plan","#, r#",3,41,"plan","#] {
            let damaged = good.replacen(r#",3,36,"plan","#, bad, 1);
            assert_eq!(
                read_compiled(&damaged),
                Err(CompiledError::Invalid),
                "{damaged}"
            );
        }
    }

    #[test]
    fn nesting_and_counts_are_bounded() {
        // MAX_CONDITION_DEPTH `not`s around a leaf read; one more does not.
        let leaf = r#"3,0,"",17,false,0"#;
        let doc = |nots: usize| {
            let conds = "2,".repeat(nots);
            alloc::format!(
                r#"["orbit-rules-compiled/2",null,null,0,0,0,1,"a",0,true,0,null,{conds}{leaf},0,null]"#
            )
        };
        assert!(read_compiled(&doc(MAX_CONDITION_DEPTH - 1)).is_ok());
        assert_eq!(
            read_compiled(&doc(MAX_CONDITION_DEPTH)),
            Err(CompiledError::Invalid)
        );
        // A count larger than what follows fails without allocating for it.
        let huge = r#"["orbit-rules-compiled/2",null,null,4000000000,"x"]"#;
        assert_eq!(read_compiled(huge), Err(CompiledError::Invalid));
        let too_many_rules = r#"["orbit-rules-compiled/2",null,null,0,0,0,1001]"#;
        assert_eq!(read_compiled(too_many_rules), Err(CompiledError::Invalid));
    }
}
