//! What the collector derives from a site's stored document (compiled rules, compiled
//! profile definitions), kept per site with the tag of the document it came from (its ETag or
//! hash): a request neither parses nor compiles the document again until it changes. Sites
//! come from the configuration, so the map stays small.

use std::collections::HashMap;
use std::sync::Mutex;

/// Each site's derived value, with the tag of the document it came from.
#[derive(Debug)]
pub struct SiteCache<T> {
    entries: Mutex<HashMap<String, (String, T)>>,
}

impl<T> Default for SiteCache<T> {
    fn default() -> Self {
        SiteCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> SiteCache<T> {
    /// The value of `site` if it was derived from the document tagged `tag`.
    pub fn get(&self, site: &str, tag: &str) -> Option<T> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(site)
            .filter(|(kept, _)| kept == tag)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value` as `site`'s, derived from the document tagged `tag`.
    pub fn insert(&self, site: &str, tag: &str, value: T) {
        // A poisoned lock only costs deriving again.
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(site.to_owned(), (tag.to_owned(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_for_its_site_and_tag_only() {
        let cache = SiteCache::default();
        assert_eq!(cache.get("shop", "h1"), None);
        cache.insert("shop", "h1", 1);
        assert_eq!(cache.get("shop", "h1"), Some(1));
        assert_eq!(cache.get("shop", "h2"), None);
        assert_eq!(cache.get("blog", "h1"), None);
        cache.insert("shop", "h2", 2);
        assert_eq!(
            cache.get("shop", "h1"),
            None,
            "a new document replaces the old"
        );
        assert_eq!(cache.get("shop", "h2"), Some(2));
    }
}
