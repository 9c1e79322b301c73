//! The form report: per form and page, over a time window.
//!
//! A *form* is a `(form_id, path)` pair seen in any form event of the site, ever — so a
//! form nobody touched in the window is still listed, with its page views and zero
//! starts (which is worth knowing). The path is `context.page.path`, else the path of the
//! event's URL. Within the window `[from, to)`, bot traffic excluded:
//!
//! - `views`: page events on that path;
//! - `starts`, `submissions`, `abandons`: `Form Started`, `Form Submitted` and
//!   `Form Abandoned` events (each event counts; the tracker sends `Form Started` once per
//!   form per page view);
//! - `start_rate` = starts / views and `completion_rate` = submissions / starts, rounded to
//!   4 decimals, `null` when the denominator is 0 (either may exceed 1: forms submitted by
//!   script without a start, or forms on pages that send no page event);
//! - `median_time_to_complete_ms`: the median `duration_ms` of `Form Submitted` (the mean
//!   of the two middle values for an even count), `null` when there is none;
//! - `abandonment`: `Form Abandoned` by `last_field`, most first, ties by field name;
//! - `errors`: `Form Error` by field (most first, ties by name), each with its kinds, and
//!   the totals by kind.
//!
//! Storage aggregates in SQL and hands over the rows below; [`assemble`] only nests them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{rate, serialize_opt_ms};

/// Which window a form report covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormReportFilter {
    /// The site.
    pub site: String,
    /// Events at or after this time (Unix ms); the beginning when `None`.
    pub from_ms: Option<i64>,
    /// Events before this time (Unix ms); the end when `None`.
    pub to_ms: Option<i64>,
}

/// Counts of one form, from storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormCountsRow {
    /// `properties.form_id`.
    pub form_id: String,
    /// The page path it lives on.
    pub path: Option<String>,
    /// Page views of that path.
    pub views: u64,
    /// `Form Started` events.
    pub starts: u64,
    /// `Form Submitted` events.
    pub submissions: u64,
    /// `Form Abandoned` events.
    pub abandons: u64,
}

/// The median time to complete one form, from storage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormMedianRow {
    /// The form.
    pub form_id: String,
    /// Its path.
    pub path: Option<String>,
    /// Median `duration_ms` of its submissions.
    pub median_ms: f64,
}

/// Abandons of one form at one last field, from storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AbandonRow {
    /// The form.
    pub form_id: String,
    /// Its path.
    pub path: Option<String>,
    /// `last_field`.
    pub field: Option<String>,
    /// How many.
    pub count: u64,
}

/// Errors of one kind on one field of one form, from storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorRow {
    /// The form.
    pub form_id: String,
    /// Its path.
    pub path: Option<String>,
    /// `field`.
    pub field: Option<String>,
    /// `error`: the validity kind (`valueMissing`, `typeMismatch`, …, `aria-invalid`).
    pub kind: Option<String>,
    /// How many.
    pub count: u64,
}

/// The kind reported for a `Form Error` that named none.
pub const UNKNOWN_ERROR_KIND: &str = "unknown";

/// The answer of `GET /v1/reports/forms`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormReport {
    /// The site.
    pub site: String,
    /// The window's start, if any.
    #[serde(serialize_with = "serialize_opt_ms")]
    pub from: Option<i64>,
    /// The window's end, if any.
    #[serde(serialize_with = "serialize_opt_ms")]
    pub to: Option<i64>,
    /// One entry per form and path, by path then form id.
    pub forms: Vec<FormStats>,
}

/// The numbers of one form.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormStats {
    /// The form.
    pub form_id: String,
    /// The page path it lives on.
    pub path: Option<String>,
    /// Page views of that path.
    pub views: u64,
    /// `Form Started` events.
    pub starts: u64,
    /// `Form Submitted` events.
    pub submissions: u64,
    /// `Form Abandoned` events.
    pub abandons: u64,
    /// starts / views.
    pub start_rate: Option<f64>,
    /// submissions / starts.
    pub completion_rate: Option<f64>,
    /// Median `duration_ms` of the submissions.
    pub median_time_to_complete_ms: Option<f64>,
    /// Abandons by the last field touched, most first.
    pub abandonment: Vec<FieldCount>,
    /// Validation errors.
    pub errors: FormErrors,
}

/// A count for one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldCount {
    /// The field's name (`null` when the event named none).
    pub field: Option<String>,
    /// How many.
    pub count: u64,
}

/// The validation errors of one form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FormErrors {
    /// All `Form Error` events.
    pub total: u64,
    /// By field, most first.
    pub by_field: Vec<FieldErrors>,
    /// By kind, over all fields.
    pub by_kind: BTreeMap<String, u64>,
}

/// The errors of one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldErrors {
    /// The field's name (`null` when the event named none).
    pub field: Option<String>,
    /// All its errors.
    pub count: u64,
    /// By kind.
    pub kinds: BTreeMap<String, u64>,
}

type FormKey = (String, Option<String>);

