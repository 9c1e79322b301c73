//! The attributes conditions can test, resolved from their names once, at parse time.

use alloc::string::String;

/// A built-in attribute, or a named member of a map (`query.NAME`, `traits.NAME`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Attr {
    Url,
    Host,
    Path,
    Hash,
    Query(String),
    Campaign(Touch, CampaignField),
    LandingPage,
    Referrer,
    ReferrerDomain,
    Device,
    Browser,
    Os,
    Language,
    LocalHour,
    LocalWeekday,
    Returning,
    VisitCount,
    SessionPageViews,
    SecondsOnSite,
    FormsStarted,
    FormsSubmitted,
    FormsSubmittedIds,
    Identified,
    Trait(String),
    Custom(String),
    Segments,
    LeadScore,
    Experiment(String),
}

/// Which campaign: the one the current session arrived with, or the visitor's first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Touch {
    Current,
    First,
}

/// A field of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CampaignField {
    Source,
    Medium,
    Name,
    Term,
    Content,
    ClickId,
    ClickIdType,
}

/// What kind of value an attribute holds, for lint's type checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Number,
    Bool,
    TextList,
    /// Traits and custom attributes: whatever the site put there.
    Any,
}

/// Names of the built-in attributes and of the map prefixes (docs/rules.md, same order),
/// e.g. for an editor's autocomplete.
pub const ATTRIBUTE_NAMES: [&str; 41] = [
    "url",
    "host",
    "path",
    "hash",
    "query.NAME",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "click_id",
    "click_id_type",
    "first_touch.utm_source",
    "first_touch.utm_medium",
    "first_touch.utm_campaign",
    "first_touch.utm_term",
    "first_touch.utm_content",
    "first_touch.click_id",
    "first_touch.click_id_type",
    "first_touch.landing_page",
    "referrer",
    "referrer_domain",
    "device",
    "browser",
    "os",
    "language",
    "local_hour",
    "local_weekday",
    "returning",
    "visit_count",
    "session_page_views",
    "seconds_on_site",
    "forms_started",
    "forms_submitted",
    "forms_submitted_ids",
    "identified",
    "traits.NAME",
    "custom.NAME",
    "segments",
    "lead_score",
    "experiments.ID",
];

/// [`ATTRIBUTE_NAMES`] as words separated by spaces: what the parser walks and error messages
/// list (smaller in the browser bundle than the slice).
pub(crate) const ATTRIBUTE_LIST: &str = "url host path hash query.NAME utm_source utm_medium \
utm_campaign utm_term utm_content click_id click_id_type first_touch.utm_source \
first_touch.utm_medium first_touch.utm_campaign first_touch.utm_term first_touch.utm_content \
first_touch.click_id first_touch.click_id_type first_touch.landing_page referrer \
referrer_domain device browser os language local_hour local_weekday returning visit_count \
session_page_views seconds_on_site forms_started forms_submitted forms_submitted_ids \
identified traits.NAME custom.NAME segments lead_score experiments.ID";

/// The campaign fields in the order of [`ATTRIBUTE_NAMES`] (`utm_source` … `click_id_type`).
const CAMPAIGN_FIELDS: [CampaignField; 7] = [
    CampaignField::Source,
    CampaignField::Medium,
    CampaignField::Name,
    CampaignField::Term,
    CampaignField::Content,
    CampaignField::ClickId,
    CampaignField::ClickIdType,
];

impl Attr {
    /// The attribute named `name` in a document; `None` when there is no such attribute or
    /// a map prefix has an empty member name. One walk over [`ATTRIBUTE_LIST`] (a table is
    /// smaller in the browser bundle than a `match` on 40 strings).
    pub(crate) fn from_name(name: &str) -> Option<Attr> {
        let mut member = String::new();
        let index = ATTRIBUTE_LIST.split(' ').position(|pattern| {
            match pattern
                .strip_suffix("NAME")
                .or_else(|| pattern.strip_suffix("ID"))
            {
                // A map prefix (`query.`, `traits.`…): the rest of the name is the member.
                Some(prefix) => name.strip_prefix(prefix).is_some_and(|rest| {
                    member = String::from(rest);
                    !rest.is_empty()
                }),
                None => pattern == name,
            }
        })?;
        let campaign = |touch, first| {
            CAMPAIGN_FIELDS
                .get(index - first)
                .map(|f| Attr::Campaign(touch, *f))
        };
        Some(match index {
            0 => Attr::Url,
            1 => Attr::Host,
            2 => Attr::Path,
            3 => Attr::Hash,
            4 => Attr::Query(member),
            5..=11 => return campaign(Touch::Current, 5),
            12..=18 => return campaign(Touch::First, 12),
            19 => Attr::LandingPage,
            20 => Attr::Referrer,
            21 => Attr::ReferrerDomain,
            22 => Attr::Device,
            23 => Attr::Browser,
            24 => Attr::Os,
            25 => Attr::Language,
            26 => Attr::LocalHour,
            27 => Attr::LocalWeekday,
            28 => Attr::Returning,
            29 => Attr::VisitCount,
            30 => Attr::SessionPageViews,
            31 => Attr::SecondsOnSite,
            32 => Attr::FormsStarted,
            33 => Attr::FormsSubmitted,
            34 => Attr::FormsSubmittedIds,
            35 => Attr::Identified,
            36 => Attr::Trait(member),
            37 => Attr::Custom(member),
            38 => Attr::Segments,
            39 => Attr::LeadScore,
            _ => Attr::Experiment(member),
        })
    }

    /// What kind of value the attribute holds.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Attr::LocalHour
            | Attr::LocalWeekday
            | Attr::VisitCount
            | Attr::SessionPageViews
            | Attr::SecondsOnSite
            | Attr::FormsStarted
            | Attr::FormsSubmitted
            | Attr::LeadScore => Kind::Number,
            Attr::Returning | Attr::Identified => Kind::Bool,
            Attr::FormsSubmittedIds | Attr::Segments => Kind::TextList,
            Attr::Trait(_) | Attr::Custom(_) => Kind::Any,
            _ => Kind::Text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_list_is_the_public_list() {
        assert!(ATTRIBUTE_LIST.split(' ').eq(ATTRIBUTE_NAMES));
    }

    #[test]
    fn every_listed_name_resolves() {
        for name in ATTRIBUTE_NAMES {
            let concrete = name.replace("NAME", "x").replace("ID", "x");
            assert!(Attr::from_name(&concrete).is_some(), "{name}");
        }
    }

    #[test]
    fn map_prefixes_need_a_member_name() {
        assert_eq!(Attr::from_name("query."), None);
        assert_eq!(Attr::from_name("traits"), None);
        assert_eq!(Attr::from_name("first_touch.referrer"), None);
        assert_eq!(
            Attr::from_name("traits.plan.tier"),
            Some(Attr::Trait("plan.tier".into()))
        );
        assert_eq!(
            Attr::from_name("first_touch.utm_campaign"),
            Some(Attr::Campaign(Touch::First, CampaignField::Name))
        );
    }
}
