//! The HTML sanitiser: what `set_html` and `insert` may put into a page.
//!
//! One allowlist, used by the collector when a document is saved and by the browser tracker as
//! it inserts HTML, so neither can let `<script>`, an event handler or a `javascript:` URL
//! through. The tracker applies it with the browser's own parser (sdk-wasm/js/sanitize.js,
//! holding copies of the lists here; see [`ActionHtml`]), which keeps this code out of its
//! bundle; everything else sanitises with this code.
//!
//! A small tokenizer reads the input; the output is built only from allowlisted elements and
//! attributes that this code writes itself, attribute values decoded, checked and re-escaped
//! (what was checked is exactly what the browser gets), text escaped, and every element
//! closed. Elements that carry code or another parser's rules (`script`, `style`,
//! `svg`, `math`, `template`…) are dropped with their content; other unknown elements are
//! dropped but their text is kept.

use alloc::string::String;
use alloc::vec::Vec;

use super::url::{is_safe_srcset, is_safe_url};
use crate::limits::MAX_HTML_DEPTH;

/// HTML that went through [`sanitize_html`]: only it may reach `innerHTML`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// The sanitised markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sanitised markup, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// HTML not sanitised here: with the feature `sanitize-in-browser`, what a compiled document
/// read in the browser carries, sanitised by the tracker with the browser's own parser as it
/// puts it into the page (sdk-wasm/js/sanitize.js, with this module's lists). Never for
/// `innerHTML`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UntrustedHtml(String);

impl UntrustedHtml {
    /// The markup, for a sanitiser.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The markup, owned, for a sanitiser.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<String> for UntrustedHtml {
    fn from(html: String) -> Self {
        UntrustedHtml(html)
    }
}

/// The HTML of `set_html` and `insert` actions: [`SafeHtml`], sanitised when the document is
/// parsed or read, everywhere but in the browser tracker.
#[cfg(not(feature = "sanitize-in-browser"))]
pub type ActionHtml = SafeHtml;

/// The HTML of `set_html` and `insert` actions: in the browser tracker, [`UntrustedHtml`]
/// that it sanitises as it inserts it, so this module stays out of its bundle.
#[cfg(feature = "sanitize-in-browser")]
pub type ActionHtml = UntrustedHtml;

// Only the browser, which sanitises as it inserts, may leave HTML unsanitised when reading.
#[cfg(all(feature = "sanitize-in-browser", not(target_arch = "wasm32")))]
compile_error!("the feature `sanitize-in-browser` is for the browser tracker (wasm32) only");

