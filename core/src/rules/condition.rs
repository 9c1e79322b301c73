//! Evaluating conditions against a visitor.
//!
//! Missing attributes: every positive operator (`equals`, `in`, `contains`, `starts_with`,
//! `ends_with`, `regex`, `gt`…`between`, `before`, `after`, `exists`) is false for a missing
//! attribute, and every negative one (`not_equals`, `not_in`, `not_contains`, `not_regex`,
//! `missing`) is exactly the negation of its twin, so it is true. A value of the wrong kind
//! (text where a number is needed and not parseable as one) behaves like a missing one. On a
//! list attribute (`segments`, `forms_submitted_ids`, a list trait) `contains` means "has an
//! element equal to", and every other operator holds when it holds for some element.

use alloc::string::String;

use super::context::{view, Val, VisitorContext};
use super::document::{Condition, DateRef, Leaf, Op, Operand, Scalar};
use super::eval::Host;
use crate::json::read::parse_number;
use crate::text::contains;
use crate::time::parse_rfc3339_ms;

/// What a condition is evaluated against.
pub(crate) struct Env<'a, H: Host> {
    pub(crate) ctx: &'a VisitorContext,
    pub(crate) host: &'a H,
    pub(crate) regexes: &'a [Option<H::Regex>],
    /// The patterns as written, which explanations quote.
    #[cfg(feature = "explain")]
    pub(crate) sources: &'a [super::document::RegexSource],
    /// Variants assigned earlier in this evaluation (experiment id, variant id).
    pub(crate) assigned: &'a [(&'a str, &'a str)],
}

/// Whether `cond` holds for the visitor.
pub(crate) fn holds<H: Host>(cond: &Condition, env: &Env<'_, H>) -> bool {
    match cond {
        Condition::All(children) => children.iter().all(|c| holds(c, env)),
        Condition::Any(children) => children.iter().any(|c| holds(c, env)),
        Condition::Not(inner) => !holds(inner, env),
        Condition::Leaf(leaf) => leaf_holds(leaf, env),
    }
}

fn leaf_holds<H: Host>(leaf: &Leaf, env: &Env<'_, H>) -> bool {
    let (op, negated) = leaf.op.positive();
    let positive = env
        .ctx
        .lookup(&leaf.attr, env.assigned)
        .is_some_and(|value| positive_holds(op, leaf, value, env));
    positive != negated
}

fn positive_holds<H: Host>(op: Op, leaf: &Leaf, value: Val<'_>, env: &Env<'_, H>) -> bool {
    if op == Op::Exists {
        return true;
    }
    let member = |v: Val<'_>| match (&leaf.operand, op) {
        (Operand::Text(t), Op::Contains) => equals_text(v, t, leaf.ignore_case),
        _ => scalar_holds(op, leaf, v, env),
    };
    match value {
        Val::Texts(items) => items.iter().any(|s| member(Val::Text(s))),
        // A list inside a list matches nothing.
        Val::List(items) => items
            .iter()
            .filter_map(view)
            .any(|v| !matches!(v, Val::List(_)) && member(v)),
        _ => scalar_holds(op, leaf, value, env),
    }
}

fn scalar_holds<H: Host>(op: Op, leaf: &Leaf, value: Val<'_>, env: &Env<'_, H>) -> bool {
    let ic = leaf.ignore_case;
    // The parser gives each operator family its own operand kind (see `Parser::operand`), so
    // the operand alone picks the family; `op` tells its members apart.
    match &leaf.operand {
        Operand::Scalar(s) => equals(value, s, ic),
        Operand::List(list) => list.iter().any(|s| equals(value, s, ic)),
        Operand::Text(t) => as_text(value).is_some_and(|a| match op {
            Op::Contains => contains(a, t, ic),
            _ => affix(a, t, ic, op == Op::StartsWith),
        }),
        Operand::Regex(i) => as_text(value).is_some_and(|a| {
            env.regexes
                .get(*i)
                .and_then(Option::as_ref)
                .is_some_and(|re| env.host.regex_is_match(re, a))
        }),
        Operand::Number(n) => number(value).is_some_and(|x| match op {
            Op::Gt => x > *n,
            Op::Gte => x >= *n,
            Op::Lt => x < *n,
            _ => x <= *n,
        }),
        Operand::Range(lo, hi) => number(value).is_some_and(|x| *lo <= x && x <= *hi),
        Operand::Date(d) => {
            let (Some(x), Some(at)) = (date(value), resolve(*d, env.ctx.now_ms)) else {
                return false;
            };
            if op == Op::Before {
                x < at
            } else {
                x > at
            }
        }
        Operand::None => false,
    }
}

fn as_text(value: Val<'_>) -> Option<&str> {
    match value {
        Val::Text(s) => Some(s),
        _ => None,
    }
}

fn number(value: Val<'_>) -> Option<f64> {
    match value {
        Val::Number(n) => Some(n),
        Val::Text(s) => parse_number(s),
        _ => None,
    }
}

/// A date as Unix ms: a number, or text that is a date or reads as a number (`?since=
/// 1795400000000`), as text that reads as a number compares as one everywhere else.
fn date(value: Val<'_>) -> Option<i64> {
    match value {
        Val::Number(n) => Some(n as i64),
        Val::Text(s) => parse_date_ms(s).or_else(|| parse_number(s).map(|n| n as i64)),
        _ => None,
    }
}

