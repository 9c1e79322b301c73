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
    for (i, b) in text.bytes().enumerate() {
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

/// Whether `needle` occurs in `hay` (see [`find`]).
pub fn contains(hay: &str, needle: &str, ignore_case: bool) -> bool {
    find(hay, needle, ignore_case).is_some()
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
}
