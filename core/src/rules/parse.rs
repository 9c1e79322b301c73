//! Reading a rule document: JSON text → checked, precompiled [`Rules`].
//!
//! Everything is validated here, once: unknown fields, attributes, operators and action types
//! are errors (a typo must not silently do nothing), ids, numbers and sizes are checked
//! against [`crate::limits`], HTML is sanitised, URLs and styles are checked, regex patterns
//! are collected so each compiles once. The walk goes on after a problem so lint can list
//! them all; the browser only needs the first. The code is written for size (it ships in the
//! browser bundle): one small reader per kind of field instead of closures per call site.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

use super::attribute::{Attr, ATTRIBUTE_LIST};
use super::condition::parse_date_ref;
use super::document::{
    Action, Condition, DateRef, Experiment, Holdout, InsertPosition, Leaf, Op, Operand,
    RegexSource, Rule, Rules, Scalar, Variant, OPERATOR_LIST,
};
use super::error::{Problems, RulesError};
use super::sanitize::sanitize_action_html;
use super::url::{attribute_problem, is_attribute_name, is_safe_url, style_problem};
use crate::json::read::{read_json, Json, ReadError};
use crate::limits::{
    MAX_ACTIONS_PER_RULE, MAX_ACTION_VALUE_BYTES, MAX_CAPTURE_FIELDS, MAX_CAPTURE_FIELD_BYTES,
    MAX_CONDITIONS_PER_RULE, MAX_CONDITION_DEPTH, MAX_REGEX_PATTERN_BYTES, MAX_RULES,
    MAX_RULES_DOCUMENT_BYTES, MAX_RULES_JSON_DEPTH, MAX_RULE_ID_BYTES, MAX_SELECTOR_BYTES,
    MAX_VALUES_PER_CONDITION, MAX_VARIANTS,
};

/// The language version this reader knows (`"version": 1`).
pub const LANGUAGE_VERSION: u32 = 1;

/// Default seed of the site-wide holdout.
pub const DEFAULT_HOLDOUT_SEED: &str = "orbit-holdout";

// Lists of names are words separated by single spaces rather than slices of `&str` (a slice
// costs a pointer and a length per name in the browser bundle); they are what
// [`RulesError::expected`] shows.
const TOP_KEYS: &str = "$schema version hash_version revision description holdout capture rules";
const HOLDOUT_KEYS: &str = "percent seed";
const RULE_KEYS: &str = "id name description enabled priority group conditions actions experiment";
const CONDITION_KEYS: &str = "all any not attribute op value ignore_case description";
const EXPERIMENT_KEYS: &str = "id name description seed traffic_percent variants";
const VARIANT_KEYS: &str = "id name description weight control actions";
/// The action types (docs/rules.md, same order).
pub const ACTION_TYPES: &[&str] = &[
    "set_text",
    "set_html",
    "set_attribute",
    "remove_attribute",
    "add_class",
    "remove_class",
    "set_style",
    "show",
    "hide",
    "insert",
    "redirect",
];
/// [`ACTION_TYPES`] as words.
const ACTION_TYPE_LIST: &str = "set_text set_html set_attribute remove_attribute add_class \
remove_class set_style show hide insert redirect";
const INSERT_POSITIONS: &str = "before after prepend append";

/// Extremes of `priority`: plenty of room, and small enough to print and compare safely.
const MAX_PRIORITY: f64 = 1_000_000.0;

const ID_RULE: &str = "an id is 1 to 64 letters, digits, '-', '_' or '.'";

/// Parses and checks a rule document. The error is the first problem found;
/// [`lint`](super::lint::lint) lists them all.
pub fn parse_rules(text: &str) -> Result<Rules, RulesError> {
    let parsed = parse_collecting(text);
    match parsed.errors.into_iter().next() {
        Some(err) => Err(err),
        None => Ok(parsed.rules),
    }
}

/// A document parsed as far as possible: parts with problems are left out.
pub(crate) struct Parsed {
    pub(crate) rules: Rules,
    pub(crate) errors: Vec<RulesError>,
    /// The JSON tree, when the text was JSON.
    pub(crate) json: Option<Json>,
}

/// Parses, collecting every problem instead of stopping at the first.
pub(crate) fn parse_collecting(text: &str) -> Parsed {
    let json = match read_json(text, MAX_RULES_DOCUMENT_BYTES, MAX_RULES_JSON_DEPTH) {
        Ok(json) => json,
        Err(e) => {
            return Parsed {
                rules: finish(None, None, Vec::new(), Vec::new(), Vec::new()),
                errors: alloc::vec![syntax_error(text, &e)],
                json: None,
            }
        }
    };
    let (rules, errors) = {
        let mut parser = Parser {
            p: Problems::new(),
            groups: Vec::new(),
            regexes: Vec::new(),
            json: PhantomData,
        };
        let (revision, holdout, capture, rules) = parser.document(&json);
        let mut rules = finish(revision, holdout, rules, parser.groups, parser.regexes);
        rules.capture = capture;
        (rules, parser.p.errors)
    };
    Parsed {
        rules,
        errors,
        json: Some(json),
    }
}

