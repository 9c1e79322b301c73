//! Profiles in SQLite, on the storage's own profiles connection: the definitions
//! (`profile_definitions`, migration 6, one row per site) and a visitor's history for its
//! profile.
//!
//! A tracker id's history (UUIDv7) is one statement, every step through an index: the
//! user ids of the visitor's latest events (`events_visitor`), the other anonymous ids that
//! identified with them (`events_identify_users`, the latest [`MAX_LINKED_ANONYMOUS_IDS`]),
//! the latest events of all of them (chosen on `events_visitor` alone, which covers the
//! sort), then those rows by rowid. `INDEXED BY` pins each step: without table
//! statistics SQLite would rather walk `events_site_time` to avoid a sort, which reads the
//! whole site. Any other id is read alone by the preview's walk, on the reader connection
//! (admin requests only).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::experiments::{history_columns, history_row};
use crate::profiles::{
    NewProfileDefinitions, ProfileHistory, StoredProfileDefinitions, MAX_LINKED_ANONYMOUS_IDS,
};
use crate::rules::versions::document_sha256;
use crate::storage::StorageError;

/// The latest `?3` events of anonymous id `?2` and of the (at most `?4`) anonymous ids that
/// identified with one of the user ids of its latest `?3` events, newest first. The latest
/// events are chosen on the covering index alone (no row is read for an event that does
/// not make the cut), then read by rowid.
pub(super) const LINKED_HISTORY: &str = concat!(
    "WITH linked(anonymous_id) AS (
        SELECT ?2
        UNION
        SELECT anonymous_id FROM (
            SELECT anonymous_id, MAX(timestamp_ms) AS last
            FROM events INDEXED BY events_identify_users
            WHERE site = ?1 AND type = 'identify' AND anonymous_id GLOB ",
    tracker_id_glob!(),
    "
              AND user_id IN (
                  SELECT user_id FROM (
                      SELECT user_id FROM events INDEXED BY events_visitor
                      WHERE site = ?1 AND anonymous_id = ?2 AND anonymous_id GLOB ",
    tracker_id_glob!(),
    "
                      ORDER BY timestamp_ms DESC LIMIT ?3)
                  WHERE user_id IS NOT NULL)
            GROUP BY anonymous_id
            ORDER BY last DESC
            LIMIT ?4)
    ),
    latest(id) AS (
        SELECT id FROM events INDEXED BY events_visitor
        WHERE site = ?1 AND anonymous_id IN (SELECT anonymous_id FROM linked)
          AND anonymous_id GLOB ",
    tracker_id_glob!(),
    "
        ORDER BY timestamp_ms DESC, id DESC
        LIMIT ?3
    )
    SELECT ",
    history_columns!(),
    " FROM events
    WHERE id IN (SELECT id FROM latest)
    ORDER BY timestamp_ms DESC, id DESC"
);

const COLUMNS: &str =
    "version, document, sha256, size_bytes, segment_count, points_count, updated_at_ms";

