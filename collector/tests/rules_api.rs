//! The rules API in-process: saving (with every finding on refusal), versions, rollback,
//! the public `rules.json` (compiled) with its ETag, cache and CORS, and previews.

mod common;

use axum::body::Body;
use axum::http::HeaderMap;
use common::*;
use orbit_core::rules::{parse_rules, read_compiled, Action, Rules, COMPILED_FORMAT};
use serde_json::{json, Value};

const HERO: &str = r##"{
  "version": 1,
  "description": "spring landing page",
  "holdout": {"percent": 10},
  "rules": [
    {"id": "spring", "priority": 5,
     "conditions": {"attribute": "utm_campaign", "op": "equals", "value": "spring"},
     "actions": [{"type": "set_text", "selector": "#hero h1", "text": "Spring offer"}]},
    {"id": "mobile-cta",
     "conditions": {"attribute": "device", "op": "equals", "value": "mobile"},
     "actions": [{"type": "add_class", "selector": "#cta", "class": "sticky"}]},
    {"id": "hero-test",
     "experiment": {"id": "hero", "variants": [
       {"id": "control", "weight": 0.5, "control": true},
       {"id": "b", "weight": 0.5,
        "actions": [{"type": "set_html", "selector": "#hero p", "html": "<em>Try</em> it<!-- b -->"}]}]}}
  ]
}"##;

fn bearer() -> String {
    format!("Bearer {ADMIN}")
}

async fn put(app: &TestApp, document: &str) -> (u16, Value) {
    let (status, _, json) = admin(app, "PUT", "/v1/sites/shop/rules", document).await;
    (status, json)
}

async fn public(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, String) {
    send(app, "GET", uri, headers, Body::empty()).await
}

/// A version's document as stored (the admin API serves it as written).
async fn stored_text(app: &TestApp, version: &str) -> String {
    let uri = format!("/v1/sites/shop/rules/{version}");
    let (status, _, text) = send(app, "GET", &uri, &[("authorization", &bearer())], "").await;
    assert_eq!(status, 200, "{text}");
    text
}

/// `rules.json`'s body read as the tracker reads it: compiled, never a source document.
fn read_served(text: &str) -> Rules {
    assert!(
        text.starts_with(&format!("[\"{COMPILED_FORMAT}\",")),
        "not compiled: {text}"
    );
    assert!(!text.contains('<'), "safe inline: {text}");
    read_compiled(text).unwrap()
}

#[tokio::test]
async fn a_saved_document_becomes_version_1_with_its_revision_and_warnings() {
    let app = test_app();
    let (status, headers, answer) = admin(
        &app,
        "PUT",
        "/v1/sites/shop/rules?author=ann&comment=spring%20launch",
        HERO,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(headers["location"], "/v1/sites/shop/rules/1");
    assert_eq!(answer["site"], "shop");
    assert_eq!(answer["version"], 1);
    assert_eq!(answer["revision"], "1");
    assert_eq!(answer["rules"], 3);
    assert_eq!(
        answer["warnings"],
        json!([{"severity": "warning",
                "path": "rules[2].experiment.variants[1].actions[0].html",
                "message": "the sanitiser removes: comment"}]),
        "a harmless change is a warning, not a refusal"
    );
    let etag = answer["etag"].as_str().unwrap().to_owned();
    assert!(etag.starts_with("\"1-"), "{etag}");

    let (status, headers, text) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], etag.as_str());
    assert_eq!(headers["content-type"], "application/json");
    let served = read_served(&text);
    let stored_text = stored_text(&app, "current").await;
    assert_eq!(
        served,
        parse_rules(&stored_text).unwrap(),
        "rules.json is the stored document, compiled"
    );
    assert_eq!(served.revision(), Some("1"));
    let variant = &served.rules()[2].experiment().unwrap().variants()[1];
    assert!(
        matches!(&variant.actions()[0], Action::SetHtml { html, .. } if html.as_str() == "<em>Try</em> it"),
        "the tracker gets the sanitised HTML: {:?}",
        variant.actions()
    );

    let stored: Value = serde_json::from_str(&stored_text).unwrap();
    assert_eq!(stored["revision"], "1");
    assert_eq!(stored["description"], "spring landing page");
    assert_eq!(
        stored["rules"][2]["experiment"]["variants"][1]["actions"][0]["html"], "<em>Try</em> it",
        "the sanitised HTML is what is stored"
    );
    let keys: Vec<&String> = stored.as_object().unwrap().keys().collect();
    assert!(keys.contains(&&"holdout".to_owned()));
    assert!(!stored_text.contains('\n'), "stored compact");
}

