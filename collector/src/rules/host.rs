//! The collector's [`Host`] for the rule engine: regexes from the `regex` crate, which
//! matches in linear time, with bounded compiled sizes so that a hostile pattern costs a
//! refusal (a lint error on save) rather than memory.
//!
//! The browser compiles the same patterns with `RegExp` (no `u` flag), where `\d`, `\w`,
//! `\b` and `\s` are ASCII (`\s` JavaScript's own whitespace list) and `.` stops at line
//! terminators; the `regex` crate reads them as Unicode classes, so `^\w+$` would match
//! `café` in a preview and not on the page. [`browser_pattern`] rewrites them to what
//! `RegExp` means before compiling.

use orbit_core::rules::Host;
use regex::{Regex, RegexBuilder};

/// Largest compiled program of one pattern. Patterns are at most
/// [`orbit_core::limits::MAX_REGEX_PATTERN_BYTES`] long; this refuses the few that explode
/// when compiled, such as nested counted repetitions (`(a{100}){100}`).
pub const MAX_REGEX_PROGRAM_BYTES: usize = 256 * 1024;
/// Largest lazy DFA cache of one pattern; matching stays linear beyond it, just slower.
pub const MAX_REGEX_DFA_BYTES: usize = 1024 * 1024;
/// Deepest nesting of groups and repetitions in one pattern.
pub const MAX_REGEX_NESTING: u32 = 64;

/// Compiles rule regexes with the `regex` crate, the way the browser uses `RegExp`:
/// unanchored search, `ignore_case` as the `i` flag.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegexHost;

impl Host for RegexHost {
    type Regex = Regex;

    fn compile_regex(&self, pattern: &str, ignore_case: bool) -> Option<Regex> {
        RegexBuilder::new(&browser_pattern(pattern))
            .case_insensitive(ignore_case)
            .size_limit(MAX_REGEX_PROGRAM_BYTES)
            .dfa_size_limit(MAX_REGEX_DFA_BYTES)
            .nest_limit(MAX_REGEX_NESTING)
            .build()
            .ok()
    }

    fn regex_is_match(&self, regex: &Regex, text: &str) -> bool {
        regex.is_match(text)
    }
}

/// JavaScript's `\s` (without the `u` flag), as the members of a `regex`-crate class: not
/// quite Unicode's White_Space (U+FEFF is in it, U+0085 is not).
const JS_SPACE: &str =
    r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
/// `\d` and `\w` of `RegExp`: ASCII only.
const JS_DIGIT: &str = "0-9";
const JS_WORD: &str = "0-9A-Za-z_";

/// `pattern` with the classes, assertions and `.` that `RegExp` (no `u` flag) reads
/// otherwise than the `regex` crate rewritten to `RegExp`'s meaning: `\d \w \s` and their
/// negations, `\b \B` (ASCII word boundaries), `[\b]` (backspace) and `.` (anything but
/// a line terminator). Everything else is left as written.
pub fn browser_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    // Depth of `[…]` (the regex crate nests classes) and whether a `]` here would be a
    // literal, as right after `[` or `[^`.
    let mut depth = 0usize;
    let mut class_start = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let at_start = std::mem::take(&mut class_start);
        let in_class = depth > 0;
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push(c);
                    break;
                };
                let class = match e {
                    'd' | 'D' => Some(JS_DIGIT),
                    'w' | 'W' => Some(JS_WORD),
                    's' | 'S' => Some(JS_SPACE),
                    _ => None,
                };
                match (class, e.is_ascii_uppercase(), in_class) {
                    (Some(members), false, true) => out.push_str(members),
                    (Some(members), false, false) => {
                        out.push('[');
                        out.push_str(members);
                        out.push(']');
                    }
                    (Some(members), true, _) => {
                        out.push_str("[^");
                        out.push_str(members);
                        out.push(']');
                    }
                    (None, _, true) if e == 'b' => out.push_str(r"\x08"),
                    (None, _, false) if e == 'b' || e == 'B' => {
                        out.push_str("(?-u:\\");
                        out.push(e);
                        out.push(')');
                    }
                    _ => {
                        out.push(c);
                        out.push(e);
                    }
                }
            }
            '[' => {
                depth += 1;
                class_start = true;
                out.push(c);
            }
            '^' if at_start => {
                class_start = true;
                out.push(c);
            }
            ']' if in_class && !at_start => {
                depth -= 1;
                out.push(c);
            }
            '.' if !in_class => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_anywhere_and_ignore_case_on_request() {
        let host = RegexHost;
        let re = host.compile_regex("^/blog/[a-z]+", false).unwrap();
        assert!(host.regex_is_match(&re, "/blog/spring"));
        assert!(!host.regex_is_match(&re, "/BLOG/spring"));
        let re = host.compile_regex("spring", true).unwrap();
        assert!(host.regex_is_match(&re, "the SPRING sale"));
    }

    #[test]
    fn invalid_and_exploding_patterns_are_refused() {
        let host = RegexHost;
        assert!(host.compile_regex("(unclosed", false).is_none());
        assert!(host.compile_regex("(a{1000}){1000}", false).is_none());
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(host.compile_regex(&deep, false).is_none());
    }

    /// What `RegExp` (no `u` flag) answers, which a preview must answer too.
    #[test]
    fn classes_and_boundaries_mean_what_they_mean_in_the_browser() {
        let host = RegexHost;
        let is_match = |pattern: &str, ignore_case: bool, text: &str| {
            let re = host
                .compile_regex(pattern, ignore_case)
                .unwrap_or_else(|| panic!("{pattern} does not compile"));
            host.regex_is_match(&re, text)
        };
        for (pattern, text, expected) in [
            (r"^\w+$", "café", false),
            (r"^\w+$", "cafe_2", true),
            (r"^\W$", "é", true),
            (r"^\d+$", "\u{663}", false),
            (r"^\d+$", "2026", true),
            (r"^\D$", "\u{663}", true),
            (r"^[\w-]+$", "a-é", false),
            (r"^[\w-]+$", "spring-sale", true),
            (r"^[^\W]+$", "abc", true),
            (r"^[^\W]+$", "abé", false),
            (r"^[\d\s]+$", "1 2", true),
            (r"\bcafé\b", "café", false),
            (r"caf\b", "café", true),
            (r"\bspring\b", "the spring sale", true),
            (r"\Bpring", "spring", true),
            (r"^\s$", "\u{feff}", true),
            (r"^\s$", "\u{85}", false),
            (r"^\S$", "\u{85}", true),
            (r"^[\b]$", "\u{8}", true),
            (r"^a.b$", "a\rb", false),
            (r"^a.b$", "a\u{2028}b", false),
            (r"^a.b$", "aéb", true),
            (r"^a[.]b$", "aéb", false),
            (r"^[]a]+$", "]a", true),
            (r"^[^]a]+$", "bc", true),
            (r"^\\d$", "\\d", true),
            (r"^\.$", ".", true),
        ] {
            assert_eq!(
                is_match(pattern, false, text),
                expected,
                "{pattern} on {text:?}"
            );
        }
        assert!(is_match(r"^\w+$", true, "SPRING"));
        assert!(!is_match(r"^\w+$", true, "CAFÉ"));
    }
}
