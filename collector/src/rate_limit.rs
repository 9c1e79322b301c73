//! Token buckets per client address and per site, so that one runaway sender gets 429s
//! instead of slowing everyone else down.
//!
//! Client addresses are kept in memory only, never stored, and forgotten once their
//! bucket is full again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before idle (full) ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per key: `rate` tokens a second, holding at most `burst`.
pub struct RateLimiter<K> {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash> RateLimiter<K> {
    /// A limiter; a `rate` of 0 lets everything through.
    pub fn new(rate: f64, burst: f64) -> RateLimiter<K> {
        RateLimiter {
            rate,
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` tokens from `key`'s bucket, or says how long until they are there.
    pub fn check(&self, key: K, cost: f64, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(()); // a poisoned limiter must not stop ingest
        };
        if buckets.len() > SWEEP_ABOVE {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| refill(b, now, rate, burst) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let tokens = refill(bucket, now, self.rate, self.burst);
        // A request larger than the burst is allowed from a full bucket (and empties it),
        // so that no single valid request is refused forever.
        let cost = cost.min(self.burst);
        if tokens >= cost {
            bucket.tokens = tokens - cost;
            bucket.updated = now;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((cost - tokens) / self.rate))
        }
    }
}

/// The bucket's tokens at `now` (stored back).
fn refill(bucket: &mut Bucket, now: Instant, rate: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
    bucket.updated = now;
    bucket.tokens
}

/// Whole seconds for a `Retry-After` header: at least 1.
pub fn retry_after_seconds(wait: Duration) -> u32 {
    u32::try_from(wait.as_secs_f64().ceil() as u64)
        .unwrap_or(u32::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let limiter = RateLimiter::new(10.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", 1.0, t0).is_ok());
        }
        let wait = limiter.check("a", 1.0, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        assert!(limiter.check("b", 1.0, t0).is_ok(), "keys are separate");
        assert!(limiter
            .check("a", 1.0, t0 + Duration::from_millis(100))
            .is_ok());
        assert!(limiter
            .check("a", 1.0, t0 + Duration::from_millis(100))
            .is_err());
    }

    #[test]
    fn a_zero_rate_is_no_limit() {
        let limiter = RateLimiter::new(0.0, 0.0);
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.check(1, 100.0, now).is_ok());
        }
    }

    #[test]
    fn a_request_bigger_than_the_burst_passes_from_a_full_bucket() {
        let limiter = RateLimiter::new(100.0, 50.0);
        let now = Instant::now();
        assert!(limiter.check("site", 2500.0, now).is_ok());
        assert!(limiter.check("site", 1.0, now).is_err());
    }

    #[test]
    fn retry_after_is_whole_seconds_and_never_zero() {
        assert_eq!(retry_after_seconds(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
    }
}
