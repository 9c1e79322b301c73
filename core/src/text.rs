//! Byte-level text search for the browser path.
//!
//! `str::contains(&str)`, `find(&str)` and `trim()` pull in the two-way string searcher,
//! its panic formatting and Unicode tables (~5 KB in the bundle, SIZE.md's kind of slip);
//! the tracker only searches short ASCII needles in short texts, so a plain scan does.

/// Where `needle` first occurs in `hay`, comparing bytes (ASCII case folded when
/// `ignore_case`; then `needle` must already be lowercase or the fold is applied to both).
pub fn find(hay: &str, needle: &str, ignore_case: bool) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let last = h.len().checked_sub(n.len())?;
    for i in 0..=last {
        let Some(w) = h.get(i..i + n.len()) else {
            break;
        };
        if w == n || (ignore_case && w.eq_ignore_ascii_case(n)) {
            return Some(i);
        }
    }
    None
}

/// The first `max_chars` characters of `text`, found by counting the bytes that start a
/// character (no char decoding: a smaller bundle).
pub fn prefix_chars(text: &str, max_chars: usize) -> &str {
    let mut count = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        // UTF-8 continuation bytes are 0b10xx_xxxx; every other byte starts a character.
        if b & 0xc0 != 0x80 {
            if count == max_chars {
                return text.get(..i).unwrap_or(text);
            }
            count += 1;
        }
    }
    text
}

/// The length of the white space character (`char::is_whitespace`) that `bytes` start
/// with, or 0: matched as UTF-8, so no character is decoded.
fn space_len(bytes: &[u8]) -> usize {
    match bytes {
        [b'\t'..=b'\r' | b' ', ..] => 1,
        // U+0085, U+00A0
        [0xc2, 0x85 | 0xa0, ..] => 2,
        // U+1680; U+2000–U+200A, U+2028, U+2029, U+202F; U+205F; U+3000
        [0xe1, 0x9a, 0x80, ..]
        | [0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf, ..]
        | [0xe2, 0x81, 0x9f, ..]
        | [0xe3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// Where the text without its leading and trailing Unicode white space starts and ends
/// (`(0, 0)` when it is all white space), in one forward pass: `str::trim` pulls in a
/// reverse character searcher as well.
fn unspaced(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    let (mut start, mut end, mut i) = (None, 0, 0);
    while let Some(rest) = b.get(i..).filter(|r| !r.is_empty()) {
        match space_len(rest) {
            // A byte of a character that is not white space. Byte by byte is enough: no
            // white space pattern starts with a continuation byte (0b10xx_xxxx).
            0 => {
                start.get_or_insert(i);
                i += 1;
                end = i;
            }
            n => i += n,
        }
    }
    (start.unwrap_or(0), end)
}

/// `str::trim` (Unicode white space at both ends), without the reverse searcher.
pub fn trim(text: &str) -> &str {
    let (start, end) = unspaced(text);
    text.get(start..end).unwrap_or(text)
}

/// `str::trim_end`, like [`trim`].
pub fn trim_end(text: &str) -> &str {
    text.get(..unspaced(text).1).unwrap_or(text)
}

/// `String::from_utf8(bytes).ok()`, decoded one character at a time: the library's
/// validator, built for speed on long texts, is ~800 B of the bundle.
pub fn utf8(bytes: &[u8]) -> Option<alloc::string::String> {
    let mut out = alloc::string::String::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&lead, mut after)) = rest.split_first() {
        // Continuation bytes after the lead, and the smallest code point that needs them
        // (a smaller one is an overlong encoding).
        let (len, min) = match lead {
            0..=0x7f => (0, 0),
            0xc2..=0xdf => (1, 0x80),
            0xe0..=0xef => (2, 0x800),
            0xf0..=0xf4 => (3, 0x1_0000),
            _ => return None,
        };
        let mut code = u32::from(lead & (0x7f >> len));
        for _ in 0..len {
            let (&next, tail) = after.split_first()?;
            if next & 0xc0 != 0x80 {
                return None;
            }
            code = code << 6 | u32::from(next & 0x3f);
            after = tail;
        }
        if code < min {
            return None;
        }
        // `from_u32` refuses surrogates and anything past U+10FFFF.
        out.push(char::from_u32(code)?);
        rest = after;
    }
    Some(out)
}

/// `text.split_once(sep)` for an ASCII `sep`, comparing bytes: a `char` pattern pulls in
/// the library's `memchr` and character searcher.
pub fn split_once(text: &str, sep: u8) -> Option<(&str, &str)> {
    for (at, &b) in text.as_bytes().iter().enumerate() {
        if b == sep {
            // An ASCII byte is a whole character, so both ends are character boundaries.
            return Some((text.get(..at)?, text.get(at + 1..)?));
        }
    }
    None
}

/// `text.split(sep)` for an ASCII `sep`, like [`split_once`].
pub fn split(text: &str, sep: u8) -> Split<'_> {
    Split {
        rest: Some(text),
        sep,
    }
}

