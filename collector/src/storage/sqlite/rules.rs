//! Rule document versions in SQLite (`rules_versions`, migration 5), on the storage's
//! own rules connection: short statements only, so the public `rules.json` never waits
//! behind a report on the reader, and writes commit in their own `BEGIN IMMEDIATE`
//! transaction (numbering stays gapless and unique with several writers) with the
//! configured `synchronous` mode, so a version is durable before it is acknowledged.
//!
//! The current version of a site is its highest (see [`crate::rules::versions`]).

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::rules::versions::{
    document_sha256, etag, NewRulesVersion, Rollback, RulesVersionInfo, StoredRules, VersionNote,
};
use crate::rules::with_revision;
use crate::storage::StorageError;

/// The columns [`info`] reads, in its order; `?1` is the site.
const INFO_COLUMNS: &str = "version, created_at_ms, size_bytes, rule_count, author, comment,
     restored_from, sha256,
     version = (SELECT MAX(version) FROM rules_versions WHERE site = ?1)";

fn info(site: &str, row: &Row<'_>) -> rusqlite::Result<RulesVersionInfo> {
    let version = unsigned(row.get(0)?);
    let sha256: String = row.get(7)?;
    Ok(RulesVersionInfo {
        version,
        created_at_ms: row.get(1)?,
        size_bytes: unsigned(row.get(2)?),
        rules: unsigned(row.get(3)?),
        author: row.get(4)?,
        comment: row.get(5)?,
        restored_from: row.get::<_, Option<i64>>(6)?.map(unsigned),
        etag: etag(site, version, &sha256),
        current: row.get(8)?,
    })
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Inserts the next version of `site` with `document` (its revision set here) in one
/// immediate transaction.
fn insert_next(
    conn: &mut Connection,
    site: &str,
    document: &str,
    rule_count: u64,
    created_at_ms: i64,
    note: &VersionNote,
    restored_from: Option<u64>,
) -> Result<Option<RulesVersionInfo>, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let source = match restored_from {
        None => Some((document.to_owned(), rule_count)),
        Some(from) => tx
            .query_row(
                "SELECT document, rule_count FROM rules_versions WHERE site = ?1 AND version = ?2",
                params![site, signed(from)],
                |row| Ok((row.get::<_, String>(0)?, unsigned(row.get(1)?))),
            )
            .optional()?,
    };
    let Some((document, rule_count)) = source else {
        return Ok(None);
    };
    let version: i64 = tx.query_row(
        "SELECT IFNULL(MAX(version), 0) + 1 FROM rules_versions WHERE site = ?1",
        params![site],
        |row| row.get(0),
    )?;
    let stored = with_revision(&document, unsigned(version)).map_err(StorageError::Database)?;
    let sha256 = document_sha256(&stored);
    tx.execute(
        "INSERT INTO rules_versions (site, version, document, sha256, size_bytes, rule_count,
                                     created_at_ms, author, comment, restored_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            site,
            version,
            stored,
            sha256,
            signed(stored.len() as u64),
            signed(rule_count),
            created_at_ms,
            note.author,
            note.comment,
            restored_from.map(signed),
        ],
    )?;
    tx.commit()?;
    Ok(Some(RulesVersionInfo {
        version: unsigned(version),
        created_at_ms,
        size_bytes: stored.len() as u64,
        rules: rule_count,
        current: true,
        author: note.author.clone(),
        comment: note.comment.clone(),
        restored_from,
        etag: etag(site, unsigned(version), &sha256),
    }))
}

/// Stores `new` as the next version.
pub(super) fn save(
    conn: &mut Connection,
    site: &str,
    new: &NewRulesVersion,
) -> Result<RulesVersionInfo, StorageError> {
    insert_next(
        conn,
        site,
        &new.document,
        new.rule_count,
        new.created_at_ms,
        &new.note,
        None,
    )?
    .ok_or_else(|| StorageError::Database("the new rules version was not stored".into()))
}

