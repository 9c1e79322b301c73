//! Where events go. One trait, so that SQLite (the embedded default) and later PostgreSQL
//! and NATS JetStream backends are interchangeable behind the routes.

pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

use orbit_core::validate::NormalizedEvent;

use crate::profiles::{NewProfileDefinitions, ProfileHistory, StoredProfileDefinitions};
use crate::reports::experiments::{ExperimentReportFilter, ExperimentRows};
use crate::reports::forms::{FormReport, FormReportFilter};
use crate::reports::leads::{LeadFilter, LeadList};
use crate::rules::versions::{NewRulesVersion, Rollback, RulesVersionInfo, StoredRules};
use crate::rules::visitor::VisitorEventRow;

/// A boxed future, so that the trait can be used as `dyn Storage`.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// What an insert did with the events it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Events stored for the first time.
    pub accepted: usize,
    /// Events whose `(site, messageId)` was already stored.
    pub duplicates: usize,
}

/// One exported event: its position (a cursor for the next page) and its JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Insertion order; pass the last one as `after_id` to read on.
    pub id: i64,
    /// The normalised event in wire form.
    pub json: String,
}

/// Which events an export reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// The site.
    pub site: String,
    /// Only events that happened at or after this time (Unix ms).
    pub since_ms: Option<i64>,
    /// Only events that happened before this time (Unix ms).
    pub until_ms: Option<i64>,
    /// Only events of this type.
    pub kind: Option<orbit_core::EventType>,
}

/// A storage failure; the routes answer it with 503 or 500 and log it.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The write queue is full: the client should retry later.
    #[error("the storage queue is full")]
    Busy,
    /// The storage is shutting down or its writer stopped.
    #[error("the storage writer is not running")]
    Closed,
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        match error.sqlite_error_code() {
            // Another connection held the write lock past the busy timeout (an index being
            // built, say): a retry will do, so clients get 503 with Retry-After, not 500.
            Some(DatabaseBusy | DatabaseLocked) => StorageError::Busy,
            _ => StorageError::Database(error.to_string()),
        }
    }
}

/// An event store. Inserts are acknowledged only once durable.
pub trait Storage: Send + Sync + 'static {
    /// Stores events of one site; resolves after they are committed.
    fn insert(&self, site: &str, events: Vec<NormalizedEvent>) -> StorageFuture<'_, InsertOutcome>;

    /// Up to `limit` events matching `filter` stored after `after_id`, in storage order.
    fn export_page(
        &self,
        filter: &ExportFilter,
        after_id: i64,
        limit: usize,
    ) -> StorageFuture<'_, Vec<StoredEvent>>;

    /// The leads of a site, as [`crate::reports::leads`] defines them.
    fn leads(&self, filter: &LeadFilter) -> StorageFuture<'_, LeadList>;

    /// The form report of a site over a window, as [`crate::reports::forms`] defines it.
    fn form_report(&self, filter: &FormReportFilter) -> StorageFuture<'_, FormReport>;

    /// The rows of the experiment report, as [`crate::reports::experiments`] defines it.
    fn experiment_rows(&self, filter: &ExperimentReportFilter)
        -> StorageFuture<'_, ExperimentRows>;

    /// The latest `limit` events of one anonymous id, in time order, for previews.
    fn visitor_history(
        &self,
        site: &str,
        anonymous_id: &str,
        limit: usize,
    ) -> StorageFuture<'_, Vec<VisitorEventRow>>;

    /// Stores a site's next rule document version (numbered from 1, its `revision` set to
    /// the number) and makes it current; resolves once it is durable.
    fn save_rules(&self, site: &str, new: NewRulesVersion) -> StorageFuture<'_, RulesVersionInfo>;

    /// Stores a copy of version `rollback.to_version` as the next version, which becomes
    /// current; `None` when the site has no such version.
    fn rollback_rules(
        &self,
        site: &str,
        rollback: Rollback,
    ) -> StorageFuture<'_, Option<RulesVersionInfo>>;

    /// A site's versions, newest first, at most `limit`.
    fn rules_versions(&self, site: &str, limit: usize) -> StorageFuture<'_, Vec<RulesVersionInfo>>;

    /// One version with its document (`None`: the current one); `None` when there is none.
    fn rules_version(
        &self,
        site: &str,
        version: Option<u64>,
    ) -> StorageFuture<'_, Option<StoredRules>>;

    /// Stores a site's profile definitions in place of any before (the version counts the
    /// saves); resolves once they are durable.
    fn save_profile_definitions(
        &self,
        site: &str,
        new: NewProfileDefinitions,
    ) -> StorageFuture<'_, StoredProfileDefinitions>;

    /// A site's profile definitions; `None` when it has none.
    fn profile_definitions(
        &self,
        site: &str,
    ) -> StorageFuture<'_, Option<StoredProfileDefinitions>>;

    /// Deletes a site's profile definitions; `false` when it had none.
    fn delete_profile_definitions(&self, site: &str) -> StorageFuture<'_, bool>;

    /// The latest `limit` events of one anonymous id, in time order, for its profile. For a
    /// tracker id (UUIDv7, indexed per visitor) the events of the other tracker ids that
    /// identified with one of its user ids count too (One-ID, at most
    /// [`crate::profiles::MAX_LINKED_ANONYMOUS_IDS`] of them); any other id is read alone,
    /// by a walk of the site's events (admin requests only).
    fn profile_history(
        &self,
        site: &str,
        anonymous_id: &str,
        limit: usize,
    ) -> StorageFuture<'_, ProfileHistory>;

    /// Answers when the storage is reachable.
    fn ping(&self) -> StorageFuture<'_, ()>;

    /// Write requests waiting to be committed (for `/metrics`).
    fn queue_depth(&self) -> usize;

    /// The random salt of a UTC day (days since 1970), made on first use; salts older than
    /// the day before are deleted, so a cookieless visitor id cannot be recomputed later.
    fn daily_salt(&self, day: i64) -> StorageFuture<'_, [u8; 32]>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_lock_held_elsewhere_is_busy_not_a_database_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let error = other.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
        assert!(matches!(StorageError::from(error), StorageError::Busy));
        let error = other
            .execute("INSERT INTO missing VALUES (2)", [])
            .unwrap_err();
        assert!(matches!(
            StorageError::from(error),
            StorageError::Database(_)
        ));
    }
}
