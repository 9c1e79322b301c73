//! The tracker's policies, without a browser: sessions, retries and the event queue.
//!
//! The SDK owns the clock, storage, randomness and transport and passes what they gave into
//! these functions (STYLE.md: "pass the world in"), so every decision the tracker makes about
//! when a session starts, when to retry and what to drop is tested natively in milliseconds.
//!
//! - [`session`]: when a visit starts and ends, first touch, and its storage string.
//! - [`backoff`]: how long to wait before resending a batch, and which answers deserve it.
//! - [`queue`]: the bounded queue of unsent events, its flush triggers and its storage string.

pub mod backoff;
pub mod queue;
pub mod session;

/// Reads a plain decimal `u64` (ASCII digits only, no sign); `None` on anything else or on
/// overflow, so stored and received numbers are checked, never trusted.
pub fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.as_bytes().iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // `n * 10 + digit` fits exactly when this holds (no 128-bit overflow check).
        let digit = u64::from(digit);
        (n <= (u64::MAX - digit) / 10).then(|| n * 10 + digit)
    })
}
