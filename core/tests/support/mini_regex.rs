//! A tiny backtracking regex matcher for native tests, standing in for the browser's
//! `RegExp` and the collector's `regex` crate (neither belongs in `orbit-core`'s
//! dependencies). It covers the subset both engines read the same way, which is what the
//! shared fixtures use: literals, `.`, classes (`[a-z]`, `[^…]`, `\d \w \s` and their
//! negations), `^ $ \b`, groups `( )`, `(?: )`, `(?<name> )`, alternation, and the
//! quantifiers `* + ? {n} {n,} {n,m}` (lazy ones match the same for `is_match`).
//!
//! Included by path from `src/rules/mod.rs` (unit tests) and from `tests/rules_cases.rs`.

use alloc::vec::Vec;

/// A compiled pattern.
#[derive(Debug)]
pub struct MiniRegex {
    root: Vec<Vec<Piece>>,
    ignore_case: bool,
}

#[derive(Debug)]
struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

#[derive(Debug)]
enum Atom {
    Char(char),
    Any,
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
    Start,
    End,
    WordBoundary,
    Group(Vec<Vec<Piece>>),
}

#[derive(Debug)]
enum ClassItem {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
}

impl MiniRegex {
    /// Compiles `pattern`; `None` when it is malformed or uses syntax outside the subset.
    pub fn new(pattern: &str, ignore_case: bool) -> Option<MiniRegex> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut at = 0;
        let root = alternation(&chars, &mut at, 0)?;
        (at == chars.len()).then_some(MiniRegex { root, ignore_case })
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        (0..=t.len()).any(|start| self.alt(&self.root, &t, start, &mut |_| true))
    }

    fn alt(
        &self,
        alt: &[Vec<Piece>],
        t: &[char],
        pos: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        alt.iter().any(|seq| self.seq(seq, t, pos, k))
    }

    fn seq(&self, seq: &[Piece], t: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match seq.split_first() {
            None => k(pos),
            Some((piece, rest)) => self.piece(piece, 0, rest, t, pos, k),
        }
    }

    fn piece(
        &self,
        p: &Piece,
        count: usize,
        rest: &[Piece],
        t: &[char],
        pos: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        if count < p.max {
            let more = self.atom(&p.atom, t, pos, &mut |next| {
                (next != pos || count < p.min) && self.piece(p, count + 1, rest, t, next, k)
            });
            if more {
                return true;
            }
        }
        count >= p.min && self.seq(rest, t, pos, k)
    }

    fn atom(&self, a: &Atom, t: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        let word = |i: Option<&char>| i.is_some_and(|c| c.is_alphanumeric() || *c == '_');
        match a {
            Atom::Char(c) => t.get(pos).is_some_and(|x| self.same(*x, *c)) && k(pos + 1),
            Atom::Any => t.get(pos).is_some_and(|x| *x != '\n') && k(pos + 1),
            Atom::Class { negated, items } => {
                t.get(pos)
                    .is_some_and(|x| items.iter().any(|i| self.in_item(i, *x)) != *negated)
                    && k(pos + 1)
            }
            Atom::Start => pos == 0 && k(pos),
            Atom::End => pos == t.len() && k(pos),
            Atom::WordBoundary => {
                let before = pos.checked_sub(1).and_then(|i| t.get(i));
                word(before) != word(t.get(pos)) && k(pos)
            }
            Atom::Group(alt) => self.alt(alt, t, pos, k),
        }
    }

    fn same(&self, a: char, b: char) -> bool {
        a == b || (self.ignore_case && a.to_lowercase().eq(b.to_lowercase()))
    }

    fn in_item(&self, item: &ClassItem, c: char) -> bool {
        match item {
            ClassItem::Range(lo, hi) => {
                (*lo..=*hi).contains(&c)
                    || (self.ignore_case
                        && c.to_lowercase()
                            .chain(c.to_uppercase())
                            .any(|x| (*lo..=*hi).contains(&x)))
            }
            ClassItem::Digit(yes) => c.is_ascii_digit() == *yes,
            ClassItem::Word(yes) => (c.is_alphanumeric() || c == '_') == *yes,
            ClassItem::Space(yes) => c.is_whitespace() == *yes,
        }
    }
}

