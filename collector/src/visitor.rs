//! Visitor ids for cookieless tracking: the browser stores and sends no id, so the collector
//! derives one from a daily random salt, the site, the truncated client address and the
//! user agent. The same browser gets the same id for a day; salts older than yesterday are
//! deleted, so nobody (the operator included) can link days or recompute an id later.

use std::net::IpAddr;
use std::sync::Mutex;

use orbit_core::validate::truncate_ip;
use sha2::{Digest, Sha256};

use crate::storage::{Storage, StorageError};

/// Prefix of derived ids, so they are told apart from the SDK's UUIDs.
pub const COOKIELESS_ID_PREFIX: &str = "cl-";

/// The current day's salt, kept in memory to spare a database read per request.
#[derive(Default)]
pub struct SaltCache {
    current: Mutex<Option<(i64, [u8; 32])>>,
}

impl SaltCache {
    async fn salt(&self, storage: &dyn Storage, day: i64) -> Result<[u8; 32], StorageError> {
        if let Ok(current) = self.current.lock() {
            if let Some((cached_day, salt)) = *current {
                if cached_day == day {
                    return Ok(salt);
                }
            }
        }
        let salt = storage.daily_salt(day).await?;
        if let Ok(mut current) = self.current.lock() {
            *current = Some((day, salt));
        }
        Ok(salt)
    }

    /// The cookieless visitor id of a request at `now_ms` (UTC days).
    pub async fn visitor_id(
        &self,
        storage: &dyn Storage,
        now_ms: i64,
        site: &str,
        ip: Option<IpAddr>,
        user_agent: &str,
    ) -> Result<String, StorageError> {
        let day = now_ms.div_euclid(86_400_000);
        let salt = self.salt(storage, day).await?;
        Ok(derive(&salt, site, ip, user_agent))
    }
}

/// `cl-` and 32 hex digits of SHA-256(salt, site, truncated address, user agent).
pub fn derive(salt: &[u8; 32], site: &str, ip: Option<IpAddr>, user_agent: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    for part in [
        site.as_bytes(),
        ip.map(truncate_ip)
            .map(|ip| ip.to_string())
            .unwrap_or_default()
            .as_bytes(),
        user_agent.as_bytes(),
    ] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut id = String::from(COOKIELESS_ID_PREFIX);
    for b in &digest[..16] {
        orbit_core::id::push_hex_byte(&mut id, *b);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_depends_on_salt_site_network_and_browser_only() {
        let salt = [7u8; 32];
        let ip = "203.0.113.9".parse().ok();
        let a = derive(&salt, "shop", ip, "UA");
        assert!(a.starts_with("cl-") && a.len() == 35, "{a}");
        assert_eq!(
            a,
            derive(&salt, "shop", "203.0.113.200".parse().ok(), "UA"),
            "same /24"
        );
        assert_ne!(a, derive(&[8u8; 32], "shop", ip, "UA"), "another day");
        assert_ne!(a, derive(&salt, "blog", ip, "UA"), "another site");
        assert_ne!(a, derive(&salt, "shop", "198.51.100.9".parse().ok(), "UA"));
        assert_ne!(a, derive(&salt, "shop", ip, "Other UA"));
    }
}
