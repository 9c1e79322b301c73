//! Which URLs and styles a rule may put into a page.
//!
//! URLs are checked by an allowlist of schemes, after doing what browsers' URL parsers do
//! first (trim C0 controls and spaces, drop tabs and newlines anywhere), so `jav&#x09;ascript:`
//! and ` JAVASCRIPT:` are caught and anything without a scheme is a harmless relative URL.

use crate::text::{contains, find, split, split_once};

/// The schemes a URL in a rule may have; anything else (`javascript:`, `data:`, `vbscript:`,
/// `file:`, `blob:`…) is refused. A URL without a scheme is relative and allowed.
pub const SAFE_URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// [`SAFE_URL_SCHEMES`] as words (smaller in the browser bundle than the slice).
const SAFE_SCHEME_LIST: &str = "http https mailto tel";

/// Whether a URL is safe to put in `href`, `src` or a redirect: relative, or with one of
/// [`SAFE_URL_SCHEMES`]. Any control character other than tab/newline refuses it.
pub fn is_safe_url(url: &str) -> bool {
    let trimmed = trim_ascii_by(url, |b| b <= b' ');
    let mut scheme = [0u8; 8];
    let mut len = 0usize;
    for b in trimmed.bytes() {
        match b {
            b'\t' | b'\n' | b'\r' => {}
            0..=0x1f | 0x7f => return false,
            b':' => {
                return scheme
                    .get(..len)
                    .is_some_and(|s| super::word_index(SAFE_SCHEME_LIST, s).is_some());
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-' | b'.'
                if len > 0 || b.is_ascii_alphabetic() =>
            {
                // Schemes longer than the buffer are counted, not stored: none is allowed.
                if let Some(slot) = scheme.get_mut(len) {
                    *slot = b.to_ascii_lowercase();
                }
                len += 1;
            }
            // Anything else ends a would-be scheme: the URL is relative.
            _ => return true,
        }
    }
    true
}

/// `s` without the leading and trailing ASCII bytes `strip` accepts (byte by byte: smaller in
/// the browser bundle than `trim_matches`, which decodes chars).
fn trim_ascii_by(s: &str, strip: fn(u8) -> bool) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|c| !strip(*c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !strip(*c)).map_or(start, |i| i + 1);
    // Both ends are next to ASCII bytes (or the ends of `s`), so they are char boundaries.
    s.get(start..end).unwrap_or("")
}

/// Whether every URL of a `srcset` list (`a.png 1x, b.png 2x`) is safe.
pub(crate) fn is_safe_srcset(srcset: &str) -> bool {
    srcset
        .split(',')
        .filter_map(|candidate| candidate.split_ascii_whitespace().next())
        .all(is_safe_url)
}

/// Attributes whose value is loaded or navigated to, checked with [`is_safe_url`] (words,
/// not a slice of `&str`: smaller in the browser bundle). The browser tracker's copy is in
/// sdk-wasm/js/sanitize.js.
pub const URL_ATTRIBUTES: &str =
    "href src action formaction xlink:href poster cite background data \
codebase ping lowsrc dynsrc manifest longdesc icon";

/// Why an attribute or a style may not be set: a code, so that the browser, which only
/// needs to know *whether*, does not carry the messages ([`Problem::message`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    AttributeName,
    EventHandler,
    StyleAttribute,
    Srcdoc,
    UnsafeUrl,
    PropertyName,
    PropertyRunsCode,
    ValueCharacter,
    ValueComment,
    ValueRunsCode,
    UnclosedUrl,
    UnsafeUrlInValue,
}

impl Problem {
    /// The field at fault: `name`, `value` or `property`.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Problem::AttributeName
            | Problem::EventHandler
            | Problem::StyleAttribute
            | Problem::Srcdoc => "name",
            Problem::PropertyName | Problem::PropertyRunsCode => "property",
            _ => "value",
        }
    }

    /// What is wrong, for people.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Problem::AttributeName => "invalid attribute name",
            Problem::EventHandler => "event-handler attributes are not allowed",
            Problem::StyleAttribute => "use set_style to change styles",
            Problem::Srcdoc => "srcdoc holds unsanitised HTML and is not allowed",
            Problem::UnsafeUrl => {
                "unsafe URL: only http, https, mailto, tel or relative URLs are allowed"
            }
            Problem::PropertyName => "invalid CSS property name",
            Problem::PropertyRunsCode => "this CSS property can run code and is not allowed",
            Problem::ValueCharacter => {
                "CSS value with a control character, escape, '<', '>', '{', '}' or ';'"
            }
            Problem::ValueComment => "CSS comments are not allowed in a value",
            Problem::ValueRunsCode => "CSS value that can run code",
            Problem::UnclosedUrl => "unclosed url( in a CSS value",
            Problem::UnsafeUrlInValue => "unsafe URL in a CSS value",
        }
    }
}

/// Why `set_attribute name=value` may not run, if it may not. `name` is lowercase.
pub(crate) fn attribute_problem(name: &str, value: &str) -> Option<Problem> {
    if !is_attribute_name(name) {
        return Some(Problem::AttributeName);
    }
    if name.starts_with("on") {
        return Some(Problem::EventHandler);
    }
    match super::word_index("style srcdoc srcset imagesrcset", name.as_bytes()) {
        Some(0) => Some(Problem::StyleAttribute),
        Some(1) => Some(Problem::Srcdoc),
        Some(_) if !is_safe_srcset(value) => Some(Problem::UnsafeUrl),
        _ if super::word_index(URL_ATTRIBUTES, name.as_bytes()).is_some()
            && !is_safe_url(value) =>
        {
            Some(Problem::UnsafeUrl)
        }
        _ => None,
    }
}

