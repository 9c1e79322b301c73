//! The bounded queue of unsent events: when to flush, what goes in one request, and how it is
//! kept in localStorage between page loads.
//!
//! Events are queued as their serialised JSON, so sending is a join and storing is a join:
//! nothing is parsed on the way. The bounds keep a collector outage from filling the visitor's
//! storage; when they bite, the oldest events go first and are counted in [`Queue::dropped`].

use crate::text::trim;
use alloc::string::String;
use alloc::vec::Vec;

/// Most events kept while the collector cannot be reached.
pub const MAX_QUEUED_EVENTS: usize = 1_000;
/// Most bytes of event JSON kept, well inside localStorage's ~5 MB per origin.
pub const MAX_QUEUED_BYTES: usize = 1_000_000;
/// Queued events that trigger a flush without waiting for the interval.
pub const FLUSH_EVENTS: usize = 20;
/// Queued bytes that trigger a flush without waiting for the interval.
pub const FLUSH_BYTES: usize = 32 * 1024;
/// Longest time an event waits in the queue before it is sent.
pub const FLUSH_INTERVAL_MS: u64 = 5_000;
/// Largest batch body sent with `keepalive`/`sendBeacon` when the page goes away: browsers
/// allow 64 KiB in flight per page, and this leaves room for headers and other requests.
pub const KEEPALIVE_BUDGET_BYTES: usize = 60 * 1024;

/// Bytes of a `/v1/batch` body besides its events and the commas between them: the body is
/// `{"batch":[` + events joined by `,` + `],"sentAt":"` + a 24-char timestamp + `"}` (the
/// SDK's `write_batch`). [`Queue::take_batch`] counts one comma per event, so one is taken off.
pub const BATCH_OVERHEAD_BYTES: usize =
    r#"{"batch":[],"sentAt":"2026-11-22T10:00:01.000Z"}"#.len() - 1;

/// Unsent events in order, oldest first, within [`MAX_QUEUED_EVENTS`] and [`MAX_QUEUED_BYTES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    /// Serialised event objects.
    /// (A `Vec`, not a `VecDeque`: the deque's ring-buffer code costs ~1.5 KB in the
    /// browser bundle, and the queue is short.)
    events: Vec<String>,
    /// The sum of the events' lengths in bytes.
    bytes: usize,
    /// Events dropped to stay within the bounds, so the loss can be reported, not hidden.
    pub dropped: u32,
}

impl Queue {
    /// An empty queue.
    pub const fn new() -> Self {
        Queue {
            events: Vec::new(),
            bytes: 0,
            dropped: 0,
        }
    }

    /// Adds an event at the back, dropping the oldest events until both bounds hold again; an
    /// event larger than [`MAX_QUEUED_BYTES`] on its own is dropped instead.
    pub fn push(&mut self, event_json: String) {
        if event_json.len() > MAX_QUEUED_BYTES {
            self.dropped = self.dropped.saturating_add(1);
            return;
        }
        self.bytes += event_json.len();
        self.events.push(event_json);
        self.trim();
    }

    /// Whether it is time to send: enough events or bytes are waiting, or the oldest may have
    /// waited [`FLUSH_INTERVAL_MS`] since the last flush.
    pub fn should_flush(&self, now_ms: u64, last_flush_ms: u64) -> bool {
        !self.is_empty()
            && (self.len() >= FLUSH_EVENTS
                || self.bytes >= FLUSH_BYTES
                || now_ms.saturating_sub(last_flush_ms) >= FLUSH_INTERVAL_MS)
    }

    /// Removes and returns the oldest events whose batch body fits in `max_bytes` (see
    /// [`BATCH_OVERHEAD_BYTES`]); at least one when any is queued, since an event too large
    /// for the budget must still be sent for the collector to answer it with a reason.
    pub fn take_batch(&mut self, max_bytes: usize) -> Vec<String> {
        let mut size = BATCH_OVERHEAD_BYTES;
        let mut count = 0;
        for event in &self.events {
            size += event.len() + 1;
            if count > 0 && size > max_bytes {
                break;
            }
            count += 1;
        }
        let batch = split_front(&mut self.events, count);
        self.bytes -= total_len(&batch);
        batch
    }

