//! Explanations for `orbit('debug')` and the collector's preview: one line per rule saying
//! why it applied or not, built only when asked for, without `core::fmt`.
//!
//! Naming the condition that decided, with the visitor's value, takes the `explain` feature
//! (~2 KB gzip with the names it quotes): the collector and the tests have it, the
//! tracker's production bundle does not, and `orbit-debug.js` is the tracker built with it.

use alloc::string::String;

use super::condition::Env;
use super::document::Rule;
use super::eval::{Assignment, Host, Outcome};
use crate::json::push_u64;

/// The debug line for one rule.
#[cfg_attr(not(feature = "explain"), allow(unused_variables))]
pub(crate) fn explain<H: Host>(
    rule: &Rule,
    outcome: Outcome,
    owner: Option<&Rule>,
    decision: Option<&(Option<Assignment<'_>>, bool)>,
    env: &Env<'_, H>,
) -> String {
    let mut out = String::from("rule ");
    out.push_str(&rule.id);
    out.push_str(match outcome {
        Outcome::Applied => ": applied",
        Outcome::Previewed => ": applied, forced by orbit_preview",
        _ => ": skipped, ",
    });
    match outcome {
        Outcome::Applied | Outcome::Previewed => {
            if let Some((Some(a), _)) = decision {
                out.push_str("; experiment ");
                out.push_str(&a.experiment.id);
                out.push_str(" variant ");
                out.push_str(&a.variant.id);
                out.push_str(" (");
                out.push_str(a.source.as_str());
                if a.variant.control {
                    out.push_str(", control");
                }
                out.push(')');
            }
        }
        Outcome::Disabled => out.push_str("disabled"),
        Outcome::Holdout => out.push_str("the visitor is in the site-wide holdout"),
        Outcome::GroupTaken => {
            out.push_str("group \"");
            out.push_str(rule.group_name.as_deref().unwrap_or(""));
            out.push_str("\" is taken by rule ");
            out.push_str(owner.map_or("", |o| o.id.as_str()));
        }
        Outcome::ConditionsFalse => {
            // Which condition decided, with the visitor's value: only where `explain` is on
            // (the collector, tests, orbit-debug.js); the tracker's bundle says no more.
            #[cfg(feature = "explain")]
            if let Some(c) = &rule.conditions {
                detail::explain_false(c, env, &mut out);
            }
            #[cfg(not(feature = "explain"))]
            out.push_str("conditions were false");
        }
        Outcome::NotInTraffic => {
            let exp = rule.experiment.as_ref();
            out.push_str("the visitor is outside experiment ");
            out.push_str(exp.map_or("", |e| e.id.as_str()));
            out.push_str("'s traffic (");
            push_number(&mut out, exp.map_or(0.0, |e| e.traffic_percent));
            out.push_str(" %)");
        }
        Outcome::NoVisitorId => out.push_str("experiments need a visitor id and there is none"),
    }
    out
}

/// Appends a number for people (up to 6 decimals), without `core::fmt`.
pub(crate) fn push_number(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("NaN");
        return;
    }
    let mut n = n;
    if n < 0.0 {
        out.push('-');
        n = -n;
    }
    if n >= 1e12 {
        // Too large for six decimals in a u64; the whole part is what people read anyway.
        push_u64(out, n as u64);
        return;
    }
    let scaled = (n * 1_000_000.0 + 0.5) as u64;
    push_u64(out, scaled / 1_000_000);
    let mut frac = scaled % 1_000_000;
    if frac > 0 {
        out.push('.');
        // Digit by digit from the tenths, until what is left is zero (no trailing zeros).
        let mut unit = 100_000;
        while frac > 0 && unit > 0 {
            out.push(char::from(b'0' + (frac / unit) as u8));
            frac %= unit;
            unit /= 10;
        }
    }
}

/// Which condition decided a skipped rule, with the visitor's value (feature `explain`).
#[cfg(feature = "explain")]
mod detail {
    use alloc::string::String;

    use super::push_number;
    use crate::json::{push_json_string, push_u64};
    use crate::rules::condition::{holds, Env};
    use crate::rules::context::{view, Val};
    use crate::rules::document::{Condition, DateRef, Leaf, Operand, Scalar};
    use crate::rules::eval::Host;

