//! SQLite storage: WAL mode, `synchronous=FULL`, and one writer thread that commits
//! whatever requests are waiting in one transaction (group commit) before answering them.
//! The reports' queries live in `sqlite/reports.rs` and `sqlite/experiments.rs`, rule
//! versions in `sqlite/rules.rs` (on a connection of their own), profile definitions and
//! histories in `sqlite/profiles.rs` (on another).

/// The anonymous ids the tracker makes (UUIDv7, see [`crate::profiles::is_tracker_id`]) as
/// a GLOB pattern: the WHERE of the `events_visitor` partial index, which a query repeats
/// before SQLite uses the index.
macro_rules! tracker_id_glob {
    () => {
        "'????????-????-7???-????-????????????'"
    };
}

/// Each visitor's events, without which the public profile endpoint would walk a site's
/// events per request. Built by the first save of profile definitions, so that collectors
/// without profiles do not pay for it: measured with 64 writers of 50-event batches, 2,000
/// active visitors and synchronous=FULL, it costs 21 % of ingest throughput when each batch
/// is one visitor's (as the tracker sends them) and 36 % when each event of a batch is
/// another visitor's. It holds only the tracker's anonymous ids (UUIDv7: time-ordered, so
/// the visitors active now sit together near the end of the index); the same index over
/// random or counter ids cost 66-76 %, so it leaves every other id out (Segment libraries,
/// cookieless ids).
const VISITOR_INDEX: &str = concat!(
    "CREATE INDEX IF NOT EXISTS events_visitor ON events (site, anonymous_id, timestamp_ms)
        WHERE anonymous_id GLOB ",
    tracker_id_glob!()
);

/// Whether [`VISITOR_INDEX`] was built (a query naming it fails before).
fn has_visitor_index(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_visitor')",
        [],
        |row| row.get(0),
    )
}

mod experiments;
mod profiles;
mod reports;
mod rules;

use std::path::Path;
use std::sync::{Arc, Mutex};

use orbit_core::validate::NormalizedEvent;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use super::{ExportFilter, InsertOutcome, Storage, StorageError, StorageFuture, StoredEvent};
use crate::config::Durability;
use crate::metrics::Metrics;
use crate::profiles::{NewProfileDefinitions, ProfileHistory, StoredProfileDefinitions};
use crate::reports::experiments::{ExperimentReportFilter, ExperimentRows};
use crate::reports::forms::{FormReport, FormReportFilter};
use crate::reports::leads::{LeadFilter, LeadList};
use crate::rules::versions::{NewRulesVersion, Rollback, RulesVersionInfo, StoredRules};
use crate::rules::visitor::VisitorEventRow;

/// Requests waiting for the writer before new ones get "busy" (503 + Retry-After).
pub const WRITE_QUEUE_REQUESTS: usize = 1024;
/// Most requests committed together in one transaction.
pub const MAX_REQUESTS_PER_COMMIT: usize = 256;

/// Versioned schema migrations; `PRAGMA user_version` records how many have run.
///
/// Indexes cost every insert: each one on a random key (such as `anonymous_id`) dirties a
/// page per event in every commit, which measured 2.3x slower batches. So the events table
/// has only what export and time-range reports need, plus partial indexes on rare rows
/// and, for per-visitor reads, one on the tracker's own anonymous ids only (migration 6).
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
    ALTER TABLE events ADD COLUMN referrer        TEXT;
    ALTER TABLE events ADD COLUMN campaign_source TEXT;
    ALTER TABLE events ADD COLUMN campaign_medium TEXT;
    ALTER TABLE events ADD COLUMN campaign_name   TEXT;
    ALTER TABLE events ADD COLUMN device_type     TEXT;
    ALTER TABLE events ADD COLUMN browser         TEXT;
    ALTER TABLE events ADD COLUMN os              TEXT;
    ALTER TABLE events ADD COLUMN ip              TEXT;
    ALTER TABLE events ADD COLUMN is_bot          INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX events_site_time ON events (site, timestamp_ms);
"#,
    r#"
    CREATE TABLE salts (
        day  INTEGER PRIMARY KEY,
        salt BLOB    NOT NULL
    );
"#,
    // The leads and form reports read identify and form events. Partial indexes hold only
    // those rows, keyed by time, so page views and other tracks pay nothing, and the rows
    // that do enter land at the right edge of their site's range (no random key). The
    // queries repeat each WHERE term, which SQLite needs before it uses a partial index.
    // GLOB, not LIKE: it is case-sensitive whatever `case_sensitive_like` says.
    r#"
    CREATE INDEX events_identifies ON events (site, timestamp_ms) WHERE type = 'identify';
    CREATE INDEX events_forms ON events (site, event, timestamp_ms)
        WHERE type = 'track' AND event GLOB 'Form *';
