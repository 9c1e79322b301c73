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

// Rule documents (`rules`): the browser reads and evaluates them before first paint, and the
// collector accepts them from admins, so every dimension is bounded. docs/rules.md lists them.

/// Largest rule document, in bytes: room for [`MAX_RULES`] rules of a few conditions each.
pub const MAX_RULES_DOCUMENT_BYTES: usize = 512 * 1024;
/// Deepest nesting of JSON arrays and objects in a rule document.
pub const MAX_RULES_JSON_DEPTH: usize = 32;
/// Most rules in one document: 1,000 still evaluate in well under a millisecond.
pub const MAX_RULES: usize = 1_000;
/// Most field names a rule document's `capture` list may name.
pub const MAX_CAPTURE_FIELDS: usize = 100;
/// Longest field name in the `capture` list (form field names are cut at 100 characters).
pub const MAX_CAPTURE_FIELD_BYTES: usize = 100;
/// Deepest nesting of `all` / `any` / `not` (a leaf condition at the top is depth 1).
pub const MAX_CONDITION_DEPTH: usize = 10;
/// Most conditions in one rule, counting leaves and every `all` / `any` / `not`.
pub const MAX_CONDITIONS_PER_RULE: usize = 100;
/// Most values in one `in` / `not_in` list.
pub const MAX_VALUES_PER_CONDITION: usize = 1_000;
/// Most actions in one rule or variant.
pub const MAX_ACTIONS_PER_RULE: usize = 50;
/// Most variants in one experiment, the control included.
pub const MAX_VARIANTS: usize = 20;
/// Longest rule, experiment, variant or group id, in bytes (ids travel in URLs and events).
pub const MAX_RULE_ID_BYTES: usize = 64;
/// Longest regex pattern, in bytes: patterns run on every evaluation, in the browser too.
pub const MAX_REGEX_PATTERN_BYTES: usize = 512;
/// Longest CSS selector of an action, in bytes.
pub const MAX_SELECTOR_BYTES: usize = 1_024;
/// Longest text, HTML, attribute value, style value or URL of an action, in bytes.
pub const MAX_ACTION_VALUE_BYTES: usize = 16 * 1024;
/// Deepest element nesting the HTML sanitiser keeps; deeper tags are dropped, text kept.
pub const MAX_HTML_DEPTH: usize = 32;
/// Largest visitor context accepted as JSON (the collector's preview endpoint, fixtures).
pub const MAX_VISITOR_CONTEXT_BYTES: usize = 64 * 1024;
