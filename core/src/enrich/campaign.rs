//! Campaign attribution from a URL: UTM parameters and ad-platform click ids.
//!
//! The fields follow Segment's `context.campaign` naming (`utm_campaign` is `name`), so
//! events stay readable by tools that speak the Segment spec. One query-string reader serves
//! both [`parse_campaign`] and [`query_param`], so decoding rules cannot drift apart.

use alloc::string::String;
use alloc::vec::Vec;

use crate::json::push_json_string;
use crate::text::{hex_value, split, split_once, Split};

/// Longest campaign value kept, in chars: tagged links are sometimes pasted with whole
/// tracking blobs in them, and every event of the session carries these values.
pub const MAX_CAMPAIGN_VALUE_CHARS: usize = 200;

/// Click-id parameters in priority order: when a URL carries several, the first listed wins.
pub const CLICK_ID_PARAMS: &[&str] = &[
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "fbclid",
    "msclkid",
    "ttclid",
    "li_fat_id",
    "twclid",
    "epik",
    "rdt_cid",
    "sccid",
    "yclid",
];

/// The UTM parameters, in the order [`Campaign::write_json`] writes their fields, then
/// [`CLICK_ID_PARAMS`], as one word string: a slice costs a pointer and a length per entry in
/// the browser bundle, which compress far worse than the words.
const TAG_PARAMS: &str = "utm_source utm_medium utm_campaign utm_term utm_content \
gclid gbraid wbraid dclid fbclid msclkid ttclid li_fat_id twclid epik rdt_cid sccid yclid";

/// How many of [`TAG_PARAMS`] are UTM parameters.
const UTM_COUNT: usize = 5;

/// Where a visit came from, as the landing URL's tags describe it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Campaign {
    /// `utm_source`: who sent the visitor (e.g. `newsletter`, `google`).
    pub source: Option<String>,
    /// `utm_medium`: the channel (e.g. `email`, `cpc`).
    pub medium: Option<String>,
    /// `utm_campaign`: the campaign's name.
    pub name: Option<String>,
    /// `utm_term`: the paid search keyword.
    pub term: Option<String>,
    /// `utm_content`: which link or ad variant was clicked.
    pub content: Option<String>,
    /// An ad platform's click id, which ties the visit to an ad even without UTM tags.
    pub click_id: Option<ClickId>,
}

/// An ad platform's click id, kept with its parameter name because that names the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClickId {
    /// The parameter it came in, one of [`CLICK_ID_PARAMS`] (e.g. `"gclid"`).
    pub kind: &'static str,
    /// The decoded id.
    pub value: String,
}

impl Campaign {
    /// Whether no field is set, so there is nothing to attach to an event.
    pub fn is_empty(&self) -> bool {
        self.source.is_none()
            && self.medium.is_none()
            && self.name.is_none()
            && self.term.is_none()
            && self.content.is_none()
            && self.click_id.is_none()
    }

    /// Appends this campaign as a JSON object, omitting absent fields; the click id is written
    /// under its own parameter name (e.g. `"gclid"`), as Segment's `context.campaign` does.
    pub fn write_json(&self, out: &mut String) {
        let click_id = self.click_id.as_ref().map(|c| (c.kind, Some(&c.value)));
        out.push('{');
        let mut first = true;
        for (key, value) in self.fields().into_iter().chain(click_id) {
            let Some(value) = value else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            push_json_string(out, key);
            out.push(':');
            push_json_string(out, value);
        }
        out.push('}');
    }

