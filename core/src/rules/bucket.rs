//! Deterministic bucketing: the same visitor always lands in the same place.
//!
//! Hash version 1 (`"hash_version": 1` in documents):
//!
//! ```text
//! h1     = fnv1a32(seed + "|" + salt + "|" + visitor_id)      // UTF-8 bytes
//! h2     = fnv1a32(decimal(h1))                               // e.g. "2166136261"
//! bucket = (h2 mod 10000) / 10000                             // in [0, 1), steps of 0.0001
//! ```
//!
//! Hashing twice spreads similar seeds apart, as GrowthBook's hash v2 does. Separate salts
//! make "held out?", "in the experiment?" and "which variant?" independent: raising an
//! experiment's traffic adds visitors without moving anyone between variants.

use crate::json::push_u64;
use alloc::string::String;

/// The hashing scheme's version; a new scheme gets a new number so documents can pin one.
pub const HASH_VERSION: u32 = 1;

/// The salt for "is this visitor in the site-wide holdout?".
pub const SALT_HOLDOUT: &str = "holdout";
/// The salt for "is this visitor in the experiment's traffic?".
pub const SALT_TRAFFIC: &str = "traffic";
/// The salt for "which variant does this visitor see?".
pub const SALT_VARIANT: &str = "variant";

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// 32-bit FNV-1a over the concatenation of `parts`.
pub fn fnv1a32(parts: &[&[u8]]) -> u32 {
    let mut hash = FNV_OFFSET;
    for part in parts {
        for &b in *part {
            hash ^= u32::from(b);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// The visitor's bucket in [0, 1) for this seed and salt (hash version 1).
pub fn bucket(seed: &str, salt: &str, visitor_id: &str) -> f64 {
    let h1 = fnv1a32(&[
        seed.as_bytes(),
        b"|",
        salt.as_bytes(),
        b"|",
        visitor_id.as_bytes(),
    ]);
    let mut digits = String::with_capacity(10);
    push_u64(&mut digits, u64::from(h1));
    let h2 = fnv1a32(&[digits.as_bytes()]);
    f64::from(h2 % 10_000) / 10_000.0
}

/// Whether a bucket falls in the first `percent` % of [0, 1).
pub(crate) fn within_percent(bucket: f64, percent: f64) -> bool {
    bucket < percent / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a32_matches_the_reference_vectors() {
        assert_eq!(fnv1a32(&[b""]), 0x811c_9dc5);
        assert_eq!(fnv1a32(&[b"a"]), 0xe40c_292c);
        assert_eq!(fnv1a32(&[b"foobar"]), 0xbf9c_f968);
        assert_eq!(fnv1a32(&[b"foo", b"bar"]), 0xbf9c_f968);
    }

    #[test]
    fn buckets_are_stable_and_in_range() {
        let b = bucket("hero-test", SALT_VARIANT, "visitor-1");
        assert_eq!(b, bucket("hero-test", SALT_VARIANT, "visitor-1"));
        assert!((0.0..1.0).contains(&b));
    }

    #[test]
    fn salts_make_traffic_and_variant_independent() {
        let same = (0..1000)
            .filter(|i| {
                let id = alloc::format!("v{i}");
                bucket("e", SALT_TRAFFIC, &id) == bucket("e", SALT_VARIANT, &id)
            })
            .count();
        assert!(same < 5, "{same}");
    }

    #[test]
    fn buckets_are_close_to_uniform() {
        let mut counts = [0u32; 10];
        for i in 0..20_000 {
            let id = alloc::format!("visitor-{i}");
            let b = bucket("seed", SALT_VARIANT, &id);
            counts[(b * 10.0) as usize] += 1;
        }
        for c in counts {
            assert!((1_800..2_200).contains(&c), "{counts:?}");
        }
        assert!(within_percent(0.0499, 5.0));
        assert!(!within_percent(0.05, 5.0));
        assert!(within_percent(0.9999, 100.0));
        assert!(!within_percent(0.0, 0.0));
    }
}