    /// Appends why `cond` did not hold: the deciding leaf with the visitor's value.
    pub(super) fn explain_false<H: Host>(cond: &Condition, env: &Env<'_, H>, out: &mut String) {
        match cond {
            Condition::All(children) => match children.iter().find(|c| !holds(c, env)) {
                Some(child) => explain_false(child, env, out),
                None => out.push_str("conditions were false"),
            },
            Condition::Any(children) => match children.first() {
                None => out.push_str("an empty \"any\" never holds"),
                Some(first) => {
                    out.push_str("none of the ");
                    push_u64(out, children.len() as u64);
                    out.push_str(" alternatives held; the first: ");
                    explain_false(first, env, out);
                }
            },
            Condition::Not(inner) => {
                out.push_str("\"not\" was false because ");
                match &**inner {
                    Condition::Leaf(leaf) => {
                        describe_leaf(leaf, env, out);
                        out.push_str(" held");
                        push_actual(leaf, env, out);
                    }
                    _ => out.push_str("its inner condition held"),
                }
            }
            Condition::Leaf(leaf) => {
                describe_leaf(leaf, env, out);
                out.push_str(" was false");
                push_actual(leaf, env, out);
            }
        }
    }

    fn describe_leaf<H: Host>(leaf: &Leaf, env: &Env<'_, H>, out: &mut String) {
        out.push_str("condition ");
        out.push_str(&leaf.attr.name());
        out.push(' ');
        out.push_str(leaf.op.name());
        // Every operand is written after one space.
        if !matches!(leaf.operand, Operand::None) {
            out.push(' ');
        }
        match &leaf.operand {
            Operand::None => {}
            Operand::Scalar(s) => {
                push_scalar(s, out);
            }
            Operand::List(list) => push_list(list.iter(), list.len() > 10, out, push_scalar),
            Operand::Text(t) => {
                push_json_string(out, t);
            }
            Operand::Number(n) => {
                push_number(out, *n);
            }
            Operand::Range(lo, hi) => {
                out.push('[');
                push_number(out, *lo);
                out.push_str(", ");
                push_number(out, *hi);
                out.push(']');
            }
            Operand::Date(DateRef::Absolute(ms)) => {
                env.host.push_date(out, *ms);
            }
            Operand::Date(DateRef::Relative(offset)) => {
                out.push_str("now");
                if *offset != 0 {
                    out.push_str(if *offset < 0 { " - " } else { " + " });
                    push_u64(out, offset.unsigned_abs() / 1000);
                    out.push('s');
                }
            }
            Operand::Regex(i) => {
                let source = env.sources.get(*i);
                push_json_string(out, source.map_or("", |s| s.pattern.as_str()));
                if env.regexes.get(*i).is_some_and(Option::is_none) {
                    out.push_str(" (the pattern did not compile)");
                }
            }
        }
        if leaf.ignore_case {
            out.push_str(" (ignoring case)");
        }
    }

    fn push_actual<H: Host>(leaf: &Leaf, env: &Env<'_, H>, out: &mut String) {
        match env.ctx.lookup(&leaf.attr, env.assigned) {
            None => out.push_str(" (attribute missing)"),
            Some(value) => {
                out.push_str(" (value ");
                push_val(value, out);
                out.push(')');
            }
        }
    }

    fn push_val(value: Val<'_>, out: &mut String) {
        match value {
            Val::Text(s) => push_json_string(out, s),
            Val::Number(n) => push_number(out, n),
            Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Val::Texts(items) => {
                push_list(items.iter(), false, out, |s, out| push_json_string(out, s));
            }
            Val::List(items) => {
                push_list(
                    items.iter().filter_map(view),
                    false,
                    out,
                    |v, out| match v {
                        Val::List(_) => out.push_str("[…]"),
                        v => push_val(v, out),
                    },
                );
            }
        }
    }

    /// `[a, b, …]`: the first ten items, and `, …` after them when `more` says some were left.
    fn push_list<T>(
        items: impl Iterator<Item = T>,
        more: bool,
        out: &mut String,
        mut push: impl FnMut(T, &mut String),
    ) {
        out.push('[');
        for (i, item) in items.take(10).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            push(item, out);
        }
        if more {
            out.push_str(", …");
        }
        out.push(']');
    }

    /// A constant as the visitor's values are written ([`push_val`] writes both).
    fn push_scalar(s: &Scalar, out: &mut String) {
        push_val(
            match s {
                Scalar::Text(t) => Val::Text(t),
                Scalar::Number(n) => Val::Number(*n),
                Scalar::Bool(b) => Val::Bool(*b),
            },
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_for_people() {
        for (n, want) in [
            (0.0, "0"),
            (42.0, "42"),
            (-3.5, "-3.5"),
            (0.001, "0.001"),
            (12.345678, "12.345678"),
            (1e15, "1000000000000000"),
        ] {
            let mut s = String::new();
            push_number(&mut s, n);
            assert_eq!(s, want);
        }
    }
}
