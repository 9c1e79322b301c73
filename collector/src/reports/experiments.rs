//! The experiment report: per experiment and variant, who was exposed, who converted, and
//! whether the difference to the control is real; plus the site-wide holdout's lift.
//!
//! Definitions (window `[from, to)`, bots left out, visitors are anonymous ids; every
//! experiment of the current document is listed, exposed or not, and any other that has
//! exposures):
//! - **Exposed**: visitors with an `Experiment Viewed` event of the experiment in the
//!   window. A visitor exposed to several variants of one experiment counts in the variant
//!   of their first exposure; how many did so is `multiple_variant_visitors`.
//! - **Converted**: exposed visitors with a conversion event (`conversion`, default
//!   `Form Submitted`) in the window at or after their first exposure to that experiment.
//! - **Control**: the variant the current rule document marks `"control": true`, else the
//!   variant named `control`. Lift is reported for every other variant (see
//!   [`super::stats`]); `null` wherever a denominator is 0.
//! - **Sample-ratio mismatch**: visitors per variant against the variants' weights in the
//!   *current* rule document (equal weights when the experiment is no longer in it, which
//!   a note says); flagged when p < [`SRM_P_VALUE_THRESHOLD`]. Variants the document does
//!   not (or no longer) have are left out of the check, with a note.
//! - **Holdout**: `Experiment Viewed` with `experiment_id: "holdout"` and `variation_id`
//!   `holdout` (the control) or `personalized`, with the same statistics; its expected
//!   split is the document's `holdout.percent`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use orbit_core::rules::Rules;
use serde::Serialize;

use super::stats::{goodness_of_fit, lift, round_significant, round_to};
use super::{rate, serialize_opt_ms};

/// The event the browser sends when it renders a variant (the control included).
pub const EXPOSURE_EVENT: &str = "Experiment Viewed";
/// The conversion event when the request names none.
pub const DEFAULT_CONVERSION_EVENT: &str = "Form Submitted";
/// Longest conversion event name, in bytes.
pub const MAX_CONVERSION_EVENT_BYTES: usize = 200;
/// The `experiment_id` of the site-wide holdout's membership event (lint refuses an
/// experiment of that id).
pub const HOLDOUT_EXPERIMENT_ID: &str = orbit_core::rules::HOLDOUT_EXPERIMENT_ID;
/// The holdout group: sees no personalisation; the holdout's control.
pub const HOLDOUT_VARIANT_ID: &str = "holdout";
/// Everyone else.
pub const PERSONALIZED_VARIANT_ID: &str = "personalized";
/// A sample-ratio check with a p-value below this is flagged as a mismatch.
pub const SRM_P_VALUE_THRESHOLD: f64 = 0.001;
/// Decimal places of lifts, intervals and chi-square statistics.
pub const STAT_DECIMALS: i32 = 6;
/// Significant digits of p-values.
pub const P_VALUE_DIGITS: i32 = 6;

/// Which report to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExperimentReportFilter {
    /// The site.
    pub site: String,
    /// Start of the window (Unix ms, inclusive); `None`: from the beginning.
    pub from_ms: Option<i64>,
    /// End of the window (exclusive); `None`: until now.
    pub to_ms: Option<i64>,
    /// The conversion event's name.
    pub conversion: String,
}

/// One `Experiment Viewed` event in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExposureRow {
    /// The visitor.
    pub anonymous_id: String,
    /// When (Unix ms).
    pub timestamp_ms: i64,
    /// `properties.experiment_id`.
    pub experiment_id: Option<String>,
    /// `properties.variation_id`.
    pub variation_id: Option<String>,
    /// `properties.rule_id`.
    pub rule_id: Option<String>,
}

/// An exposed visitor's latest conversion in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversionRow {
    /// The visitor.
    pub anonymous_id: String,
    /// Their latest conversion (Unix ms).
    pub last_ms: i64,
}

/// What a storage backend reads for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExperimentRows {
    /// Exposures in time order (ties in storage order).
    pub exposures: Vec<ExposureRow>,
    /// The latest conversion of each exposed visitor who converted in the window.
    pub conversions: Vec<ConversionRow>,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentReport {
    /// The site.
    pub site: String,
    /// Start of the window.
    #[serde(rename = "from", serialize_with = "serialize_opt_ms")]
    pub from_ms: Option<i64>,
    /// End of the window.
    #[serde(rename = "to", serialize_with = "serialize_opt_ms")]
    pub to_ms: Option<i64>,
    /// The conversion event.
    pub conversion: String,
    /// The revision of the current rule document, whose controls and weights were used.
    pub revision: Option<String>,
    /// Experiments by id.
    pub experiments: Vec<ExperimentResult>,
    /// The site-wide holdout; `null` when the document has none and nobody was held out.
    pub holdout: Option<ExperimentResult>,
    /// `Experiment Viewed` events without an experiment_id or variation_id, ignored.
    pub ignored_exposures: u64,
}

