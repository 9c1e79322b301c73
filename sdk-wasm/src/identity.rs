//! Who the visitor is: the anonymous id's storage format and the choice between the
//! copies kept in the cookie and in localStorage (the cookie wins, the rest re-syncs).

use alloc::string::String;
use orbit_core::id::looks_like_uuid;
use orbit_core::json::push_u64;
use orbit_core::text::{split, split_once, trim};

/// Name of the first-party cookie and the localStorage key holding the anonymous id.
pub const ANONYMOUS_ID_KEY: &str = "orbit_aid";
/// Cookie lifetime: 400 days, the most Chromium allows.
pub const COOKIE_MAX_AGE_SECONDS: u64 = 400 * 24 * 60 * 60;

/// Finds a cookie's value in `document.cookie` text.
pub fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    split(cookies, b';').find_map(|pair| {
        let (key, value) = split_once(pair, b'=')?;
        (trim(key) == name).then(|| trim(value))
    })
}

/// The `document.cookie` assignment that stores the anonymous id.
pub fn anonymous_id_cookie(id: &str, secure: bool, domain: Option<&str>) -> String {
    id_cookie(id, COOKIE_MAX_AGE_SECONDS, secure, domain)
}

/// The anonymous id cookie with `id` and `max_age` (0 deletes it): one writer for both.
fn id_cookie(id: &str, max_age: u64, secure: bool, domain: Option<&str>) -> String {
    let mut cookie = String::from(ANONYMOUS_ID_KEY);
    cookie.push('=');
    cookie.push_str(id);
    cookie.push_str("; Path=/; Max-Age=");
    push_u64(&mut cookie, max_age);
    cookie.push_str("; SameSite=Lax");
    if let Some(domain) = domain {
        cookie.push_str("; Domain=");
        cookie.push_str(domain);
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Cookie name of the probe that finds the registrable domain.
pub const DOMAIN_PROBE_COOKIE: &str = "orbit_probe";

/// The parent domains a cookie could be shared on, broadest first: `www.shop.example.co.uk`
/// gives `co.uk`, `example.co.uk`, `shop.example.co.uk`. The browser refuses a cookie on a
/// public suffix (its own copy of the Public Suffix List: `co.uk`, `vercel.app`), so the
/// first candidate it accepts is the registrable domain, with no list in the bundle. None
/// for IP addresses and single-label hosts (`localhost`).
pub fn domain_candidates(host: &str) -> alloc::vec::Vec<&str> {
    let mut candidates = alloc::vec::Vec::new();
    first_accepted_domain(host, |candidate| {
        candidates.push(candidate);
        false
    });
    candidates
}

/// The first of [`domain_candidates`] that `accepts` takes, tried broadest first; found
/// without collecting them (what the tracker runs).
pub fn first_accepted_domain<'a>(
    host: &'a str,
    mut accepts: impl FnMut(&'a str) -> bool,
) -> Option<&'a str> {
    // Plain loops over the bytes rather than iterator adapters: less code in the bundle.
    let bytes = host.as_bytes();
    // An IP address: IPv6 (a colon anywhere), or IPv4 (only digits and dots).
    let mut is_ip = true;
    for &b in bytes {
        if b == b':' {
            is_ip = true;
            break;
        }
        is_ip &= b.is_ascii_digit() || b == b'.';
    }
    if is_ip {
        return None;
    }
    // Suffixes of two labels or more, short of the host itself: after each dot but the last.
    let mut past_last_dot = false;
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        if bytes.get(i) == Some(&b'.') {
            if past_last_dot {
                if let Some(suffix) = host.get(i + 1..) {
                    if accepts(suffix) {
                        return Some(suffix);
                    }
                }
            }
            past_last_dot = true;
        }
    }
    None
}

/// The `document.cookie` assignment that deletes the anonymous id cookie.
pub fn expired_cookie(domain: Option<&str>) -> String {
    id_cookie("", 0, false, domain)
}