    fn fields(&self) -> [(&'static str, Option<&String>); 5] {
        [
            ("source", self.source.as_ref()),
            ("medium", self.medium.as_ref()),
            ("name", self.name.as_ref()),
            ("term", self.term.as_ref()),
            ("content", self.content.as_ref()),
        ]
    }
}

/// Reads the campaign tags of a URL; `None` when it has no non-empty UTM parameter and no
/// click id, so untagged page views carry nothing.
///
/// Parameter names match ASCII case-insensitively (`UTM_SOURCE` too), the first non-empty
/// occurrence of each wins, and values are cut to [`MAX_CAMPAIGN_VALUE_CHARS`].
pub fn parse_campaign(url: &str) -> Option<Campaign> {
    let ([source, medium, name, term, content], click) = raw_campaign(url);
    let campaign = Campaign {
        source: source.map(campaign_value),
        medium: medium.map(campaign_value),
        name: name.map(campaign_value),
        term: term.map(campaign_value),
        content: content.map(campaign_value),
        click_id: click.map(|(kind, raw)| ClickId {
            kind,
            value: campaign_value(raw),
        }),
    };
    (!campaign.is_empty()).then_some(campaign)
}

/// A URL's campaign tags still encoded: the first non-empty value of each UTM parameter (in
/// [`Campaign::write_json`]'s order) and the click id that wins, with its parameter name.
pub(crate) type RawCampaign<'a> = ([Option<&'a str>; 5], Option<(&'static str, &'a str)>);

/// The tags [`parse_campaign`] reads, before decoding (see [`RawCampaign`]).
pub(crate) fn raw_campaign(url: &str) -> RawCampaign<'_> {
    let mut utm: [Option<&str>; UTM_COUNT] = [None; UTM_COUNT];
    // (priority, param, raw value) of the best click id seen so far.
    let mut click: Option<(usize, &'static str, &str)> = None;
    for (name, value) in raw_params(url) {
        if value.is_empty() {
            continue;
        }
        let Some((rank, param)) = tag_param(name, false) else {
            continue;
        };
        if rank < UTM_COUNT {
            utm[rank].get_or_insert(value);
        } else if click.is_none_or(|(best, _, _)| rank < best) {
            click = Some((rank, param, value));
        }
    }
    (utm, click.map(|(_, kind, raw)| (kind, raw)))
}

/// The position in [`TAG_PARAMS`] of the parameter `name` is, and that parameter: `name`
/// still encoded and in any ASCII case, or, when `exact`, exactly as listed.
fn tag_param(name: &str, exact: bool) -> Option<(usize, &'static str)> {
    for (i, param) in split(TAG_PARAMS, b' ').enumerate() {
        if if exact {
            name == param
        } else {
            name_matches(name, param)
        } {
            return Some((i, param));
        }
    }
    None
}

/// The entry of [`CLICK_ID_PARAMS`] that is exactly `kind`, if any.
pub(crate) fn click_id_kind(kind: &str) -> Option<&'static str> {
    tag_param(kind, true)
        .filter(|(i, _)| *i >= UTM_COUNT)
        .map(|(_, param)| param)
}

/// The decoded value of the first `name` parameter in a URL's query string, matching the name
/// ASCII case-insensitively; a parameter given without a value (`?debug`) is `Some("")`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    for (raw_name, raw_value) in raw_params(url) {
        if name_matches(raw_name, name) {
            return Some(decode(raw_value));
        }
    }
    None
}

/// Every query parameter of a URL, decoded, in order; a parameter without a value (`?debug`)
/// has an empty one. Rules test them as `query.NAME`.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    for (name, value) in raw_params(url) {
        params.push((decode(name), decode(value)));
    }
    params
}

/// The still-encoded `(name, value)` pairs of the query string: after the first `?` and
/// before the `#`, which the server never sees and so cannot carry tags.
fn raw_params(url: &str) -> RawParams<'_> {
    let before_fragment = split_once(url, b'#').map_or(url, |(before, _)| before);
    let query = split_once(before_fragment, b'?').map_or("", |(_, query)| query);
    RawParams(split(query, b'&'))
}

/// The pairs of [`raw_params`]: one iterator of its own rather than a chain of adapters, so
/// every caller shares one `next` in the browser bundle.
struct RawParams<'a>(Split<'a>);

impl<'a> Iterator for RawParams<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        loop {
            let pair = self.0.next()?;
            if !pair.is_empty() {
                return Some(split_once(pair, b'=').unwrap_or((pair, "")));
            }
        }
    }
}