/// Stores a copy of `rollback.to_version` as the next version.
pub(super) fn rollback(
    conn: &mut Connection,
    site: &str,
    rollback: &Rollback,
) -> Result<Option<RulesVersionInfo>, StorageError> {
    insert_next(
        conn,
        site,
        "",
        0,
        rollback.created_at_ms,
        &rollback.note,
        Some(rollback.to_version),
    )
}

/// A site's versions, newest first.
pub(super) fn list(
    conn: &Connection,
    site: &str,
    limit: usize,
) -> rusqlite::Result<Vec<RulesVersionInfo>> {
    let sql = format!(
        "SELECT {INFO_COLUMNS} FROM rules_versions WHERE site = ?1 ORDER BY version DESC LIMIT ?2"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached(&sql)?
        .query_map(params![site, limit], |row| info(site, row))?
        .collect()
}

/// One version (the current one for `None`) with its document.
pub(super) fn get(
    conn: &Connection,
    site: &str,
    version: Option<u64>,
) -> rusqlite::Result<Option<StoredRules>> {
    let sql = format!(
        "SELECT {INFO_COLUMNS}, document FROM rules_versions
         WHERE site = ?1
           AND version = IFNULL(?2, (SELECT MAX(version) FROM rules_versions WHERE site = ?1))"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![site, version.map(signed)], |row| {
            Ok(StoredRules {
                info: info(site, row)?,
                document: row.get(9)?,
            })
        })
        .optional()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use crate::config::Durability;
    use crate::rules::versions::{NewRulesVersion, Rollback, VersionNote};
    use crate::storage::sqlite::SqliteStorage;
    use crate::storage::Storage;

    fn open(path: &Path) -> SqliteStorage {
        SqliteStorage::open(path, Durability::Full, Arc::default()).unwrap()
    }

    fn new(document: &str) -> NewRulesVersion {
        NewRulesVersion {
            document: document.into(),
            rule_count: 0,
            created_at_ms: 1_795_341_600_000,
            note: VersionNote::default(),
        }
    }

    #[tokio::test]
    async fn versions_are_numbered_per_site_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        {
            let storage = open(&path);
            assert_eq!(storage.rules_version("s", None).await.unwrap(), None);
            let one = storage
                .save_rules("s", new(r#"{"rules":[]}"#))
                .await
                .unwrap();
            assert_eq!((one.version, one.current), (1, true));
            let two = storage
                .save_rules("s", new(r#"{"description":"two","rules":[]}"#))
                .await
                .unwrap();
            assert_eq!(two.version, 2);
            let other = storage
                .save_rules("t", new(r#"{"rules":[]}"#))
                .await
                .unwrap();
            assert_eq!(other.version, 1, "numbered per site");
            assert_ne!(other.etag, one.etag, "the site is part of the ETag");
        }
        let storage = open(&path);
        let current = storage.rules_version("s", None).await.unwrap().unwrap();
        assert_eq!(current.info.version, 2);
        assert_eq!(
            current.document,
            r#"{"revision":"2","description":"two","rules":[]}"#
        );
        let rollback = Rollback {
            to_version: 1,
            created_at_ms: 1_795_341_700_000,
            note: VersionNote {
                author: Some("ann".into()),
                comment: None,
            },
        };
        let three = storage
            .rollback_rules("s", rollback.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((three.version, three.restored_from), (3, Some(1)));
        let listed = storage.rules_versions("s", 10).await.unwrap();
        let numbers: Vec<(u64, bool)> = listed.iter().map(|v| (v.version, v.current)).collect();
        assert_eq!(numbers, [(3, true), (2, false), (1, false)]);
        assert_eq!(
            storage
                .rules_version("s", Some(3))
                .await
                .unwrap()
                .unwrap()
                .document,
            r#"{"revision":"3","rules":[]}"#
        );
        let missing = Rollback {
            to_version: 9,
            ..rollback
        };
        assert_eq!(storage.rollback_rules("s", missing).await.unwrap(), None);
        assert_eq!(storage.rules_versions("s", 10).await.unwrap().len(), 3);
    }
}
