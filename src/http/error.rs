//! What a failed call is: an [`ApiError`], whose coarse [`ErrorKind`] decides retries and
//! the caller's reaction and which reads as a Terraform diagnostic; and how a backend says
//! what its API's error bodies mean, and which body fields are sensitive
//! ([`ErrorDialect`], [`ErrorBody`]).

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use super::answer::clip;
use super::body_log::SensitiveFields;

/// What went wrong, coarsely: enough to decide on retries and on the caller's reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request did not get an HTTP answer (DNS, refused, reset, TLS).
    Connection,
    /// No answer within the attempt timeout.
    Timeout,
    /// StopProvider arrived while the call was in flight or backing off.
    Stopped,
    /// 429 or Connect `resource_exhausted`.
    RateLimited,
    /// 5xx or Connect `unavailable`/`internal`/...
    Server,
    /// Any other 4xx: the request itself is wrong or refused.
    Client,
    /// A success answer whose body is not what the API documents.
    Decode,
    /// The client could not be set up or the request could not be built.
    Config,
    /// The server's TLS certificate was refused (untrusted, wrong name, expired): trying
    /// again cannot help, so it is final, and nothing was sent.
    Certificate,
}

impl ErrorKind {
    /// The kind an HTTP error status alone implies.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Client,
        }
    }
}

/// An error from one API call. Never carries credentials.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// "Exoscale API" or "Ona API".
    pub service: &'static str,
    /// Method and path, e.g. `PUT /instance-pool/<id>:scale`.
    pub request: String,
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// Machine-readable code when the API gives one (Connect `code`).
    pub code: Option<String>,
    pub message: String,
    /// How many attempts were made (more than one when retried).
    pub attempts: u32,
    /// A pause the server asked for (Retry-After header or `retry_after` body field).
    pub retry_after: Option<Duration>,
    /// Whether the request may have reached the API: false when the connection could not
    /// even be made, or the call never got as far as sending.
    pub sent: bool,
}

impl ApiError {
    pub fn config(service: &'static str, message: impl Into<String>) -> Self {
        Self {
            service,
            request: String::new(),
            kind: ErrorKind::Config,
            status: None,
            code: None,
            message: message.into(),
            attempts: 0,
            retry_after: None,
            sent: false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404) || self.code.as_deref() == Some("not_found")
    }

    pub fn is_conflict(&self) -> bool {
        self.status == Some(409)
    }

