//! Compiled definitions per site, so a profile request neither re-checks the document nor
//! recompiles its regexes. Keyed by the stored document's SHA-256: saving new definitions
//! changes it, and the next request compiles them. Sites come from the configuration, so
//! the map stays small.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Profiler;

/// Each site's compiled definitions, with the hash of the document they came from.
#[derive(Debug, Default)]
pub struct ProfilerCache {
    compiled: Mutex<HashMap<String, (String, Arc<Profiler>)>>,
}

impl ProfilerCache {
    /// The compiled definitions of `site` if they are those of the document hashed `sha256`.
    pub fn get(&self, site: &str, sha256: &str) -> Option<Arc<Profiler>> {
        let compiled = self.compiled.lock().ok()?;
        compiled
            .get(site)
            .filter(|(hash, _)| hash == sha256)
            .map(|(_, profiler)| Arc::clone(profiler))
    }

    /// Keeps `profiler` as `site`'s, compiled from the document hashed `sha256`.
    pub fn insert(&self, site: &str, sha256: &str, profiler: Arc<Profiler>) {
        // A poisoned lock only costs recompiling.
        if let Ok(mut compiled) = self.compiled.lock() {
            compiled.insert(site.to_owned(), (sha256.to_owned(), profiler));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_document_misses_the_cache() {
        let cache = ProfilerCache::default();
        let profiler = Arc::new(
            Profiler::from_stored(r#"{"segments":[{"id":"a","conditions":{"all":[]}}]}"#).unwrap(),
        );
        assert!(cache.get("shop", "h1").is_none());
        cache.insert("shop", "h1", Arc::clone(&profiler));
        assert!(cache.get("shop", "h1").is_some());
        assert!(cache.get("shop", "h2").is_none());
        assert!(cache.get("blog", "h1").is_none());
    }
}
