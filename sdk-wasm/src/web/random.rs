//! Random bytes from `crypto.getRandomValues`, the only random source ids may use.

/// Fills `N` bytes; `None` when the Web Crypto API is unavailable.
pub fn bytes<const N: usize>() -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    fill(&mut buf).then_some(buf)
}

/// Fills `buf` (one copy of the browser call for every `N` above); false without Web Crypto.
fn fill(buf: &mut [u8]) -> bool {
    use wasm_bindgen::JsCast;
    // Without `crypto` the call throws, which the binding turns into an error: no check.
    super::global("crypto")
        .unchecked_into::<web_sys::Crypto>()
        .get_random_values_with_u8_array(buf)
        .is_ok()
}
