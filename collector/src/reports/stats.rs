//! The statistics of the experiment report, written out so that every number can be
//! checked by hand:
//!
//! - **Lift** of a variant over the control: the difference of two conversion rates with a
//!   95 % Wald interval (normal approximation, unpooled standard error
//!   `sqrt(p1(1-p1)/n1 + p0(1-p0)/n0)`), and the relative lift `p1/p0 - 1` with a 95 %
//!   interval from the delta method (`Var(p1/p0) ≈ v1/p0² + p1²·v0/p0⁴`, where `v` are the
//!   rates' variances), so the control's own uncertainty widens it. The two-sided p-value is
//!   that of `z = difference / standard error`.
//! - **Sample-ratio mismatch**: Pearson's chi-square goodness of fit of the visitor counts
//!   against the expected split, with `k - 1` degrees of freedom.
//! - The chi-square survival function is the regularized upper incomplete gamma function
//!   `Q(df/2, x/2)`, by series or continued fraction (Numerical Recipes, 3rd ed., 6.2), with
//!   `ln Γ` from the Lanczos approximation (g = 7, n = 9), good to ~15 digits.

/// The 97.5th percentile of the standard normal distribution: a 95 % two-sided interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A difference or ratio with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// A variant's lift over the control.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiftStats {
    /// `p1 - p0` with its Wald interval.
    pub absolute: Estimate,
    /// `p1 / p0 - 1` with its delta-method interval; `None` when the control never converts.
    pub relative: Option<Estimate>,
    /// Two-sided p-value of the difference; `None` when its standard error is 0 (both
    /// rates are 0 or 1: nothing to test).
    pub p_value: Option<f64>,
}

/// The lift of `(conversions, visitors)` over the control's; `None` when either group
/// has no visitors.
pub fn lift(variant: (u64, u64), control: (u64, u64)) -> Option<LiftStats> {
    let (x1, n1) = variant;
    let (x0, n0) = control;
    if n1 == 0 || n0 == 0 {
        return None;
    }
    let (p1, p0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
    let (v1, v0) = (p1 * (1.0 - p1) / n1 as f64, p0 * (1.0 - p0) / n0 as f64);
    let diff = p1 - p0;
    let se = (v1 + v0).sqrt();
    let absolute = Estimate {
        value: diff,
        low: diff - Z_95 * se,
        high: diff + Z_95 * se,
    };
    let relative = (p0 > 0.0).then(|| {
        let ratio = p1 / p0;
        let se = (v1 / (p0 * p0) + p1 * p1 * v0 / p0.powi(4)).sqrt();
        Estimate {
            value: ratio - 1.0,
            low: ratio - 1.0 - Z_95 * se,
            high: ratio - 1.0 + Z_95 * se,
        }
    });
    let p_value = (se > 0.0).then(|| chi_square_sf((diff / se).powi(2), 1.0));
    Some(LiftStats {
        absolute,
        relative,
        p_value,
    })
}

/// A chi-square goodness-of-fit test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    /// The statistic, `Σ (observed - expected)² / expected`.
    pub statistic: f64,
    /// Categories - 1.
    pub degrees_of_freedom: u64,
    /// `P(χ² ≥ statistic)`.
    pub p_value: f64,
}

/// Tests `observed` counts against `weights` (any positive scale; normalised here).
/// `None` with fewer than two categories, no observations, or a weight that is not
/// positive.
pub fn goodness_of_fit(observed: &[u64], weights: &[f64]) -> Option<ChiSquare> {
    let total: u64 = observed.iter().sum();
    let weight_sum: f64 = weights.iter().sum();
    if observed.len() < 2
        || observed.len() != weights.len()
        || total == 0
        || weights.iter().any(|w| w.is_nan() || *w <= 0.0)
    {
        return None;
    }
    let statistic = observed
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let expected = total as f64 * w / weight_sum;
            (o as f64 - expected).powi(2) / expected
        })
        .sum::<f64>();
    let degrees_of_freedom = observed.len() as u64 - 1;
    Some(ChiSquare {
        statistic,
        degrees_of_freedom,
        p_value: chi_square_sf(statistic, degrees_of_freedom as f64),
    })
}