fn resolve(d: DateRef, now_ms: Option<i64>) -> Option<i64> {
    match d {
        DateRef::Absolute(ms) => Some(ms),
        DateRef::Relative(offset) => now_ms.map(|now| now.saturating_add(offset)),
    }
}

fn text_eq(a: &str, b: &str, ignore_case: bool) -> bool {
    if ignore_case {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Equality across kinds: text that reads as a number equals that number (`query.page`
/// equals `2`); otherwise kinds must match.
fn equals(value: Val<'_>, s: &Scalar, ignore_case: bool) -> bool {
    match (value, s) {
        (v, Scalar::Text(t)) => equals_text(v, t, ignore_case),
        (Val::Number(a), Scalar::Number(b)) => a == *b,
        (Val::Text(a), Scalar::Number(b)) => parse_number(a) == Some(*b),
        (Val::Bool(a), Scalar::Bool(b)) => a == *b,
        _ => false,
    }
}

fn equals_text(value: Val<'_>, t: &str, ignore_case: bool) -> bool {
    match value {
        Val::Text(a) => text_eq(a, t, ignore_case),
        Val::Number(a) => parse_number(t) == Some(a),
        _ => false,
    }
}

fn affix(hay: &str, fix: &str, ignore_case: bool, start: bool) -> bool {
    let (h, f) = (hay.as_bytes(), fix.as_bytes());
    let Some(from) = h.len().checked_sub(f.len()) else {
        return false;
    };
    let part = if start {
        h.get(..f.len())
    } else {
        h.get(from..)
    };
    part.is_some_and(|p| {
        if ignore_case {
            p.eq_ignore_ascii_case(f)
        } else {
            p == f
        }
    })
}

/// Reads a date: RFC 3339 (`2026-11-22T10:00:00Z`, offsets allowed) or a plain date
/// (`2026-11-22`, midnight UTC), as Unix ms.
pub(crate) fn parse_date_ms(s: &str) -> Option<i64> {
    let s = s.trim_ascii();
    if s.len() == 10 {
        let mut midnight = String::from(s);
        midnight.push_str("T00:00:00Z");
        return parse_rfc3339_ms(&midnight);
    }
    parse_rfc3339_ms(s)
}

const MINUTE_MS: i64 = 60_000;
const UNITS: [(&str, i64); 4] = [
    ("minute", MINUTE_MS),
    ("hour", 60 * MINUTE_MS),
    ("day", 24 * 60 * MINUTE_MS),
    ("week", 7 * 24 * 60 * MINUTE_MS),
];

/// Reads the operand of `before` / `after`: an absolute date, `now`, `N units ago`,
/// `in N units` or `N units from now` (units: minute, hour, day, week, singular or plural).
pub(crate) fn parse_date_ref(s: &str) -> Option<DateRef> {
    let t = s.trim_ascii();
    if t.eq_ignore_ascii_case("now") {
        return Some(DateRef::Relative(0));
    }
    if let Some(ms) = parse_date_ms(t) {
        return Some(DateRef::Absolute(ms));
    }
    // At most four words: `N units ago`, `in N units`, `N units from now`.
    let mut w = [""; 4];
    let mut n = 0;
    for word in t.split_ascii_whitespace() {
        *w.get_mut(n)? = word;
        n += 1;
    }
    let is = |i: usize, word: &str| w.get(i).is_some_and(|x| x.eq_ignore_ascii_case(word));
    let [first, second, third, _] = w;
    let (count, unit, sign) = match n {
        3 if is(0, "in") => (second, third, 1),
        3 if is(2, "ago") => (first, second, -1),
        4 if is(2, "from") && is(3, "now") => (first, second, 1),
        _ => return None,
    };
    let n = crate::tracker::parse_u64(count).filter(|n| *n <= 100_000)? as i64;
    let singular = match unit.as_bytes().last() {
        Some(b's' | b'S') => unit.get(..unit.len() - 1).unwrap_or(unit),
        _ => unit,
    };
    let (_, ms) = UNITS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(singular))?;
    Some(DateRef::Relative(sign * n * ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dates_read_like_english() {
        let day = 86_400_000;
        assert_eq!(
            parse_date_ref("7 days ago"),
            Some(DateRef::Relative(-7 * day))
        );
        assert_eq!(
            parse_date_ref("1 Week ago"),
            Some(DateRef::Relative(-7 * day))
        );
        assert_eq!(
            parse_date_ref("in 2 hours"),
            Some(DateRef::Relative(7_200_000))
        );
        assert_eq!(
            parse_date_ref("30 minutes from now"),
            Some(DateRef::Relative(1_800_000))
        );
        assert_eq!(parse_date_ref("now"), Some(DateRef::Relative(0)));
        assert_eq!(
            parse_date_ref("2026-11-22"),
            Some(DateRef::Absolute(1_795_305_600_000))
        );
        for bad in [
            "7 days",
            "days ago",
            "7 fortnights ago",
            "-7 days ago",
            "in 2",
            "yesterday",
            "7 days ago!",
        ] {
            assert_eq!(parse_date_ref(bad), None, "{bad}");
        }
    }

    #[test]
    fn case_folding_is_ascii_only_and_allocation_free() {
        assert!(contains("Spring-SALE", "sale", true));
        assert!(!contains("Spring-SALE", "sale", false));
        assert!(contains("x", "", true));
        assert!(!contains("ab", "abc", true));
        assert!(affix("Summer", "SUM", true, true));
        assert!(affix("Summer", "mer", false, false));
        assert!(!affix("er", "summer", false, false));
    }
}
