//! The collector's configuration: a TOML file, then environment variables, then flags,
//! validated once into [`Config`] so the rest of the program never sees an invalid value.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use orbit_core::validate::BatchLimits;

use serde::Deserialize;

/// Where `serve` listens when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The storage used when nothing says otherwise.
pub const DEFAULT_STORAGE: &str = "sqlite://data/orbit.db";
/// The built SDK bundle, relative to the working directory.
pub const DEFAULT_SDK_DIR: &str = "sdk-wasm/dist";
/// The demo site, relative to the working directory.
pub const DEFAULT_SITE_DIR: &str = "demo-site";
/// The built-in demo site's id, used when no site is configured.
pub const DEMO_SITE_ID: &str = "demo";
/// The built-in demo site's write key (write keys are public: they sit in page source).
pub const DEMO_WRITE_KEY: &str = "demo-write-key";

/// A site that may send events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The id used in URLs and exports.
    pub id: String,
    /// The public key its pages send with events.
    pub write_key: String,
    /// Origins whose pages may send events (`*` allows any).
    pub allowed_origins: Vec<String>,
    /// Refuse events from known bots instead of storing them flagged.
    pub drop_bots: bool,
}

impl Site {
    /// Whether a browser page at `origin` may send this site's events.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
    }
}

/// Where events are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageUrl {
    /// `sqlite://PATH`: an embedded SQLite database file.
    Sqlite(PathBuf),
}

/// How hard SQLite works to survive a crash before a commit is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: an acknowledged event survives power loss (the default).
    Full,
    /// `synchronous=NORMAL`: survives a collector crash, may lose the last commits on
    /// power loss; faster on slow disks.
    Normal,
}

/// Request limits (the `[limits]` table).
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Largest request body, after decompression.
    pub max_request_bytes: usize,
    /// The per-event limits `orbit-core` checks.
    pub events: BatchLimits,
}

/// Token-bucket rates (the `[rate_limits]` table); a rate of 0 turns a limit off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// Requests per second one client address may send to the ingest endpoints.
    pub client_requests_per_second: f64,
    /// Requests a client may send at once before its rate applies.
    pub client_burst: f64,
    /// Events per second one site may send.
    pub site_events_per_second: f64,
    /// Events a site may send at once before its rate applies.
    pub site_burst: f64,
}

/// Connection handling (the `[http]` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Http {
    /// Time a client has to send its request headers.
    pub header_timeout: Duration,
    /// Time a client has to send its request body.
    pub body_timeout: Duration,
    /// Time a whole request may take, storage included.
    pub request_timeout: Duration,
    /// Requests handled at once; more get 503 + Retry-After.
    pub max_concurrent_requests: usize,
}

/// The validated configuration the collector runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The bearer token for read and admin APIs.
    pub admin_token: String,
    /// Whether the token was generated at start (and so must be printed).
    pub admin_token_generated: bool,
    /// The storage backend.
    pub storage: StorageUrl,
    /// The SDK bundle served under `/sdk/`.
    pub sdk_dir: PathBuf,
    /// The static site served at `/`.
    pub site_dir: PathBuf,
    /// The sites that may send events.
    pub sites: Vec<Site>,
    /// Whether `sites` is the built-in demo site.
    pub demo_site: bool,
    /// SQLite's durability mode.
    pub durability: Durability,
    /// A header set by a trusted reverse proxy holding the client address
    /// (`X-Forwarded-For`: its last entry; `X-Real-IP`, …); unset: the socket's address.
    pub client_ip_header: Option<String>,
    /// Store client addresses whole instead of truncated (IPv4 /24, IPv6 /48).
    pub store_full_ip: bool,
    /// Size and shape limits.
    pub limits: Limits,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Timeouts and concurrency.
    pub http: Http,
}

/// Values as given, before validation; `None` means "not given at this layer".
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `listen`.
    pub listen: Option<String>,
    /// `admin_token`.
    pub admin_token: Option<String>,
    /// `storage`.
    pub storage: Option<String>,
    /// `sdk_dir`.
    pub sdk_dir: Option<PathBuf>,
    /// `site_dir`.
    pub site_dir: Option<PathBuf>,
    /// `[[sites]]`.
    #[serde(default)]
    pub sites: Vec<RawSite>,
    /// `durability`: `full` or `normal`.
    pub durability: Option<String>,
    /// `client_ip_header`.
    pub client_ip_header: Option<String>,
    /// `store_full_ip`.
    pub store_full_ip: Option<bool>,
    /// `[limits]`.
    #[serde(default)]
    pub limits: RawLimits,
    /// `[rate_limits]`.
    #[serde(default)]
    pub rate_limits: RawRateLimits,
    /// `[http]`.
    #[serde(default)]
    pub http: RawHttp,
}

