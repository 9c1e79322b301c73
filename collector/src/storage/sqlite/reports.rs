//! The reports' SQL: leads and the form report, read on the reader connection inside one
//! read transaction (one consistent snapshot), aggregated by SQLite and put together by
//! [`crate::reports`].
//!
//! The events table has no index on `anonymous_id` (a random key costs every insert). The
//! reports instead reach the rare rows they need through the partial indexes of migration
//! 4 — identify events and form events, keyed by time — and read page views through
//! `events_site_time`. The one full pass is a lead's history (first and last seen,
//! first-touch campaign, landing page): one scan of the site's column data (no JSON) for
//! the selected leads' ids, made only when `/v1/leads` is asked.

use rusqlite::functions::FunctionFlags;
use rusqlite::{params, Connection, Row};

use crate::reports::forms::{
    assemble, AbandonRow, ErrorRow, FormCountsRow, FormMedianRow, FormReport, FormReportFilter,
};
use crate::reports::leads::{
    Campaign, HistoryRow, IdentifyRow, LeadFilter, LeadList, LeadsBuilder, SubmissionRow,
};
use crate::reports::url_path;

/// Registers `orbit_url_path(url)` (see [`url_path`]) on a connection that runs reports.
pub(super) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "orbit_url_path",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let url = ctx.get_raw(0).as_str().ok();
            Ok(url.and_then(url_path).map(str::to_owned))
        },
    )
}

/// The page path of a track event: what the tracker sends, else the path of its URL.
macro_rules! track_path {
    () => {
        "COALESCE(json_extract(body, '$.context.page.path'), orbit_url_path(url))"
    };
}

/// `properties.form_id` as text.
macro_rules! form_id {
    () => {
        "CAST(json_extract(body, '$.properties.form_id') AS TEXT)"
    };
}

/// Whether a `Form Submitted` is of a form whose `Form Abandoned` was already sent (the tab
/// was hidden, and the visitor came back): that abandon did not happen. Never NULL (a NULL
/// would make a form's `SUM` NULL when all its events are submissions).
macro_rules! resumed {
    () => {
        "(event = 'Form Submitted'
          AND IFNULL(json_type(body, '$.properties.abandoned_field') = 'text', 0))"
    };
}

/// The human form events of site `?1`. The `type` and `GLOB` terms repeat the WHERE of the
/// `events_forms` partial index, which SQLite needs to see before it uses the index.
macro_rules! form_events {
    () => {
        "site = ?1 AND type = 'track' AND event GLOB 'Form *' AND is_bot = 0"
    };
}

/// A site's identify events, oldest first.
const IDENTIFIES: &str = "
    SELECT id, anonymous_id, user_id, timestamp_ms,
           CAST(json_extract(body, '$.context.form_id') AS TEXT),
           json_extract(body, '$.traits')
    FROM events
    WHERE site = ?1 AND type = 'identify'
    ORDER BY timestamp_ms, id";

/// A site's form submissions.
const SUBMISSIONS: &str = concat!(
    "SELECT anonymous_id, user_id, timestamp_ms, ",
    form_id!(),
    ", IFNULL(json_type(body, '$.properties.lead') = 'true', 0)
    FROM events
    WHERE site = ?1 AND type = 'track' AND event GLOB 'Form *' AND event = 'Form Submitted'"
);

/// Every event of the anonymous ids in the JSON array `?2` or the user ids in `?3`.
const HISTORY: &str = "
    SELECT id, anonymous_id, user_id, timestamp_ms, type = 'page', url,
           campaign_source, campaign_medium, campaign_name
    FROM events
    WHERE site = ?1
      AND (anonymous_id IN (SELECT value FROM json_each(?2))
           OR user_id IN (SELECT value FROM json_each(?3)))";

