//! Visitor profiles in-process: `tests/fixtures/profiles.json` sent through the real ingest
//! path, definitions saved through the admin API, and the public profile the tracker reads
//! (exact scores and segments, 204/304/400/401/403/404/429, CORS), the explanation, and
//! refusals listing every problem with its path. The fixture's `about` shows the
//! arithmetic of each expected score.

mod common;

use axum::body::Body;
use axum::http::HeaderMap;
use common::*;
use serde_json::{json, Value};

const ANN: &str = "01923e6a-0000-7000-8000-00000000a001";
const BOB: &str = "01923e6a-0000-7000-8000-00000000b002";
const CAT: &str = "01923e6a-0000-7000-8000-00000000c003";
const DAN: &str = "01923e6a-0000-7000-8000-00000000d004";
const PHONE: &str = "01923e6a-0000-7000-8000-00000000d005";
const NOBODY: &str = "01923e6a-0000-7000-8000-0000000000ff";
const SEGMENT_ID: &str = "segment-anon-1";

const DEFINITIONS: &str = r#"{
  "description": "landing page scoring",
  "lead_score": {
    "max": 100,
    "points": [
      {"event": "Form Submitted", "points": 40},
      {"event": "Form Submitted", "form_id": "Demo request", "points": 20},
      {"event": "page", "path_prefix": "/pricing", "points": 10, "max": 30},
      {"event": "identify", "points": 15, "max": 15},
      {"event": "Clicked CTA", "points": 2.5, "description": "any call to action"}
    ]
  },
  "segments": [
    {"id": "pricing-visitor", "conditions": {"attribute": "session_page_views", "op": "gte", "value": 2}},
    {"id": "hot-lead", "conditions": {"attribute": "lead_score", "op": "gte", "value": 50}},
    {"id": "spring", "conditions": {"attribute": "first_touch.utm_campaign", "op": "equals", "value": "spring", "ignore_case": true}},
    {"id": "returning", "conditions": {"attribute": "visit_count", "op": "gte", "value": 2}},
    {"id": "new-or-unknown", "conditions": {"not": {"attribute": "visit_count", "op": "gte", "value": 2}}}
  ]
}"#;

async fn put(app: &TestApp, document: &str) -> (u16, Value) {
    let (status, _, json) = admin(app, "PUT", "/v1/sites/shop/profiles", document).await;
    (status, json)
}

fn profile_uri(anonymous_id: &str) -> String {
    format!("/v1/sites/shop/profile?anonymousId={anonymous_id}")
}

async fn profile(
    app: &TestApp,
    anonymous_id: &str,
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, String) {
    send(
        app,
        "GET",
        &profile_uri(anonymous_id),
        headers,
        Body::empty(),
    )
    .await
}

