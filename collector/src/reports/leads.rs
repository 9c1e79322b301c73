//! Leads: a profile becomes a lead on its first identifying form submission.
//!
//! **Identity.** Every `identify` event names an identity of its site: its `userId` when
//! it has one, else `traits.email` (trimmed, lower-cased), else `traits.email_sha256`
//! (lower-cased). An identify with none of these names nobody and is ignored. The
//! anonymous ids that sent identify events for an identity are *linked* to it; so are
//! events carrying its user id.
//!
//! **Lead.** An identity is a lead once it has an identifying form submission:
//! `became_lead_at` is the earliest of
//! - an identify event of it carrying `context.form_id` (what the tracker sends right
//!   before a `Form Submitted` with `lead: true`), and
//! - a `Form Submitted` with `lead: true` sent by a linked anonymous id at or after that id
//!   first identified as it, or carrying its user id.
//!
//! An identify without a form (a page calling `identify` after a login) links ids but
//! makes no lead. The rest of a lead is read from its linked events: first and last seen,
//! first-touch campaign (the earliest event with campaign columns), landing page (the URL
//! of the earliest page event), the forms it submitted, and its traits merged over its
//! identify events in time order (later values win).
//!
//! Storage reads three kinds of rows — identify events, `Form Submitted` events, and the
//! linked visitors' history — and [`LeadsBuilder`] turns them into [`LeadList`].

use std::collections::{BTreeMap, HashMap};

use orbit_core::time::format_rfc3339_ms;
use serde::Serialize;
use serde_json::{Map, Value};

use super::csv::write_row;
use super::serialize_ms;

/// Leads answered when the request names no `limit`.
pub const DEFAULT_LEADS_LIMIT: usize = 1000;
/// The largest `limit` a request may ask for; narrow `since`/`until` to see more.
pub const MAX_LEADS_LIMIT: usize = 10_000;

/// Which leads to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadFilter {
    /// The site.
    pub site: String,
    /// Only leads that became leads at or after this time (Unix ms).
    pub since_ms: Option<i64>,
    /// Only leads that became leads before this time (Unix ms).
    pub until_ms: Option<i64>,
    /// At most this many leads, the earliest first.
    pub limit: usize,
}

/// An `identify` event of the site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentifyRow {
    /// Its storage order, to break ties between equal timestamps.
    pub id: i64,
    /// `anonymousId`.
    pub anonymous_id: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// When it happened (Unix ms).
    pub timestamp_ms: i64,
    /// `context.form_id`: the form whose submission sent it, if any.
    pub form_id: Option<String>,
    /// `traits` as JSON text.
    pub traits: Option<String>,
}

/// A `Form Submitted` event of the site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmissionRow {
    /// `anonymousId`.
    pub anonymous_id: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// When it happened (Unix ms).
    pub timestamp_ms: i64,
    /// `properties.form_id`.
    pub form_id: Option<String>,
    /// `properties.lead` is `true`: this submission identified the visitor.
    pub lead: bool,
}

/// Any event of a linked visitor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryRow {
    /// Its storage order, to break ties between equal timestamps.
    pub id: i64,
    /// `anonymousId`.
    pub anonymous_id: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// When it happened (Unix ms).
    pub timestamp_ms: i64,
    /// Whether it is a page event.
    pub is_page: bool,
    /// The page URL.
    pub url: Option<String>,
    /// Its campaign columns.
    pub campaign: Campaign,
}

/// UTM source, medium and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// `utm_source`.
    pub source: Option<String>,
    /// `utm_medium`.
    pub medium: Option<String>,
    /// `utm_campaign`.
    pub name: Option<String>,
}

impl Campaign {
    fn is_empty(&self) -> bool {
        self.source.is_none() && self.medium.is_none() && self.name.is_none()
    }
}

/// One form a lead submitted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormSubmissions {
    /// The form.
    pub form_id: String,
    /// How many times the lead submitted it.
    pub count: u64,
    /// The first submission.
    #[serde(serialize_with = "serialize_ms")]
    pub first_submitted_at: i64,
}

