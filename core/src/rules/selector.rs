//! A CSS selector checker for lint: would `querySelectorAll` accept this, and can it match?
//!
//! Covers what rules target in practice (Selectors Level 4 minus namespaces): type, universal,
//! class, id and attribute selectors, the four combinators, selector lists, and the
//! pseudo-classes of [`PSEUDO_CLASSES`] and [`FUNCTIONAL_PSEUDO_CLASSES`]. Pseudo-elements
//! are refused: they can never be selected. The browser does not need this (its own
//! `querySelectorAll` is the authority there), so it stays out of the bundle.

/// Why a selector was refused, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectorError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: &'static str,
}

/// Pseudo-classes without arguments that the checker accepts.
pub const PSEUDO_CLASSES: &[&str] = &[
    "active",
    "any-link",
    "autofill",
    "checked",
    "default",
    "defined",
    "disabled",
    "empty",
    "enabled",
    "first-child",
    "first-of-type",
    "focus",
    "focus-visible",
    "focus-within",
    "fullscreen",
    "hover",
    "in-range",
    "indeterminate",
    "invalid",
    "last-child",
    "last-of-type",
    "link",
    "modal",
    "only-child",
    "only-of-type",
    "optional",
    "out-of-range",
    "placeholder-shown",
    "popover-open",
    "read-only",
    "read-write",
    "required",
    "root",
    "scope",
    "target",
    "user-invalid",
    "user-valid",
    "valid",
    "visited",
];

/// Pseudo-classes that take arguments.
pub const FUNCTIONAL_PSEUDO_CLASSES: &[&str] = &[
    "not",
    "is",
    "where",
    "has",
    "nth-child",
    "nth-last-child",
    "nth-of-type",
    "nth-last-of-type",
    "lang",
    "dir",
];

/// Elements the browser never changes for an action (js/personalize.js skips them): a change
/// to them could run or load code (`script`, `link`, `base`, frames, plugins) or restyle the
/// whole page (`style`, `meta`), which no personalisation needs.
pub const UNCHANGEABLE_ELEMENTS: &[&str] = &[
    "script", "style", "link", "meta", "base", "iframe", "frame", "object", "embed",
];

