//! What storage keeps for profiles and hands back: a site's definitions document (one per
//! site, replaced on save) and a visitor's history.

use serde::Serialize;

use crate::reports::serialize_ms;
use crate::rules::versions::document_sha256;
use crate::rules::visitor::VisitorEventRow;

/// Definitions to store for a site, replacing any before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProfileDefinitions {
    /// The checked document, compact.
    pub document: String,
    /// How many segments it defines.
    pub segments: u64,
    /// How many points entries it has.
    pub points: u64,
    /// When it was saved (Unix ms).
    pub updated_at_ms: i64,
}

impl NewProfileDefinitions {
    /// What storing checked definitions at `updated_at_ms` means.
    pub fn from_valid(valid: &super::definitions::ValidDefinitions, updated_at_ms: i64) -> Self {
        let definitions = &valid.definitions;
        NewProfileDefinitions {
            document: valid.normalized.clone(),
            segments: definitions.segments.len() as u64,
            points: definitions
                .lead_score
                .as_ref()
                .map_or(0, |l| l.points.len() as u64),
            updated_at_ms,
        }
    }
}

/// A site's stored definitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredProfileDefinitions {
    /// 1 for the first save, one more for each save after it.
    pub version: u64,
    /// The document, exactly as served by `GET /v1/sites/{site}/profiles`.
    #[serde(skip)]
    pub document: String,
    /// Its SHA-256 in hex: part of every ETag, and the key of the compiled cache.
    #[serde(skip)]
    pub sha256: String,
    /// Its size.
    pub size_bytes: u64,
    /// How many segments it defines.
    pub segments: u64,
    /// How many points entries it has.
    pub points: u64,
    /// When it was saved.
    #[serde(rename = "updated_at", serialize_with = "serialize_ms")]
    pub updated_at_ms: i64,
}

impl StoredProfileDefinitions {
    /// The strong ETag of the document itself (the admin `GET`).
    pub fn etag(&self, site: &str) -> String {
        etag(&[site, &self.version.to_string(), &self.sha256])
    }
}

/// A visitor's events as a profile reads them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileHistory {
    /// The latest events, oldest first: the visitor's own and, with `linked`, those of the
    /// anonymous ids that identified with one of its user ids.
    pub rows: Vec<VisitorEventRow>,
    /// Whether the read followed user ids (One-ID); only tracker ids (UUIDv7) are indexed
    /// for it, any other id is read alone.
    pub linked: bool,
}

impl ProfileHistory {
    /// The anonymous ids whose events were read: `requested` first, the others in order of
    /// their first event.
    pub fn anonymous_ids(&self, requested: &str) -> Vec<String> {
        let mut ids = vec![requested.to_owned()];
        for id in self.rows.iter().filter_map(|r| r.anonymous_id.as_deref()) {
            if !ids.iter().any(|known| known == id) {
                ids.push(id.to_owned());
            }
        }
        ids
    }
}

/// The strong ETag of a profile answer: a hash over the site, the definitions it was
/// computed with and the body, so it changes with any of them.
pub fn profile_etag(site: &str, definitions_sha256: &str, body: &str) -> String {
    etag(&[site, definitions_sha256, body])
}

fn etag(parts: &[&str]) -> String {
    let hash = document_sha256(&parts.join("\0"));
    format!("\"{}\"", hash.get(..20).unwrap_or(&hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_etags_are_strong_and_change_with_each_part() {
        let tag = profile_etag("shop", "abc", r#"{"segments":[]}"#);
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 22,
            "{tag}"
        );
        assert_ne!(tag, profile_etag("blog", "abc", r#"{"segments":[]}"#));
        assert_ne!(tag, profile_etag("shop", "abd", r#"{"segments":[]}"#));
        assert_ne!(tag, profile_etag("shop", "abc", r#"{"segments":["a"]}"#));
        assert_eq!(tag, profile_etag("shop", "abc", r#"{"segments":[]}"#));
    }

    #[test]
    fn linked_ids_are_listed_after_the_requested_one() {
        let row = |id: &str| VisitorEventRow {
            anonymous_id: Some(id.into()),
            ..VisitorEventRow::default()
        };
        let history = ProfileHistory {
            rows: vec![row("b"), row("a"), row("c"), row("b")],
            linked: true,
        };
        assert_eq!(history.anonymous_ids("a"), ["a", "b", "c"]);
    }
}
