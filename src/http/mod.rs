//! Shared HTTP transport for both API clients: one JSON request helper that authorises each
//! attempt, classifies failures, retries idempotent calls with backoff, and turns failed
//! answers into an [`ApiError`] that reads well in a Terraform diagnostic. What an error
//! body says is each backend's business: it hands [`HttpApi::new`] its [`ErrorDialect`].

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::plugin::log;
use crate::plugin::Stop;
use crate::trust::Trust;
use crate::wait::Jitter;

mod answer;
mod date;
mod no_answer;

pub use answer::{clip, decode_json};
use answer::{html_message, is_html};
use date::retry_after_header;
use no_answer::no_answer;

/// Attempts per idempotent call, the first one included.
pub const MAX_ATTEMPTS: u32 = 5;
/// Retries of one call never run past this budget.
const RETRY_BUDGET: Duration = Duration::from_secs(90);
/// One attempt may take this long before it counts as a timeout, unless
/// [`HttpApi::with_attempt_timeout`] says otherwise.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

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

    /// A transient error as one more pending look in a wait (see [`crate::wait::poll_until`]),
    /// keeping the server's requested pause; a final error as it is.
    pub fn into_pending<T>(self) -> Result<crate::wait::Poll<T>, ApiError> {
        if self.is_transient() {
            Ok(crate::wait::Poll::Pending {
                seen: format!("{self} (will retry)"),
                retry_after: self.retry_after,
            })
        } else {
            Err(self)
        }
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

fn status_text(status: u16) -> String {
    match StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

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

/// How one API writes its errors. Each backend implements it next to its client, so the
/// transport knows no API's error shapes.
pub trait ErrorDialect: Send + Sync {
    /// Reads the body of a non-2xx answer with this status.
    fn error_body(&self, status: u16, body: &[u8]) -> ErrorBody;

    /// An error object in a 2xx answer, where the API's own shape says it is one (a
    /// misbehaving server or proxy); None when the body is not an error.
    fn error_in_success(&self, _body: &[u8]) -> Option<ErrorBody> {
        None
    }
}

/// An HTTP client for one service, with the provider's stop signal.
#[derive(Clone)]
pub struct HttpApi {
    client: reqwest::Client,
    service: &'static str,
    errors: &'static dyn ErrorDialect,
    stop: Stop,
    attempt_timeout: Duration,
}

impl fmt::Debug for HttpApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpApi")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl HttpApi {
    /// `errors` reads the service's error bodies. TLS trusts the system's roots.
    pub fn new(service: &'static str, errors: &'static dyn ErrorDialect) -> Result<Self, ApiError> {
        Self::with_trust(service, errors, &Trust::system())
    }

    /// Like [`HttpApi::new`], with TLS trusting `trust`'s authorities.
    pub fn with_trust(
        service: &'static str,
        errors: &'static dyn ErrorDialect,
        trust: &Trust,
    ) -> Result<Self, ApiError> {
        let setup = |e: reqwest::Error| {
            ApiError::config(service, format!("cannot set up HTTP client: {e}"))
        };
        let builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            // Every retry is ours, so it is paced, bounded and logged (see `send`), and no
            // signed or authorised request is ever sent on to where a redirect points.
            .retry(reqwest::retry::never())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "terraform-provider-pools/",
                env!("CARGO_PKG_VERSION")
            ));
        let client = trust
            .configure(builder)
            .map_err(setup)?
            .build()
            .map_err(setup)?;
        Ok(Self {
            client,
            service,
            errors,
            stop: Stop::new(),
            attempt_timeout: ATTEMPT_TIMEOUT,
        })
    }

    /// How long one attempt may take before it counts as a [`ErrorKind::Timeout`].
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Makes in-flight calls and retries end early when `stop` is triggered.
    pub fn set_stop(&mut self, stop: Stop) {
        self.stop = stop;
    }

    /// Sends `call` and decodes a JSON success body.
    pub async fn json<T: DeserializeOwned>(
        &self,
        call: &Call,
        authorize: Authorize<'_>,
    ) -> Result<T, ApiError> {
        let (status, body) = self.send(call, authorize).await?;
        decode_json(&body).map_err(|message| ApiError {
            kind: ErrorKind::Decode,
            status: Some(status),
            message,
            ..self.error(call, 1)
        })
    }

    /// Sends `call`, retrying idempotent calls on connection errors, 429 and 5xx.
    /// Returns the status and body of a 2xx answer.
    pub async fn send(
        &self,
        call: &Call,
        authorize: Authorize<'_>,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let deadline = Instant::now() + RETRY_BUDGET;
        let mut jitter = Jitter::new();
        let mut attempt = 1;
        // The pause before this attempt and why, when it is a retry.
        let mut retry_of: Option<(Duration, String)> = None;
        loop {
            let started = Instant::now();
            let result = self.attempt(call, authorize, attempt).await;
            let took = started.elapsed();
            let err = match result {
                Ok(ok) => {
                    self.log_attempt(call, attempt, took, Ok(ok.0), None, retry_of.as_ref());
                    return Ok(ok);
                }
                Err(err) => err,
            };
            let retryable = call.idempotent && err.is_transient() && attempt < MAX_ATTEMPTS;
            let pause = retryable
                .then(|| backoff(attempt, jitter.next_unit(), err.retry_after))
                .filter(|pause| Instant::now() + *pause < deadline);
            self.log_attempt(call, attempt, took, Err(&err), pause, retry_of.as_ref());
            let Some(pause) = pause else {
                return Err(err);
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.stop.triggered() => return Err(self.stopped(call, attempt, false)),
            }
            retry_of = Some((pause, retry_reason(&err)));
            attempt += 1;
        }
    }

    /// One DEBUG line per attempt (see [`attempt_fields`]).
    fn log_attempt(
        &self,
        call: &Call,
        attempt: u32,
        took: Duration,
        outcome: Result<u16, &ApiError>,
        retry_in: Option<Duration>,
        retry_of: Option<&(Duration, String)>,
    ) {
        if !log::enabled(log::Level::Debug) {
            return;
        }
        let fields = attempt_fields(
            self.service,
            call,
            attempt,
            took,
            outcome,
            retry_in,
            retry_of,
        );
        let fields: Vec<(&str, &dyn fmt::Display)> = fields
            .iter()
            .map(|(name, value)| (*name, value as &dyn fmt::Display))
            .collect();
        log::debug("HTTP attempt", &fields);
    }

    async fn attempt(
        &self,
        call: &Call,
        authorize: Authorize<'_>,
        attempt: u32,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        if self.stop.is_triggered() {
            return Err(self.stopped(call, attempt, false));
        }
        let headers = authorize(call)?;
        let mut request = self
            .client
            .request(call.method.clone(), call.url.clone())
            .headers(headers)
            .timeout(self.attempt_timeout);
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        let (status, headers, body) = tokio::select! {
            result = exchange => result.map_err(|e| no_answer(call, &e, self.error(call, attempt)))?,
            _ = self.stop.triggered() => return Err(self.stopped(call, attempt, true)),
        };
        let code = status.as_u16();
        // No API answers HTML: such a page comes from something in front of the API.
        if is_html(&headers, &body) {
            return Err(ApiError {
                kind: if status.is_success() {
                    ErrorKind::Decode
                } else {
                    ErrorKind::from_status(code)
                },
                status: Some(code),
                message: html_message(code, &body),
                retry_after: retry_after_header(&headers),
                ..self.error(call, attempt)
            });
        }
        let parsed = if status.is_success() {
            match self.errors.error_in_success(&body) {
                Some(parsed) => parsed,
                None => return Ok((code, body.to_vec())),
            }
        } else {
            self.errors.error_body(code, &body)
        };
        let retry_after = retry_after_header(&headers).or(parsed.retry_after);
        Err(ApiError {
            kind: parsed.kind,
            status: Some(code),
            code: parsed.code,
            message: parsed.message,
            retry_after,
            ..self.error(call, attempt)
        })
    }

    fn error(&self, call: &Call, attempts: u32) -> ApiError {
        ApiError {
            service: self.service,
            request: call.label.clone(),
            kind: ErrorKind::Client,
            status: None,
            code: None,
            message: String::new(),
            attempts,
            retry_after: None,
            sent: true,
        }
    }

    /// Stopped: `sent` when the request may have gone out (stopped while awaiting its answer).
    fn stopped(&self, call: &Call, attempts: u32, sent: bool) -> ApiError {
        ApiError {
            kind: ErrorKind::Stopped,
            sent,
            ..self.error(call, attempts)
        }
    }
}