    /// Puts a batch that failed to send back at the front, in its order, so it goes first on
    /// the next attempt; if the queue grew meanwhile, the bounds drop the oldest again.
    pub fn requeue_front(&mut self, mut events: Vec<String>) {
        self.bytes += total_len(&events);
        events.append(&mut self.events);
        self.events = events;
        self.trim();
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is waiting, so there is nothing to flush or store.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events waiting, oldest first.
    pub fn events(&self) -> &[String] {
        &self.events
    }

    /// Bytes of event JSON waiting (without batch or storage framing).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The queue for localStorage: its events as one JSON array.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.bytes + self.events.len() + 2);
        out.push('[');
        for (i, event) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(event);
        }
        out.push(']');
        out
    }

    /// Replaces every queued event for which `rewrite` gives a new text (the browser's
    /// `replaceAll` of the visitor id that events made while waiting for consent carry: a
    /// searcher in Rust costs ~3 KB, a scan of its own ~0.1 KB gzip). The bounds are not
    /// applied again: a rewrite keeps the events' lengths.
    pub fn rewrite_events(&mut self, mut rewrite: impl FnMut(&str) -> Option<String>) {
        for event in &mut self.events {
            if let Some(new) = rewrite(event) {
                self.bytes = self.bytes - event.len() + new.len();
                *event = new;
            }
        }
    }

    /// Reads a stored queue back, without a JSON parser (serde's reader costs ~23 KB in the
    /// browser): anything but an array of objects gives an empty queue, since a damaged store
    /// must not stop the tracker. The bounds apply to what is read.
    pub fn decode(s: &str) -> Queue {
        let mut queue = Queue::new();
        queue.append_decoded(s);
        queue
    }

    /// Pushes the events of a stored queue ([`Queue::decode`]'s text) behind these, in order,
    /// within the bounds; nothing when the text is damaged. The same queue as appending
    /// `Queue::decode(s)`'s events one by one, without a queue in between.
    pub fn append_decoded(&mut self, s: &str) {
        // Checked whole first, so a damaged text adds nothing.
        if read_objects(s, &mut |_| {}).is_some() {
            read_objects(s, &mut |event| self.push(String::from(event)));
        }
    }

    /// Drops the oldest events until both bounds hold.
    fn trim(&mut self) {
        let mut drop = 0;
        for event in &self.events {
            if self.events.len() - drop <= MAX_QUEUED_EVENTS && self.bytes <= MAX_QUEUED_BYTES {
                break;
            }
            self.bytes -= event.len();
            drop += 1;
        }
        if drop > 0 {
            split_front(&mut self.events, drop);
            self.dropped = self.dropped.saturating_add(drop as u32);
        }
    }
}

/// The sum of the events' lengths: a plain loop, smaller in the bundle than `map` and `sum`.
fn total_len(events: &[String]) -> usize {
    let mut total = 0;
    for event in events {
        total += event.len();
    }
    total
}

/// Removes and returns the first `n` events (all of them when there are fewer). The bound
/// lets the compiler see that `split_off` cannot panic, which keeps its panic message out
/// of the browser bundle.
fn split_front(events: &mut Vec<String>, n: usize) -> Vec<String> {
    let rest = events.split_off(n.min(events.len()));
    core::mem::replace(events, rest)
}