/// Nests storage's rows into the report. `counts` lists every form; rows of the other
/// kinds for forms missing from it are dropped.
pub fn assemble(
    filter: &FormReportFilter,
    counts: Vec<FormCountsRow>,
    medians: Vec<FormMedianRow>,
    abandons: Vec<AbandonRow>,
    errors: Vec<ErrorRow>,
) -> FormReport {
    let mut forms: BTreeMap<FormKey, FormStats> = counts
        .into_iter()
        .map(|c| {
            let stats = FormStats {
                form_id: c.form_id.clone(),
                path: c.path.clone(),
                views: c.views,
                starts: c.starts,
                submissions: c.submissions,
                abandons: c.abandons,
                start_rate: rate(c.starts, c.views),
                completion_rate: rate(c.submissions, c.starts),
                median_time_to_complete_ms: None,
                abandonment: Vec::new(),
                errors: FormErrors::default(),
            };
            ((c.form_id, c.path), stats)
        })
        .collect();
    for m in medians {
        if let Some(stats) = forms.get_mut(&(m.form_id, m.path)) {
            stats.median_time_to_complete_ms = Some(m.median_ms);
        }
    }
    for a in abandons {
        if let Some(stats) = forms.get_mut(&(a.form_id, a.path)) {
            stats.abandonment.push(FieldCount {
                field: a.field,
                count: a.count,
            });
        }
    }
    for e in errors {
        let Some(stats) = forms.get_mut(&(e.form_id, e.path)) else {
            continue;
        };
        let kind = e.kind.unwrap_or_else(|| UNKNOWN_ERROR_KIND.to_owned());
        let errors = &mut stats.errors;
        errors.total += e.count;
        *errors.by_kind.entry(kind.clone()).or_default() += e.count;
        match errors.by_field.iter_mut().find(|f| f.field == e.field) {
            Some(field) => {
                field.count += e.count;
                *field.kinds.entry(kind).or_default() += e.count;
            }
            None => errors.by_field.push(FieldErrors {
                field: e.field,
                count: e.count,
                kinds: BTreeMap::from([(kind, e.count)]),
            }),
        }
    }
    let mut forms: Vec<FormStats> = forms.into_values().collect();
    for stats in &mut forms {
        stats
            .abandonment
            .sort_by(|a, b| by_count(a.count, &a.field, b.count, &b.field));
        stats
            .errors
            .by_field
            .sort_by(|a, b| by_count(a.count, &a.field, b.count, &b.field));
    }
    forms.sort_by(|a, b| (&a.path, &a.form_id).cmp(&(&b.path, &b.form_id)));
    FormReport {
        site: filter.site.clone(),
        from: filter.from_ms,
        to: filter.to_ms,
        forms,
    }
}

/// Most first; ties by field name, unnamed last.
fn by_count(
    a_count: u64,
    a_field: &Option<String>,
    b_count: u64,
    b_field: &Option<String>,
) -> std::cmp::Ordering {
    b_count
        .cmp(&a_count)
        .then_with(|| match (a_field, b_field) {
            (Some(a), Some(b)) => a.cmp(b),
            (a, b) => a.is_none().cmp(&b.is_none()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> FormReportFilter {
        FormReportFilter {
            site: "s".into(),
            ..FormReportFilter::default()
        }
    }

    fn counts(form: &str, views: u64, starts: u64, submissions: u64) -> FormCountsRow {
        FormCountsRow {
            form_id: form.into(),
            path: Some("/p".into()),
            views,
            starts,
            submissions,
            abandons: 0,
        }
    }

    #[test]
    fn rates_are_null_when_nothing_was_viewed_or_started() {
        let report = assemble(
            &filter(),
            vec![
                counts("a", 0, 0, 0),
                counts("b", 4, 0, 1),
                counts("c", 3, 2, 0),
            ],
            vec![],
            vec![],
            vec![],
        );
        let rates: Vec<_> = report
            .forms
            .iter()
            .map(|f| (f.start_rate, f.completion_rate))
            .collect();
        assert_eq!(
            rates,
            [(None, None), (Some(0.0), None), (Some(0.6667), Some(0.0))]
        );
    }

    #[test]
    fn fields_are_ordered_by_count_then_name_with_unnamed_last() {
        let abandon = |field: Option<&str>, count| AbandonRow {
            form_id: "a".into(),
            path: Some("/p".into()),
            field: field.map(Into::into),
            count,
        };
        let report = assemble(
            &filter(),
            vec![counts("a", 1, 1, 0)],
            vec![],
            vec![
                abandon(None, 2),
                abandon(Some("phone"), 1),
                abandon(Some("email"), 2),
                abandon(Some("company"), 2),
            ],
            vec![],
        );
        let fields: Vec<_> = report.forms[0]
            .abandonment
            .iter()
            .map(|f| (f.field.as_deref(), f.count))
            .collect();
        assert_eq!(
            fields,
            [
                (Some("company"), 2),
                (Some("email"), 2),
                (None, 2),
                (Some("phone"), 1)
            ]
        );
    }

    #[test]
    fn errors_are_summed_by_field_and_by_kind() {
        let error = |field: &str, kind: Option<&str>, count| ErrorRow {
            form_id: "a".into(),
            path: Some("/p".into()),
            field: Some(field.into()),
            kind: kind.map(Into::into),
            count,
        };
        let report = assemble(
            &filter(),
            vec![counts("a", 1, 1, 0)],
            vec![],
            vec![],
            vec![
                error("email", Some("typeMismatch"), 2),
                error("name", Some("valueMissing"), 1),
                error("email", Some("valueMissing"), 1),
                error("name", None, 1),
            ],
        );
        let errors = &report.forms[0].errors;
        assert_eq!(errors.total, 5);
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            serde_json::json!({
                "total": 5,
                "by_field": [
                    {"field": "email", "count": 3, "kinds": {"typeMismatch": 2, "valueMissing": 1}},
                    {"field": "name", "count": 2, "kinds": {"unknown": 1, "valueMissing": 1}}
                ],
                "by_kind": {"typeMismatch": 2, "unknown": 1, "valueMissing": 2}
            })
        );
    }
}
