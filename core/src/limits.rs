//! Every limit the collector enforces and the SDK respects, named once.
//!
//! The collector's configuration may raise or lower the server-side ones; these are the
//! defaults, and the README's "Limits" table lists them.

/// Largest serialised event accepted (Segment's HTTP API uses the same 32 KB).
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// Largest request body accepted, after decompression.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 2_500;
/// Longest `messageId`, `anonymousId`, `userId` or event name.
pub const MAX_ID_CHARS: usize = 200;
/// How far in the future an event's timestamp may be before it is rejected (clock skew).
pub const MAX_FUTURE_MS: i64 = 23 * 60 * 60 * 1000;
/// How old an event may be: offline mobile queues replay for days, not for months.
pub const MAX_AGE_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// Deepest nesting of objects and arrays inside one event (the event itself is level 1).
pub const MAX_DEPTH: usize = 32;
/// Longest string value inside an event, in bytes (a URL or a short text, not a document).
pub const MAX_STRING_BYTES: usize = 8 * 1024;
/// Longest object key inside an event, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Most keys in any one object of an event (`properties`, `traits`, `context`, …).
pub const MAX_PROPERTIES: usize = 256;