/// One experiment (or the holdout).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentResult {
    /// Its id.
    pub experiment_id: String,
    /// The rule that runs it: the document's, else the one the events name.
    pub rule_id: Option<String>,
    /// Whether the current rule document has it.
    pub in_document: bool,
    /// The control variant's id; `null` when there is none (then no lift).
    pub control: Option<String>,
    /// Exposed visitors, all variants.
    pub visitors: u64,
    /// Of them, converted.
    pub conversions: u64,
    /// Visitors exposed to more than one variant (counted in their first).
    pub multiple_variant_visitors: u64,
    /// The variants: the document's in its order, then others seen, by id.
    pub variants: Vec<VariantResult>,
    /// The sample-ratio check.
    pub sample_ratio: SampleRatio,
    /// What a reader should know about these numbers.
    pub notes: Vec<String>,
}

/// One variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantResult {
    /// Its id (`variation_id`).
    pub variant_id: String,
    /// Whether it is the control.
    pub control: bool,
    /// Its expected share in the sample-ratio check; `null` when left out of it.
    pub weight: Option<f64>,
    /// Exposed visitors (first exposure in this variant).
    pub exposed: u64,
    /// Of them, converted.
    pub conversions: u64,
    /// `conversions / exposed`, 4 places; `null` without visitors.
    pub conversion_rate: Option<f64>,
    /// Over the control; `null` for the control and where a denominator is 0.
    pub lift: Option<Lift>,
}

/// A variant's lift over the control, with 95 % intervals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lift {
    /// Difference of the conversion rates.
    pub absolute: f64,
    /// Its Wald interval.
    pub absolute_ci: [f64; 2],
    /// `rate / control rate - 1`; `null` when the control rate is 0.
    pub relative: Option<f64>,
    /// Its delta-method interval; `null` with `relative`, and when it would collapse to a
    /// point (the variant never converts, or always does as the control).
    pub relative_ci: Option<[f64; 2]>,
    /// Two-sided p-value of the difference; `null` when its standard error is 0.
    pub p_value: Option<f64>,
    /// Whether the absolute interval excludes 0, with a standard error that is not 0: when
    /// every rate is 0 or 1 (1 of 1 converted against 0 of 1) the interval collapses to a
    /// point, which says nothing about significance (and `p_value` is `null`).
    pub significant: bool,
}

/// The sample-ratio-mismatch check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleRatio {
    /// Where the expected split came from: `document`, `equal` or `none`.
    pub expected: &'static str,
    /// Pearson's statistic; `null` when the check cannot run (fewer than two weighted
    /// variants, or nobody exposed).
    pub chi_square: Option<f64>,
    /// Variants in the check - 1.
    pub degrees_of_freedom: Option<u64>,
    /// `P(χ² ≥ chi_square)`.
    pub p_value: Option<f64>,
    /// Whether `p_value` < [`SRM_P_VALUE_THRESHOLD`]: the split is not what was configured,
    /// and the results should not be trusted until the cause is found.
    pub mismatch: bool,
}

/// Per experiment, each visitor's first variant and time.
#[derive(Default)]
struct Exposures<'a> {
    rule_id: Option<&'a str>,
    visitors: HashMap<&'a str, FirstExposure<'a>>,
}

struct FirstExposure<'a> {
    variant: &'a str,
    first_ms: i64,
    several: bool,
}

/// What the document says about one experiment's variants: (id, weight, control).
type DocumentVariants = Vec<(String, f64, bool)>;