/// `[limits]` as given.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// `max_request_bytes`.
    pub max_request_bytes: Option<usize>,
    /// `max_event_bytes`.
    pub max_event_bytes: Option<usize>,
    /// `max_batch_events`.
    pub max_batch_events: Option<usize>,
    /// `max_depth`.
    pub max_depth: Option<usize>,
    /// `max_string_bytes`.
    pub max_string_bytes: Option<usize>,
    /// `max_properties`.
    pub max_properties: Option<usize>,
    /// `max_age_days`.
    pub max_age_days: Option<u32>,
}

/// `[rate_limits]` as given.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimits {
    /// `client_requests_per_second`.
    pub client_requests_per_second: Option<f64>,
    /// `client_burst`.
    pub client_burst: Option<f64>,
    /// `site_events_per_second`.
    pub site_events_per_second: Option<f64>,
    /// `site_burst`.
    pub site_burst: Option<f64>,
}

/// `[http]` as given.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// `header_timeout_seconds`.
    pub header_timeout_seconds: Option<u64>,
    /// `body_timeout_seconds`.
    pub body_timeout_seconds: Option<u64>,
    /// `request_timeout_seconds`.
    pub request_timeout_seconds: Option<u64>,
    /// `max_concurrent_requests`.
    pub max_concurrent_requests: Option<usize>,
}

/// One `[[sites]]` table as given.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    /// `id`.
    pub id: Option<String>,
    /// `write_key`.
    pub write_key: Option<String>,
    /// `allowed_origins`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// `drop_bots`.
    #[serde(default)]
    pub drop_bots: bool,
}

