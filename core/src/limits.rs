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
