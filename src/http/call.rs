//! One request to send ([`Call`]), the hook that authorises each attempt at it
//! ([`Authorize`]), and [`path_segment`], which puts an id or a name into its path safely.

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

use super::error::ApiError;

/// One request to send. `label` is what diagnostics show (method and API path).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: Url,
    pub label: String,
    pub body: Option<Vec<u8>>,
    /// Only idempotent calls are ever retried: a create is sent once.
    pub idempotent: bool,
}

impl Call {
    pub fn body_bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or_default()
    }
}

/// Builds the per-attempt headers (authorisation, content type). Called once per attempt so
/// that signatures with an expiry stay fresh across retries.
pub type Authorize<'a> = &'a (dyn Fn(&Call) -> Result<HeaderMap, ApiError> + Send + Sync);

/// Percent-encodes one path segment (ids, names) so that it cannot change the path.
pub fn path_segment(raw: &str) -> String {
    if raw == "." || raw == ".." {
        // Dot segments would be resolved away by URL parsing.
        return raw.replace('.', "%2E");
    }
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("ab-12_3.x~"), "ab-12_3.x~");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
        assert_eq!(path_segment(".."), "%2E%2E");
    }
}
