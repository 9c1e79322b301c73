//! The experiment report's SQL and a visitor's history for previews, on the reader
//! connection.
//!
//! Exposures come through the `events_experiments` partial index of migration 5 (only
//! `Experiment Viewed` rows, keyed by time, so other events pay nothing for it).
//! Conversions are one range scan of the window (`events_site_time`), limited to exposed
//! visitors and grouped to each one's latest conversion. A visitor's history reads the
//! tracker's anonymous ids (UUIDv7) through the `events_visitor` partial index of
//! migration 6; any other id (a Segment library's, a cookieless `cl-` id) has no index to
//! use (a random key costs every insert), so its history walks the site's events from the
//! newest back until it has enough: fine for an admin's preview, never done for a public
//! request.

use rusqlite::{params, Connection};

use crate::profiles::is_tracker_id;
use crate::reports::experiments::{
    ConversionRow, ExperimentReportFilter, ExperimentRows, ExposureRow,
};
use crate::rules::visitor::VisitorEventRow;

/// The human `Experiment Viewed` events of site `?1` in `[?2, ?3)`. The `type` and `event`
/// terms repeat the WHERE of the partial index, which SQLite needs before it uses it.
macro_rules! exposures_in_window {
    () => {
        "site = ?1 AND type = 'track' AND event = 'Experiment Viewed'
         AND timestamp_ms >= ?2 AND timestamp_ms < ?3 AND is_bot = 0
         AND anonymous_id IS NOT NULL"
    };
}

/// Exposures in time order.
pub(super) const EXPOSURES: &str = concat!(
    "SELECT anonymous_id, timestamp_ms,
            CAST(json_extract(body, '$.properties.experiment_id') AS TEXT),
            CAST(json_extract(body, '$.properties.variation_id') AS TEXT),
            CAST(json_extract(body, '$.properties.rule_id') AS TEXT)
     FROM events
     WHERE ",
    exposures_in_window!(),
    " ORDER BY timestamp_ms, id"
);

/// Each exposed visitor's latest conversion (`?4`) in the window.
pub(super) const CONVERSIONS: &str = concat!(
    "SELECT anonymous_id, MAX(timestamp_ms)
     FROM events
     WHERE site = ?1 AND type = 'track' AND event = ?4
       AND timestamp_ms >= ?2 AND timestamp_ms < ?3 AND is_bot = 0
       AND anonymous_id IN (SELECT anonymous_id FROM events WHERE ",
    exposures_in_window!(),
    ")
     GROUP BY anonymous_id"
);

/// The columns [`history_row`] reads, in its order.
macro_rules! history_columns {
    () => {
        "message_id, anonymous_id, type, event, session_id, user_id, timestamp_ms, url, referrer,
           CAST(json_extract(body, '$.context.userAgent') AS TEXT),
           CAST(json_extract(body, '$.context.locale') AS TEXT),
           CASE json_type(body, '$.context.campaign')
                WHEN 'object' THEN json_extract(body, '$.context.campaign') END,
           CAST(json_extract(body, '$.properties.form_id') AS TEXT),
           CASE json_type(body, '$.traits') WHEN 'object' THEN json_extract(body, '$.traits') END,
           CAST(json_extract(body, '$.properties.experiment_id') AS TEXT),
           CAST(json_extract(body, '$.properties.variation_id') AS TEXT)"
    };
}
pub(super) use history_columns;

/// The latest `?3` events of anonymous id `?2`, newest first: a walk of the site's events.
pub(super) const HISTORY: &str = concat!(
    "SELECT ",
    history_columns!(),
    " FROM events
    WHERE site = ?1 AND anonymous_id = ?2
    ORDER BY timestamp_ms DESC, id DESC
    LIMIT ?3"
);

/// [`HISTORY`] for a tracker id (UUIDv7), through `events_visitor`: the GLOB term repeats
/// the partial index's WHERE, which SQLite needs before it uses the index.
pub(super) const HISTORY_INDEXED: &str = concat!(
    "SELECT ",
    history_columns!(),
    " FROM events INDEXED BY events_visitor
    WHERE site = ?1 AND anonymous_id = ?2 AND anonymous_id GLOB ",
    tracker_id_glob!(),
    " ORDER BY timestamp_ms DESC, id DESC
    LIMIT ?3"
);

/// One row of [`history_columns`].
pub(super) fn history_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<VisitorEventRow> {
    Ok(VisitorEventRow {
        message_id: row.get(0)?,
        anonymous_id: row.get(1)?,
        kind: row.get(2)?,
        event: row.get(3)?,
        session_id: row.get(4)?,
        user_id: row.get(5)?,
        timestamp_ms: row.get(6)?,
        url: row.get(7)?,
        referrer: row.get(8)?,
        user_agent: row.get(9)?,
        locale: row.get(10)?,
        campaign: row.get(11)?,
        form_id: row.get(12)?,
        traits: row.get(13)?,
        experiment_id: row.get(14)?,
        variation_id: row.get(15)?,
    })
}

/// The rows of the experiment report, in one read transaction.
pub(super) fn experiment_rows(
    conn: &Connection,
    filter: &ExperimentReportFilter,
) -> rusqlite::Result<ExperimentRows> {
    let from = filter.from_ms.unwrap_or(i64::MIN);
    let to = filter.to_ms.unwrap_or(i64::MAX);
    let tx = conn.unchecked_transaction()?;
    let exposures = super::rows(&tx, EXPOSURES, params![filter.site, from, to], |row| {
        Ok(ExposureRow {
            anonymous_id: row.get(0)?,
            timestamp_ms: row.get(1)?,
            experiment_id: row.get(2)?,
            variation_id: row.get(3)?,
            rule_id: row.get(4)?,
        })
    })?;
    let conversions = super::rows(
        &tx,
        CONVERSIONS,
        params![filter.site, from, to, filter.conversion],
        |row| {
            Ok(ConversionRow {
                anonymous_id: row.get(0)?,
                last_ms: row.get(1)?,
            })
        },
    )?;
    Ok(ExperimentRows {
        exposures,
        conversions,
    })
}

/// The latest `limit` events of a visitor, oldest first.
pub(super) fn visitor_history(
    conn: &Connection,
    site: &str,
    anonymous_id: &str,
    limit: usize,
) -> rusqlite::Result<Vec<VisitorEventRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = if is_tracker_id(anonymous_id) && super::has_visitor_index(conn)? {
        HISTORY_INDEXED
    } else {
        HISTORY
    };
    let mut rows = super::rows(conn, sql, params![site, anonymous_id, limit], history_row)?;
    rows.reverse();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::query_plan as plan;

    #[test]
    fn exposures_are_read_through_their_partial_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut conn).unwrap();
        let exposures = plan(&conn, EXPOSURES);
        assert!(exposures.contains("events_experiments"), "{exposures}");
        let conversions = plan(&conn, CONVERSIONS);
        assert!(conversions.contains("events_experiments"), "{conversions}");
        assert!(conversions.contains("events_site_time"), "{conversions}");
    }

    #[test]
    fn a_tracker_ids_history_is_read_through_its_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut conn).unwrap();
        assert!(!super::super::has_visitor_index(&conn).unwrap());
        conn.execute_batch(super::super::VISITOR_INDEX).unwrap();
        assert!(super::super::has_visitor_index(&conn).unwrap());
        let indexed = plan(&conn, HISTORY_INDEXED);
        assert!(indexed.contains("events_visitor"), "{indexed}");
        assert!(!indexed.contains("SCAN"), "{indexed}");
    }
}
