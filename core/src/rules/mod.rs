//! The rule language: personalisation and experiments, shared by the browser and the
//! collector (docs/rules.md is the reference, docs/rules.schema.json the schema).
//!
//! Parse once ([`parse_rules`]), compile the regexes once with the platform's [`Host`]
//! ([`RuleEngine::new`]), evaluate per page view ([`RuleEngine::evaluate`]) against a
//! [`VisitorContext`]. Nothing here touches a DOM, a clock or the network, and nothing the
//! browser calls uses serde, `core::fmt` or Unicode tables (SIZE.md).
//!
//! - [`document`]: the parsed, checked document (rules, experiments, actions).
//! - [`parse`]: JSON text → document, with JSON-path errors ([`RulesError`]).
//! - [`compiled`]: the compiled document the browser reads (no parser in the bundle).
//! - [`context`]: what is known about the visitor.
//! - [`condition`](self): evaluating conditions (internal).
//! - [`explain`](self): the debug line of each rule (internal).
//! - [`eval`]: the evaluator, the [`Host`] trait, decisions and debug traces.
//! - [`bucket`](mod@bucket): deterministic, versioned hashing for experiments and the holdout.
//! - [`sanitize`]: the HTML allowlist sanitiser.
//! - [`url`]: URL and style safety, redirect targets and the redirect loop guard.
//! - [`lint`](mod@lint): every problem in a document, for the collector and the CLI (not the browser).
//! - [`selector`]: the CSS selector checker lint uses.
//! - `fixtures` (feature `fixtures`): the runner of the shared fixture file, for tests.

mod attribute;
pub mod bucket;
pub mod compiled;
mod condition;
pub mod context;
pub mod document;
mod error;
pub mod eval;
mod explain;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod lint;
pub mod parse;
pub mod sanitize;
pub mod selector;
pub mod url;
mod write;

pub use attribute::ATTRIBUTE_NAMES;
pub use bucket::{bucket, fnv1a32, HASH_VERSION};
pub use compiled::{read_compiled, write_compiled, CompiledError, COMPILED_FORMAT};
pub use context::VisitorContext;
pub use document::{
    Action, Experiment, Holdout, InsertPosition, RegexSource, Rule, Rules, Variant, OPERATOR_NAMES,
};
pub use error::RulesError;
pub use eval::{
    Assignment, AssignmentSource, Decision, EvalOptions, Evaluation, Host, Outcome, RuleEngine,
    Trace,
};
pub use lint::{has_errors, lint, Finding, Severity, HOLDOUT_EXPERIMENT_ID};
pub use parse::{parse_rules, ACTION_TYPES};
pub use sanitize::{sanitize_html, ActionHtml, SafeHtml, UntrustedHtml};
pub use url::is_safe_url;
pub use write::write_action;

/// The position of `word` in `list`, words separated by single spaces (how the rule engine
/// keeps its name lists: smaller in the browser bundle than slices of `&str`). One shared
/// function instead of a `split` iterator inlined at every lookup.
#[inline(never)]
pub(crate) fn word_index(list: &str, word: &[u8]) -> Option<usize> {
    let mut rest = list;
    let mut i = 0;
    loop {
        let (w, after) = match crate::text::split_once(rest, b' ') {
            Some((w, after)) => (w, Some(after)),
            None => (rest, None),
        };
        if w.as_bytes() == word {
            return Some(i);
        }
        rest = after?;
        i += 1;
    }
}

/// The `n`th entry of `list`, entries separated by `sep` (empty past the end).
#[inline(never)]
pub(crate) fn nth_word(list: &'static str, sep: u8, n: usize) -> &'static str {
    let mut rest = list;
    for _ in 0..n {
        match crate::text::split_once(rest, sep) {
            Some((_, after)) => rest = after,
            None => return "",
        }
    }
    crate::text::split_once(rest, sep).map_or(rest, |(word, _)| word)
}

#[cfg(test)]
#[path = "../../tests/support/mini_regex.rs"]
mod mini_regex;

/// A [`Host`] for native tests, backed by a tiny regex matcher.
#[cfg(test)]
pub(crate) mod test_host {
    pub(crate) use super::mini_regex::MiniRegex;

    /// Compiles with [`MiniRegex`].
    pub(crate) struct TestHost;

    impl super::Host for TestHost {
        type Regex = MiniRegex;

        fn compile_regex(&self, pattern: &str, ignore_case: bool) -> Option<MiniRegex> {
            MiniRegex::new(pattern, ignore_case)
        }

        fn regex_is_match(&self, regex: &MiniRegex, text: &str) -> bool {
            regex.is_match(text)
        }
    }
}