fn stored(row: &Row<'_>) -> rusqlite::Result<StoredProfileDefinitions> {
    Ok(StoredProfileDefinitions {
        version: unsigned(row.get(0)?),
        document: row.get(1)?,
        sha256: row.get(2)?,
        size_bytes: unsigned(row.get(3)?),
        segments: unsigned(row.get(4)?),
        points: unsigned(row.get(5)?),
        updated_at_ms: row.get(6)?,
    })
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Stores `new` as `site`'s definitions, one version after the ones it replaces.
pub(super) fn save(
    conn: &mut Connection,
    site: &str,
    new: &NewProfileDefinitions,
) -> Result<StoredProfileDefinitions, StorageError> {
    let sha256 = document_sha256(&new.document);
    // The first save builds the per-visitor index; on a large database that takes a while,
    // during which ingest waits for the write lock (and the tracker retries what times out).
    conn.execute_batch(super::VISITOR_INDEX)?;
    let sql = format!(
        "INSERT INTO profile_definitions
             (site, version, document, sha256, size_bytes, segment_count, points_count,
              updated_at_ms)
         VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (site) DO UPDATE SET
             version = version + 1, document = excluded.document, sha256 = excluded.sha256,
             size_bytes = excluded.size_bytes, segment_count = excluded.segment_count,
             points_count = excluded.points_count, updated_at_ms = excluded.updated_at_ms
         RETURNING {COLUMNS}"
    );
    Ok(conn.query_row(
        &sql,
        params![
            site,
            new.document,
            sha256,
            signed(new.document.len() as u64),
            signed(new.segments),
            signed(new.points),
            new.updated_at_ms
        ],
        stored,
    )?)
}

/// `site`'s definitions, if any.
pub(super) fn get(
    conn: &Connection,
    site: &str,
) -> rusqlite::Result<Option<StoredProfileDefinitions>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM profile_definitions WHERE site = ?1"
    ))?
    .query_row(params![site], stored)
    .optional()
}

/// Deletes `site`'s definitions; whether there were any.
pub(super) fn delete(conn: &Connection, site: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM profile_definitions WHERE site = ?1",
        params![site],
    )? > 0)
}