/// Whether `name` is an attribute name `setAttribute` accepts and a rule may use: ASCII
/// letters, digits, `-`, `_`, `:` and `.`, starting with a letter or `_`.
pub(crate) fn is_attribute_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
}

/// Why `set_style property: value` may not run, if it may not.
pub(crate) fn style_problem(property: &str, value: &str) -> Option<Problem> {
    let custom = property.strip_prefix("--");
    let name_ok = match custom {
        Some(rest) => {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        }
        None => {
            let body = property.strip_prefix('-').unwrap_or(property);
            body.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && body.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        }
    };
    if !name_ok {
        return Some(Problem::PropertyName);
    }
    if property.eq_ignore_ascii_case("behavior") || property.eq_ignore_ascii_case("-moz-binding") {
        return Some(Problem::PropertyRunsCode);
    }
    value_problem(value)
}

/// What a CSS value may not contain, ignoring ASCII case: each can run code or load a
/// style sheet. The browser tracker's copy is in sdk-wasm/js/sanitize.js.
pub const CODE_IN_CSS_VALUES: &str = "expression( javascript: vbscript: @import -moz-binding";

fn value_problem(value: &str) -> Option<Problem> {
    if value
        .bytes()
        .any(|b| b < 0x20 || b == 0x7f || matches!(b, b'\\' | b'<' | b'>' | b'{' | b'}' | b';'))
    {
        return Some(Problem::ValueCharacter);
    }
    // Matched ignoring ASCII case rather than on a lowercased copy: the same bytes match, and
    // is_safe_url reads schemes ignoring case too.
    if contains(value, "/*", false) {
        return Some(Problem::ValueComment);
    }
    if split(CODE_IN_CSS_VALUES, b' ').any(|marker| contains(value, marker, true)) {
        return Some(Problem::ValueRunsCode);
    }
    let mut rest = value;
    while let Some(i) = find(rest, "url(", true) {
        let after = rest.get(i + 4..).unwrap_or("");
        let Some((inner, after_inner)) = split_once(after, b')') else {
            return Some(Problem::UnclosedUrl);
        };
        let inner = trim_ascii_by(inner, |b| {
            b.is_ascii_whitespace() || b == b'"' || b == b'\''
        });
        if !is_safe_url(inner) {
            return Some(Problem::UnsafeUrlInValue);
        }
        rest = after_inner;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_list_is_the_public_list() {
        assert!(SAFE_SCHEME_LIST.split(' ').eq(SAFE_URL_SCHEMES));
    }

    #[test]
    fn script_urls_are_refused_however_they_are_dressed() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " \u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "javascript\u{0}:x",
            "blob:https://a.com/x",
            "somethingverylongscheme:x",
        ] {
            assert!(!is_safe_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn web_urls_and_relative_urls_are_allowed() {
        for good in [
            "https://example.com/a?b#c",
            "HTTP://example.com",
            "mailto:sales@example.com",
            "tel:+49301234",
            "/pricing",
            "pricing.html",
            "?plan=pro",
            "#top",
            "//cdn.example.com/x.png",
            "",
            "a/b:c",
            "&#x6a;avascript:alert(1)",
            "averyveryverylongpath/with:colon",
        ] {
            assert!(is_safe_url(good), "{good:?}");
        }
    }

    #[test]
    fn attributes_that_run_code_or_load_unsafe_urls_are_refused() {
        assert!(attribute_problem("onclick", "x").is_some());
        assert!(attribute_problem("href", "javascript:alert(1)").is_some());
        assert!(attribute_problem("formaction", "data:x").is_some());
        assert!(attribute_problem("srcset", "a.png 1x, javascript:x 2x").is_some());
        assert!(attribute_problem("style", "color:red").is_some());
        assert!(attribute_problem("srcdoc", "<b>").is_some());
        assert!(attribute_problem("bad name", "x").is_some());
        assert_eq!(attribute_problem("href", "/signup?plan=pro"), None);
        assert_eq!(attribute_problem("data-variant", "javascript:"), None);
        assert_eq!(attribute_problem("aria-label", "Close"), None);
    }

    #[test]
    fn styles_that_could_run_code_are_refused() {
        assert_eq!(style_problem("color", "#c00"), None);
        assert_eq!(style_problem("--brand", "rgb(1, 2, 3)"), None);
        assert_eq!(
            style_problem("background", "url('/img/hero.jpg') no-repeat"),
            None
        );
        for (prop, value) in [
            ("width", "expression(alert(1))"),
            ("background", "url(javascript:alert(1))"),
            ("background", "url( \"JAVASCRIPT:alert(1)\" )"),
            ("width", "expr/**/ession(alert(1))"),
            ("width", "expr\\65 ssion(alert(1))"),
            ("behavior", "url(x.htc)"),
            ("color", "red; background: url(x)"),
            ("color", "red</style><script>"),
            ("co lor", "red"),
            ("background", "url(data:image/svg+xml,x)"),
        ] {
            assert!(style_problem(prop, value).is_some(), "{prop}: {value}");
        }
    }
}
