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

const CAMPAIGN_FIELDS: [(&str, CampaignField); 7] = [
    ("utm_source", CampaignField::Source),
    ("utm_medium", CampaignField::Medium),
    ("utm_campaign", CampaignField::Name),
    ("utm_term", CampaignField::Term),
    ("utm_content", CampaignField::Content),
    ("click_id", CampaignField::ClickId),
    ("click_id_type", CampaignField::ClickIdType),
];

impl Attr {
    /// The attribute named `name` in a document; `None` when there is no such attribute or
    /// a map prefix has an empty member name.
    pub(crate) fn from_name(name: &str) -> Option<Attr> {
        let member = |prefix: &str| {
            name.strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
                .map(String::from)
        };
        if let Some(m) = member("query.") {
            return Some(Attr::Query(m));
        }
        if let Some(m) = member("traits.") {
            return Some(Attr::Trait(m));
        }
        if let Some(m) = member("custom.") {
            return Some(Attr::Custom(m));
        }
        if let Some(m) = member("experiments.") {
            return Some(Attr::Experiment(m));
        }
        if let Some(field) = name.strip_prefix("first_touch.") {
            if field == "landing_page" {
                return Some(Attr::LandingPage);
            }
            return campaign_field(field).map(|f| Attr::Campaign(Touch::First, f));
        }
        if let Some(f) = campaign_field(name) {
            return Some(Attr::Campaign(Touch::Current, f));
        }
        Some(match name {
            "url" => Attr::Url,
            "host" => Attr::Host,
            "path" => Attr::Path,
            "hash" => Attr::Hash,
            "referrer" => Attr::Referrer,
            "referrer_domain" => Attr::ReferrerDomain,
            "device" => Attr::Device,
            "browser" => Attr::Browser,
            "os" => Attr::Os,
            "language" => Attr::Language,
            "local_hour" => Attr::LocalHour,
            "local_weekday" => Attr::LocalWeekday,
            "returning" => Attr::Returning,
            "visit_count" => Attr::VisitCount,
            "session_page_views" => Attr::SessionPageViews,
            "seconds_on_site" => Attr::SecondsOnSite,
            "forms_started" => Attr::FormsStarted,
            "forms_submitted" => Attr::FormsSubmitted,
            "forms_submitted_ids" => Attr::FormsSubmittedIds,
            "identified" => Attr::Identified,
            "segments" => Attr::Segments,
            "lead_score" => Attr::LeadScore,
            _ => return None,
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

fn campaign_field(name: &str) -> Option<CampaignField> {
    CAMPAIGN_FIELDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

#[cfg(test)]
mod tests {
    use super::*;

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
