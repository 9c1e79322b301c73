//! A minimal JSON writer for the browser SDK, and a small bounded reader ([`read`]).
//!
//! serde_json costs ~1 KB gzip to write and ~23 KB to read (SIZE.md); events only need
//! writing, and their free-form parts (properties, traits) arrive already serialised by the
//! browser's own `JSON.stringify`, so they are spliced in as raw JSON. Rule documents do need
//! reading, in the browser too, so [`read`] is a few hundred lines instead of serde.

use alloc::string::String;
use alloc::vec::Vec;

pub mod read;

/// Builds one JSON value into a string, inserting commas where they belong.
#[derive(Default)]
pub struct JsonWriter {
    out: String,
    /// Whether the next member or element needs a comma before it.
    needs_comma: bool,
}

impl JsonWriter {
    /// A writer with no output yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens an object, as a value or as the value of the last key.
    pub fn begin_object(&mut self) -> &mut Self {
        self.separate();
        self.out.push('{');
        self.needs_comma = false;
        self
    }

    /// Closes the innermost object.
    pub fn end_object(&mut self) -> &mut Self {
        self.out.push('}');
        self.needs_comma = true;
        self
    }

    /// Opens an array.
    pub fn begin_array(&mut self) -> &mut Self {
        self.separate();
        self.out.push('[');
        self.needs_comma = false;
        self
    }

    /// Closes the innermost array.
    pub fn end_array(&mut self) -> &mut Self {
        self.out.push(']');
        self.needs_comma = true;
        self
    }

    /// Writes a member name; the next value written is its value.
    pub fn key(&mut self, name: &str) -> &mut Self {
        self.separate();
        push_json_string(&mut self.out, name);
        self.out.push(':');
        self.needs_comma = false;
        self
    }

    /// Writes a string value.
    pub fn string(&mut self, value: &str) -> &mut Self {
        self.separate();
        push_json_string(&mut self.out, value);
        self.needs_comma = true;
        self
    }

    /// Writes a member whose value is a string: [`key`](Self::key) then
    /// [`string`](Self::string), in one call for the many call sites.
    #[inline(never)]
    pub fn string_member(&mut self, name: &str, value: &str) -> &mut Self {
        self.key(name).string(value)
    }

    /// Writes a string value, or `null` when there is none.
    pub fn opt_string(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.string(v),
            None => self.raw("null"),
        }
    }

    /// Writes an unsigned integer.
    pub fn uint(&mut self, value: u64) -> &mut Self {
        self.separate();
        push_u64(&mut self.out, value);
        self.needs_comma = true;
        self
    }

    /// Writes a signed integer.
    pub fn int(&mut self, value: i64) -> &mut Self {
        self.separate();
        if value < 0 {
            self.out.push('-');
        }
        push_u64(&mut self.out, value.unsigned_abs());
        self.needs_comma = true;
        self
    }

    /// Writes a boolean.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.raw(if value { "true" } else { "false" })
    }

    /// Splices in text that is already valid JSON (e.g. from `JSON.stringify`).
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.separate();
        self.out.push_str(json);
        self.needs_comma = true;
        self
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.needs_comma {
            self.out.push(',');
            self.needs_comma = false;
        }
    }
}

/// Appends `s` as a quoted JSON string, escaping what RFC 8259 requires.
///
/// Byte by byte, copying the runs between escapes whole: no character is decoded and
/// encoded again (a smaller bundle). Every escape starts at an ASCII byte or at the lead
/// byte of U+2028/U+2029, so each run is whole characters.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let b = s.as_bytes();
    let (mut copied, mut i) = (0, 0);
    while let Some(&c) = b.get(i) {
        let (escape, len) = match c {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            // Followed by the byte's two hex digits.
            0..=0x1f => ("\\u00", 1),
            // Line and paragraph separators break JavaScript string literals in old engines.
            0xe2 => match b.get(i + 1..i + 3) {
                Some([0x80, 0xa8]) => ("\\u2028", 3),
                Some([0x80, 0xa9]) => ("\\u2029", 3),
                _ => ("", 0),
            },
            _ => ("", 0),
        };
        if len == 0 {
            i += 1;
            continue;
        }
        out.push_str(s.get(copied..i).unwrap_or_default());
        out.push_str(escape);
        // `\u00` is the only 4-byte escape.
        if escape.len() == 4 {
            crate::id::push_hex_byte(out, c);
        }
        i += len;
        copied = i;
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    out.push('"');
}