/// Builds the report from the rows and the current document (if any).
pub fn build(
    filter: &ExperimentReportFilter,
    rows: &ExperimentRows,
    document: Option<&Rules>,
) -> ExperimentReport {
    let mut experiments: BTreeMap<&str, Exposures<'_>> = BTreeMap::new();
    let mut ignored_exposures = 0;
    for row in &rows.exposures {
        let (Some(experiment), Some(variant)) = (
            row.experiment_id.as_deref().filter(|s| !s.is_empty()),
            row.variation_id.as_deref().filter(|s| !s.is_empty()),
        ) else {
            ignored_exposures += 1;
            continue;
        };
        let entry = experiments.entry(experiment).or_default();
        if entry.rule_id.is_none() {
            entry.rule_id = row.rule_id.as_deref();
        }
        entry
            .visitors
            .entry(&row.anonymous_id)
            .and_modify(|first| first.several |= first.variant != variant)
            .or_insert(FirstExposure {
                variant,
                first_ms: row.timestamp_ms,
                several: false,
            });
    }
    let converted: HashMap<&str, i64> = rows
        .conversions
        .iter()
        .map(|c| (c.anonymous_id.as_str(), c.last_ms))
        .collect();

    let mut holdout = None;
    let mut results = Vec::new();
    // The document's experiments are listed even before anyone saw them (all zeros): an
    // experiment that records no exposures is something to notice, not to leave out.
    let empty = Exposures::default();
    let in_document = document.into_iter().flat_map(|d| {
        d.rules()
            .iter()
            .filter_map(|r| r.experiment().map(|e| e.id()))
    });
    let ids: BTreeSet<&str> = experiments.keys().copied().chain(in_document).collect();
    for id in ids {
        if id == HOLDOUT_EXPERIMENT_ID {
            continue;
        }
        let exposures = experiments.get(id).unwrap_or(&empty);
        let rule = document.and_then(|d| {
            d.rules()
                .iter()
                .find(|r| r.experiment().is_some_and(|e| e.id() == id))
        });
        let variants = rule.and_then(|r| r.experiment()).map(|e| {
            e.variants()
                .iter()
                .map(|v| (v.id().to_owned(), v.weight(), v.is_control()))
                .collect::<DocumentVariants>()
        });
        let rule_id = rule
            .map(|r| r.id().to_owned())
            .or_else(|| exposures.rule_id.map(str::to_owned));
        results.push(result(id, rule_id, variants, exposures, &converted));
    }
    let held = experiments.get(HOLDOUT_EXPERIMENT_ID);
    let document_holdout = document.and_then(Rules::holdout);
    if held.is_some() || document_holdout.is_some() {
        let variants = document_holdout.map(|h| {
            let share = h.percent() / 100.0;
            vec![
                (HOLDOUT_VARIANT_ID.to_owned(), share, true),
                (PERSONALIZED_VARIANT_ID.to_owned(), 1.0 - share, false),
            ]
        });
        let mut section = result(
            HOLDOUT_EXPERIMENT_ID,
            None,
            variants,
            held.unwrap_or(&empty),
            &converted,
        );
        if document_holdout.is_none() {
            section.control = section
                .variants
                .iter_mut()
                .find(|v| v.variant_id == HOLDOUT_VARIANT_ID)
                .map(|v| {
                    v.control = true;
                    v.variant_id.clone()
                });
            recompute_lifts(&mut section);
            section.notes = vec![
                "the current rule document has no holdout: there is no expected split to \
                 check"
                    .to_owned(),
            ];
            section.sample_ratio = SampleRatio::none();
            for v in &mut section.variants {
                v.weight = None;
            }
        }
        holdout = Some(section);
    }
    ExperimentReport {
        site: filter.site.clone(),
        from_ms: filter.from_ms,
        to_ms: filter.to_ms,
        conversion: filter.conversion.clone(),
        revision: document.and_then(|d| d.revision()).map(str::to_owned),
        experiments: results,
        holdout,
        ignored_exposures,
    }
}

impl SampleRatio {
    fn none() -> SampleRatio {
        SampleRatio {
            expected: "none",
            chi_square: None,
            degrees_of_freedom: None,
            p_value: None,
            mismatch: false,
        }
    }
}

