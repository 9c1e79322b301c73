//! The ingest API against the real server over real sockets: every status code and limit,
//! CORS, gzip, idempotency, concurrent writers, shutdown under load, Segment clients,
//! enrichment, metrics and the export's filters and cursor.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::Method;
use base64::Engine;
use common::real::*;
use serde_json::{json, Value};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn track(id: &str) -> Value {
    json!({"type": "track", "event": "Clicked", "anonymousId": "anon-1", "messageId": id,
           "properties": {"plan": "pro"}})
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

fn error_of(answer: &Answer) -> String {
    answer.json()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {}", answer.text()))
        .to_owned()
}

#[tokio::test]
async fn every_refusal_has_its_status_and_a_message_that_says_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--max-batch-events", "3"]);

    let partial = server
        .post(
            "/v1/batch",
            &json!({"batch": [track("ok"), {"type": "pageview", "anonymousId": "a"}]}),
        )
        .await;
    assert_eq!(partial.status, 200);
    assert_eq!(
        partial.json(),
        json!({"accepted": 1, "duplicates": 0, "rejected": [{"index": 1,
               "reason": "batch[1].type: expected one of page, track, identify, alias, group"}]})
    );

    let cases: Vec<(u16, Answer, &str)> = vec![
        (
            400,
            server.post("/v1/batch", &json!({"events": []})).await,
            "\"batch\" array",
        ),
        (
            400,
            server
                .send(Method::POST, "/v1/batch?key=wk_real", &[], "{nope")
                .await,
            "not valid JSON",
        ),
        (
            400,
            server.post("/v1/track", &json!({"anonymousId": "a"})).await,
            "body.event: a track event needs an event name",
        ),
        (
            401,
            server
                .send(
                    Method::POST,
                    "/v1/batch",
                    &[],
                    json!({"batch": []}).to_string(),
                )
                .await,
            "no write key",
        ),
        (
            401,
            server
                .send(
                    Method::POST,
                    "/v1/batch",
                    &[("authorization", &basic("wrong"))],
                    json!({"batch": []}).to_string(),
                )
                .await,
            "unknown write key",
        ),
        (
            403,
            server
                .send(
                    Method::POST,
                    "/v1/batch?key=wk_real",
                    &[("origin", "https://evil.example.net")],
                    json!({"batch": [track("evil")]}).to_string(),
                )
                .await,
            "add it to the site's allowed_origins",
        ),
        (
            413,
            server
                .post(
                    "/v1/batch",
                    &json!({"batch": [track("1"), track("2"), track("3"), track("4")]}),
                )
                .await,
            "the limit is 3 per request",
        ),
        (
            413,
            server
                .send(
                    Method::POST,
                    "/v1/batch?key=wk_real",
                    &[],
                    "x".repeat(600 * 1024),
                )
                .await,
            "larger than 512000 bytes",
        ),
        (
            413,
            server
                .send(
                    Method::POST,
                    "/v1/track?key=wk_real",
                    &[],
                    "x".repeat(40 * 1024),
                )
                .await,
            "larger than 36864 bytes",
        ),
        (
            415,
            server
                .send(
                    Method::POST,
                    "/v1/batch?key=wk_real",
                    &[("content-encoding", "br")],
                    "{}",
                )
                .await,
            "send gzip or no encoding",
        ),
    ];
    for (status, answer, says) in cases {
        assert_eq!(answer.status, status, "{}", answer.text());
        let message = error_of(&answer);
        assert!(
            message.contains(says),
            "{status}: {message:?} should say {says:?}"
        );
        assert_eq!(answer.header("content-type"), Some("application/json"));
    }
    assert_eq!(
        server.export("").await.len(),
        1,
        "only the valid event is stored"
    );
}

