//! A small, bounded JSON reader (RFC 8259) into a [`Json`] tree.
//!
//! The browser reads rule documents with it: serde's reader would cost ~23 KB gzip there and
//! `core`'s float parser carries ~10 KB of tables (SIZE.md), so numbers are read by hand
//! (exact for up to 15 significant digits, which is all a rule document needs). The size and
//! nesting limits are the caller's, so hostile input cannot exhaust memory or the stack.
//! Objects keep their members in order and refuse duplicate keys: `JSON.parse` keeps the last
//! and other readers the first, and a document must not mean two things.

use alloc::string::String;
use alloc::vec::Vec;

use crate::text::hex_value;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number, as the nearest `f64`.
    Number(f64),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members in document order (keys are unique).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object; `None` for other values or when there is none.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The value of a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    /// What kind of value this is, for error messages ("expected a string, found an array").
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Why a text is not JSON this reader accepts, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// Byte offset of the problem in the text.
    pub offset: usize,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a text that is not JSON: a code, not the message, so that a browser
/// which never shows the message does not carry the texts ([`ReadError::reason`] has them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Problem {
    TooLarge,
    ExpectedValue,
    UnexpectedEnd,
    TooDeep,
    ExpectedMemberName,
    DuplicateMember,
    ExpectedColon,
    ExpectedCommaOrBrace,
    ExpectedCommaOrBracket,
    UnterminatedString,
    ControlCharacter,
    InvalidEscape,
    ExpectedHexDigits,
    ExpectedDigit,
    ExpectedFractionDigit,
    ExpectedExponentDigit,
    NumberOutOfRange,
    TrailingText,
}

impl ReadError {
    /// What is wrong, for people, e.g. `"expected ',' or '}'"`.
    pub fn reason(&self) -> &'static str {
        match self.problem {
            Problem::TooLarge => "the document is larger than the limit",
            Problem::ExpectedValue => "expected a JSON value",
            Problem::UnexpectedEnd => "unexpected end of the document",
            Problem::TooDeep => "nested deeper than the limit",
            Problem::ExpectedMemberName => "expected a member name in double quotes",
            Problem::DuplicateMember => "duplicate member name",
            Problem::ExpectedColon => "expected ':' after the member name",
            Problem::ExpectedCommaOrBrace => "expected ',' or '}'",
            Problem::ExpectedCommaOrBracket => "expected ',' or ']'",
            Problem::UnterminatedString => "unterminated string",
            Problem::ControlCharacter => "control character in a string",
            Problem::InvalidEscape => "invalid escape in a string",
            Problem::ExpectedHexDigits => "expected four hex digits after \\u",
            Problem::ExpectedDigit => "expected a digit",
            Problem::ExpectedFractionDigit => "expected a digit after the decimal point",
            Problem::ExpectedExponentDigit => "expected a digit in the exponent",
            Problem::NumberOutOfRange => "number out of range",
            Problem::TrailingText => "unexpected text after the JSON value",
        }
    }

    /// The 1-based line and column (in chars) of the problem, for people.
    pub fn line_column(&self, text: &str) -> (usize, usize) {
        let (mut line, mut column) = (1, 1);
        for &b in text.as_bytes().iter().take(self.offset) {
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                column += 1; // count chars, not UTF-8 continuation bytes
            }
        }
        (line, column)
    }
}

/// Reads one JSON value that makes up the whole of `text` (surrounding whitespace allowed).
/// Refuses texts longer than `max_bytes` and nesting deeper than `max_depth` arrays/objects.
pub fn read_json(text: &str, max_bytes: usize, max_depth: usize) -> Result<Json, ReadError> {
    if text.len() > max_bytes {
        return Err(ReadError {
            offset: max_bytes,
            problem: Problem::TooLarge,
        });
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth_left: max_depth,
    };
    reader.skip_ws();
    let value = reader.value()?;
    reader.skip_ws();
    if reader.at < reader.bytes.len() {
        return Err(reader.error(Problem::TrailingText));
    }
    Ok(value)
}