/// Whether an encoded parameter name decodes to `name`, ignoring ASCII case, without
/// allocating.
fn name_matches(raw: &str, name: &str) -> bool {
    let mut want = name.as_bytes().iter();
    Decode(raw.as_bytes()).all(|b| want.next().is_some_and(|w| w.eq_ignore_ascii_case(&b)))
        && want.next().is_none()
}

/// Decodes a query component into text: see [`Decode`]. When the bytes are not UTF-8, only
/// their ASCII ones are kept (a lossy decoder costs ~1 KB more in the browser bundle, and a
/// campaign value that is not UTF-8 is damaged anyway).
fn decode(raw: &str) -> String {
    let mut bytes = Vec::new();
    for b in Decode(raw.as_bytes()) {
        bytes.push(b);
    }
    crate::text::utf8(&bytes).unwrap_or_else(|| {
        let mut ascii = String::new();
        for &b in &bytes {
            if b.is_ascii() {
                ascii.push(char::from(b));
            }
        }
        ascii
    })
}

/// A decoded value cut to [`MAX_CAMPAIGN_VALUE_CHARS`] (copied: less code than cutting it).
pub(crate) fn campaign_value(raw: &str) -> String {
    String::from(crate::text::prefix_chars(
        &decode(raw),
        MAX_CAMPAIGN_VALUE_CHARS,
    ))
}

/// The bytes of a form-encoded query component: `+` is a space, `%XX` is that byte, and a
/// `%` without two hex digits after it stays a literal `%`, as browsers treat it.
struct Decode<'a>(&'a [u8]);