#[tokio::test]
async fn shape_time_and_size_limits_reject_single_events_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let mut deep = json!(1);
    for _ in 0..33 {
        deep = json!({ "x": deep });
    }
    let many: serde_json::Map<String, Value> =
        (0..300).map(|i| (format!("p{i}"), json!(i))).collect();
    let cases = [
        (
            json!({"event": "E", "anonymousId": "a", "properties": {"big": "x".repeat(33_000)}}),
            "body.properties.big: a string of 33000 bytes; the limit is 8192 bytes",
        ),
        (
            json!({"event": "E", "anonymousId": "a", "properties": deep}),
            "; the limit is 32",
        ),
        (
            json!({"event": "E", "anonymousId": "a", "properties": many}),
            "body.properties: 300 keys; the limit is 256 per object",
        ),
        (
            json!({"event": "E", "anonymousId": "a",
                   "properties": {"a": "x".repeat(8000), "b": "x".repeat(8000),
                                  "c": "x".repeat(8000), "d": "x".repeat(8000),
                                  "e": "x".repeat(1000)}}),
            "the limit is 32768 bytes",
        ),
        (
            json!({"event": "E", "anonymousId": "a", "timestamp": "2099-01-01T00:00:00Z"}),
            "body.timestamp: more than 23 hours in the future",
        ),
        (
            json!({"event": "E", "anonymousId": "a", "timestamp": "2020-01-01T00:00:00Z"}),
            "body.timestamp: older than 30 days",
        ),
        (
            json!({"event": "E", "anonymousId": "a".repeat(201)}),
            "body.anonymousId: longer than 200 characters",
        ),
    ];
    for (event, says) in cases {
        let answer = server.post("/v1/track", &event).await;
        assert_eq!(answer.status, 400, "{}", answer.text());
        let message = error_of(&answer);
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    assert!(server.export("").await.is_empty());
}

/// Writes a request's head and part of its body, then stalls.
fn stall(addr: &str, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

fn read_all(stream: &mut TcpStream) -> String {
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text
}

#[tokio::test]
async fn slow_clients_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--body-timeout-seconds",
            "1",
            "--header-timeout-seconds",
            "1",
        ],
    );
    let addr = server.addr.clone();
    let (body, headers) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut slow_body = stall(
            &addr,
            "POST /v1/batch?key=wk_real HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ba",
        );
        let body = (read_all(&mut slow_body), started.elapsed());
        let started = Instant::now();
        let mut slow_headers = stall(&addr, "POST /v1/batch HTTP/1.1\r\nHost: x\r\n");
        let headers = (read_all(&mut slow_headers), started.elapsed());
        (body, headers)
    })
    .await
    .unwrap();
    assert!(body.0.starts_with("HTTP/1.1 408"), "{}", body.0);
    assert!(body.0.contains("did not arrive within 1 s"), "{}", body.0);
    assert!(body.1 < Duration::from_secs(5), "{:?}", body.1);
    assert!(
        !headers.0.starts_with("HTTP/1.1 2"),
        "a client that never finishes its headers gets no answer but a close: {}",
        headers.0
    );
    assert!(headers.1 < Duration::from_secs(5), "{:?}", headers.1);
}

#[tokio::test]
async fn too_many_requests_in_flight_get_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--max-concurrent-requests",
            "1",
            "--body-timeout-seconds",
            "3",
        ],
    );
    let addr = server.addr.clone();
    // Holds the only permit: its body never finishes.
    let holder = tokio::task::spawn_blocking(move || {
        let mut s = stall(
            &addr,
            "POST /v1/batch?key=wk_real HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
        );
        read_all(&mut s)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = server
        .post("/v1/batch", &json!({"batch": [track("x")]}))
        .await;
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(error_of(&refused).contains("retry shortly"));
    assert!(holder.await.unwrap().starts_with("HTTP/1.1 408"));
    let later = server
        .post("/v1/batch", &json!({"batch": [track("x")]}))
        .await;
    assert_eq!(
        later.status, 200,
        "the permit is back once the slow request ends"
    );
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &["--client-requests-per-second", "1", "--client-burst", "2"],
    );
    for i in 0..2 {
        let ok = server.post("/v1/track", &track(&format!("c{i}"))).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
    }
    let limited = server.post("/v1/track", &track("c3")).await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(error_of(&limited).contains("more than 1 requests per second"));
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &["--site-events-per-second", "10", "--site-burst", "20"],
    );
    let batch: Vec<Value> = (0..20).map(|i| track(&format!("s{i}"))).collect();
    assert_eq!(
        server
            .post("/v1/batch", &json!({ "batch": batch }))
            .await
            .status,
        200
    );
    let limited = server
        .post("/v1/batch", &json!({"batch": [track("over")]}))
        .await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert!(limited.header("retry-after").is_some());
    assert!(error_of(&limited).contains("over its 10 events per second"));
    assert_eq!(server.export("").await.len(), 20);
}

