//! Where events go. One trait, so that SQLite (the embedded default) and later PostgreSQL
//! and NATS JetStream backends are interchangeable behind the routes.

pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

use orbit_core::validate::NormalizedEvent;

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
        StorageError::Database(error.to_string())
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

    /// Answers when the storage is reachable.
    fn ping(&self) -> StorageFuture<'_, ()>;

    /// Write requests waiting to be committed (for `/metrics`).
    fn queue_depth(&self) -> usize;

    /// The random salt of a UTC day (days since 1970), made on first use; salts older than
    /// the day before are deleted, so a cookieless visitor id cannot be recomputed later.
    fn daily_salt(&self, day: i64) -> StorageFuture<'_, [u8; 32]>;
}