/// Every form the site ever sent an event of, with its counts in the window `[?2, ?3)`
/// and the page views of its path.
const FORM_COUNTS: &str = concat!(
    "WITH form_events AS (
        SELECT event, timestamp_ms AS ts, ",
    form_id!(),
    " AS form_id, ",
    track_path!(),
    " AS path, ",
    resumed!(),
    " AS resumed
        FROM events
        WHERE ",
    form_events!(),
    "),
    forms AS (
        SELECT form_id, path,
               SUM(event = 'Form Started' AND ts >= ?2 AND ts < ?3) AS starts,
               SUM(event = 'Form Submitted' AND ts >= ?2 AND ts < ?3) AS submissions,
               MAX(0, SUM(event = 'Form Abandoned' AND ts >= ?2 AND ts < ?3)
                      - SUM(resumed AND ts >= ?2 AND ts < ?3)) AS abandons
        FROM form_events
        WHERE form_id IS NOT NULL AND form_id != ''
        GROUP BY form_id, path
    ),
    views AS (
        SELECT path, COUNT(*) AS views
        FROM (SELECT COALESCE(json_extract(body, '$.context.page.path'),
                              json_extract(body, '$.properties.path'),
                              orbit_url_path(url)) AS path
              FROM events
              WHERE site = ?1 AND timestamp_ms >= ?2 AND timestamp_ms < ?3
                AND type = 'page' AND is_bot = 0)
        WHERE path IN (SELECT path FROM forms)
        GROUP BY path
    )
    SELECT f.form_id, f.path, IFNULL(v.views, 0), f.starts, f.submissions, f.abandons
    FROM forms f LEFT JOIN views v ON v.path = f.path"
);

/// The median `duration_ms` of each form's submissions in the window: the middle row, or
/// the mean of the two middle rows, of the durations in order.
const FORM_MEDIANS: &str = concat!(
    "SELECT form_id, path, AVG(d)
    FROM (SELECT form_id, path, d,
                 ROW_NUMBER() OVER (PARTITION BY form_id, path ORDER BY d) AS rn,
                 COUNT(*) OVER (PARTITION BY form_id, path) AS n
          FROM (SELECT ",
    form_id!(),
    " AS form_id, ",
    track_path!(),
    " AS path,
                       json_extract(body, '$.properties.duration_ms') AS d
                FROM events
                WHERE ",
    form_events!(),
    " AND event = 'Form Submitted'
                  AND timestamp_ms >= ?2 AND timestamp_ms < ?3
                  AND json_type(body, '$.properties.duration_ms') IN ('integer', 'real'))
          WHERE form_id IS NOT NULL AND form_id != '' AND d >= 0)
    WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
    GROUP BY form_id, path"
);

/// Abandons in the window by form and last field touched, less those the visitor came back
/// to and submitted (each such submission names the field its abandon gave).
const FORM_ABANDONS: &str = concat!(
    "SELECT form_id, path, field, SUM(w)
    FROM (SELECT ",
    form_id!(),
    " AS form_id, ",
    track_path!(),
    " AS path,
                 CAST(json_extract(body, CASE event WHEN 'Form Abandoned'
                      THEN '$.properties.last_field' ELSE '$.properties.abandoned_field' END)
                      AS TEXT) AS field,
                 CASE event WHEN 'Form Abandoned' THEN 1 ELSE -1 END AS w
          FROM events
          WHERE ",
    form_events!(),
    " AND (event = 'Form Abandoned' OR (event = 'Form Submitted' AND ",
    resumed!(),
    "))
            AND timestamp_ms >= ?2 AND timestamp_ms < ?3)
    WHERE form_id IS NOT NULL AND form_id != ''
    GROUP BY form_id, path, field
    HAVING SUM(w) > 0"
);

/// Validation errors in the window by form, field and kind.
const FORM_ERRORS: &str = concat!(
    "SELECT form_id, path, field, kind, COUNT(*)
    FROM (SELECT ",
    form_id!(),
    " AS form_id, ",
    track_path!(),
    " AS path,
                 CAST(json_extract(body, '$.properties.field') AS TEXT) AS field,
                 CAST(json_extract(body, '$.properties.error') AS TEXT) AS kind
          FROM events
          WHERE ",
    form_events!(),
    " AND event = 'Form Error'
            AND timestamp_ms >= ?2 AND timestamp_ms < ?3)
    WHERE form_id IS NOT NULL AND form_id != ''
    GROUP BY form_id, path, field, kind"
);

/// A count column (SQLite integers are signed; counts never are).
fn count(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(index)?).unwrap_or(0))
}