#[tokio::test]
async fn a_document_with_errors_is_refused_with_every_finding_and_nothing_is_stored() {
    let app = test_app();
    let document = r##"{"rules": [
        {"id": "a", "conditions": {"all": [
            {"attribute": "utm_sorce", "op": "equals", "value": "x"},
            {"attribute": "path", "op": "equal", "value": "/"}]},
         "actions": [{"type": "set_text", "selector": "h1", "text": "x"}]},
        {"id": "b", "actions": [{"type": "set_html", "selector": "#x",
                                 "html": "<img src=x onerror=\"steal()\"><script>alert(1)</script>"}]},
        {"id": "b", "actions": []}]}"##;
    let (status, answer) = put(&app, document).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        finding_paths(&answer),
        [
            ("error", "rules[0].conditions.all[0].attribute"),
            ("error", "rules[0].conditions.all[1].op"),
            ("error", "rules[1].actions[0].html"),
            ("error", "rules[2].id"),
            ("warning", "rules[2]"),
        ]
        .map(|(s, p)| (s.to_owned(), p.to_owned()))
    );
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.starts_with("the rule document has 4 errors and 1 warning; nothing was saved"),
        "{error}"
    );
    let messages = answer["findings"].to_string();
    assert!(
        messages.contains("did you mean \\\"utm_source\\\"?"),
        "{messages}"
    );
    assert!(messages.contains("<script> element"), "{messages}");
    assert!(messages.contains("onerror event handler"), "{messages}");

    let (status, _, list) = admin(&app, "GET", "/v1/sites/shop/rules", "").await;
    assert_eq!(status, 200);
    assert_eq!(list["versions"], json!([]));
    assert_eq!(list["current"], Value::Null);
    let (status, _, text) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(status, 204, "still no document: {text}");
}

#[tokio::test]
async fn script_urls_and_handlers_never_reach_storage() {
    let app = test_app();
    for (document, path) in [
        (
            r#"{"rules":[{"id":"a","actions":[{"type":"set_attribute","selector":"a","name":"href","value":"javascript:alert(1)"}]}]}"#,
            "rules[0].actions[0].value",
        ),
        (
            r#"{"rules":[{"id":"a","actions":[{"type":"set_attribute","selector":"a","name":"onclick","value":"x()"}]}]}"#,
            "rules[0].actions[0].name",
        ),
        (
            r#"{"rules":[{"id":"a","actions":[{"type":"redirect","url":"javascript:alert(1)"}]}]}"#,
            "rules[0].actions[0].url",
        ),
        (
            r#"{"rules":[{"id":"a","actions":[{"type":"insert","selector":"p","position":"after","html":"<a href=\"javascript:x()\">x</a>"}]}]}"#,
            "rules[0].actions[0].html",
        ),
    ] {
        let (status, answer) = put(&app, document).await;
        assert_eq!(status, 422, "{document}: {answer}");
        let paths = finding_paths(&answer);
        assert!(
            paths.iter().any(|(s, p)| s == "error" && p == path),
            "{document}: {paths:?}"
        );
    }
    let (_, _, list) = admin(&app, "GET", "/v1/sites/shop/rules", "").await;
    assert_eq!(list["versions"], json!([]));
}

