//! The built site's files under `/pkg` (WASM, JS, CSS): sent precompressed
//! (brotli or gzip, made at build time) to browsers that take it, kept for
//! ever by them when named by their content, asked again otherwise.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::path::Path;
use tower_http::services::ServeDir;

/// A year, and never revalidated: the name changes when the content does.
const FOR_EVER: &str = "public, max-age=31536000, immutable";
/// Kept, but asked again each time (a 304 when unchanged).
const ASK_AGAIN: &str = "no-cache";

/// `/pkg/*` from `site_root/pkg`.
pub fn pkg<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(axum::middleware::from_fn(cache_control))
}

async fn cache_control(request: Request, next: Next) -> Response {
    let named_by_content = is_named_by_content(request.uri().path());
    let mut response = next.run(request).await;
    if matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        let policy = if named_by_content {
            FOR_EVER
        } else {
            ASK_AGAIN
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// Whether a file name carries its content's hash, as cargo-leptos names
/// them with hashing on: `chat.<hash>.wasm`, `chunk_12.<hash>.wasm`,
/// `__wasm_split.<hash>.js`, where the hash is an MD5 in unpadded
/// base64url (22 characters).
fn is_named_by_content(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplit('.');
    let (Some(_extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash.bytes().any(|b| b != b'_')
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Compresses what is made per request (pages, JSON) for browsers that
/// take it; a precompressed file is sent as it is, and a socket's upgrade
/// answer is never touched. Level 4: most of the gain of brotli's best for
/// a fraction of its time, on every request.
pub fn compression()
-> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, Predicate};
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    let not_an_upgrade =
        |status: StatusCode,
         _: axum::http::Version,
         _: &axum::http::HeaderMap,
         _: &axum::http::Extensions| { status != StatusCode::SWITCHING_PROTOCOLS };
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(not_an_upgrade))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_are_kept_for_ever() {
        for hashed in [
            "/pkg/chat.Qm9vX2Jhcl9iYXpfcXV1eA.wasm",
            "/pkg/chunk_12.a-b_c0123456789abcdefg.wasm",
            "/pkg/__wasm_split.AAAAAAAAAAAAAAAAAAAAAA.js",
        ] {
            assert!(is_named_by_content(hashed), "{hashed}");
        }
        for plain in [
            "/pkg/chat.wasm",
            "/pkg/chat.css",
            "/pkg/__wasm_split.______________________.js",
            "/pkg/__wasm_split_manifest.json",
            "/pkg/.AAAAAAAAAAAAAAAAAAAAAA.js",
        ] {
            assert!(!is_named_by_content(plain), "{plain}");
        }
    }
}
