//! When to resend a batch that did not arrive, and which answers deserve a resend.
//!
//! Delays grow exponentially with "equal jitter" (AWS Architecture Blog, "Exponential Backoff
//! and Jitter"): half of each step is fixed and half is random, so a collector that comes back
//! after an outage is not hit by every browser at once, yet no retry comes sooner than half its
//! step. The caller passes the random number, so the schedule is deterministic in tests.

use super::parse_u64;
use crate::time::parse_rfc3339_ms;

/// The shortest wait before a retry: the first retry's step.
pub const MIN_BACKOFF_MS: u64 = 1_000;
/// The longest wait before a retry, even when the collector asks for more (5 minutes).
pub const MAX_BACKOFF_MS: u64 = 300_000;

/// What to do with a batch after the collector's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Stored (or knowingly rejected per event): remove it from the queue.
    Delivered,
    /// The network or the collector failed for now: keep it and retry later.
    Retry,
    /// The collector refused the request itself and will refuse it again: drop it.
    Drop,
}

/// The wait before retry number `attempt` (0 for the first retry): a step of 1 s, 2 s, 4 s, …
/// up to [`MAX_BACKOFF_MS`], of which the upper half is chosen by `jitter`; never below
/// [`MIN_BACKOFF_MS`].
pub fn backoff_ms(attempt: u32, jitter: u32) -> u64 {
    // 1 s << 9 already exceeds the cap, so larger attempts need no shift (and cannot overflow).
    let step = (MIN_BACKOFF_MS << attempt.min(9)).min(MAX_BACKOFF_MS);
    let half = step / 2;
    (half + u64::from(jitter) % (half + 1)).max(MIN_BACKOFF_MS)
}

/// The wait before retry number `attempt`, honouring the collector's `Retry-After` when it
/// asks for longer than the backoff, and never more than [`MAX_BACKOFF_MS`].
pub fn retry_delay_ms(attempt: u32, jitter: u32, retry_after_ms: Option<u64>) -> u64 {
    backoff_ms(attempt, jitter)
        .max(retry_after_ms.unwrap_or(0))
        .min(MAX_BACKOFF_MS)
}

/// Sorts an HTTP status into what to do with the batch; 0 stands for a network error (fetch
/// rejected, or `sendBeacon` refused).
///
/// 408, 429 and 5xx are temporary; any other 4xx (bad key, bad body, too large) would fail the
/// same way again. Statuses that a followed `fetch` never ends on (1xx, 3xx) are dropped too,
/// since retrying a misconfigured endpoint forever would only fill the queue.
pub fn classify(status: u16) -> SendOutcome {
    match status {
        200..=299 => SendOutcome::Delivered,
        0 | 408 | 429 | 500..=599 => SendOutcome::Retry,
        _ => SendOutcome::Drop,
    }
}

/// Reads a `Retry-After` header in its delta-seconds form only (`120` → 120,000 ms); the
/// browser bundle uses this one, since Orbit's collector sends seconds and the date form's
/// parser costs ~2 KB there.
pub fn parse_retry_after_seconds(value: &str) -> Option<u64> {
    let value = crate::text::trim(value);
    if value.is_empty() || !value.as_bytes().iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Saturating, compared rather than `saturating_mul` (a 128-bit multiply in wasm).
    Some(match parse_u64(value) {
        Some(s) if s <= u64::MAX / 1000 => s * 1000,
        _ => u64::MAX,
    })
}

/// Reads a `Retry-After` header as a wait in milliseconds from `now_ms`: delta-seconds
/// (`120`) or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`; a date in the past is 0).
///
/// `None` for anything else, including the obsolete RFC 850 and asctime date forms. A
/// number too large for `u64` saturates: [`retry_delay_ms`] caps it anyway.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    if let Some(ms) = parse_retry_after_seconds(value) {
        return Some(ms);
    }
    let date_ms = u64::try_from(parse_imf_fixdate(value)?).unwrap_or(0);
    Some(date_ms.saturating_sub(now_ms))
}

