//! `GET /sdk/*` and the site: in-memory files with gzip/brotli negotiation and ETags.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::assets::{AssetStore, Encoding};
use crate::error::ApiError;

/// Files of the SDK bundle. Any origin may load them: sites host pages elsewhere, and
/// `import()` of a cross-origin module needs CORS.
pub async fn sdk(
    State(state): State<AppState>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let mut response = serve(&state.sdk, &path, &method, &headers);
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Pages of the site (the demo site by default).
pub async fn site(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    serve(&state.site, uri.path(), &method, &headers)
}

fn serve(store: &AssetStore, path: &str, method: &Method, headers: &HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::NotFound(format!("{method} is not served here; use GET")).into_response();
    }
    let Some(asset) = store.get(path) else {
        let message = match &store.missing {
            Some(why) => why.clone(),
            None => format!("no file at {path}"),
        };
        return ApiError::NotFound(message).into_response();
    };
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let (encoding, variant) = asset.negotiate(accept);
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == variant.etag || tag.trim() == "*")
        });
    let mut builder = Response::builder()
        .header(header::ETAG, &variant.etag)
        .header(header::CACHE_CONTROL, asset.cache_control);
    if asset.has_variants() {
        builder = builder.header(header::VARY, "Accept-Encoding");
    }
    if not_modified {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    builder = builder
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CONTENT_LENGTH, variant.bytes.len());
    match encoding {
        Encoding::Gzip => builder = builder.header(header::CONTENT_ENCODING, "gzip"),
        Encoding::Brotli => builder = builder.header(header::CONTENT_ENCODING, "br"),
        Encoding::Identity => {}
    }
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(variant.bytes.clone())
    };
    builder.body(body).unwrap_or_default()
}