#[tokio::test]
async fn gzip_is_read_whether_declared_or_not_and_bombs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let declared = server
        .send(
            Method::POST,
            "/v1/batch?key=wk_real",
            &[
                ("content-encoding", "gzip"),
                ("content-type", "application/json"),
            ],
            gzip(json!({"batch": [track("gz1")]}).to_string().as_bytes()),
        )
        .await;
    assert_eq!(declared.status, 200, "{}", declared.text());
    let sniffed = server
        .send(
            Method::POST,
            "/v1/batch?key=wk_real",
            &[("content-type", "text/plain")],
            gzip(json!({"batch": [track("gz2")]}).to_string().as_bytes()),
        )
        .await;
    assert_eq!(sniffed.status, 200, "{}", sniffed.text());

    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 200 * 1024);
    let refused = server
        .send(
            Method::POST,
            "/v1/batch?key=wk_real",
            &[("content-encoding", "gzip")],
            bomb,
        )
        .await;
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert!(error_of(&refused).contains("once decompressed"));

    let mut broken = gzip(b"{\"batch\": []}");
    broken.truncate(15);
    let bad = server
        .send(Method::POST, "/v1/batch?key=wk_real", &[], broken)
        .await;
    assert_eq!(bad.status, 400);
    assert!(error_of(&bad).contains("not valid gzip"));
    assert_eq!(server.export("").await.len(), 2);
}

#[tokio::test]
async fn cors_headers_go_only_to_allowed_origins() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let preflight = |origin: &'static str| {
        let server = &server;
        async move {
            server
                .send(
                    Method::OPTIONS,
                    "/v1/batch",
                    &[
                        ("origin", origin),
                        ("access-control-request-method", "POST"),
                    ],
                    Bytes::new(),
                )
                .await
        }
    };
    let allowed = preflight(REAL_ORIGIN).await;
    assert_eq!(allowed.status, 204);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(REAL_ORIGIN)
    );
    assert!(allowed
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let other = preflight("https://evil.example.net").await;
    assert_eq!(other.status, 403);
    assert_eq!(other.header("access-control-allow-origin"), None);

    let post = |origin: &'static str, id: &'static str| {
        let server = &server;
        async move {
            server
                .send(
                    Method::POST,
                    "/v1/track?key=wk_real",
                    &[("origin", origin), ("content-type", "text/plain")],
                    track(id).to_string(),
                )
                .await
        }
    };
    let ok = post(REAL_ORIGIN, "from-shop").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("access-control-allow-origin"), Some(REAL_ORIGIN));
    let evil = post("https://evil.example.net", "from-evil").await;
    assert_eq!(evil.status, 403);
    assert_eq!(evil.header("access-control-allow-origin"), None);
    let ids: Vec<Value> = server
        .export("")
        .await
        .iter()
        .map(|e| e["messageId"].clone())
        .collect();
    assert_eq!(ids, [json!("from-shop")]);
}

#[tokio::test]
async fn a_retried_batch_counts_duplicates_and_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let batch = json!({"batch": [track("r1"), track("r2"),
                                 {"type": "track", "event": "No Id", "anonymousId": "a",
                                  "timestamp": "2026-11-23T10:00:00Z"}],
                       "sentAt": "2026-11-23T10:00:01Z"});
    let first = server.post("/v1/batch", &batch).await.json();
    assert_eq!(first["accepted"], 3);
    let mut retry = batch.clone();
    retry["sentAt"] = json!("2026-11-23T10:00:31Z");
    let again = server.post("/v1/batch", &retry).await.json();
    assert_eq!(
        again,
        json!({"accepted": 0, "duplicates": 3, "rejected": []})
    );
    assert_eq!(server.export("").await.len(), 3);
}

