//! What form tracking may read: which fields are personal or payment data whose values must
//! never leave the browser, whatever the page's configuration, and how a lead's email is
//! normalised before it is sent or hashed.

use alloc::string::String;
use alloc::vec::Vec;

use crate::text::contains;

/// Event sent at the first focus or input in a form (once per form per page view).
pub const FORM_STARTED: &str = "Form Started";
/// Event sent when a field was completed (it changed and lost focus).
pub const FORM_FIELD_CHANGED: &str = "Form Field Changed";
/// Event sent when a field was flagged invalid.
pub const FORM_ERROR: &str = "Form Error";
/// Event sent when a form was submitted.
pub const FORM_SUBMITTED: &str = "Form Submitted";
/// Event sent on page hide or navigation for a form started but not submitted.
pub const FORM_ABANDONED: &str = "Form Abandoned";

/// Longest captured field value sent (`data-orbit-capture`); longer ones are cut.
pub const MAX_CAPTURED_VALUE_CHARS: usize = 200;
/// Longest form or field name sent; longer ones are cut.
pub const MAX_FORM_NAME_CHARS: usize = 100;

/// The `ValidityState` flags, in the order the first true one names a `Form Error`.
pub const VALIDITY_KINDS: [&str; 10] = [
    "valueMissing",
    "typeMismatch",
    "patternMismatch",
    "tooShort",
    "tooLong",
    "rangeUnderflow",
    "rangeOverflow",
    "stepMismatch",
    "badInput",
    "customError",
];

/// Words that, as a whole token of a field's name, id or autocomplete, mark it sensitive.
const SENSITIVE_TOKENS: [&str; 17] = [
    "cc", "cvc", "cvv", "cvn", "csc", "cid", "pin", "ssn", "sin", "tin", "nino", "iban", "bic",
    "swift", "exp", "otp", "pwd",
];

/// Fragments that mark a field sensitive anywhere in its name, id or autocomplete (compared
/// without case and with separators removed, so `card-number` and `cardNumber` both match).
const SENSITIVE_FRAGMENTS: [&str; 22] = [
    "password",
    "passwd",
    "passcode",
    "cardnumber",
    "cardnum",
    "creditcard",
    "debitcard",
    "cardholder",
    "securitycode",
    "cardcode",
    "cardverification",
    "expiry",
    "expiration",
    "accountnumber",
    "routingnumber",
    "sortcode",
    "socialsecurity",
    "nationalid",
    "nationalinsurance",
    "taxid",
    "passport",
    "onetimecode",
];

/// Whether a field named, id'd or autocompleted `text` holds payment, secret or national-id
/// data, so that its value is never read, even with `data-orbit-capture`.
pub fn is_sensitive_name(text: &str) -> bool {
    let mut squashed = String::new();
    for token in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let token = token.to_ascii_lowercase();
        if SENSITIVE_TOKENS.contains(&token.as_str()) {
            return true;
        }
        squashed.push_str(&token);
    }
    SENSITIVE_FRAGMENTS
        .iter()
        .any(|f| contains(&squashed, f, false))
}

/// Whether an input `type` never has its value read (`password`, `hidden`).
pub fn is_secret_type(kind: &str) -> bool {
    kind.eq_ignore_ascii_case("password") || kind.eq_ignore_ascii_case("hidden")
}

/// Whether `value` looks like a payment card number: 13–19 digits (spaces and dashes
/// allowed) passing the Luhn check.
pub fn looks_like_card_number(value: &str) -> bool {
    let digits = digits_only(value);
    (13..=19).contains(&digits.len()) && luhn_valid(&digits)
}

/// Whether `value` looks like a national id: a US social security number (`123-45-6789`,
/// nine digits) or a UK National Insurance number (`AB123456C`).
pub fn looks_like_national_id(value: &str) -> bool {
    let value = value.trim();
    let compact: Vec<u8> = value.bytes().filter(|b| *b != b'-' && *b != b' ').collect();
    let all_digits = compact.iter().all(u8::is_ascii_digit);
    let ssn = compact.len() == 9 && all_digits;
    let nino = compact.len() == 9
        && compact[..2].iter().all(u8::is_ascii_alphabetic)
        && compact[2..8].iter().all(u8::is_ascii_digit)
        && compact[8].is_ascii_alphabetic();
    ssn || nino
}