/// A configuration that cannot run, with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A value is invalid.
    #[error("{key}: {message}")]
    Invalid {
        /// The key, as in the file (`sites[1].write_key`) or the environment.
        key: String,
        /// What is wrong and what would be right.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

impl RawConfig {
    /// Reads a TOML config file.
    pub fn from_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Overlays `other` on `self`: every value `other` gives wins; its sites replace these.
    pub fn overlay(mut self, other: RawConfig) -> RawConfig {
        self.listen = other.listen.or(self.listen);
        self.admin_token = other.admin_token.or(self.admin_token);
        self.storage = other.storage.or(self.storage);
        self.sdk_dir = other.sdk_dir.or(self.sdk_dir);
        self.site_dir = other.site_dir.or(self.site_dir);
        if !other.sites.is_empty() {
            self.sites = other.sites;
        }
        self.durability = other.durability.or(self.durability);
        self.client_ip_header = other.client_ip_header.or(self.client_ip_header);
        self.store_full_ip = other.store_full_ip.or(self.store_full_ip);
        let (l, o) = (&mut self.limits, other.limits);
        l.max_request_bytes = o.max_request_bytes.or(l.max_request_bytes);
        l.max_event_bytes = o.max_event_bytes.or(l.max_event_bytes);
        l.max_batch_events = o.max_batch_events.or(l.max_batch_events);
        l.max_depth = o.max_depth.or(l.max_depth);
        l.max_string_bytes = o.max_string_bytes.or(l.max_string_bytes);
        l.max_properties = o.max_properties.or(l.max_properties);
        l.max_age_days = o.max_age_days.or(l.max_age_days);
        let (r, o) = (&mut self.rate_limits, other.rate_limits);
        r.client_requests_per_second = o
            .client_requests_per_second
            .or(r.client_requests_per_second);
        r.client_burst = o.client_burst.or(r.client_burst);
        r.site_events_per_second = o.site_events_per_second.or(r.site_events_per_second);
        r.site_burst = o.site_burst.or(r.site_burst);
        let (h, o) = (&mut self.http, other.http);
        h.header_timeout_seconds = o.header_timeout_seconds.or(h.header_timeout_seconds);
        h.body_timeout_seconds = o.body_timeout_seconds.or(h.body_timeout_seconds);
        h.request_timeout_seconds = o.request_timeout_seconds.or(h.request_timeout_seconds);
        h.max_concurrent_requests = o.max_concurrent_requests.or(h.max_concurrent_requests);
        self
    }

    /// Validates into the configuration the collector runs with.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let listen_text = self.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text.parse().map_err(|_| {
            invalid(
                "listen",
                format!("{listen_text:?} is not an IP:PORT address such as 127.0.0.1:8080"),
            )
        })?;
        let storage = parse_storage_url(self.storage.as_deref().unwrap_or(DEFAULT_STORAGE))?;
        let (admin_token, admin_token_generated) = match self.admin_token {
            Some(token) if token.len() < 16 => {
                return Err(invalid(
                    "admin_token",
                    "must be at least 16 characters (it guards every admin API)",
                ))
            }
            Some(token) => (token, false),
            None => (generate_token()?, true),
        };
        let durability = match self.durability.as_deref() {
            None | Some("full") => Durability::Full,
            Some("normal") => Durability::Normal,
            Some(other) => {
                return Err(invalid(
                    "durability",
                    format!(
                    "{other:?} is not a mode; use \"full\" (safe against power loss) or \"normal\""
                ),
                ))
            }
        };
        let client_ip_header = match self.client_ip_header.filter(|h| !h.is_empty()) {
            Some(name) if axum::http::HeaderName::try_from(name.as_str()).is_err() => {
                return Err(invalid(
                    "client_ip_header",
                    format!("{name:?} is not an HTTP header name (e.g. X-Forwarded-For)"),
                ))
            }
            other => other.map(|h| h.to_ascii_lowercase()),
        };
        let limits = validate_limits(&self.limits)?;
        let rate_limits = validate_rate_limits(&self.rate_limits)?;
        let http = validate_http(&self.http)?;
        let demo_site = self.sites.is_empty();
        let sites = if demo_site {
            vec![Site {
                id: DEMO_SITE_ID.to_owned(),
                write_key: DEMO_WRITE_KEY.to_owned(),
                allowed_origins: vec![
                    "http://127.0.0.1:8080".to_owned(),
                    "http://localhost:8080".to_owned(),
                ],
                drop_bots: false,
            }]
        } else {
            validate_sites(self.sites)?
        };
        Ok(Config {
            listen,
            admin_token,
            admin_token_generated,
            storage,
            sdk_dir: self
                .sdk_dir
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SDK_DIR)),
            site_dir: self
                .site_dir
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SITE_DIR)),
            sites,
            demo_site,
            durability,
            client_ip_header,
            store_full_ip: self.store_full_ip.unwrap_or(false),
            limits,
            rate_limits,
            http,
        })
    }
}

/// Reads `ORBIT_SITES`: `id:write_key:origin1,origin2;id2:key2:*`.
pub fn parse_sites_env(text: &str) -> Result<Vec<RawSite>, ConfigError> {
    text.split(';')
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            let mut parts = entry.trim().splitn(3, ':');
            let (Some(id), Some(key)) = (parts.next(), parts.next()) else {
                return Err(invalid(
                    "ORBIT_SITES",
                    format!("{entry:?} should be id:write_key:origin1,origin2"),
                ));
            };
            let origins = parts
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
            Ok(RawSite {
                id: Some(id.to_owned()),
                write_key: Some(key.to_owned()),
                allowed_origins: origins,
                drop_bots: false,
            })
        })
        .collect()
}

fn parse_storage_url(url: &str) -> Result<StorageUrl, ConfigError> {
    match url.split_once("://") {
        Some(("sqlite", path)) if !path.is_empty() => Ok(StorageUrl::Sqlite(PathBuf::from(path))),
        _ => Err(invalid(
            "storage",
            format!("{url:?} is not supported; use sqlite://PATH (e.g. sqlite://data/orbit.db)"),
        )),
    }
}

fn validate_sites(raw: Vec<RawSite>) -> Result<Vec<Site>, ConfigError> {
    let mut sites: Vec<Site> = Vec::with_capacity(raw.len());
    for (i, site) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("sites[{i}].{field}");
        let id = site
            .id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| invalid(key("id"), "every site needs an id"))?;
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(key("id"), "use letters, digits, '-' and '_' only"));
        }
        let write_key = site
            .write_key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| invalid(key("write_key"), "every site needs a write_key"))?;
        for origin in &site.allowed_origins {
            if origin != "*" && !is_origin(origin) {
                return Err(invalid(
                    key("allowed_origins"),
                    format!("{origin:?} is not an origin like https://example.com (no path)"),
                ));
            }
        }
        if sites.iter().any(|s| s.id == id) {
            return Err(invalid(key("id"), format!("{id:?} is used by two sites")));
        }
        if sites.iter().any(|s| s.write_key == write_key) {
            return Err(invalid(key("write_key"), "two sites share this write key"));
        }
        sites.push(Site {
            id,
            write_key,
            allowed_origins: site.allowed_origins,
            drop_bots: site.drop_bots,
        });
    }
    Ok(sites)
}

