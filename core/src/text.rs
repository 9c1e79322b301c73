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
    (0..=last).find(|&i| {
        h.get(i..i + n.len()).is_some_and(|w| {
            if ignore_case {
                w.eq_ignore_ascii_case(n)
            } else {
                w == n
            }
        })
    })
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
        assert!(!contains("Spring-SALE", "sale", false));
    }
}