/// A [`RulesError`] for text that is not JSON: the path is the line and column.
pub(crate) fn syntax_error(text: &str, e: &ReadError) -> RulesError {
    let (line, column) = e.line_column(text);
    let mut path = String::from("line ");
    crate::json::push_u64(&mut path, line as u64);
    path.push_str(", column ");
    crate::json::push_u64(&mut path, column as u64);
    RulesError {
        path,
        message: if e.problem == crate::json::read::Problem::TooLarge {
            "the document is larger than the limit (512 KB)"
        } else {
            e.reason()
        },
        found: None,
        expected: "",
    }
}

fn finish(
    revision: Option<String>,
    holdout: Option<Holdout>,
    mut rules: Vec<Rule>,
    groups: Vec<String>,
    regexes: Vec<RegexSource>,
) -> Rules {
    // Insertion sort, stable (equal priorities keep document order): a library sort costs
    // ~3 KB in the browser bundle, and documents are small and usually already in order.
    for i in 1..rules.len() {
        let mut j = i;
        while j > 0 && rules.get(j - 1).map(|r| r.priority) < rules.get(j).map(|r| r.priority) {
            rules.swap(j - 1, j);
            j -= 1;
        }
    }
    Rules {
        revision,
        holdout,
        capture: Vec::new(),
        rules,
        groups,
        regexes,
    }
}

type Members<'j> = &'j [(String, Json)];

fn member<'j>(members: Members<'j>, key: &str) -> Option<&'j Json> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Whether `s` is an id: 1–64 ASCII letters, digits, `-`, `_` or `.` (ids travel in URLs,
/// `?orbit_preview=` lists and events; `:` and `,` separate them there).
pub(crate) fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_RULE_ID_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The walk: problems with their paths, and the interned groups and regexes.
struct Parser<'j> {
    p: Problems,
    groups: Vec<String>,
    regexes: Vec<RegexSource>,
    /// The JSON tree the walk borrows its text from.
    json: PhantomData<&'j Json>,
}

/// The variants of an experiment and the sum of their weights as written.
type ParsedVariants = (Vec<Variant>, f64);

impl<'j> Parser<'j> {
    // Field readers: each reports its own problem, at the field's path.

