//! The collector's side of the rule language: what `orbit-core` parses, lints and
//! evaluates, the collector checks before saving, versions, serves and previews. Plain Rust
//! (no axum, no SQL), shared by the routes, the storage backends and the
//! `orbit-collector rules check` and `rules compile` commands.
//!
//! - [`host`]: the `regex`-crate [`Host`](orbit_core::rules::Host), with size limits.
//! - [`check`]: lint + normalisation: exactly what `PUT /v1/sites/{site}/rules` and the CLI
//!   accept, and the sanitised text that gets stored.
//! - [`compile`]: the compiled document the browser reads, from a stored or checked one.
//! - [`inline`]: the inline documents of the pages the collector serves, compiled on load.
//! - [`versions`]: what a stored version is, and its ETag.
//! - [`preview`]: the browser's evaluator, with its debug trace, for the preview endpoint.
//! - [`visitor`]: a visitor context rebuilt from a visitor's stored events.

pub mod check;
pub mod compile;
pub mod host;
pub mod inline;
pub mod preview;
pub mod versions;
pub mod visitor;

pub use check::{check_document, with_revision, Checked, ValidDocument};
pub use host::RegexHost;
