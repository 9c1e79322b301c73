//! Inline rule documents of the pages the collector serves, compiled when they are loaded:
//! the tracker only reads compiled documents, and a site author writes (and edits) the
//! document as JSON in the page.
//!
//! Recognised: every `<script …>` start tag (any case) with the attributes
//! `type="application/json"` (any case, surrounding spaces ignored) and `id="orbit-rules"`
//! (exactly), in any order, quoted with `"` or `'` or unquoted, among other attributes;
//! its content runs to the next `</script`. Start tags inside comments (`<!-- … -->`) and
//! inside other scripts are skipped. Not recognised: attribute values written with
//! character references (`id="orbit&#45;rules"`).
//!
//! A content that is a JSON object (a document as written) is checked like a saved
//! document and, without errors, replaced by its compiled form; with errors it is left as
//! written and reported. A JSON array (already compiled) and an empty element are left as
//! they are.

use std::ops::Range;

use orbit_core::rules::{Finding, Severity};

use super::check::{check_document, with_revision_text, Checked, ValidDocument};
use super::compile::compile_text;
use super::versions::document_sha256;

/// The ID of the element that holds a page's rule document.
pub const ELEMENT_ID: &str = "orbit-rules";

/// How many errors a [`Refused`] summary names.
pub const SUMMARY_FINDINGS: usize = 3;

/// A page after compiling its inline documents.
#[derive(Debug, Default)]
pub struct CompiledPage {
    /// The rewritten page; `None` when nothing was compiled.
    pub html: Option<String>,
    /// How many documents were compiled.
    pub compiled: usize,
    /// The documents left as written because they have errors.
    pub refused: Vec<Refused>,
}

/// An inline document with errors.
#[derive(Debug)]
pub struct Refused {
    /// The line of the page its element starts on (from 1).
    pub line: usize,
    /// Every finding, errors and warnings.
    pub checked: Checked,
}

impl Refused {
    /// One sentence: where, how many errors, the first few with their JSON paths.
    pub fn summary(&self) -> String {
        let errors: Vec<String> = self
            .checked
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .take(SUMMARY_FINDINGS)
            .map(|f: &Finding| format!("{}: {}", f.path, f.message))
            .collect();
        let more = self.checked.errors().saturating_sub(errors.len());
        let more = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        let count = self.checked.errors();
        format!(
            "the inline rule document on line {} has {count} error{}, so it was left as \
             written and the tracker will not apply it: {}{more} (`orbit-collector rules \
             check` lists every finding)",
            self.line,
            if count == 1 { "" } else { "s" },
            errors.join("; "),
        )
    }
}

/// Compiles every inline rule document of `html` that is written as JSON.
pub fn compile_page(html: &str) -> CompiledPage {
    let mut page = CompiledPage::default();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    for content in rule_elements(html) {
        let text = html[content.clone()].trim();
        if text.is_empty() || text.starts_with('[') {
            continue; // nothing, or compiled already
        }
        let checked = check_document(text);
        match &checked.document {
            Some(document) => {
                out.push_str(&html[copied..content.start]);
                out.push_str(&inline_compiled(document));
                copied = content.end;
                page.compiled += 1;
            }
            None => page.refused.push(Refused {
                line: line_of(html, content.start),
                checked,
            }),
        }
    }
    if page.compiled > 0 {
        out.push_str(&html[copied..]);
        page.html = Some(out);
    }
    page
}

/// The compiled form of an inline document. One written without a `revision` gets
/// `inline-` and the first 12 hex digits of its normalised text's SHA-256, so that its
/// exposures name the version of the rules that made them, as a saved document's do.
fn inline_compiled(document: &ValidDocument) -> String {
    if document.rules.revision().is_some() {
        return document.compiled.clone();
    }
    let sha256 = document_sha256(&document.normalized);
    let revision = format!("inline-{}", sha256.get(..12).unwrap_or(&sha256));
    with_revision_text(&document.normalized, &revision)
        .ok()
        .and_then(|text| compile_text(&text).ok())
        .unwrap_or_else(|| document.compiled.clone())
}