impl Iterator for Decode<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        match first {
            b'+' => Some(b' '),
            b'%' => {
                if let [hi, lo, after @ ..] = rest {
                    if let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo)) {
                        self.0 = after;
                        return Some(hi << 4 | lo);
                    }
                }
                Some(b'%')
            }
            other => Some(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn the_tag_words_are_the_utm_parameters_then_the_public_click_id_list() {
        let utm = [
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
        ];
        assert_eq!(utm.len(), UTM_COUNT);
        assert!(TAG_PARAMS
            .split(' ')
            .eq(utm.iter().chain(CLICK_ID_PARAMS).copied()));
        for kind in CLICK_ID_PARAMS {
            assert_eq!(click_id_kind(kind), Some(*kind));
            assert_eq!(click_id_kind(&kind.to_ascii_uppercase()), None);
        }
        assert_eq!(click_id_kind("utm_source"), None);
        assert_eq!(click_id_kind(""), None);
    }

    #[test]
    fn utm_parameters_map_to_segment_campaign_fields() {
        let c = parse_campaign(
            "https://shop.test/offer?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=hero&page=2",
        )
        .unwrap();
        assert_eq!(
            c,
            Campaign {
                source: some("newsletter"),
                medium: some("email"),
                name: some("spring"),
                term: some("shoes"),
                content: some("hero"),
                click_id: None,
            }
        );
    }

    #[test]
    fn parameter_names_match_in_any_ascii_case() {
        let c = parse_campaign("https://x.test/?UTM_SOURCE=a&Utm_Medium=b").unwrap();
        assert_eq!(c.source, some("a"));
        assert_eq!(c.medium, some("b"));
    }

    #[test]
    fn plus_and_percent_escapes_are_decoded_including_utf8() {
        let c = parse_campaign("/?utm_source=big+sale&utm_medium=a%20b&utm_campaign=%E2%9C%93")
            .unwrap();
        assert_eq!(c.source, some("big sale"));
        assert_eq!(c.medium, some("a b"));
        assert_eq!(c.name, some("✓"));
    }

    #[test]
    fn encoded_parameter_names_are_decoded_before_matching() {
        assert_eq!(
            parse_campaign("/?utm%5Fsource=a").unwrap().source,
            some("a")
        );
    }

    #[test]
    fn bad_escapes_are_kept_literally_and_bad_utf8_keeps_its_ascii() {
        let c = parse_campaign("/?utm_source=%zz&utm_medium=100%&utm_campaign=%FFok").unwrap();
        assert_eq!(c.source, some("%zz"));
        assert_eq!(c.medium, some("100%"));
        assert_eq!(c.name, some("ok"));
    }

    #[test]
    fn the_fragment_is_not_part_of_the_query() {
        let c = parse_campaign("https://x.test/?utm_source=a#utm_medium=b&gclid=c").unwrap();
        assert_eq!(c.source, some("a"));
        assert_eq!(c.medium, None);
        assert_eq!(c.click_id, None);
        assert_eq!(parse_campaign("https://x.test/#/route?utm_source=a"), None);
    }

    #[test]
    fn a_click_id_alone_makes_a_campaign() {
        let c = parse_campaign("https://x.test/?gclid=Cj0KCQ").unwrap();
        assert_eq!(
            c.click_id,
            Some(ClickId {
                kind: "gclid",
                value: "Cj0KCQ".to_string()
            })
        );
        assert_eq!(c.source, None);
        assert!(!c.is_empty());
    }

    #[test]
    fn the_highest_priority_click_id_wins_wherever_it_appears() {
        let c = parse_campaign("/?yclid=y&fbclid=f&MSCLKID=m&fbclid=f2").unwrap();
        assert_eq!(c.click_id.unwrap().kind, "fbclid");
        let c = parse_campaign("/?yclid=y&fbclid=f1&fbclid=f2").unwrap();
        assert_eq!(c.click_id.unwrap().value, "f1");
        for kind in CLICK_ID_PARAMS {
            let c = parse_campaign(&alloc::format!("/?{kind}=v")).unwrap();
            assert_eq!(c.click_id.unwrap().kind, *kind);
        }
    }

    #[test]
    fn a_url_without_tags_has_no_campaign() {
        assert_eq!(parse_campaign("https://x.test/page"), None);
        assert_eq!(parse_campaign("https://x.test/page?"), None);
        assert_eq!(parse_campaign("https://x.test/page?q=shoes&utm=1"), None);
        assert_eq!(parse_campaign(""), None);
    }

    #[test]
    fn empty_values_are_ignored_and_the_first_non_empty_one_wins() {
        assert_eq!(parse_campaign("/?utm_source=&gclid=&utm_medium"), None);
        let c = parse_campaign("/?utm_source=&utm_source=a&utm_source=b").unwrap();
        assert_eq!(c.source, some("a"));
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_CAMPAIGN_VALUE_CHARS + 50);
        let c = parse_campaign(&alloc::format!("/?utm_source={long}&gclid={long}")).unwrap();
        let source = c.source.unwrap();
        assert_eq!(source.chars().count(), MAX_CAMPAIGN_VALUE_CHARS);
        assert!(long.starts_with(&source));
        assert_eq!(
            c.click_id.unwrap().value.chars().count(),
            MAX_CAMPAIGN_VALUE_CHARS
        );
    }

    #[test]
    fn write_json_writes_present_fields_in_order_with_the_click_id_under_its_kind() {
        let c = parse_campaign(
            "/?gclid=abc&utm_content=x%22y&utm_source=news&utm_campaign=spring&other=1",
        )
        .unwrap();
        let mut out = String::new();
        c.write_json(&mut out);
        assert_eq!(
            out,
            r#"{"source":"news","name":"spring","content":"x\"y","gclid":"abc"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["content"], "x\"y");
    }

    #[test]
    fn an_empty_campaign_writes_an_empty_object() {
        let c = Campaign::default();
        assert!(c.is_empty());
        let mut out = String::new();
        c.write_json(&mut out);
        assert_eq!(out, "{}");
    }

    #[test]
    fn query_param_decodes_the_first_occurrence_of_any_name() {
        let url = "https://x.test/p?Ref=a%2Fb&ref=second&flag&q=big+sale#ref=frag";
        assert_eq!(query_param(url, "ref"), some("a/b"));
        assert_eq!(query_param(url, "REF"), some("a/b"));
        assert_eq!(query_param(url, "q"), some("big sale"));
        assert_eq!(query_param(url, "flag"), some(""));
        assert_eq!(query_param(url, "missing"), None);
        assert_eq!(query_param("https://x.test/p", "ref"), None);
    }
}
