//! The parsed rule document: what [`parse_rules`](super::parse_rules) builds and the
//! evaluator runs.
//!
//! Only the parser builds these (fields are crate-private), so everything in them has been
//! checked: ids, limits, sanitised HTML, safe URLs, compiled-once regex slots. Conditions are
//! precompiled: attributes are enum values, not names looked up at evaluation time.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::attribute::{Attr, AttrId};
use super::sanitize::ActionHtml;

/// A site's parsed rule document, its rules in evaluation order.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub(crate) revision: Option<String>,
    pub(crate) holdout: Option<Holdout>,
    /// Form fields whose values the tracker may send (as `data-orbit-capture` allows).
    pub(crate) capture: Vec<String>,
    /// Highest priority first; equal priorities keep their document order.
    pub(crate) rules: Vec<Rule>,
    /// Exclusive groups, in order of first use; rules refer to them by index.
    pub(crate) groups: Vec<String>,
    /// Distinct regex patterns; conditions refer to them by index so each compiles once.
    pub(crate) regexes: Vec<RegexSource>,
}

impl Rules {
    /// The document's `revision`, which exposure events carry so reports can tell versions
    /// apart; the collector sets it when it stores a document.
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// Form field names whose values may be sent with form events and lead traits, for
    /// sites that cannot add `data-orbit-capture` to their markup. Sensitive fields are
    /// never sent, whatever this says.
    pub fn capture(&self) -> &[String] {
        &self.capture
    }

    /// The site-wide holdout, if the document has one.
    pub fn holdout(&self) -> Option<&Holdout> {
        self.holdout.as_ref()
    }

    /// Every rule, in evaluation order (highest priority first, then document order).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The distinct regex patterns of the document, in the order a host compiles them.
    pub fn regex_sources(&self) -> &[RegexSource] {
        &self.regexes
    }

    /// Whether a condition tests `segments` or `lead_score`: only then does the tracker ask
    /// the collector for the visitor's profile (most documents never do).
    pub fn tests_profile(&self) -> bool {
        fn tests(c: &Condition) -> bool {
            match c {
                Condition::All(children) | Condition::Any(children) => children.iter().any(tests),
                Condition::Not(inner) => tests(inner),
                Condition::Leaf(leaf) => {
                    matches!(leaf.attr.id, AttrId::Segments | AttrId::LeadScore)
                }
            }
        }
        self.rules
            .iter()
            .any(|r| r.conditions.as_ref().is_some_and(tests))
    }
}

/// A regex pattern as written, with its case flag: what a [`Host`](super::Host) compiles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexSource {
    /// The pattern, at most [`MAX_REGEX_PATTERN_BYTES`](crate::limits::MAX_REGEX_PATTERN_BYTES).
    pub pattern: String,
    /// Whether it matches regardless of case (`ignore_case: true`).
    pub ignore_case: bool,
}

/// Visitors in the holdout see no personalisation at all, so lift over "nothing" can be
/// measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Holdout {
    pub(crate) percent: f64,
    pub(crate) seed: String,
}

impl Holdout {
    /// Share of visitors held out, 0–100.
    pub fn percent(&self) -> f64 {
        self.percent
    }

    /// The hashing seed: changing it reshuffles who is held out.
    pub fn seed(&self) -> &str {
        &self.seed
    }
}

/// One rule: when its conditions hold, its actions (or its experiment's variant) apply.
/// `repr(C)`: its fields in the order they are read and built (measured: a smaller browser
/// bundle than the compiler's reordering).
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
pub struct Rule {
    pub(crate) id: String,
    /// Index in the document's `rules` array, for JSON paths in lint findings.
    pub(crate) position: usize,
    pub(crate) enabled: bool,
    pub(crate) priority: i32,
    pub(crate) group: Option<usize>,
    pub(crate) group_name: Option<String>,
    pub(crate) conditions: Option<Condition>,
    pub(crate) actions: Vec<Action>,
    pub(crate) experiment: Option<Experiment>,
}

impl Rule {
    /// The rule's id, unique in the document; events and `?orbit_preview=` name it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where the rule is in the document's `rules` array.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether the rule runs for visitors (a disabled rule can still be previewed).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Higher runs first and wins its exclusive group.
    pub fn priority(&self) -> i32 {
        self.priority
    }

    /// The exclusive group: at most one rule of a group applies to a visitor.
    pub fn group(&self) -> Option<&str> {
        self.group_name.as_deref()
    }

