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
            for (i, name) in self.expected.split(' ').enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
            }
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

/// Writes a JSON path: `rules[3].conditions.all[1].op`, or `$` for the root.
pub(crate) fn render_path(segs: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => {
                out.push('[');
                crate::json::push_u64(&mut out, *i as u64);
                out.push(']');
            }
        }
    }
    if out.is_empty() {
        out.push('$');
    }
    out
}

/// Collects problems while walking a JSON tree, tracking the current path.
pub(crate) struct Problems<'a> {
    path: Vec<Seg<'a>>,
    pub(crate) errors: Vec<RulesError>,
}

impl<'a> Problems<'a> {
    pub(crate) fn new() -> Self {
        Problems {
            path: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Records a problem at the current path.
    pub(crate) fn report(
        &mut self,
        message: &'static str,
        found: Option<&str>,
        expected: &'static str,
    ) {
        self.errors.push(RulesError {
            path: render_path(&self.path),
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
        key: &'a str,
        message: &'static str,
        found: Option<&str>,
        expected: &'static str,
    ) {
        self.enter(key);
        self.report(message, found, expected);
        self.leave();
    }

    /// Records a problem with the member `key` of the current path, without a value.
    pub(crate) fn bad(&mut self, key: &'a str, message: &'static str) {
        self.report_at(key, message, None, "");
    }

    /// Goes one step deeper in the path, to the member `key`; every `enter` (and
    /// [`Problems::enter_index`]) is paired with a [`Problems::leave`]. A function per kind
    /// of step keeps the callers from building a [`Seg`] (a smaller bundle).
    #[inline(never)]
    pub(crate) fn enter(&mut self, key: &'a str) {
        self.path.push(Seg::Key(key));
    }

    /// Goes one step deeper in the path, to the element `i`.
    #[inline(never)]
    pub(crate) fn enter_index(&mut self, i: usize) {
        self.path.push(Seg::Index(i));
    }

    /// Comes back up one step.
    #[inline(never)]
    pub(crate) fn leave(&mut self) {
        self.path.pop();
    }

    /// Runs `f` one step deeper in the path.
    pub(crate) fn at<T>(&mut self, seg: Seg<'a>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(seg);
        let result = f(self);
        self.path.pop();
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
        let err = RulesError {
            path: render_path(&[
                Seg::Key("rules"),
                Seg::Index(3),
                Seg::Key("conditions"),
                Seg::Key("all"),
                Seg::Index(1),
                Seg::Key("op"),
            ]),
            message: "unknown operator",
            found: Some("equal".into()),
            expected: "equals not_equals",
        };
        let want = "rules[3].conditions.all[1].op: unknown operator \"equal\"; expected one of equals, not_equals";
        assert_eq!(err.to_message(), want);
        assert_eq!(alloc::format!("{err}"), want);
        assert_eq!(render_path(&[]), "$");
    }
}