#[tokio::test]
async fn admin_endpoints_need_the_token_and_a_known_site() {
    let app = test_app();
    for (method, uri) in [
        ("PUT", "/v1/sites/shop/rules"),
        ("GET", "/v1/sites/shop/rules"),
        ("GET", "/v1/sites/shop/rules/1"),
        ("POST", "/v1/sites/shop/rules/rollback"),
        ("POST", "/v1/sites/shop/rules/preview"),
        ("GET", "/v1/reports/experiments?site=shop"),
    ] {
        let (status, _, text) = send(&app, method, uri, &[], "{}").await;
        assert_eq!(status, 401, "{method} {uri}: {text}");
        assert!(text.contains("admin token"), "{text}");
        let (status, _, _) = send(
            &app,
            method,
            uri,
            &[("authorization", "Bearer wrong-token")],
            "{}",
        )
        .await;
        assert_eq!(status, 401, "{method} {uri}");
        let other = uri
            .replace("/shop/", "/nope/")
            .replace("site=shop", "site=nope");
        let (status, _, json) = admin(&app, method, &other, "{}").await;
        assert_eq!(status, 404, "{method} {other}: {json}");
        assert!(json["error"].as_str().unwrap().contains("nope"), "{json}");
    }
}

#[tokio::test]
async fn bad_requests_say_what_to_fix() {
    let app = test_app();
    let too_big = format!(
        "{{\"description\":\"{}\",\"rules\":[]}}",
        "x".repeat(orbit_collector::rules::check::MAX_RULES_DOCUMENT_BYTES)
    );
    let (status, answer) = put(&app, &too_big).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("the rule document is larger than 524288 bytes"));

    let (status, _, text) = send(
        &app,
        "PUT",
        "/v1/sites/shop/rules",
        &[("authorization", &bearer())],
        vec![0xff_u8, 0xfe],
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("not UTF-8"), "{text}");

    let (status, answer) = put(&app, "{\"rules\": [").await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["findings"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("line 1, column"));

    // A form upload (`curl -F`) sends the multipart envelope, not the document.
    let upload = format!(
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rules.json\"\r\n\r\n{HERO}\r\n--b--\r\n"
    );
    let (status, _, text) = send(
        &app,
        "PUT",
        "/v1/sites/shop/rules",
        &[
            ("authorization", &bearer()),
            ("content-type", "multipart/form-data; boundary=b"),
        ],
        upload,
    )
    .await;
    assert_eq!(status, 415, "{text}");
    assert!(text.contains("--data-binary @FILE"), "{text}");

    let (status, _, answer) = admin(&app, "PUT", "/v1/sites/shop/rules?autor=x", HERO).await;
    assert_eq!(status, 400, "{answer}");
    let long = format!("/v1/sites/shop/rules?comment={}", "c".repeat(2001));
    let (status, _, answer) = admin(&app, "PUT", &long, HERO).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("at most 2000"));

    let (status, _, answer) = admin(&app, "GET", "/v1/sites/shop/rules?limit=0", "").await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("from 1 to 1000"));
    let (status, _, answer) = admin(&app, "GET", "/v1/sites/shop/rules/latest", "").await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("\"current\""));
    let (status, _, answer) = admin(&app, "GET", "/v1/sites/shop/rules/7", "").await;
    assert_eq!(status, 404, "{answer}");
    let (status, _, answer) = admin(&app, "GET", "/v1/sites/shop/rules/current", "").await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("no rule document yet"));

    let (status, _, text) = send(
        &app,
        "PUT",
        "/v1/sites/shop/rules",
        &[
            ("authorization", &bearer()),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        HERO,
    )
    .await;
    assert_eq!(status, 201, "curl -d sends the JSON as it is: {text}");
}