/// A count that must be at least `min`, defaulting to `default`.
fn at_least(
    key: &str,
    value: Option<usize>,
    default: usize,
    min: usize,
) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v >= min => Ok(v),
        Some(v) => Err(invalid(
            key,
            format!("{v} is too small; the minimum is {min}"),
        )),
    }
}

fn validate_limits(raw: &RawLimits) -> Result<Limits, ConfigError> {
    let defaults = BatchLimits::default();
    let max_age_days = match raw.max_age_days {
        None => (defaults.max_age_ms / DAY_MS) as u32,
        Some(0) => return Err(invalid("limits.max_age_days", "must be at least 1")),
        Some(days) => days,
    };
    let events = BatchLimits {
        max_event_bytes: at_least(
            "limits.max_event_bytes",
            raw.max_event_bytes,
            defaults.max_event_bytes,
            1024,
        )?,
        max_batch_events: at_least(
            "limits.max_batch_events",
            raw.max_batch_events,
            defaults.max_batch_events,
            1,
        )?,
        max_depth: at_least("limits.max_depth", raw.max_depth, defaults.max_depth, 4)?,
        max_string_bytes: at_least(
            "limits.max_string_bytes",
            raw.max_string_bytes,
            defaults.max_string_bytes,
            256,
        )?,
        max_properties: at_least(
            "limits.max_properties",
            raw.max_properties,
            defaults.max_properties,
            16,
        )?,
        max_age_ms: i64::from(max_age_days) * DAY_MS,
        ..defaults
    };
    let max_request_bytes = at_least(
        "limits.max_request_bytes",
        raw.max_request_bytes,
        orbit_core::limits::MAX_BATCH_BYTES,
        events.max_event_bytes,
    )?;
    Ok(Limits {
        max_request_bytes,
        events,
    })
}

/// Default rates: far above what real visitors send (a browser sends about one request
/// every few seconds), low enough that one runaway client cannot starve the rest.
pub const DEFAULT_RATE_LIMITS: RateLimits = RateLimits {
    client_requests_per_second: 100.0,
    client_burst: 1_000.0,
    site_events_per_second: 20_000.0,
    site_burst: 200_000.0,
};

fn validate_rate_limits(raw: &RawRateLimits) -> Result<RateLimits, ConfigError> {
    let check = |key: &str, value: Option<f64>, default: f64| match value {
        None => Ok(default),
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Some(v) => Err(invalid(
            key,
            format!("{v} is not a rate; use a number ≥ 0 (0 turns the limit off)"),
        )),
    };
    let d = DEFAULT_RATE_LIMITS;
    Ok(RateLimits {
        client_requests_per_second: check(
            "rate_limits.client_requests_per_second",
            raw.client_requests_per_second,
            d.client_requests_per_second,
        )?,
        client_burst: check("rate_limits.client_burst", raw.client_burst, d.client_burst)?,
        site_events_per_second: check(
            "rate_limits.site_events_per_second",
            raw.site_events_per_second,
            d.site_events_per_second,
        )?,
        site_burst: check("rate_limits.site_burst", raw.site_burst, d.site_burst)?,
    })
}

/// Default timeouts and concurrency.
pub const DEFAULT_HTTP: Http = Http {
    header_timeout: Duration::from_secs(10),
    body_timeout: Duration::from_secs(30),
    request_timeout: Duration::from_secs(60),
    max_concurrent_requests: 4096,
};

