//! The SDK bundle and the site: content types, encodings, ETags and cache policy, and the
//! site's inline rule documents, compiled.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use orbit_collector::assets::{AssetKind, AssetStore};
use orbit_core::rules::{parse_rules, read_compiled};

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

// Inline rule documents of the site's pages, compiled when the site is loaded.

const DOC: &str = r#"{"revision":"p1","rules":[{"id":"a","actions":[{"type":"set_text","selector":"h1","text":"\u003c/script> ok"}]}]}"#;
const BAD: &str = r#"{"rules":[{"id":"a","conditions":{"attribute":"utm_sorce","op":"equals","value":"x"},"actions":[{"type":"hide","selector":"p"}]}]}"#;

fn page(tag: &str, inner: &str) -> String {
    format!("<!doctype html><html><head>\n{tag}{inner}</script>\n<script src=\"/sdk/orbit.js\"></script></head><body><h1>Hi</h1></body></html>")
}

/// The content of the page's first rule element (what the tracker reads).
fn inline_document(html: &str) -> &str {
    let id = html.find("orbit-rules").unwrap();
    let start = id + html[id..].find('>').unwrap() + 1;
    let end = start + html[start..].find("</script>").unwrap();
    &html[start..end]
}

fn with_pages() -> TestApp {
    let compiled = orbit_collector::rules::compile::compile_text(DOC).unwrap();
    let tag = r#"<script type="application/json" id="orbit-rules">"#;
    test_app_with(|dir| {
        write_files(
            &dir.join("site"),
            &[
                ("index.html", page(tag, &format!("\n  {DOC}\n")).as_bytes()),
                ("index.html.gz", b"STALE-GZ"),
                ("index.html.br", b"STALE-BR"),
                (
                    "docs/other.htm",
                    page(r#"<script id='orbit-rules' type='application/json'>"#, DOC).as_bytes(),
                ),
                ("bad.html", page(tag, BAD).as_bytes()),
                ("bad.html.gz", b"BAD-GZ"),
                ("compiled.html", page(tag, &compiled).as_bytes()),
                ("plain.html", b"<p>no rules</p>"),
                ("rules.json", DOC.as_bytes()),
            ],
        );
    })
}

async fn fetch_page(app: &TestApp, path: &str) -> (u16, axum::http::HeaderMap, String) {
    app.call(
        get(path)
            .header("accept-encoding", "gzip, br")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn inline_rule_documents_of_every_page_are_served_compiled() {
    let app = with_pages();
    for path in ["/", "/docs/other.htm"] {
        let (status, headers, html) = fetch_page(&app, path).await;
        assert_eq!(status, 200, "{path}");
        let inline = inline_document(&html);
        assert!(
            inline.starts_with("[\"orbit-rules-compiled/2\",\"p1\""),
            "{path}: {inline}"
        );
        assert_eq!(
            read_compiled(inline),
            Ok(parse_rules(DOC).unwrap()),
            "{path}"
        );
        assert!(html.ends_with("</script>\n<script src=\"/sdk/orbit.js\"></script></head><body><h1>Hi</h1></body></html>"));
        assert!(
            headers.get("content-encoding").is_none(),
            "{path}: the stale .gz/.br are not served"
        );
        assert!(headers.get("vary").is_none(), "{path}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, _) = app
            .call(
                get(path)
                    .header("if-none-match", &etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, 304, "{path}: the ETag is the compiled page's");
    }
}

#[tokio::test]
async fn pages_with_a_bad_document_already_compiled_or_none_are_served_as_written() {
    let app = with_pages();
    let tag = r#"<script type="application/json" id="orbit-rules">"#;
    let (status, _, html) = app
        .call(get("/bad.html").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (status, html),
        (200, page(tag, BAD)),
        "left for the tracker to complain about"
    );
    let (_, headers, body) = fetch_page(&app, "/bad.html").await;
    assert_eq!(
        (headers["content-encoding"].to_str().unwrap(), body.as_str()),
        ("gzip", "BAD-GZ"),
        "an unchanged page keeps its precompressed form"
    );
    let compiled = orbit_collector::rules::compile::compile_text(DOC).unwrap();
    let (_, _, html) = fetch_page(&app, "/compiled.html").await;
    assert_eq!(html, page(tag, &compiled));
    let (_, _, html) = fetch_page(&app, "/plain.html").await;
    assert_eq!(html, "<p>no rules</p>");
    let (_, _, text) = fetch_page(&app, "/rules.json").await;
    assert_eq!(text, DOC, "only HTML pages are rewritten");
}

#[test]
fn the_demo_sites_rules_compile() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo-site");
    let store = AssetStore::load(&dir, AssetKind::Site, "");
    let html = std::str::from_utf8(&store.get("/").unwrap().identity.bytes).unwrap();
    let inline = inline_document(html);
    assert!(read_compiled(inline).is_ok(), "{inline}");
    let written = std::fs::read_to_string(dir.join("index.html")).unwrap();
    // The demo's document has no revision of its own: its content's, which exposures carry.
    let compiled = read_compiled(inline).unwrap();
    let revision = compiled.revision().unwrap();
    assert!(revision.starts_with("inline-"), "{revision}");
    let with_revision =
        inline_document(&written).replacen('{', &format!("{{\"revision\":\"{revision}\","), 1);
    assert_eq!(compiled, parse_rules(&with_revision).unwrap());
}