/// A tracker id's history for its profile (One-ID), oldest first.
pub(super) fn linked_history(
    conn: &Connection,
    site: &str,
    anonymous_id: &str,
    limit: usize,
) -> rusqlite::Result<ProfileHistory> {
    if !super::has_visitor_index(conn)? {
        // Normally built by the first save of definitions; a history read before that builds it.
        conn.execute_batch(super::VISITOR_INDEX)?;
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let linked = i64::try_from(MAX_LINKED_ANONYMOUS_IDS).unwrap_or(i64::MAX);
    let mut rows = super::rows(
        conn,
        LINKED_HISTORY,
        params![site, anonymous_id, limit, linked],
        history_row,
    )?;
    rows.reverse();
    Ok(ProfileHistory { rows, linked: true })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use rusqlite::Connection;
    use serde_json::json;

    use super::*;
    use crate::config::Durability;
    use crate::profiles::is_tracker_id;
    use crate::storage::sqlite::{migrate, query_plan, SqliteStorage};
    use crate::storage::Storage;

    const A: &str = "0192f3a4-0000-7000-8000-00000000000a";
    const B: &str = "0192f3a4-0000-7000-8000-00000000000b";
    const C: &str = "0192f3a4-0000-7000-8000-00000000000c";

    fn open(path: &Path) -> SqliteStorage {
        SqliteStorage::open(path, Durability::Full, Arc::default()).unwrap()
    }

    fn new(document: &str) -> NewProfileDefinitions {
        NewProfileDefinitions {
            document: document.into(),
            segments: 1,
            points: 0,
            updated_at_ms: 1_795_341_600_000,
        }
    }

    #[test]
    fn every_step_of_a_linked_history_uses_an_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        save(&mut conn, "demo", &new(r#"{"segments":[]}"#)).unwrap();
        let plan = query_plan(&conn, LINKED_HISTORY);
        assert!(!plan.contains("SCAN events"), "{plan}");
        assert_eq!(plan.matches("events_visitor").count(), 2, "{plan}");
        assert!(plan.contains("COVERING INDEX events_visitor"), "{plan}");
        assert!(plan.contains("events_identify_users"), "{plan}");
        assert!(plan.contains("INTEGER PRIMARY KEY"), "{plan}");
    }

    #[test]
    fn the_glob_of_the_index_is_the_tracker_id_check() {
        let conn = Connection::open_in_memory().unwrap();
        for id in [
            A,
            "0192F3A4-0000-7000-8000-00000000000A",
            "0192f3a4-0000-4000-8000-00000000000a",
            "cl-0123456789abcdef0123456789abcdef",
            "x",
        ] {
            let globbed: bool = conn
                .query_row(concat!("SELECT ?1 GLOB ", tracker_id_glob!()), [id], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(globbed, is_tracker_id(id), "{id}");
        }
    }

    #[tokio::test]
    async fn definitions_are_replaced_and_counted_per_site() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(&dir.path().join("orbit.db"));
        assert_eq!(storage.profile_definitions("s").await.unwrap(), None);
        let one = storage
            .save_profile_definitions("s", new("{\"segments\":[]}"))
            .await
            .unwrap();
        assert_eq!((one.version, one.size_bytes), (1, 15));
        let two = storage
            .save_profile_definitions("s", new("{\"segments\":[1]}"))
            .await
            .unwrap();
        assert_eq!(two.version, 2);
        assert_ne!(two.sha256, one.sha256);
        assert_ne!(two.etag("s"), one.etag("s"));
        let other = storage
            .save_profile_definitions("t", new("{\"segments\":[]}"))
            .await
            .unwrap();
        assert_eq!(other.version, 1);
        assert_eq!(storage.profile_definitions("s").await.unwrap(), Some(two));
        assert!(storage.delete_profile_definitions("s").await.unwrap());
        assert!(!storage.delete_profile_definitions("s").await.unwrap());
        assert_eq!(storage.profile_definitions("s").await.unwrap(), None);
        assert!(storage.profile_definitions("t").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_history_follows_user_ids_to_the_other_tracker_ids() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(&dir.path().join("orbit.db"));
        let at = |minute: u32| format!("2026-11-22T09:{minute:02}:00Z");
        let batch = json!([
            // B browsed before identifying as u1 on its own device.
            {"type": "page", "messageId": "b1", "anonymousId": B, "timestamp": at(1)},
            {"type": "identify", "messageId": "b2", "anonymousId": B, "userId": "u1", "timestamp": at(2)},
            // A identified as u1 later; C is someone else; D is not a tracker id.
            {"type": "page", "messageId": "a1", "anonymousId": A, "timestamp": at(3)},
            {"type": "identify", "messageId": "a2", "anonymousId": A, "userId": "u1", "timestamp": at(4)},
            {"type": "track", "event": "Clicked", "messageId": "a3", "anonymousId": A, "userId": "u1", "timestamp": at(5)},
            {"type": "identify", "messageId": "c1", "anonymousId": C, "userId": "u2", "timestamp": at(6)},
            {"type": "identify", "messageId": "d1", "anonymousId": "segment-d", "userId": "u1", "timestamp": at(7)},
        ]);
        assert_eq!(
            storage
                .insert("s", super::super::tests::parsed(batch))
                .await
                .unwrap()
                .accepted,
            7
        );
        let history = storage.profile_history("s", A, 100).await.unwrap();
        assert!(history.linked);
        let ids: Vec<&str> = history
            .rows
            .iter()
            .filter_map(|r| r.message_id.as_deref())
            .collect();
        assert_eq!(
            ids,
            ["b1", "b2", "a1", "a2", "a3"],
            "oldest first, C and D left out"
        );
        assert_eq!(history.anonymous_ids(A), [A, B]);
        let latest = storage.profile_history("s", A, 2).await.unwrap();
        let ids: Vec<&str> = latest
            .rows
            .iter()
            .filter_map(|r| r.message_id.as_deref())
            .collect();
        assert_eq!(ids, ["a2", "a3"], "the limit keeps the latest");

        let alone = storage.profile_history("s", C, 100).await.unwrap();
        assert_eq!(alone.rows.len(), 1);
        let other = storage
            .profile_history("s", "segment-d", 100)
            .await
            .unwrap();
        assert!(!other.linked);
        assert_eq!(other.rows.len(), 1);
        assert!(storage
            .profile_history("s", "nobody", 100)
            .await
            .unwrap()
            .rows
            .is_empty());
        assert!(
            storage
                .profile_history("t", A, 100)
                .await
                .unwrap()
                .rows
                .is_empty(),
            "per site"
        );
    }
}
