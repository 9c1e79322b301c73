//! A site's rule documents are versioned: every save, and every rollback, stores a new
//! version numbered from 1 per site, and the current document is the newest version.
//!
//! A rollback to version N stores a copy of N's document as a new version (recording
//! `restored_from: N`) rather than moving a pointer back: the history says who restored
//! what and when, version numbers (and so the `revision` that exposure events carry) only
//! ever grow, and browsers holding N's ETag fetch the copy like any other change.

use orbit_core::rules::COMPILED_FORMAT;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::reports::serialize_ms;

/// Longest `author` of a version, in bytes.
pub const MAX_AUTHOR_BYTES: usize = 200;
/// Longest `comment` of a version, in bytes.
pub const MAX_COMMENT_BYTES: usize = 2_000;

/// Who saved a version and why (both optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionNote {
    /// Who saved it.
    pub author: Option<String>,
    /// Why.
    pub comment: Option<String>,
}

/// A new version to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRulesVersion {
    /// The normalised document ([`super::check_document`]); storage sets its `revision` to
    /// the version number it assigns ([`super::with_revision`]).
    pub document: String,
    /// How many rules it has.
    pub rule_count: u64,
    /// When it was saved (Unix ms).
    pub created_at_ms: i64,
    /// Who and why.
    pub note: VersionNote,
}

/// A rollback: store a copy of `to_version` as the new current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollback {
    /// The version whose document becomes current again.
    pub to_version: u64,
    /// When (Unix ms).
    pub created_at_ms: i64,
    /// Who and why.
    pub note: VersionNote,
}

/// One stored version, without its document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RulesVersionInfo {
    /// 1, 2, 3… per site; also the document's `revision`.
    pub version: u64,
    /// When it was saved.
    #[serde(rename = "created_at", serialize_with = "serialize_ms")]
    pub created_at_ms: i64,
    /// The stored document's size.
    pub size_bytes: u64,
    /// How many rules it has.
    pub rules: u64,
    /// Whether it is the version served (the newest).
    pub current: bool,
    /// Who saved it.
    pub author: Option<String>,
    /// Why.
    pub comment: Option<String>,
    /// For a rollback, the version it copies.
    pub restored_from: Option<u64>,
    /// The ETag `rules.json` serves it with.
    pub etag: String,
}

/// One stored version with its document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRules {
    /// Its number, date, size…
    pub info: RulesVersionInfo,
    /// The document, exactly as served.
    pub document: String,
}

/// SHA-256 of a document, in hex: stored with it, so the ETag needs no rehashing.
pub fn document_sha256(document: &str) -> String {
    hex(&Sha256::digest(document.as_bytes()))
}

/// The strong ETag of a site's version: `"VERSION-HASH"`, the hash taken over the site,
/// the version, the document's SHA-256 and the compiled format `rules.json` serves
/// ([`COMPILED_FORMAT`]), so it changes with any of them: a browser holding a document of
/// another format fetches it again.
pub fn etag(site: &str, version: u64, document_sha256: &str) -> String {
    etag_for_format(site, version, document_sha256, COMPILED_FORMAT)
}

fn etag_for_format(site: &str, version: u64, document_sha256: &str, format: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(site.as_bytes());
    hasher.update([0]);
    hasher.update(version.to_string().as_bytes());
    hasher.update([0]);
    hasher.update(document_sha256.as_bytes());
    hasher.update([0]);
    hasher.update(format.as_bytes());
    let digest = hex(&hasher.finalize());
    format!("\"{version}-{}\"", &digest[..16])
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_strong_and_change_with_site_version_and_document() {
        let sha = document_sha256("{}");
        assert_eq!(
            sha,
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let tag = etag("shop", 3, &sha);
        assert!(
            tag.starts_with("\"3-") && tag.ends_with('"') && tag.len() == 20,
            "{tag}"
        );
        assert_ne!(tag, etag("other", 3, &sha));
        assert_ne!(tag, etag("shop", 4, &sha));
        assert_ne!(tag, etag("shop", 3, &document_sha256("[]")));
        assert_eq!(tag, etag("shop", 3, &sha));
        assert_ne!(
            tag,
            etag_for_format("shop", 3, &sha, "orbit-rules-compiled/0"),
            "a browser holding another format's document fetches it again"
        );
    }
}