"#,
    // Rule documents, versioned per site (the current one is the highest version), and
    // the experiment report's exposures through a partial index like the forms'.
    r#"
    CREATE TABLE rules_versions (
        site          TEXT    NOT NULL,
        version       INTEGER NOT NULL,
        document      TEXT    NOT NULL,
        sha256        TEXT    NOT NULL,
        size_bytes    INTEGER NOT NULL,
        rule_count    INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        author        TEXT,
        comment       TEXT,
        restored_from INTEGER,
        PRIMARY KEY (site, version)
    );
    CREATE INDEX events_experiments ON events (site, timestamp_ms)
        WHERE type = 'track' AND event = 'Experiment Viewed';
"#,
    // Profiles: each site's definitions (one row, replaced on save). `events_identify_users`
    // holds identify events only (rare) and links the anonymous ids of a user id (One-ID).
    // The per-visitor index the profile endpoint reads through is built by the first save
    // of any site's definitions (VISITOR_INDEX), not here: it costs ingest.
    "
    CREATE TABLE profile_definitions (
        site          TEXT    PRIMARY KEY,
        version       INTEGER NOT NULL,
        document      TEXT    NOT NULL,
        sha256        TEXT    NOT NULL,
        size_bytes    INTEGER NOT NULL,
        segment_count INTEGER NOT NULL,
        points_count  INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE INDEX events_identify_users ON events (site, user_id) WHERE type = 'identify';
",
];

struct WriteJob {
    site: String,
    events: Vec<NormalizedEvent>,
    reply: oneshot::Sender<Result<InsertOutcome, StorageError>>,
}