    fn object(
        &mut self,
        json: &'j Json,
        allowed: &'static str,
        what: &'static str,
    ) -> Option<Members<'j>> {
        let Some(members) = json.as_object() else {
            return self.p.fail(what);
        };
        for (key, _) in members {
            if super::word_index(allowed, key.as_bytes()).is_none() {
                self.p.report_at(key, "unknown field", Some(key), allowed);
            }
        }
        Some(members)
    }

    fn field(&mut self, m: Members<'j>, key: &'static str, required: bool) -> Option<&'j Json> {
        let found = member(m, key);
        if found.is_none() && required {
            self.p.report("missing field", Some(key), "");
        }
        found
    }

    /// [`field`](Self::field), and when it is there, one step deeper in the path: the caller
    /// comes back up with `self.p.leave()`.
    #[inline(never)]
    fn enter(&mut self, m: Members<'j>, key: &'static str, required: bool) -> Option<&'j Json> {
        let found = self.field(m, key, required)?;
        self.p.enter(key);
        Some(found)
    }

    /// A string at the current path, borrowed from the JSON tree: only what goes into the
    /// document is copied, once it is known to be good (fewer copies to drop on every
    /// early return: a smaller bundle).
    fn string(&mut self, v: &'j Json, max_bytes: usize) -> Option<&'j str> {
        match v.as_str() {
            Some(s) if s.len() <= max_bytes => Some(s),
            Some(_) => self.p.fail("text longer than the limit"),
            None => self.p.fail("expected a string"),
        }
    }

    fn text(
        &mut self,
        m: Members<'j>,
        key: &'static str,
        required: bool,
        max_bytes: usize,
    ) -> Option<&'j str> {
        let v = self.enter(m, key, required)?;
        let s = self.string(v, max_bytes);
        self.p.leave();
        s
    }

    /// The free-text `name` and `description` (two calls rather than a table of the keys).
    fn notes(&mut self, m: Members<'j>) {
        self.text(m, "name", false, usize::MAX);
        self.text(m, "description", false, usize::MAX);
    }

    fn flag(&mut self, m: Members<'j>, key: &'static str, default: bool) -> bool {
        let Some(v) = self.field(m, key, false) else {
            return default;
        };
        v.as_bool().unwrap_or_else(|| {
            self.p.bad(key, "expected true or false");
            default
        })
    }

    fn id(&mut self, m: Members<'j>, key: &'static str, required: bool) -> Option<&'j str> {
        let s = self.text(m, key, required, usize::MAX)?;
        if is_id(s) {
            return Some(s);
        }
        self.p.report_at(key, ID_RULE, Some(s), "");
        None
    }

    /// A percentage; `default` when absent (absent and no default is an error).
    fn percent(&mut self, m: Members<'j>, key: &'static str, default: Option<f64>) -> Option<f64> {
        let Some(v) = self.field(m, key, default.is_none()) else {
            return default;
        };
        match v.as_f64() {
            Some(n) if (0.0..=100.0).contains(&n) => Some(n),
            _ => {
                self.p.bad(key, "expected a percentage from 0 to 100");
                None
            }
        }
    }

    fn seed(&mut self, m: Members<'j>, key: &'static str) -> Option<&'j str> {
        let s = self.text(m, key, false, 256)?;
        if s.is_empty() {
            self.p.bad(key, "empty seed");
            return None;
        }
        Some(s)
    }

    /// The elements of an array at the current path, at most `max`.
    fn array(
        &mut self,
        v: &'j Json,
        max: usize,
        what: &'static str,
        too_many: &'static str,
    ) -> Option<&'j [Json]> {
        let Some(items) = v.as_array() else {
            return self.p.fail(what);
        };
        if items.len() > max {
            return self.p.fail(too_many);
        }
        Some(items)
    }

    // The document.

    #[allow(clippy::type_complexity)]
    fn document(
        &mut self,
        json: &'j Json,
    ) -> (Option<String>, Option<Holdout>, Vec<String>, Vec<Rule>) {
        let Some(m) = self.object(json, TOP_KEYS, "expected a rule document object") else {
            return (None, None, Vec::new(), Vec::new());
        };
        self.version(
            m,
            "version",
            "unsupported language version; this reader knows version 1",
        );
        self.version(
            m,
            "hash_version",
            "unsupported hash_version; this reader knows hash version 1",
        );
        self.text(m, "$schema", false, usize::MAX);
        self.text(m, "description", false, usize::MAX);
        let revision = self.field(m, "revision", false).and_then(|v| match v {
            Json::String(s) if s.len() <= MAX_RULE_ID_BYTES => Some(s.clone()),
            Json::Number(n) if *n >= 0.0 && *n <= 9e15 && *n == (*n as u64) as f64 => {
                let mut s = String::new();
                crate::json::push_u64(&mut s, *n as u64);
                Some(s)
            }
            _ => {
                self.p
                    .bad("revision", "expected a short string or a whole number");
                None
            }
        });
        let holdout = self.enter(m, "holdout", false).and_then(|v| {
            let h = self.holdout(v);
            self.p.leave();
            h
        });
        let capture = self.enter(m, "capture", false).map_or_else(Vec::new, |v| {
            let items = self.array(
                v,
                MAX_CAPTURE_FIELDS,
                "expected an array of form field names",
                "more field names than the limit (100)",
            );
            let mut names = Vec::new();
            for (i, item) in items.unwrap_or(&[]).iter().enumerate() {
                self.p.enter_index(i);
                if let Some(name) = self.string(item, MAX_CAPTURE_FIELD_BYTES) {
                    names.push(String::from(name));
                }
                self.p.leave();
            }
            self.p.leave();
            names
        });
        let mut rules = Vec::new();
        if let Some(v) = self.enter(m, "rules", true) {
            let items = self.array(
                v,
                MAX_RULES,
                "expected an array of rules",
                "more rules than the limit (1000)",
            );
            for (i, item) in items.unwrap_or(&[]).iter().enumerate() {
                self.p.enter_index(i);
                if let Some(rule) = self.rule(item, i) {
                    rules.push(rule);
                }
                self.p.leave();
            }
            self.p.leave();
        }
        (revision, holdout, capture, rules)
    }

    fn version(&mut self, m: Members<'j>, key: &'static str, message: &'static str) {
        if let Some(v) = self.field(m, key, false) {
            if v.as_f64() != Some(1.0) {
                self.p.bad(key, message);
            }
        }
    }

    fn holdout(&mut self, json: &'j Json) -> Option<Holdout> {
        let m = self.object(json, HOLDOUT_KEYS, "expected an object")?;
        let percent = self.percent(m, "percent", None);
        let seed = match self.field(m, "seed", false) {
            Some(_) => self.seed(m, "seed")?,
            None => DEFAULT_HOLDOUT_SEED,
        };
        Some(Holdout {
            percent: percent?,
            seed: String::from(seed),
        })
    }

    fn rule(&mut self, json: &'j Json, position: usize) -> Option<Rule> {
        let before = self.p.count();
        let m = self.object(json, RULE_KEYS, "expected a rule object")?;
        let id = self.id(m, "id", true);
        self.notes(m);
        let enabled = self.flag(m, "enabled", true);
        let priority = match self.field(m, "priority", false).map(Json::as_f64) {
            None => 0,
            Some(Some(n)) if n.abs() <= MAX_PRIORITY && n == (n as i32) as f64 => n as i32,
            Some(_) => {
                self.p.bad(
                    "priority",
                    "expected a whole number from -1000000 to 1000000",
                );
                0
            }
        };
        let group_name = self.id(m, "group", false);
        let group = group_name.map(|g| self.group(g));
        let conditions = self.enter(m, "conditions", false).and_then(|v| {
            let mut nodes = 0;
            let c = self.condition(v, 1, &mut nodes);
            self.p.leave();
            c
        });
        let actions = self.actions_field(m);
        let experiment = self.enter(m, "experiment", false).and_then(|v| {
            let e = self.experiment(v);
            self.p.leave();
            e
        });
        if experiment.is_some() && !actions.is_empty() {
            self.p.bad(
                "actions",
                "a rule with an experiment has its actions in the variants; remove these",
            );
        }
        if self.p.count() > before {
            return None;
        }
        Some(Rule {
            id: String::from(id?),
            position,
            enabled,
            priority,
            group,
            group_name: group_name.map(String::from),
            conditions,
            actions,
            experiment,
        })
    }

    fn group(&mut self, name: &str) -> usize {
        match self.groups.iter().position(|g| g == name) {
            Some(i) => i,
            None => {
                self.groups.push(String::from(name));
                self.groups.len() - 1
            }
        }
    }

    fn regex(&mut self, pattern: &str, ignore_case: bool) -> usize {
        let found = self
            .regexes
            .iter()
            .position(|r| r.pattern == pattern && r.ignore_case == ignore_case);
        found.unwrap_or_else(|| {
            self.regexes.push(RegexSource {
                pattern: String::from(pattern),
                ignore_case,
            });
            self.regexes.len() - 1
        })
    }

    // Conditions.

    /// A condition; `nodes` counts every condition of the rule (leaves and all / any / not).
    fn condition(&mut self, json: &'j Json, depth: usize, nodes: &mut usize) -> Option<Condition> {
        let m = self.object(json, CONDITION_KEYS, "expected a condition object")?;
        if depth > MAX_CONDITION_DEPTH {
            return self.p.fail("conditions nested deeper than the limit (10)");
        }
        *nodes += 1;
        if *nodes == MAX_CONDITIONS_PER_RULE + 1 {
            self.p
                .report("more conditions in one rule than the limit (100)", None, "");
        }
        self.text(m, "description", false, usize::MAX);
        let all = member(m, "all");
        let any = member(m, "any");
        let not = member(m, "not");
        let is_leaf = member(m, "attribute").is_some()
            || member(m, "op").is_some()
            || member(m, "value").is_some()
            || member(m, "ignore_case").is_some();
        let compound =
            usize::from(all.is_some()) + usize::from(any.is_some()) + usize::from(not.is_some());
        if compound + usize::from(is_leaf) != 1 {
            return self
                .p
                .fail("a condition is either one of all / any / not, or attribute / op / value");
        }
        if is_leaf {
            return self.leaf(m).map(Condition::Leaf);
        }
        if let Some(inner) = not {
            self.p.enter("not");
            let c = self.condition(inner, depth + 1, nodes);
            self.p.leave();
            return c.map(|c| Condition::Not(Box::new(c)));
        }
        let is_all = all.is_some();
        let list = all.or(any)?;
        self.p.enter(if is_all { "all" } else { "any" });
        let before = self.p.count();
        let items = self.array(
            list,
            MAX_CONDITIONS_PER_RULE,
            "expected an array of conditions",
            "more conditions in one rule than the limit (100)",
        );
        let mut children = Vec::new();
        for (i, item) in items.unwrap_or(&[]).iter().enumerate() {
            self.p.enter_index(i);
            if let Some(c) = self.condition(item, depth + 1, nodes) {
                children.push(c);
            }
            self.p.leave();
        }
        self.p.leave();
        if self.p.count() > before {
            return None;
        }
        Some(if is_all {
            Condition::All(children)
        } else {
            Condition::Any(children)
        })
    }

    fn leaf(&mut self, m: Members<'j>) -> Option<Leaf> {
        let before = self.p.count();
        let attr_name = self.text(m, "attribute", true, 256);
        let attr = attr_name.and_then(|name| {
            let attr = Attr::from_name(name);
            if attr.is_none() {
                self.p
                    .report_at("attribute", "unknown attribute", Some(name), ATTRIBUTE_LIST);
            }
            attr
        });
        let op = self.text(m, "op", true, 64).and_then(|name| {
            let op = Op::from_name(name);
            if op.is_none() {
                self.p
                    .report_at("op", "unknown operator", Some(name), OPERATOR_LIST);
            }
            op
        });
        let ignore_case = self.flag(m, "ignore_case", false);
        if ignore_case && op.is_some_and(|op| !op.compares_text()) {
            self.p.bad(
                "ignore_case",
                "ignore_case applies only to operators that compare text",
            );
        }
        let operand = op.and_then(|op| match member(m, "value") {
            None if matches!(op, Op::Exists | Op::Missing) => Some(Operand::None),
            None => {
                self.p.report("missing field", Some("value"), "");
                None
            }
            Some(v) => {
                self.p.enter("value");
                let operand = self.operand(op, v, ignore_case);
                self.p.leave();
                operand
            }
        });
        if self.p.count() > before {
            return None;
        }
        Some(Leaf {
            attr: attr?,
            op: op?,
            ignore_case,
            operand: operand?,
        })
    }

    /// The value of a condition, in the form its operator needs (at the value's path).
    fn operand(&mut self, op: Op, value: &'j Json, ignore_case: bool) -> Option<Operand> {
        match op.positive().0 {
            Op::Equals => self.scalar(value, ignore_case).map(Operand::Scalar),
            Op::In => {
                let items = self.array(
                    value,
                    MAX_VALUES_PER_CONDITION,
                    "expected an array of strings, numbers or booleans",
                    "more values than the limit (1000)",
                )?;
                let mut list = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    self.p.enter_index(i);
                    let s = self.scalar(item, ignore_case);
                    self.p.leave();
                    list.push(s?);
                }
                Some(Operand::List(list))
            }
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let mut s = String::from(self.string(value, usize::MAX)?);
                if ignore_case {
                    s.make_ascii_lowercase();
                }
                Some(Operand::Text(s))
            }
            Op::Regex => {
                let pattern = self.string(value, MAX_REGEX_PATTERN_BYTES);
                if pattern.is_none() && value.as_str().is_some() {
                    // `string` said "text longer than the limit"; name the limit.
                    self.p.errors.pop();
                    return self.p.fail("regex longer than the limit (512 bytes)");
                }
                Some(Operand::Regex(self.regex(pattern?, ignore_case)))
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => match value.as_f64() {
                Some(n) => Some(Operand::Number(n)),
                None => self.p.fail("expected a number"),
            },
            Op::Between => match value.as_array() {
                Some([Json::Number(lo), Json::Number(hi)]) if lo <= hi => {
                    Some(Operand::Range(*lo, *hi))
                }
                _ => self
                    .p
                    .fail("expected [low, high], two numbers with low <= high"),
            },
            Op::Before | Op::After => {
                let date = match value {
                    Json::String(s) => parse_date_ref(s),
                    Json::Number(n) => Some(DateRef::Absolute(*n as i64)),
                    _ => None,
                };
                if date.is_none() {
                    self.p.report(
                        "expected a date (2026-11-22, an RFC 3339 date-time, Unix ms) or a relative date (\"7 days ago\", \"in 2 hours\", \"now\")",
                        value.as_str(),
                        "",
                    );
                }
                date.map(Operand::Date)
            }
            // Exists (and, through `positive`, Missing): they take no value.
            _ => self.p.fail("exists and missing take no value"),
        }
    }

    fn scalar(&mut self, value: &Json, ignore_case: bool) -> Option<Scalar> {
        match value {
            Json::String(s) if ignore_case => Some(Scalar::Text(s.to_ascii_lowercase())),
            Json::String(s) => Some(Scalar::Text(s.clone())),
            Json::Number(n) => Some(Scalar::Number(*n)),
            Json::Bool(b) => Some(Scalar::Bool(*b)),
            _ => self.p.fail("expected a string, number or boolean"),
        }
    }

    // Actions.

    /// The `actions` of a rule or variant (empty when absent or wrong).
    fn actions_field(&mut self, m: Members<'j>) -> Vec<Action> {
        let Some(v) = self.enter(m, "actions", false) else {
            return Vec::new();
        };
        let before = self.p.count();
        let items = self.array(
            v,
            MAX_ACTIONS_PER_RULE,
            "expected an array of actions",
            "more actions than the limit (50)",
        );
        let mut out = Vec::new();
        for (i, item) in items.unwrap_or(&[]).iter().enumerate() {
            self.p.enter_index(i);
            if let Some(a) = self.action(item) {
                out.push(a);
            }
            self.p.leave();
        }
        self.p.leave();
        if self.p.count() > before {
            out.clear();
        }
        out
    }

    fn action(&mut self, json: &'j Json) -> Option<Action> {
        let Some(all) = json.as_object() else {
            return self.p.fail("expected an action object");
        };
        let kind = self.text(all, "type", true, 64)?;
        let Some(k) = super::word_index(ACTION_TYPE_LIST, kind.as_bytes()) else {
            self.p
                .report_at("type", "unknown action type", Some(kind), ACTION_TYPE_LIST);
            return None;
        };
        let fields = super::nth_word(ACTION_FIELDS, b'|', k);
        let m = self.object(json, fields, "expected an action object")?;
        let before = self.p.count();
        // Every action but a redirect (the last type) has a selector.
        let selector = if k == ACTION_TYPES.len() - 1 {
            String::new()
        } else {
            String::from(self.selector(m).unwrap_or_default())
        };
        // The arms follow ACTION_TYPES.
        let action = match k {
            0 => Action::SetText {
                selector,
                text: String::from(self.value(m, "text")?),
            },
            1 => Action::SetHtml {
                selector,
                html: sanitize_action_html(self.value(m, "html")?),
            },
            2 | 3 => {
                let mut name = String::from(self.value(m, "name")?);
                name.make_ascii_lowercase();
                if k == 3 {
                    if !is_attribute_name(&name) {
                        self.p
                            .report_at("name", "invalid attribute name", Some(&name), "");
                    }
                    Action::RemoveAttribute { selector, name }
                } else {
                    let value = self.value(m, "value")?;
                    if let Some(problem) = attribute_problem(&name, value) {
                        self.p.bad(problem.field(), problem.message());
                    }
                    Action::SetAttribute {
                        selector,
                        name,
                        value: String::from(value),
                    }
                }
            }
            4 | 5 => {
                let mut classes = Vec::new();
                for class in self.value(m, "class")?.split_ascii_whitespace() {
                    classes.push(String::from(class));
                }
                if classes.is_empty() {
                    self.p.bad("class", "expected one or more class names");
                }
                if k == 4 {
                    Action::AddClass { selector, classes }
                } else {
                    Action::RemoveClass { selector, classes }
                }
            }
            6 => {
                let property = self.value(m, "property");
                let value = self.value(m, "value");
                let important = self.flag(m, "important", false);
                let (property, value) = (property?, value?);
                if let Some(problem) = style_problem(property, value) {
                    self.p.bad(problem.field(), problem.message());
                }
                Action::SetStyle {
                    selector,
                    property: String::from(property),
                    value: String::from(value),
                    important,
                }
            }
            7 => Action::Show { selector },
            8 => Action::Hide { selector },
            9 => {
                let position = self.value(m, "position").and_then(|pos| {
                    let found = super::word_index(INSERT_POSITIONS, pos.as_bytes());
                    if found.is_none() {
                        self.p.report_at(
                            "position",
                            "unknown insert position",
                            Some(pos),
                            INSERT_POSITIONS,
                        );
                    }
                    found
                });
                let html = self.value(m, "html")?;
                Action::Insert {
                    selector,
                    position: match position? {
                        0 => InsertPosition::Before,
                        1 => InsertPosition::After,
                        2 => InsertPosition::Prepend,
                        _ => InsertPosition::Append,
                    },
                    html: sanitize_action_html(html),
                }
            }
            _ => {
                let url = self.value(m, "url")?;
                if url.trim_ascii().is_empty() || !is_safe_url(url) {
                    self.p.report_at("url",
                        "unsafe or empty URL: only http, https, mailto, tel or relative URLs are allowed",
                        Some(url),
                        "",
                    );
                }
                Action::Redirect {
                    url: String::from(url),
                    keep_query: self.flag(m, "keep_query", true),
                }
            }
        };
        (self.p.count() == before).then_some(action)
    }

    /// A required text field of an action.
    fn value(&mut self, m: Members<'j>, key: &'static str) -> Option<&'j str> {
        self.text(m, key, true, MAX_ACTION_VALUE_BYTES)
    }

    fn selector(&mut self, m: Members<'j>) -> Option<&'j str> {
        let s = self.value(m, "selector")?;
        let problem = if s.trim_ascii().is_empty() {
            "empty selector"
        } else if s.len() > MAX_SELECTOR_BYTES {
            "selector longer than the limit (1024 bytes)"
        } else {
            return Some(s);
        };
        self.p.bad("selector", problem);
        None
    }

    // Experiments.

    fn experiment(&mut self, json: &'j Json) -> Option<Experiment> {
        let before = self.p.count();
        let m = self.object(json, EXPERIMENT_KEYS, "expected an experiment object")?;
        let id = self.id(m, "id", true);
        self.notes(m);
        let seed = self.seed(m, "seed");
        let traffic_percent = self.percent(m, "traffic_percent", Some(100.0));
        let variants = self.enter(m, "variants", true).and_then(|v| {
            let parsed = self.variants(v);
            self.p.leave();
            parsed
        });
        if self.p.count() > before {
            return None;
        }
        let id = id?;
        let (variants, weight_sum) = variants?;
        Some(Experiment {
            seed: String::from(seed.unwrap_or(id)),
            id: String::from(id),
            traffic_percent: traffic_percent?,
            weight_sum,
            variants,
        })
    }

    /// The variants with normalised weights and bucket ranges, and the sum of the weights as
    /// written (lint checks it is 1).
    fn variants(&mut self, json: &'j Json) -> Option<ParsedVariants> {
        let items = json
            .as_array()
            .filter(|v| v.len() >= 2 && v.len() <= MAX_VARIANTS);
        let Some(items) = items else {
            return self.p.fail("expected an array of 2 to 20 variants");
        };
        let before = self.p.count();
        let mut out: Vec<Variant> = Vec::new();
        let (mut given, mut controls) = (0, 0);
        for (i, item) in items.iter().enumerate() {
            self.p.enter_index(i);
            if let Some((mut variant, weight)) = self.variant(item) {
                // The weight as written for now (1 when absent); normalised below.
                given += usize::from(weight.is_some());
                controls += usize::from(variant.control);
                variant.weight = weight.unwrap_or(1.0);
                out.push(variant);
            }
            self.p.leave();
        }
        if self.p.count() > before {
            return None;
        }
        if controls > 1 {
            return self.p.fail("only one variant can be the control");
        }
        let equal = given == 0;
        if !equal && given < out.len() {
            return self
                .p
                .fail("give every variant a weight, or none (equal split)");
        }
        let (mut sum, mut last_weighted) = (0.0, 0);
        for (i, variant) in out.iter().enumerate() {
            sum += variant.weight;
            if variant.weight > 0.0 {
                last_weighted = i;
            }
        }
        if sum <= 0.0 {
            return self.p.fail("the weights must not all be zero");
        }
        let mut cumulative = 0.0;
        for (i, variant) in out.iter_mut().enumerate() {
            variant.weight /= sum;
            cumulative += variant.weight;
            // The last weighted variant ends exactly at 1, so rounding leaves no gap.
            variant.upper = if i >= last_weighted { 1.0 } else { cumulative };
        }
        Some((out, if equal { 1.0 } else { sum }))
    }

    fn variant(&mut self, json: &'j Json) -> Option<(Variant, Option<f64>)> {
        let m = self.object(json, VARIANT_KEYS, "expected a variant object")?;
        let id = self.id(m, "id", true);
        self.notes(m);
        let weight = self.field(m, "weight", false).map(|v| match v.as_f64() {
            Some(w) if w >= 0.0 => w,
            _ => {
                self.p.bad("weight", "expected a number from 0 to 1");
                0.0
            }
        });
        let control = self.flag(m, "control", false);
        let actions = self.actions_field(m);
        if control && !actions.is_empty() {
            self.p
                .bad("actions", "the control changes nothing: remove its actions");
        }
        Some((
            Variant {
                id: String::from(id?),
                weight: 0.0,
                upper: 0.0,
                control,
                actions,
            },
            weight,
        ))
    }
}