fn line_of(html: &str, at: usize) -> usize {
    html.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The byte ranges of the contents of the rule document elements, in page order.
fn rule_elements(html: &str) -> Vec<Range<usize>> {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = html[at..].find('<') {
        let lt = at + offset;
        let rest = &bytes[lt..];
        if rest.starts_with(b"<!--") {
            at = html[lt + 4..]
                .find("-->")
                .map_or(bytes.len(), |end| lt + 4 + end + 3);
        } else if let Some(tag) = script_start_tag(html, lt) {
            let end = script_end(bytes, tag.end);
            if tag.is_rule_document {
                found.push(tag.end..end);
            }
            at = end;
        } else {
            at = lt + 1;
        }
    }
    found
}

/// A `<script>` start tag: where it ends, and whether it holds the rule document.
struct StartTag {
    end: usize,
    is_rule_document: bool,
}

/// The `<script` start tag at `lt`, if one is there.
fn script_start_tag(html: &str, lt: usize) -> Option<StartTag> {
    let bytes = html.as_bytes();
    let name_end = lt + "<script".len();
    let name = bytes.get(lt + 1..name_end)?;
    if !name.eq_ignore_ascii_case(b"script") {
        return None;
    }
    match bytes.get(name_end) {
        Some(b) if b.is_ascii_whitespace() || *b == b'/' || *b == b'>' => {}
        _ => return None,
    }
    let (attributes, end) = attributes(html, name_end);
    let value = |name: &str| {
        attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let is_rule_document = value("id") == Some(ELEMENT_ID)
        && value("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    Some(StartTag {
        end,
        is_rule_document,
    })
}

/// The attributes of a start tag from `at` (names as written, first one wins as in
/// browsers), and where the tag ends (after its `>`, or the end of the page).
fn attributes(html: &str, mut at: usize) -> (Vec<(&str, &str)>, usize) {
    let bytes = html.as_bytes();
    let mut found: Vec<(&str, &str)> = Vec::new();
    loop {
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            at += 1;
        }
        match bytes.get(at) {
            None => return (found, at),
            Some(b'>') => return (found, at + 1),
            Some(_) => {}
        }
        let name_start = at;
        while bytes
            .get(at)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>' | b'='))
        {
            at += 1;
        }
        // A name is never empty here except for a stray `=`, which browsers keep as a name.
        at = at.max(name_start + 1);
        let name = &html[name_start..at];
        let (value, after) = attribute_value(html, at);
        at = after;
        if !found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            found.push((name, value));
        }
    }
}

/// The value of the attribute whose name ends at `at` (empty without `=`), and where it ends.
fn attribute_value(html: &str, mut at: usize) -> (&str, usize) {
    let bytes = html.as_bytes();
    let skip_space = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let after_name = at;
    at = skip_space(at);
    if bytes.get(at) != Some(&b'=') {
        return ("", after_name);
    }
    at = skip_space(at + 1);
    match bytes.get(at) {
        Some(&quote @ (b'"' | b'\'')) => {
            let start = at + 1;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == quote)
                .map_or(bytes.len(), |n| start + n);
            (&html[start..end], (end + 1).min(bytes.len()))
        }
        _ => {
            let start = at;
            while bytes
                .get(at)
                .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
            {
                at += 1;
            }
            (&html[start..at], at)
        }
    }
}