/// Whether a value may be sent at all: not a card number nor a national id.
pub fn value_is_sendable(value: &str) -> bool {
    !looks_like_card_number(value) && !looks_like_national_id(value)
}

/// An email as matched across systems: trimmed and lower-cased; `None` when it is not
/// `local@domain.tld`.
pub fn normalize_email(value: &str) -> Option<String> {
    let value = value.trim();
    let (local, domain) = value.split_once('@')?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !value.bytes().any(|b| b.is_ascii_whitespace());
    valid.then(|| value.to_ascii_lowercase())
}

/// Whether a field named, id'd, typed or autocompleted `text` holds the visitor's email.
pub fn is_email_field(kind: &str, name: &str, autocomplete: &str) -> bool {
    kind.eq_ignore_ascii_case("email")
        || autocomplete.eq_ignore_ascii_case("email")
        || contains(name, "email", true)
}

fn digits_only(value: &str) -> Vec<u8> {
    let mut digits = Vec::new();
    for b in value.trim().bytes() {
        match b {
            b'0'..=b'9' => digits.push(b - b'0'),
            b' ' | b'-' => {}
            _ => return Vec::new(),
        }
    }
    digits
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_and_secret_field_names_are_sensitive() {
        for name in [
            "cc-number",
            "cc-csc",
            "cc-exp-month",
            "cardNumber",
            "card_number",
            "credit-card",
            "CVV",
            "security-code",
            "expiry",
            "iban",
            "ssn",
            "social-security-number",
            "new-password",
            "user[password]",
            "pin",
            "passport_no",
            "one-time-code",
            "tax-id",
        ] {
            assert!(is_sensitive_name(name), "{name}");
        }
    }

    #[test]
    fn ordinary_field_names_are_not_sensitive() {
        for name in [
            "email",
            "company",
            "role",
            "shipping",
            "first-name",
            "message",
            "expertise",
            "opinion",
            "accent",
            "",
        ] {
            assert!(!is_sensitive_name(name), "{name}");
        }
    }

    #[test]
    fn card_numbers_pass_luhn_and_other_numbers_do_not() {
        assert!(looks_like_card_number("4111 1111 1111 1111"));
        assert!(looks_like_card_number("4111-1111-1111-1111"));
        assert!(looks_like_card_number("378282246310005"));
        assert!(!looks_like_card_number("4111 1111 1111 1112"), "Luhn fails");
        assert!(!looks_like_card_number("12345"), "too short");
        assert!(!looks_like_card_number("4111x1111111111111"), "not digits");
        assert!(!looks_like_card_number(""));
    }

    #[test]
    fn national_ids_are_recognised() {
        assert!(looks_like_national_id("123-45-6789"));
        assert!(looks_like_national_id("123456789"));
        assert!(looks_like_national_id("AB 12 34 56 C"));
        assert!(!looks_like_national_id("Acme Inc"));
        assert!(!looks_like_national_id("12345678"));
        assert!(!value_is_sendable("4111111111111111"));
        assert!(value_is_sendable("Head of Growth"));
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased_or_refused() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(normalize_email("ada@example"), None);
        assert_eq!(normalize_email("@example.com"), None);
        assert_eq!(normalize_email("a b@example.com"), None);
        assert_eq!(normalize_email("a@b@example.com"), None);
        assert_eq!(normalize_email("ada@.com"), None);
    }

    #[test]
    fn email_fields_are_found_by_type_autocomplete_or_name() {
        assert!(is_email_field("email", "x", ""));
        assert!(is_email_field("text", "work_email", ""));
        assert!(is_email_field("text", "x", "email"));
        assert!(!is_email_field("text", "company", "organization"));
    }
}
