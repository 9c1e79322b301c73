//! The leads API and the form report, in-process, over `tests/fixtures/forms.json` sent
//! through the real ingest path. Every number asserted here is worked out by hand in the
//! comments next to it.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use common::*;
use orbit_collector::config::RawSite;
use serde_json::{json, Value};

const OTHER_KEY: &str = "OTHER_WRITE_KEY";
const EMPTY_KEY: &str = "EMPTY_WRITE_KEY";
const FROM: &str = "2026-10-05T00:00:00Z";
const TO: &str = "2026-10-20T00:00:00Z";
/// SHA-256 of `bob@example.com`: Bob's form hashes his email.
const BOB_HASH: &str = "5ff860bf1190596c7188ab851db691f0f3169c453936e9e1eba2f9a47f7a0018";
const ANN_LANDING: &str =
    "https://shop.example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn";
const BOB_LANDING: &str = "https://shop.example.com/pricing?utm_source=google&utm_medium=cpc\
    &utm_campaign=%3DHYPERLINK(%22https%3A%2F%2Fevil.example%22%2C%22click%22)";

fn site(id: &str, key: &str) -> RawSite {
    RawSite {
        id: Some(id.into()),
        write_key: Some(key.into()),
        allowed_origins: vec![ORIGIN.into()],
        drop_bots: false,
    }
}

/// An app with three sites — `shop` and `other` hold the fixture, `empty` nothing — that
/// keeps events as old as the fixture's.
fn reports_app() -> TestApp {
    test_app_configured(
        |_| {},
        |raw| {
            raw.limits.max_age_days = Some(36_500);
            raw.sites.push(site("other", OTHER_KEY));
            raw.sites.push(site("empty", EMPTY_KEY));
        },
    )
}

/// Sends each site's fixture events through `POST /v1/batch` and checks all were stored.
async fn with_fixture() -> TestApp {
    let app = reports_app();
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/forms.json")).expect("fixture is JSON");
    for (site, key) in [("shop", KEY), ("other", OTHER_KEY)] {
        send_batch(&app, key, &fixture["sites"][site]).await;
    }
    app
}

