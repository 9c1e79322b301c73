//! Visitor profiles: the lead score and segments the collector computes for a visitor and
//! hands to the tracker, whose rules test them as `lead_score` and `segments`
//! (docs/profiles.md is the reference). Plain Rust (no axum, no SQL), like [`crate::rules`].
//!
//! - [`definitions`]: a site's profile definitions document (points per event, segments as
//!   conditions of the rule language): checking it with every problem and its JSON path,
//!   reusing `orbit-core`'s lint through a synthetic rule document.
//! - [`compute`]: a visitor's lead score (points, caps, decay) and segments (`orbit-core`'s
//!   evaluator over the visitor context of [`crate::rules::visitor`]), with an explanation.
//! - [`stored`]: what storage keeps and returns: the definitions, a visitor's history.

pub mod compute;
pub mod definitions;
pub mod stored;

pub use compute::{Profile, Profiler};
pub use definitions::{check_definitions, CheckedDefinitions, Definitions};
pub use stored::{NewProfileDefinitions, ProfileHistory, StoredProfileDefinitions};

/// Each site's compiled definitions, so a profile request neither re-checks the document nor
/// recompiles its regexes. Keyed by the stored document's SHA-256, which saving new
/// definitions changes.
pub type ProfilerCache = crate::site_cache::SiteCache<std::sync::Arc<Profiler>>;

/// Most events read for one profile (the latest ones, over all linked anonymous ids).
pub const MAX_PROFILE_HISTORY_EVENTS: usize = crate::rules::visitor::MAX_VISITOR_HISTORY_EVENTS;

/// Most other anonymous ids (the latest to identify) whose events count towards a profile
/// through a shared user id: a user id shared by many browsers (a test account) must not
/// make every request read them all.
pub const MAX_LINKED_ANONYMOUS_IDS: usize = 20;

/// Why a profile could not be computed. Bad input is refused before this (a 4xx); these
/// are faults of ours or of stored data, answered as 500s.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Stored definitions no longer pass the check (the language changed under them).
    #[error("the stored profile definitions no longer check: {0}")]
    InvalidDefinitions(String),
    /// The visitor context rebuilt from the events is not one `orbit-core` reads.
    #[error("the visitor context rebuilt from the events is not valid: {0}")]
    Context(String),
}

/// Whether `id` is an anonymous id the tracker makes: a UUIDv7 (8-4-4-4-12 hex digits,
/// version 7), so time-ordered. Only these are indexed per visitor (migration 6), so only
/// these may ask for their profile publicly.
pub fn is_tracker_id(id: &str) -> bool {
    orbit_core::id::looks_like_uuid(id) && id.as_bytes().get(14) == Some(&b'7')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_ids_are_uuid_v7() {
        assert!(is_tracker_id(&orbit_core::id::uuid_v7(
            1_795_341_600_000,
            [7; 10]
        )));
        assert!(is_tracker_id("0192F3A4-1B2C-7D3E-8F40-123456789ABC"));
        assert!(!is_tracker_id("0192f3a4-1b2c-4d3e-8f40-123456789abc"), "v4");
        assert!(
            !is_tracker_id("0192f3a4-1b2c-7d3e-8f40-123456789ab"),
            "short"
        );
        assert!(!is_tracker_id("0192f3a4x1b2c-7d3e-8f40-123456789abc"));
        assert!(!is_tracker_id("cl-0123456789abcdef0123456789abcdef"));
        assert!(!is_tracker_id(""));
    }
}
