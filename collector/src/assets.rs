//! Static files (the SDK bundle, the demo site) held in memory: they are small, and serving
//! from memory makes content negotiation and ETags cheap. Loaded once at start, when the
//! site's pages also get their inline rule documents compiled ([`crate::rules::inline`]).

use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;

/// Which tree a store serves; decides the cache policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetKind {
    /// The SDK bundle: short cache, a year for content-hashed names.
    Sdk,
    /// Site pages: always revalidated.
    Site,
}

/// A content encoding the store may hold precompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Uncompressed.
    Identity,
    /// `.gz` sibling.
    Gzip,
    /// `.br` sibling.
    Brotli,
}

/// One encoding of a file.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The bytes sent.
    pub bytes: Bytes,
    /// A strong ETag, quoted.
    pub etag: String,
}

/// A file and its precompressed forms.
#[derive(Clone, Debug)]
pub struct Asset {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Cache-Control`.
    pub cache_control: &'static str,
    /// The file itself.
    pub identity: Variant,
    /// `X.gz`, if it was on disk.
    pub gzip: Option<Variant>,
    /// `X.br`, if it was on disk.
    pub brotli: Option<Variant>,
}

impl Asset {
    /// The best variant the client accepts, per its `Accept-Encoding`.
    pub fn negotiate(&self, accept_encoding: Option<&str>) -> (Encoding, &Variant) {
        let accepts = |name: &str| accept_encoding.is_some_and(|h| accepts_encoding(h, name));
        match (&self.brotli, &self.gzip) {
            (Some(br), _) if accepts("br") => (Encoding::Brotli, br),
            (_, Some(gz)) if accepts("gzip") => (Encoding::Gzip, gz),
            _ => (Encoding::Identity, &self.identity),
        }
    }

    /// Whether the file has precompressed forms (responses then vary by encoding).
    pub fn has_variants(&self) -> bool {
        self.gzip.is_some() || self.brotli.is_some()
    }
}

/// The files of one directory, by their path relative to it (`/`-separated).
#[derive(Debug, Default)]
pub struct AssetStore {
    files: HashMap<String, Asset>,
    /// Why the store is empty, when its directory could not be read.
    pub missing: Option<String>,
}

impl AssetStore {
    /// Loads every file under `dir`; a missing directory gives an empty store with `hint`.
    pub fn load(dir: &Path, kind: AssetKind, hint: &str) -> AssetStore {
        let mut store = AssetStore::default();
        if !dir.is_dir() {
            store.missing = Some(format!("{} not found: {hint}", dir.display()));
            return store;
        }
        let mut paths = Vec::new();
        collect_files(dir, dir, &mut paths);
        let on_disk: std::collections::HashSet<String> = paths.iter().cloned().collect();
        for rel in &paths {
            if rel.ends_with(".gz") || rel.ends_with(".br") {
                continue;
            }
            let Some((identity, rewritten)) = read_identity(&dir.join(rel), kind) else {
                continue;
            };
            let sibling = |suffix: &str, tag: &str| {
                let name = format!("{rel}{suffix}");
                // A rewritten page's precompressed forms hold the page as written.
                (!rewritten && on_disk.contains(&name))
                    .then(|| read_variant(&dir.join(&name), tag))
                    .flatten()
            };
            let asset = Asset {
                content_type: content_type(rel),
                cache_control: cache_control(kind, rel),
                gzip: sibling(".gz", "-gz"),
                brotli: sibling(".br", "-br"),
                identity,
            };
            store.files.insert(rel.clone(), asset);
        }
        store
    }

    /// The file for a request path (`/` and `dir/` mean their `index.html`).
    pub fn get(&self, path: &str) -> Option<&Asset> {
        let path = path.trim_start_matches('/');
        if path.is_empty() || path.ends_with('/') {
            return self.files.get(&format!("{path}index.html"));
        }
        self.files
            .get(path)
            .or_else(|| self.files.get(&format!("{path}/index.html")))
    }

    /// How many files were loaded.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether nothing was loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

/// A file as served, and whether it was rewritten (a site page with inline rule documents).
fn read_identity(path: &Path, kind: AssetKind) -> Option<(Variant, bool)> {
    let bytes = std::fs::read(path).ok()?;
    let page = kind == AssetKind::Site && path.to_str().is_some_and(is_page);
    match page.then(|| compile_inline_rules(path, &bytes)).flatten() {
        Some(compiled) => Some((variant(compiled, ""), true)),
        None => Some((variant(bytes, ""), false)),
    }
}

fn read_variant(path: &Path, tag: &str) -> Option<Variant> {
    std::fs::read(path).ok().map(|bytes| variant(bytes, tag))
}

fn variant(bytes: Vec<u8>, tag: &str) -> Variant {
    let etag = format!("\"{:016x}{tag}\"", fnv1a64(&bytes));
    Variant {
        bytes: Bytes::from(bytes),
        etag,
    }
}

/// Whether a file is an HTML page (whose inline rule documents are compiled).
fn is_page(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm")
}

/// The page with its inline rule documents compiled, `None` when nothing changed. A
/// document with errors stays as written, with a warning: the page is served anyway.
fn compile_inline_rules(path: &Path, bytes: &[u8]) -> Option<Vec<u8>> {
    let html = std::str::from_utf8(bytes).ok()?;
    let page = crate::rules::inline::compile_page(html);
    for refused in &page.refused {
        tracing::warn!("{}: {}", path.display(), refused.summary());
    }
    if page.compiled > 0 {
        tracing::debug!(file = %path.display(), documents = page.compiled,
                        "inline rule documents compiled");
    }
    page.html.map(String::into_bytes)
}

/// FNV-1a: enough to tell versions of a file apart (ETags need no cryptography).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether an `Accept-Encoding` header allows `name` (q-values respected, `q=0` refuses).
pub fn accepts_encoding(header: &str, name: &str) -> bool {
    let mut wildcard = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if token.eq_ignore_ascii_case(name) {
            return q > 0.0;
        }
        if token == "*" {
            wildcard = Some(q > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "ts" | "mts" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn cache_control(kind: AssetKind, path: &str) -> &'static str {
    match kind {
        AssetKind::Sdk if has_content_hash(path) => "public, max-age=31536000, immutable",
        AssetKind::Sdk => "public, max-age=300",
        AssetKind::Site => "no-cache",
    }
}

/// A dot-separated segment of at least 8 hex digits before the extension
/// (`orbit_bg.3fa2c1d4e5.wasm`): the name changes whenever the content does.
pub fn has_content_hash(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let segments: Vec<&str> = name.split('.').collect();
    segments.len() >= 3
        && segments[1..segments.len() - 1]
            .iter()
            .any(|s| s.len() >= 8 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_respects_q_values() {
        assert!(accepts_encoding("gzip, deflate, br", "br"));
        assert!(accepts_encoding("gzip;q=0.5", "gzip"));
        assert!(!accepts_encoding("gzip;q=0", "gzip"));
        assert!(!accepts_encoding("gzip", "br"));
        assert!(accepts_encoding("*", "br"));
        assert!(!accepts_encoding("br;q=0, *", "br"));
    }

    #[test]
    fn hashed_names_are_recognised() {
        assert!(has_content_hash("orbit_bg.3fa2c1d4e5.wasm"));
        assert!(has_content_hash("sub/orbit_glue.0123abcd.js"));
        assert!(!has_content_hash("orbit.js"));
        assert!(!has_content_hash("orbit.mjs"));
        assert!(!has_content_hash("report.2026.pdf"));
    }
}