/// The fields of an attempt's log line: which API, method, host and path (never the query
/// string, never a header: the credentials travel in headers), the status or else the kind
/// of failure, how long it took, its number, and for a retry the pause before it and why.
/// A failed attempt that is retried also says when the retry comes.
fn attempt_fields(
    service: &str,
    call: &Call,
    attempt: u32,
    took: Duration,
    outcome: Result<u16, &ApiError>,
    retry_in: Option<Duration>,
    retry_of: Option<&(Duration, String)>,
) -> Vec<(&'static str, String)> {
    let host = match (call.url.host_str(), call.url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => String::new(),
    };
    let mut fields = vec![
        ("api", service.to_string()),
        ("method", call.method.to_string()),
        ("host", host),
        ("path", call.url.path().to_string()),
    ];
    match outcome {
        Ok(status) => fields.push(("status", status.to_string())),
        Err(err) => {
            if let Some(status) = err.status {
                fields.push(("status", status.to_string()));
            }
            fields.push(("error", kind_name(err.kind).to_string()));
            if err.status.is_none() {
                // Transport errors quote the URL; keep the query string out of logs.
                let message = err
                    .message
                    .replace(call.url.as_str(), &url_without_query(&call.url));
                fields.push(("detail", message));
            }
        }
    }
    fields.push(("duration_ms", took.as_millis().to_string()));
    fields.push(("attempt", attempt.to_string()));
    if let Some((pause, reason)) = retry_of {
        fields.push(("pause_ms", pause.as_millis().to_string()));
        fields.push(("retry_reason", reason.clone()));
    }
    if let Some(pause) = retry_in {
        fields.push(("retry_in_ms", pause.as_millis().to_string()));
    }
    fields
}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Connection => "connection",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Stopped => "stopped",
        ErrorKind::RateLimited => "rate-limited",
        ErrorKind::Server => "server",
        ErrorKind::Client => "client",
        ErrorKind::Decode => "decode",
        ErrorKind::Config => "config",
        ErrorKind::Certificate => "certificate",
    }
}

