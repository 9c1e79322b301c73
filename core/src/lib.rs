//! `orbit-core`: the vocabulary shared by the browser SDK and the collector.
//!
//! Pure Rust with no browser and no server in it (`no_std` + `alloc`), so one definition of
//! the wire format runs on both sides and is tested natively in milliseconds.
//!
//! - [`event`]: the Segment-spec event types.
//! - [`limits`]: every size and count limit, named once.
//! - [`id`]: UUIDv7 identifiers for visitors, sessions and messages.
//! - [`json`]: a small JSON writer, and a bounded reader for rule documents, instead of serde
//!   (SIZE.md).
//! - [`time`]: RFC 3339 timestamps to and from Unix milliseconds.
//! - [`enrich`]: browser, OS, device and campaign facts from the user agent and URL.
//! - [`forms`]: which form fields are never read, and how a lead's email is normalised.
//! - [`sha256`]: a small synchronous SHA-256 for hashed lead emails.
//! - [`text`]: byte-level substring search that keeps `str`'s searcher out of the bundle.
//! - [`tracker`]: the SDK's session, retry and queue policies, tested without a browser.
//! - [`rules`]: the personalisation and experiment language: parse, lint, evaluate, bucket,
//!   sanitise.
//! - [`validate`] (feature `validate`): reading, checking and normalising incoming batches.
#![no_std]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

extern crate alloc;

pub mod enrich;
pub mod event;
pub mod forms;
pub mod id;
pub mod json;
pub mod limits;
pub mod rules;
pub mod sha256;
pub mod text;
pub mod time;
pub mod tracker;
#[cfg(feature = "validate")]
pub mod validate;

pub use event::EventType;