/// Where the anonymous id came from, which decides what must be written back.
#[derive(Debug, PartialEq, Eq)]
pub enum IdSource<'a> {
    /// Both copies agree: nothing to write.
    Both(&'a str),
    /// Only the cookie had it (or the copies disagreed): mirror it into localStorage.
    Cookie(&'a str),
    /// Only localStorage had it (cookie expired or cleared): restore the cookie.
    LocalStorage(&'a str),
    /// A new visitor: write both.
    New,
}

/// Chooses the anonymous id from the stored copies; ids that are not UUIDs are ignored.
pub fn choose_anonymous_id<'a>(cookie: Option<&'a str>, local: Option<&'a str>) -> IdSource<'a> {
    let cookie = cookie.filter(|id| looks_like_uuid(id));
    let local = local.filter(|id| looks_like_uuid(id));
    match (cookie, local) {
        (Some(c), Some(l)) if c == l => IdSource::Both(c),
        (Some(c), _) => IdSource::Cookie(c),
        (None, Some(l)) => IdSource::LocalStorage(l),
        (None, None) => IdSource::New,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_candidates_go_from_broadest_to_the_parent_of_the_host() {
        assert_eq!(
            domain_candidates("www.shop.example.co.uk"),
            ["co.uk", "example.co.uk", "shop.example.co.uk"]
        );
        assert_eq!(domain_candidates("www.example.com"), ["example.com"]);
        assert_eq!(domain_candidates("myapp.vercel.app"), ["vercel.app"]);
        assert!(
            domain_candidates("example.com").is_empty(),
            "the host itself"
        );
        assert!(domain_candidates("localhost").is_empty());
        assert!(domain_candidates("127.0.0.1").is_empty());
        assert!(domain_candidates("::1").is_empty());
        // IPv6 as `location.hostname` gives it, with letters before the first colon.
        assert!(domain_candidates("[fe80::1.2]").is_empty());
        assert!(domain_candidates("[2001:db8:a.b::1]").is_empty());
        assert_eq!(
            domain_candidates("a.1.2.3.example"),
            ["3.example", "2.3.example", "1.2.3.example"]
        );
    }

    #[test]
    fn the_first_candidate_the_browser_accepts_is_the_domain() {
        let mut tried = alloc::vec::Vec::new();
        let found = first_accepted_domain("www.shop.example.co.uk", |candidate| {
            tried.push(candidate);
            candidate != "co.uk"
        });
        assert_eq!(found, Some("example.co.uk"));
        assert_eq!(
            tried,
            ["co.uk", "example.co.uk"],
            "broadest first, then stops"
        );
        assert_eq!(first_accepted_domain("www.example.com", |_| false), None);
        assert_eq!(first_accepted_domain("localhost", |_| true), None);
    }

    #[test]
    fn the_expired_cookie_matches_the_stored_one() {
        assert_eq!(
            expired_cookie(Some("example.com")),
            "orbit_aid=; Path=/; Max-Age=0; SameSite=Lax; Domain=example.com"
        );
        assert_eq!(
            expired_cookie(None),
            "orbit_aid=; Path=/; Max-Age=0; SameSite=Lax"
        );
    }

    const A: &str = "01923456-789a-7fff-bfff-ffffffffffff";
    const B: &str = "01923456-789a-7fff-bfff-000000000000";

    #[test]
    fn cookie_values_are_found_among_others() {
        let jar = format!("theme=dark; orbit_aid={A};other=1");
        assert_eq!(cookie_value(&jar, "orbit_aid"), Some(A));
        assert_eq!(cookie_value(&jar, "other"), Some("1"));
        assert_eq!(cookie_value(&jar, "orbit"), None);
        assert_eq!(cookie_value("", "orbit_aid"), None);
    }

    #[test]
    fn the_cookie_is_first_party_lax_and_long_lived() {
        assert_eq!(
            anonymous_id_cookie(A, true, Some("example.com")),
            format!(
                "orbit_aid={A}; Path=/; Max-Age=34560000; SameSite=Lax; Domain=example.com; Secure"
            )
        );
        assert!(!anonymous_id_cookie(A, false, None).contains("Secure"));
    }

    #[test]
    fn the_cookie_wins_and_missing_copies_are_restored() {
        assert_eq!(choose_anonymous_id(Some(A), Some(A)), IdSource::Both(A));
        assert_eq!(choose_anonymous_id(Some(A), Some(B)), IdSource::Cookie(A));
        assert_eq!(choose_anonymous_id(Some(A), None), IdSource::Cookie(A));
        assert_eq!(
            choose_anonymous_id(None, Some(B)),
            IdSource::LocalStorage(B)
        );
        assert_eq!(choose_anonymous_id(None, None), IdSource::New);
    }

    #[test]
    fn tampered_ids_are_replaced() {
        assert_eq!(choose_anonymous_id(Some("<script>"), None), IdSource::New);
        assert_eq!(
            choose_anonymous_id(Some("x"), Some(B)),
            IdSource::LocalStorage(B)
        );
    }
}
