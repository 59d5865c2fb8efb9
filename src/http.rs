//! Shared HTTP transport for both API clients: one JSON request helper that authorises each
//! attempt, classifies failures, retries idempotent calls with backoff, and turns failed
//! answers into an [`ApiError`] that reads well in a Terraform diagnostic. What an error
//! body says is each backend's business: it hands [`HttpApi::new`] its [`ErrorDialect`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::wait::{Jitter, Stop};

/// Attempts per idempotent call, the first one included.
pub const MAX_ATTEMPTS: u32 = 5;
/// Retries of one call never run past this budget.
const RETRY_BUDGET: Duration = Duration::from_secs(90);
/// One attempt may take this long before it counts as a timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// Error bodies are quoted in diagnostics; keep them readable.
const MAX_MESSAGE_CHARS: usize = 500;

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
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404) || self.code.as_deref() == Some("not_found")
    }

    pub fn is_conflict(&self) -> bool {
        self.status == Some(409)
    }

    fn retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connection | ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Server
        )
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
}

/// An HTTP client for one service, with the provider's stop signal.
#[derive(Clone)]
pub struct HttpApi {
    client: reqwest::Client,
    service: &'static str,
    errors: &'static dyn ErrorDialect,
    stop: Stop,
}

impl fmt::Debug for HttpApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpApi")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl HttpApi {
    /// `errors` reads the service's error bodies.
    pub fn new(service: &'static str, errors: &'static dyn ErrorDialect) -> Result<Self, ApiError> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!(
                "terraform-provider-pools/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| ApiError::config(service, format!("cannot set up HTTP client: {e}")))?;
        Ok(Self {
            client,
            service,
            errors,
            stop: Stop::new(),
        })
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
        // An empty body stands for an empty JSON object (Connect answers `{}` or nothing).
        let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
        serde_json::from_slice(body).map_err(|e| ApiError {
            kind: ErrorKind::Decode,
            status: Some(status),
            message: e.to_string(),
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
        loop {
            let err = match self.attempt(call, authorize, attempt).await {
                Ok(ok) => return Ok(ok),
                Err(err) => err,
            };
            if !call.idempotent || !err.retryable() || attempt >= MAX_ATTEMPTS {
                return Err(err);
            }
            let pause = backoff(attempt, jitter.next_unit(), err.retry_after);
            if Instant::now() + pause >= deadline {
                return Err(err);
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.stop.triggered() => return Err(self.stopped(call, attempt)),
            }
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        call: &Call,
        authorize: Authorize<'_>,
        attempt: u32,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        if self.stop.is_triggered() {
            return Err(self.stopped(call, attempt));
        }
        let headers = authorize(call)?;
        let mut request = self
            .client
            .request(call.method.clone(), call.url.clone())
            .headers(headers)
            .timeout(ATTEMPT_TIMEOUT);
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
            result = exchange => result.map_err(|e| self.transport_error(call, attempt, &e))?,
            _ = self.stop.triggered() => return Err(self.stopped(call, attempt)),
        };
        if status.is_success() {
            return Ok((status.as_u16(), body.to_vec()));
        }
        let parsed = self.errors.error_body(status.as_u16(), &body);
        let retry_after = retry_after_header(&headers).or(parsed.retry_after);
        Err(ApiError {
            kind: parsed.kind,
            status: Some(status.as_u16()),
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
        }
    }

    fn stopped(&self, call: &Call, attempts: u32) -> ApiError {
        ApiError {
            kind: ErrorKind::Stopped,
            ..self.error(call, attempts)
        }
    }

    fn transport_error(&self, call: &Call, attempts: u32, e: &reqwest::Error) -> ApiError {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Connection
        };
        ApiError {
            kind,
            message: error_chain(e),
            ..self.error(call, attempts)
        }
    }
}

/// The error and its causes on one line ("error sending request: connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
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

/// Shortens a text quoted from an answer to what reads well in a diagnostic.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Reads a Retry-After header: delay in seconds, or an HTTP date.
pub fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let at = parse_http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now).min(3600)))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds.
pub fn parse_http_date(value: &str) -> Option<u64> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let secs = days_since_epoch(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    u64::try_from(secs).ok()
}

/// Days from 1970-01-01 to a proleptic Gregorian date (civil-from-days, inverted).
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    // Count years from March so the leap day is the last day of the "year".
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
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
    use super::*;
    use reqwest::header::HeaderValue;

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
    fn retry_after_in_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after_header(&headers), Some(Duration::ZERO)); // in the past
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        assert_eq!(parse_http_date("yesterday"), None);
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
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("ab-12_3.x~"), "ab-12_3.x~");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
        assert_eq!(path_segment(".."), "%2E%2E");
    }
}