/// The leads `filter` asks for.
pub(super) fn leads(conn: &Connection, filter: &LeadFilter) -> rusqlite::Result<LeadList> {
    let tx = conn.unchecked_transaction()?;
    let identifies = super::rows(&tx, IDENTIFIES, params![filter.site], |row| {
        Ok(IdentifyRow {
            id: row.get(0)?,
            anonymous_id: row.get(1)?,
            user_id: row.get(2)?,
            timestamp_ms: row.get(3)?,
            form_id: row.get(4)?,
            traits: row.get(5)?,
        })
    })?;
    let mut builder = LeadsBuilder::new(identifies);
    {
        let mut submissions = tx.prepare_cached(SUBMISSIONS)?;
        let mut rows = submissions.query(params![filter.site])?;
        while let Some(row) = rows.next()? {
            builder.add_submission(&SubmissionRow {
                anonymous_id: row.get(0)?,
                user_id: row.get(1)?,
                timestamp_ms: row.get(2)?,
                form_id: row.get(3)?,
                lead: row.get(4)?,
            });
        }
    }
    let mut selection = builder.select(filter);
    if !selection.is_empty() {
        let anonymous_ids = serde_json::to_string(&selection.anonymous_ids())
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let user_ids = serde_json::to_string(&selection.user_ids())
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let mut history = tx.prepare_cached(HISTORY)?;
        let mut rows = history.query(params![filter.site, anonymous_ids, user_ids])?;
        while let Some(row) = rows.next()? {
            selection.add_history(&HistoryRow {
                id: row.get(0)?,
                anonymous_id: row.get(1)?,
                user_id: row.get(2)?,
                timestamp_ms: row.get(3)?,
                is_page: row.get(4)?,
                url: row.get(5)?,
                campaign: Campaign {
                    source: row.get(6)?,
                    medium: row.get(7)?,
                    name: row.get(8)?,
                },
            });
        }
    }
    Ok(selection.finish())
}

/// The form report `filter` asks for.
pub(super) fn form_report(
    conn: &Connection,
    filter: &FormReportFilter,
) -> rusqlite::Result<FormReport> {
    let from = filter.from_ms.unwrap_or(i64::MIN);
    let to = filter.to_ms.unwrap_or(i64::MAX);
    let window = params![filter.site, from, to];
    let tx = conn.unchecked_transaction()?;
    let counts = super::rows(&tx, FORM_COUNTS, window, |row| {
        Ok(FormCountsRow {
            form_id: row.get(0)?,
            path: row.get(1)?,
            views: count(row, 2)?,
            starts: count(row, 3)?,
            submissions: count(row, 4)?,
            abandons: count(row, 5)?,
        })
    })?;
    let medians = super::rows(&tx, FORM_MEDIANS, window, |row| {
        Ok(FormMedianRow {
            form_id: row.get(0)?,
            path: row.get(1)?,
            median_ms: row.get(2)?,
        })
    })?;
    let abandons = super::rows(&tx, FORM_ABANDONS, window, |row| {
        Ok(AbandonRow {
            form_id: row.get(0)?,
            path: row.get(1)?,
            field: row.get(2)?,
            count: count(row, 3)?,
        })
    })?;
    let errors = super::rows(&tx, FORM_ERRORS, window, |row| {
        Ok(ErrorRow {
            form_id: row.get(0)?,
            path: row.get(1)?,
            field: row.get(2)?,
            kind: row.get(3)?,
            count: count(row, 4)?,
        })
    })?;
    Ok(assemble(filter, counts, medians, abandons, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::query_plan as plan;

    fn migrated() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut conn).unwrap();
        register_functions(&conn).unwrap();
        conn
    }

    #[test]
    fn reports_read_rare_rows_through_the_partial_indexes() {
        let conn = migrated();
        assert!(plan(&conn, IDENTIFIES).contains("events_identifies"));
        assert!(plan(&conn, SUBMISSIONS).contains("events_forms"));
        let counts = plan(&conn, FORM_COUNTS);
        assert!(counts.contains("events_forms"), "{counts}");
        assert!(counts.contains("events_site_time"), "{counts}");
        for sql in [FORM_MEDIANS, FORM_ABANDONS, FORM_ERRORS] {
            assert!(plan(&conn, sql).contains("events_forms"), "{sql}");
        }
    }

    #[test]
    fn the_url_path_function_reads_text_and_ignores_the_rest() {
        let conn = migrated();
        let path = |value: rusqlite::types::Value| -> Option<String> {
            conn.query_row("SELECT orbit_url_path(?1)", [value], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            path("https://x.com/a?b".to_owned().into()).as_deref(),
            Some("/a")
        );
        assert_eq!(path(rusqlite::types::Value::Null), None);
        assert_eq!(path(7i64.into()), None);
    }
}