fn result(
    id: &str,
    rule_id: Option<String>,
    document: Option<DocumentVariants>,
    exposures: &Exposures<'_>,
    converted: &HashMap<&str, i64>,
) -> ExperimentResult {
    // Visitors and conversions per variant seen.
    let mut seen: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut several = 0;
    for (visitor, first) in &exposures.visitors {
        let counts = seen.entry(first.variant).or_default();
        counts.0 += 1;
        if converted
            .get(visitor)
            .is_some_and(|&last| last >= first.first_ms)
        {
            counts.1 += 1;
        }
        several += u64::from(first.several);
    }
    let in_document = document.is_some();
    let mut notes = Vec::new();
    let mut variants: Vec<VariantResult> = Vec::new();
    for (variant_id, weight, control) in document.iter().flatten() {
        let (exposed, conversions) = seen.remove(variant_id.as_str()).unwrap_or_default();
        variants.push(VariantResult {
            variant_id: variant_id.clone(),
            control: *control,
            weight: (*weight > 0.0).then_some(*weight),
            exposed,
            conversions,
            conversion_rate: rate(conversions, exposed),
            lift: None,
        });
    }
    let unknown: Vec<&str> = seen.keys().copied().collect();
    if in_document && !unknown.is_empty() {
        notes.push(format!(
            "visitors saw variants the current document does not have ({}); they are left \
             out of the sample-ratio check",
            unknown.join(", ")
        ));
    }
    for (variant_id, (exposed, conversions)) in seen {
        variants.push(VariantResult {
            variant_id: variant_id.to_owned(),
            control: false,
            weight: None,
            exposed,
            conversions,
            conversion_rate: rate(conversions, exposed),
            lift: None,
        });
    }
    let expected = if in_document {
        "document"
    } else {
        notes.push(format!(
            "experiment {id} is not in the current rule document: the sample-ratio check \
             assumes equal weights, and the control is the variant named \"control\""
        ));
        let share = 1.0 / variants.len().max(1) as f64;
        for v in &mut variants {
            v.weight = Some(share);
        }
        "equal"
    };
    if !variants.iter().any(|v| v.control) {
        if let Some(v) = variants.iter_mut().find(|v| v.variant_id == "control") {
            v.control = true;
        }
    }
    let control = variants
        .iter()
        .find(|v| v.control)
        .map(|v| v.variant_id.clone());
    if control.is_none() {
        notes.push(
            "no variant is the control (none is marked \"control\": true or named \
             \"control\"): lift cannot be computed"
                .to_owned(),
        );
    }
    let checked: Vec<&VariantResult> = variants.iter().filter(|v| v.weight.is_some()).collect();
    let observed: Vec<u64> = checked.iter().map(|v| v.exposed).collect();
    let weights: Vec<f64> = checked.iter().filter_map(|v| v.weight).collect();
    let sample_ratio = match goodness_of_fit(&observed, &weights) {
        Some(fit) => SampleRatio {
            expected,
            chi_square: Some(round_to(fit.statistic, STAT_DECIMALS)),
            degrees_of_freedom: Some(fit.degrees_of_freedom),
            p_value: Some(round_significant(fit.p_value, P_VALUE_DIGITS)),
            mismatch: fit.p_value < SRM_P_VALUE_THRESHOLD,
        },
        None => SampleRatio {
            expected,
            ..SampleRatio::none()
        },
    };
    for v in &mut variants {
        v.weight = v.weight.map(|w| round_to(w, STAT_DECIMALS));
    }
    let mut out = ExperimentResult {
        experiment_id: id.to_owned(),
        rule_id,
        in_document,
        control,
        visitors: variants.iter().map(|v| v.exposed).sum(),
        conversions: variants.iter().map(|v| v.conversions).sum(),
        multiple_variant_visitors: several,
        variants,
        sample_ratio,
        notes,
    };
    recompute_lifts(&mut out);
    out
}