/// Why a failed attempt is tried again, in a few words: `503 Service Unavailable
/// (unavailable), Retry-After 2 s` or `connection error`.
fn retry_reason(err: &ApiError) -> String {
    let mut reason = match err.status {
        Some(status) => status_text(status),
        None => match err.kind {
            ErrorKind::Timeout => "no answer within the attempt timeout".to_string(),
            _ => "connection error".to_string(),
        },
    };
    if let Some(code) = &err.code {
        reason.push_str(&format!(" ({code})"));
    }
    if let Some(asked) = err.retry_after {
        reason.push_str(&format!(", Retry-After {} s", asked.as_secs()));
    }
    reason
}

/// Scheme, host, port and path: what a log may show of a URL.
fn url_without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// Exponential backoff with downward jitter (half to full step), raised to a
/// server-requested pause when that is longer.
pub fn backoff(attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
    let step = BACKOFF_START
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let pause = step.mul_f64(1.0 - 0.5 * jitter.clamp(0.0, 1.0));
    retry_after.map_or(pause, |asked| asked.max(pause))
}

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
    use super::answer::MAX_MESSAGE_CHARS;
    use super::*;

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
    fn backoff_grows_caps_and_honours_retry_after() {
        assert_eq!(backoff(1, 0.0, None), Duration::from_millis(200));
        assert_eq!(backoff(2, 0.0, None), Duration::from_millis(400));
        assert_eq!(backoff(10, 0.0, None), BACKOFF_CAP);
        assert_eq!(backoff(1, 0.999, None).as_millis(), 100);
        assert_eq!(
            backoff(1, 0.0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
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

    #[test]
    fn an_attempt_is_logged_without_query_or_credentials() {
        let call = Call {
            method: Method::GET,
            url: Url::parse("https://user:pw@api-ch-gva-2.example.com/v2/instance?manager-id=m1")
                .unwrap(),
            label: "GET /instance?manager-id=m1".into(),
            body: None,
            idempotent: true,
        };
        let took = Duration::from_millis(12);
        let fields = |outcome, retry_in, retry_of| {
            attempt_fields("Exoscale API", &call, 2, took, outcome, retry_in, retry_of)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let retry_of = (
            Duration::from_millis(187),
            "503 Service Unavailable".to_string(),
        );
        assert_eq!(
            fields(Ok(200), None, Some(&retry_of)),
            "api=Exoscale API method=GET host=api-ch-gva-2.example.com path=/v2/instance \
             status=200 duration_ms=12 attempt=2 pause_ms=187 retry_reason=503 Service Unavailable"
        );
        let unavailable = ApiError {
            service: "Exoscale API",
            request: call.label.clone(),
            kind: ErrorKind::Server,
            status: Some(503),
            code: Some("unavailable".into()),
            message: "try later".into(),
            attempts: 1,
            retry_after: Some(Duration::from_secs(2)),
            sent: true,
        };
        assert_eq!(
            fields(Err(&unavailable), Some(Duration::from_millis(2000)), None),
            "api=Exoscale API method=GET host=api-ch-gva-2.example.com path=/v2/instance \
             status=503 error=server duration_ms=12 attempt=2 retry_in_ms=2000"
        );
        assert_eq!(
            retry_reason(&unavailable),
            "503 Service Unavailable (unavailable), Retry-After 2 s"
        );
        let refused = ApiError {
            kind: ErrorKind::Connection,
            status: None,
            code: None,
            message: format!(
                "error sending request for url ({}): connection refused",
                call.url
            ),
            retry_after: None,
            ..unavailable.clone()
        };
        let line = fields(Err(&refused), None, None);
        assert!(
            line.contains(
                "error=connection detail=error sending request for url \
                 (https://api-ch-gva-2.example.com/v2/instance): connection refused"
            ),
            "{line}"
        );
        assert!(
            !line.contains("manager-id") && !line.contains("pw"),
            "{line}"
        );
        assert_eq!(retry_reason(&refused), "connection error");
    }

    /// `GET /zone` at `url`; `idempotent: false` stands for a create (one attempt).
    fn get_zone(url: &str, idempotent: bool) -> Call {
        Call {
            method: Method::GET,
            url: Url::parse(url).unwrap(),
            label: "GET /zone".into(),
            body: None,
            idempotent,
        }
    }

    /// Quotes bodies as text: enough for a transport test.
    struct Plain;
    impl ErrorDialect for Plain {
        fn error_body(&self, status: u16, body: &[u8]) -> ErrorBody {
            ErrorBody::text(status, body)
        }
    }

    /// A redirect is an answer like any other non-2xx: the request is not sent on, with
    /// its signature or token, to where the answer points.
    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = tokio::spawn(async move {
            let mut requests = Vec::new();
            // At most two connections, each answered once; ends when the client is done.
            for _ in 0..2 {
                let accepted =
                    tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
                let Ok(Ok((mut conn, _))) = accepted else {
                    break;
                };
                let mut buf = vec![0; 4096];
                let n = conn.read(&mut buf).await.unwrap();
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                requests.push(head.lines().next().unwrap_or_default().to_string());
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://{addr}/elsewhere\r\n\
                     content-length: 0\r\nconnection: close\r\n\r\n"
                );
                conn.write_all(answer.as_bytes()).await.unwrap();
            }
            requests
        });
        let http = HttpApi::new("Test API", &Plain).unwrap();
        let call = get_zone(&format!("http://{addr}/v2/zone"), true);
        let err = http
            .send(&call, &|_| Ok(HeaderMap::new()))
            .await
            .unwrap_err();
        assert_eq!(err.status, Some(307), "{err}");
        assert_eq!(served.await.unwrap(), ["GET /v2/zone HTTP/1.1"]);
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("ab-12_3.x~"), "ab-12_3.x~");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
        assert_eq!(path_segment(".."), "%2E%2E");
    }

    /// The transport alone against the sandbox's public `GET /zone`, with each malformed
    /// answer the sandbox can give: every one is a clear error, after one attempt unless
    /// it is a gateway error worth retrying.
    mod against_the_sandbox {
        use super::*;
        use pools_sandbox::{Config, FaultRule, Sandbox};

        #[derive(Debug, serde::Deserialize)]
        struct Zones {
            zones: Vec<Zone>,
        }

        #[derive(Debug, serde::Deserialize)]
        struct Zone {
            name: String,
        }

        /// `GET /zone` under `fault`; `idempotent: false` stands for a create (one attempt).
        async fn zones_with(fault: &str, idempotent: bool) -> (Sandbox, Result<Zones, ApiError>) {
            zones_within(fault, idempotent, ATTEMPT_TIMEOUT).await
        }

        async fn zones_within(
            fault: &str,
            idempotent: bool,
            attempt_timeout: Duration,
        ) -> (Sandbox, Result<Zones, ApiError>) {
            let sandbox = Sandbox::start(Config::default(), "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            sandbox.faults().add(FaultRule::parse(fault).unwrap());
            let http = HttpApi::new("Test API", &Plain)
                .unwrap()
                .with_attempt_timeout(attempt_timeout);
            let call = get_zone(&format!("{}/ch-gva-2/v2/zone", sandbox.url()), idempotent);
            let result = http.json(&call, &|_| Ok(HeaderMap::new())).await;
            (sandbox, result)
        }

        /// `GET /zone` of a sandbox serving HTTPS, by a client trusting `trust`.
        async fn zones_over_tls(trust: impl Fn(&str) -> Trust) -> Result<Zones, ApiError> {
            let config = Config {
                tls: true,
                ..Config::default()
            };
            let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let ca = sandbox.ca_pem().unwrap().to_string();
            let http = HttpApi::with_trust("Test API", &Plain, &trust(&ca)).unwrap();
            let call = get_zone(&format!("{}/ch-gva-2/v2/zone", sandbox.url()), true);
            http.json(&call, &|_| Ok(HeaderMap::new())).await
        }

        #[tokio::test]
        async fn a_private_ca_is_trusted_once_given() {
            let dir = std::env::temp_dir().join(format!("pools-http-ca-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("ca.pem");
            let zones = zones_over_tls(|ca| {
                std::fs::write(&file, ca).unwrap();
                Trust::with_ca_file(file.to_str().unwrap()).unwrap()
            })
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            assert_eq!(zones.unwrap().zones.len(), 2);

            let err = zones_over_tls(|_| Trust::system()).await.unwrap_err();
            assert_eq!((err.kind, err.sent), (ErrorKind::Certificate, false));
            // Final: the handshake would fail the same way every time.
            assert_eq!(err.attempts, 1);
            assert!(!err.is_transient() && !err.is_outcome_unknown());
            assert!(
                err.message.contains("UnknownIssuer")
                    && err.message.contains(
                        "(the server's certificate is not signed by an authority the provider trusts: \
                         if the API is reached through a private CA or a TLS-intercepting proxy, \
                         give that CA's certificate (PEM) as `ca_file`"
                    ),
                "{err}"
            );
        }

        fn attempts(sandbox: &Sandbox) -> usize {
            sandbox.requests().routes().len()
        }

        #[tokio::test]
        async fn an_html_page_is_named_and_a_gateway_error_retried() {
            let (sandbox, result) = zones_with("list-zones=garbage:html*1", true).await;
            let zones = result.unwrap();
            assert_eq!(zones.zones[0].name, "ch-gva-2");
            assert_eq!(attempts(&sandbox), 2);

            let (sandbox, result) = zones_with("list-zones=garbage:html", false).await;
            let err = result.unwrap_err();
            assert_eq!((err.kind, err.status), (ErrorKind::Server, Some(502)));
            assert_eq!((err.attempts, attempts(&sandbox)), (1, 1));
            assert!(
                err.to_string().starts_with(
                    "Test API: GET /zone answered 502 Bad Gateway: the API answered with an HTML page (status 502), not JSON"
                ),
                "{err}"
            );
            assert!(
                err.message.ends_with(r#"(page title: "502 Bad Gateway")"#),
                "{err}"
            );
        }

        #[tokio::test]
        async fn truncated_empty_and_mistyped_bodies_fail_at_once() {
            for (fault, expected) in [
                (
                    "list-zones=garbage:truncated",
                    "truncated JSON: the body stops after",
                ),
                (
                    "list-zones=garbage:empty",
                    "the body is empty, where JSON was expected",
                ),
                (
                    "list-zones=garbage:wrong-types",
                    "JSON that does not match the API's documented shape, at `zones[0]",
                ),
            ] {
                let (sandbox, result) = zones_with(fault, true).await;
                let err = result.unwrap_err();
                assert_eq!(
                    (err.kind, err.status),
                    (ErrorKind::Decode, Some(200)),
                    "{fault}"
                );
                assert!(err.message.starts_with(expected), "{fault}: {err}");
                assert!(
                    err.to_string().starts_with(
                        "Test API: GET /zone answered 200 OK with an unexpected body: "
                    ),
                    "{err}"
                );
                assert_eq!(
                    attempts(&sandbox),
                    1,
                    "{fault}: decode errors are not retried"
                );
            }
        }

        #[tokio::test]
        async fn a_lost_answer_is_a_connection_error() {
            let (sandbox, result) = zones_with("list-zones=lost*1", true).await;
            // An idempotent read: the retry gets the answer.
            assert_eq!(result.unwrap().zones.len(), 2);
            assert_eq!(attempts(&sandbox), 2);
            let (sandbox, result) = zones_with("list-zones=lost", false).await;
            let err = result.unwrap_err();
            assert_eq!((err.kind, err.status), (ErrorKind::Connection, None));
            assert_eq!((err.attempts, attempts(&sandbox)), (1, 1));
            assert!(
                err.message
                    .ends_with("(the request may have reached the API and taken effect)"),
                "{err}"
            );
            assert!(
                err.to_string().starts_with("Test API: GET /zone failed: "),
                "{err}"
            );
        }

        #[tokio::test]
        async fn a_slow_answer_times_out_per_attempt() {
            let short = Duration::from_millis(200);
            let (sandbox, result) = zones_within("list-zones=latency:5000*1", false, short).await;
            let err = result.unwrap_err();
            assert_eq!((err.kind, err.attempts), (ErrorKind::Timeout, 1));
            assert!(err.is_transient() && err.is_outcome_unknown(), "{err}");
            // The sandbox drops a request whose client hung up: it never ran.
            assert_eq!(attempts(&sandbox), 0);
            // A read tries again, and the second attempt is answered in time.
            let (sandbox, result) = zones_within("list-zones=latency:5000*1", true, short).await;
            assert_eq!(result.unwrap().zones.len(), 2);
            assert_eq!(attempts(&sandbox), 1);
        }

        #[tokio::test]
        async fn only_unanswered_or_unreadable_calls_have_an_unknown_outcome() {
            let (_, lost) = zones_with("list-zones=lost", false).await;
            let (_, cut) = zones_with("list-zones=garbage:truncated", false).await;
            let (_, refused) = zones_with("list-zones=status:503", false).await;
            let (_, html) = zones_with("list-zones=garbage:html", false).await;
            let unknown = |r: Result<Zones, ApiError>| r.unwrap_err().is_outcome_unknown();
            assert!(unknown(lost));
            assert!(unknown(cut));
            assert!(!unknown(refused));
            assert!(!unknown(html));
            // Nothing listens: the request never left.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let call = get_zone(&format!("http://127.0.0.1:{port}/zone"), false);
            let http = HttpApi::new("Test API", &Plain).unwrap();
            let err = http
                .json::<Zones>(&call, &|_| Ok(HeaderMap::new()))
                .await
                .unwrap_err();
            assert_eq!((err.kind, err.sent), (ErrorKind::Connection, false));
            assert!(!err.is_outcome_unknown());
        }
    }
}