    /// The actions of a rule without an experiment (empty when it has one).
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The experiment whose variant decides this rule's actions.
    pub fn experiment(&self) -> Option<&Experiment> {
        self.experiment.as_ref()
    }

    /// Whether the rule has conditions at all (without, it applies to everyone).
    pub fn has_conditions(&self) -> bool {
        self.conditions.is_some()
    }
}

/// An A/B(/n) test: who is in it, and which variant each visitor sees.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    pub(crate) id: String,
    pub(crate) seed: String,
    pub(crate) traffic_percent: f64,
    /// The variants' weights as written, summed (1 when none were given); lint checks it.
    pub(crate) weight_sum: f64,
    pub(crate) variants: Vec<Variant>,
}

impl Experiment {
    /// The experiment's id (`experiment_id` of `Experiment Viewed`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The hashing seed (the id unless set): changing it reshuffles assignments.
    pub fn seed(&self) -> &str {
        &self.seed
    }

    /// Share of eligible visitors who enter the experiment, 0–100.
    pub fn traffic_percent(&self) -> f64 {
        self.traffic_percent
    }

    /// The variants, control included, in document order.
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// The variant with this id.
    pub fn variant(&self, id: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }
}

/// One arm of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub(crate) id: String,
    /// Share of the experiment's visitors, normalised so the variants sum to 1.
    pub(crate) weight: f64,
    /// Upper end of this variant's bucket range in [0, 1].
    pub(crate) upper: f64,
    pub(crate) control: bool,
    pub(crate) actions: Vec<Action>,
}

impl Variant {
    /// The variant's id (`variation_id` of `Experiment Viewed`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Share of the experiment's visitors who get it, normalised to sum to 1.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Whether this is the control, which changes nothing.
    pub fn is_control(&self) -> bool {
        self.control
    }

    /// What this variant changes (empty for the control).
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }
}

/// A change to the page. Every variant but [`Action::Redirect`] targets the elements matching
/// a CSS selector. Built by the parser or the compiled reader, so HTML is sanitised (in the
/// browser tracker, as it is inserted) and URLs and styles are checked.
///
/// `repr(C)`: every variant's first field (the selector, or a redirect's URL) then sits at
/// the same offset, so code that reads it, and the drop code, is one path, not one per
/// variant (a smaller browser bundle).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum Action {
    /// Replace the elements' text (`textContent`).
    SetText {
        /// Which elements.
        selector: String,
        /// The new text, set as text, never parsed as HTML.
        text: String,
    },
    /// Replace the elements' content with sanitised HTML (`innerHTML`).
    SetHtml {
        /// Which elements.
        selector: String,
        /// The HTML: sanitised, or in the browser sanitised as it is inserted ([`ActionHtml`]).
        html: ActionHtml,
    },
    /// Set an attribute (URL-bearing attributes only to safe URLs; never `on*` or `style`).
    SetAttribute {
        /// Which elements.
        selector: String,
        /// The attribute's name, lowercase.
        name: String,
        /// Its new value.
        value: String,
    },
    /// Remove an attribute.
    RemoveAttribute {
        /// Which elements.
        selector: String,
        /// The attribute's name, lowercase.
        name: String,
    },
    /// Add classes (`classList.add`).
    AddClass {
        /// Which elements.
        selector: String,
        /// The class names, one or more.
        classes: Vec<String>,
    },
    /// Remove classes (`classList.remove`).
    RemoveClass {
        /// Which elements.
        selector: String,
        /// The class names, one or more.
        classes: Vec<String>,
    },
    /// Set one style property (`style.setProperty`).
    SetStyle {
        /// Which elements.
        selector: String,
        /// The CSS property, e.g. `background-color` or `--brand`.
        property: String,
        /// Its value, checked: no `expression(`, no script URLs, no escapes or comments.
        value: String,
        /// Whether to set it with `!important` priority.
        important: bool,
    },
    /// Make the elements visible again (remove `hidden`, undo a `display: none`).
    Show {
        /// Which elements.
        selector: String,
    },
    /// Hide the elements (`display: none !important`).
    Hide {
        /// Which elements.
        selector: String,
    },
    /// Insert sanitised HTML next to or inside the elements (`insertAdjacentHTML`).
    Insert {
        /// Which elements.
        selector: String,
        /// Where, relative to each element.
        position: InsertPosition,
        /// The HTML: sanitised, or in the browser sanitised as it is inserted ([`ActionHtml`]).
        html: ActionHtml,
    },
    /// Send the visitor to another URL (the browser's loop guard: docs/rules.md, "Redirects").
    Redirect {
        /// The target, absolute or relative; its scheme, if any, is http(s).
        url: String,
        /// Whether the current page's query parameters (UTM tags…) are carried over.
        keep_query: bool,
    },
}

