//! Random bytes from `crypto.getRandomValues`, the only random source ids may use.

/// Fills `N` bytes; `None` when the Web Crypto API is unavailable.
pub fn bytes<const N: usize>() -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    let crypto = super::window()?.crypto().ok()?;
    crypto.get_random_values_with_u8_array(&mut buf).ok()?;
    Some(buf)
}
