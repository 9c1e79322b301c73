//! RFC 3339 timestamps to and from Unix milliseconds, without a date library.
//!
//! Events carry ISO-8601 strings on the wire; storage, clock-skew correction and reports
//! work in milliseconds. Dates use the proleptic Gregorian calendar (Hinnant's algorithms).

use alloc::string::String;

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form `Date.toISOString` gives.
pub fn format_rfc3339_ms(unix_ms: i64) -> String {
    let mut out = String::with_capacity(24);
    push_rfc3339_ms(&mut out, unix_ms);
    out
}

/// Appends [`format_rfc3339_ms`]'s text to `out`, without a string of its own.
pub fn push_rfc3339_ms(out: &mut String, unix_ms: i64) {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    push_padded(out, y, 4);
    out.push('-');
    push_padded(out, m as i64, 2);
    out.push('-');
    push_padded(out, d as i64, 2);
    out.push('T');
    push_padded(out, ms_of_day / 3_600_000, 2);
    out.push(':');
    push_padded(out, ms_of_day / 60_000 % 60, 2);
    out.push(':');
    push_padded(out, ms_of_day / 1000 % 60, 2);
    out.push('.');
    push_padded(out, ms_of_day % 1000, 3);
    out.push('Z');
}

/// Reads an RFC 3339 date-time (`2026-11-22T10:00:00.000Z`, `…+01:00`; fractions of any
/// length, truncated to milliseconds) as Unix milliseconds; `None` when it is not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Year, month, day, hour, minute, second.
    let mut f = [0i64; 6];
    if b.len() < 20 || !fields(b, b"0000-00-00T00:00:00", &mut f) {
        return None;
    }
    let [year, month, day, hour, minute, second] = f;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = b.get(19..)?;
    let mut millis = 0i64;
    if rest.first() == Some(&b'.') {
        let mut i = 1;
        while let Some(c) = rest.get(i).filter(|c| c.is_ascii_digit()) {
            if i <= 3 {
                millis = millis * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        if i == 1 {
            return None;
        }
        for _ in i..4 {
            millis *= 10;
        }
        rest = rest.get(i..)?;
    }
    // The offset's sign (a separator), hours and minutes.
    let mut offset = [0i64; 3];
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign, ..] if rest.len() == 6 && fields(rest, b"+00:00", &mut offset) => {
            let [_, h, m] = offset;
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as u32, day as u32);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Reads the start of `b` laid out as `pattern`: `0` is a digit, `T` also `t` or a space,
/// `+` also `-`, any other byte itself. The numbers between the separators go into `out`,
/// one after each separator (`out[0]` is what comes before the first). One table-driven
/// loop instead of a check per position (a smaller bundle).
fn fields(b: &[u8], pattern: &[u8], out: &mut [i64]) -> bool {
    let mut k = 0;
    for (i, &p) in pattern.iter().enumerate() {
        let Some(&c) = b.get(i) else {
            return false;
        };
        if p == b'0' {
            if !c.is_ascii_digit() {
                return false;
            }
            if let Some(n) = out.get_mut(k) {
                *n = *n * 10 + i64::from(c - b'0');
            }
        } else if c == p || (p == b'T' && matches!(c, b't' | b' ')) || (p == b'+' && c == b'-') {
            k += 1;
        } else {
            return false;
        }
    }
    true
}

fn push_padded(out: &mut String, value: i64, width: usize) {
    let mut text = String::new();
    crate::json::push_u64(&mut text, value.unsigned_abs());
    if value < 0 {
        out.push('-');
    }
    for _ in text.len()..width {
        out.push('0');
    }
    out.push_str(&text);
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_date_to_iso_string() {
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339_ms(1_795_341_600_123),
            "2026-11-22T10:00:00.123Z"
        );
        assert_eq!(
            format_rfc3339_ms(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn parses_what_it_formats_over_centuries() {
        let mut ms = -2_000_000_000_000i64;
        while ms < 5_000_000_000_000 {
            assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Some(ms));
            ms += 86_399_999_937;
        }
    }

    #[test]
    fn parses_offsets_and_fraction_lengths() {
        let base = parse_rfc3339_ms("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(base, 1_795_341_600_000);
        assert_eq!(parse_rfc3339_ms("2026-11-22T11:30:00+01:30"), Some(base));
        assert_eq!(parse_rfc3339_ms("2026-11-22T05:00:00-05:00"), Some(base));
        assert_eq!(parse_rfc3339_ms("2026-11-22T10:00:00.5Z"), Some(base + 500));
        assert_eq!(
            parse_rfc3339_ms("2026-11-22T10:00:00.123456789Z"),
            Some(base + 123)
        );
        assert_eq!(parse_rfc3339_ms("2026-11-22 10:00:00z"), Some(base));
    }

    #[test]
    fn rejects_what_is_not_a_date_time() {
        for bad in [
            "",
            "yesterday",
            "2026-11-22",
            "2026-11-22T10:00:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:00:00.Z",
            "2026-11-22T10:00:00+0100",
            "2026-11-22T10:00:00Zjunk",
            "+026-11-22T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }
}
