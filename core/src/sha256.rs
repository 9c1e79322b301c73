//! SHA-256 (FIPS 180-4), synchronous and small: the tracker hashes a lead's email before it
//! leaves the browser (`data-hash-email`), where `crypto.subtle.digest` would be async and
//! unavailable on http pages. About 1 KB of wasm.

use alloc::string::String;

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let state = digest(data);
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = state
            .get(i / 4)
            .map_or(0, |w| (w >> (24 - 8 * (i % 4))) as u8);
    }
    out
}

/// The digest of `data` as 64 lower-case hex digits.
pub fn sha256_hex(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for word in digest(data) {
        let mut shift = 32;
        while shift > 0 {
            shift -= 4;
            out.push(char::from(HEX[(word >> shift & 15) as usize]));
        }
    }
    out
}

/// The final state: `data`, the 0x80 marker, zeros and the bit length, read byte by byte
/// into the message schedule's first 16 words (no padded copy of the data: no `Vec`).
fn digest(data: &[u8]) -> [u32; 8] {
    let mut state = INITIAL;
    let mut w = [0u32; 16];
    let len = data.len();
    let bit_len = (len as u64).wrapping_mul(8);
    // The padded length: room for the marker and the 8-byte length, in whole blocks.
    let padded = (len + 9).div_ceil(64) * 64;
    for i in 0..padded {
        let byte = match data.get(i) {
            Some(&b) => b,
            None if i == len => 0x80,
            // The length, big-endian, in the last 8 bytes.
            None if padded - i <= 8 => (bit_len >> (8 * (padded - 1 - i))) as u8,
            None => 0,
        };
        // Big-endian words: each byte shifts the word's earlier bytes up.
        let word = &mut w[(i / 4) & 15];
        *word = *word << 8 | u32::from(byte);
        if i % 64 == 63 {
            compress(&mut state, &mut w);
        }
    }
    state
}

/// One 64-byte block (its 16 big-endian words in `w`) into the state, with the message
/// schedule kept as a ring of 16 words (one loop instead of a schedule loop and a round
/// loop).
fn compress(state: &mut [u32; 8], w: &mut [u32; 16]) {
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (i, k) in K.iter().enumerate() {
        if i >= 16 {
            // w[i] from w[i - 16] (this slot), w[i - 15], w[i - 7] and w[i - 2].
            let w15 = w[(i + 1) & 15];
            let w2 = w[(i + 14) & 15];
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            w[i & 15] = w[i & 15]
                .wrapping_add(s0)
                .wrapping_add(w[(i + 9) & 15])
                .wrapping_add(s1);
        }
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let choice = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(choice)
            .wrapping_add(*k)
            .wrapping_add(w[i & 15]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let majority = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(majority);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    let words = [a, b, c, d, e, f, g, h];
    for i in 0..8 {
        state[i] = state[i].wrapping_add(words[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_fips_180_test_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn agrees_with_the_sha2_crate_across_block_boundaries() {
        use sha2::Digest;
        let data: alloc::vec::Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        for len in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300] {
            let expected = sha2::Sha256::digest(&data[..len]);
            assert_eq!(sha256(&data[..len]), expected.as_slice(), "length {len}");
        }
    }
}