/// The element of [`UNCHANGEABLE_ELEMENTS`] that a selector of the list names as its subject
/// (the type of the last compound: `head > script[src]`, `IFRAME.ad`), if one does. A
/// selector such as `[src]` can still reach them; the browser skips them there too.
pub fn unchangeable_subject(selector: &str) -> Option<&'static str> {
    let b = selector.as_bytes();
    let (mut i, mut depth, mut quote) = (0, 0usize, None);
    // Where the current compound starts (after a combinator or a comma at the top level).
    let mut compound = 0;
    let subject = |compound: usize, end: usize| {
        let name = b.get(compound..end).unwrap_or(&[]);
        let len = name
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
            .unwrap_or(name.len());
        let name = name.get(..len).unwrap_or(&[]);
        UNCHANGEABLE_ELEMENTS
            .iter()
            .find(|e| e.as_bytes().eq_ignore_ascii_case(name))
            .copied()
    };
    while i <= b.len() {
        let c = b.get(i).copied();
        match (quote, c) {
            (Some(q), Some(c)) if c == q => quote = None,
            (Some(_), Some(b'\\')) => i += 1,
            (Some(_), Some(_)) => {}
            (_, Some(b'\\')) => i += 1,
            (_, Some(q @ (b'"' | b'\''))) => quote = Some(q),
            (_, Some(b'(' | b'[')) => depth += 1,
            (_, Some(b')' | b']')) => depth = depth.saturating_sub(1),
            (_, Some(b' ' | b'\t' | b'\n' | b'>' | b'+' | b'~')) if depth == 0 => {
                compound = i + 1;
            }
            (_, Some(b',')) if depth == 0 => {
                if let Some(found) = subject(compound, i) {
                    return Some(found);
                }
                compound = i + 1;
            }
            (_, None) => return subject(compound, i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Checks a selector list such as `#hero h1, .offer > p:first-child`.
pub fn check_selector(selector: &str) -> Result<(), SelectorError> {
    let mut c = Checker {
        b: selector.as_bytes(),
        at: 0,
        depth: 0,
    };
    c.selector_list(false)?;
    if c.at < c.b.len() {
        return Err(c.error(if c.peek() == b')' {
            "unbalanced ')'"
        } else {
            "unexpected character"
        }));
    }
    Ok(())
}

struct Checker<'a> {
    b: &'a [u8],
    at: usize,
    depth: usize,
}

/// Nesting of `:not(:is(…))` accepted, so hostile input cannot recurse without bound.
const MAX_NESTING: usize = 16;

impl Checker<'_> {
    fn peek(&self) -> u8 {
        self.b.get(self.at).copied().unwrap_or(0)
    }

    fn peek_at(&self, offset: usize) -> u8 {
        self.b.get(self.at + offset).copied().unwrap_or(0)
    }

    fn error(&self, message: &'static str) -> SelectorError {
        SelectorError {
            offset: self.at,
            message,
        }
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.at;
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
            self.at += 1;
        }
        self.at > start
    }

    fn at_end(&self) -> bool {
        self.at >= self.b.len()
    }

    /// A comma-separated list; ends at the end of input or before `)`.
    fn selector_list(&mut self, relative: bool) -> Result<(), SelectorError> {
        loop {
            self.skip_ws();
            if self.at_end() || matches!(self.peek(), b',' | b')') {
                return Err(self.error("empty selector"));
            }
            self.complex(relative)?;
            self.skip_ws();
            if self.peek() == b',' {
                self.at += 1;
                continue;
            }
            return Ok(());
        }
    }

    fn complex(&mut self, relative: bool) -> Result<(), SelectorError> {
        if relative && matches!(self.peek(), b'>' | b'+' | b'~') {
            self.at += 1;
            self.skip_ws();
        }
        self.compound()?;
        loop {
            let had_space = self.skip_ws();
            if self.at_end() || matches!(self.peek(), b',' | b')') {
                return Ok(());
            }
            match self.peek() {
                b'>' | b'+' | b'~' => {
                    self.at += 1;
                    self.skip_ws();
                    if self.at_end() || matches!(self.peek(), b',' | b')') {
                        return Err(self.error("expected a selector after the combinator"));
                    }
                    self.compound()?;
                }
                _ if had_space => self.compound()?,
                _ => return Err(self.error("unexpected character")),
            }
        }
    }

    fn compound(&mut self) -> Result<(), SelectorError> {
        let start = self.at;
        if self.peek() == b'*' {
            self.at += 1;
        } else if self.starts_ident() {
            self.ident()?;
        }
        if self.peek() == b'|' {
            return Err(self.error("namespaces are not supported"));
        }
        loop {
            match self.peek() {
                b'#' => {
                    self.at += 1;
                    if !self.starts_ident() {
                        return Err(self.error(
                            "an id selector needs a name that does not start with a digit",
                        ));
                    }
                    self.ident()?;
                }
                b'.' => {
                    self.at += 1;
                    if !self.starts_ident() {
                        return Err(self.error("a class selector needs a name"));
                    }
                    self.ident()?;
                }
                b'[' => self.attribute()?,
                b':' => self.pseudo()?,
                _ => break,
            }
        }
        if self.at == start {
            return Err(self.error(match self.peek() {
                b']' => "unbalanced ']'",
                b')' => "unbalanced ')'",
                _ => "expected a selector",
            }));
        }
        Ok(())
    }

    fn starts_ident(&self) -> bool {
        let name_start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80;
        match self.peek() {
            b'-' => {
                let next = self.peek_at(1);
                name_start(next) || next == b'-' || next == b'\\'
            }
            b'\\' => self.peek_at(1) != b'\n' && !self.at_end(),
            b => name_start(b),
        }
    }

    fn ident(&mut self) -> Result<(), SelectorError> {
        let start = self.at;
        loop {
            match self.peek() {
                b'\\' => {
                    self.at += 1;
                    if self.at_end() || self.peek() == b'\n' {
                        return Err(self.error("invalid escape"));
                    }
                    if self.peek().is_ascii_hexdigit() {
                        let mut n = 0;
                        while n < 6 && self.peek().is_ascii_hexdigit() {
                            self.at += 1;
                            n += 1;
                        }
                        if matches!(self.peek(), b' ' | b'\t' | b'\n') {
                            self.at += 1;
                        }
                    } else {
                        self.at += 1;
                    }
                }
                b if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80 => {
                    self.at += 1
                }
                _ => break,
            }
        }
        if self.at == start {
            return Err(self.error("expected a name"));
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), SelectorError> {
        let quote = self.peek();
        self.at += 1;
        loop {
            match self.peek() {
                _ if self.at_end() => return Err(self.error("unterminated string")),
                b'\n' => return Err(self.error("unterminated string")),
                b'\\' => self.at += 2,
                b if b == quote => {
                    self.at += 1;
                    return Ok(());
                }
                _ => self.at += 1,
            }
        }
    }

    fn attribute(&mut self) -> Result<(), SelectorError> {
        self.at += 1; // [
        self.skip_ws();
        if !self.starts_ident() {
            return Err(self.error("expected an attribute name"));
        }
        self.ident()?;
        self.skip_ws();
        if self.peek() == b']' {
            self.at += 1;
            return Ok(());
        }
        match (self.peek(), self.peek_at(1)) {
            (b'=', _) => self.at += 1,
            (b'~' | b'|' | b'^' | b'$' | b'*', b'=') => self.at += 2,
            _ => {
                return Err(
                    self.error("expected ']' or an attribute operator (=, ~=, |=, ^=, $=, *=)")
                )
            }
        }
        self.skip_ws();
        match self.peek() {
            b'"' | b'\'' => self.string()?,
            _ if self.starts_ident() => self.ident()?,
            _ => return Err(self.error("expected an attribute value (a name or a quoted string)")),
        }
        self.skip_ws();
        if matches!(self.peek(), b'i' | b'I' | b's' | b'S')
            && matches!(self.peek_at(1), b']' | b' ' | b'\t' | b'\n')
        {
            self.at += 1;
            self.skip_ws();
        }
        if self.peek() != b']' {
            return Err(self.error("unbalanced '['"));
        }
        self.at += 1;
        Ok(())
    }

    fn pseudo(&mut self) -> Result<(), SelectorError> {
        self.at += 1; // :
        if self.peek() == b':' {
            return Err(self.error("pseudo-elements (::before…) cannot be selected"));
        }
        let start = self.at;
        self.ident()?;
        let name = core::str::from_utf8(self.b.get(start..self.at).unwrap_or(b"")).unwrap_or("");
        let lower = |list: &[&str]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
        if self.peek() != b'(' {
            if lower(PSEUDO_CLASSES) {
                return Ok(());
            }
            if lower(&["before", "after", "first-line", "first-letter"]) {
                return Err(self.error("pseudo-elements (:before…) cannot be selected"));
            }
            return Err(SelectorError {
                offset: start,
                message: "unknown pseudo-class",
            });
        }
        if !lower(FUNCTIONAL_PSEUDO_CLASSES) {
            return Err(SelectorError {
                offset: start,
                message: "unknown functional pseudo-class",
            });
        }
        self.at += 1; // (
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error("pseudo-classes nested too deeply"));
        }
        let lower_name = |n: &str| name.eq_ignore_ascii_case(n);
        if lower_name("not") || lower_name("is") || lower_name("where") {
            self.selector_list(false)?;
        } else if lower_name("has") {
            self.selector_list(true)?;
        } else if lower_name("lang") || lower_name("dir") {
            self.skip_ws();
            loop {
                match self.peek() {
                    b'"' | b'\'' => self.string()?,
                    _ if self.starts_ident() => self.ident()?,
                    _ => return Err(self.error("expected a language or direction")),
                }
                self.skip_ws();
                if self.peek() != b',' || lower_name("dir") {
                    break;
                }
                self.at += 1;
                self.skip_ws();
            }
        } else {
            self.an_plus_b()?;
            self.skip_ws();
            if lower_name("nth-child") || lower_name("nth-last-child") {
                let of = self
                    .b
                    .get(self.at..self.at + 2)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"of"));
                if of && matches!(self.peek_at(2), b' ' | b'\t' | b'\n') {
                    self.at += 2;
                    self.selector_list(false)?;
                }
            }
        }
        self.skip_ws();
        if self.peek() != b')' {
            return Err(self.error("unbalanced '('"));
        }
        self.at += 1;
        self.depth -= 1;
        Ok(())
    }

    /// `odd`, `even`, `3`, `-n+3`, `2n + 1`…
    fn an_plus_b(&mut self) -> Result<(), SelectorError> {
        self.skip_ws();
        let word = |c: &Self, w: &[u8]| {
            c.b.get(c.at..c.at + w.len())
                .is_some_and(|x| x.eq_ignore_ascii_case(w))
                && !c
                    .b
                    .get(c.at + w.len())
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-')
        };
        if word(self, b"odd") || word(self, b"even") {
            self.at += if word(self, b"odd") { 3 } else { 4 };
            return Ok(());
        }
        if matches!(self.peek(), b'+' | b'-') {
            self.at += 1;
        }
        let digits_start = self.at;
        while self.peek().is_ascii_digit() {
            self.at += 1;
        }
        let had_a = self.at > digits_start;
        if !matches!(self.peek(), b'n' | b'N') {
            return if had_a {
                Ok(())
            } else {
                Err(self.error("expected odd, even or an+b"))
            };
        }
        self.at += 1;
        self.skip_ws();
        if matches!(self.peek(), b'+' | b'-') {
            self.at += 1;
            self.skip_ws();
            if !self.peek().is_ascii_digit() {
                return Err(self.error("expected a number after the sign"));
            }
            while self.peek().is_ascii_digit() {
                self.at += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_whose_subject_is_script_or_the_like_are_found() {
        for (selector, found) in [
            ("script", Some("script")),
            ("head > script[src]", Some("script")),
            ("#hero h1, IFRAME.ad", Some("iframe")),
            ("base", Some("base")),
            ("link[rel=stylesheet]", Some("link")),
            ("div > style", Some("style")),
            ("script + p", None),
            ("p:not(script)", None),
            ("[data-x='a, script']", None),
            ("#hero h1", None),
            ("scripts", None),
            ("[src]", None),
            ("", None),
        ] {
            assert_eq!(unchangeable_subject(selector), found, "{selector}");
        }
    }

    #[test]
    fn selectors_rules_use_are_accepted() {
        for good in [
            "#hero h1",
            "h1",
            "*",
            ".offer > p:first-child",
            "a[href^='https://'], a[href$=\".pdf\" i]",
            "[data-orbit-slot=hero]",
            "ul li:nth-child(2n + 1)",
            "li:nth-child(odd)",
            "li:nth-of-type(-n+3)",
            "li:nth-child(3 of .item)",
            "section:not(.hidden, #x) ~ p + span",
            "div:has(> img)",
            ".btn-primary:is(:hover, :focus-visible)",
            "p:lang(de)",
            "#\\31 23",
            ".a\\:b",
            "  main   .cta  ",
            "-moz-thing",
            "input:checked",
        ] {
            assert_eq!(check_selector(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn broken_or_unmatchable_selectors_are_refused() {
        for (bad, message) in [
            ("", "empty selector"),
            ("   ", "empty selector"),
            ("h1,", "empty selector"),
            (",h1", "empty selector"),
            (
                "#",
                "an id selector needs a name that does not start with a digit",
            ),
            (
                "#123",
                "an id selector needs a name that does not start with a digit",
            ),
            (".", "a class selector needs a name"),
            ("div >", "expected a selector after the combinator"),
            (
                "a[href",
                "expected ']' or an attribute operator (=, ~=, |=, ^=, $=, *=)",
            ),
            ("a[href='x'", "unbalanced '['"),
            ("a[href='x]", "unterminated string"),
            ("div)", "unbalanced ')'"),
            ("div]", "unexpected character"),
            (
                "p::before",
                "pseudo-elements (::before…) cannot be selected",
            ),
            ("p:before", "pseudo-elements (:before…) cannot be selected"),
            ("p:frist-child", "unknown pseudo-class"),
            ("p:not(.a", "unbalanced '('"),
            ("p:not()", "empty selector"),
            ("li:nth-child(x)", "expected odd, even or an+b"),
            ("svg|rect", "namespaces are not supported"),
            ("a > > b", "expected a selector"),
            ("h1 {color:red}", "expected a selector"),
        ] {
            assert_eq!(
                check_selector(bad).map_err(|e| e.message),
                Err(message),
                "{bad}"
            );
        }
        let deep = "p".to_string() + &":not(".repeat(40) + "a" + &")".repeat(40);
        assert!(check_selector(&deep).is_err());
    }

    use alloc::string::ToString;
}