async fn with_fixture() -> TestApp {
    let app = test_app_configured(|_| {}, |raw| raw.limits.max_age_days = Some(36_500));
    app.store_fixture_events(include_str!("fixtures/profiles.json"))
        .await;
    app
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = expected
        .iter()
        .map(|(s, p)| ((*s).to_owned(), (*p).to_owned()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn each_visitor_gets_their_exact_score_and_segments() {
    let app = with_fixture().await;
    let (status, answer) = put(&app, DEFINITIONS).await;
    assert_eq!(status, 201, "{answer}");
    for (visitor, segments, score) in [
        (
            ANN,
            json!(["pricing-visitor", "hot-lead", "spring", "new-or-unknown"]),
            95.0,
        ),
        (
            BOB,
            json!(["pricing-visitor", "hot-lead", "returning"]),
            77.5,
        ),
        (CAT, json!(["new-or-unknown"]), 0.0),
        (DAN, json!(["hot-lead", "returning"]), 100.0),
        // Alone, the phone would score 25: One-ID adds the laptop's events (145, capped).
        (PHONE, json!(["hot-lead", "returning"]), 100.0),
        (NOBODY, json!(["new-or-unknown"]), 0.0),
    ] {
        let (status, headers, text) = profile(&app, visitor, &[]).await;
        assert_eq!(status, 200, "{visitor}: {text}");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["cache-control"], "private, no-cache");
        assert!(headers["etag"].to_str().unwrap().starts_with('"'));
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["segments"], segments, "{visitor}: {text}");
        assert_eq!(
            body["lead_score"].as_f64(),
            Some(score),
            "{visitor}: {text}"
        );
        assert_eq!(body.as_object().unwrap().len(), 2, "{text}");
    }
    let (_, _, text) = profile(&app, BOB, &[]).await;
    assert_eq!(
        text, r#"{"segments":["pricing-visitor","hot-lead","returning"],"lead_score":77.5}"#,
        "compact, segments first, as the tracker reads it"
    );
    let (_, _, text) = profile(&app, NOBODY, &[]).await;
    assert_eq!(text, r#"{"segments":["new-or-unknown"],"lead_score":0}"#);
}

#[tokio::test]
async fn without_definitions_the_profile_is_204_and_the_admin_reads_are_404() {
    let app = with_fixture().await;
    let (status, headers, text) = profile(&app, ANN, &[]).await;
    assert_eq!(status, 204, "{text}");
    assert_eq!(text, "");
    assert_eq!(headers["cache-control"], "private, no-cache");
    for uri in [
        "/v1/sites/shop/profiles",
        &format!("/v1/sites/shop/profiles/{ANN}"),
    ] {
        let (status, _, answer) = admin(&app, "GET", uri, "").await;
        assert_eq!(status, 404, "{uri}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("has no profile definitions yet; PUT them to /v1/sites/shop/profiles"),
            "{answer}"
        );
    }

    assert_eq!(put(&app, DEFINITIONS).await.0, 201);
    assert_eq!(profile(&app, ANN, &[]).await.0, 200);
    let (status, _, _) = admin(&app, "DELETE", "/v1/sites/shop/profiles", "").await;
    assert_eq!(status, 204);
    assert_eq!(
        profile(&app, ANN, &[]).await.0,
        204,
        "deleted: nothing to deliver again"
    );
    let (status, _, answer) = admin(&app, "DELETE", "/v1/sites/shop/profiles", "").await;
    assert_eq!(status, 404, "{answer}");
}

#[tokio::test]
async fn the_stored_document_is_served_compact_with_its_version() {
    let app = test_app();
    let (status, headers, answer) =
        admin(&app, "PUT", "/v1/sites/shop/profiles", DEFINITIONS).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(headers["location"], "/v1/sites/shop/profiles");
    assert_eq!(answer["site"], "shop");
    assert_eq!(answer["version"], 1);
    assert_eq!(answer["segments"], 5);
    assert_eq!(answer["points"], 5);
    assert_eq!(answer["warnings"], json!([]));
    assert!(answer["updated_at"].as_str().unwrap().ends_with('Z'));
    let etag = answer["etag"].as_str().unwrap().to_owned();

    let (status, headers, stored) = admin(&app, "GET", "/v1/sites/shop/profiles", "").await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], etag.as_str());
    assert_eq!(headers["x-orbit-profiles-version"], "1");
    assert_eq!(headers["cache-control"], "no-store");
    let sent: Value = serde_json::from_str(DEFINITIONS).unwrap();
    assert_eq!(stored, sent);
    assert_eq!(
        answer["size_bytes"].as_u64().unwrap() as usize,
        sent.to_string().len(),
        "compact"
    );

    let (status, answer) = put(&app, &DEFINITIONS.replace("\"max\": 100", "\"max\": 90")).await;
    assert_eq!(status, 200, "replaced, not created: {answer}");
    assert_eq!(answer["version"], 2);
    assert_ne!(answer["etag"], etag.as_str());
}