/// The pieces of [`split`].
pub struct Split<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.sep) {
            Some((piece, after)) => {
                self.rest = Some(after);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Whether `needle` occurs in `hay` (see [`find`]).
pub fn contains(hay: &str, needle: &str, ignore_case: bool) -> bool {
    find(hay, needle, ignore_case).is_some()
}

/// The value of one hex digit, either case: percent-escapes, JSON's `\u` escapes and the
/// compiled rule document's numbers.
pub(crate) fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_str_find() {
        for (hay, needle) in [
            ("abcabc", "ca"),
            ("abc", ""),
            ("", ""),
            ("ab", "abc"),
            ("url(x)", "url("),
        ] {
            assert_eq!(find(hay, needle, false), hay.find(needle), "{hay} {needle}");
        }
        assert_eq!(find("Spring-SALE", "sale", true), Some(7));
        for (text, max) in [
            ("héllo", 2),
            ("héllo", 0),
            ("héllo", 5),
            ("héllo", 9),
            ("", 3),
        ] {
            let chars: alloc::string::String = text.chars().take(max).collect();
            assert_eq!(prefix_chars(text, max), chars, "{text} {max}");
        }
        assert!(!contains("Spring-SALE", "sale", false));
    }

    #[test]
    fn decodes_utf8_like_from_utf8() {
        let check = |bytes: &[u8]| {
            let want = alloc::string::String::from_utf8(bytes.to_vec()).ok();
            assert_eq!(utf8(bytes), want, "{bytes:x?}");
        };
        check(b"");
        check("h\u{e9}llo \u{20ac} \u{1f600}".as_bytes());
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
                check(&[b'x', a, b]);
                if a >= 0xc0 {
                    for c in 0..=255u8 {
                        check(&[a, b, c]);
                    }
                }
                if a >= 0xf0 {
                    for c in [0x00, 0x7f, 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc0, 0xff] {
                        for d in [0x00, 0x41, 0x80, 0x9f, 0xbf, 0xc0, 0xf0] {
                            check(&[a, b, c, d]);
                            check(&[a, b, c, d, b'y']);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn splits_like_str_split() {
        for text in ["", "a", "|", "a|b", "|a||b|", "é|ü|", "||"] {
            let want: alloc::vec::Vec<&str> = text.split('|').collect();
            assert_eq!(
                split(text, b'|').collect::<alloc::vec::Vec<_>>(),
                want,
                "{text:?}"
            );
            assert_eq!(split_once(text, b'|'), text.split_once('|'), "{text:?}");
        }
    }

    #[test]
    fn trims_like_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a ",
            "\t\n a b \r\n",
            "\u{a0}é\u{3000}",
            "\u{2028}",
            "x\u{85}",
            "\u{feff}a",
            " \u{200b} ",
            "é ",
            " é",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
            assert_eq!(trim_end(text), text.trim_end(), "{text:?}");
        }
        // Every character alone, and around a letter.
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            for text in [
                alloc::format!("{c}"),
                alloc::format!("{c}a{c}"),
                alloc::format!("a{c}"),
            ] {
                assert_eq!(trim(&text), text.trim(), "{text:?}");
                assert_eq!(trim_end(&text), text.trim_end(), "{text:?}");
            }
        }
    }
}