/// Posts from many clients at once; returns every messageId the server acknowledged,
/// stopping at the first refusal when `until_refused`.
async fn load(server: Arc<Server>, clients: usize, requests: usize, tag: &str) -> Vec<String> {
    let mut tasks = Vec::new();
    for client in 0..clients {
        let server = Arc::clone(&server);
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for n in 0..requests {
                let ids: Vec<String> = if n % 2 == 0 {
                    vec![format!("{tag}-{client}-{n}")]
                } else {
                    (0..5).map(|k| format!("{tag}-{client}-{n}-{k}")).collect()
                };
                let answer = if ids.len() == 1 {
                    server.try_post("/v1/track", &track(&ids[0])).await
                } else {
                    let batch: Vec<Value> = ids.iter().map(|id| track(id)).collect();
                    server
                        .try_post("/v1/batch", &json!({ "batch": batch }))
                        .await
                };
                match answer {
                    Some(200) => acked.extend(ids),
                    _ => break,
                }
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    acked
}

fn assert_exactly_once(acked: &[String], exported: &[Value]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for event in exported {
        *counts
            .entry(event["messageId"].as_str().unwrap())
            .or_default() += 1;
    }
    assert!(
        counts.values().all(|n| *n == 1),
        "an event was stored twice"
    );
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| !counts.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing_and_store_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(start(dir.path(), &[]));
    let acked = load(Arc::clone(&server), 24, 30, "cw").await;
    assert_eq!(
        acked.len(),
        24 * (15 + 15 * 5),
        "every request was acknowledged"
    );
    // Every client retries its first request: all duplicates.
    let retry = server.post("/v1/track", &track("cw-0-0")).await.json();
    assert_eq!(retry["duplicates"], 1);
    let exported = server.export("").await;
    assert_eq!(exported.len(), acked.len());
    assert_exactly_once(&acked, &exported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_load_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(start(dir.path(), &[]));
    let load = tokio::spawn(load(Arc::clone(&server), 16, 100_000, "st"));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let status = {
        let server = Arc::clone(&server);
        tokio::task::spawn_blocking(move || {
            // Only this test holds a mutable handle: the load tasks hold clones.
            let pid = server.pid().to_string();
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(status.success());
    let acked = load.await.unwrap();
    assert!(
        acked.len() > 100,
        "the load ran: {} acknowledged",
        acked.len()
    );
    let mut server = Arc::into_inner(server).expect("the load tasks have ended");
    let exit = server.wait();
    assert!(
        exit.success(),
        "the collector exits 0 after SIGTERM: {exit:?}"
    );

    let again = start(dir.path(), &[]);
    let exported = again.export("").await;
    assert_exactly_once(&acked, &exported);
}

#[tokio::test]
async fn segment_spec_clients_only_change_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let library = json!({"library": {"name": "analytics-python", "version": "2.3.3"}});
    let calls = [
        (
            "/v1/identify",
            json!({"userId": "u1", "traits": {"email": "ada@example.com"}}),
        ),
        (
            "/v1/track",
            json!({"userId": "u1", "event": "Signed Up", "properties": {"plan": "pro"}}),
        ),
        (
            "/v1/page",
            json!({"userId": "u1", "name": "Pricing", "properties": {"url": "https://example.com/pricing"}}),
        ),
        (
            "/v1/group",
            json!({"userId": "u1", "groupId": "acme", "traits": {"name": "Acme"}}),
        ),
        ("/v1/alias", json!({"userId": "u1", "previousId": "anon-9"})),
    ];
    for (i, (path, mut body)) in calls.into_iter().enumerate() {
        body["messageId"] = json!(format!("py-{i}"));
        body["context"] = library.clone();
        body["integrations"] = json!({"All": true});
        body["timestamp"] = json!("2026-11-23T09:00:00.000+00:00");
        body["sentAt"] = json!("2026-11-23T09:00:00.500+00:00");
        let answer = server
            .send(
                Method::POST,
                path,
                &[
                    ("authorization", &basic(REAL_KEY)),
                    ("content-type", "application/json"),
                    ("user-agent", "analytics-python/2.3.3"),
                ],
                body.to_string(),
            )
            .await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    }
    let exported = server.export("").await;
    let types: Vec<&str> = exported
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["identify", "track", "page", "group", "alias"]);
    for event in &exported {
        assert_eq!(event["context"]["library"]["name"], "analytics-python");
        assert!(event.get("integrations").is_none());
        assert!(event["receivedAt"].is_string());
        assert!(event["exportCursor"].is_string());
        assert!(
            event["context"].get("userAgent").is_none(),
            "a server library's User-Agent is not the visitor's"
        );
    }
    assert_eq!(exported[1]["properties"]["plan"], "pro");
    assert_eq!(exported[4]["previousId"], "anon-9");
}

#[tokio::test]
async fn browser_events_are_enriched_and_the_ip_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--client-ip-header", "X-Forwarded-For"]);
    let page = json!({"type": "page", "anonymousId": "a", "messageId": "p1",
        "context": {"page": {"url": "https://shop.example.com/?utm_source=news&utm_campaign=fall&gclid=g1",
                             "referrer": "https://news.example.org/"}}});
    let answer = server
        .send(
            Method::POST,
            "/v1/batch?key=wk_real",
            &[
                ("origin", REAL_ORIGIN),
                ("user-agent", CHROME),
                ("x-forwarded-for", "10.0.0.1, 198.51.100.23"),
            ],
            json!({ "batch": [page] }).to_string(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let bot = server
        .send(
            Method::POST,
            "/v1/batch?key=wk_real",
            &[
                ("origin", REAL_ORIGIN),
                (
                    "user-agent",
                    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                ),
                ("x-forwarded-for", "2001:db8:abcd:12::7"),
            ],
            json!({"batch": [track("b1")]}).to_string(),
        )
        .await;
    assert_eq!(
        bot.status,
        200,
        "bots are flagged, not dropped: {}",
        bot.text()
    );
    let exported = server.export("").await;
    let context = &exported[0]["context"];
    assert_eq!(context["ip"], "198.51.100.0");
    assert_eq!(context["userAgent"], CHROME);
    assert_eq!(context["browser"]["name"], "Chrome");
    assert_eq!(context["os"]["name"], "Windows");
    assert_eq!(context["device"]["type"], "desktop");
    assert_eq!(
        context["campaign"],
        json!({"source": "news", "name": "fall", "gclid": "g1"})
    );
    assert!(context.get("bot").is_none());
    assert_eq!(exported[1]["context"]["bot"], true);
    assert_eq!(exported[1]["context"]["ip"], "2001:db8:abcd::");
    let everything = std::fs::read(&server.db).unwrap();
    let needle = b"198.51.100.23";
    assert!(
        !everything.windows(needle.len()).any(|w| w == needle),
        "the full address is nowhere in the database file"
    );
}

#[tokio::test]
async fn a_site_may_drop_bots() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("orbit.toml");
    std::fs::write(
        &config,
        format!(
            "[[sites]]\nid = \"shop\"\nwrite_key = \"{REAL_KEY}\"\n\
             allowed_origins = [\"{REAL_ORIGIN}\"]\ndrop_bots = true\n"
        ),
    )
    .unwrap();
    let server = start(dir.path(), &["--config", config.to_str().unwrap()]);
    let batch = json!({"batch": [
        track("human"),
        {"type": "track", "event": "E", "anonymousId": "a", "messageId": "crawler",
         "context": {"userAgent": "Mozilla/5.0 (compatible; bingbot/2.0)"}},
    ]});
    let answer = server.post("/v1/batch", &batch).await.json();
    assert_eq!(answer["accepted"], 1);
    assert_eq!(answer["rejected"][0]["index"], 1);
    assert!(answer["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("drops bot traffic"));
    assert_eq!(server.export("").await.len(), 1);
}

#[tokio::test]
async fn metrics_count_requests_events_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server
        .post(
            "/v1/batch",
            &json!({"batch": [track("m1"), track("m2"), {"type": "x"}]}),
        )
        .await;
    server.post("/v1/track", &track("m1")).await;
    let text = server
        .send(Method::GET, "/metrics", &[], Bytes::new())
        .await
        .text();
    for line in [
        "orbit_http_requests_total{route=\"/v1/batch\",status=\"200\"} 1",
        "orbit_http_requests_total{route=\"/v1/track\",status=\"200\"} 1",
        "orbit_events_total{site=\"shop\",outcome=\"accepted\",reason=\"\"} 2",
        "orbit_events_total{site=\"shop\",outcome=\"duplicate\",reason=\"\"} 1",
        "orbit_events_total{site=\"shop\",outcome=\"rejected\",reason=\"invalid_type\"} 1",
        "orbit_storage_queue_depth 0",
        "orbit_storage_commit_seconds_count 2",
        "orbit_request_events_count 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[tokio::test]
async fn the_export_filters_and_resumes_from_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let mut batch = Vec::new();
    for hour in 0..6 {
        batch.push(json!({"type": if hour % 3 == 0 { "page" } else { "track" },
            "event": "E", "anonymousId": "a", "messageId": format!("h{hour}"),
            "timestamp": format!("2026-11-23T0{hour}:30:00Z")}));
    }
    batch.push(json!({"type": "page", "anonymousId": "a", "messageId": "h6"}));
    let body = json!({"batch": batch, "sentAt": null});
    assert_eq!(server.post("/v1/batch", &body).await.json()["accepted"], 7);

    let ids = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["messageId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&server.export("&type=page").await), ["h0", "h3", "h6"]);
    assert_eq!(
        ids(&server
            .export("&since=2026-11-23T01:00:00Z&until=2026-11-23T04:00:00Z")
            .await),
        ["h1", "h2", "h3"]
    );
    let first = server.export("&limit=4").await;
    assert_eq!(ids(&first), ["h0", "h1", "h2", "h3"]);
    let cursor = first[3]["exportCursor"].as_str().unwrap();
    let rest = server.export(&format!("&cursor={cursor}")).await;
    assert_eq!(ids(&rest), ["h4", "h5", "h6"]);
    let all: HashSet<String> = ids(&first).into_iter().chain(ids(&rest)).collect();
    assert_eq!(all.len(), 7);

    for (query, says) in [
        ("&type=click", "expected one of page"),
        ("&since=yesterday", "a date such as 2026-11-22"),
        ("&cursor=-1", "exportCursor"),
    ] {
        let answer = server.export_answer(query).await;
        assert_eq!(answer.status, 400, "{query}");
        assert!(
            error_of(&answer).contains(says),
            "{query}: {}",
            answer.text()
        );
    }
}

/// `since`/`until` take the same times as every other read API: RFC 3339, a date
/// (midnight UTC) or Unix milliseconds, and name the fix for Unix seconds.
#[tokio::test]
async fn the_export_reads_dates_and_unix_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let batch: Vec<Value> = [("d0", "2026-11-22T23:30:00Z"), ("d1", "2026-11-23T02:00:00Z")]
        .iter()
        .map(|(id, ts)| json!({"type": "track", "event": "E", "anonymousId": "a", "messageId": id, "timestamp": ts}))
        .collect();
    let body = json!({"batch": batch, "sentAt": null});
    assert_eq!(server.post("/v1/batch", &body).await.json()["accepted"], 2);
    let ids = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| e["messageId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(server.export("&since=2026-11-23").await), ["d1"]);
    assert_eq!(ids(server.export("&until=2026-11-23").await), ["d0"]);
    // 2026-11-23T01:00:00Z and 04:00 in Unix milliseconds.
    assert_eq!(
        ids(server
            .export("&since=1795395600000&until=1795406400000")
            .await),
        ["d1"]
    );
    let answer = server.export_answer("&since=1795395600").await;
    assert_eq!(answer.status, 400, "{}", answer.text());
    assert!(
        error_of(&answer).contains("looks like Unix seconds"),
        "{}",
        answer.text()
    );
}

/// A misspelt filter must not silently export everything: the README promises that unknown
/// parameters of the read APIs are refused.
#[tokio::test]
async fn the_export_refuses_unknown_parameters_and_bad_limits() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let body = json!({"batch": [track("m1")]});
    assert_eq!(server.post("/v1/batch", &body).await.json()["accepted"], 1);
    for (query, says) in [
        ("&sinse=2026-11-23T00:00:00Z", "sinse"),
        ("&types=page", "types"),
        // A limit that is not a count of events says so, as the leads API does.
        ("&limit=0", "limit=\"0\": expected a number of events"),
        ("&limit=abc", "limit=\"abc\": expected a number of events"),
        ("&limit=-1", "limit=\"-1\": expected a number of events"),
    ] {
        let answer = server.export_answer(query).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text());
        assert!(
            error_of(&answer).contains(says),
            "{query}: {}",
            answer.text()
        );
    }
}