/// Calls `each` with the elements of a JSON array of objects, each trimmed, in order, as it
/// reads them; `None` when `s` is not one (after the calls for the elements before the
/// damage).
///
/// It follows strings (with their escapes) and the nesting of brackets and braces, which is
/// enough to find where each element ends; it does not check every token inside the objects
/// (the collector validates events).
fn read_objects(s: &str, each: &mut dyn FnMut(&str)) -> Option<()> {
    let inner = trim(s).strip_prefix('[')?.strip_suffix(']')?;
    if trim(inner).is_empty() {
        return Some(());
    }
    // The closing bracket each open object or array is waiting for.
    let mut closers: Vec<u8> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    // Whether the current top-level element already has its object.
    let mut seen_object = false;
    let mut start = 0;
    for (i, &b) in inner.as_bytes().iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                // JSON strings cannot hold raw control characters: this is damage.
                0..=0x1f => return None,
                _ => {}
            }
        } else if closers.is_empty() {
            match b {
                b'{' if !seen_object => {
                    seen_object = true;
                    closers.push(b'}');
                }
                b',' if seen_object => {
                    // `get`, not indexing: a failed index would pull core::fmt's panic
                    // message into the browser bundle (SIZE.md). `,` is ASCII, so the range
                    // is always on a char boundary.
                    each(trim(inner.get(start..i)?));
                    start = i + 1;
                    seen_object = false;
                }
                b' ' | b'\t' | b'\n' | b'\r' => {}
                _ => return None,
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' => closers.push(b'}'),
                b'[' => closers.push(b']'),
                // The guard pops the innermost opener; a closer that does not match it is
                // damage, one that does falls through to `_`.
                b'}' | b']' if closers.pop() != Some(b) => return None,
                _ => {}
            }
        }
    }
    if in_string || !closers.is_empty() || !seen_object {
        return None;
    }
    each(trim(inner.get(start..)?));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    /// An event object of exactly `len` bytes.
    fn event(len: usize) -> String {
        assert!(len >= 8);
        let mut e = String::from(r#"{"p":""#);
        e.push_str(&"x".repeat(len - 8));
        e.push_str(r#""}"#);
        e
    }

    /// The body the SDK's `write_batch` builds, to check the budget arithmetic against.
    fn write_batch(events: &[String]) -> String {
        let mut body = String::from(r#"{"batch":["#);
        body.push_str(&events.join(","));
        body.push_str(r#"],"sentAt":"2026-11-22T10:00:01.000Z"}"#);
        body
    }

    fn queue_of(events: &[&str]) -> Queue {
        let mut q = Queue::new();
        for e in events {
            q.push(e.to_string());
        }
        q
    }

    #[test]
    fn pushed_events_are_counted_in_order() {
        let q = queue_of(&[r#"{"a":1}"#, r#"{"b":22}"#]);
        assert_eq!((q.len(), q.bytes(), q.dropped), (2, 15, 0));
        assert!(!q.is_empty());
        assert_eq!(q.encode(), r#"[{"a":1},{"b":22}]"#);
        assert!(Queue::new().is_empty());
        assert_eq!(Queue::default(), Queue::new());
    }

    #[test]
    fn the_oldest_events_are_dropped_beyond_the_event_bound() {
        let mut q = Queue::new();
        for i in 0..MAX_QUEUED_EVENTS + 5 {
            let mut e = String::from(r#"{"i":"#);
            crate::json::push_u64(&mut e, i as u64);
            e.push('}');
            q.push(e);
        }
        assert_eq!((q.len(), q.dropped), (MAX_QUEUED_EVENTS, 5));
        assert_eq!(q.take_batch(usize::MAX)[0], r#"{"i":5}"#);
    }

    #[test]
    fn the_oldest_events_are_dropped_beyond_the_byte_bound() {
        let mut q = Queue::new();
        for _ in 0..3 {
            q.push(event(400_000));
        }
        assert_eq!((q.len(), q.bytes(), q.dropped), (2, 800_000, 1));
        q.push(event(MAX_QUEUED_BYTES));
        assert_eq!((q.len(), q.bytes(), q.dropped), (1, MAX_QUEUED_BYTES, 3));
    }

    #[test]
    fn an_event_larger_than_the_byte_bound_is_dropped_itself() {
        let mut q = queue_of(&[r#"{"a":1}"#]);
        q.push(event(MAX_QUEUED_BYTES + 1));
        assert_eq!((q.len(), q.bytes(), q.dropped), (1, 7, 1));
    }

    #[test]
    fn flushes_on_count_size_or_interval_and_never_when_empty() {
        let t = 1_700_000_000_000;
        assert!(!Queue::new().should_flush(t + 60_000, t));
        let mut q = Queue::new();
        for _ in 0..FLUSH_EVENTS - 1 {
            q.push(event(10));
        }
        assert!(!q.should_flush(t + FLUSH_INTERVAL_MS - 1, t));
        assert!(q.should_flush(t + FLUSH_INTERVAL_MS, t));
        assert!(
            !q.should_flush(t - 1_000, t),
            "a clock that went back is no time passed"
        );
        q.push(event(10));
        assert!(q.should_flush(t, t));
        let mut big = Queue::new();
        big.push(event(FLUSH_BYTES - 1));
        assert!(!big.should_flush(t, t));
        big.push(event(8));
        assert!(big.should_flush(t, t));
    }

    #[test]
    fn a_batch_body_fits_the_budget_exactly_as_write_batch_builds_it() {
        assert_eq!(BATCH_OVERHEAD_BYTES, 47);
        assert_eq!(write_batch(&[]).len(), BATCH_OVERHEAD_BYTES + 1);
        for (len, budget) in [
            (10, 100),
            (100, 1_000),
            (1_000, KEEPALIVE_BUDGET_BYTES),
            (33, 47 + 34 * 3),
        ] {
            let mut q = Queue::new();
            for _ in 0..100 {
                q.push(event(len));
            }
            let batch = q.take_batch(budget);
            let body = write_batch(&batch);
            assert!(body.len() <= budget, "{len} {budget}: {}", body.len());
            let mut one_more = batch.clone();
            one_more.push(event(len));
            assert!(write_batch(&one_more).len() > budget, "{len} {budget}");
            assert_eq!(q.len(), 100 - batch.len());
            assert_eq!(q.bytes(), q.len() * len);
        }
        let mut q = queue_of(&[r#"{"a":1}"#]);
        assert_eq!(
            write_batch(&["{\"a\":1}".to_string()]).len(),
            BATCH_OVERHEAD_BYTES + 8
        );
        assert_eq!(q.take_batch(BATCH_OVERHEAD_BYTES + 8).len(), 1);
    }

    #[test]
    fn a_batch_always_takes_at_least_one_event() {
        let mut q = Queue::new();
        q.push(event(5_000));
        q.push(event(10));
        assert_eq!(q.take_batch(100), vec![event(5_000)]);
        assert_eq!(q.take_batch(0), vec![event(10)]);
        assert!(q.take_batch(100).is_empty());
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn a_failed_batch_goes_back_to_the_front_in_order() {
        let mut q = queue_of(&[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#]);
        let batch = q.take_batch(BATCH_OVERHEAD_BYTES + 16);
        assert_eq!(batch, [r#"{"n":1}"#, r#"{"n":2}"#]);
        q.push(r#"{"n":4}"#.to_string());
        q.requeue_front(batch);
        assert_eq!(q.encode(), r#"[{"n":1},{"n":2},{"n":3},{"n":4}]"#);
        assert_eq!(q.bytes(), 28);
    }

    #[test]
    fn requeued_events_are_the_first_dropped_when_the_queue_filled_meanwhile() {
        let mut q = Queue::new();
        q.push(event(10));
        q.push(event(11));
        let batch = q.take_batch(usize::MAX);
        for _ in 0..MAX_QUEUED_EVENTS - 1 {
            q.push(event(12));
        }
        q.requeue_front(batch);
        assert_eq!((q.len(), q.dropped), (MAX_QUEUED_EVENTS, 1));
        assert_eq!(q.take_batch(0), vec![event(11)]);
    }

    #[test]
    fn encode_and_decode_round_trip_awkward_events() {
        let events = [
            r#"{"s":"]"}"#,
            r#"{"s":"a,b","t":"{","u":"}"}"#,
            r#"{"q":"say \"hi\" \\","r":"\\"}"#,
            r#"{"u":"\u005d\u002c\u007B\"","e":"é😀"}"#,
            r#"{"n":[1,[2,{"x":[]}],{}],"o":{"p":{"q":null}},"b":true,"f":-1.5e3}"#,
            r#"{}"#,
        ];
        let q = queue_of(&events);
        let text = q.encode();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), events.len());
        let back = Queue::decode(&text);
        assert_eq!(back, q);
        assert_eq!(back.encode(), text);
    }

    #[test]
    fn decode_tolerates_whitespace_and_reads_empty_arrays() {
        let q = Queue::decode(" [ {\"a\" : [ 1 , 2 ] } ,\n\t{ }\r\n] ");
        assert_eq!(q.encode(), "[{\"a\" : [ 1 , 2 ] },{ }]");
        assert!(Queue::decode("[]").is_empty());
        assert!(Queue::decode(" [ \n ] ").is_empty());
        assert_eq!(Queue::new().encode(), "[]");
    }

    #[test]
    fn decode_gives_an_empty_queue_for_anything_malformed() {
        for text in [
            "",
            "garbage",
            "null",
            "{}",
            "[",
            "]",
            "[,]",
            "[{},]",
            "[,{}]",
            "[{},,{}]",
            "[{}{}]",
            "[{} {}]",
            "[1]",
            "[\"a\"]",
            "[[]]",
            "[{}, 2]",
            "[{]",
            "[{}]]",
            "[{\"a\":[}]",
            "[{\"a\":{]}]",
            "[{\"a\":\"]",
            "[{\"a\":\"\\\"}]",
            "[{\"a\":\"line\nbreak\"}]",
            "[{}] x",
            "x [{}]",
            "[{}}]",
        ] {
            let q = Queue::decode(text);
            assert!(q.is_empty(), "{text:?}");
            assert_eq!(q.dropped, 0);
        }
    }

    #[test]
    fn every_truncation_of_a_stored_queue_decodes_empty() {
        let text = queue_of(&[r#"{"a":"x]\"y","b":[1,{"c":"}"}]}"#, r#"{"d":"\u00e9é"}"#]).encode();
        for (end, _) in text.char_indices() {
            assert!(Queue::decode(&text[..end]).is_empty(), "{:?}", &text[..end]);
        }
        assert_eq!(Queue::decode(&text).len(), 2);
    }

    #[test]
    fn appending_a_stored_queue_is_pushing_its_decoded_events() {
        let stored = queue_of(&[r#"{"s":1}"#, r#"{"s":2}"#, r#"{"s":3}"#]).encode();
        let mut many = String::from("[");
        for i in 0..MAX_QUEUED_EVENTS {
            many.push_str(if i > 0 { ",{}" } else { "{}" });
        }
        many.push(']');
        for text in [stored.as_str(), many.as_str(), "[{}", "[]", "garbage"] {
            for before in [0, 2, MAX_QUEUED_EVENTS - 1] {
                let mut expected = queue_of(&vec![r#"{"mine":0}"#; before]);
                for event in Queue::decode(text).take_batch(usize::MAX) {
                    expected.push(event);
                }
                let mut appended = queue_of(&vec![r#"{"mine":0}"#; before]);
                appended.append_decoded(text);
                assert_eq!(
                    appended.events(),
                    expected.events(),
                    "{text} after {before}"
                );
                assert_eq!(appended.bytes(), expected.bytes());
            }
        }
    }

    #[test]
    fn decoding_applies_the_bounds() {
        let mut text = String::from("[");
        for i in 0..MAX_QUEUED_EVENTS + 3 {
            if i > 0 {
                text.push(',');
            }
            text.push_str("{}");
        }
        text.push(']');
        let q = Queue::decode(&text);
        assert_eq!((q.len(), q.dropped), (MAX_QUEUED_EVENTS, 3));
    }

    #[test]
    fn rewritten_events_replace_the_old_ones() {
        let mut q = Queue::new();
        q.push(String::from(
            r#"{"anonymousId":"tmp-1","n":1,"again":"tmp-1"}"#,
        ));
        q.push(String::from(r#"{"anonymousId":"other","n":2}"#));
        let before = q.bytes();
        q.rewrite_events(|event| {
            event
                .contains("tmp-1")
                .then(|| event.replace("tmp-1", "new-2"))
        });
        assert_eq!(q.bytes(), before);
        assert_eq!(
            q.take_batch(usize::MAX),
            [
                r#"{"anonymousId":"new-2","n":1,"again":"new-2"}"#,
                r#"{"anonymousId":"other","n":2}"#
            ]
        );
    }
}