fn validate_http(raw: &RawHttp) -> Result<Http, ConfigError> {
    let seconds = |key: &str, value: Option<u64>, default: Duration| match value {
        None => Ok(default),
        Some(0) => Err(invalid(key, "must be at least 1 second")),
        Some(s) => Ok(Duration::from_secs(s)),
    };
    Ok(Http {
        header_timeout: seconds(
            "http.header_timeout_seconds",
            raw.header_timeout_seconds,
            DEFAULT_HTTP.header_timeout,
        )?,
        body_timeout: seconds(
            "http.body_timeout_seconds",
            raw.body_timeout_seconds,
            DEFAULT_HTTP.body_timeout,
        )?,
        request_timeout: seconds(
            "http.request_timeout_seconds",
            raw.request_timeout_seconds,
            DEFAULT_HTTP.request_timeout,
        )?,
        max_concurrent_requests: at_least(
            "http.max_concurrent_requests",
            raw.max_concurrent_requests,
            DEFAULT_HTTP.max_concurrent_requests,
            1,
        )?,
    })
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// `scheme://host[:port]` with an http(s) scheme and nothing after the authority.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', ' ', '@'])
}

/// 32 URL-safe characters from the OS random source.
fn generate_token() -> Result<String, ConfigError> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| invalid("admin_token", format!("cannot generate one: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 63)] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: &str, key: &str, origins: &[&str]) -> RawSite {
        RawSite {
            id: Some(id.into()),
            write_key: Some(key.into()),
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            drop_bots: false,
        }
    }

    #[test]
    fn no_configuration_gives_the_demo_site_and_a_generated_token() {
        let config = RawConfig::default().validate().unwrap();
        assert!(config.demo_site);
        assert_eq!(config.sites[0].write_key, DEMO_WRITE_KEY);
        assert!(config.admin_token_generated);
        assert_eq!(config.admin_token.len(), 32);
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(
            config.storage,
            StorageUrl::Sqlite(PathBuf::from("data/orbit.db"))
        );
    }

    #[test]
    fn a_toml_file_is_read_and_later_layers_win() {
        let file: RawConfig = toml::from_str(
            r#"
            listen = "0.0.0.0:9000"
            admin_token = "file-token-0123456789"
            [[sites]]
            id = "shop"
            write_key = "wk"
            allowed_origins = ["https://shop.example.com"]
            "#,
        )
        .unwrap();
        let env = RawConfig {
            admin_token: Some("env-token-0123456789".into()),
            ..RawConfig::default()
        };
        let config = file.overlay(env).validate().unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.admin_token, "env-token-0123456789");
        assert!(!config.demo_site);
        assert!(config.sites[0].allows_origin("https://shop.example.com"));
        assert!(!config.sites[0].allows_origin("https://evil.example.com"));
    }

    #[test]
    fn a_short_admin_token_is_refused_naming_what_it_guards() {
        let raw = RawConfig {
            admin_token: Some("short".into()),
            ..RawConfig::default()
        };
        let error = raw.validate().unwrap_err().to_string();
        assert!(error.contains("at least 16 characters"), "{error}");
        assert!(error.contains("every admin API"), "{error}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let error = toml::from_str::<RawConfig>("listne = \"x\"").unwrap_err();
        assert!(error.to_string().contains("listne"), "{error}");
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            (
                RawConfig {
                    listen: Some("localhost".into()),
                    ..RawConfig::default()
                },
                "listen",
            ),
            (
                RawConfig {
                    storage: Some("postgres://db".into()),
                    ..RawConfig::default()
                },
                "storage",
            ),
            (
                RawConfig {
                    admin_token: Some("short".into()),
                    ..RawConfig::default()
                },
                "admin_token",
            ),
            (
                RawConfig {
                    sites: vec![site("a", "k", &["https://a.test/path"])],
                    ..RawConfig::default()
                },
                "sites[0].allowed_origins",
            ),
            (
                RawConfig {
                    sites: vec![site("a", "k", &[]), site("a", "k2", &[])],
                    ..RawConfig::default()
                },
                "sites[1].id",
            ),
            (
                RawConfig {
                    sites: vec![site("a", "k", &[]), site("b", "k", &[])],
                    ..RawConfig::default()
                },
                "sites[1].write_key",
            ),
            (
                RawConfig {
                    sites: vec![site("a", "", &[])],
                    ..RawConfig::default()
                },
                "sites[0].write_key",
            ),
        ];
        for (raw, key) in cases {
            let error = raw.validate().unwrap_err().to_string();
            assert!(error.starts_with(key), "{error} should name {key}");
        }
    }

    #[test]
    fn sites_from_the_environment_use_a_compact_form() {
        let sites = parse_sites_env("a:k1:https://a.test,http://localhost:3000; b:k2:*").unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0].allowed_origins.len(), 2);
        assert_eq!(sites[1].allowed_origins, ["*"]);
        assert!(parse_sites_env("just-an-id").is_err());
    }
}
