//! The visitor's profile as the collector computed it: lead score and segments, which the
//! rules test as `lead_score` and `segments`. Fetched only when a rule's conditions test
//! either (most sites' rules never do, and then no request is made), revalidated with
//! `If-None-Match` on each page view and cached in localStorage, so a returning visitor's
//! slots are decided synchronously with the profile of the last page view. A profile that
//! arrives while the slots are still hidden is applied at once; later, on the next page view
//! or `orbit('reapply')`.

use alloc::string::String;
use alloc::vec::Vec;

use orbit_core::json::read::{read_json, Json};

use crate::web;

/// localStorage key of the last profile the collector sent: the visitor id it belongs to, a
/// line break, and its JSON text.
pub const PROFILE_CACHE_KEY: &str = "orbit_profile";
/// localStorage key of that profile's `ETag`.
pub const PROFILE_ETAG_KEY: &str = "orbit_profile_etag";
/// Longest profile text read, in bytes: a profile is a score and a list of segment ids.
pub const MAX_PROFILE_BYTES: usize = 16 * 1024;

/// What the collector knows about the visitor that the page cannot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Segment ids, in the order the site defined them.
    pub segments: Option<Vec<String>>,
    /// The lead score.
    pub lead_score: Option<f64>,
}

impl Profile {
    /// Reads `{"segments": ["…"], "lead_score": 42.5}`; anything else is no profile.
    pub fn decode(text: &str) -> Option<Profile> {
        let json = read_json(text, MAX_PROFILE_BYTES, 4).ok()?;
        let segments = json.get("segments").and_then(Json::as_array).map(|items| {
            let mut segments = Vec::new();
            for item in items {
                if let Some(segment) = item.as_str() {
                    segments.push(String::from(segment));
                }
            }
            segments
        });
        let lead_score = json
            .get("lead_score")
            .and_then(Json::as_f64)
            .filter(|s| s.is_finite());
        Some(Profile {
            segments,
            lead_score,
        })
    }
}

/// The cached profile of the last page view, if it is this visitor's.
pub fn cached(anonymous_id: &str) -> Option<Profile> {
    Profile::decode(&web::storage::owned(PROFILE_CACHE_KEY, anonymous_id)?)
}

/// Keeps a profile for the next page views of the same visitor.
pub fn store(anonymous_id: &str, body: &str, etag: Option<&str>) {
    web::storage::store_owned(PROFILE_CACHE_KEY, anonymous_id, body);
    match etag {
        Some(etag) => {
            web::storage::local_set(PROFILE_ETAG_KEY, etag);
        }
        None => web::storage::local_remove(PROFILE_ETAG_KEY),
    }
}

/// Forgets the profile (another visitor now, or consent withdrawn).
pub fn forget() {
    web::storage::local_remove(PROFILE_CACHE_KEY);
    web::storage::local_remove(PROFILE_ETAG_KEY);
}

/// The profile endpoint for this visitor.
pub fn url(endpoint: &str, site: &str, write_key: &str, anonymous_id: &str) -> String {
    let mut url = site_url(endpoint, site, "/profile?anonymousId=", anonymous_id);
    url.push_str("&key=");
    url.push_str(&web::transport::encode_component(write_key));
    url
}

/// `ENDPOINT/v1/sites/SITE` + `path` + `value`, both encoded: the start the site's rules and
/// profile URLs share (one copy of it in the bundle).
pub fn site_url(endpoint: &str, site: &str, path: &str, value: &str) -> String {
    let mut url = String::from(endpoint);
    url.push_str("/v1/sites/");
    url.push_str(&web::transport::encode_component(site));
    url.push_str(path);
    url.push_str(&web::transport::encode_component(value));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_segments_and_score() {
        let p = Profile::decode(r#"{"segments":["hot-lead","pricing"],"lead_score":42.5}"#);
        assert_eq!(
            p,
            Some(Profile {
                segments: Some(vec!["hot-lead".into(), "pricing".into()]),
                lead_score: Some(42.5),
            })
        );
    }

    #[test]
    fn missing_parts_stay_missing_and_garbage_is_no_profile() {
        assert_eq!(
            Profile::decode(r#"{"segments":[]}"#),
            Some(Profile {
                segments: Some(vec![]),
                lead_score: None
            })
        );
        assert_eq!(Profile::decode("not json"), None);
        let odd = Profile::decode(r#"{"segments":"vip","lead_score":"high"}"#);
        assert_eq!(odd, Some(Profile::default()));
    }

    #[test]
    fn a_profile_over_the_limit_is_no_profile() {
        let segment = "s".repeat(100);
        let mut text = String::from(r#"{"lead_score":1,"segments":["#);
        while text.len() <= MAX_PROFILE_BYTES {
            text.push('"');
            text.push_str(&segment);
            text.push_str("\",");
        }
        text.push_str("\"last\"]}");
        assert_eq!(Profile::decode(&text), None);
        let fits = r#"{"lead_score":1,"segments":["a"]}"#;
        assert_eq!(Profile::decode(fits).and_then(|p| p.lead_score), Some(1.0));
    }
}