/// Reads a number written in JSON's grammar (surrounding ASCII whitespace allowed), e.g. a
/// query parameter compared with `gt`; `None` when it is not one or is not finite.
pub fn parse_number(text: &str) -> Option<f64> {
    let trimmed = text.trim_ascii();
    let mut reader = Reader {
        text: trimmed,
        bytes: trimmed.as_bytes(),
        at: 0,
        depth_left: 0,
    };
    let n = reader.number().ok()?;
    (reader.at == trimmed.len()).then_some(n)
}

/// The elements of a flat JSON array (numbers, strings, booleans and `null`), read one by
/// one without building the array: how the browser walks the compiled rule document. Each
/// element is a [`Json`] of its own; an array or object among them is refused.
pub(crate) struct Elements<'a> {
    reader: Reader<'a>,
    /// Whether an element may come next: at the start, or after a comma.
    comma: bool,
    /// Whether an element was missing or not one; the reader of the elements may also set
    /// it when one is of a kind it did not expect.
    pub(crate) bad: bool,
}

impl<'a> Elements<'a> {
    /// The elements of the array `text` is (surrounding whitespace allowed); `None` when it
    /// is longer than `max_bytes` or does not start with `[`.
    pub(crate) fn new(text: &'a str, max_bytes: usize) -> Option<Self> {
        let mut reader = Reader {
            text,
            bytes: text.as_bytes(),
            at: 0,
            // Elements only: a nested array or object is "too deep".
            depth_left: 0,
        };
        reader.skip_ws();
        if text.len() > max_bytes || reader.peek() != b'[' {
            return None;
        }
        reader.at += 1;
        reader.skip_ws();
        Some(Elements {
            reader,
            comma: true,
            bad: false,
        })
    }

    /// The next element, and the comma after it if there is one; `null` when there is no
    /// element here (the end of the array, or text that is not one), which marks the array
    /// [`bad`](Self::bad).
    pub(crate) fn next(&mut self) -> Json {
        let r = &mut self.reader;
        let value = match r.value() {
            Ok(value) if self.comma => value,
            _ => {
                self.bad = true;
                Json::Null
            }
        };
        r.skip_ws();
        self.comma = r.peek() == b',';
        r.at += usize::from(self.comma);
        r.skip_ws();
        value
    }

    /// Whether the next element is `null`, read if so.
    pub(crate) fn null(&mut self) -> bool {
        let null = self.reader.starts_with(b"null");
        if null {
            self.next();
        }
        null
    }

    /// Whether the array ends here, after its last element, and the text with it, and no
    /// element was [`bad`](Self::bad).
    pub(crate) fn end(&mut self) -> bool {
        let r = &mut self.reader;
        let closed = !self.bad && !self.comma && r.peek() == b']';
        r.at += 1;
        r.skip_ws();
        closed && r.at == r.bytes.len()
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth_left: usize,
}

impl Reader<'_> {
    fn peek(&self) -> u8 {
        self.bytes.get(self.at).copied().unwrap_or(0)
    }