impl Action {
    /// The selector, for every action but a redirect.
    pub fn selector(&self) -> Option<&str> {
        match self {
            Action::SetText { selector, .. }
            | Action::SetHtml { selector, .. }
            | Action::SetAttribute { selector, .. }
            | Action::RemoveAttribute { selector, .. }
            | Action::AddClass { selector, .. }
            | Action::RemoveClass { selector, .. }
            | Action::SetStyle { selector, .. }
            | Action::Show { selector }
            | Action::Hide { selector }
            | Action::Insert { selector, .. } => Some(selector),
            Action::Redirect { .. } => None,
        }
    }

    /// The action's `type` as written in the document.
    pub fn type_name(&self) -> &'static str {
        match self {
            Action::SetText { .. } => "set_text",
            Action::SetHtml { .. } => "set_html",
            Action::SetAttribute { .. } => "set_attribute",
            Action::RemoveAttribute { .. } => "remove_attribute",
            Action::AddClass { .. } => "add_class",
            Action::RemoveClass { .. } => "remove_class",
            Action::SetStyle { .. } => "set_style",
            Action::Show { .. } => "show",
            Action::Hide { .. } => "hide",
            Action::Insert { .. } => "insert",
            Action::Redirect { .. } => "redirect",
        }
    }
}

/// Where [`Action::Insert`] puts its HTML; the names of `insertAdjacentHTML` positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertPosition {
    /// Before the element (`beforebegin`).
    Before,
    /// After the element (`afterend`).
    After,
    /// Inside, before its first child (`afterbegin`).
    Prepend,
    /// Inside, after its last child (`beforeend`).
    Append,
}

impl InsertPosition {
    /// The name used in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            InsertPosition::Before => "before",
            InsertPosition::After => "after",
            InsertPosition::Prepend => "prepend",
            InsertPosition::Append => "append",
        }
    }

    /// The `insertAdjacentHTML` position the browser passes.
    pub fn dom_position(self) -> &'static str {
        match self {
            InsertPosition::Before => "beforebegin",
            InsertPosition::After => "afterend",
            InsertPosition::Prepend => "afterbegin",
            InsertPosition::Append => "beforeend",
        }
    }
}

/// A rule's conditions, precompiled. `repr(C)`: `all` and `any` keep their lists at one
/// offset, so code that walks or drops them shares one path (a smaller browser bundle).
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
pub(crate) enum Condition {
    /// Every child holds (an empty `all` holds).
    All(Vec<Condition>),
    /// Some child holds (an empty `any` does not).
    Any(Vec<Condition>),
    /// The child does not hold.
    Not(Box<Condition>),
    /// One attribute compared with one operator.
    Leaf(Leaf),
}

/// One comparison: `attribute op value`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leaf {
    pub(crate) attr: Attr,
    pub(crate) op: Op,
    pub(crate) ignore_case: bool,
    pub(crate) operand: Operand,
}

/// The right-hand side of a comparison, in the form its operator needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    /// `exists` / `missing`.
    None,
    /// `equals` / `not_equals`.
    Scalar(Scalar),
    /// `in` / `not_in`.
    List(Vec<Scalar>),
    /// `contains`, `starts_with`, `ends_with` (lowercase when `ignore_case`).
    Text(String),
    /// `gt`, `gte`, `lt`, `lte`.
    Number(f64),
    /// `between`, inclusive.
    Range(f64, f64),
    /// `before` / `after`.
    Date(DateRef),
    /// `regex` / `not_regex`: index into [`Rules::regex_sources`].
    Regex(usize),
}

/// A constant a value is compared with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

/// A point in time in a date comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateRef {
    /// A fixed instant (Unix ms).
    Absolute(i64),
    /// An offset from the evaluation's `now_ms` (negative is in the past).
    Relative(i64),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    Regex,
    NotRegex,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    Before,
    After,
    Exists,
    Missing,
}