/// Appends the decimal digits of `n` without `core::fmt`.
pub fn push_u64(out: &mut String, n: u64) {
    // Leading digits first, by recursion (at most 20 deep): no digit buffer to index, so
    // no panic path.
    if n >= 10 {
        push_u64(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// The top-level members of a JSON object's text as `(key, value)` slices, without a JSON
/// parser (serde's reader costs ~23 KB in the browser, SIZE.md). Keys come back as written
/// between their quotes (escapes untouched), values as their raw JSON text. `None` when
/// the text is not an object this scanner can follow.
pub fn object_members(text: &str) -> Option<Vec<(&str, &str)>> {
    let inner = crate::text::trim(text)
        .strip_prefix('{')?
        .strip_suffix('}')?;
    let b = inner.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut members = Vec::new();
    let mut i = skip_ws(0);
    while i < b.len() {
        if b[i] != b'"' {
            return None;
        }
        let key_start = i + 1;
        let key_end = string_end(b, key_start)?;
        i = skip_ws(key_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(i + 1);
        let (mut depth, mut at) = (0usize, value_start);
        while at < b.len() {
            match b[at] {
                b'"' => at = string_end(b, at + 1)?,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.checked_sub(1)?,
                b',' if depth == 0 => break,
                _ => {}
            }
            at += 1;
        }
        let value = crate::text::trim_end(inner.get(value_start..at)?);
        if value.is_empty() || depth != 0 {
            return None;
        }
        members.push((inner.get(key_start..key_end)?, value));
        i = skip_ws(at + 1);
    }
    Some(members)
}

/// The index of the quote closing a string whose content starts at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_objects_with_commas_in_the_right_places() {
        let mut w = JsonWriter::new();
        w.begin_object()
            .key("type")
            .string("page")
            .key("n")
            .uint(42)
            .key("neg")
            .int(-7)
            .key("ok")
            .bool(true)
            .key("props")
            .raw(r#"{"a":1}"#)
            .key("list")
            .begin_array()
            .uint(1)
            .uint(2)
            .begin_object()
            .end_object()
            .end_array()
            .key("none")
            .opt_string(None)
            .end_object();
        let text = w.finish();
        assert_eq!(
            text,
            r#"{"type":"page","n":42,"neg":-7,"ok":true,"props":{"a":1},"list":[1,2,{}],"none":null}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["list"][1], 2);
    }

    #[test]
    fn strings_are_escaped_so_any_input_stays_valid_json() {
        let nasty = "quote\" backslash\\ nl\n tab\t bell\u{7} sep\u{2028} emoji😀";
        let mut w = JsonWriter::new();
        w.string(nasty);
        let back: String = serde_json::from_str(w.as_str()).unwrap();
        assert_eq!(back, nasty);
    }

    #[test]
    fn only_what_json_and_javascript_need_is_escaped() {
        let mut out = String::new();
        push_json_string(
            &mut out,
            "\u{2029}a\"\\\n\r\t\u{1}\u{1f}\u{7f}é\u{2028}\u{2027}€😀\u{2028}",
        );
        // DEL, U+2027 and other non-ASCII characters stay as they are.
        let expected = [
            r#""\u2029a\"\\\n\r\t\u0001\u001f"#,
            "\u{7f}é",
            r"\u2028",
            "\u{2027}€😀",
            r#"\u2028""#,
        ];
        assert_eq!(out, expected.concat());
    }

    #[test]
    fn integers_print_without_fmt() {
        for n in [0, 7, 10, 1_700_000_000_000, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, alloc::format!("{n}"));
        }
    }

    #[test]
    fn object_members_are_split_without_a_parser() {
        let members =
            object_members(r#" {"plan":"pro", "n": 3,"tags":["a,b",{"x":"}"}],"q":"say \"hi\""} "#);
        assert_eq!(
            members.unwrap(),
            [
                ("plan", r#""pro""#),
                ("n", "3"),
                ("tags", r#"["a,b",{"x":"}"}]"#),
                ("q", r#""say \"hi\"""#)
            ]
        );
        assert_eq!(object_members("{}").unwrap(), []);
        for bad in [
            "",
            "[]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":[1}",
            "{\"a\":\"x}",
            "{a:1}",
        ] {
            assert!(object_members(bad).is_none(), "{bad}");
        }
    }
}