/// Something the sanitiser took out, for lint: unsafe removals are errors when a document is
/// saved, the others warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed<'a> {
    /// An element that can run code or load content (`script`, `iframe`, `svg`…), with its
    /// content.
    UnsafeElement(&'a str),
    /// An element outside the allowlist; its text was kept.
    Element(&'a str),
    /// An event-handler attribute (`onerror`…).
    EventHandler(&'a str),
    /// A URL attribute whose URL is not http(s), mailto, tel or relative.
    UnsafeUrl(&'a str),
    /// An attribute outside the allowlist (`style`…).
    Attribute(&'a str),
    /// A comment, CDATA section or processing instruction.
    Comment,
}

impl Removed<'_> {
    /// Whether what was removed could have run code.
    pub fn is_unsafe(&self) -> bool {
        matches!(
            self,
            Removed::UnsafeElement(_) | Removed::EventHandler(_) | Removed::UnsafeUrl(_)
        )
    }
}

/// Sanitises HTML for `innerHTML` / `insertAdjacentHTML`.
pub fn sanitize_html(input: &str) -> SafeHtml {
    sanitize(input, Ignore)
}

/// [`sanitize_html`] as an action's HTML (the parser's).
#[cfg(not(feature = "sanitize-in-browser"))]
pub(crate) fn sanitize_action_html(input: &str) -> ActionHtml {
    sanitize_html(input)
}

/// [`sanitize_html`] as an action's HTML (the parser's): sanitised, though the type does not
/// say so in the browser tracker, which sanitises it again as it inserts it.
#[cfg(feature = "sanitize-in-browser")]
pub(crate) fn sanitize_action_html(input: &str) -> ActionHtml {
    UntrustedHtml(sanitize_html(input).0)
}

/// [`sanitize_html`], telling `on_removed` about everything it took out.
pub fn sanitize_html_reporting(input: &str, on_removed: impl FnMut(Removed<'_>)) -> SafeHtml {
    sanitize(input, Report(on_removed))
}

/// Where removals go: nowhere (the browser) or to lint's callback.
trait OnRemoved {
    /// Whether removals are reported at all: `false` leaves out the work of classifying them.
    const REPORTS: bool;
    fn removed(&mut self, what: Removed<'_>);
}

/// Removals are not reported.
struct Ignore;

impl OnRemoved for Ignore {
    const REPORTS: bool = false;
    fn removed(&mut self, _: Removed<'_>) {}
}

/// Removals go to a callback.
struct Report<F>(F);

impl<F: FnMut(Removed<'_>)> OnRemoved for Report<F> {
    const REPORTS: bool = true;
    fn removed(&mut self, what: Removed<'_>) {
        (self.0)(what);
    }
}

fn sanitize(input: &str, on_removed: impl OnRemoved) -> SafeHtml {
    let mut s = Sanitizer {
        src: input,
        bytes: input.as_bytes(),
        at: 0,
        out: String::with_capacity(input.len()),
        open: Vec::new(),
        on_removed,
    };
    s.run();
    SafeHtml(s.out)
}

// The tables are space-separated words rather than slices of `&str`: in the browser bundle a
// slice costs a pointer and a length per word, which compress far worse than the words.

/// Elements kept, separated by `,`: each element's name, then the attributes it may carry
/// beyond [`GLOBAL_ATTRIBUTES`]. (The lists the browser's sanitiser needs are public: it holds
/// copies, which a test of the tracker compares with these.)
pub const ALLOWED: &str = "a href target rel hreflang,abbr,article,aside,b,blockquote cite,br,\
button type disabled,cite,code,dd,del cite,div,dl,dt,em,figcaption,figure,footer,h1,h2,h3,h4,\
h5,h6,header,hr,i,img src srcset sizes alt width height loading decoding,ins cite,label for,\
li value,mark,nav,ol start reversed type,p,picture,pre,q cite,s,section,small,\
source src srcset sizes type media width height,span,strong,sub,sup,time datetime,u,ul,wbr";

/// Elements without content or end tag.
const VOID: &str = "br hr img source wbr";

/// Attributes any kept element may carry, plus `aria-*` and `data-*` (but not `data-orbit-*`,
/// which the tracker itself reads).
pub const GLOBAL_ATTRIBUTES: &str = "class id title lang dir role hidden";

/// Elements whose content the browser does not parse as HTML (raw text): dropped up to their
/// end tag.
pub const RAW_TEXT: &str = "script style xmp iframe noembed noframes noscript textarea title";

/// Elements dropped with everything inside them (foreign content, templates, plugins, forms).
pub const DROP_WITH_CONTENT: &str = "svg math template object applet select frameset head audio \
video canvas form datalist dialog";

/// Of the dropped elements, those whose presence means someone tried to run or load code.
const UNSAFE: &str = "script style iframe frame frameset object embed applet svg math template \
base link meta noscript portal xmp plaintext";

/// The named character references decoded in attribute values (the rest stay literal text,
/// which is safe: values are re-escaped on output), each written as its name followed by the
/// character it stands for.
const NAMED_REFS: &str = "amp& lt< gt> quot\" apos' nbsp\u{a0} colon: Tab\t NewLine\n sol/ \
lpar( rpar) period. comma, excl! num# percnt% semi; equals= quest? commat@ lowbar_ copy© reg® \
trade™ hellip… mdash— ndash– lsquo‘ rsquo’ ldquo“ rdquo” laquo« raquo» euro€ pound£ yen¥ \
cent¢ deg° times× divide÷ middot· bull•";

/// The canonical name of the element `name` (ignoring ASCII case) when [`ALLOWED`] keeps it,
/// and the attributes it may carry beyond [`GLOBAL_ATTRIBUTES`].
fn allowed_element(name: &str) -> Option<(&'static str, &'static str)> {
    ALLOWED.split(',').find_map(|entry| {
        let (element, attributes) = entry.split_once(' ').unwrap_or((entry, ""));
        element
            .eq_ignore_ascii_case(name)
            .then_some((element, attributes))
    })
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// A tag's attributes as the tokenizer read them.
struct Tag {
    /// The kept attributes, already written as ` name="value"`.
    attributes: String,
    self_closing: bool,
}

struct Sanitizer<'a, F> {
    src: &'a str,
    bytes: &'a [u8],
    at: usize,
    out: String,
    /// Kept elements still open, innermost last.
    open: Vec<&'static str>,
    on_removed: F,
}

impl<'a, F: OnRemoved> Sanitizer<'a, F> {
    fn peek(&self, offset: usize) -> u8 {
        self.bytes.get(self.at + offset).copied().unwrap_or(0)
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.src.get(from..to).unwrap_or("")
    }

    fn starts_with_ignore_case(&self, at: usize, word: &str) -> bool {
        self.bytes
            .get(at..at + word.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(word.as_bytes()))
    }

    /// Skips whitespace (one copy instead of the same loop at every use).
    #[inline(never)]
    fn skip_spaces(&mut self) {
        while is_space(self.peek(0)) {
            self.at += 1;
        }
    }

    fn run(&mut self) {
        while self.at < self.bytes.len() {
            match self.peek(0) {
                b'<' => self.markup(),
                b'>' => {
                    self.out.push_str("&gt;");
                    self.at += 1;
                }
                b'&' => self.text_reference(),
                0 => self.at += 1,
                _ => {
                    let start = self.at;
                    while !matches!(self.peek(0), b'<' | b'>' | b'&' | 0) {
                        self.at += 1;
                    }
                    // Stops only at ASCII bytes, so the run is whole UTF-8 chars.
                    self.out.push_str(self.slice(start, self.at));
                }
            }
        }
        while let Some(name) = self.open.pop() {
            self.close(name);
        }
    }

    /// Copies a well-formed character reference in text as it is (it can only ever be text),
    /// and escapes any other `&`.
    fn text_reference(&mut self) {
        let mut i = self.at + 1;
        let b = |i: usize| self.bytes.get(i).copied().unwrap_or(0);
        let well_formed = if b(i) == b'#' {
            i += 1;
            let hex = matches!(b(i), b'x' | b'X');
            if hex {
                i += 1;
            }
            let start = i;
            while (hex && b(i).is_ascii_hexdigit()) || (!hex && b(i).is_ascii_digit()) {
                i += 1;
            }
            i > start && i - start <= 8 && b(i) == b';'
        } else {
            let start = i;
            while b(i).is_ascii_alphanumeric() {
                i += 1;
            }
            i > start && i - start <= 32 && b(start).is_ascii_alphabetic() && b(i) == b';'
        };
        if well_formed {
            self.out.push_str(self.slice(self.at, i + 1));
            self.at = i + 1;
        } else {
            self.out.push_str("&amp;");
            self.at += 1;
        }
    }

    fn markup(&mut self) {
        let next = self.peek(1);
        if next == b'!' {
            self.on_removed.removed(Removed::Comment);
            if self.starts_with_ignore_case(self.at, "<!--") {
                self.skip_comment();
            } else {
                self.skip_past(b'>'); // doctype, CDATA (a bogus comment in HTML)
            }
        } else if next == b'?' {
            self.on_removed.removed(Removed::Comment);
            self.skip_past(b'>');
        } else if next == b'/' {
            if self.peek(2).is_ascii_alphabetic() {
                self.at += 2;
                self.end_tag();
            } else if self.peek(2) == b'>' {
                self.at += 3; // `</>` is nothing
            } else if self.at + 2 >= self.bytes.len() {
                self.out.push_str("&lt;/");
                self.at += 2;
            } else {
                self.skip_past(b'>'); // `</ x>` is a bogus comment
            }
        } else if next.is_ascii_alphabetic() {
            self.at += 1;
            self.start_tag();
        } else {
            self.out.push_str("&lt;");
            self.at += 1;
        }
    }

    fn skip_past(&mut self, byte: u8) {
        while self.at < self.bytes.len() && self.peek(0) != byte {
            self.at += 1;
        }
        self.at += 1;
    }

    fn skip_comment(&mut self) {
        let body = self.at + 4;
        // `<!-->` and `<!--->` are complete (empty) comments.
        if self.peek(4) == b'>' {
            self.at = body + 1;
            return;
        }
        if self.peek(4) == b'-' && self.peek(5) == b'>' {
            self.at = body + 2;
            return;
        }
        let mut i = body;
        while i < self.bytes.len() {
            // (No letters: ignoring case compares exactly.)
            if self.starts_with_ignore_case(i, "-->") {
                self.at = i + 3;
                return;
            }
            if self.starts_with_ignore_case(i, "--!>") {
                self.at = i + 4;
                return;
            }
            i += 1;
        }
        self.at = self.bytes.len(); // an unclosed comment runs to the end
    }

    fn read_name(&mut self) -> &'a str {
        self.read_until(b"/>")
    }

    /// Reads up to the end, a space or one of `stops`.
    #[inline(never)]
    fn read_until(&mut self, stops: &[u8]) -> &'a str {
        let start = self.at;
        while self.at < self.bytes.len()
            && !stops.iter().any(|&s| s == self.peek(0))
            && !is_space(self.peek(0))
        {
            self.at += 1;
        }
        self.slice(start, self.at)
    }

    /// Reads attributes up to and including `>`; `None` when the input ends first (browsers
    /// drop such a tag). For a kept `element`, its allowed attributes are written out.
    fn read_attributes(&mut self, element: Option<(&'static str, &'static str)>) -> Option<Tag> {
        let mut tag = Tag {
            attributes: String::new(),
            self_closing: false,
        };
        let mut seen: Vec<&'a str> = Vec::new();
        let (mut has_target, mut has_rel) = (false, false);
        loop {
            self.skip_spaces();
            match self.peek(0) {
                b'>' => {
                    self.at += 1;
                    break;
                }
                b'/' => {
                    self.at += 1;
                    tag.self_closing = self.peek(0) == b'>';
                    continue;
                }
                _ if self.at >= self.bytes.len() => return None,
                _ => tag.self_closing = false,
            }
            let name_start = self.at;
            self.at += 1; // a leading `=` belongs to the name
            self.read_until(b"/>=");
            let name = self.slice(name_start, self.at);
            self.skip_spaces();
            let mut raw_value = "";
            if self.peek(0) == b'=' {
                self.at += 1;
                self.skip_spaces();
                let quote = self.peek(0);
                if quote == b'"' || quote == b'\'' {
                    self.at += 1;
                    let start = self.at;
                    self.skip_past(quote);
                    if self.at > self.bytes.len() {
                        return None; // no closing quote
                    }
                    raw_value = self.slice(start, self.at - 1);
                } else {
                    raw_value = self.read_until(b">");
                }
            }
            let Some((_, allowed)) = element else {
                continue;
            };
            if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                continue; // the first of duplicate attributes wins, as in browsers
            }
            seen.push(name);
            if self.keep_attribute(allowed, name, raw_value, &mut tag.attributes) {
                has_target |= name.eq_ignore_ascii_case("target");
                has_rel |= name.eq_ignore_ascii_case("rel");
            }
        }
        if element.is_some_and(|(e, _)| e == "a") && has_target && !has_rel {
            tag.attributes.push_str(" rel=\"noopener noreferrer\"");
        }
        Some(tag)
    }

    /// Writes ` name="value"` when the attribute is global or one of `allowed` (the element's
    /// own), and its value is safe; reports it otherwise. Returns whether it was kept.
    fn keep_attribute(
        &mut self,
        allowed: &str,
        name: &str,
        raw_value: &str,
        out: &mut String,
    ) -> bool {
        // Attribute names ignore ASCII case: compared, and written, in lowercase (the lists
        // are lowercase, so a listed name is written as listed).
        let lower = name.to_ascii_lowercase();
        let is = |prefix: &str| lower.starts_with(prefix);
        if is("on") {
            self.on_removed.removed(Removed::EventHandler(name));
            return false;
        }
        let listed = super::word_index(GLOBAL_ATTRIBUTES, lower.as_bytes()).is_some()
            || super::word_index(allowed, lower.as_bytes()).is_some();
        let prefixed = (is("aria-") || (is("data-") && !is("data-orbit-")))
            && lower
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !listed && !prefixed {
            self.on_removed.removed(Removed::Attribute(name));
            return false;
        }
        let value = decode_references(raw_value);
        // The URL attributes: `srcset` (the last word) is a list of URLs.
        let url_ok = match super::word_index("href src cite srcset", lower.as_bytes()) {
            Some(3) => is_safe_srcset(&value),
            Some(_) => is_safe_url(&value),
            None => true,
        };
        if !url_ok {
            self.on_removed.removed(Removed::UnsafeUrl(name));
            return false;
        }
        out.push(' ');
        out.push_str(&lower);
        out.push_str("=\"");
        push_escaped(out, &value);
        out.push('"');
        true
    }

    fn start_tag(&mut self) {
        let name = self.read_name();
        // Element names ignore ASCII case; the lists are lowercase.
        let lower = name.to_ascii_lowercase();
        let is_in = |list: &str| super::word_index(list, lower.as_bytes()).is_some();
        let kept = allowed_element(name).filter(|_| self.open.len() < MAX_HTML_DEPTH);
        let Some(tag) = self.read_attributes(kept) else {
            self.at = self.bytes.len();
            return;
        };
        if let Some((element, _)) = kept {
            self.out.push('<');
            self.out.push_str(element);
            self.out.push_str(&tag.attributes);
            self.out.push('>');
            if !is_in(VOID) {
                self.open.push(element);
            }
            return;
        }
        if F::REPORTS {
            let report = if is_in(UNSAFE) {
                Removed::UnsafeElement(name)
            } else {
                Removed::Element(name)
            };
            self.on_removed.removed(report);
        }
        if lower == "plaintext" {
            self.at = self.bytes.len(); // everything after it is text to a browser
        } else if is_in(RAW_TEXT) {
            self.skip_until_end_tag(&lower, false);
        } else if is_in(DROP_WITH_CONTENT) && !tag.self_closing {
            self.skip_until_end_tag(&lower, true);
        }
    }

    /// Skips to just after `</name…>`. With `nested`, inner `<name` tags must be closed first
    /// (containers); without, the content is raw text and only the end tag counts.
    fn skip_until_end_tag(&mut self, name: &str, nested: bool) {
        let mut depth = 1usize;
        while self.at < self.bytes.len() {
            if self.peek(0) != b'<' {
                self.at += 1;
                continue;
            }
            let closing = self.peek(1) == b'/';
            let name_at = self.at + if closing { 2 } else { 1 };
            let after = self
                .bytes
                .get(name_at + name.len())
                .copied()
                .unwrap_or(b'>');
            let matches = self.starts_with_ignore_case(name_at, name)
                && (is_space(after) || after == b'/' || after == b'>');
            if matches && closing {
                depth -= 1;
                if depth == 0 {
                    self.skip_past(b'>');
                    return;
                }
            } else if matches && nested {
                depth += 1;
            }
            self.at += 1;
        }
    }

    fn end_tag(&mut self) {
        let name = self.read_name();
        if self.read_attributes(None).is_none() {
            self.at = self.bytes.len();
            return;
        }
        let Some(pos) = self
            .open
            .iter()
            .rposition(|el| el.eq_ignore_ascii_case(name))
        else {
            return; // nothing of that name is open: a stray end tag means nothing
        };
        while self.open.len() > pos {
            if let Some(el) = self.open.pop() {
                self.close(el);
            }
        }
    }

    fn close(&mut self, element: &str) {
        self.out.push_str("</");
        self.out.push_str(element);
        self.out.push('>');
    }
}

/// Decodes the character references in an attribute value: numeric ones, and the named
/// ones of [`NAMED_REFS`] (which need their `;`).
fn decode_references(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let b = raw.as_bytes();
    let (mut copied, mut i) = (0, 0);
    while let Some(&c) = b.get(i) {
        i += 1;
        if c != b'&' {
            continue;
        }
        // Stops only at `&`, so the run is whole UTF-8 chars.
        out.push_str(raw.get(copied..i - 1).unwrap_or(""));
        let used = decode_one(raw.get(i..).unwrap_or(""), &mut out);
        if used == 0 {
            out.push('&');
        }
        i += used;
        copied = i;
    }
    out.push_str(raw.get(copied..).unwrap_or(""));
    out
}

/// Appends the character a reference after `&` stands for, and says how many bytes it used
/// (0 when it is no reference, and nothing was appended).
fn decode_one(after: &str, out: &mut String) -> usize {
    let b = after.as_bytes();
    if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let mut i = start;
        let mut code: u32 = 0;
        while let Some(&d) = b.get(i) {
            let digit = match d {
                b'0'..=b'9' => u32::from(d - b'0'),
                b'a'..=b'f' if hex => u32::from(d - b'a' + 10),
                b'A'..=b'F' if hex => u32::from(d - b'A' + 10),
                _ => break,
            };
            code = code
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(digit);
            i += 1;
        }
        if i == start {
            return 0;
        }
        if b.get(i) == Some(&b';') {
            i += 1;
        }
        // NUL, surrogates and out-of-range code points become U+FFFD, as in browsers.
        out.push(
            char::from_u32(code)
                .filter(|&c| c != '\0')
                .unwrap_or('\u{FFFD}'),
        );
        return i;
    }
    let len = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    let name = after.get(..len).unwrap_or("");
    if name.is_empty() || b.get(len) != Some(&b';') {
        return 0;
    }
    // `name` is alphanumeric and every character in the table is not, so the entry that
    // starts with `name` followed by one character is exactly `name`'s, and that character
    // is the rest of the entry.
    for entry in NAMED_REFS.split(' ') {
        if let Some(c) = entry.strip_prefix(name) {
            if c.bytes().next().is_some_and(|c| !c.is_ascii_alphanumeric()) {
                out.push_str(c);
                return len + 1;
            }
        }
    }
    0
}

/// Appends text escaped for a double-quoted attribute value (and for text).
fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn clean(input: &str) -> String {
        sanitize_html(input).into_string()
    }

    /// Whatever went in, nothing that runs code comes out.
    fn assert_inert(output: &str) {
        let lower = output.to_ascii_lowercase();
        for marker in [
            "<script",
            "<svg",
            "<iframe",
            "<style",
            "<object",
            "<embed",
            "javascript:",
            "vbscript:",
            "data:",
            " on",
            "<math",
            "<template",
        ] {
            // " on" would also flag text such as "turn on"; the vectors below have none.
            assert!(!lower.contains(marker), "{marker} survived in {output}");
        }
    }

    #[test]
    fn allowed_markup_is_kept_and_normalised() {
        assert_eq!(
            clean(r#"<p class="lead">Hello <strong>world</strong><br/>!</p>"#),
            r#"<p class="lead">Hello <strong>world</strong><br>!</p>"#
        );
        assert_eq!(
            clean(r#"<A HREF='/pricing' Title=Plans>See plans</A>"#),
            r#"<a href="/pricing" title="Plans">See plans</a>"#
        );
        assert_eq!(
            clean(r#"<img src="/hero.jpg" alt="A &quot;hero&quot;" width=600>"#),
            r#"<img src="/hero.jpg" alt="A &quot;hero&quot;" width="600">"#
        );
        assert_eq!(
            clean(r#"<span data-variant="b" aria-label="x" data-orbit-slot="y">ok</span>"#),
            r#"<span data-variant="b" aria-label="x">ok</span>"#
        );
        assert_eq!(
            clean("caf&eacute; &amp; 5 < 6 > 4 & co"),
            "caf&eacute; &amp; 5 &lt; 6 &gt; 4 &amp; co"
        );
    }

    #[test]
    fn links_opening_a_new_tab_get_noopener() {
        assert_eq!(
            clean(r#"<a href="https://x.com" target="_blank">x</a>"#),
            r#"<a href="https://x.com" target="_blank" rel="noopener noreferrer">x</a>"#
        );
    }

    #[test]
    fn every_element_is_closed_and_stray_end_tags_vanish() {
        assert_eq!(clean("<div><p>unclosed"), "<div><p>unclosed</p></div>");
        assert_eq!(clean("<b><i>x</b>y</i>"), "<b><i>x</i></b>y");
        assert_eq!(clean("</div>text</p>"), "text");
    }

    #[test]
    fn classic_xss_vectors_come_out_inert() {
        let cases = vec![
            ("<script>alert(1)</script>", ""),
            ("<SCRIPT SRC=http://x/x.js></SCRIPT>", ""),
            ("<img src=x onerror=alert(1)>", "<img src=\"x\">"),
            ("<IMG SRC=\"javascript:alert('XSS');\">", "<img>"),
            ("<IMG SRC=JaVaScRiPt:alert('XSS')>", "<img>"),
            ("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"jav&#9;ascript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\" &#14;  javascript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", "<a>x</a>"),
            ("<a href=\"vbscript:msgbox(1)\">x</a>", "<a>x</a>"),
            ("<svg onload=alert(1)>", ""),
            ("<svg><script>alert(1)</script></svg>after", "after"),
            ("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", ""),
            ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
            ("<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;"),
            ("<iframe src=\"javascript:alert(1)\"></iframe>", ""),
            ("<iframe srcdoc=\"<script>alert(1)</script>\">", ""),
            ("<object data=\"javascript:alert(1)\"></object>", ""),
            ("<embed src=\"javascript:alert(1)\">", ""),
            ("<body onload=alert(1)>", ""),
            ("<div style=\"background:url(javascript:alert(1))\">x</div>", "<div>x</div>"),
            ("<style>@import 'http://x/x.css';</style>", ""),
            ("<!--<script>alert(1)</script>-->ok", "ok"),
            ("<!-- unclosed <script>alert(1)</script>", ""),
            ("<![CDATA[<script>alert(1)</script>]]>", "alert(1)]]&gt;"),
            ("<?xml version=\"1.0\"?><b>x</b>", "<b>x</b>"),
            ("<img src=x onerror=\"alert(1)\"", ""),
            ("<img/src=x/onerror=alert(1)>", "<img src=\"x/onerror=alert(1)\">"),
            ("<img src=`x` onerror=alert(1)>", "<img src=\"`x`\">"),
            ("<div onclick = 'alert(1)' >x</div>", "<div>x</div>"),
            ("<a href=\"x\" onmouseover=\"alert(1)\" ONCLICK=alert(2)>x</a>", "<a href=\"x\">x</a>"),
            ("<form action=\"javascript:alert(1)\"><button>x</button></form>", ""),
            ("<button formaction=\"javascript:alert(1)\">x</button>", "<button>x</button>"),
            ("<template><img src=x onerror=alert(1)></template>", ""),
            ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "<img src=\"x\">\"&gt;"),
            ("<textarea><script>alert(1)</script></textarea>", ""),
            ("<title></title><img src=x onerror=alert(1)>", "<img src=\"x\">"),
            ("<a href=\"/ok\" title=\"\" onfocus=\"alert(1)\" autofocus>x</a>", "<a href=\"/ok\" title=\"\">x</a>"),
            ("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", ""),
            ("<base href=\"javascript:alert(1)//\">", ""),
            ("<link rel=stylesheet href=\"javascript:alert(1)\">", ""),
            ("<img srcset=\"x.png 1x, javascript:alert(1) 2x\">", "<img>"),
            ("<a href=\"java\0script:alert(1)\">x</a>", "<a>x</a>"),
            ("<div\0 onclick=alert(1)>x</div>", "x"),
            ("<plaintext><script>alert(1)</script>", ""),
            ("<xmp><script>alert(1)</script></xmp>", ""),
            ("<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">x</p>", "<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">x</p>"),
            ("<div data-orbit-slot=x data-x=1>x</div>", "<div data-x=\"1\">x</div>"),
        ];
        let mut wrong = Vec::new();
        for (input, want) in cases {
            let got = clean(input);
            assert_inert(&got);
            if got != want {
                wrong.push(alloc::format!(
                    "{input:?}\n   got  {got:?}\n   want {want:?}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn nesting_deeper_than_the_limit_keeps_text_only() {
        let input = "<div>".repeat(MAX_HTML_DEPTH + 5) + "deep";
        let out = clean(&input);
        assert_eq!(out.matches("<div>").count(), MAX_HTML_DEPTH);
        assert!(out.contains("deep"));
        assert!(out.ends_with(&"</div>".repeat(MAX_HTML_DEPTH)));
    }

    #[test]
    fn removals_are_reported_with_their_danger() {
        let mut removed = Vec::new();
        sanitize_html_reporting(
            "<script>x</script><font>y</font><img src=x onerror=1 style=a><a href=javascript:x>z</a><!--c-->",
            |r| removed.push(alloc::format!("{r:?}:{}", r.is_unsafe())),
        );
        assert_eq!(
            removed,
            [
                "UnsafeElement(\"script\"):true",
                "Element(\"font\"):false",
                "EventHandler(\"onerror\"):true",
                "Attribute(\"style\"):false",
                "UnsafeUrl(\"href\"):true",
                "Comment:false",
            ]
        );
    }

    #[test]
    fn any_input_gives_balanced_output() {
        // A cheap fuzz: every prefix of a nasty document sanitises to inert, balanced HTML.
        let nasty = "<div><a href='jav&#x61;script:x' onclick=x>t<svg><p>q</svg><b>\"&<i></div>";
        for end in 0..=nasty.len() {
            let Some(prefix) = nasty.get(..end) else {
                continue;
            };
            let out = clean(prefix);
            assert_inert(&out);
            let opens = out.matches('<').count() - out.matches("</").count();
            assert_eq!(opens, out.matches("</").count(), "{prefix} -> {out}");
        }
    }
}