#[tokio::test]
async fn versions_are_listed_newest_first_and_rollback_copies_an_old_one() {
    let app = test_app();
    assert_eq!(put(&app, HERO).await.0, 201);
    let second = HERO.replace("Spring offer", "Spring offer, now 20 % off");
    let (status, answer) = put(&app, &second).await;
    assert_eq!((status, answer["version"].clone()), (201, json!(2)));

    let (status, _, list) = admin(&app, "GET", "/v1/sites/shop/rules", "").await;
    assert_eq!(status, 200);
    assert_eq!(list["current"], 2);
    assert_eq!(list["truncated"], false);
    let versions = list["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["current"], true);
    assert_eq!(versions[1]["version"], 1);
    assert_eq!(versions[1]["current"], false);
    assert_eq!(versions[1]["rules"], 3);
    assert_eq!(versions[1]["restored_from"], Value::Null);
    assert!(versions[1]["size_bytes"].as_u64().unwrap() > 400);
    assert!(versions[1]["created_at"].as_str().unwrap().ends_with('Z'));
    let (_, _, one) = admin(&app, "GET", "/v1/sites/shop/rules?limit=1", "").await;
    assert_eq!(one["versions"].as_array().unwrap().len(), 1);
    assert_eq!(one["truncated"], true);

    let (status, headers, first) = admin(&app, "GET", "/v1/sites/shop/rules/1", "").await;
    assert_eq!(status, 200);
    assert_eq!(first["revision"], "1");
    assert_eq!(headers["x-orbit-rules-version"], "1");
    assert_eq!(headers["x-orbit-rules-current"], "false");
    let v1_etag = headers["etag"].to_str().unwrap().to_owned();

    let (status, _, answer) = admin(
        &app,
        "POST",
        "/v1/sites/shop/rules/rollback",
        r#"{"version": 1, "author": "bob", "comment": "the discount was wrong"}"#,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["site"], "shop");
    assert_eq!(answer["version"], 3);
    assert_eq!(answer["restored_from"], 1);
    assert_eq!(answer["author"], "bob");
    assert_eq!(answer["current"], true);

    let (status, headers, text) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(status, 200);
    let mut expected = first.clone();
    expected["revision"] = json!("3");
    let stored: Value = serde_json::from_str(&stored_text(&app, "3").await).unwrap();
    assert_eq!(stored, expected, "version 1's document, as revision 3");
    assert_eq!(
        read_served(&text),
        parse_rules(&expected.to_string()).unwrap(),
        "served compiled"
    );
    assert_ne!(headers["etag"].to_str().unwrap(), v1_etag);

    let (status, _, answer) = admin(
        &app,
        "POST",
        "/v1/sites/shop/rules/rollback",
        r#"{"version": 3}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("already the current"));
    let (status, _, answer) = admin(
        &app,
        "POST",
        "/v1/sites/shop/rules/rollback",
        r#"{"version": 9}"#,
    )
    .await;
    assert_eq!(status, 404);
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("no rules version 9"));
    for body in [
        r#"{"version": "one"}"#,
        r#"{}"#,
        r#"{"version": 1, "x": 2}"#,
        "nope",
    ] {
        let (status, _, answer) = admin(&app, "POST", "/v1/sites/shop/rules/rollback", body).await;
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"]
            .as_str()
            .unwrap()
            .contains("{\"version\": N}"));
    }
}

#[tokio::test]
async fn rules_json_is_cached_by_etag_and_answers_304() {
    let app = test_app();
    let (status, headers, text) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(
        status, 204,
        "no document yet: nothing, without an error in the console"
    );
    assert_eq!(headers["cache-control"], "max-age=60");
    assert_eq!(text, "");

    put(&app, HERO).await;
    let (status, headers, _) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["cache-control"],
        "max-age=60, stale-while-revalidate=600"
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for given in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"0-abc\", {etag}"),
        "*".to_owned(),
    ] {
        let (status, headers, text) = public(
            &app,
            "/v1/sites/shop/rules.json",
            &[("if-none-match", &given)],
        )
        .await;
        assert_eq!(status, 304, "{given}");
        assert!(text.is_empty());
        assert_eq!(headers["etag"], etag.as_str());
        assert_eq!(
            headers["cache-control"],
            "max-age=60, stale-while-revalidate=600"
        );
    }
    let (status, _, _) = public(
        &app,
        "/v1/sites/shop/rules.json",
        &[("if-none-match", "\"1-0000000000000000\"")],
    )
    .await;
    assert_eq!(status, 200);

    put(&app, &HERO.replace("Spring offer", "Summer offer")).await;
    let (status, headers, text) = public(
        &app,
        "/v1/sites/shop/rules.json",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, 200, "a new version is a new ETag");
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    assert!(text.contains("Summer offer"));

    let (status, _, _) = public(&app, &format!("/v1/sites/shop/rules.json?key={KEY}"), &[]).await;
    assert_eq!(status, 200, "the write key is accepted");
    let (status, _, text) = public(&app, "/v1/sites/shop/rules.json?key=wrong", &[]).await;
    assert_eq!(status, 401, "{text}");
    let (status, _, _) = public(&app, "/v1/sites/nope/rules.json", &[]).await;
    assert_eq!(status, 404);
    let (status, headers, _) = send(
        &app,
        "HEAD",
        "/v1/sites/shop/rules.json",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers.contains_key("etag"));
}