    /// Whether asking again later may succeed: no answer, a slow one, a rate limit or a
    /// server error. Waits ride these out until their deadline; anything else is final.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connection | ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Server
        )
    }

    /// Whether the call may have taken effect although no usable answer came back: it was
    /// sent, then the connection dropped or the attempt timed out, or a success answer
    /// could not be read. Only a look at the API tells what happened.
    pub fn is_outcome_unknown(&self) -> bool {
        match self.kind {
            ErrorKind::Connection | ErrorKind::Timeout => self.sent,
            ErrorKind::Decode => self.status.is_some_and(|s| (200..300).contains(&s)),
            _ => false,
        }
    }

    /// Whether the call was cut short by a stop while its request may have been on its way:
    /// like a lost answer, only a look at the API tells what happened.
    pub fn is_stopped_in_flight(&self) -> bool {
        self.kind == ErrorKind::Stopped && self.sent
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (service, request) = (self.service, &self.request);
        match (self.kind, self.status) {
            (ErrorKind::Config, _) => write!(f, "{service}: {}", self.message)?,
            (ErrorKind::Stopped, _) => write!(
                f,
                "{service}: {request} cancelled: Terraform asked the provider to stop"
            )?,
            (ErrorKind::Decode, Some(status)) => write!(
                f,
                "{service}: {request} answered {} with an unexpected body: {}",
                status_text(status),
                self.message
            )?,
            (_, Some(status)) => {
                write!(f, "{service}: {request} answered {}", status_text(status))?;
                if let Some(code) = &self.code {
                    write!(f, " ({code})")?;
                }
                write!(f, ": {}", self.message)?;
                if matches!(status, 401 | 403) {
                    write!(f, " (check the {service} credentials given to the provider, in its configuration or environment)")?;
                }
            }
            (_, None) => write!(f, "{service}: {request} failed: {}", self.message)?,
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

pub(super) fn status_text(status: u16) -> String {
    match StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// What an error answer says, as the backend that reads it understands it.
#[derive(Debug, PartialEq)]
pub struct ErrorBody {
    /// Decides retries and the caller's reaction.
    pub kind: ErrorKind,
    /// Machine-readable code when the API gives one.
    pub code: Option<String>,
    pub message: String,
    /// A pause the body asks for; a Retry-After header wins over it.
    pub retry_after: Option<Duration>,
}

impl ErrorBody {
    /// A body with no structure the backend knows: its text is the message, and the kind
    /// follows the status.
    pub fn text(status: u16, body: &[u8]) -> ErrorBody {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        ErrorBody {
            kind: ErrorKind::from_status(status),
            code: None,
            message: if text.is_empty() {
                "(no details in the answer)".to_string()
            } else {
                clip(text)
            },
            retry_after: None,
        }
    }
}

/// The JSON object of an error answer, as both backends read theirs: its text fields
/// trimmed, an empty one counting as absent.
pub struct ErrorFields(serde_json::Map<String, serde_json::Value>);

impl ErrorFields {
    /// None when the body is not a JSON object.
    pub fn parse(body: &[u8]) -> Option<ErrorFields> {
        match serde_json::from_slice(body) {
            Ok(serde_json::Value::Object(fields)) => Some(ErrorFields(fields)),
            _ => None,
        }
    }

    /// Field `name` when it is a string with more than blanks in it.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Field `name` when it is a number.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.0.get(name).and_then(|v| v.as_f64())
    }
}

/// How one API writes its bodies: what its errors say, and which of its fields the log
/// must hide. Each backend implements it next to its client, so the transport knows no
/// API's shapes.
pub trait ErrorDialect: Send + Sync {
    /// Reads the body of a non-2xx answer with this status.
    fn error_body(&self, status: u16, body: &[u8]) -> ErrorBody;

    /// The fields the TRACE lines of bodies hide (no default: each API says).
    fn sensitive_fields(&self) -> SensitiveFields;

    /// An error object in a 2xx answer, where the API's own shape says it is one (a
    /// misbehaving server or proxy); None when the body is not an error.
    fn error_in_success(&self, _body: &[u8]) -> Option<ErrorBody> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::answer::MAX_MESSAGE_CHARS;

    #[test]
    fn statuses_alone_decide_the_kind_and_text_bodies_are_clipped() {
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(409), ErrorKind::Client);
        let plain = ErrorBody::text(502, b"Bad Gateway\n");
        assert_eq!(
            (plain.kind, plain.message.as_str()),
            (ErrorKind::Server, "Bad Gateway")
        );
        assert_eq!(
            ErrorBody::text(500, b"").message,
            "(no details in the answer)"
        );
        let long = "x".repeat(2000);
        assert_eq!(
            ErrorBody::text(400, long.as_bytes())
                .message
                .chars()
                .count(),
            MAX_MESSAGE_CHARS + 1
        );
    }

    #[test]
    fn display_reads_like_a_diagnostic() {
        let err = ApiError {
            service: "Exoscale API",
            request: "PUT /instance-pool/p1:scale".into(),
            kind: ErrorKind::Client,
            status: Some(409),
            code: None,
            message: "pool is being destroyed".into(),
            attempts: 1,
            retry_after: None,
            sent: true,
        };
        assert_eq!(
            err.to_string(),
            "Exoscale API: PUT /instance-pool/p1:scale answered 409 Conflict: pool is being destroyed"
        );
        let ona = ApiError {
            service: "Ona API",
            request: "POST /gitpod.v1.PrebuildService/GetWarmPool".into(),
            kind: ErrorKind::Server,
            status: Some(503),
            code: Some("unavailable".into()),
            message: "try later".into(),
            attempts: 5,
            ..err.clone()
        };
        assert_eq!(
            ona.to_string(),
            "Ona API: POST /gitpod.v1.PrebuildService/GetWarmPool answered 503 Service Unavailable (unavailable): try later (after 5 attempts)"
        );
        let refused = ApiError {
            status: None,
            kind: ErrorKind::Connection,
            message: "connection refused".into(),
            ..err
        };
        assert_eq!(
            refused.to_string(),
            "Exoscale API: PUT /instance-pool/p1:scale failed: connection refused"
        );
    }
}