/// One lead.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lead {
    /// Its identity: the user id, else the email, else the email's SHA-256.
    pub key: String,
    /// `traits.email`, as last sent.
    pub email: Option<String>,
    /// `traits.email_sha256`, as last sent.
    pub email_sha256: Option<String>,
    /// The user id, when the lead has one.
    pub user_id: Option<String>,
    /// Its first identifying form submission.
    #[serde(serialize_with = "serialize_ms")]
    pub became_lead_at: i64,
    /// Its earliest linked event.
    #[serde(serialize_with = "serialize_ms")]
    pub first_seen_at: i64,
    /// Its latest linked event.
    #[serde(serialize_with = "serialize_ms")]
    pub last_seen_at: i64,
    /// The campaign of its earliest linked event that had one.
    pub first_touch: Option<Campaign>,
    /// The URL of its earliest page view.
    pub landing_page: Option<String>,
    /// The forms it submitted, the first submitted first.
    pub forms_submitted: Vec<FormSubmissions>,
    /// Its anonymous ids, in the order they identified.
    pub anonymous_ids: Vec<String>,
    /// Its traits merged over its identify events (later values win).
    pub traits: Map<String, Value>,
}

/// The answer of `GET /v1/leads`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadList {
    /// Leads by `became_lead_at`, then key.
    pub leads: Vec<Lead>,
    /// More leads matched than the limit let through.
    pub truncated: bool,
}

/// What is known of one identity.
#[derive(Debug, Default)]
struct Identity {
    user_id: Option<String>,
    traits: Map<String, Value>,
    /// Anonymous id → when it first identified as this identity (ms, storage id).
    links: HashMap<String, (i64, i64)>,
    form_identify_at: Option<i64>,
    lead_submission_at: Option<i64>,
    forms: BTreeMap<String, (u64, i64)>,
}

/// The key an identify event names, if any.
pub fn identity_key(user_id: Option<&str>, traits: &Map<String, Value>) -> Option<String> {
    if let Some(user) = user_id.filter(|u| !u.is_empty()) {
        return Some(user.to_owned());
    }
    ["email", "email_sha256"].iter().find_map(|name| {
        traits
            .get(*name)
            .and_then(Value::as_str)
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
    })
}

fn min_opt(current: Option<i64>, candidate: i64) -> Option<i64> {
    Some(current.map_or(candidate, |c| c.min(candidate)))
}

/// Builds the lead list from identify events, then submissions, then history.
#[derive(Debug, Default)]
pub struct LeadsBuilder {
    identities: HashMap<String, Identity>,
    by_anonymous_id: HashMap<String, Vec<String>>,
}