    /// Whether the text at the current position starts with `word`.
    fn starts_with(&self, word: &[u8]) -> bool {
        self.bytes
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word))
    }

    fn error(&self, problem: Problem) -> ReadError {
        ReadError {
            offset: self.at,
            problem,
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, ReadError> {
        if self.starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error(Problem::ExpectedValue))
        }
    }

    fn value(&mut self) -> Result<Json, ReadError> {
        match self.peek() {
            b'{' => self.container(true),
            b'[' => self.container(false),
            b'"' => self.string().map(Json::String),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            0 if self.at >= self.bytes.len() => Err(self.error(Problem::UnexpectedEnd)),
            _ => Err(self.error(Problem::ExpectedValue)),
        }
    }

    /// An object (`object`) or an array: one loop for both (a smaller bundle).
    fn container(&mut self, object: bool) -> Result<Json, ReadError> {
        if self.depth_left == 0 {
            return Err(self.error(Problem::TooDeep));
        }
        self.depth_left -= 1;
        self.at += 1;
        self.skip_ws();
        let close = if object { b'}' } else { b']' };
        let mut items = Vec::new();
        let mut members: Vec<(String, Json)> = Vec::new();
        if self.peek() != close {
            loop {
                if object {
                    if self.peek() != b'"' {
                        return Err(self.error(Problem::ExpectedMemberName));
                    }
                    let key_at = self.at;
                    let key = self.string()?;
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(ReadError {
                            offset: key_at,
                            problem: Problem::DuplicateMember,
                        });
                    }
                    self.skip_ws();
                    if self.peek() != b':' {
                        return Err(self.error(Problem::ExpectedColon));
                    }
                    self.at += 1;
                    self.skip_ws();
                    let value = self.value()?;
                    members.push((key, value));
                } else {
                    items.push(self.value()?);
                }
                self.skip_ws();
                match self.peek() {
                    b',' => {
                        self.at += 1;
                        self.skip_ws();
                    }
                    c if c == close => break,
                    _ if object => return Err(self.error(Problem::ExpectedCommaOrBrace)),
                    _ => return Err(self.error(Problem::ExpectedCommaOrBracket)),
                }
            }
        }
        self.at += 1;
        self.depth_left += 1;
        Ok(if object {
            Json::Object(members)
        } else {
            Json::Array(items)
        })
    }

    fn string(&mut self) -> Result<String, ReadError> {
        self.at += 1; // the opening quote
        let mut out = String::new();
        loop {
            let run_start = self.at;
            while !matches!(self.peek(), b'"' | b'\\' | 0..=0x1f) {
                self.at += 1;
            }
            // The run ends at an ASCII byte, so it is a whole number of UTF-8 chars.
            out.push_str(self.text.get(run_start..self.at).unwrap_or(""));
            match self.peek() {
                b'"' => {
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                _ if self.at >= self.bytes.len() => {
                    return Err(self.error(Problem::UnterminatedString));
                }
                _ => return Err(self.error(Problem::ControlCharacter)),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ReadError> {
        let c = match self.peek() {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.at += 1;
                let unit = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&unit) && self.starts_with(b"\\u") {
                    let save = self.at;
                    self.at += 2;
                    let low = self.hex4()?;
                    if (0xDC00..0xE000).contains(&low) {
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        self.at = save;
                        None
                    }
                } else {
                    char::from_u32(unit)
                };
                // A lone surrogate is valid JSON but not text: keep the place, visibly.
                out.push(c.unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => return Err(self.error(Problem::InvalidEscape)),
        };
        self.at += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ReadError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let Some(digit) = hex_value(self.peek()) else {
                return Err(self.error(Problem::ExpectedHexDigits));
            };
            n = n * 16 + u32::from(digit);
            self.at += 1;
        }
        Ok(n)
    }

    fn number(&mut self) -> Result<f64, ReadError> {
        let negative = self.peek() == b'-';
        if negative {
            self.at += 1;
        }
        // Up to 19 significant digits go into the mantissa; later ones only scale it. One
        // loop reads the integer part and the fraction (a smaller bundle).
        let mut mantissa = 0u64;
        let mut digits = 0u32;
        let mut exp10 = 0i32;
        // A leading zero is the whole integer part.
        let zero = match self.peek() {
            b'0' => {
                self.at += 1;
                true
            }
            b'1'..=b'9' => false,
            _ => return Err(self.error(Problem::ExpectedDigit)),
        };
        let mut fraction = false;
        loop {
            let d = self.peek();
            if d == b'.' && !fraction {
                self.at += 1;
                if !self.peek().is_ascii_digit() {
                    return Err(self.error(Problem::ExpectedFractionDigit));
                }
                fraction = true;
                continue;
            }
            if !d.is_ascii_digit() || (zero && !fraction) {
                break;
            }
            if digits < 19 {
                // Leading zeros (of a fraction) are not significant.
                if mantissa != 0 || d != b'0' {
                    mantissa = mantissa * 10 + u64::from(d - b'0');
                    digits += 1;
                }
                exp10 -= i32::from(fraction);
            } else if !fraction {
                exp10 += 1; // an integer digit past the 19th only scales
            }
            self.at += 1;
        }
        if matches!(self.peek(), b'e' | b'E') {
            self.at += 1;
            let exp_negative = match self.peek() {
                b'-' => {
                    self.at += 1;
                    true
                }
                b'+' => {
                    self.at += 1;
                    false
                }
                _ => false,
            };
            if !self.peek().is_ascii_digit() {
                return Err(self.error(Problem::ExpectedExponentDigit));
            }
            let mut exp = 0i32;
            while let d @ b'0'..=b'9' = self.peek() {
                // Past ten million the value is infinite or zero whatever follows (and no
                // text has that many digits to make up for it), so the exponent stops growing.
                if exp < 10_000_000 {
                    exp = exp * 10 + i32::from(d - b'0');
                }
                self.at += 1;
            }
            exp10 = exp10.saturating_add(if exp_negative { -exp } else { exp });
        }
        let value = scale(mantissa as f64, exp10);
        if !value.is_finite() {
            return Err(self.error(Problem::NumberOutOfRange));
        }
        Ok(if negative { -value } else { value })
    }
}

/// `value × 10^exp10`, exactly when both fit the fast path, else by repeated scaling.
fn scale(mut value: f64, mut exp10: i32) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    while exp10 > 22 {
        value *= 1e22;
        exp10 -= 22;
        if !value.is_finite() {
            return value;
        }
    }
    while exp10 < -22 {
        value /= 1e22;
        exp10 += 22;
        if value == 0.0 {
            return 0.0;
        }
    }
    // 10^n for n <= 22 is exact in an f64, and so is every product on the way there: a
    // mantissa below 2^53 times or divided by it is correctly rounded (Clinger's fast path),
    // which covers every number people write in a document. A loop rather than a table of
    // the 23 powers (a smaller bundle).
    let mut power = 1.0;
    for _ in 0..exp10.unsigned_abs() {
        power *= 10.0;
    }
    if exp10 < 0 {
        value / power
    } else {
        value * power
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn read(text: &str) -> Result<Json, ReadError> {
        read_json(text, 1 << 20, 32)
    }

    #[test]
    fn reads_every_kind_of_value() {
        let json = read(r#" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d"}} "#).unwrap();
        assert_eq!(
            json.get("a").unwrap().as_array().unwrap(),
            &[
                Json::Number(1.0),
                Json::Number(-2.5),
                Json::Number(300.0),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null
            ]
        );
        assert_eq!(json.get("b").unwrap().get("c").unwrap().as_str(), Some("d"));
    }

    #[test]
    fn numbers_people_write_are_read_exactly() {
        for (text, want) in [
            ("0", 0.0),
            ("0.001", 0.001),
            ("0.1", 0.1),
            ("0.3333", 0.3333),
            ("12345.678", 12345.678),
            ("-0.5", -0.5),
            ("1E3", 1000.0),
            ("2.5e-3", 0.0025),
            ("1700000000000", 1_700_000_000_000.0),
            ("99.999", 99.999),
        ] {
            assert_eq!(parse_number(text), Some(want), "{text}");
        }
        for n in 0..=22 {
            for text in [alloc::format!("7e{n}"), alloc::format!("7e-{n}")] {
                let want: f64 = text.parse().unwrap();
                assert_eq!(parse_number(&text), Some(want), "{text}");
            }
        }
        let big: f64 = "123456789012345678901234567890".parse().unwrap();
        let got = parse_number("123456789012345678901234567890").unwrap();
        assert!(((got - big) / big).abs() < 1e-15);
    }

    #[test]
    fn what_is_not_a_json_number_is_refused() {
        for bad in [
            "", "-", "01", "1.", ".5", "+1", "1e", "0x10", "NaN", "1e999", "1 2",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        assert_eq!(parse_number(" 42 "), Some(42.0));
    }

    #[test]
    fn strings_are_unescaped_including_surrogate_pairs() {
        let json = read(r#""a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x""#).unwrap();
        assert_eq!(json.as_str(), Some("a\"b\\c/d\né😀\u{FFFD}x"));
        assert_eq!(read("\"naïve ☃\"").unwrap().as_str(), Some("naïve ☃"));
    }

    #[test]
    fn agrees_with_serde_json_on_round_trips() {
        let text = r#"{"rules":[{"id":"r1","priority":-3,"x":[[],{}],"s":"tab\tquote\""}]}"#;
        let ours = read(text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            ours.get("rules").unwrap().as_array().unwrap()[0]
                .get("s")
                .unwrap()
                .as_str(),
            theirs["rules"][0]["s"].as_str()
        );
    }

    #[test]
    fn malformed_documents_are_refused_with_a_position() {
        for (bad, reason) in [
            ("", "unexpected end of the document"),
            ("{", "expected a member name in double quotes"),
            ("[1,]", "expected a JSON value"),
            ("[1 2]", "expected ',' or ']'"),
            ("{\"a\" 1}", "expected ':' after the member name"),
            ("{\"a\":1,}", "expected a member name in double quotes"),
            ("\"abc", "unterminated string"),
            ("\"a\nb\"", "control character in a string"),
            ("\"\\x\"", "invalid escape in a string"),
            ("tru", "expected a JSON value"),
            ("{} x", "unexpected text after the JSON value"),
            ("{\"a\":1,\"a\":2}", "duplicate member name"),
            ("'a'", "expected a JSON value"),
        ] {
            assert_eq!(read(bad).unwrap_err().reason(), reason, "{bad}");
        }
        let err = read("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!(err.line_column("{\n  \"a\": tru\n}"), (2, 8));
    }

    #[test]
    fn a_flat_array_is_read_element_by_element() {
        let mut items = Elements::new(" [1, \"a\" ,true,null ] ", 100).unwrap();
        assert_eq!(items.next(), Json::Number(1.0));
        assert_eq!(items.next(), Json::String("a".into()));
        assert!(!items.null());
        assert_eq!(items.next(), Json::Bool(true));
        assert!(items.null());
        assert!(items.end());
        // Not an array, or longer than the limit.
        assert!(Elements::new("{}", 100).is_none());
        assert!(Elements::new("[1]", 2).is_none());
        // A missing comma, a comma before the end, a nested value, text after the end, no end.
        for (text, good) in [
            ("[1 2]", 1),
            ("[1,]", 1),
            ("[[1]]", 0),
            ("[{}]", 0),
            ("[1,2] x", 2),
            ("[1,2", 2),
            ("[1,2],3", 2),
        ] {
            let mut items = Elements::new(text, 100).unwrap();
            for _ in 0..good {
                items.next();
                assert!(!items.bad, "{text}");
            }
            if good < 2 {
                assert_eq!(items.next(), Json::Null, "{text}");
                assert!(items.bad, "{text}");
            }
            assert!(!items.end(), "{text}");
        }
    }

    #[test]
    fn depth_and_size_limits_hold() {
        let deep = "[".repeat(33) + &"]".repeat(33);
        assert_eq!(
            read(&deep).unwrap_err().reason(),
            "nested deeper than the limit"
        );
        let ok = "[".repeat(32) + &"]".repeat(32);
        assert!(read(&ok).is_ok());
        let long = vec!['1'; 100].into_iter().collect::<String>();
        assert_eq!(
            read_json(&long, 10, 4).unwrap_err().reason(),
            "the document is larger than the limit"
        );
        // Deep nesting far past the limit fails fast instead of overflowing the stack.
        let hostile = "[".repeat(100_000);
        assert!(read_json(&hostile, 1 << 20, 32).is_err());
        assert_eq!(Json::Null.kind().to_string(), "null");
    }
}