fn alternation(p: &[char], at: &mut usize, depth: usize) -> Option<Vec<Vec<Piece>>> {
    if depth > 32 {
        return None;
    }
    let mut alt = Vec::new();
    let mut seq = Vec::new();
    while let Some(&c) = p.get(*at) {
        match c {
            '|' => {
                *at += 1;
                alt.push(core::mem::take(&mut seq));
                continue;
            }
            ')' => break,
            _ => {}
        }
        *at += 1;
        let atom = match c {
            '.' => Atom::Any,
            '^' => Atom::Start,
            '$' => Atom::End,
            '(' => {
                if p.get(*at) == Some(&'?') {
                    match (p.get(*at + 1), p.get(*at + 2)) {
                        (Some(':'), _) => *at += 2,
                        (Some('<'), Some(n)) if n.is_alphabetic() => {
                            while p.get(*at).is_some_and(|c| *c != '>') {
                                *at += 1;
                            }
                            *at += 1;
                        }
                        _ => return None,
                    }
                }
                let inner = alternation(p, at, depth + 1)?;
                if p.get(*at) != Some(&')') {
                    return None;
                }
                *at += 1;
                Atom::Group(inner)
            }
            '[' => class(p, at)?,
            '\\' => {
                let e = *p.get(*at)?;
                *at += 1;
                match escape_item(e) {
                    Some(item) => Atom::Class {
                        negated: false,
                        items: alloc::vec![item],
                    },
                    None if e == 'b' => Atom::WordBoundary,
                    None if e.is_ascii_alphanumeric() => return None,
                    None => Atom::Char(e),
                }
            }
            '*' | '+' | '?' | '{' | ']' => return None,
            c => Atom::Char(c),
        };
        let (min, max) = quantifier(p, at)?;
        seq.push(Piece { atom, min, max });
    }
    alt.push(seq);
    Some(alt)
}

fn escape_item(e: char) -> Option<ClassItem> {
    Some(match e {
        'd' => ClassItem::Digit(true),
        'D' => ClassItem::Digit(false),
        'w' => ClassItem::Word(true),
        'W' => ClassItem::Word(false),
        's' => ClassItem::Space(true),
        'S' => ClassItem::Space(false),
        _ => return None,
    })
}

fn class(p: &[char], at: &mut usize) -> Option<Atom> {
    let negated = p.get(*at) == Some(&'^');
    if negated {
        *at += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(*at)?;
        *at += 1;
        if c == ']' && !first {
            return Some(Atom::Class { negated, items });
        }
        first = false;
        let lo = if c == '\\' {
            let e = *p.get(*at)?;
            *at += 1;
            if let Some(item) = escape_item(e) {
                items.push(item);
                continue;
            }
            e
        } else {
            c
        };
        if p.get(*at) == Some(&'-') && p.get(*at + 1).is_some_and(|c| *c != ']') {
            let hi = *p.get(*at + 1)?;
            *at += 2;
            if hi < lo {
                return None;
            }
            items.push(ClassItem::Range(lo, hi));
        } else {
            items.push(ClassItem::Range(lo, lo));
        }
    }
}

fn quantifier(p: &[char], at: &mut usize) -> Option<(usize, usize)> {
    let q = match p.get(*at) {
        Some('*') => (0, usize::MAX),
        Some('+') => (1, usize::MAX),
        Some('?') => (0, 1),
        Some('{') => {
            let close = (*at..p.len()).find(|&i| p.get(i) == Some(&'}'))?;
            let body: alloc::string::String = p.get(*at + 1..close)?.iter().collect();
            let (lo, hi) = match body.split_once(',') {
                None => (body.parse().ok()?, body.parse().ok()?),
                Some((lo, "")) => (lo.parse().ok()?, usize::MAX),
                Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
            };
            *at = close;
            (lo, hi)
        }
        _ => return Some((1, 1)),
    };
    *at += 1;
    if p.get(*at) == Some(&'?') {
        *at += 1; // lazy: the same for is_match
    }
    Some(q)
}

#[cfg(test)]
mod mini_regex_tests {
    use super::MiniRegex;

    #[test]
    fn the_subset_matches_like_real_engines() {
        for (pattern, ic, text, want) in [
            ("^/blog/[a-z0-9-]+$", false, "/blog/spring-sale", true),
            ("^/blog/[a-z0-9-]+$", false, "/blog/Spring", false),
            ("^/blog/[a-z0-9-]+$", true, "/blog/Spring", true),
            ("spring|summer", false, "a summer sale", true),
            ("^(?:de|at|ch)$", false, "at", true),
            ("^\\d{3}-\\d{2,}$", false, "123-4567", true),
            ("^\\d{3}-\\d{2,}$", false, "12-45", false),
            ("colou?r", false, "color", true),
            ("\\bsale\\b", false, "big sale now", true),
            ("\\bsale\\b", false, "wholesale", false),
            ("a.c", false, "abc", true),
            ("[^a-z]", false, "abc", false),
            ("(a+)+$", false, "aaaa", true),
            ("x*", false, "", true),
        ] {
            let re = MiniRegex::new(pattern, ic).unwrap();
            assert_eq!(re.is_match(text), want, "{pattern} on {text}");
        }
        for bad in ["(", "a)", "[a", "*a", "a{2", "(?i)a", "\\q", "[z-a]"] {
            assert!(MiniRegex::new(bad, false).is_none(), "{bad}");
        }
    }
}