/// The SQLite backend.
pub struct SqliteStorage {
    writes: mpsc::Sender<WriteJob>,
    reader: Arc<Mutex<Connection>>,
    /// Rule versions: quick reads and writes that must not wait behind a report.
    rules: Arc<Mutex<Connection>>,
    /// Profiles (definitions and visitor histories): the public profile endpoint must not
    /// wait behind a report or a rules save.
    profiles: Arc<Mutex<Connection>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path`, migrates it and starts the writer.
    pub fn open(
        path: &Path,
        durability: Durability,
        metrics: Arc<Metrics>,
    ) -> Result<SqliteStorage, StorageError> {
        SqliteStorage::open_with_queue(path, durability, metrics, WRITE_QUEUE_REQUESTS)
    }

    /// Like [`SqliteStorage::open`], with `queue` requests waiting at most.
    pub fn open_with_queue(
        path: &Path,
        durability: Durability,
        metrics: Arc<Metrics>,
        queue: usize,
    ) -> Result<SqliteStorage, StorageError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StorageError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        writer.pragma_update(None, "synchronous", synchronous)?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        tune(&writer)?;
        migrate(&mut writer)?;
        let reader = Connection::open(path)?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        tune(&reader)?;
        reports::register_functions(&reader)?;
        let rules = Connection::open(path)?;
        rules.pragma_update(None, "synchronous", synchronous)?;
        rules.busy_timeout(std::time::Duration::from_secs(5))?;
        let profiles = Connection::open(path)?;
        profiles.pragma_update(None, "synchronous", synchronous)?;
        profiles.busy_timeout(std::time::Duration::from_secs(5))?;
        tune(&profiles)?;

        let (writes, jobs) = mpsc::channel(queue.max(1));
        std::thread::Builder::new()
            .name("orbit-sqlite-writer".into())
            .spawn(move || writer_loop(writer, jobs, &metrics))
            .map_err(|e| StorageError::Database(format!("cannot start the writer: {e}")))?;
        Ok(SqliteStorage {
            writes,
            reader: Arc::new(Mutex::new(reader)),
            rules: Arc::new(Mutex::new(rules)),
            profiles: Arc::new(Mutex::new(profiles)),
        })
    }

    async fn on_rules_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        on_connection(Arc::clone(&self.rules), "rules", work).await
    }

    async fn on_profiles_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        on_connection(Arc::clone(&self.profiles), "profiles", work).await
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

/// Runs `work` on `connection` off the async threads.
async fn on_connection<T: Send + 'static>(
    connection: Arc<Mutex<Connection>>,
    name: &'static str,
    work: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(move || {
        let mut conn = connection
            .lock()
            .map_err(|_| StorageError::Database(format!("the {name} lock is poisoned")))?;
        work(&mut conn)
    })
    .await
    .map_err(|e| StorageError::Database(format!("the {name} task failed: {e}")))?
}

/// Page cache per connection, in KiB (negative `cache_size` means KiB in SQLite).
pub const CACHE_KIB: i64 = 64 * 1024;
/// The unique index on messageId touches pages all over the file; SQLite's default 2 MB
/// cache makes many inserts a `pread`. A larger (bounded) cache keeps them in memory. No
/// memory map: an export scanning the table would map the whole file into the process.
fn tune(conn: &Connection) -> Result<(), StorageError> {
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoint every ~40 MB of WAL instead of 4 MB: hot pages are copied back once per
    // checkpoint, not once per few commits.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    Ok(())
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
fn writer_loop(mut conn: Connection, mut jobs: mpsc::Receiver<WriteJob>, metrics: &Metrics) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_REQUESTS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        match commit(&mut conn, &batch) {
            Ok(outcomes) => {
                let events = batch.iter().map(|job| job.events.len()).sum();
                metrics.commit(started.elapsed(), events);
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
                                 timestamp_ms, received_at_ms, url, body, referrer,
                                 campaign_source, campaign_medium, campaign_name, device_type,
                                 browser, os, ip, is_bot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     ?18, ?19, ?20)
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
                    e.enrichment.referrer,
                    e.enrichment.campaign_source,
                    e.enrichment.campaign_medium,
                    e.enrichment.campaign_name,
                    e.enrichment.device_type,
                    e.enrichment.browser,
                    e.enrichment.os,
                    e.enrichment.ip,
                    e.enrichment.bot,
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
        filter: &ExportFilter,
        after_id: i64,
        limit: usize,
    ) -> StorageFuture<'_, Vec<StoredEvent>> {
        let filter = filter.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Box::pin(self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT id, body FROM events
                 WHERE site = ?1 AND id > ?2
                   AND (?3 IS NULL OR timestamp_ms >= ?3)
                   AND (?4 IS NULL OR timestamp_ms < ?4)
                   AND (?5 IS NULL OR type = ?5)
                 ORDER BY id LIMIT ?6",
            )?;
            let rows = query.query_map(
                params![
                    filter.site,
                    after_id,
                    filter.since_ms,
                    filter.until_ms,
                    filter.kind.map(|k| k.as_str()),
                    limit
                ],
                |row| {
                    Ok(StoredEvent {
                        id: row.get(0)?,
                        json: row.get(1)?,
                    })
                },
            )?;
            rows.collect()
        }))
    }

    fn leads(&self, filter: &LeadFilter) -> StorageFuture<'_, LeadList> {
        let filter = filter.clone();
        Box::pin(self.read(move |conn| reports::leads(conn, &filter)))
    }

    fn form_report(&self, filter: &FormReportFilter) -> StorageFuture<'_, FormReport> {
        let filter = filter.clone();
        Box::pin(self.read(move |conn| reports::form_report(conn, &filter)))
    }

    fn experiment_rows(
        &self,
        filter: &ExperimentReportFilter,
    ) -> StorageFuture<'_, ExperimentRows> {
        let filter = filter.clone();
        Box::pin(self.read(move |conn| experiments::experiment_rows(conn, &filter)))
    }

    fn visitor_history(
        &self,
        site: &str,
        anonymous_id: &str,
        limit: usize,
    ) -> StorageFuture<'_, Vec<VisitorEventRow>> {
        let (site, anonymous_id) = (site.to_owned(), anonymous_id.to_owned());
        Box::pin(
            self.read(move |conn| experiments::visitor_history(conn, &site, &anonymous_id, limit)),
        )
    }

    fn save_rules(&self, site: &str, new: NewRulesVersion) -> StorageFuture<'_, RulesVersionInfo> {
        let site = site.to_owned();
        Box::pin(self.on_rules_connection(move |conn| rules::save(conn, &site, &new)))
    }

    fn rollback_rules(
        &self,
        site: &str,
        rollback: Rollback,
    ) -> StorageFuture<'_, Option<RulesVersionInfo>> {
        let site = site.to_owned();
        Box::pin(self.on_rules_connection(move |conn| rules::rollback(conn, &site, &rollback)))
    }

    fn rules_versions(&self, site: &str, limit: usize) -> StorageFuture<'_, Vec<RulesVersionInfo>> {
        let site = site.to_owned();
        Box::pin(self.on_rules_connection(move |conn| Ok(rules::list(conn, &site, limit)?)))
    }

    fn rules_version(
        &self,
        site: &str,
        version: Option<u64>,
    ) -> StorageFuture<'_, Option<StoredRules>> {
        let site = site.to_owned();
        Box::pin(self.on_rules_connection(move |conn| Ok(rules::get(conn, &site, version)?)))
    }

    fn save_profile_definitions(
        &self,
        site: &str,
        new: NewProfileDefinitions,
    ) -> StorageFuture<'_, StoredProfileDefinitions> {
        let site = site.to_owned();
        Box::pin(self.on_profiles_connection(move |conn| profiles::save(conn, &site, &new)))
    }

    fn profile_definitions(
        &self,
        site: &str,
    ) -> StorageFuture<'_, Option<StoredProfileDefinitions>> {
        let site = site.to_owned();
        Box::pin(self.on_profiles_connection(move |conn| Ok(profiles::get(conn, &site)?)))
    }

    fn delete_profile_definitions(&self, site: &str) -> StorageFuture<'_, bool> {
        let site = site.to_owned();
        Box::pin(self.on_profiles_connection(move |conn| Ok(profiles::delete(conn, &site)?)))
    }

    fn profile_history(
        &self,
        site: &str,
        anonymous_id: &str,
        limit: usize,
    ) -> StorageFuture<'_, ProfileHistory> {
        let (site, anonymous_id) = (site.to_owned(), anonymous_id.to_owned());
        if !crate::profiles::is_tracker_id(&anonymous_id) {
            // A walk of the site's events: on the reader, like a report, so that the public
            // profile endpoint never waits behind it.
            return Box::pin(self.read(move |conn| {
                Ok(ProfileHistory {
                    rows: experiments::visitor_history(conn, &site, &anonymous_id, limit)?,
                    linked: false,
                })
            }));
        }
        Box::pin(self.on_profiles_connection(move |conn| {
            Ok(profiles::linked_history(conn, &site, &anonymous_id, limit)?)
        }))
    }

    fn ping(&self) -> StorageFuture<'_, ()> {
        Box::pin(self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .optional()
                .map(|_| ())
        }))
    }

    fn daily_salt(&self, day: i64) -> StorageFuture<'_, [u8; 32]> {
        Box::pin(async move {
            let mut fresh = [0u8; 32];
            getrandom::fill(&mut fresh)
                .map_err(|e| StorageError::Database(format!("no random source: {e}")))?;
            self.read(move |conn| {
                conn.execute("DELETE FROM salts WHERE day < ?1", params![day - 1])?;
                conn.execute(
                    "INSERT INTO salts (day, salt) VALUES (?1, ?2) ON CONFLICT (day) DO NOTHING",
                    params![day, fresh.as_slice()],
                )?;
                let salt: Vec<u8> =
                    conn.query_row("SELECT salt FROM salts WHERE day = ?1", params![day], |r| {
                        r.get(0)
                    })?;
                let mut out = [0u8; 32];
                if salt.len() == out.len() {
                    out.copy_from_slice(&salt);
                }
                Ok(out)
            })
            .await
        })
    }

    fn queue_depth(&self) -> usize {
        self.writes.max_capacity() - self.writes.capacity()
    }
}

/// Every row `sql` gives for `params`, each read by `read`, through the connection's cache of
/// prepared statements.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?.query_map(params, read)?.collect()
}

/// SQLite's query plan for `sql`, one line per step, with its parameters bound to a site, a
/// time window and an event name: what tests check to see an index is used.
#[cfg(test)]
fn query_plan(conn: &Connection, sql: &str) -> String {
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let values: [rusqlite::types::Value; 4] = [
        "s".to_owned().into(),
        0i64.into(),
        1i64.into(),
        "Form Submitted".to_owned().into(),
    ];
    let bound = values.into_iter().take(statement.parameter_count());
    let details: Vec<String> = statement
        .query_map(rusqlite::params_from_iter(bound), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    details.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::validate::{parse_batch, BatchLimits, RequestInfo};

    fn open(path: &Path) -> SqliteStorage {
        SqliteStorage::open(path, Durability::Full, Arc::default()).unwrap()
    }

    fn site(site: &str) -> ExportFilter {
        ExportFilter {
            site: site.into(),
            ..ExportFilter::default()
        }
    }

    fn events(ids: &[&str]) -> Vec<NormalizedEvent> {
        let batch: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({"type": "track", "event": "E", "anonymousId": "a", "messageId": id}))
            .collect();
        parsed(serde_json::Value::from(batch))
    }

    /// A batch's events as ingest normalises them, received at a fixed time.
    pub(super) fn parsed(batch: serde_json::Value) -> Vec<NormalizedEvent> {
        let body = serde_json::json!({ "batch": batch }).to_string();
        let request = RequestInfo {
            received_at_ms: 1_795_341_600_000,
            ..RequestInfo::default()
        };
        parse_batch(body.as_bytes(), &request, &BatchLimits::default())
            .unwrap()
            .events
            .into_iter()
            .map(Result::unwrap)
            .collect()
    }

    #[tokio::test]
    async fn duplicate_message_id_is_counted_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(&dir.path().join("db/orbit.db"));
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
        let stored = storage.export_page(&site("s"), 0, 100).await.unwrap();
        assert_eq!(stored.len(), 3);
    }

    #[tokio::test]
    async fn export_pages_resume_after_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(&dir.path().join("orbit.db"));
        storage.insert("s", events(&["a", "b", "c"])).await.unwrap();
        let page = storage.export_page(&site("s"), 0, 2).await.unwrap();
        assert_eq!(page.len(), 2);
        let rest = storage
            .export_page(&site("s"), page[1].id, 2)
            .await
            .unwrap();
        assert_eq!(rest.len(), 1);
        assert!(rest[0].json.contains("\"messageId\":\"c\""));
    }

    #[tokio::test]
    async fn reopening_keeps_events_and_does_not_rerun_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        {
            let storage = open(&path);
            storage.insert("s", events(&["a"])).await.unwrap();
        }
        let storage = open(&path);
        assert_eq!(
            storage.export_page(&site("s"), 0, 10).await.unwrap().len(),
            1
        );
        storage.ping().await.unwrap();
    }

    #[tokio::test]
    async fn a_full_queue_is_busy_and_nothing_queued_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        let storage = Arc::new(
            SqliteStorage::open_with_queue(&path, Durability::Full, Arc::default(), 1).unwrap(),
        );
        // Another connection holds the write lock, so the writer stalls on its first job.
        let blocker = Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let first = tokio::spawn({
            let storage = Arc::clone(&storage);
            async move { storage.insert("s", events(&["a"])).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let second = tokio::spawn({
            let storage = Arc::clone(&storage);
            async move { storage.insert("s", events(&["b"])).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(storage.queue_depth(), 1);
        let third = storage.insert("s", events(&["c"])).await;
        assert!(matches!(third, Err(StorageError::Busy)), "{third:?}");
        blocker.execute_batch("COMMIT").unwrap();
        assert_eq!(first.await.unwrap().unwrap().accepted, 1);
        assert_eq!(second.await.unwrap().unwrap().accepted, 1);
        assert_eq!(
            storage.export_page(&site("s"), 0, 10).await.unwrap().len(),
            2
        );
    }

    #[tokio::test]
    async fn a_version_1_database_is_migrated_keeping_its_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[0]).unwrap();
            tx.pragma_update(None, "user_version", 1).unwrap();
            tx.execute(
                "INSERT INTO events (site, message_id, type, timestamp_ms, received_at_ms, body)
                 VALUES ('s', 'old', 'page', 1, 1, '{}')",
                [],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let storage = open(&path);
        storage.insert("s", events(&["new"])).await.unwrap();
        assert_eq!(
            storage.export_page(&site("s"), 0, 10).await.unwrap().len(),
            2
        );
        let version: i64 = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[tokio::test]
    async fn export_filters_by_type_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(&dir.path().join("orbit.db"));
        storage.insert("s", events(&["a", "b"])).await.unwrap();
        let mut filter = site("s");
        filter.kind = Some(orbit_core::EventType::Page);
        assert!(storage
            .export_page(&filter, 0, 10)
            .await
            .unwrap()
            .is_empty());
        filter.kind = Some(orbit_core::EventType::Track);
        assert_eq!(storage.export_page(&filter, 0, 10).await.unwrap().len(), 2);
        filter.since_ms = Some(1_795_341_600_001);
        assert!(storage
            .export_page(&filter, 0, 10)
            .await
            .unwrap()
            .is_empty());
        filter.since_ms = None;
        filter.until_ms = Some(1_795_341_600_001);
        assert_eq!(storage.export_page(&filter, 0, 10).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_day_has_one_salt_and_old_salts_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        let storage = open(&path);
        let monday = storage.daily_salt(20_000).await.unwrap();
        assert_eq!(storage.daily_salt(20_000).await.unwrap(), monday);
        assert_ne!(monday, [0u8; 32]);
        let tuesday = storage.daily_salt(20_001).await.unwrap();
        assert_ne!(tuesday, monday);
        storage.daily_salt(20_002).await.unwrap();
        let days: Vec<i64> = Connection::open(&path)
            .unwrap()
            .prepare("SELECT day FROM salts ORDER BY day")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(days, [20_001, 20_002], "older than yesterday is gone");
    }
}
