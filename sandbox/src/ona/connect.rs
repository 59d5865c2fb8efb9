//! The Connect protocol's unary side, as a Connect server speaks it: POST only, JSON bodies
//! (`application/json`), optional gzip request bodies, `Connect-Protocol-Version: 1`,
//! `Connect-Timeout-Ms`, and errors as `{code, message}` with the code's HTTP status.

use std::io::Read;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// Largest request body we inflate; a gzip bomb stops here.
const MAX_MESSAGE_BYTES: u64 = 4 << 20;

/// The Connect error codes the handlers answer with (injected faults add 429/503/504).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    FailedPrecondition,
    Unauthenticated,
    NotFound,
    AlreadyExists,
    ResourceExhausted,
    Unimplemented,
    Internal,
}

impl Code {
    pub fn name(self) -> &'static str {
        match self {
            Code::InvalidArgument => "invalid_argument",
            Code::FailedPrecondition => "failed_precondition",
            Code::Unauthenticated => "unauthenticated",
            Code::NotFound => "not_found",
            Code::AlreadyExists => "already_exists",
            Code::ResourceExhausted => "resource_exhausted",
            Code::Unimplemented => "unimplemented",
            Code::Internal => "internal",
        }
    }

    /// The HTTP status the Connect protocol pairs with each code.
    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidArgument | Code::FailedPrecondition => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists => StatusCode::CONFLICT,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A Connect error: becomes `{"code", "message"}` with the matching HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectError {
    pub code: Code,
    pub message: String,
}

impl ConnectError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ConnectError {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ConnectError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code.name(), "message": self.message });
        json_response(self.code.status(), &body)
    }
}

/// A successful unary answer.
pub fn ok(body: &serde_json::Value) -> Response {
    json_response(StatusCode::OK, body)
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Why a request never reached a procedure: these are plain HTTP answers in Connect, or
/// Connect errors for malformed protocol headers.
pub enum Rejection {
    Http(Box<Response>),
    Connect(ConnectError),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Http(r) => *r,
            Rejection::Connect(e) => e.into_response(),
        }
    }
}

/// Checks the protocol envelope of a unary request and returns the JSON message it carries.
pub fn read_unary(
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<serde_json::Value, Rejection> {
    if method != Method::POST {
        let mut r = StatusCode::METHOD_NOT_ALLOWED.into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(Rejection::Http(Box::new(r)));
    }
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str());
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" {
        // Only the JSON codec is served (the provider and the tests speak JSON).
        let mut r = StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
        r.headers_mut().insert(
            "accept-post",
            HeaderValue::from_static("application/json, application/json; charset=utf-8"),
        );
        return Err(Rejection::Http(Box::new(r)));
    }
    let version = header_str(headers, "connect-protocol-version");
    if !version.is_empty() && version != "1" {
        return Err(Rejection::Connect(ConnectError::new(
            Code::InvalidArgument,
            format!("connect-protocol-version must be \"1\": got \"{version}\""),
        )));
    }
    let timeout = header_str(headers, "connect-timeout-ms");
    if !timeout.is_empty() && (timeout.len() > 10 || !timeout.bytes().all(|b| b.is_ascii_digit())) {
        return Err(Rejection::Connect(ConnectError::new(
            Code::InvalidArgument,
            format!("protocol error: invalid timeout {timeout:?}"),
        )));
    }
    let raw = match header_str(headers, header::CONTENT_ENCODING.as_str()) {
        "" | "identity" => body.to_vec(),
        "gzip" => gunzip(body).map_err(Rejection::Connect)?,
        other => {
            return Err(Rejection::Connect(ConnectError::new(
                Code::Unimplemented,
                format!("unknown compression \"{other}\": supported encodings are gzip,identity"),
            )))
        }
    };
    if raw.is_empty() {
        return Err(Rejection::Connect(ConnectError::new(
            Code::InvalidArgument,
            "unmarshal message: zero-length payload is not a valid JSON object",
        )));
    }
    serde_json::from_slice(&raw).map_err(|e| {
        Rejection::Connect(ConnectError::new(
            Code::InvalidArgument,
            format!("unmarshal message: syntax error: {e}"),
        ))
    })
}

/// The bearer token of the request, if it carries one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION.as_str());
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
}

fn gunzip(body: &[u8]) -> Result<Vec<u8>, ConnectError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_MESSAGE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ConnectError::new(Code::InvalidArgument, format!("gzip: {e}")))?;
    if out.len() as u64 > MAX_MESSAGE_BYTES {
        return Err(ConnectError::new(
            Code::ResourceExhausted,
            format!("message size is larger than configured max {MAX_MESSAGE_BYTES}"),
        ));
    }
    Ok(out)
}
