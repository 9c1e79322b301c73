//! The SDK bundle and the site: content types, encodings, ETags and cache policy.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;

fn with_bundle() -> TestApp {
    test_app_with(|dir| {
        write_files(
            &dir.join("sdk"),
            &[
                ("orbit.js", b"loader();"),
                ("orbit.js.gz", b"GZ-LOADER"),
                ("orbit.js.br", b"BR-LOADER"),
                ("orbit_bg.0123456789.wasm", b"\0asm"),
            ],
        );
        write_files(
            &dir.join("site"),
            &[("index.html", b"<h1>hi</h1>"), ("docs/index.html", b"docs")],
        );
    })
}

fn get(path: &str) -> axum::http::request::Builder {
    Request::get(path)
}

#[tokio::test]
async fn files_have_their_content_type_and_cache_policy() {
    let app = with_bundle();
    let (status, headers, body) = app
        .call(get("/sdk/orbit.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, "loader();");
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let (_, headers, _) = app
        .call(
            get("/sdk/orbit_bg.0123456789.wasm")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(headers["content-type"], "application/wasm");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let (status, headers, body) = app.call(get("/").body(Body::empty()).unwrap()).await;
    assert_eq!((status, body.as_str()), (200, "<h1>hi</h1>"));
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(
        app.call(get("/docs/").body(Body::empty()).unwrap()).await.2,
        "docs"
    );
    assert_eq!(
        app.call(get("/docs").body(Body::empty()).unwrap()).await.2,
        "docs"
    );
}

#[tokio::test]
async fn precompressed_files_are_negotiated() {
    let app = with_bundle();
    let fetch = |accept: &str| {
        get("/sdk/orbit.js")
            .header("accept-encoding", accept)
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, body) = app.call(fetch("gzip, deflate, br")).await;
    assert_eq!(
        (headers["content-encoding"].to_str().unwrap(), body.as_str()),
        ("br", "BR-LOADER")
    );
    assert_eq!(headers["vary"], "Accept-Encoding");
    let (_, headers, body) = app.call(fetch("gzip")).await;
    assert_eq!(
        (headers["content-encoding"].to_str().unwrap(), body.as_str()),
        ("gzip", "GZ-LOADER")
    );
    let (_, headers, body) = app.call(fetch("br;q=0, gzip;q=0")).await;
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(body, "loader();");
}

#[tokio::test]
async fn a_matching_etag_gets_304() {
    let app = with_bundle();
    let (_, headers, _) = app
        .call(get("/sdk/orbit.js").body(Body::empty()).unwrap())
        .await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, body) = app
        .call(
            get("/sdk/orbit.js")
                .header("if-none-match", &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!((status, body.as_str()), (304, ""));
    let (_, gz_headers, _) = app
        .call(
            get("/sdk/orbit.js")
                .header("accept-encoding", "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_ne!(
        gz_headers["etag"].to_str().unwrap(),
        etag,
        "each encoding has its own ETag"
    );
}

#[tokio::test]
async fn paths_outside_the_directories_are_not_served() {
    let app = with_bundle();
    std::fs::write(app.dir.path().join("secret.txt"), "TOP-SECRET-CONTENT").unwrap();
    for path in [
        "/sdk/../secret.txt",
        "/../secret.txt",
        "/sdk/%2e%2e/secret.txt",
        "/orbit.db",
    ] {
        let (status, _, body) = app.call(get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("TOP-SECRET-CONTENT"));
    }
}

#[tokio::test]
async fn a_missing_bundle_says_how_to_build_it() {
    let app = test_app();
    let (status, _, body) = app
        .call(get("/sdk/orbit.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, 404);
    assert!(body.contains("scripts/build-sdk"), "{body}");
}