/// Where the content of a script starting at `from` ends: at `</script` followed by a space,
/// `/` or `>` (any case), or the end of the page.
fn script_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(offset) = bytes[at..]
        .windows(8)
        .position(|w| w[..2] == *b"</" && w[2..].eq_ignore_ascii_case(b"script"))
    {
        let end = at + offset;
        match bytes.get(end + 8) {
            Some(b) if !(b.is_ascii_whitespace() || *b == b'/' || *b == b'>') => at = end + 1,
            _ => return end,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::rules::{parse_rules, read_compiled};

    const DOC: &str = r#"{"rules":[{"id":"a","actions":[{"type":"set_text","selector":"h1","text":"\u003c/script> hi"}]}]}"#;

    fn compiled_contents(html: &str) -> Vec<&str> {
        rule_elements(html)
            .into_iter()
            .map(|r| html[r].trim())
            .collect()
    }

    #[test]
    fn a_document_as_written_is_replaced_by_its_compiled_form() {
        let html = format!(
            "<html><head>\n<script type=\"application/json\" id=\"orbit-rules\">\n  {DOC}\n</script>\n<script>x()</script></head></html>"
        );
        let page = compile_page(&html);
        assert_eq!((page.compiled, page.refused.len()), (1, 0));
        let out = page.html.unwrap();
        let inner = compiled_contents(&out);
        assert_eq!(inner.len(), 1);
        let compiled = read_compiled(inner[0]).unwrap();
        // Written without a revision: its content's, which exposures then carry.
        let revision = compiled.revision().unwrap().to_owned();
        assert!(
            revision.len() == 19 && revision.starts_with("inline-"),
            "{revision}"
        );
        let with = DOC.replacen('{', &format!("{{\"revision\":\"{revision}\","), 1);
        assert_eq!(compiled, parse_rules(&with).unwrap());
        assert!(
            out.starts_with("<html><head>\n<script type=\"application/json\" id=\"orbit-rules\">[")
        );
        assert!(
            out.ends_with("]</script>\n<script>x()</script></head></html>"),
            "{out}"
        );
    }

    #[test]
    fn an_inline_revision_is_the_content_s_unless_the_author_wrote_one() {
        let compile = |doc: &str| {
            let html =
                format!("<script type=\"application/json\" id=\"orbit-rules\">{doc}</script>");
            let out = compile_page(&html).html.unwrap();
            let rules = read_compiled(compiled_contents(&out)[0]).unwrap();
            rules.revision().map(str::to_owned)
        };
        let first = compile(DOC);
        assert_eq!(first, compile(DOC), "the same content, the same revision");
        let edited = DOC.replace("hi", "hello");
        assert_ne!(first, compile(&edited), "another content, another revision");
        let own = DOC.replacen('{', r#"{"revision":"spring-3","#, 1);
        assert_eq!(compile(&own).as_deref(), Some("spring-3"));
    }

    #[test]
    fn attributes_are_recognised_in_any_order_quoting_and_case() {
        for tag in [
            r#"<script id="orbit-rules" type="application/json">"#,
            r#"<SCRIPT TYPE='Application/JSON' ID='orbit-rules'>"#,
            r#"<script nonce="n" id=orbit-rules data-x type = " application/json ">"#,
            "<script\n  type=\"application/json\"\n  id=\"orbit-rules\"\n>",
        ] {
            let html = format!("<p>{tag}{DOC}</script ><p>");
            let page = compile_page(&html);
            assert_eq!(page.compiled, 1, "{tag}");
            let out = page.html.unwrap();
            assert!(
                out.starts_with(&format!("<p>{tag}[\"orbit-rules-compiled/2\"")),
                "{out}"
            );
            assert!(out.ends_with("]</script ><p>"), "{out}");
        }
    }

    #[test]
    fn other_elements_comments_and_script_text_are_left_alone() {
        for html in [
            format!(r#"<script type="application/json" id="orbit-rules-2">{DOC}</script>"#),
            format!(r#"<script type="application/ld+json" id="orbit-rules">{DOC}</script>"#),
            format!(r#"<script id="orbit-rules">{DOC}</script>"#),
            format!(r#"<!-- <script type="application/json" id="orbit-rules">{DOC}</script> -->"#),
            format!(
                r#"<script>var s = '<script type="application/json" id="orbit-rules">{DOC}';</script>"#
            ),
            format!(r#"<scripts type="application/json" id="orbit-rules">{DOC}</scripts>"#),
        ] {
            let page = compile_page(&html);
            assert!(page.html.is_none() && page.refused.is_empty(), "{html}");
        }
    }

    #[test]
    fn compiled_and_empty_elements_are_left_as_they_are() {
        let compiled = crate::rules::compile::compile_text(DOC).unwrap();
        for inner in [compiled.as_str(), "", "  \n "] {
            let html =
                format!(r#"<script type="application/json" id="orbit-rules">{inner}</script>"#);
            let page = compile_page(&html);
            assert!(page.html.is_none() && page.refused.is_empty(), "{inner}");
        }
    }

    #[test]
    fn a_document_with_errors_is_left_as_written_and_reported_with_paths() {
        let bad = r#"{"rules":[{"id":"a","conditions":{"attribute":"utm_sorce","op":"equals","value":"x"},"actions":[{"type":"hide","selector":"p"}]}]}"#;
        let html = format!(
            "<html>\n<head>\n<script type=\"application/json\" id=\"orbit-rules\">{bad}</script>\n<script type=\"application/json\" id=\"orbit-rules\">{DOC}</script>"
        );
        let page = compile_page(&html);
        assert_eq!(page.compiled, 1, "the good one is still compiled");
        assert_eq!(page.refused.len(), 1);
        let summary = page.refused[0].summary();
        assert!(
            summary.starts_with(
                "the inline rule document on line 3 has 1 error, so it was left as written"
            ),
            "{summary}"
        );
        assert!(
            summary.contains("rules[0].conditions.attribute: unknown attribute \"utm_sorce\""),
            "{summary}"
        );
        let out = page.html.unwrap();
        assert!(out.contains(bad), "the bad document is unchanged");
        assert_eq!(compile_page(bad).html, None, "not a page element");
    }

    #[test]
    fn many_errors_are_summarised() {
        let rules: Vec<String> = (0..5)
            .map(|i| format!(r#"{{"id":"r{i}","actions":[{{"type":"nope","selector":"p"}}]}}"#))
            .collect();
        let bad = format!(r#"{{"rules":[{}]}}"#, rules.join(","));
        let html = format!(r#"<script type="application/json" id="orbit-rules">{bad}</script>"#);
        let page = compile_page(&html);
        assert!(page.html.is_none());
        let summary = page.refused[0].summary();
        assert!(summary.contains("has 5 errors"), "{summary}");
        assert!(summary.contains("rules[2].actions[0].type"), "{summary}");
        assert!(!summary.contains("rules[3]"), "{summary}");
        assert!(summary.contains("; and 2 more"), "{summary}");
    }

    #[test]
    fn an_unclosed_element_or_tag_does_not_panic() {
        for html in [
            "<script type=\"application/json\" id=\"orbit-rules\">{\"rules\":[]}",
            "<script type=\"application/json\" id=\"orbit-rules\"",
            "<script type='application/json",
            "<script =x>é</script>",
            "<!-- open",
            "<",
        ] {
            let _ = compile_page(html);
        }
        let page =
            compile_page("<script type=\"application/json\" id=\"orbit-rules\">{\"rules\":[]}");
        assert_eq!(page.compiled, 1);
    }
}