/// The fields each action type takes, in the order of [`ACTION_TYPES`], separated by `|`.
const ACTION_FIELDS: &str = "type selector text|type selector html|type selector name value|\
type selector name|type selector class|type selector class|\
type selector property value important|type selector|type selector|\
type selector position html|type url keep_query";

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn hide(id: &str, extra: &str) -> String {
        format!(r#"{{"id":"{id}"{extra},"actions":[{{"type":"hide","selector":"p"}}]}}"#)
    }

    #[test]
    fn the_word_lists_are_the_public_lists() {
        assert!(ACTION_TYPE_LIST.split(' ').eq(ACTION_TYPES.iter().copied()));
        assert!(OPERATOR_LIST.split(' ').eq(super::super::OPERATOR_NAMES));
        assert_eq!(ACTION_FIELDS.split('|').count(), ACTION_TYPES.len());
    }

    #[test]
    fn rules_are_kept_in_priority_order_with_document_order_for_ties() {
        let doc = format!(
            r#"{{"rules":[{},{},{},{}]}}"#,
            hide("a", ""),
            hide("b", r#","priority":3"#),
            hide("c", r#","priority":-2"#),
            hide("d", "")
        );
        let rules = parse_rules(&doc).unwrap();
        let order: Vec<&str> = rules.rules().iter().map(Rule::id).collect();
        assert_eq!(order, ["b", "a", "d", "c"]);
        assert_eq!(rules.rule("c").unwrap().position(), 2);
    }

    #[test]
    fn html_is_sanitised_when_the_document_is_read() {
        let rules = parse_rules(
            r#"{"rules":[{"id":"a","actions":[{"type":"set_html","selector":"p","html":"<b onclick=x>hi</b><script>x</script>"}]}]}"#,
        )
        .unwrap();
        match &rules.rules()[0].actions()[0] {
            Action::SetHtml { html, .. } => assert_eq!(html.as_str(), "<b>hi</b>"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_limit_is_enforced() {
        let many = (0..=MAX_RULES)
            .map(|i| hide(&format!("r{i}"), ""))
            .collect::<Vec<_>>()
            .join(",");
        let err = parse_rules(&format!(r#"{{"rules":[{many}]}}"#)).unwrap_err();
        assert_eq!(err.to_message(), "rules: more rules than the limit (1000)");

        let actions =
            alloc::vec![r#"{"type":"hide","selector":"p"}"#; MAX_ACTIONS_PER_RULE + 1].join(",");
        let err = parse_rules(&format!(
            r#"{{"rules":[{{"id":"a","actions":[{actions}]}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(err.path, "rules[0].actions");

        let leaves =
            alloc::vec![r#"{"attribute":"device","op":"exists"}"#; MAX_CONDITIONS_PER_RULE + 1]
                .join(",");
        let err = parse_rules(&format!(
            r#"{{"rules":[{{"id":"a","conditions":{{"all":[{leaves}]}},"actions":[]}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(
            err.message,
            "more conditions in one rule than the limit (100)"
        );

        let pattern = "a".repeat(MAX_REGEX_PATTERN_BYTES + 1);
        let err = parse_rules(&format!(
            r#"{{"rules":[{{"id":"a","conditions":{{"attribute":"path","op":"regex","value":"{pattern}"}},"actions":[]}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(err.path, "rules[0].conditions.value");

        let err = parse_rules(&format!(
            r#"{{"rules":[{{"id":"{}","actions":[]}}]}}"#,
            "x".repeat(MAX_RULE_ID_BYTES + 1)
        ))
        .unwrap_err();
        assert_eq!(err.path, "rules[0].id");

        let huge = " ".repeat(MAX_RULES_DOCUMENT_BYTES + 1);
        assert_eq!(
            parse_rules(&huge).unwrap_err().message,
            "the document is larger than the limit (512 KB)"
        );
        assert_eq!(
            MAX_RULES_DOCUMENT_BYTES,
            512 * 1024,
            "the message above names it"
        );
        assert_eq!(MAX_RULES, 1000);
        assert_eq!(MAX_CONDITION_DEPTH, 10);
    }

    #[test]
    fn numbers_must_be_what_they_claim() {
        for (doc, path) in [
            (
                r#"{"rules":[{"id":"a","priority":1.5,"actions":[]}]}"#,
                "rules[0].priority",
            ),
            (
                r#"{"rules":[{"id":"a","enabled":"yes","actions":[]}]}"#,
                "rules[0].enabled",
            ),
            (
                r#"{"holdout":{"percent":101},"rules":[]}"#,
                "holdout.percent",
            ),
            (
                r#"{"rules":[{"id":"a","experiment":{"id":"e","traffic_percent":-1,"variants":[{"id":"a"},{"id":"b"}]}}]}"#,
                "rules[0].experiment.traffic_percent",
            ),
            (
                r#"{"rules":[{"id":"a","experiment":{"id":"e","variants":[{"id":"a","weight":0},{"id":"b","weight":0}]}}]}"#,
                "rules[0].experiment.variants",
            ),
            (
                r#"{"rules":[{"id":"a","experiment":{"id":"e","variants":[{"id":"a"}]}}]}"#,
                "rules[0].experiment.variants",
            ),
            (
                r#"{"rules":[{"id":"a","conditions":{"attribute":"device","op":"gt","value":"3"},"actions":[]}]}"#,
                "rules[0].conditions.value",
            ),
            (
                r#"{"rules":[{"id":"a","conditions":{"attribute":"device","op":"exists","value":1},"actions":[]}]}"#,
                "rules[0].conditions.value",
            ),
            (
                r#"{"rules":[{"id":"a","conditions":{"all":[],"any":[]},"actions":[]}]}"#,
                "rules[0].conditions",
            ),
            (
                r#"{"rules":[{"id":"a","actions":[{"type":"add_class","selector":"p","class":"  "}]}]}"#,
                "rules[0].actions[0].class",
            ),
            (
                r#"{"rules":[{"id":"a","actions":[{"type":"show","selector":" "}]}]}"#,
                "rules[0].actions[0].selector",
            ),
            (
                r#"{"rules":[{"id":"a","actions":[{"type":"insert","selector":"p","position":"inside","html":"x"}]}]}"#,
                "rules[0].actions[0].position",
            ),
            (
                r#"{"rules":[{"id":"a","actions":[{"type":"hide","selector":"p","text":"x"}]}]}"#,
                "rules[0].actions[0].text",
            ),
            (
                r#"{"rules":[{"id":"a","actions":[{"type":"hide","selector":"p"}],"experiment":{"id":"e","variants":[{"id":"a"},{"id":"b"}]}}]}"#,
                "rules[0].actions",
            ),
        ] {
            let err = parse_rules(doc).unwrap_err();
            assert_eq!(err.path, path, "{doc}: {}", err.to_message());
        }
    }

    #[test]
    fn weights_are_normalised_and_ranges_end_at_one() {
        let rules = parse_rules(
            r#"{"rules":[{"id":"a","experiment":{"id":"e","variants":[
                {"id":"a","weight":0.2,"control":true},{"id":"b","weight":0.6},{"id":"c","weight":0.2},{"id":"d","weight":0}]}}]}"#,
        )
        .unwrap();
        let exp = rules.rules()[0].experiment().unwrap();
        let uppers: Vec<f64> = exp.variants.iter().map(|v| v.upper).collect();
        assert!((uppers[0] - 0.2).abs() < 1e-12 && (uppers[1] - 0.8).abs() < 1e-12);
        assert_eq!(uppers[2..], [1.0, 1.0]);
        assert_eq!(exp.seed(), "e", "the seed defaults to the id");
        assert_eq!(exp.traffic_percent(), 100.0);
        assert_eq!(exp.variant("b").unwrap().weight(), 0.6);
    }

    #[test]
    fn the_capture_list_names_form_fields() {
        let rules = parse_rules(r#"{"capture":["email","company"],"rules":[]}"#).unwrap();
        assert_eq!(rules.capture(), ["email", "company"]);
        assert!(parse_rules(r#"{"rules":[]}"#).unwrap().capture().is_empty());
        let err = parse_rules(r#"{"capture":["email",3],"rules":[]}"#).unwrap_err();
        assert_eq!(err.path, "capture[1]");
        let many = alloc::format!(r#"{{"capture":[{}],"rules":[]}}"#, ["\"x\""; 101].join(","));
        assert_eq!(parse_rules(&many).unwrap_err().path, "capture");
    }

    #[test]
    fn a_numeric_revision_is_kept_as_text() {
        let rules = parse_rules(r#"{"revision":42,"rules":[]}"#).unwrap();
        assert_eq!(rules.revision(), Some("42"));
        assert_eq!(rules.holdout(), None);
        assert_eq!(
            parse_rules(r#"{"revision":"2026-11-22.1","holdout":{"percent":5},"rules":[]}"#)
                .unwrap()
                .holdout()
                .unwrap()
                .seed(),
            DEFAULT_HOLDOUT_SEED
        );
    }
}
