//! The tracker's configuration: raw options from the script tag or `init()`, validated
//! once into [`TrackerConfig`] so the rest of the tracker never sees an invalid state.

use alloc::string::String;

/// Options as the page gave them (`data-*` attributes or the `init()` object).
#[derive(Clone, Debug, Default)]
pub struct RawOptions {
    /// `data-site`: the site id on the collector.
    pub site: Option<String>,
    /// `data-key`: the site's public write key.
    pub key: Option<String>,
    /// `data-endpoint`: the collector's origin; the loader passes its own origin by default.
    pub endpoint: Option<String>,
    /// `data-consent`: `"required"` holds everything until `orbit('consent', 'granted')`.
    pub consent: Option<String>,
    /// `data-respect-dnt`: `"false"` ignores Do Not Track and Global Privacy Control.
    pub respect_dnt: Option<String>,
    /// `data-cookie-domain`: the parent domain to share the visitor id across subdomains.
    pub cookie_domain: Option<String>,
    /// `data-cookieless` (present, not `"false"`): no storage, no ids sent.
    pub cookieless: Option<String>,
    /// `data-lead-capture` (present, not `"false"`): a submitted form with an email field
    /// identifies the visitor.
    pub lead_capture: Option<String>,
    /// `data-hash-email` (present, not `"false"`): lead capture sends the email's SHA-256.
    pub hash_email: Option<String>,
    /// `data-track-hash` (present, not `"false"`): a new fragment (`#/pricing`) is a page view.
    pub track_hash: Option<String>,
}

/// A configuration the tracker can run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackerConfig {
    /// The site id.
    pub site: String,
    /// The write key sent with every batch.
    pub write_key: String,
    /// The collector's base URL, without a trailing slash.
    pub endpoint: String,
    /// Nothing is stored or sent before the visitor consents.
    pub consent_required: bool,
    /// Do Not Track / Global Privacy Control turn the tracker off.
    pub respect_dnt: bool,
    /// `Domain=` of the visitor id cookie.
    pub cookie_domain: Option<String>,
    /// No `data-cookie-domain`: share the cookie on the registrable domain the browser
    /// accepts (found once tracking starts). `data-cookie-domain="none"` keeps it on the host.
    pub detect_cookie_domain: bool,
    /// Store nothing in the browser and send no ids; the collector derives a daily visitor id.
    pub cookieless: bool,
    /// A submitted form with an email field identifies the visitor (`identify` traits).
    pub lead_capture: bool,
    /// Lead capture sends `email_sha256` instead of the email.
    pub hash_email: bool,
    /// Hash changes are page views (hash-routed single-page apps).
    pub track_hash: bool,
}

/// Why options could not become a configuration; each message says what to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No `data-site`.
    MissingSite,
    /// No `data-key`.
    MissingKey,
    /// An endpoint that is not an http(s) URL.
    BadEndpoint,
    /// A `data-consent` value other than `required`.
    BadConsent,
    /// A cookie domain that is not a host name.
    BadCookieDomain,
}

impl ConfigError {
    /// The console message for this error (a `&'static str`: no `core::fmt` in the bundle).
    pub fn message(self) -> &'static str {
        match self {
            ConfigError::MissingSite => {
                "not started: add data-site=\"YOUR_SITE_ID\" to the orbit.js script tag"
            }
            ConfigError::MissingKey => {
                "not started: add data-key=\"YOUR_WRITE_KEY\" to the orbit.js script tag"
            }
            ConfigError::BadEndpoint => {
                "not started: data-endpoint must be an http:// or https:// URL of the collector"
            }
            ConfigError::BadConsent => {
                "not started: data-consent takes one value, \"required\" (or leave it out)"
            }
            ConfigError::BadCookieDomain => {
                "not started: data-cookie-domain must be a domain such as example.com"
            }
        }
    }
}