/// `P(X ≥ x)` for `X ~ χ²(df)`.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    upper_gamma_q(df / 2.0, x / 2.0)
}

/// The regularized upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a)`, `a > 0`.
pub fn upper_gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        (1.0 - lower_series(a, x)).clamp(0.0, 1.0)
    } else {
        upper_continued_fraction(a, x).clamp(0.0, 1.0)
    }
}

const EPSILON: f64 = 1e-16;
const MAX_ITERATIONS: usize = 10_000;

/// `P(a, x)` by its series, which converges fast for `x < a + 1`.
fn lower_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut n = a;
    for _ in 0..MAX_ITERATIONS {
        n += 1.0;
        term *= x / n;
        sum += term;
        if term.abs() < sum.abs() * EPSILON {
            break;
        }
    }
    sum * (-x + a * x.ln() - ln_gamma(a)).exp()
}

/// `Q(a, x)` by its continued fraction (modified Lentz), for `x ≥ a + 1`.
fn upper_continued_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_ITERATIONS {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPSILON {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// `x` rounded to `decimals` places.
pub fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// `x` rounded to `digits` significant digits (p-values can be tiny and still matter).
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    round_to(x, digits - 1 - magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_matches_factorials_and_the_half() {
        assert!(ln_gamma(1.0).abs() < 1e-14 && ln_gamma(2.0).abs() < 1e-14);
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
        assert!(close(ln_gamma(101.0), 363.739_375_555_563_47, 1e-13));
    }

    /// Closed forms: df 2 is `exp(-x/2)`; df 1 is `erfc(sqrt(x/2))`, whose values here were
    /// computed with Python's `math.erfc`.
    #[test]
    fn the_chi_square_survival_function_matches_closed_forms() {
        for x in [0.1, 0.8, 2.0, 7.5, 16.0, 40.0, 200.0] {
            assert!(close(chi_square_sf(x, 2.0), (-x / 2.0).exp(), 1e-12), "{x}");
        }
        for (x, p) in [
            (0.5, 0.479_500_122_186_953_5),
            (3.841_458_820_694_124, 0.050_000_000_000_000_08),
            (16.0, 6.334_248_366_623_977e-5),
            (60.0, 9.485_737_571_073_843e-15),
        ] {
            assert!(
                close(chi_square_sf(x, 1.0), p, 1e-10),
                "{x}: {}",
                chi_square_sf(x, 1.0)
            );
        }
        assert_eq!(chi_square_sf(0.0, 3.0), 1.0);
    }

    #[test]
    fn goodness_of_fit_needs_two_groups_and_observations() {
        let fit = goodness_of_fit(&[30, 6], &[0.5, 0.5]).unwrap();
        assert!(close(fit.statistic, 16.0, 1e-12));
        assert_eq!(fit.degrees_of_freedom, 1);
        assert!(fit.p_value < 0.001);
        assert!(goodness_of_fit(&[5], &[1.0]).is_none());
        assert!(goodness_of_fit(&[0, 0], &[0.5, 0.5]).is_none());
        assert!(goodness_of_fit(&[1, 2], &[0.0, 1.0]).is_none());
    }

    #[test]
    fn lift_is_undefined_without_visitors_and_relative_without_control_conversions() {
        assert!(lift((1, 0), (1, 10)).is_none());
        let l = lift((3, 10), (0, 10)).unwrap();
        assert!(l.relative.is_none());
        assert!(close(l.absolute.value, 0.3, 1e-12));
        let flat = lift((0, 10), (0, 10)).unwrap();
        assert_eq!(flat.p_value, None);
    }

    #[test]
    fn rounding_keeps_tiny_p_values() {
        assert_eq!(round_to(0.123_456_7, 4), 0.1235);
        assert_eq!(round_significant(6.334_248_366e-5, 4), 6.334e-5);
        assert_eq!(round_significant(0.0, 4), 0.0);
    }
}