impl LeadsBuilder {
    /// Identities from a site's identify events, given in time order (then storage
    /// order), so that later traits win.
    pub fn new(identifies: impl IntoIterator<Item = IdentifyRow>) -> LeadsBuilder {
        let mut builder = LeadsBuilder::default();
        for row in identifies {
            let traits = match row
                .traits
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
            {
                Some(Value::Object(traits)) => traits,
                _ => Map::new(),
            };
            let Some(key) = identity_key(row.user_id.as_deref(), &traits) else {
                continue;
            };
            let identity = builder.identities.entry(key.clone()).or_default();
            if row.user_id.is_some() {
                identity.user_id.clone_from(&row.user_id);
            }
            identity.traits.extend(traits);
            if row.form_id.as_deref().is_some_and(|f| !f.is_empty()) {
                identity.form_identify_at = min_opt(identity.form_identify_at, row.timestamp_ms);
            }
            if let Some(anonymous_id) = row.anonymous_id {
                let at = (row.timestamp_ms, row.id);
                let linked = identity.links.entry(anonymous_id.clone()).or_insert(at);
                *linked = (*linked).min(at);
                let keys = builder.by_anonymous_id.entry(anonymous_id).or_default();
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        builder
    }

    /// Counts a `Form Submitted` event for the identities it is linked to.
    pub fn add_submission(&mut self, row: &SubmissionRow) {
        let by_anonymous_id = row
            .anonymous_id
            .as_ref()
            .and_then(|a| self.by_anonymous_id.get(a))
            .into_iter()
            .flatten();
        let by_user = row.user_id.as_ref().filter(|u| {
            self.identities
                .get(u.as_str())
                .is_some_and(|i| i.user_id.as_ref() == Some(u))
        });
        let mut keys: Vec<&String> = by_anonymous_id.chain(by_user).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let Some(identity) = self.identities.get_mut(key) else {
                continue;
            };
            if let Some(form_id) = &row.form_id {
                let entry = identity
                    .forms
                    .entry(form_id.clone())
                    .or_insert((0, row.timestamp_ms));
                entry.0 += 1;
                entry.1 = entry.1.min(row.timestamp_ms);
            }
            let identified_before = row
                .anonymous_id
                .as_ref()
                .and_then(|a| identity.links.get(a))
                .is_some_and(|(linked_at, _)| row.timestamp_ms >= *linked_at);
            let carries_user_id = row.user_id.is_some() && row.user_id == identity.user_id;
            if row.lead && (identified_before || carries_user_id) {
                identity.lead_submission_at =
                    min_opt(identity.lead_submission_at, row.timestamp_ms);
            }
        }
    }

    /// The leads `filter` asks for, earliest first, ready for their history.
    pub fn select(self, filter: &LeadFilter) -> Selection {
        let mut leads: Vec<(i64, String, Identity)> = self
            .identities
            .into_iter()
            .filter_map(|(key, identity)| {
                let became = match (identity.form_identify_at, identity.lead_submission_at) {
                    (Some(a), Some(b)) => a.min(b),
                    (a, b) => a.or(b)?,
                };
                Some((became, key, identity))
            })
            .filter(|(became, _, _)| {
                filter.since_ms.is_none_or(|since| *became >= since)
                    && filter.until_ms.is_none_or(|until| *became < until)
            })
            .collect();
        leads.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let truncated = leads.len() > filter.limit;
        leads.truncate(filter.limit);

        let mut selection = Selection {
            truncated,
            ..Selection::default()
        };
        for (index, (became, key, identity)) in leads.into_iter().enumerate() {
            let mut links: Vec<(String, (i64, i64))> = identity.links.into_iter().collect();
            links.sort_by_key(|(id, at)| (*at, id.clone()));
            for (anonymous_id, _) in &links {
                selection
                    .by_anonymous_id
                    .entry(anonymous_id.clone())
                    .or_default()
                    .push(index);
            }
            if let Some(user) = &identity.user_id {
                selection.by_user_id.insert(user.clone(), index);
            }
            let mut forms: Vec<FormSubmissions> = identity
                .forms
                .into_iter()
                .map(|(form_id, (count, first))| FormSubmissions {
                    form_id,
                    count,
                    first_submitted_at: first,
                })
                .collect();
            forms.sort_by(|a, b| {
                (a.first_submitted_at, &a.form_id).cmp(&(b.first_submitted_at, &b.form_id))
            });
            let text = |name: &str| {
                identity
                    .traits
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            selection.leads.push(Draft {
                lead: Lead {
                    email: text("email"),
                    email_sha256: text("email_sha256"),
                    user_id: identity.user_id.clone(),
                    key,
                    became_lead_at: became,
                    first_seen_at: became,
                    last_seen_at: became,
                    first_touch: None,
                    landing_page: None,
                    forms_submitted: forms,
                    anonymous_ids: links.into_iter().map(|(id, _)| id).collect(),
                    traits: identity.traits,
                },
                first_touch_at: None,
                landing_at: None,
            });
        }
        selection
    }
}

/// A lead still reading its history.
#[derive(Debug)]
struct Draft {
    lead: Lead,
    first_touch_at: Option<(i64, i64)>,
    landing_at: Option<(i64, i64)>,
}

/// The chosen leads, taking their linked visitors' events in any order.
#[derive(Debug, Default)]
pub struct Selection {
    leads: Vec<Draft>,
    truncated: bool,
    by_anonymous_id: HashMap<String, Vec<usize>>,
    by_user_id: HashMap<String, usize>,
}

impl Selection {
    /// The anonymous ids whose events [`Selection::add_history`] needs.
    pub fn anonymous_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.by_anonymous_id.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// The user ids whose events [`Selection::add_history`] needs.
    pub fn user_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.by_user_id.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether no lead was selected (so no history needs reading).
    pub fn is_empty(&self) -> bool {
        self.leads.is_empty()
    }

    /// Takes one event of a linked visitor into account.
    pub fn add_history(&mut self, row: &HistoryRow) {
        let by_anonymous_id = row
            .anonymous_id
            .as_ref()
            .and_then(|a| self.by_anonymous_id.get(a))
            .into_iter()
            .flatten();
        let by_user = row.user_id.as_ref().and_then(|u| self.by_user_id.get(u));
        let mut indices: Vec<usize> = by_anonymous_id.chain(by_user).copied().collect();
        indices.sort_unstable();
        indices.dedup();
        let at = (row.timestamp_ms, row.id);
        for index in indices {
            let Some(draft) = self.leads.get_mut(index) else {
                continue;
            };
            let lead = &mut draft.lead;
            lead.first_seen_at = lead.first_seen_at.min(row.timestamp_ms);
            lead.last_seen_at = lead.last_seen_at.max(row.timestamp_ms);
            if !row.campaign.is_empty() && draft.first_touch_at.is_none_or(|t| at < t) {
                draft.first_touch_at = Some(at);
                lead.first_touch = Some(row.campaign.clone());
            }
            if row.is_page && row.url.is_some() && draft.landing_at.is_none_or(|t| at < t) {
                draft.landing_at = Some(at);
                lead.landing_page.clone_from(&row.url);
            }
        }
    }

    /// The finished list.
    pub fn finish(self) -> LeadList {
        LeadList {
            leads: self.leads.into_iter().map(|d| d.lead).collect(),
            truncated: self.truncated,
        }
    }
}

/// The columns of the CSV form of a lead list.
pub const CSV_COLUMNS: [&str; 15] = [
    "key",
    "email",
    "email_sha256",
    "user_id",
    "became_lead_at",
    "first_seen_at",
    "last_seen_at",
    "first_touch_source",
    "first_touch_medium",
    "first_touch_name",
    "landing_page",
    "forms_submitted",
    "submissions",
    "anonymous_ids",
    "traits",
];

/// The leads as CSV, one row each under a header: forms separated by `; `, anonymous
/// ids by spaces, traits as a JSON object.
pub fn to_csv(list: &LeadList) -> String {
    let mut out = String::new();
    write_row(&mut out, CSV_COLUMNS);
    for lead in &list.leads {
        let campaign = lead.first_touch.clone().unwrap_or_default();
        let forms: Vec<&str> = lead
            .forms_submitted
            .iter()
            .map(|f| f.form_id.as_str())
            .collect();
        let submissions: u64 = lead.forms_submitted.iter().map(|f| f.count).sum();
        let cells = [
            lead.key.clone(),
            lead.email.clone().unwrap_or_default(),
            lead.email_sha256.clone().unwrap_or_default(),
            lead.user_id.clone().unwrap_or_default(),
            format_rfc3339_ms(lead.became_lead_at),
            format_rfc3339_ms(lead.first_seen_at),
            format_rfc3339_ms(lead.last_seen_at),
            campaign.source.unwrap_or_default(),
            campaign.medium.unwrap_or_default(),
            campaign.name.unwrap_or_default(),
            lead.landing_page.clone().unwrap_or_default(),
            forms.join("; "),
            submissions.to_string(),
            lead.anonymous_ids.join(" "),
            Value::Object(lead.traits.clone()).to_string(),
        ];
        write_row(&mut out, cells.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identify(
        id: i64,
        anon: &str,
        user: Option<&str>,
        ts: i64,
        form: Option<&str>,
        traits: Value,
    ) -> IdentifyRow {
        IdentifyRow {
            id,
            anonymous_id: Some(anon.into()),
            user_id: user.map(Into::into),
            timestamp_ms: ts,
            form_id: form.map(Into::into),
            traits: Some(traits.to_string()),
        }
    }

    fn submitted(anon: &str, ts: i64, form: &str, lead: bool) -> SubmissionRow {
        SubmissionRow {
            anonymous_id: Some(anon.into()),
            user_id: None,
            timestamp_ms: ts,
            form_id: Some(form.into()),
            lead,
        }
    }

    fn all() -> LeadFilter {
        LeadFilter {
            site: "s".into(),
            since_ms: None,
            until_ms: None,
            limit: DEFAULT_LEADS_LIMIT,
        }
    }

    #[test]
    fn the_key_is_the_user_id_else_the_email_else_its_hash() {
        let traits = json!({"email": " Ann@Example.COM ", "email_sha256": "AB"});
        let traits = traits.as_object().unwrap();
        assert_eq!(identity_key(Some("u1"), traits).as_deref(), Some("u1"));
        assert_eq!(
            identity_key(None, traits).as_deref(),
            Some("ann@example.com")
        );
        let hashed = json!({"email_sha256": "AB12"});
        assert_eq!(
            identity_key(None, hashed.as_object().unwrap()).as_deref(),
            Some("ab12")
        );
        assert_eq!(identity_key(None, &Map::new()), None);
        let blank = json!({"email": "  "});
        assert_eq!(identity_key(Some(""), blank.as_object().unwrap()), None);
    }

    #[test]
    fn an_identify_without_a_form_makes_no_lead() {
        let builder = LeadsBuilder::new([identify(1, "a", Some("u"), 10, None, json!({}))]);
        assert!(builder.select(&all()).is_empty());
    }

    #[test]
    fn a_lead_submission_counts_only_after_the_id_identified() {
        // The visitor submitted a lead form as `a`, then the page identified `a` as `u`
        // without a form: `u` is not a lead because of the earlier submission.
        let mut builder = LeadsBuilder::new([identify(
            2,
            "a",
            Some("u"),
            20,
            None,
            json!({"plan": "pro"}),
        )]);
        builder.add_submission(&submitted("a", 10, "signup", true));
        assert!(builder.select(&all()).is_empty());

        let mut builder = LeadsBuilder::new([identify(2, "a", Some("u"), 20, None, json!({}))]);
        builder.add_submission(&submitted("a", 30, "signup", true));
        builder.add_submission(&submitted("a", 40, "signup", false));
        let list = builder.select(&all()).finish();
        assert_eq!(list.leads.len(), 1);
        assert_eq!(list.leads[0].became_lead_at, 30);
        assert_eq!(list.leads[0].forms_submitted[0].count, 2);
    }

    #[test]
    fn history_sets_first_touch_landing_page_and_seen_times_in_any_order() {
        let builder = LeadsBuilder::new([identify(
            5,
            "a",
            None,
            50,
            Some("f"),
            json!({"email": "x@y.z"}),
        )]);
        let mut selection = builder.select(&all());
        assert_eq!(selection.anonymous_ids(), ["a"]);
        let row = |id, ts, is_page, url: &str, source: Option<&str>| HistoryRow {
            id,
            anonymous_id: Some("a".into()),
            user_id: None,
            timestamp_ms: ts,
            is_page,
            url: Some(url.into()),
            campaign: Campaign {
                source: source.map(Into::into),
                ..Campaign::default()
            },
        };
        selection.add_history(&row(9, 90, true, "/late", Some("late")));
        selection.add_history(&row(3, 20, false, "/track", None));
        selection.add_history(&row(2, 20, true, "/first", Some("first")));
        let lead = &selection.finish().leads[0];
        assert_eq!(lead.first_seen_at, 20);
        assert_eq!(lead.last_seen_at, 90);
        assert_eq!(lead.landing_page.as_deref(), Some("/first"));
        assert_eq!(
            lead.first_touch.as_ref().unwrap().source.as_deref(),
            Some("first")
        );
    }

    #[test]
    fn two_browsers_identifying_as_one_email_are_one_lead() {
        let builder = LeadsBuilder::new([
            identify(
                1,
                "laptop",
                None,
                10,
                Some("f"),
                json!({"email": "A@x", "n": 1}),
            ),
            identify(2, "phone", None, 40, None, json!({"email": "a@x", "n": 2})),
        ]);
        let mut selection = builder.select(&all());
        assert_eq!(selection.anonymous_ids(), ["laptop", "phone"]);
        selection.add_history(&HistoryRow {
            id: 9,
            anonymous_id: Some("phone".into()),
            timestamp_ms: 90,
            ..HistoryRow::default()
        });
        let list = selection.finish();
        let lead = &list.leads[0];
        assert_eq!(list.leads.len(), 1);
        assert_eq!(
            lead.anonymous_ids,
            ["laptop", "phone"],
            "in the order they identified"
        );
        assert_eq!((lead.became_lead_at, lead.last_seen_at), (10, 90));
        assert_eq!(
            lead.traits,
            *json!({"email": "a@x", "n": 2}).as_object().unwrap()
        );
    }

    #[test]
    fn the_limit_keeps_the_earliest_leads_and_says_it_cut() {
        let builder = LeadsBuilder::new([
            identify(1, "a", None, 30, Some("f"), json!({"email": "c@x"})),
            identify(2, "b", None, 10, Some("f"), json!({"email": "b@x"})),
            identify(3, "c", None, 10, Some("f"), json!({"email": "a@x"})),
        ]);
        let list = builder.select(&LeadFilter { limit: 2, ..all() }).finish();
        let keys: Vec<&str> = list.leads.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, ["a@x", "b@x"], "by time, then key");
        assert!(list.truncated);
    }
}
