//! Ona's error bodies: Connect `{code, message}`. The Connect code, not the HTTP status,
//! is what the protocol says to branch on.

use crate::http::{
    clip, ErrorBody, ErrorDialect, ErrorFields, ErrorKind, SensitiveFields, CREDENTIAL_WORDS,
};

/// The [`ErrorDialect`] of the Ona (Connect) API.
pub struct OnaErrors;

impl ErrorDialect for OnaErrors {
    fn error_body(&self, status: u16, body: &[u8]) -> ErrorBody {
        parse(status, body)
    }

    fn error_in_success(&self, body: &[u8]) -> Option<ErrorBody> {
        error_in_success(body)
    }

    /// The token travels in the Authorization header; in bodies, the pagination `token`
    /// and `nextToken` (cursors, masked with anything named like a credential). No warm
    /// pool field carries user data.
    fn sensitive_fields(&self) -> SensitiveFields {
        SensitiveFields {
            masked_words: CREDENTIAL_WORDS,
            digested: &[],
        }
    }
}

/// The Connect error codes.
const CODES: [&str; 16] = [
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// A Connect error object sent with a 2xx status: only `code` (a Connect code), `message`
/// and `details`, which no PrebuildService answer looks like.
pub fn error_in_success(body: &[u8]) -> Option<ErrorBody> {
    // Every success body passes here: only one naming a `code` is worth parsing twice.
    if !body.windows(6).any(|w| w == b"\"code\"") {
        return None;
    }
    let serde_json::Value::Object(obj) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    let code = obj.get("code")?.as_str().filter(|c| CODES.contains(c))?;
    if !obj
        .keys()
        .all(|k| matches!(k.as_str(), "code" | "message" | "details"))
    {
        return None;
    }
    let message = obj
        .get("message")
        .and_then(|m| m.as_str())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("(no message)");
    Some(ErrorBody {
        kind: classify(200, Some(code)),
        code: Some(code.to_string()),
        message: clip(&format!(
            "the API answered success with a Connect error object: {message}"
        )),
        retry_after: None,
    })
}

/// Reads a Connect error answer; a body that is not one is quoted as text.
pub fn parse(status: u16, body: &[u8]) -> ErrorBody {
    let Some(fields) = ErrorFields::parse(body) else {
        return ErrorBody::text(status, body);
    };
    let field = |name: &str| fields.text(name);
    let code = field("code").map(str::to_string);
    ErrorBody {
        kind: classify(status, code.as_deref()),
        message: match field("message") {
            Some(message) => clip(message),
            None => ErrorBody::text(status, body).message,
        },
        code,
        retry_after: None,
    }
}

/// Maps a Connect error code (or, without one, the HTTP status) to an [`ErrorKind`].
pub fn classify(status: u16, code: Option<&str>) -> ErrorKind {
    match code {
        Some("resource_exhausted") => ErrorKind::RateLimited,
        Some("unavailable") => ErrorKind::Server,
        // The server gave up in time: like a client-side timeout, the call may or may not
        // have taken effect.
        Some("deadline_exceeded") => ErrorKind::Timeout,
        Some(code) if CODES.contains(&code) => ErrorKind::Client,
        _ => ErrorKind::from_status(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_and_other_bodies() {
        let connect = parse(
            404,
            br#"{"code":"not_found","message":"warm pool not found"}"#,
        );
        assert_eq!(connect.code.as_deref(), Some("not_found"));
        assert_eq!(connect.message, "warm pool not found");
        assert_eq!(connect.kind, ErrorKind::Client);
        let bare = parse(503, br#"{"code":"unavailable"}"#);
        assert_eq!(bare.kind, ErrorKind::Server);
        assert_eq!(bare.message, r#"{"code":"unavailable"}"#);
        let plain = parse(502, b"Bad Gateway\n");
        assert_eq!((plain.kind, plain.code), (ErrorKind::Server, None));
        assert_eq!(plain.message, "Bad Gateway");
    }

    #[test]
    fn connect_errors_in_success_answers() {
        let hidden = error_in_success(br#"{"code":"internal","message":"oops"}"#).unwrap();
        assert_eq!(hidden.code.as_deref(), Some("internal"));
        assert_eq!(hidden.kind, ErrorKind::Client);
        assert_eq!(
            hidden.message,
            "the API answered success with a Connect error object: oops"
        );
        let busy = error_in_success(br#"{"code":"unavailable"}"#).unwrap();
        assert_eq!(busy.kind, ErrorKind::Server);
        // Real answers, and objects that merely have a `code`, are not errors.
        assert_eq!(error_in_success(br#"{"warmPool":{"id":"w"}}"#), None);
        assert_eq!(
            error_in_success(br#"{"code":"internal","warmPool":{}}"#),
            None
        );
        assert_eq!(
            error_in_success(br#"{"code":"teapot","message":"x"}"#),
            None
        );
        assert_eq!(error_in_success(b"{}"), None);
        assert_eq!(error_in_success(b""), None);
    }

    /// A page request and its answer: the cursors are masked, the pools shown.
    #[test]
    fn logged_bodies_mask_tokens() {
        let sensitive = OnaErrors.sensitive_fields();
        let request = sensitive.shown(br#"{"pagination":{"token":"cursor-7f","pageSize":100}}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&request).unwrap(),
            serde_json::json!({"pagination": {"token": "<masked>", "pageSize": 100}})
        );
        let answer = sensitive
            .shown(br#"{"pagination":{"nextToken":"cursor-80"},"warmPools":[{"id":"wp1"}]}"#);
        assert!(!answer.contains("cursor-80"), "{answer}");
        assert!(answer.contains(r#""warmPools":[{"id":"wp1"}]"#), "{answer}");
    }

    #[test]
    fn classification_prefers_connect_codes() {
        assert_eq!(classify(429, None), ErrorKind::RateLimited);
        assert_eq!(classify(503, None), ErrorKind::Server);
        assert_eq!(classify(409, None), ErrorKind::Client);
        assert_eq!(
            classify(429, Some("resource_exhausted")),
            ErrorKind::RateLimited
        );
        assert_eq!(classify(503, Some("unavailable")), ErrorKind::Server);
        assert_eq!(classify(504, Some("deadline_exceeded")), ErrorKind::Timeout);
        // Connect `internal` is a server bug, not a transient state: do not retry it.
        assert_eq!(classify(500, Some("internal")), ErrorKind::Client);
        assert_eq!(classify(404, Some("not_found")), ErrorKind::Client);
        // A code this client does not know falls back on the status.
        assert_eq!(classify(503, Some("brand_new")), ErrorKind::Server);
    }
}
