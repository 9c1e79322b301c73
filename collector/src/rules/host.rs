//! The collector's [`Host`] for the rule engine: regexes from the `regex` crate, which
//! matches in linear time, with bounded compiled sizes so that a hostile pattern costs a
//! refusal (a lint error on save) rather than memory.

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
        RegexBuilder::new(pattern)
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
}
