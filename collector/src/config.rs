//! The collector's configuration: a TOML file, then environment variables, then flags,
//! validated once into [`Config`] so the rest of the program never sees an invalid value.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
                    "must be at least 16 characters (it guards every read API)",
                ))
            }
            Some(token) => (token, false),
            None => (generate_token()?, true),
        };
        let demo_site = self.sites.is_empty();
        let sites = if demo_site {
            vec![Site {
                id: DEMO_SITE_ID.to_owned(),
                write_key: DEMO_WRITE_KEY.to_owned(),
                allowed_origins: vec![
                    "http://127.0.0.1:8080".to_owned(),
                    "http://localhost:8080".to_owned(),
                ],
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
        });
    }
    Ok(sites)
}

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