/// Sends `events` (a JSON array) with the write key `key` and checks all were stored.
async fn send_batch(app: &TestApp, key: &str, events: &Value) {
    let request = Request::post(format!("/v1/batch?key={key}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({ "batch": events }).to_string()))
        .unwrap();
    let (status, _, text) = app.call(request).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let count = events.as_array().map_or(0, Vec::len);
    assert_eq!(
        answer,
        json!({"accepted": count, "duplicates": 0, "rejected": []}),
        "every event sent with {key} is stored"
    );
}

async fn get(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, String) {
    let mut request = Request::get(uri).header("authorization", format!("Bearer {ADMIN}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.call(request.body(Body::empty()).unwrap()).await
}

async fn get_json(app: &TestApp, uri: &str) -> Value {
    let (status, headers, text) = get(app, uri, &[]).await;
    assert_eq!(status, 200, "{uri}: {text}");
    assert_eq!(headers["content-type"], "application/json", "{uri}");
    serde_json::from_str(&text).unwrap()
}

/// Compares two objects key by key, so that a failure names the field.
fn assert_fields(actual: &Value, expected: &Value, what: &str) {
    let (Some(actual), Some(expected)) = (actual.as_object(), expected.as_object()) else {
        panic!("{what}: expected an object, got {actual}");
    };
    for (key, value) in expected {
        assert_eq!(actual.get(key), Some(value), "{what}.{key}");
    }
    let extra: Vec<&String> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(extra.is_empty(), "{what}: unexpected fields {extra:?}");
}

fn form<'a>(report: &'a Value, form_id: &str) -> &'a Value {
    report["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["form_id"] == form_id)
        .unwrap_or_else(|| panic!("no form {form_id} in {report}"))
}

#[tokio::test]
async fn the_form_report_counts_each_form_in_the_window_exactly() {
    let app = with_fixture().await;
    let report = get_json(
        &app,
        &format!("/v1/reports/forms?site=shop&from={FROM}&to={TO}"),
    )
    .await;
    assert_eq!(report["site"], "shop");
    assert_eq!(report["from"], "2026-10-05T00:00:00.000Z");
    assert_eq!(report["to"], "2026-10-20T00:00:00.000Z");
    let order: Vec<&str> = report["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["form_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["newsletter", "contact", "signup"],
        "by path: /blog, /contact, /pricing"
    );

    // /pricing in the window: page views by ann (twice), bob, cat, dan, eve and fay (whose
    // events carry only a URL) = 7; zed's is before the window, the crawler's is a bot's.
    // Starts: ann twice, bob, cat, dan, fay = 6 → 6/7. Submissions: ann twice, bob, fay = 4
    // → 4/6. Durations 20000, 30001, 40000, 60000 (zed's 5000 is outside): an even count,
    // so the mean of 30001 and 40000. Abandoned at email (cat) and company (dan): a tie,
    // by name. Errors: email typeMismatch (ann, cat), email valueMissing (bob), company
    // valueMissing (bob).
    assert_fields(
        form(&report, "signup"),
        &json!({
            "form_id": "signup",
            "path": "/pricing",
            "views": 7,
            "starts": 6,
            "submissions": 4,
            "abandons": 2,
            "start_rate": 0.8571,
            "completion_rate": 0.6667,
            "median_time_to_complete_ms": 35000.5,
            "abandonment": [{"field": "company", "count": 1}, {"field": "email", "count": 1}],
            "errors": {
                "total": 4,
                "by_field": [
                    {"field": "email", "count": 3, "kinds": {"typeMismatch": 2, "valueMissing": 1}},
                    {"field": "company", "count": 1, "kinds": {"valueMissing": 1}}
                ],
                "by_kind": {"typeMismatch": 2, "valueMissing": 2}
            }
        }),
        "signup",
    );
    // /contact: cat, dan and eve view, start and abandon it (gus comes after the window).
    // Dan's abandon (at phone) was only his tab being hidden: he came back and submitted,
    // and his Form Submitted names that field, so it is not an abandon. 1 submission of 3
    // starts, its 145000 ms the median; abandons: cat and eve, both at message.
    assert_fields(
        form(&report, "contact"),
        &json!({
            "form_id": "contact",
            "path": "/contact",
            "views": 3,
            "starts": 3,
            "submissions": 1,
            "abandons": 2,
            "start_rate": 1.0,
            "completion_rate": 0.3333,
            "median_time_to_complete_ms": 145000.0,
            "abandonment": [{"field": "message", "count": 2}],
            "errors": {
                "total": 1,
                "by_field": [{"field": "phone", "count": 1, "kinds": {"patternMismatch": 1}}],
                "by_kind": {"patternMismatch": 1}
            }
        }),
        "contact",
    );
    // /blog: only zed (before the window) ever started the newsletter form; in the window
    // eve (a Segment-style page with properties.path) and ann view the page. Viewed but
    // never started: a start rate of 0, a completion rate of nothing.
    assert_fields(
        form(&report, "newsletter"),
        &json!({
            "form_id": "newsletter",
            "path": "/blog",
            "views": 2,
            "starts": 0,
            "submissions": 0,
            "abandons": 0,
            "start_rate": 0.0,
            "completion_rate": null,
            "median_time_to_complete_ms": null,
            "abandonment": [],
            "errors": {"total": 0, "by_field": [], "by_kind": {}}
        }),
        "newsletter",
    );
}

#[tokio::test]
async fn the_form_report_covers_all_time_by_default() {
    let app = with_fixture().await;
    let report = get_json(&app, "/v1/reports/forms?site=shop").await;
    assert_eq!(report["from"], Value::Null);
    assert_eq!(report["to"], Value::Null);
    // Now zed's view, start and 5000 ms submission count: durations 5000, 20000, 30001,
    // 40000, 60000 → an odd count, the middle one.
    let signup = form(&report, "signup");
    assert_eq!(
        (&signup["views"], &signup["starts"], &signup["submissions"]),
        (&json!(8), &json!(7), &json!(5))
    );
    assert_eq!(signup["median_time_to_complete_ms"], 30001.0);
    assert_eq!(signup["completion_rate"], 0.7143);
    // And gus's visit: a fourth view and start, and an email error that ties with phone.
    let contact = form(&report, "contact");
    assert_eq!(
        (&contact["views"], &contact["starts"]),
        (&json!(4), &json!(4))
    );
    assert_eq!(
        contact["errors"]["by_field"],
        json!([
            {"field": "email", "count": 1, "kinds": {"valueMissing": 1}},
            {"field": "phone", "count": 1, "kinds": {"patternMismatch": 1}}
        ])
    );
    let newsletter = form(&report, "newsletter");
    assert_eq!(newsletter["start_rate"], 0.3333, "1 start in 3 views");
}

#[tokio::test]
async fn a_quiet_window_lists_the_forms_with_zeros_and_nulls() {
    let app = with_fixture().await;
    let report = get_json(
        &app,
        "/v1/reports/forms?site=shop&from=2026-09-01&to=1788307200000",
    )
    .await;
    assert_eq!(report["to"], "2026-09-02T00:00:00.000Z", "Unix ms are read");
    assert_eq!(report["forms"].as_array().unwrap().len(), 3);
    for form in report["forms"].as_array().unwrap() {
        let id = form["form_id"].as_str().unwrap();
        for count in ["views", "starts", "submissions", "abandons"] {
            assert_eq!(form[count], 0, "{id}.{count}");
        }
        for unknown in [
            "start_rate",
            "completion_rate",
            "median_time_to_complete_ms",
        ] {
            assert_eq!(form[unknown], Value::Null, "{id}.{unknown}");
        }
        assert_eq!(form["abandonment"], json!([]));
        assert_eq!(
            form["errors"],
            json!({"total": 0, "by_field": [], "by_kind": {}})
        );
    }
}

#[tokio::test]
async fn a_site_without_events_has_an_empty_report_and_no_leads() {
    let app = with_fixture().await;
    let report = get_json(&app, "/v1/reports/forms?site=empty").await;
    assert_eq!(
        report,
        json!({"site": "empty", "from": null, "to": null, "forms": []})
    );
    let leads = get_json(&app, "/v1/leads?site=empty").await;
    assert_eq!(leads, json!({"leads": [], "truncated": false}));
    let (status, _, csv) = get(&app, "/v1/leads?site=empty&format=csv", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");
}

/// A form whose only events are submissions without a `Form Started` (a page that reports
/// them with `orbit('track', 'Form Submitted', …)`): counted, not a failed report.
#[tokio::test]
async fn a_form_with_only_submissions_is_reported() {
    let app = reports_app();
    let events = json!([
        {"type": "track", "messageId": "only-1", "anonymousId": "anon-solo",
         "timestamp": "2026-10-06T10:00:00.000Z", "event": "Form Submitted",
         "properties": {"form_id": "quick"},
         "context": {"page": {"path": "/quick", "url": "https://shop.example.com/quick"}}}
    ]);
    send_batch(&app, EMPTY_KEY, &events).await;
    let report = get_json(&app, "/v1/reports/forms?site=empty").await;
    let quick = form(&report, "quick");
    assert_eq!(
        (
            &quick["submissions"],
            &quick["abandons"],
            &quick["abandonment"]
        ),
        (&json!(1), &json!(0), &json!([]))
    );
}

fn ann() -> Value {
    json!({
        "key": "ann@example.com",
        "email": "ann@example.com",
        "email_sha256": null,
        "user_id": null,
        // Her first identify from the signup form, not the second one a week later.
        "became_lead_at": "2026-10-05T10:01:10.000Z",
        // Her anonymous visit from the newsletter, the day before, is linked to her.
        "first_seen_at": "2026-10-04T18:00:00.000Z",
        "last_seen_at": "2026-10-14T12:00:00.000Z",
        "first_touch": {"source": "newsletter", "medium": "email", "name": "autumn"},
        "landing_page": ANN_LANDING,
        "forms_submitted": [
            {"form_id": "signup", "count": 2, "first_submitted_at": "2026-10-05T10:01:10.500Z"}
        ],
        "anonymous_ids": ["anon-ann"],
        // Merged over both identifies; the later email (lower case) wins.
        "traits": {"company": "Acme, Inc.", "email": "ann@example.com", "role": "CTO"}
    })
}

fn bob() -> Value {
    json!({
        "key": BOB_HASH,
        "email": null,
        "email_sha256": BOB_HASH,
        "user_id": null,
        "became_lead_at": "2026-10-06T14:01:20.000Z",
        "first_seen_at": "2026-10-06T14:00:00.000Z",
        "last_seen_at": "2026-10-06T14:01:20.500Z",
        "first_touch": {
            "source": "google",
            "medium": "cpc",
            "name": "=HYPERLINK(\"https://evil.example\",\"click\")"
        },
        "landing_page": BOB_LANDING,
        "forms_submitted": [
            {"form_id": "signup", "count": 1, "first_submitted_at": "2026-10-06T14:01:20.500Z"}
        ],
        "anonymous_ids": ["anon-bob"],
        "traits": {"email_sha256": BOB_HASH}
    })
}

#[tokio::test]
async fn leads_are_the_visitors_identified_by_a_form_in_order() {
    let app = with_fixture().await;
    // Dan's identify came from a login, not a form; fay submitted without being
    // identified; olga is a lead of the other site.
    let (status, headers, text) = get(&app, "/v1/leads?site=shop", &[]).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["x-orbit-truncated"], "false");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["truncated"], false);
    let leads = list["leads"].as_array().unwrap();
    assert_eq!(leads.len(), 2, "{list}");
    assert_fields(&leads[0], &ann(), "ann");
    assert_fields(&leads[1], &bob(), "bob");

    let other = get_json(&app, "/v1/leads?site=other").await;
    let keys: Vec<&Value> = other["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["key"])
        .collect();
    assert_eq!(keys, [&json!("olga@example.org")]);
}

#[tokio::test]
async fn leads_filter_by_when_they_became_leads_and_obey_the_limit() {
    let app = with_fixture().await;
    let since = get_json(&app, "/v1/leads?site=shop&since=2026-10-06").await;
    assert_eq!(since["leads"], json!([bob()]));
    // `until` excludes: ann became a lead at exactly this millisecond.
    let until = get_json(&app, "/v1/leads?site=shop&until=2026-10-05T10:01:10.001Z").await;
    assert_eq!(until["leads"], json!([ann()]));
    let none = get_json(&app, "/v1/leads?site=shop&until=2026-10-05T10:01:10Z").await;
    assert_eq!(none["leads"], json!([]));

    let (status, headers, text) = get(&app, "/v1/leads?site=shop&limit=1", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-orbit-truncated"], "true");
    let limited: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(limited, json!({"leads": [ann()], "truncated": true}));

    for bad in ["0", "10001", "ten", "-1"] {
        let (status, _, text) = get(&app, &format!("/v1/leads?site=shop&limit={bad}"), &[]).await;
        assert_eq!(status, 400, "limit={bad}");
        assert!(text.contains("from 1 to 10000"), "{text}");
    }
}

#[tokio::test]
async fn leads_as_csv_are_quoted_and_defused() {
    let app = with_fixture().await;
    let expected = [
        "key,email,email_sha256,user_id,became_lead_at,first_seen_at,last_seen_at,\
         first_touch_source,first_touch_medium,first_touch_name,landing_page,forms_submitted,\
         submissions,anonymous_ids,traits"
            .to_owned(),
        format!(
            "ann@example.com,ann@example.com,,,2026-10-05T10:01:10.000Z,\
             2026-10-04T18:00:00.000Z,2026-10-14T12:00:00.000Z,newsletter,email,autumn,\
             {ANN_LANDING},signup,2,anon-ann,\
             \"{{\"\"company\"\":\"\"Acme, Inc.\"\",\"\"email\"\":\"\"ann@example.com\"\",\
             \"\"role\"\":\"\"CTO\"\"}}\""
        ),
        // The campaign name a stranger put in a link starts with `=`: it gets a `'`.
        format!(
            "{BOB_HASH},,{BOB_HASH},,2026-10-06T14:01:20.000Z,2026-10-06T14:00:00.000Z,\
             2026-10-06T14:01:20.500Z,google,cpc,\
             \"'=HYPERLINK(\"\"https://evil.example\"\",\"\"click\"\")\",\
             {BOB_LANDING},signup,1,anon-bob,\"{{\"\"email_sha256\"\":\"\"{BOB_HASH}\"\"}}\""
        ),
    ]
    .map(|row| row + "\r\n")
    .concat();

    let (status, headers, csv) = get(&app, "/v1/leads?site=shop&format=csv", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"leads-shop.csv\""
    );
    assert_eq!(csv, expected);

    let (status, headers, by_accept) =
        get(&app, "/v1/leads?site=shop", &[("accept", "text/csv")]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(by_accept, expected);
}

#[tokio::test]
async fn the_read_apis_need_the_admin_token() {
    let app = with_fixture().await;
    for uri in ["/v1/leads?site=shop", "/v1/reports/forms?site=shop"] {
        let none = Request::get(uri).body(Body::empty()).unwrap();
        let (status, _, text) = app.call(none).await;
        assert_eq!(status, 401, "{uri}");
        assert!(text.contains("Bearer <admin_token>"), "{text}");
        let wrong = Request::get(uri)
            .header("authorization", "Bearer wrong-token-0123456789")
            .body(Body::empty())
            .unwrap();
        let (status, _, text) = app.call(wrong).await;
        assert_eq!(status, 401, "{uri}");
        assert!(!text.contains("ann@example.com"));
    }
}

/// `(uri, status, what the error message must say)`.
const REFUSALS: &[(&str, u16, &str)] = &[
    ("/v1/reports/forms", 400, "add ?site=SITE_ID"),
    ("/v1/leads?site=", 400, "add ?site=SITE_ID"),
    (
        "/v1/reports/forms?site=nope",
        404,
        r#"no site with id "nope""#,
    ),
    (
        "/v1/leads?site=nope",
        404,
        "the configured sites are: shop, other, empty",
    ),
    (
        "/v1/reports/forms?site=shop&from=yesterday",
        400,
        r#"from="yesterday": expected a date-time"#,
    ),
    (
        "/v1/reports/forms?site=shop&to=2026-10-32",
        400,
        r#"to="2026-10-32""#,
    ),
    (
        "/v1/reports/forms?site=shop&from=1790000000",
        400,
        "looks like Unix seconds",
    ),
    (
        "/v1/reports/forms?site=shop&from=2026-10-20&to=2026-10-05",
        400,
        "to must be after from",
    ),
    ("/v1/leads?site=shop&since=later", 400, r#"since="later""#),
    (
        "/v1/leads?site=shop&format=xml",
        400,
        "expected json or csv",
    ),
    (
        "/v1/reports/forms?site=shop&form=2026-10-05",
        400,
        "unknown field `form`",
    ),
];

#[tokio::test]
async fn bad_parameters_are_refused_with_what_to_fix() {
    let app = reports_app();
    for (uri, status, says) in REFUSALS {
        let (actual, headers, text) = get(&app, uri, &[]).await;
        assert_eq!(actual, *status, "{uri}: {text}");
        assert_eq!(headers["content-type"], "application/json");
        let answer: Value = serde_json::from_str(&text).unwrap();
        let message = answer["error"].as_str().unwrap();
        assert!(
            message.contains(says),
            "{uri}: {message:?} should say {says:?}"
        );
    }
}
