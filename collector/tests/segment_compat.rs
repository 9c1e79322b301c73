//! Golden wire-compatibility test: a request recorded from Segment's Node library
//! (`@segment/analytics-node` 3.x), replayed as sent, and compared field by field.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use orbit_core::time::parse_rfc3339_ms;
use serde_json::Value;

const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/segment-analytics-node-batch.json"
));

#[tokio::test]
async fn a_segment_node_batch_is_stored_field_for_field() {
    let recorded: Value = serde_json::from_str(FIXTURE).unwrap();
    let app = test_app();
    let mut request = Request::post(recorded["path"].as_str().unwrap());
    for (name, value) in recorded["headers"].as_object().unwrap() {
        request = request.header(name.as_str(), value.as_str().unwrap());
    }
    let body = recorded["body"].to_string();
    let (status, _, text) = app.call(request.body(Body::from(body)).unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["accepted"], 5, "{answer}");
    assert_eq!(answer["rejected"], serde_json::json!([]));

    let sent = recorded["body"]["batch"].as_array().unwrap();
    let sent_at = parse_rfc3339_ms(recorded["body"]["sentAt"].as_str().unwrap()).unwrap();
    let stored = app.export("shop").await;
    assert_eq!(stored.len(), sent.len());
    for (sent, stored) in sent.iter().zip(&stored) {
        for field in [
            "type",
            "messageId",
            "userId",
            "anonymousId",
            "event",
            "name",
            "properties",
            "traits",
            "previousId",
            "groupId",
        ] {
            assert_eq!(
                sent.get(field),
                stored.get(field),
                "{field} of {}",
                sent["messageId"]
            );
        }
        assert_eq!(sent["context"]["library"], stored["context"]["library"]);
        let received = parse_rfc3339_ms(stored["receivedAt"].as_str().unwrap()).unwrap();
        let original = parse_rfc3339_ms(sent["timestamp"].as_str().unwrap()).unwrap();
        let corrected = parse_rfc3339_ms(stored["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(
            corrected,
            received + (original - sent_at),
            "clock-skew correction"
        );
        assert_eq!(stored["originalTimestamp"], sent["timestamp"]);
    }
}
