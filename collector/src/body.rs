//! Reading a request body: within a time limit, within a size limit, and gunzipped when
//! it is gzip (declared by `Content-Encoding` or recognised by its magic bytes), with the
//! size limit applied to the decompressed bytes so that a gzip bomb costs nothing.

use std::io::Read;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use flate2::read::MultiGzDecoder;

use crate::error::ApiError;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads `body`, at most `limit` bytes after decompression, within `timeout`.
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let declared_gzip = match encoding.as_deref() {
        None | Some("") | Some("identity") => false,
        Some("gzip") | Some("x-gzip") => true,
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Encoding {other:?} is not supported; send gzip or no encoding"
            )))
        }
    };
    let raw = match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            return Err(ApiError::Timeout(format!(
                "the body did not arrive within {} s",
                timeout.as_secs()
            )))
        }
        Ok(Err(error)) => return Err(too_large_or_bad(error, limit)),
        Ok(Ok(bytes)) => bytes,
    };
    if declared_gzip || raw.starts_with(&GZIP_MAGIC) {
        gunzip(&raw, limit).map(Bytes::from)
    } else {
        Ok(raw)
    }
}

/// Reads `body` as UTF-8 text of at most `limit` bytes; `what` names it in the errors
/// ("the rule document is larger than … bytes").
pub async fn read_text(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
    what: &str,
) -> Result<String, ApiError> {
    let bytes = read_body(body, headers, limit, timeout)
        .await
        .map_err(|e| match e {
            ApiError::PayloadTooLarge(_) => ApiError::PayloadTooLarge(format!(
                "{what} is larger than {limit} bytes; make it smaller"
            )),
            other => other,
        })?;
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::BadRequest(format!("{what} is not UTF-8 text: {e}")))
}

/// Decompresses, refusing to produce more than `limit` bytes.
pub fn gunzip(compressed: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    MultiGzDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid gzip: {e}")))?;
    if out.len() > limit {
        return Err(ApiError::PayloadTooLarge(format!(
            "the body is larger than {limit} bytes once decompressed; send fewer events per request"
        )));
    }
    Ok(out)
}

fn too_large_or_bad(error: axum::Error, limit: usize) -> ApiError {
    // `to_bytes` reports the limit as a `LengthLimitError` somewhere in the source chain.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return ApiError::PayloadTooLarge(format!(
                "the body is larger than {limit} bytes; send fewer events per request"
            ));
        }
        source = e.source();
    }
    ApiError::BadRequest(format!("the body could not be read: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_within_the_limit_is_decompressed() {
        assert_eq!(gunzip(&gzip(b"hello"), 5).unwrap(), b"hello");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![b'{'; 50 * 1024 * 1024]);
        assert!(
            bomb.len() < 100 * 1024,
            "50 MB compresses to {} bytes",
            bomb.len()
        );
        assert!(matches!(
            gunzip(&bomb, 500 * 1024),
            Err(ApiError::PayloadTooLarge(_))
        ));
    }

    #[test]
    fn broken_gzip_is_a_bad_request() {
        let mut data = gzip(b"hello world");
        data.truncate(12);
        assert!(matches!(gunzip(&data, 100), Err(ApiError::BadRequest(_))));
    }
}
