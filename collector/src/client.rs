//! Who sent a request: the client address from the socket, or from the header of a
//! trusted reverse proxy when the operator configured one.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The client's address. With `proxy_header` set, its value wins: for `X-Forwarded-For`
/// the last entry (the one the trusted proxy appended; earlier ones are the client's own
/// claims), for any other header its whole value. A missing or unreadable header falls
/// back to the socket's address.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    proxy_header: Option<&str>,
) -> Option<IpAddr> {
    let from_header = proxy_header
        .and_then(|name| headers.get(name))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(parse_address);
    from_header.or_else(|| peer.map(|p| p.ip()))
}

/// `203.0.113.9`, `2001:db8::1`, `[2001:db8::1]:443` or `203.0.113.9:5000`.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_socket_address_is_used_unless_a_proxy_header_is_configured() {
        let peer: SocketAddr = "198.51.100.7:40000".parse().unwrap();
        let h = headers("x-forwarded-for", "203.0.113.1");
        assert_eq!(client_ip(&h, Some(peer), None), Some(peer.ip()));
        assert_eq!(
            client_ip(&h, Some(peer), Some("x-forwarded-for")),
            "203.0.113.1".parse().ok()
        );
    }

    #[test]
    fn the_last_forwarded_entry_is_the_trusted_one() {
        let h = headers(
            "x-forwarded-for",
            "10.0.0.1, 203.0.113.1 , [2001:db8::5]:443",
        );
        assert_eq!(
            client_ip(&h, None, Some("x-forwarded-for")),
            "2001:db8::5".parse().ok()
        );
        let garbage = headers("x-forwarded-for", "unknown");
        let peer: SocketAddr = "198.51.100.7:40000".parse().unwrap();
        assert_eq!(
            client_ip(&garbage, Some(peer), Some("x-forwarded-for")),
            Some(peer.ip())
        );
    }
}
