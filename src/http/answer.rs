//! What is wrong with an answer, in plain words: a success body that is not the JSON
//! expected (empty, cut short, not JSON at all, or JSON of another shape), or an HTML page
//! that something in front of the API sent instead of it; and text quoted from an answer,
//! clipped to what reads well in a diagnostic.

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde::de::DeserializeOwned;

/// Error bodies are quoted in diagnostics; keep them readable.
pub(super) const MAX_MESSAGE_CHARS: usize = 500;

/// Decodes a success body, saying in plain words what is wrong with one that does not fit:
/// empty, cut short, not JSON at all, or JSON of another shape (naming the field).
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty, where JSON was expected".to_string());
    }
    // The common case first; the slower walk that names the failing field only on failure.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    // serde quotes a value of the wrong type in full, however long: clip what it says.
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| clip(&describe_json_error(e.inner(), &e.path().to_string(), body)))?;
    de.end()
        .map_err(|e| clip(&describe_json_error(&e, ".", body)))?;
    Ok(value)
}

fn describe_json_error(e: &serde_json::Error, path: &str, body: &[u8]) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!(
            "truncated JSON: the body stops after {} bytes ({e})",
            body.len()
        ),
        Category::Syntax => {
            let start = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
            format!("not JSON ({e}); it starts with {start:?}")
        }
        Category::Data if path != "." => {
            format!("JSON that does not match the API's documented shape, at `{path}`: {e}")
        }
        Category::Data | Category::Io => {
            format!("JSON that does not match the API's documented shape: {e}")
        }
    }
}

/// An HTML page, by its content type or its first bytes.
pub(super) fn is_html(headers: &HeaderMap, body: &[u8]) -> bool {
    let typed = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    let start = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect::<Vec<u8>>();
    typed || start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

pub(super) fn html_message(status: u16, body: &[u8]) -> String {
    let mut message = format!(
        "the API answered with an HTML page (status {status}), not JSON: a proxy or gateway \
         in front of the API probably answered instead of it"
    );
    if let Some(title) = html_title(&String::from_utf8_lossy(body)) {
        message.push_str(&format!(" (page title: {title:?})"));
    }
    message
}

/// The text of an HTML page's `<title>`, if it has a non-empty one.
fn html_title(page: &str) -> Option<String> {
    let lower = page.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = page
        .get(open_end..close)?
        .split_whitespace()
        .collect::<Vec<_>>();
    (!title.is_empty()).then(|| clip(&title.join(" ")))
}

/// Shortens a text quoted from an answer to what reads well in a diagnostic.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn decode_errors_say_what_is_wrong() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Pool {
            id: String,
            size: i64,
        }
        let empty = decode_json::<Pool>(b"  ").unwrap_err();
        assert_eq!(empty, "the body is empty, where JSON was expected");
        let cut = decode_json::<Pool>(br#"{"id":"p1","si"#).unwrap_err();
        assert!(
            cut.starts_with("truncated JSON: the body stops after 14 bytes (EOF while parsing"),
            "{cut}"
        );
        let text = decode_json::<Pool>(b"Service temporarily down").unwrap_err();
        assert!(text.starts_with("not JSON (expected value"), "{text}");
        assert!(
            text.ends_with(r#"it starts with "Service temporarily down""#),
            "{text}"
        );
        let typed = decode_json::<Pool>(br#"{"id":"p1","size":"x"}"#).unwrap_err();
        assert!(
            typed.starts_with(
                "JSON that does not match the API's documented shape, at `size`: invalid type: string \"x\", expected i64"
            ),
            "{typed}"
        );
        let nested =
            decode_json::<Vec<Pool>>(br#"[{"id":"a","size":1},{"id":2,"size":1}]"#).unwrap_err();
        assert!(
            nested.contains("at `[1].id`: invalid type: integer `2`"),
            "{nested}"
        );
        let trailing = decode_json::<Pool>(br#"{"id":"p1","size":1} x"#).unwrap_err();
        assert!(trailing.contains("trailing characters"), "{trailing}");
        assert_eq!(
            decode_json::<Pool>(br#"{"id":"p1","size":1}"#)
                .unwrap()
                .size,
            1
        );
    }

    #[test]
    fn html_pages_are_recognised_and_titled() {
        let mut headers = HeaderMap::new();
        assert!(is_html(&headers, b"\n  <!DOCTYPE HTML><html>"));
        assert!(is_html(&headers, b"<html><body>x</body></html>"));
        assert!(!is_html(&headers, br#"{"message":"<html>"}"#));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Text/HTML; charset=utf-8"),
        );
        assert!(is_html(&headers, b"Bad Gateway"));
        assert_eq!(
            html_title("<html><head><TITLE>\n 502  Bad Gateway </title></head>").as_deref(),
            Some("502 Bad Gateway")
        );
        assert_eq!(html_title("<html><title></title></html>"), None);
        assert_eq!(html_title("<html>no title</html>"), None);
        assert_eq!(
            html_message(502, b"<html><title>Oops</title></html>"),
            "the API answered with an HTML page (status 502), not JSON: a proxy or gateway in front of the API probably answered instead of it (page title: \"Oops\")"
        );
    }
}
