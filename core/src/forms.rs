//! What form tracking may read: which fields are personal or payment data whose values must
//! never leave the browser, whatever the page's configuration, and how a lead's email is
//! normalised before it is sent or hashed.

use crate::text::{contains, split, trim};
use alloc::string::String;

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

/// The `ValidityState` flags, in the order the first true one names a `Form Error`, separated
/// by spaces (one string: smaller in the browser bundle than a slice of `&str`).
pub const VALIDITY_KINDS: &str = "valueMissing typeMismatch patternMismatch tooShort tooLong \
    rangeUnderflow rangeOverflow stepMismatch badInput customError";

/// Words that, as a whole token of a field's name, id or autocomplete, mark it sensitive
/// (`cvc`, `cvv` and `iban` do anywhere: [`SENSITIVE_FRAGMENTS`]). One space-separated
/// string: smaller in the browser bundle than a slice of `&str`.
const SENSITIVE_TOKENS: &str = "cc cvn csc cid pin ssn sin tin nino bic swift exp otp pwd";

/// Fragments that mark a field sensitive anywhere in its name, id or autocomplete (compared
/// without case and with separators removed, so `card-number` and `cardNumber` both match).
const SENSITIVE_FRAGMENTS: &str = "password passwd passcode cardnumber cardnum creditcard \
    debitcard cardholder securitycode cardcode cardverification expiry expiration accountnumber \
    routingnumber sortcode socialsecurity nationalid nationalinsurance taxid passport onetimecode \
    ccnum ccexp cvc cvv iban";

/// Whether a field named, id'd or autocompleted `text` holds payment, secret or national-id
/// data, so that its value is never read, even with `data-orbit-capture`.
pub fn is_sensitive_name(text: &str) -> bool {
    // The name's ASCII letters and digits, lower-cased. A token ends at every other byte (a
    // separator, or part of a non-ASCII character), between letters and digits, and where a
    // capital starts a word (`cardCvc`, `SSNLast4`: `card cvc`, `ssn last 4`).
    let bytes = text.as_bytes();
    let mut squashed = String::new();
    let mut token_start = 0;
    for i in 0..=bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        let prev = bytes.get(i.wrapping_sub(1)).copied().unwrap_or(b' ');
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        let word = b.is_ascii_uppercase()
            && (prev.is_ascii_lowercase()
                || (prev.is_ascii_uppercase() && next.is_ascii_lowercase()));
        let number = prev.is_ascii_alphanumeric() && b.is_ascii_digit() != prev.is_ascii_digit();
        if !b.is_ascii_alphanumeric() || word || number {
            let token = squashed.get(token_start..).unwrap_or("");
            if split(SENSITIVE_TOKENS, b' ').any(|t| t == token) {
                return true;
            }
            token_start = squashed.len();
        }
        if b.is_ascii_alphanumeric() {
            squashed.push(char::from(b.to_ascii_lowercase()));
        }
    }
    split(SENSITIVE_FRAGMENTS, b' ').any(|f| contains(&squashed, f, false))
}

/// Whether an input `type` never has its value read (`password`, `hidden`).
pub fn is_secret_type(kind: &str) -> bool {
    kind.eq_ignore_ascii_case("password") || kind.eq_ignore_ascii_case("hidden")
}

/// Whether `value` looks like a payment card number: 13–19 digits (spaces and dashes
/// allowed) passing the Luhn check.
pub fn looks_like_card_number(value: &str) -> bool {
    // Luhn from the last digit: every second digit doubled (less its digits' sum over 9).
    let (mut count, mut sum) = (0u32, 0u32);
    for b in trim(value).bytes().rev() {
        match b {
            b'0'..=b'9' => {
                let mut d = u32::from(b - b'0');
                if count % 2 == 1 {
                    d *= 2;
                    if d > 9 {
                        d -= 9;
                    }
                }
                sum += d;
                count += 1;
            }
            b' ' | b'-' => {}
            _ => return false,
        }
    }
    (13..=19).contains(&count) && sum % 10 == 0
}

/// Whether `value` looks like a national id: a US social security number (`123-45-6789`,
/// nine digits), a UK National Insurance number (`AB123456C`), a Spanish DNI or NIE
/// (`12345678Z`, `X1234567L`), a French social security number (NIR, 15 digits) or an
/// Italian codice fiscale (`RSSMRA85T10A562S`), by their shape.
pub fn looks_like_national_id(value: &str) -> bool {
    // Its letters and digits against each shape (`9` a digit, `A` a letter, either case);
    // dashes, spaces, dots and slashes left out.
    split(NATIONAL_ID_SHAPES, b' ').any(|shape| {
        let mut shape = shape.bytes();
        for c in trim(value).bytes() {
            if matches!(c, b'-' | b' ' | b'.' | b'/') {
                continue;
            }
            let fits = match shape.next() {
                Some(b'9') => c.is_ascii_digit(),
                Some(_) => c.is_ascii_alphabetic(),
                None => false,
            };
            if !fits {
                return false;
            }
        }
        shape.next().is_none()
    })
}

