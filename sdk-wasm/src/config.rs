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
        }
    }
}

impl TrackerConfig {
    /// Validates raw options.
    pub fn from_raw(raw: RawOptions) -> Result<TrackerConfig, ConfigError> {
        let site = non_empty(raw.site).ok_or(ConfigError::MissingSite)?;
        let write_key = non_empty(raw.key).ok_or(ConfigError::MissingKey)?;
        let mut endpoint = non_empty(raw.endpoint).ok_or(ConfigError::BadEndpoint)?;
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(ConfigError::BadEndpoint);
        }
        while endpoint.ends_with('/') {
            endpoint.pop();
        }
        Ok(TrackerConfig {
            site,
            write_key,
            endpoint,
        })
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| String::from(v.trim()))
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
