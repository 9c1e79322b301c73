//! The ingest and export APIs, in-process (`app(state).oneshot`).

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_valid_batch_is_stored_and_exported() {
    let app = test_app();
    let (status, body) = app
        .post_batch(&json!({"batch": [track("m1"), track("m2")]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"accepted": 2, "duplicates": 0, "rejected": []})
    );
    let events = app.export("shop").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["messageId"], "m1");
    assert_eq!(events[0]["properties"]["n"], 1);
    assert!(events[0]["receivedAt"].is_string());
}

#[tokio::test]
async fn duplicate_message_id_is_counted_not_stored() {
    let app = test_app();
    app.post_batch(&json!({"batch": [track("m1")]})).await;
    let (status, body) = app
        .post_batch(&json!({"batch": [track("m1"), track("m2")]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["duplicates"], 1);
    assert_eq!(app.export("shop").await.len(), 2);
}

#[tokio::test]
async fn valid_events_are_stored_when_others_in_the_batch_are_rejected() {
    let app = test_app();
    let batch =
        json!({"batch": [track("ok-1"), {"type": "view", "anonymousId": "a"}, track("ok-2")]});
    let (status, body) = app.post_batch(&batch).await;
    assert_eq!(status, 200);
    assert_eq!(body["accepted"], 2);
    assert_eq!(
        body["rejected"],
        json!([{"index": 1, "reason": "batch[1].type: expected one of page, track, identify, alias, group"}])
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_batch_is_a_400_saying_why() {
    let app = test_app();
    let (status, body) = app.post_batch(&json!({"events": []})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("\"batch\" array"),
        "{body}"
    );
    let request = Request::post(format!("/v1/batch?key={KEY}"))
        .body(Body::from("{not json"))
        .unwrap();
    let (status, _, text) = app.call(request).await;
    assert_eq!(status, 400);
    assert!(text.contains("not valid JSON"), "{text}");
}

#[tokio::test]
async fn a_missing_or_unknown_write_key_is_a_401() {
    let app = test_app();
    let body = json!({"batch": [track("m")]}).to_string();
    let missing = Request::post("/v1/batch")
        .body(Body::from(body.clone()))
        .unwrap();
    let (status, _, text) = app.call(missing).await;
    assert_eq!(status, 401);
    assert!(
        text.contains("writeKey"),
        "says how to send the key: {text}"
    );
    let unknown = Request::post("/v1/batch?key=nope")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.call(unknown).await.0, 401);
    assert!(app.export("shop").await.is_empty());
}

#[tokio::test]
async fn the_write_key_may_come_from_basic_auth_or_the_body() {
    let app = test_app();
    // base64("WRITE_KEY:")
    let basic = Request::post("/v1/batch")
        .header("authorization", "Basic V1JJVEVfS0VZOg==")
        .header("content-type", "application/json")
        .body(Body::from(json!({"batch": [track("basic")]}).to_string()))
        .unwrap();
    assert_eq!(app.call(basic).await.0, 200);
    let in_body = Request::post("/v1/batch")
        .body(Body::from(
            json!({"batch": [track("body")], "writeKey": KEY}).to_string(),
        ))
        .unwrap();
    assert_eq!(app.call(in_body).await.0, 200);
    assert_eq!(app.export("shop").await.len(), 2);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = test_app();
    let big = "x".repeat(orbit_core::limits::MAX_BATCH_BYTES + 1);
    let request = Request::post(format!("/v1/batch?key={KEY}"))
        .body(Body::from(big))
        .unwrap();
    let (status, _, text) = app.call(request).await;
    assert_eq!(status, 413);
    assert!(text.contains("fewer events"), "{text}");
    // One event cannot be split: a single-event endpoint names its own limit.
    let big = "x".repeat(orbit_core::limits::MAX_EVENT_BYTES + 8 * 1024);
    let request = Request::post(format!("/v1/track?key={KEY}"))
        .body(Body::from(big))
        .unwrap();
    let (status, _, text) = app.call(request).await;
    assert_eq!(status, 413);
    assert!(
        text.contains("single-event") && !text.contains("fewer events"),
        "{text}"
    );
}

#[tokio::test]
async fn a_disallowed_origin_is_refused_without_cors_headers() {
    let app = test_app();
    let request = Request::post(format!("/v1/batch?key={KEY}"))
        .header("origin", "https://evil.example.com")
        .body(Body::from(json!({"batch": [track("m")]}).to_string()))
        .unwrap();
    let (status, headers, text) = app.call(request).await;
    assert_eq!(status, 403);
    assert!(text.contains("allowed_origins"), "{text}");
    assert!(headers.get("access-control-allow-origin").is_none());
    assert!(app.export("shop").await.is_empty());
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_and_a_preflight() {
    let app = test_app();
    let request = Request::post(format!("/v1/batch?key={KEY}"))
        .header("origin", ORIGIN)
        .body(Body::from(json!({"batch": [track("m")]}).to_string()))
        .unwrap();
    let (status, headers, _) = app.call(request).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(headers["vary"], "Origin");

    let preflight = Request::options("/v1/batch")
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = app.call(preflight).await;
    assert_eq!(status, 204);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert!(headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));

    let foreign = Request::options("/v1/batch")
        .header("origin", "https://evil.example.com")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = app.call(foreign).await;
    assert_eq!(status, 403);
    assert!(headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn pages_served_by_the_collector_itself_may_send() {
    let app = test_app();
    let request = Request::post(format!("/v1/batch?key={KEY}"))
        .header("origin", "http://127.0.0.1:8080")
        .header("host", "127.0.0.1:8080")
        .body(Body::from(json!({"batch": [track("m")]}).to_string()))
        .unwrap();
    assert_eq!(app.call(request).await.0, 200);
}

#[tokio::test]
async fn export_needs_the_admin_token_and_a_known_site() {
    let app = test_app();
    let no_token = Request::get("/v1/export?site=shop")
        .body(Body::empty())
        .unwrap();
    let (status, _, text) = app.call(no_token).await;
    assert_eq!(status, 401);
    assert!(text.contains("Bearer"), "{text}");
    let wrong = Request::get("/v1/export?site=shop")
        .header("authorization", "Bearer wrong-token-0123456789")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.call(wrong).await.0, 401);
    let no_site = Request::get("/v1/export")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.call(no_site).await.0, 400);
    let unknown = Request::get("/v1/export?site=other")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.call(unknown).await.0, 404);
}

#[tokio::test]
async fn export_is_ndjson_in_insertion_order_across_pages() {
    let app = test_app();
    let batch: Vec<_> = (0..2100).map(|i| track(&format!("m{i:05}"))).collect();
    let (status, body) = app.post_batch(&json!({ "batch": batch })).await;
    assert_eq!(status, 200, "{body}");
    let events = app.export("shop").await;
    assert_eq!(events.len(), 2100);
    assert!(events
        .windows(2)
        .all(|w| w[0]["messageId"].as_str() < w[1]["messageId"].as_str()));
}

#[tokio::test]
async fn healthz_answers_when_storage_does() {
    let app = test_app();
    let (status, _, text) = app
        .call(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, 200);
    assert_eq!(text, r#"{"status":"ok"}"#);
}