/// The shapes of [`looks_like_national_id`], separated by spaces.
const NATIONAL_ID_SHAPES: &str = "999999999 AA999999A 99999999A A9999999A AAAAAA99A99A999A \
    999999999999999";

/// Whether a value may be sent at all: neither it nor a run of digits in it (with spaces
/// and dashes: a card number in a message) is a card number or a national id.
pub fn value_is_sendable(value: &str) -> bool {
    if looks_like_national_id(value) {
        return false;
    }
    let mut start = 0;
    for (i, b) in value.bytes().chain([b'x']).enumerate() {
        if !(b.is_ascii_digit() || b == b' ' || b == b'-') {
            // Runs are ASCII, so `start..i` is on character boundaries when it is one.
            let run = value.get(start..i).unwrap_or("");
            if looks_like_card_number(run) || looks_like_national_id(run) {
                return false;
            }
            start = i + 1;
        }
    }
    true
}

/// An email as matched across systems: trimmed and lower-cased; `None` when it is not
/// `local@domain.tld`.
pub fn normalize_email(value: &str) -> Option<String> {
    // One pass over the bytes: `.` and `@` are ASCII (no `char` pattern searchers, and no
    // `[u8]::contains`, whose memchr is ~500 B of the bundle).
    let value = trim(value);
    let bytes = value.as_bytes();
    // Where the domain starts (after the one `@`; 0 before it), and whether it has a `.`.
    let (mut domain, mut dot) = (0, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'@' if domain == 0 => domain = i + 1,
            b'.' => dot |= domain > 0,
            b'@' => return None,
            _ if b.is_ascii_whitespace() => return None,
            _ => {}
        }
    }
    let valid =
        domain > 1 && dot && bytes.get(domain) != Some(&b'.') && bytes.last() != Some(&b'.');
    if !valid {
        return None;
    }
    let mut email = String::from(value);
    email.make_ascii_lowercase();
    Some(email)
}

/// Whether a field named, id'd, typed or autocompleted `text` holds the visitor's email.
pub fn is_email_field(kind: &str, name: &str, autocomplete: &str) -> bool {
    kind.eq_ignore_ascii_case("email")
        || autocomplete.eq_ignore_ascii_case("email")
        || contains(name, "email", true)
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
            "cardCvc",
            "cardcvc",
            "ccNumber",
            "ccnumber",
            "expDate",
            "ccexpyear",
            "ibanNumber",
            "accountIBAN",
            "cvv2",
            "userSsn",
            "SSNLast4",
            "pinCode",
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
            "businessName",
            "business_name",
            "companyName",
            "phoneNumber",
            "address2",
            "expertiseArea",
            "shippingMethod",
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
    fn national_ids_beyond_the_us_and_uk_are_recognised_by_their_shape() {
        for id in [
            "12345678Z",
            "12345678-z",
            "X1234567L",
            "1 85 05 78 006 084 91",
            "269054958815780",
            "RSSMRA85T10A562S",
            "rssmra 85t10 a562s",
        ] {
            assert!(looks_like_national_id(id), "{id}");
            assert!(!value_is_sendable(id), "{id}");
        }
        for other in [
            "1234567Z",
            "123456789A",
            "07911 123456",
            "Marketing manager",
            "RSSMRA85T10A562SX",
            "RSSMRA85T10A562",
            "Founder / exec",
            "é12345678",
            "",
        ] {
            assert!(!looks_like_national_id(other), "{other}");
        }
    }

    #[test]
    fn card_numbers_and_ids_inside_a_longer_text_are_not_sendable() {
        for text in [
            "My card is 4111 1111 1111 1111, thanks",
            "card:4111-1111-1111-1111",
            "SSN 123-45-6789.",
            "é4111111111111111",
        ] {
            assert!(!value_is_sendable(text), "{text}");
        }
        for text in [
            "Call me on 555-0100 after 5",
            "Suite 400, 12 Main St",
            "51-200 employees",
            "Founded 2019, 1 200 customers",
        ] {
            assert!(value_is_sendable(text), "{text}");
        }
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
        assert_eq!(normalize_email("ada@example.com."), None);
        assert_eq!(
            normalize_email("a.b@example"),
            None,
            "the dot must be in the domain"
        );
        assert_eq!(normalize_email("ada@"), None);
        assert_eq!(
            normalize_email("ada@example.com\t"),
            Some("ada@example.com".into())
        );
        assert_eq!(
            normalize_email("ada@exa\u{a0}mple.com"),
            Some("ada@exa\u{a0}mple.com".into())
        );
    }

    #[test]
    fn email_fields_are_found_by_type_autocomplete_or_name() {
        assert!(is_email_field("email", "x", ""));
        assert!(is_email_field("text", "work_email", ""));
        assert!(is_email_field("text", "x", "email"));
        assert!(!is_email_field("text", "company", "organization"));
    }
}
