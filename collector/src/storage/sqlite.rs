//! SQLite storage: WAL mode, `synchronous=FULL`, and one writer thread that commits
//! whatever requests are waiting in one transaction (group commit) before answering them.

use std::path::Path;
use std::sync::{Arc, Mutex};

use orbit_core::validate::NormalizedEvent;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use super::{InsertOutcome, Storage, StorageError, StorageFuture, StoredEvent};

/// Requests waiting for the writer before new ones get "busy" (503 + Retry-After).
pub const WRITE_QUEUE_REQUESTS: usize = 1024;
/// Most requests committed together in one transaction.
pub const MAX_REQUESTS_PER_COMMIT: usize = 256;

/// Versioned schema migrations; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE events (
        id             INTEGER PRIMARY KEY,
        site           TEXT    NOT NULL,
        message_id     TEXT    NOT NULL,
        type           TEXT    NOT NULL,
        event          TEXT,
        anonymous_id   TEXT,
        user_id        TEXT,
        session_id     TEXT,
        timestamp_ms   INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL,
        url            TEXT,
        body           TEXT    NOT NULL,
        UNIQUE (site, message_id)
    );
    CREATE INDEX events_site_id ON events (site, id);
"#];

struct WriteJob {
    site: String,
    events: Vec<NormalizedEvent>,
    reply: oneshot::Sender<Result<InsertOutcome, StorageError>>,
}

/// The SQLite backend.
pub struct SqliteStorage {
    writes: mpsc::Sender<WriteJob>,
    reader: Arc<Mutex<Connection>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path`, migrates it and starts the writer.
    pub fn open(path: &Path) -> Result<SqliteStorage, StorageError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StorageError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut writer)?;
        let reader = Connection::open(path)?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;

        let (writes, jobs) = mpsc::channel(WRITE_QUEUE_REQUESTS);
        std::thread::Builder::new()
            .name("orbit-sqlite-writer".into())
            .spawn(move || writer_loop(writer, jobs))
            .map_err(|e| StorageError::Database(format!("cannot start the writer: {e}")))?;
        Ok(SqliteStorage {
            writes,
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StorageError> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .map_err(|_| StorageError::Database("the reader lock is poisoned".into()))?;
            query(&conn).map_err(StorageError::from)
        })
        .await
        .map_err(|e| StorageError::Database(format!("the reader task failed: {e}")))?
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(StorageError::Database(format!(
            "the database has schema version {version}, newer than this collector knows ({}); \
             upgrade the collector",
            MIGRATIONS.len()
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Takes every waiting request (up to a bound), commits them in one transaction, then
/// answers each: nothing is acknowledged before it is durable.
fn writer_loop(mut conn: Connection, mut jobs: mpsc::Receiver<WriteJob>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_REQUESTS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit(&mut conn, &batch) {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                tracing::error!(%error, requests = batch.len(), "SQLite commit failed");
                for job in batch {
                    let _ = job
                        .reply
                        .send(Err(StorageError::Database(error.to_string())));
                }
            }
        }
    }
}

fn commit(
    conn: &mut Connection,
    batch: &[WriteJob],
) -> Result<Vec<InsertOutcome>, rusqlite::Error> {
    let tx = conn.transaction()?;
    let mut outcomes = Vec::with_capacity(batch.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (site, message_id, type, event, anonymous_id, user_id, session_id,
                                 timestamp_ms, received_at_ms, url, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (site, message_id) DO NOTHING",
        )?;
        for job in batch {
            let mut outcome = InsertOutcome::default();
            for e in &job.events {
                let changed = insert.execute(params![
                    job.site,
                    e.message_id,
                    e.kind.as_str(),
                    e.event_name,
                    e.anonymous_id,
                    e.user_id,
                    e.session_id,
                    e.timestamp_ms,
                    e.received_at_ms,
                    e.url,
                    e.json,
                ])?;
                if changed == 1 {
                    outcome.accepted += 1;
                } else {
                    outcome.duplicates += 1;
                }
            }
            outcomes.push(outcome);
        }
    }
    tx.commit()?;
    Ok(outcomes)
}

impl Storage for SqliteStorage {
    fn insert(&self, site: &str, events: Vec<NormalizedEvent>) -> StorageFuture<'_, InsertOutcome> {
        let site = site.to_owned();
        Box::pin(async move {
            if events.is_empty() {
                return Ok(InsertOutcome::default());
            }
            let (reply, answer) = oneshot::channel();
            self.writes
                .try_send(WriteJob {
                    site,
                    events,
                    reply,
                })
                .map_err(|e| match e {
                    mpsc::error::TrySendError::Full(_) => StorageError::Busy,
                    mpsc::error::TrySendError::Closed(_) => StorageError::Closed,
                })?;
            answer.await.map_err(|_| StorageError::Closed)?
        })
    }

    fn export_page(
        &self,
        site: &str,
        after_id: i64,
        limit: usize,
    ) -> StorageFuture<'_, Vec<StoredEvent>> {
        let site = site.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Box::pin(self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT id, body FROM events WHERE site = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = query.query_map(params![site, after_id, limit], |row| {
                Ok(StoredEvent {
                    id: row.get(0)?,
                    json: row.get(1)?,
                })
            })?;
            rows.collect()
        }))
    }

    fn ping(&self) -> StorageFuture<'_, ()> {
        Box::pin(self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .optional()
                .map(|_| ())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::validate::{parse_batch, BatchLimits};

    fn events(ids: &[&str]) -> Vec<NormalizedEvent> {
        let batch: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({"type": "track", "event": "E", "anonymousId": "a", "messageId": id}))
            .collect();
        let body = serde_json::json!({ "batch": batch }).to_string();
        parse_batch(body.as_bytes(), 1_795_341_600_000, &BatchLimits::default())
            .unwrap()
            .events
            .into_iter()
            .map(Result::unwrap)
            .collect()
    }

    #[tokio::test]
    async fn duplicate_message_id_is_counted_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("db/orbit.db")).unwrap();
        let first = storage.insert("s", events(&["m1", "m2"])).await.unwrap();
        assert_eq!(
            first,
            InsertOutcome {
                accepted: 2,
                duplicates: 0
            }
        );
        let again = storage
            .insert("s", events(&["m2", "m3", "m3"]))
            .await
            .unwrap();
        assert_eq!(
            again,
            InsertOutcome {
                accepted: 1,
                duplicates: 2
            }
        );
        let other_site = storage.insert("t", events(&["m1"])).await.unwrap();
        assert_eq!(
            other_site.accepted, 1,
            "ids are unique per site, not globally"
        );
        let stored = storage.export_page("s", 0, 100).await.unwrap();
        assert_eq!(stored.len(), 3);
    }

    #[tokio::test]
    async fn export_pages_resume_after_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("orbit.db")).unwrap();
        storage.insert("s", events(&["a", "b", "c"])).await.unwrap();
        let page = storage.export_page("s", 0, 2).await.unwrap();
        assert_eq!(page.len(), 2);
        let rest = storage.export_page("s", page[1].id, 2).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert!(rest[0].json.contains("\"messageId\":\"c\""));
    }

    #[tokio::test]
    async fn reopening_keeps_events_and_does_not_rerun_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        {
            let storage = SqliteStorage::open(&path).unwrap();
            storage.insert("s", events(&["a"])).await.unwrap();
        }
        let storage = SqliteStorage::open(&path).unwrap();
        assert_eq!(storage.export_page("s", 0, 10).await.unwrap().len(), 1);
        storage.ping().await.unwrap();
    }
}