/// Sets every non-control variant's lift over the control.
fn recompute_lifts(result: &mut ExperimentResult) {
    let control = result
        .variants
        .iter()
        .find(|v| v.control)
        .map(|v| (v.conversions, v.exposed));
    for v in &mut result.variants {
        v.lift = match control {
            Some(c) if !v.control => lift((v.conversions, v.exposed), c).map(|l| Lift {
                absolute: round_to(l.absolute.value, STAT_DECIMALS),
                absolute_ci: [
                    round_to(l.absolute.low, STAT_DECIMALS),
                    round_to(l.absolute.high, STAT_DECIMALS),
                ],
                relative: l.relative.map(|r| round_to(r.value, STAT_DECIMALS)),
                // A collapsed interval (a rate of 0: the delta method's variance is 0)
                // would claim a certainty the data do not give.
                relative_ci: l.relative.filter(|r| r.high > r.low).map(|r| {
                    [
                        round_to(r.low, STAT_DECIMALS),
                        round_to(r.high, STAT_DECIMALS),
                    ]
                }),
                p_value: l.p_value.map(|p| round_significant(p, P_VALUE_DIGITS)),
                significant: l.p_value.is_some() && (l.absolute.low > 0.0 || l.absolute.high < 0.0),
            }),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::rules::parse_rules;

    fn exposure(visitor: &str, ts: i64, experiment: &str, variant: &str) -> ExposureRow {
        ExposureRow {
            anonymous_id: visitor.into(),
            timestamp_ms: ts,
            experiment_id: Some(experiment.into()),
            variation_id: Some(variant.into()),
            rule_id: Some("r".into()),
        }
    }

    fn filter() -> ExperimentReportFilter {
        ExperimentReportFilter {
            site: "s".into(),
            from_ms: None,
            to_ms: None,
            conversion: DEFAULT_CONVERSION_EVENT.into(),
        }
    }

    #[test]
    fn a_visitor_counts_once_in_their_first_variant_and_converts_after_exposure() {
        let rows = ExperimentRows {
            exposures: vec![
                exposure("a", 10, "e", "b"),
                exposure("a", 20, "e", "control"),
                exposure("b", 10, "e", "control"),
                exposure("c", 30, "e", "control"),
                ExposureRow {
                    experiment_id: None,
                    ..exposure("d", 5, "", "")
                },
            ],
            conversions: vec![
                ConversionRow {
                    anonymous_id: "a".into(),
                    last_ms: 10,
                },
                ConversionRow {
                    anonymous_id: "c".into(),
                    last_ms: 29,
                },
            ],
        };
        let report = build(&filter(), &rows, None);
        assert_eq!(report.ignored_exposures, 1);
        let e = &report.experiments[0];
        assert_eq!(e.multiple_variant_visitors, 1);
        assert_eq!(e.control.as_deref(), Some("control"));
        assert!(!e.in_document);
        assert_eq!(e.sample_ratio.expected, "equal");
        let b = e.variants.iter().find(|v| v.variant_id == "b").unwrap();
        assert_eq!((b.exposed, b.conversions), (1, 1));
        let control = e.variants.iter().find(|v| v.control).unwrap();
        assert_eq!(
            (control.exposed, control.conversions),
            (2, 0),
            "c converted before"
        );
        assert!(control.lift.is_none());
        let lift = b.lift.as_ref().unwrap();
        assert_eq!(lift.absolute, 1.0);
        assert_eq!(lift.relative, None, "the control never converts");
        assert_eq!(lift.p_value, None, "both rates are 0 or 1");
        assert_eq!(lift.absolute_ci, [1.0, 1.0], "a collapsed interval");
        assert!(
            !lift.significant,
            "1 of 1 against 0 of 2 is not a significant difference"
        );
    }

    #[test]
    fn the_documents_weights_and_control_are_used() {
        let doc = parse_rules(
            r#"{"holdout":{"percent":20},"rules":[{"id":"r","experiment":{"id":"e","variants":[
                {"id":"a","weight":0.25,"actions":[{"type":"hide","selector":"p"}]},
                {"id":"base","weight":0.75,"control":true}]}},
              {"id":"q","experiment":{"id":"quiet","variants":[
                {"id":"off","control":true},
                {"id":"on","actions":[{"type":"hide","selector":"p"}]}]}}]}"#,
        )
        .unwrap();
        let rows = ExperimentRows {
            exposures: vec![
                exposure("v1", 1, "e", "a"),
                exposure("v2", 1, "e", "base"),
                exposure("v3", 1, "e", "gone"),
            ],
            conversions: vec![],
        };
        let report = build(&filter(), &rows, Some(&doc));
        let ids: Vec<&str> = report
            .experiments
            .iter()
            .map(|e| e.experiment_id.as_str())
            .collect();
        assert_eq!(ids, ["e", "quiet"], "quiet is listed before anyone saw it");
        let quiet = &report.experiments[1];
        assert!(quiet.in_document);
        assert_eq!(quiet.rule_id.as_deref(), Some("q"));
        assert_eq!(quiet.visitors, 0);
        assert_eq!(quiet.control.as_deref(), Some("off"));
        let exposed: Vec<(&str, u64)> = quiet
            .variants
            .iter()
            .map(|v| (v.variant_id.as_str(), v.exposed))
            .collect();
        assert_eq!(exposed, [("off", 0), ("on", 0)]);
        assert_eq!(quiet.sample_ratio.chi_square, None);
        assert!(quiet.variants.iter().all(|v| v.lift.is_none()));
        let e = &report.experiments[0];
        assert_eq!(e.control.as_deref(), Some("base"));
        let ids: Vec<&str> = e.variants.iter().map(|v| v.variant_id.as_str()).collect();
        assert_eq!(ids, ["a", "base", "gone"]);
        assert_eq!(e.variants[0].weight, Some(0.25));
        assert_eq!(e.variants[2].weight, None);
        assert_eq!(e.sample_ratio.degrees_of_freedom, Some(1));
        // (1 - 0.5)²/0.5 + (1 - 1.5)²/1.5 = 0.666667
        assert_eq!(e.sample_ratio.chi_square, Some(0.666667));
        assert!(e.notes[0].contains("gone"), "{:?}", e.notes);
        let holdout = report.holdout.unwrap();
        assert_eq!(holdout.visitors, 0);
        assert_eq!(holdout.variants[0].weight, Some(0.2));
        assert_eq!(holdout.sample_ratio.chi_square, None);
    }
}
