//! Getting events to the collector without losing any: the bounded queue (policy in
//! `orbit_core::tracker::queue`), its copy in localStorage, and which tab owns which copy.
//!
//! Each tab keeps its unsent events under its own key (`orbit_q.<tab id>`, the tab id
//! living in sessionStorage so that the tab's next page takes them over at once), and each
//! request in flight under a key of its own (`orbit_q.<tab id>.<request>`), written once
//! when it is sent and removed when it is answered: a tab whose requests pile up (a slow
//! collector) does not rewrite them all on every change. A key nobody has written for
//! [`ABANDONED_QUEUE_MS`] belongs to a closed tab and is adopted by the next page that
//! starts, so two live tabs never send each other's events; the few duplicates an adoption
//! race (or a request unanswered that long) could cause are dropped by the collector
//! (messageId).

use alloc::string::String;
use alloc::vec::Vec;

use orbit_core::json::push_u64;
use orbit_core::tracker::parse_u64;

/// Prefix of the localStorage keys holding unsent events.
pub const QUEUE_KEY_PREFIX: &str = "orbit_q.";
/// sessionStorage key of this tab's id.
pub const TAB_KEY: &str = "orbit_tab";
/// A stored queue not written for this long belongs to a closed tab (background tabs may
/// run timers only once a minute, and retries wait up to 5 minutes).
pub const ABANDONED_QUEUE_MS: u64 = 10 * 60 * 1000;

/// The stored form: the time it was written, a newline, and the events of `parts`, in
/// order, as one JSON array.
pub fn encode_stored(written_ms: u64, parts: &[&[String]]) -> String {
    let mut out = String::new();
    push_u64(&mut out, written_ms);
    out.push_str("\n[");
    // Plain loops over slices rather than a chain of iterators: less code in the bundle.
    let mut first = true;
    for events in parts {
        for event in *events {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(event);
        }
    }
    out.push(']');
    out
}

/// The key of request `id` of the tab whose queue lives under `tab_key`.
pub fn request_key(tab_key: &str, id: u32) -> String {
    let mut key = String::from(tab_key);
    key.push('.');
    push_u64(&mut key, u64::from(id));
    key
}

/// Splits a stored queue into when it was written and its events' text (a JSON array, which
/// the tracker reads with the browser's `JSON.parse`; `(0, "")` when unreadable: no time,
/// no events).
pub fn decode_stored(text: &str) -> (u64, &str) {
    orbit_core::text::split_once(text, b'\n')
        .and_then(|(written, events)| Some((parse_u64(written)?, events)))
        .unwrap_or((0, ""))
}

/// Whether a queue stored by another tab at `written_ms` may be adopted at `now_ms`.
pub fn is_abandoned(written_ms: u64, now_ms: u64) -> bool {
    now_ms.saturating_sub(written_ms) >= ABANDONED_QUEUE_MS
}

/// Events sent and not yet answered, by request number.
#[derive(Default)]
pub struct InFlight {
    next_id: u32,
    requests: Vec<(u32, Vec<String>)>,
}

impl InFlight {
    /// Records a request carrying `events`; returns its number.
    pub fn start(&mut self, events: Vec<String>) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.requests.push((self.next_id, events));
        self.next_id
    }

    /// The events of an answered request.
    pub fn finish(&mut self, id: u32) -> Vec<String> {
        match self.requests.iter().position(|(i, _)| *i == id) {
            Some(at) => self.requests.swap_remove(at).1,
            None => Vec::new(),
        }
    }

    /// Whether any request is unanswered.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// The numbers of the unanswered requests.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.requests.iter().map(|(id, _)| *id)
    }

    /// Every unanswered event (kept in storage until answered).
    pub fn events(&self) -> impl Iterator<Item = &String> {
        self.requests.iter().flat_map(|(_, events)| events.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use orbit_core::tracker::queue::Queue;

    #[test]
    fn stored_queues_round_trip_with_their_time() {
        let a = r#"{"type":"track","event":"A,]"}"#.to_string();
        let b = r#"{"type":"page"}"#.to_string();
        let c = r#"{"type":"identify"}"#.to_string();
        let mut queued = Queue::new();
        queued.push(c.clone());
        let blind = [a.clone(), b.clone()];
        let text = encode_stored(1_795_341_600_000, &[&blind, queued.events()]);
        let (written, events) = decode_stored(&text);
        assert_eq!(written, 1_795_341_600_000);
        let mut queue = Queue::decode(events);
        assert_eq!(queue.take_batch(usize::MAX), [a, b, c]);
        assert_eq!(encode_stored(5, &[]), "5\n[]");
        assert_eq!(encode_stored(5, &[&[], &[]]), "5\n[]");
    }

    #[test]
    fn requests_have_keys_of_their_own_beside_the_tab_queue() {
        let tab = "orbit_q.0190c3a1-7b2e-7c4d-8e5f-a1b2c3d4e5f6";
        let request = request_key(tab, 42);
        assert_eq!(request, "orbit_q.0190c3a1-7b2e-7c4d-8e5f-a1b2c3d4e5f6.42");
        assert_eq!(request_key(tab, u32::MAX), [tab, ".4294967295"].concat());
    }

    #[test]
    fn garbage_is_an_empty_queue() {
        for text in ["", "x\n[]", "12", "12\n[{\"a\":", "12\nnot json"] {
            assert!(Queue::decode(decode_stored(text).1).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn only_queues_left_alone_long_enough_are_adopted() {
        assert!(!is_abandoned(1_000, 1_000 + ABANDONED_QUEUE_MS - 1));
        assert!(is_abandoned(1_000, 1_000 + ABANDONED_QUEUE_MS));
        assert!(is_abandoned(0, u64::MAX));
    }

    #[test]
    fn in_flight_requests_give_back_their_events() {
        let mut flight = InFlight::default();
        let one = flight.start(alloc::vec!["a".to_string()]);
        let two = flight.start(alloc::vec!["b".to_string(), "c".to_string()]);
        assert_eq!(flight.events().count(), 3);
        assert_eq!(flight.finish(one), ["a"]);
        assert!(flight.finish(one).is_empty(), "answered once");
        assert_eq!(flight.finish(two).len(), 2);
        assert!(flight.is_empty());
    }
}