/// Every operator, in the order of [`OPERATOR_NAMES`] (for tests).
#[cfg(test)]
const OPERATORS: [Op; 19] = [
    Op::Equals,
    Op::NotEquals,
    Op::In,
    Op::NotIn,
    Op::Contains,
    Op::NotContains,
    Op::StartsWith,
    Op::EndsWith,
    Op::Regex,
    Op::NotRegex,
    Op::Gt,
    Op::Gte,
    Op::Lt,
    Op::Lte,
    Op::Between,
    Op::Before,
    Op::After,
    Op::Exists,
    Op::Missing,
];
/// [`OPERATOR_NAMES`] as words separated by spaces: what the parser looks names up in and
/// error messages list (smaller in the browser bundle than the slice).
pub(crate) const OPERATOR_LIST: &str = "equals not_equals in not_in contains not_contains \
starts_with ends_with regex not_regex gt gte lt lte between before after exists missing";

/// The operator names (docs/rules.md, same order).
pub const OPERATOR_NAMES: [&str; 19] = [
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "regex",
    "not_regex",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "before",
    "after",
    "exists",
    "missing",
];

impl Op {
    /// The operator at `index` in [`OPERATOR_LIST`]. The variants are declared in that
    /// order, so this `match` compiles to a range check, with no table in the bundle.
    pub(crate) fn from_index(index: usize) -> Option<Op> {
        Some(match index {
            0 => Op::Equals,
            1 => Op::NotEquals,
            2 => Op::In,
            3 => Op::NotIn,
            4 => Op::Contains,
            5 => Op::NotContains,
            6 => Op::StartsWith,
            7 => Op::EndsWith,
            8 => Op::Regex,
            9 => Op::NotRegex,
            10 => Op::Gt,
            11 => Op::Gte,
            12 => Op::Lt,
            13 => Op::Lte,
            14 => Op::Between,
            15 => Op::Before,
            16 => Op::After,
            17 => Op::Exists,
            18 => Op::Missing,
            _ => return None,
        })
    }

    /// The operator named `name` in a document.
    pub(crate) fn from_name(name: &str) -> Option<Op> {
        let i = super::word_index(OPERATOR_LIST, name.as_bytes())?;
        Op::from_index(i)
    }

    /// The operator's name in documents.
    pub(crate) fn name(self) -> &'static str {
        // The variants are declared in the order of the list.
        super::nth_word(OPERATOR_LIST, b' ', self as usize)
    }

    /// A negative operator's positive twin and `true`, or the operator itself and `false`:
    /// every `not_…` operator (and `missing`) is exactly the negation of its twin, missing
    /// attributes included.
    pub(crate) fn positive(self) -> (Op, bool) {
        // Each negative operator is declared right after its twin.
        let negated = matches!(
            self,
            Op::NotEquals | Op::NotIn | Op::NotContains | Op::NotRegex | Op::Missing
        );
        let twin = Op::from_index(self as usize - usize::from(negated));
        (twin.unwrap_or(self), negated)
    }

    /// Whether `ignore_case` means something for this operator.
    pub(crate) fn compares_text(self) -> bool {
        matches!(
            self.positive().0,
            Op::Equals | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Regex
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_conditions_on_segments_or_lead_score_ask_for_the_profile() {
        let tests = |doc: &str| {
            super::super::parse_rules(doc)
                .expect("valid")
                .tests_profile()
        };
        assert!(tests(
            r#"{"rules":[{"id":"a","conditions":{"any":[{"attribute":"path","op":"exists"},
                {"not":{"attribute":"segments","op":"contains","value":"vip"}}]}}]}"#
        ));
        assert!(tests(
            r#"{"rules":[{"id":"a","conditions":{"attribute":"lead_score","op":"gt","value":1}}]}"#
        ));
        // Words in texts are not conditions.
        assert!(!tests(
            r#"{"rules":[{"id":"a","conditions":{"attribute":"traits.segments","op":"exists"},
                "actions":[{"type":"set_text","selector":"p","text":"lead_score segments"}]}]}"#
        ));
    }

    #[test]
    fn operators_are_declared_in_the_order_of_their_names() {
        for (i, op) in OPERATORS.iter().enumerate() {
            assert_eq!(*op as usize, i);
            assert_eq!(op.name(), OPERATOR_NAMES[i]);
            assert_eq!(Op::from_name(OPERATOR_NAMES[i]), Some(*op));
            let (twin, negated) = op.positive();
            let name = OPERATOR_NAMES[i];
            if negated {
                let positive = name.strip_prefix("not_").unwrap_or("exists");
                assert_eq!(twin.name(), positive, "{name}");
            } else {
                assert_eq!(twin, *op);
            }
        }
    }
}
