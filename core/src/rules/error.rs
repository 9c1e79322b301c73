//! Why a rule document (or a visitor context) was refused, and where.

use alloc::string::String;
use alloc::vec::Vec;

/// A problem in a document, with the JSON path that locates it:
/// `rules[3].conditions.all[1].op: unknown operator "equal"; expected one of equals, …`.
///
/// The parts are a static message plus the offending text, so the browser can print one
/// console warning with [`RulesError::to_message`] without pulling in `core::fmt` (SIZE.md);
/// `Display` gives the same text for the collector.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.to_message())]
pub struct RulesError {
    /// Where: a JSON path such as `rules[3].actions[0].selector`, `$` for the whole document,
    /// or `line 3, column 7` when the text is not JSON at all.
    pub path: String,
    /// What is wrong, e.g. `"unknown operator"`.
    pub message: &'static str,
    /// The offending name or value, when there is one (shown quoted).
    pub found: Option<String>,
    /// What would have been accepted there, as names separated by single spaces (shown as
    /// "expected one of a, b, c"); empty when there is no such list. Words rather than a
    /// slice of `&str`: in the browser bundle a slice costs a pointer and a length per name.
    pub expected: &'static str,
}

impl RulesError {
    /// The whole message as one line, built without `core::fmt`.
    pub fn to_message(&self) -> String {
        let mut out = String::with_capacity(self.path.len() + self.message.len() + 32);
        out.push_str(&self.path);
        out.push_str(": ");
        out.push_str(self.message);
        if let Some(found) = &self.found {
            out.push_str(" \"");
            out.push_str(found);
            out.push('"');
        }
        if !self.expected.is_empty() {
            out.push_str("; expected one of ");
            let mut rest = self.expected;
            while let Some((name, after)) = crate::text::split_once(rest, b' ') {
                out.push_str(name);
                out.push_str(", ");
                rest = after;
            }
            out.push_str(rest);
        }
        out
    }
}

/// One step of a JSON path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Collects problems while walking a JSON tree, tracking the current path.
pub(crate) struct Problems {
    /// The current JSON path as it is printed (`rules[3].conditions.all[1].op`), kept
    /// written as the walk goes rather than assembled for each problem (a smaller bundle).
    path: String,
    /// The path's length before each step still entered, to come back up.
    marks: Vec<usize>,
    pub(crate) errors: Vec<RulesError>,
}

impl Problems {
    pub(crate) fn new() -> Self {
        Problems {
            path: String::new(),
            marks: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Records a problem at the current path (`$` for the root).
    pub(crate) fn report(
        &mut self,
        message: &'static str,
        found: Option<&str>,
        expected: &'static str,
    ) {
        self.errors.push(RulesError {
            path: String::from(if self.path.is_empty() {
                "$"
            } else {
                &self.path
            }),
            message,
            found: found.map(String::from),
            expected,
        });
    }

    /// Records a problem at the current path and gives `None`, for `return p.fail(…)`.
    pub(crate) fn fail<T>(&mut self, message: &'static str) -> Option<T> {
        self.report(message, None, "");
        None
    }

    /// Records a problem with the member `key` of the current path.
    pub(crate) fn report_at(
        &mut self,
        key: &str,
        message: &'static str,
        found: Option<&str>,
        expected: &'static str,
    ) {
        self.enter(key);
        self.report(message, found, expected);
        self.leave();
    }

    /// Records a problem with the member `key` of the current path, without a value.
    pub(crate) fn bad(&mut self, key: &str, message: &'static str) {
        self.report_at(key, message, None, "");
    }

    /// Goes one step deeper in the path, to the member `key`; every `enter` (and
    /// [`Problems::enter_index`]) is paired with a [`Problems::leave`]. A function per kind
    /// of step keeps the callers from building a [`Seg`] (a smaller bundle).
    #[inline(never)]
    pub(crate) fn enter(&mut self, key: &str) {
        self.marks.push(self.path.len());
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
    }

    /// Goes one step deeper in the path, to the element `i`.
    #[inline(never)]
    pub(crate) fn enter_index(&mut self, i: usize) {
        self.marks.push(self.path.len());
        self.path.push('[');
        crate::json::push_u64(&mut self.path, i as u64);
        self.path.push(']');
    }

    /// Comes back up one step.
    #[inline(never)]
    pub(crate) fn leave(&mut self) {
        if let Some(len) = self.marks.pop() {
            self.path.truncate(len);
        }
    }

    /// Runs `f` one step deeper in the path.
    pub(crate) fn at<T>(&mut self, seg: Seg<'_>, f: impl FnOnce(&mut Self) -> T) -> T {
        match seg {
            Seg::Key(key) => self.enter(key),
            Seg::Index(i) => self.enter_index(i),
        }
        let result = f(self);
        self.leave();
        result
    }

    /// How many problems so far: a part whose walk raised the count is dropped.
    pub(crate) fn count(&self) -> usize {
        self.errors.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_path_value_and_alternatives() {
        let mut p = Problems::new();
        p.report("at the root", None, "");
        p.at(Seg::Key("rules"), |p| {
            p.enter_index(3);
            p.enter("conditions");
            p.enter("all");
            p.enter_index(1);
            p.report_at("op", "unknown operator", Some("equal"), "equals not_equals");
            p.leave();
            p.leave();
            p.leave();
            p.leave();
        });
        p.bad("version", "unsupported");
        let want = "rules[3].conditions.all[1].op: unknown operator \"equal\"; expected one of equals, not_equals";
        let [root, err, version] = &p.errors[..] else {
            panic!("{:?}", p.errors);
        };
        assert_eq!(root.path, "$");
        assert_eq!(err.to_message(), want);
        assert_eq!(alloc::format!("{err}"), want);
        assert_eq!(version.to_message(), "version: unsupported");
    }
}
