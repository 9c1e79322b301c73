//! The attributes conditions can test, resolved from their names once, at parse time.

use alloc::string::String;

/// An attribute a condition tests: which one, and for a map (`query.NAME`, `traits.NAME`,
/// `custom.NAME`, `experiments.ID`) the member's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attr {
    pub(crate) id: AttrId,
    /// The member of a map attribute; empty for the others.
    pub(crate) member: String,
}

/// The built-in attributes and map prefixes, declared in the order of [`ATTRIBUTE_NAMES`]:
/// a name's position in the list is its discriminant, so reading a name needs no `match`
/// of cases (a smaller bundle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttrId {
    Url,
    Host,
    Path,
    Hash,
    Query,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    ClickId,
    ClickIdType,
    FirstUtmSource,
    FirstUtmMedium,
    FirstUtmCampaign,
    FirstUtmTerm,
    FirstUtmContent,
    FirstClickId,
    FirstClickIdType,
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
    Trait,
    Custom,
    Segments,
    LeadScore,
    Experiment,
}

impl AttrId {
    /// The attribute at `index` in [`ATTRIBUTE_LIST`]. The variants are declared in that
    /// order, so this `match` compiles to a range check, with no table in the bundle.
    pub(crate) fn from_index(index: usize) -> Option<AttrId> {
        Some(match index {
            0 => AttrId::Url,
            1 => AttrId::Host,
            2 => AttrId::Path,
            3 => AttrId::Hash,
            4 => AttrId::Query,
            5 => AttrId::UtmSource,
            6 => AttrId::UtmMedium,
            7 => AttrId::UtmCampaign,
            8 => AttrId::UtmTerm,
            9 => AttrId::UtmContent,
            10 => AttrId::ClickId,
            11 => AttrId::ClickIdType,
            12 => AttrId::FirstUtmSource,
            13 => AttrId::FirstUtmMedium,
            14 => AttrId::FirstUtmCampaign,
            15 => AttrId::FirstUtmTerm,
            16 => AttrId::FirstUtmContent,
            17 => AttrId::FirstClickId,
            18 => AttrId::FirstClickIdType,
            19 => AttrId::LandingPage,
            20 => AttrId::Referrer,
            21 => AttrId::ReferrerDomain,
            22 => AttrId::Device,
            23 => AttrId::Browser,
            24 => AttrId::Os,
            25 => AttrId::Language,
            26 => AttrId::LocalHour,
            27 => AttrId::LocalWeekday,
            28 => AttrId::Returning,
            29 => AttrId::VisitCount,
            30 => AttrId::SessionPageViews,
            31 => AttrId::SecondsOnSite,
            32 => AttrId::FormsStarted,
            33 => AttrId::FormsSubmitted,
            34 => AttrId::FormsSubmittedIds,
            35 => AttrId::Identified,
            36 => AttrId::Trait,
            37 => AttrId::Custom,
            38 => AttrId::Segments,
            39 => AttrId::LeadScore,
            40 => AttrId::Experiment,
            _ => return None,
        })
    }

    /// Whether the attribute is a map (`query.NAME`, `traits.NAME`, `custom.NAME`,
    /// `experiments.ID`), which needs a member name.
    pub(crate) fn is_map(self) -> bool {
        matches!(
            self,
            AttrId::Query | AttrId::Trait | AttrId::Custom | AttrId::Experiment
        )
    }
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

impl Attr {
    /// The attribute named `name` in a document; `None` when there is no such attribute or
    /// a map prefix has an empty member name. One walk over [`ATTRIBUTE_LIST`] (a table is
    /// smaller in the browser bundle than a `match` on 40 strings).
    pub(crate) fn from_name(name: &str) -> Option<Attr> {
        let mut member = "";
        let index = ATTRIBUTE_LIST.split(' ').position(|pattern| {
            match pattern
                .strip_suffix("NAME")
                .or_else(|| pattern.strip_suffix("ID"))
            {
                // A map prefix (`query.`, `traits.`…): the rest of the name is the member.
                Some(prefix) => name.strip_prefix(prefix).is_some_and(|rest| {
                    member = rest;
                    !rest.is_empty()
                }),
                None => pattern == name,
            }
        })?;
        Some(Attr {
            id: AttrId::from_index(index)?,
            member: String::from(member),
        })
    }

    /// The attribute as a document names it: the inverse of [`Attr::from_name`], for lint
    /// and explanations (the compiled document carries the id and the member instead).
    pub(crate) fn name(&self) -> String {
        let word = ATTRIBUTE_LIST
            .split(' ')
            .nth(self.id as usize)
            .unwrap_or("");
        let mut name = String::from(word.trim_end_matches("NAME").trim_end_matches("ID"));
        name.push_str(&self.member);
        name
    }

    /// What kind of value the attribute holds.
    pub(crate) fn kind(&self) -> Kind {
        match self.id {
            AttrId::LocalHour
            | AttrId::LocalWeekday
            | AttrId::VisitCount
            | AttrId::SessionPageViews
            | AttrId::SecondsOnSite
            | AttrId::FormsStarted
            | AttrId::FormsSubmitted
            | AttrId::LeadScore => Kind::Number,
            AttrId::Returning | AttrId::Identified => Kind::Bool,
            AttrId::FormsSubmittedIds | AttrId::Segments => Kind::TextList,
            AttrId::Trait | AttrId::Custom => Kind::Any,
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

    fn attr(id: AttrId, member: &str) -> Option<Attr> {
        Some(Attr {
            id,
            member: member.into(),
        })
    }

    #[test]
    fn map_prefixes_need_a_member_name() {
        assert_eq!(Attr::from_name("query."), None);
        assert_eq!(Attr::from_name("traits"), None);
        assert_eq!(Attr::from_name("first_touch.referrer"), None);
        assert_eq!(
            Attr::from_name("traits.plan.tier"),
            attr(AttrId::Trait, "plan.tier")
        );
        assert_eq!(
            Attr::from_name("first_touch.utm_campaign"),
            attr(AttrId::FirstUtmCampaign, "")
        );
        assert_eq!(Attr::from_name("url"), attr(AttrId::Url, ""));
    }

    #[test]
    fn names_are_written_back_as_read() {
        for name in ATTRIBUTE_NAMES {
            let concrete = name.replace("NAME", "plan.tier").replace("ID", "hero-test");
            let attr = Attr::from_name(&concrete).expect("listed");
            assert_eq!(attr.name(), concrete);
            assert_eq!(attr.id.is_map(), !attr.member.is_empty(), "{name}");
        }
    }

    #[test]
    fn attributes_are_declared_in_the_order_of_their_names() {
        for i in 0..ATTRIBUTE_NAMES.len() {
            assert_eq!(AttrId::from_index(i).map(|id| id as usize), Some(i));
        }
        assert_eq!(AttrId::from_index(ATTRIBUTE_NAMES.len()), None);
    }
}