/// Reads `Sun, 06 Nov 1994 08:49:37 GMT` as Unix ms by rearranging it into RFC 3339 for
/// [`parse_rfc3339_ms`], which checks the digits and ranges. The weekday is not checked.
fn parse_imf_fixdate(value: &str) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let b = value.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' {
        return None;
    }
    let month = MONTHS.iter().position(|m| m[..] == b[8..11])? as u8 + 1;
    // YYYY-MM-DDTHH:MM:SSZ
    let mut rfc3339 = *b"0000-00-00T00:00:00Z";
    rfc3339[..4].copy_from_slice(&b[12..16]);
    rfc3339[5] = b'0' + month / 10;
    rfc3339[6] = b'0' + month % 10;
    rfc3339[8..10].copy_from_slice(&b[5..7]);
    rfc3339[11..19].copy_from_slice(&b[17..25]);
    parse_rfc3339_ms(core::str::from_utf8(&rfc3339).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_from_one_second_to_the_cap() {
        let steps = [
            1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
        ];
        for (attempt, step) in (0..).zip(steps) {
            // A jitter of half the step reaches the top of the step.
            assert_eq!(
                backoff_ms(attempt, (step / 2) as u32),
                step,
                "attempt {attempt}"
            );
        }
        assert_eq!(backoff_ms(0, 0), MIN_BACKOFF_MS);
        assert_eq!(backoff_ms(3, 0), 4_000);
        assert_eq!(backoff_ms(3, 4_000), 8_000);
        assert_eq!(backoff_ms(20, 150_000), MAX_BACKOFF_MS);
    }

    #[test]
    fn delays_stay_within_half_a_step_and_the_bounds_for_any_input() {
        for attempt in (0..40).chain([1_000, u32::MAX - 1, u32::MAX]) {
            let step = if attempt >= 9 {
                MAX_BACKOFF_MS
            } else {
                MIN_BACKOFF_MS << attempt
            };
            let step = step.min(MAX_BACKOFF_MS);
            for jitter in [0, 1, 499, 500, 1_000, 12_345, 150_000, 150_001, u32::MAX] {
                let d = backoff_ms(attempt, jitter);
                assert!(
                    (MIN_BACKOFF_MS..=MAX_BACKOFF_MS).contains(&d),
                    "{attempt} {jitter}"
                );
                assert!(d >= step / 2 && d <= step, "{attempt} {jitter} {d}");
                assert_eq!(d, backoff_ms(attempt, jitter), "deterministic");
            }
        }
    }

    #[test]
    fn jitter_spreads_retries_over_the_upper_half_of_the_step() {
        let mut seen = alloc::collections::BTreeSet::new();
        for jitter in 0..4_001 {
            seen.insert(backoff_ms(3, jitter));
        }
        assert_eq!(seen.len(), 4_001);
        assert_eq!(seen.first(), Some(&4_000));
        assert_eq!(seen.last(), Some(&8_000));
    }

    #[test]
    fn retry_after_wins_when_longer_and_is_still_capped() {
        assert_eq!(retry_delay_ms(0, 0, None), 1_000);
        assert_eq!(retry_delay_ms(0, 0, Some(30_000)), 30_000);
        assert_eq!(retry_delay_ms(5, 16_000, Some(3_000)), 32_000);
        assert_eq!(retry_delay_ms(0, 0, Some(0)), 1_000);
        assert_eq!(retry_delay_ms(0, 0, Some(3_600_000)), MAX_BACKOFF_MS);
        assert_eq!(
            retry_delay_ms(u32::MAX, u32::MAX, Some(u64::MAX)),
            MAX_BACKOFF_MS
        );
    }

    #[test]
    fn statuses_are_sorted_into_delivered_retry_and_drop() {
        for status in [200, 201, 202, 204, 207, 299] {
            assert_eq!(classify(status), SendOutcome::Delivered, "{status}");
        }
        for status in [0, 408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(classify(status), SendOutcome::Retry, "{status}");
        }
        for status in [400, 401, 403, 404, 405, 409, 413, 415, 422, 499] {
            assert_eq!(classify(status), SendOutcome::Drop, "{status}");
        }
        for status in [1, 100, 199, 301, 304, 399, 600, u16::MAX] {
            assert_eq!(classify(status), SendOutcome::Drop, "{status}");
        }
    }

    #[test]
    fn retry_after_seconds_are_read_as_milliseconds() {
        assert_eq!(parse_retry_after("120", 0), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(0));
        assert_eq!(parse_retry_after("007", 0), Some(7_000));
        assert_eq!(parse_retry_after("18446744073709551615", 0), Some(u64::MAX));
        assert_eq!(
            parse_retry_after("99999999999999999999999", 0),
            Some(u64::MAX)
        );
    }

    #[test]
    fn numbers_read_like_str_parse_and_saturate_like_saturating_mul() {
        let max = u64::MAX;
        for n in [
            0,
            9,
            10,
            max / 1000,
            max / 1000 + 1,
            max / 10,
            max / 10 + 1,
            max - 1,
            max,
        ] {
            let mut texts = alloc::vec![alloc::string::ToString::to_string(&n)];
            for d in 0..10u64 {
                texts.push(alloc::format!("{n}{d}"));
            }
            for text in texts {
                assert_eq!(parse_u64(&text), text.parse::<u64>().ok(), "{text}");
                assert_eq!(
                    parse_retry_after_seconds(&text),
                    Some(text.parse::<u64>().map_or(max, |s| s.saturating_mul(1000))),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn retry_after_dates_are_read_relative_to_now() {
        let now = crate::time::parse_rfc3339_ms("1994-11-06T08:49:00Z").unwrap() as u64;
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(37_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:48:00 GMT", now),
            Some(0)
        );
        let new_year = crate::time::parse_rfc3339_ms("2027-01-01T00:00:00Z").unwrap() as u64;
        assert_eq!(
            parse_retry_after("Fri, 01 Jan 2027 00:00:05 GMT", new_year),
            Some(5_000)
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 5),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Tue, 29 Feb 2028 23:59:59 GMT", 0).map(|d| d > 0),
            Some(true)
        );
    }

    #[test]
    fn anything_else_is_no_retry_after() {
        for value in [
            "",
            "  ",
            "-1",
            "+5",
            "1.5",
            "5s",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 19x4 08:49:37 GMT",
            "Sun, 06 Nov 1994 08-49-37 GMT",
            "Mon, 29 Feb 2027 00:00:00 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 GMTé",
            "ééééééééééééééééééééééééééééé",
        ] {
            assert_eq!(parse_retry_after(value, 0), None, "{value:?}");
        }
    }
}