impl TrackerConfig {
    /// Validates raw options.
    pub fn from_raw(raw: RawOptions) -> Result<TrackerConfig, ConfigError> {
        // Borrowed, and copied only once valid: one drop of the options, not one per error.
        let raw = &raw;
        let site = non_empty(&raw.site).ok_or(ConfigError::MissingSite)?;
        let write_key = non_empty(&raw.key).ok_or(ConfigError::MissingKey)?;
        let mut endpoint = non_empty(&raw.endpoint).ok_or(ConfigError::BadEndpoint)?;
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(ConfigError::BadEndpoint);
        }
        // Bytes, not a `char` pattern: no UTF-8 encoding of the slash.
        while let Some(shorter) = endpoint
            .as_bytes()
            .split_last()
            .filter(|(last, _)| **last == b'/')
            .and_then(|(_, rest)| endpoint.get(..rest.len()))
        {
            endpoint = shorter;
        }
        let consent_required = match non_empty(&raw.consent) {
            None => false,
            Some("required") => true,
            Some(_) => return Err(ConfigError::BadConsent),
        };
        let cookie_domain = non_empty(&raw.cookie_domain);
        let detect_cookie_domain = cookie_domain.is_none();
        let cookie_domain = match cookie_domain {
            None | Some("none") => None,
            Some(domain) if is_domain(domain) => Some(String::from(domain)),
            Some(_) => return Err(ConfigError::BadCookieDomain),
        };
        Ok(TrackerConfig {
            site: String::from(site),
            write_key: String::from(write_key),
            endpoint: String::from(endpoint),
            consent_required,
            respect_dnt: non_empty(&raw.respect_dnt) != Some("false"),
            cookie_domain,
            detect_cookie_domain,
            cookieless: flag(&raw.cookieless),
            lead_capture: flag(&raw.lead_capture),
            hash_email: flag(&raw.hash_email),
            track_hash: flag(&raw.track_hash),
        })
    }
}

/// `example.com`, `.shop.example.co.uk`: letters, digits, `-` and dots, with a dot inside
/// (a cookie for a bare host or a public suffix is refused by the browser anyway).
fn is_domain(domain: &str) -> bool {
    // Bytes, not `char` patterns: no UTF-8 encoding of the dots.
    let bytes = domain.as_bytes();
    let host = match bytes {
        [b'.', rest @ ..] => rest,
        _ => bytes,
    };
    // Not `contains`, whose `memchr` costs ~200 B gzip of the bundle.
    #[allow(clippy::manual_contains)]
    let has_dot = host.iter().any(|b| *b == b'.');
    has_dot
        && host.first() != Some(&b'.')
        && host.last() != Some(&b'.')
        && host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
}

/// A boolean attribute: present (`data-x` or `data-x="true"`) and not `"false"`.
fn flag(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| orbit_core::text::trim(v) != "false")
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(orbit_core::text::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(site: &str, key: &str, endpoint: &str) -> RawOptions {
        RawOptions {
            site: Some(site.into()),
            key: Some(key.into()),
            endpoint: Some(endpoint.into()),
            ..RawOptions::default()
        }
    }

    #[test]
    fn privacy_options_are_read_and_checked() {
        let config = TrackerConfig::from_raw(RawOptions {
            consent: Some("required".into()),
            respect_dnt: Some("false".into()),
            cookie_domain: Some("example.com".into()),
            ..raw("s", "k", "https://c.test")
        })
        .unwrap();
        assert!(config.consent_required);
        assert!(!config.respect_dnt);
        assert_eq!(config.cookie_domain.as_deref(), Some("example.com"));
        let defaults = TrackerConfig::from_raw(raw("s", "k", "https://c.test")).unwrap();
        assert!(!defaults.consent_required && defaults.respect_dnt);
        assert!(defaults.detect_cookie_domain && !config.detect_cookie_domain);
        let host_only = TrackerConfig::from_raw(RawOptions {
            cookie_domain: Some("none".into()),
            ..raw("s", "k", "https://c.test")
        })
        .unwrap();
        assert!(host_only.cookie_domain.is_none() && !host_only.detect_cookie_domain);
        for (consent, domain, error) in [
            ("yes", "", ConfigError::BadConsent),
            ("", "localhost", ConfigError::BadCookieDomain),
            ("", "exa mple.com", ConfigError::BadCookieDomain),
        ] {
            let options = RawOptions {
                consent: Some(consent.into()),
                cookie_domain: Some(domain.into()),
                ..raw("s", "k", "https://c.test")
            };
            assert_eq!(TrackerConfig::from_raw(options), Err(error));
        }
    }

    #[test]
    fn valid_options_become_a_config_without_trailing_slash() {
        let config = TrackerConfig::from_raw(raw("demo", "k", "http://127.0.0.1:8080/")).unwrap();
        assert_eq!(config.endpoint, "http://127.0.0.1:8080");
        assert_eq!(config.site, "demo");
    }

    #[test]
    fn missing_or_blank_values_say_what_to_add() {
        assert_eq!(
            TrackerConfig::from_raw(raw(" ", "k", "https://c.test")),
            Err(ConfigError::MissingSite)
        );
        assert_eq!(
            TrackerConfig::from_raw(raw("s", "", "https://c.test")),
            Err(ConfigError::MissingKey)
        );
        assert_eq!(
            TrackerConfig::from_raw(raw("s", "k", "ftp://c.test")),
            Err(ConfigError::BadEndpoint)
        );
        assert!(ConfigError::MissingKey.message().contains("data-key"));
    }
}