#[tokio::test]
async fn rules_json_answers_cors_for_the_sites_origins_and_its_own_pages() {
    let app = test_app();
    put(&app, HERO).await;
    app.assert_public_preflight("/v1/sites/shop/rules.json", ORIGIN)
        .await;

    let (status, headers, _) =
        public(&app, "/v1/sites/shop/rules.json", &[("origin", ORIGIN)]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(headers["access-control-expose-headers"], "ETag");
    assert_eq!(headers["vary"], "Origin");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, headers, _) = public(
        &app,
        "/v1/sites/shop/rules.json",
        &[("origin", ORIGIN), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, 304);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);

    let (status, headers, text) = public(
        &app,
        "/v1/sites/shop/rules.json",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(!headers.contains_key("access-control-allow-origin"));

    // The demo site served by the collector itself.
    let (status, headers, _) = public(
        &app,
        "/v1/sites/shop/rules.json",
        &[
            ("origin", "http://localhost:8080"),
            ("host", "localhost:8080"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:8080"
    );
    let (status, _, _) = public(
        &app,
        "/v1/sites/shop/rules.json",
        &[("host", "localhost:8080")],
    )
    .await;
    assert_eq!(status, 200, "same-origin GETs carry no Origin");
}

async fn preview(app: &TestApp, body: Value) -> (u16, Value) {
    let (status, _, answer) = admin(
        app,
        "POST",
        "/v1/sites/shop/rules/preview",
        &body.to_string(),
    )
    .await;
    (status, answer)
}

#[tokio::test]
async fn preview_explains_which_rules_apply_to_a_context() {
    let app = test_app();
    let (status, answer) = preview(&app, json!({"context": {"visitor_id": "v"}})).await;
    assert_eq!(status, 404);
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("send \"document\""));
    put(&app, HERO).await;

    let (status, answer) = preview(
        &app,
        json!({"context": {"visitor_id": "visitor-7", "utm_campaign": "spring", "device": "desktop"},
               "preview": "hero:b"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["document"], "current");
    assert_eq!(answer["revision"], "1");
    assert_eq!(answer["holdout"], false, "{answer}");
    let decisions = answer["decisions"].as_array().unwrap();
    assert_eq!(decisions[0]["rule"], "spring");
    assert_eq!(
        decisions[0]["actions"],
        json!([{"type": "set_text", "selector": "#hero h1", "text": "Spring offer"}])
    );
    assert_eq!(decisions[1]["rule"], "hero-test");
    assert_eq!(decisions[1]["forced"], true);
    assert_eq!(decisions[1]["experiment"]["variant"], "b");
    assert_eq!(decisions[1]["experiment"]["source"], "forced");
    let trace = answer["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 3);
    let mobile = trace.iter().find(|t| t["rule"] == "mobile-cta").unwrap();
    assert_eq!(mobile["outcome"], "conditions_false");
    assert!(
        mobile["detail"].as_str().unwrap().contains("device"),
        "{mobile}"
    );
    assert!(
        answer["context"]["now"].is_i64(),
        "the collector's clock fills now"
    );
}

#[tokio::test]
async fn preview_rebuilds_a_stored_visitors_context() {
    let app = test_app_configured(|_| {}, |raw| raw.limits.max_age_days = Some(36_500));
    put(&app, HERO).await;
    let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
              (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    let events = json!([
        {"type": "page", "messageId": "p1", "anonymousId": "anon-7", "timestamp": "2026-10-01T10:00:00Z",
         "context": {"sessionId": "s1", "userAgent": ua,
                     "page": {"url": "https://shop.example.com/?utm_campaign=spring&utm_source=news"}}},
        {"type": "track", "event": "Form Submitted", "messageId": "t1", "anonymousId": "anon-7",
         "timestamp": "2026-10-01T10:01:00Z", "properties": {"form_id": "signup"},
         "context": {"sessionId": "s1", "userAgent": ua}},
        {"type": "track", "event": "Experiment Viewed", "messageId": "t2", "anonymousId": "anon-7",
         "timestamp": "2026-10-01T10:00:01Z",
         "properties": {"experiment_id": "hero", "variation_id": "b", "rule_id": "hero-test", "revision": "1"},
         "context": {"sessionId": "s1", "userAgent": ua}},
        {"type": "page", "messageId": "p2", "anonymousId": "anon-7", "timestamp": "2026-10-03T10:00:00Z",
         "context": {"sessionId": "s2", "userAgent": ua,
                     "page": {"url": "https://shop.example.com/pricing", "referrer": "https://www.google.com/"}}}
    ]);
    let (status, answer) = app.post_batch(&json!({ "batch": events })).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 4);

    let (status, answer) = preview(&app, json!({"anonymous_id": "anon-7"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["history_events"], 4);
    let context = &answer["context"];
    assert_eq!(context["visitor_id"], "anon-7");
    assert_eq!(context["url"], "https://shop.example.com/pricing");
    assert_eq!(context["referrer"], "https://www.google.com/");
    assert_eq!(context["user_agent"], ua);
    assert_eq!(context["visit_count"], 2);
    assert_eq!(context["forms_submitted"], 1);
    assert_eq!(context["forms_submitted_ids"], json!(["signup"]));
    assert_eq!(context["identified"], false);
    assert_eq!(context["experiments"], json!({"hero": "b"}));
    assert_eq!(context["first_touch"]["utm_campaign"], "spring");
    assert_eq!(
        context["first_touch"]["landing_page"],
        "https://shop.example.com/?utm_campaign=spring&utm_source=news"
    );
    let decided: Vec<&str> = answer["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    // anon-7 is not in the 10 % holdout. Its latest visit has no campaign, so spring does
    // not apply; the phone gets the mobile call to action; the stored variant stays.
    assert_eq!(answer["holdout"], false);
    assert_eq!(decided, ["mobile-cta", "hero-test"], "{answer}");
    let hero = &answer["decisions"][1]["experiment"];
    assert_eq!(hero["variant"], "b");
    assert_eq!(hero["source"], "sticky");

    // A context sent with the id overrides what the events say.
    let (status, answer) = preview(
        &app,
        json!({"anonymous_id": "anon-7", "context": {"utm_campaign": "spring", "now": "2026-10-03T10:00:00Z"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["context"]["utm_campaign"], "spring");
    assert_eq!(answer["context"]["now"], "2026-10-03T10:00:00Z");

    let (status, answer) = preview(&app, json!({"anonymous_id": "nobody"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["history_events"], 0);
    assert_eq!(answer["context"]["visitor_id"], "nobody");
}

#[tokio::test]
async fn preview_checks_an_unsaved_document_like_a_save() {
    let app = test_app();
    let (status, answer) = preview(
        &app,
        json!({"context": {"device": "mobile"},
               "document": {"rules": [{"id": "m", "conditions": {"attribute": "device", "op": "equals", "value": "mobile"},
                                       "actions": [{"type": "hide", "selector": ".promo"}]}]}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["document"], "request");
    assert_eq!(answer["revision"], Value::Null);
    assert_eq!(answer["decisions"][0]["rule"], "m");

    let (status, answer) = preview(
        &app,
        json!({"context": {}, "document": {"rules": [{"id": "m", "actions": [{"type": "hide", "selector": "p", "colour": 1}]}]}}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["findings"][0]["path"], "rules[0].actions[0].colour");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("nothing was previewed"));
}

#[tokio::test]
async fn preview_requests_that_cannot_run_are_400s() {
    let app = test_app();
    put(&app, HERO).await;
    for (body, needle) in [
        ("{}", "send \"context\""),
        ("[]", "expected an object"),
        (
            "{\"context\": {}, \"contxt\": {}}",
            "unknown field \"contxt\"",
        ),
        (
            "{\"context\": \"mobile\"}",
            "context: expected a visitor context object",
        ),
        ("{\"context\": {\"visit_count\": -1}}", "visit_count"),
        (
            "{\"context\": {\"device\": \"phone\"}}",
            "unknown device type",
        ),
        ("{\"anonymous_id\": 5}", "anonymous_id"),
        ("{\"context\": {}, \"preview\": 7}", "preview"),
        ("{\"context\": {} \"x\"", "not JSON: line 1"),
    ] {
        let (status, _, answer) = admin(&app, "POST", "/v1/sites/shop/rules/preview", body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(needle), "{body}: {error}");
    }
}

/// A context over the preview's 64 KB limit is refused with that limit, not the rule
/// document's 512 KB.
#[tokio::test]
async fn a_preview_context_over_its_limit_names_the_limit() {
    let app = test_app();
    put(&app, HERO).await;
    let body = json!({"context": {"traits.note": "x".repeat(70_000)}}).to_string();
    let (status, _, answer) = admin(&app, "POST", "/v1/sites/shop/rules/preview", &body).await;
    assert_eq!(status, 400, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("65536 bytes (64 KB)"), "{error}");
    assert!(!error.contains("512 KB"), "{error}");
}

#[tokio::test]
async fn a_saved_document_keeps_its_capture_list() {
    let app = test_app();
    let (status, answer) = put(
        &app,
        r#"{"version":1,"capture":["company","role"],"rules":[]}"#,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let (status, _, text) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(read_served(&text).capture(), ["company", "role"]);
    let document: Value = serde_json::from_str(&stored_text(&app, "current").await).unwrap();
    assert_eq!(document["capture"], json!(["company", "role"]));
}

#[tokio::test]
async fn a_stored_document_that_no_longer_parses_is_a_500_never_the_source_text() {
    let app = test_app();
    assert_eq!(put(&app, HERO).await.0, 201);
    // As if the language had changed under a stored document.
    let db = rusqlite::Connection::open(app.dir.path().join("orbit.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE rules_versions SET document = ?1 WHERE site = 'shop'",
        [r#"{"rules":[{"id":"a","actions":[{"type":"explode","selector":"p"}]}]}"#],
    )
    .unwrap();
    let (status, headers, text) =
        public(&app, "/v1/sites/shop/rules.json", &[("origin", ORIGIN)]).await;
    assert_eq!(status, 500, "{text}");
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert!(!text.contains("explode"), "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "version 1 of site \"shop\"'s rule document cannot be compiled for the tracker"
        ),
        "{error}"
    );
    let (status, _, text) = send(
        &app,
        "GET",
        "/v1/sites/shop/rules/current",
        &[("authorization", &bearer())],
        "",
    )
    .await;
    assert_eq!(status, 200, "the admin API still shows what is stored");
    assert!(text.contains("explode"));
}

#[tokio::test]
async fn rules_json_serves_each_new_version_compiled() {
    let app = test_app();
    put(&app, HERO).await;
    let (_, headers, first) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    let (_, again_headers, again) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!((&first, &headers["etag"]), (&again, &again_headers["etag"]));

    put(&app, &HERO.replace("#cta", "#buy")).await;
    let (status, headers, second) = public(&app, "/v1/sites/shop/rules.json", &[]).await;
    assert_eq!(status, 200);
    assert!(headers["etag"].to_str().unwrap().starts_with("\"2-"));
    let served = read_served(&second);
    assert_eq!(served.revision(), Some("2"));
    assert_eq!(served, parse_rules(&stored_text(&app, "2").await).unwrap());
    assert_eq!(served.rules()[1].actions()[0].selector(), Some("#buy"));
}