#[tokio::test]
async fn a_profile_is_revalidated_by_etag() {
    let app = with_fixture().await;
    put(&app, DEFINITIONS).await;
    let (status, headers, _) = profile(&app, CAT, &[]).await;
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for given in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"x\", {etag}"),
        "*".to_owned(),
    ] {
        let (status, headers, text) = profile(&app, CAT, &[("if-none-match", &given)]).await;
        assert_eq!(status, 304, "{given}");
        assert!(text.is_empty());
        assert_eq!(headers["etag"], etag.as_str());
        assert_eq!(headers["cache-control"], "private, no-cache");
    }
    let (status, headers, _) = profile(&app, ANN, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200, "another visitor, another profile");
    assert_ne!(headers["etag"], etag.as_str());

    // Cat submits a form: a new score, a new ETag.
    let (status, _) = app
        .post_batch(
            &json!({"batch": [{"type": "track", "event": "Form Submitted", "messageId": "c2",
            "anonymousId": CAT, "properties": {"form_id": "Newsletter"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, headers, text) = profile(&app, CAT, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200, "{text}");
    assert_ne!(headers["etag"], etag.as_str());
    assert_eq!(text, r#"{"segments":["new-or-unknown"],"lead_score":40}"#);
    let etag = headers["etag"].to_str().unwrap().to_owned();

    // New definitions: a new ETag even where the answer reads the same.
    put(&app, &DEFINITIONS.replace("landing page scoring", "v2")).await;
    let (status, headers, _) = profile(&app, CAT, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200);
    assert_ne!(headers["etag"], etag.as_str());
    let (status, _, _) = send(&app, "HEAD", &profile_uri(CAT), &[], Body::empty()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_profile_requests_say_what_to_fix() {
    let app = with_fixture().await;
    put(&app, DEFINITIONS).await;
    for (uri, needle) in [
        ("/v1/sites/shop/profile".to_owned(), "add ?anonymousId=ID"),
        (
            "/v1/sites/shop/profile?anonymousId=".to_owned(),
            "add ?anonymousId=ID",
        ),
        (
            profile_uri(SEGMENT_ID),
            "is not a tracker anonymous id: expected a UUIDv7",
        ),
        (
            profile_uri("01923e6a-0000-4000-8000-00000000a001"),
            "expected a UUIDv7",
        ),
        (
            profile_uri("%3Cscript%3E"),
            "\"<script>\" is not a tracker anonymous id",
        ),
    ] {
        let (status, _, text) = send(&app, "GET", &uri, &[], Body::empty()).await;
        assert_eq!(status, 400, "{uri}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert!(
            error["error"].as_str().unwrap().contains(needle),
            "{uri}: {text}"
        );
    }
    let (status, _, text) = send(
        &app,
        "GET",
        &format!("{}&key=wrong", profile_uri(ANN)),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("not site \\\"shop\\\"'s"), "{text}");
    let (status, _, _) = send(
        &app,
        "GET",
        &format!("{}&key={KEY}&_=123", profile_uri(ANN)),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(status, 200, "the write key and cache busters are accepted");
    let (status, _, text) = send(
        &app,
        "GET",
        &format!("/v1/sites/nope/profile?anonymousId={ANN}"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(status, 404, "{text}");
}

#[tokio::test]
async fn a_client_over_its_rate_limit_gets_429() {
    let app = test_app_configured(
        |_| {},
        |raw| {
            raw.client_ip_header = Some("x-forwarded-for".into());
            raw.rate_limits.client_requests_per_second = Some(1.0);
            raw.rate_limits.client_burst = Some(2.0);
        },
    );
    put(&app, DEFINITIONS).await;
    let client = [("x-forwarded-for", "203.0.113.9")];
    assert_eq!(profile(&app, ANN, &client).await.0, 200);
    assert_eq!(profile(&app, ANN, &client).await.0, 200);
    let (status, headers, text) = profile(&app, ANN, &client).await;
    assert_eq!(status, 429, "{text}");
    assert_eq!(headers["retry-after"], "1");
    assert!(text.contains("more than 1 requests per second"), "{text}");
    assert_eq!(
        profile(&app, ANN, &[("x-forwarded-for", "203.0.113.10")])
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_profile_answers_cors_for_the_sites_origins_errors_included() {
    let app = with_fixture().await;
    put(&app, DEFINITIONS).await;
    app.assert_public_preflight(&profile_uri(ANN), ORIGIN).await;

    let (status, headers, _) = profile(&app, ANN, &[("origin", ORIGIN)]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(headers["access-control-expose-headers"], "ETag");
    assert_eq!(headers["vary"], "Origin");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, headers, _) =
        profile(&app, ANN, &[("origin", ORIGIN), ("if-none-match", &etag)]).await;
    assert_eq!(status, 304);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    let (status, headers, _) = profile(&app, "nope", &[("origin", ORIGIN)]).await;
    assert_eq!(status, 400);
    assert_eq!(
        headers["access-control-allow-origin"], ORIGIN,
        "the tracker can read why"
    );
    let (status, headers, text) = profile(&app, ANN, &[("origin", "https://evil.example")]).await;
    assert_eq!(status, 403, "{text}");
    assert!(!headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn admin_endpoints_need_the_token_and_a_known_site() {
    let app = test_app();
    for (method, uri) in [
        ("PUT", "/v1/sites/shop/profiles".to_owned()),
        ("GET", "/v1/sites/shop/profiles".to_owned()),
        ("DELETE", "/v1/sites/shop/profiles".to_owned()),
        ("GET", format!("/v1/sites/shop/profiles/{ANN}")),
    ] {
        let (status, _, text) = send(&app, method, &uri, &[], DEFINITIONS).await;
        assert_eq!(status, 401, "{method} {uri}: {text}");
        assert!(text.contains("admin token"), "{text}");
        let (status, _, _) = send(
            &app,
            method,
            &uri,
            &[("authorization", "Bearer wrong-token")],
            DEFINITIONS,
        )
        .await;
        assert_eq!(status, 401, "{method} {uri}");
        let other = uri.replace("/shop/", "/nope/");
        let (status, _, json) = admin(&app, method, &other, DEFINITIONS).await;
        assert_eq!(status, 404, "{method} {other}: {json}");
        assert!(json["error"].as_str().unwrap().contains("nope"), "{json}");
    }
    let (_, _, answer) = admin(&app, "GET", "/v1/sites/shop/profiles", "").await;
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("no profile definitions"),
        "nothing was saved"
    );
}

#[tokio::test]
async fn a_refusal_lists_every_problem_with_its_path_and_saves_nothing() {
    let app = test_app();
    let document = r#"{
      "lead_score": {"max": -1, "half_life_days": 0, "decay": true, "points": [
        {"event": "Form Submitted", "points": "forty"},
        {"event": "page", "path_prefix": "pricing", "points": 10, "max": -3},
        {"points": 5}]},
      "segments": [
        {"id": "hot-lead", "conditions": {"attribute": "lead_scor", "op": "gte", "value": 50}},
        {"id": "hot-lead", "conditions": {"all": [{"attribute": "path", "op": "equal", "value": "/"}]}},
        {"id": "bad id", "conditions": {"attribute": "path", "op": "regex", "value": "(?i)x"}},
        {"id": "loop", "conditions": {"not": {"attribute": "segments", "op": "contains", "value": "hot-lead"}}},
        {"id": "evening", "conditions": {"attribute": "local_hour", "op": "gte", "value": 18}},
        {"id": "vip", "conditions": {"attribute": "traits.plan", "op": "equals", "value": "pro"}, "colour": "red"}]
    }"#;
    let (status, answer) = put(&app, document).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        finding_paths(&answer),
        pairs(&[
            ("error", "lead_score.max"),
            ("error", "lead_score.half_life_days"),
            ("error", "lead_score.decay"),
            ("error", "lead_score.points[0].points"),
            ("error", "lead_score.points[1].path_prefix"),
            ("error", "lead_score.points[1].max"),
            ("error", "lead_score.points[2]"),
            ("error", "segments[0].conditions.attribute"),
            ("error", "segments[1].id"),
            ("error", "segments[1].conditions.all[0].op"),
            ("error", "segments[2].id"),
            ("error", "segments[2].conditions.value"),
            ("error", "segments[3].conditions.not.attribute"),
            ("warning", "segments[4].conditions.attribute"),
            ("error", "segments[5].colour"),
        ])
    );
    let error = answer["error"].as_str().unwrap();
    assert!(
        error
            .starts_with("the profile definitions have 14 errors and 1 warning; nothing was saved"),
        "{error}"
    );
    let messages = answer["findings"].to_string();
    for needle in [
        "did you mean \\\"lead_score\\\"?",
        "did you mean \\\"equals\\\"?",
        "inline flags",
        "duplicate segment id \\\"hot-lead\\\"; segments[0] has it too",
        "circular",
        "local time",
        "unknown field \\\"decay\\\"",
    ] {
        assert!(messages.contains(needle), "{needle}: {messages}");
    }
    let (status, _, _) = admin(&app, "GET", "/v1/sites/shop/profiles", "").await;
    assert_eq!(status, 404, "nothing was saved");

    let (status, answer) = put(&app, "{\"segments\": [").await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["findings"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("line 1, column"));
    let (status, answer) = put(&app, "{}").await;
    assert_eq!(status, 422);
    assert_eq!(finding_paths(&answer), pairs(&[("error", "$")]));

    let too_big = format!(
        "{{\"description\":\"{}\",\"segments\":[]}}",
        "x".repeat(orbit_collector::profiles::definitions::MAX_PROFILE_DOCUMENT_BYTES)
    );
    let (status, answer) = put(&app, &too_big).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("the profile definitions document is larger than 65536 bytes"));
    let bearer = format!("Bearer {ADMIN}");
    let (status, _, text) = send(
        &app,
        "PUT",
        "/v1/sites/shop/profiles",
        &[("authorization", &bearer)],
        vec![0xff_u8, 0xfe],
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("not UTF-8"), "{text}");

    // Warnings alone do not block a save; they come back with it.
    let (status, answer) = put(
        &app,
        r#"{"segments": [{"id": "evening", "conditions": {"attribute": "local_hour", "op": "gte", "value": 18}}]}"#,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["warnings"][0]["path"],
        "segments[0].conditions.attribute"
    );
    assert_eq!(answer["warnings"][0]["severity"], "warning");
}

#[tokio::test]
async fn the_explanation_shows_the_events_each_entry_counted_and_why_each_segment() {
    let app = with_fixture().await;
    put(&app, DEFINITIONS).await;
    let (status, _, answer) =
        admin(&app, "GET", &format!("/v1/sites/shop/profiles/{ANN}"), "").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["site"], "shop");
    assert_eq!(answer["anonymous_id"], ANN);
    assert_eq!(answer["definitions_version"], 1);
    assert_eq!(answer["one_id"], true);
    assert_eq!(answer["anonymous_ids"], json!([ANN]));
    assert_eq!(answer["history_events"], 6);
    assert_eq!(answer["history_truncated"], false);
    assert_eq!(
        answer["profile"],
        json!({"segments": ["pricing-visitor", "hot-lead", "spring", "new-or-unknown"], "lead_score": 95})
    );
    let score = &answer["lead_score"];
    assert_eq!(score["value"], 95.0);
    assert_eq!(score["max"], 100.0);
    assert_eq!(score["capped"], false);
    let entries = score["points"].as_array().unwrap();
    let counted: Vec<f64> = entries
        .iter()
        .map(|e| e["counted"].as_f64().unwrap())
        .collect();
    assert_eq!(counted, [40.0, 20.0, 20.0, 15.0, 0.0]);
    let pricing = &entries[2];
    assert_eq!(pricing["event"], "page");
    assert_eq!(pricing["path_prefix"], "/pricing");
    assert_eq!(pricing["events"], 2);
    let matched: Vec<&str> = pricing["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(matched, ["a2", "a3"]);
    assert_eq!(pricing["matched"][1]["path"], "/pricing/teams");
    assert_eq!(pricing["matched"][1]["points"], 10.0);
    assert_eq!(entries[1]["matched"][0]["form_id"], "Demo request");
    let trace = answer["segment_trace"].as_array().unwrap();
    assert_eq!(trace.len(), 5);
    let returning = trace.iter().find(|t| t["id"] == "returning").unwrap();
    assert_eq!(returning["member"], false);
    let detail = returning["detail"].as_str().unwrap();
    assert!(detail.starts_with("segment returning: skipped"), "{detail}");
    assert!(detail.contains("visit_count"), "{detail}");
    let context = &answer["context"];
    assert_eq!(context["lead_score"], 95.0);
    assert_eq!(context["session_page_views"], 3);
    assert_eq!(context["first_touch"]["utm_campaign"], "Spring");
    assert_eq!(context["traits"]["plan"], "pro");

    // One-ID: the phone's profile reads the laptop's events too.
    let (_, _, phone) = admin(&app, "GET", &format!("/v1/sites/shop/profiles/{PHONE}"), "").await;
    assert_eq!(phone["anonymous_ids"], json!([PHONE, DAN]));
    assert_eq!(phone["history_events"], 7);
    assert_eq!(phone["lead_score"]["uncapped"], 145.0);
    assert_eq!(phone["lead_score"]["capped"], true);
    assert_eq!(
        phone["lead_score"]["points"][3]["before_cap"], 45.0,
        "three identifies"
    );
    assert_eq!(phone["lead_score"]["points"][3]["capped"], true);

    // Not a tracker id: read alone (the admin may ask; the public endpoint refuses it).
    let (status, _, other) = admin(
        &app,
        "GET",
        &format!("/v1/sites/shop/profiles/{SEGMENT_ID}"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{other}");
    assert_eq!(other["one_id"], false);
    assert_eq!(other["profile"]["lead_score"], 50);

    let (status, _, answer) = admin(
        &app,
        "GET",
        &format!("/v1/sites/shop/profiles/{ANN}?now=yesterday"),
        "",
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _, answer) = admin(
        &app,
        "GET",
        &format!("/v1/sites/shop/profiles/{ANN}?when=1"),
        "",
    )
    .await;
    assert_eq!(status, 400, "{answer}");
}

/// `points` earned at `at`, seen at `now`, with a half-life of `days`.
fn decayed(points: f64, at: &str, now: &str, days: f64) -> f64 {
    let at = orbit_core::time::parse_rfc3339_ms(at).unwrap();
    let now = orbit_core::time::parse_rfc3339_ms(now).unwrap();
    points * 0.5f64.powf((now - at) as f64 / (days * 86_400_000.0))
}

#[tokio::test]
async fn decay_halves_points_every_half_life_as_of_the_time_asked() {
    let app = with_fixture().await;
    let decaying = DEFINITIONS.replace("\"max\": 100,", "\"max\": 100, \"half_life_days\": 30,");
    let (status, answer) = put(&app, &decaying).await;
    assert_eq!(status, 201, "{answer}");
    let now = "2026-10-31T10:04:00Z";
    let (status, _, answer) = admin(
        &app,
        "GET",
        &format!("/v1/sites/shop/profiles/{ANN}?now={now}"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["now"], "2026-10-31T10:04:00.000Z");
    // Ann's events, 30 days old give or take minutes: about half of 95.
    let expected = decayed(10.0, "2026-10-01T10:01:00Z", now, 30.0)
        + decayed(10.0, "2026-10-01T10:02:00Z", now, 30.0)
        + decayed(60.0, "2026-10-01T10:04:00Z", now, 30.0)
        + decayed(15.0, "2026-10-01T10:04:01Z", now, 30.0);
    let rounded = (expected * 100.0).round() / 100.0;
    assert_eq!(answer["lead_score"]["value"].as_f64(), Some(rounded));
    assert_eq!(answer["profile"]["lead_score"].as_f64(), Some(rounded));
    assert!((rounded - 47.5).abs() < 0.01, "{rounded}");
    assert_eq!(answer["lead_score"]["half_life_days"], 30.0);
    assert_eq!(
        answer["lead_score"]["points"][0]["matched"][0]["age_days"],
        30.0
    );
    assert_eq!(
        answer["profile"]["segments"],
        json!(["pricing-visitor", "spring", "new-or-unknown"]),
        "no longer a hot lead"
    );
    // Today (months later) the public score has decayed further still.
    let (_, _, text) = profile(&app, ANN, &[]).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(body["lead_score"].as_f64().unwrap() < rounded, "{text}");
}
