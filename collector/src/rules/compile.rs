//! The compiled document the browser reads (`orbit-core`'s [`write_compiled`]): the tracker
//! no longer parses documents as written, so the collector compiles what it stores for
//! `rules.json`, what `orbit-collector rules compile` is given, and the inline documents of
//! the pages it serves ([`super::inline`]).

use bytes::Bytes;
use orbit_core::rules::{parse_rules, write_compiled, Rules};

use super::check::MAX_RULES_DOCUMENT_BYTES;

/// Room kept under the limit when a document is checked, for the `revision` storage adds
/// before it is compiled again for `rules.json`.
pub const REVISION_ROOM_BYTES: usize = 32;

/// Why a document cannot be given to the browser compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The document does not parse (a stored one always should: it was checked on save).
    #[error("the rule document does not parse: {0}")]
    Parse(String),
    /// The compiled text is larger than the browser reads.
    #[error(
        "the compiled document is {0} bytes, over the browser's limit of \
         {MAX_RULES_DOCUMENT_BYTES}; make the document smaller"
    )]
    TooLarge(usize),
}

/// The compiled form of a document as written (a stored one, already checked), if the
/// browser can read it.
pub fn compile_text(document: &str) -> Result<String, CompileError> {
    let rules = parse_rules(document).map_err(|e| CompileError::Parse(e.to_message()))?;
    within(write_compiled(&rules), MAX_RULES_DOCUMENT_BYTES)
}

/// The compiled form with [`REVISION_ROOM_BYTES`] to spare: what checking a document
/// requires, so that a saved document can always be served.
pub fn compile_with_room(rules: &Rules) -> Result<String, CompileError> {
    within(
        write_compiled(rules),
        MAX_RULES_DOCUMENT_BYTES - REVISION_ROOM_BYTES,
    )
}

fn within(compiled: String, limit: usize) -> Result<String, CompileError> {
    if compiled.len() > limit {
        return Err(CompileError::TooLarge(compiled.len()));
    }
    Ok(compiled)
}

/// Each site's compiled `rules.json`, so a request does not parse the stored document
/// again. Keyed by the version's ETag, which changes with the version and the format.
pub type CompiledCache = crate::site_cache::SiteCache<Bytes>;

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_core::rules::{read_compiled, COMPILED_FORMAT};

    #[test]
    fn a_stored_document_compiles_to_what_it_means() {
        let text =
            r#"{"revision":"4","rules":[{"id":"a","actions":[{"type":"hide","selector":"p"}]}]}"#;
        let compiled = compile_text(text).unwrap();
        assert!(compiled.starts_with(&format!("[\"{COMPILED_FORMAT}\",\"4\"")));
        assert_eq!(read_compiled(&compiled), Ok(parse_rules(text).unwrap()));
    }

    #[test]
    fn a_document_that_does_not_parse_is_an_error_not_a_source_text() {
        let error = compile_text(r#"{"rules":[{"id":"a","op":1}]}"#).unwrap_err();
        assert!(matches!(error, CompileError::Parse(_)), "{error}");
    }

    #[test]
    fn a_compiled_text_over_the_limit_is_refused() {
        assert_eq!(
            within("[1234]".into(), 5),
            Err(CompileError::TooLarge(6)),
            "the limit is on bytes"
        );
        assert_eq!(within("[1]".into(), 3), Ok("[1]".into()));
    }

    #[test]
    fn the_cache_answers_only_for_the_same_version() {
        let cache = CompiledCache::default();
        assert!(cache.get("shop", "\"1-a\"").is_none());
        cache.insert("shop", "\"1-a\"", Bytes::from_static(b"[1]"));
        assert_eq!(
            cache.get("shop", "\"1-a\""),
            Some(Bytes::from_static(b"[1]"))
        );
        assert!(cache.get("shop", "\"2-b\"").is_none());
        assert!(cache.get("blog", "\"1-a\"").is_none());
    }
}
