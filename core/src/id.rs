//! UUIDv7 identifiers: time-ordered, so ids sort by creation and index well in storage.
//!
//! The caller supplies the clock and the random bytes (the browser's `crypto.getRandomValues`,
//! or a fixed source in tests), so this stays deterministic and testable.

use alloc::string::String;

/// Random bytes a UUIDv7 needs besides the timestamp.
pub const UUID_RANDOM_BYTES: usize = 10;

/// Formats a UUIDv7 (RFC 9562) from Unix milliseconds and 10 random bytes.
pub fn uuid_v7(unix_ms: u64, random: [u8; UUID_RANDOM_BYTES]) -> String {
    // Destructured rather than sliced: no index checks, so no panic paths in the bundle.
    let [_, _, t0, t1, t2, t3, t4, t5] = unix_ms.to_be_bytes();
    let [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9] = random;
    let bytes = [
        t0,
        t1,
        t2,
        t3,
        t4,
        t5,
        0x70 | (r0 & 0x0f), // version 7
        r1,
        0x80 | (r2 & 0x3f), // variant 10
        r3,
        r4,
        r5,
        r6,
        r7,
        r8,
        r9,
    ];
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        push_hex_byte(&mut out, *b);
    }
    out
}

/// Appends a byte as two lowercase hex digits (no `core::fmt`: it costs ~13 KB in the SDK).
pub fn push_hex_byte(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 0x0f) as usize] as char);
}

/// Whether `s` has the shape of a UUID of any version (8-4-4-4-12 hex digits).
pub fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36
        && s.as_bytes().iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v7_carries_time_version_and_variant() {
        let id = uuid_v7(0x0192_3456_789a, [0xff; 10]);
        assert_eq!(id, "01923456-789a-7fff-bfff-ffffffffffff");
        assert!(looks_like_uuid(&id));
    }

    #[test]
    fn uuid_v7_sorts_by_time() {
        let a = uuid_v7(1_700_000_000_000, [0xff; 10]);
        let b = uuid_v7(1_700_000_000_001, [0x00; 10]);
        assert!(a < b);
    }

    #[test]
    fn non_uuids_are_recognised() {
        assert!(!looks_like_uuid("not-a-uuid"));
        assert!(!looks_like_uuid("01923456-789a-7fff-bfff-fffffffffffg"));
        assert!(!looks_like_uuid("01923456x789a-7fff-bfff-ffffffffffff"));
    }
}
