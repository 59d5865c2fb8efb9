//! [`HttpApi`], the client of one service: its set-up (the TLS trust, timeouts, no redirects
//! and no retries but its own), [`HttpApi::send`] with its retry loop, and one attempt,
//! which authorises the call, sends it and turns an answer that is not a success into an
//! [`ApiError`] through the service's [`ErrorDialect`]. Each attempt logs a DEBUG line, and
//! at TRACE its request and response bodies, hiding what the dialect says is sensitive.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::answer::{decode_json, html_message, is_html};
use super::attempt_log::{attempt_fields, body_fields, retry_reason};
use super::call::{Authorize, Call};
use super::date::retry_after_header;
use super::error::{ApiError, ErrorDialect, ErrorKind};
use super::no_answer::no_answer;
use super::retry::Retries;
use crate::plugin::{log, Stop};
use crate::trust::Trust;

/// One attempt may take this long before it counts as a timeout, unless
/// [`HttpApi::with_attempt_timeout`] says otherwise.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
        let mut retries = Retries::start();
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
            let pause = retries.pause_after(call, attempt, &err);
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
        write_line(log::Level::Debug, "HTTP attempt", &fields);
    }

    /// At TRACE, a line with a body of attempt `attempt`: the request's, or (with its
    /// `status`) the answer's (see [`body_fields`]).
    fn log_body(&self, call: &Call, attempt: u32, status: Option<u16>, body: &[u8]) {
        if !log::enabled(log::Level::Trace) {
            return;
        }
        let sensitive = self.errors.sensitive_fields();
        let fields = body_fields(self.service, call, attempt, status, body, &sensitive);
        let message = match status {
            None => "HTTP request body",
            Some(_) => "HTTP response body",
        };
        write_line(log::Level::Trace, message, &fields);
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
        if let Some(body) = &call.body {
            self.log_body(call, attempt, None, body);
        }
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
        self.log_body(call, attempt, Some(code), &body);
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

    /// An error of `call` after `attempts` attempts, naming its service and request: each
    /// failure fills in the rest.
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

/// Writes one line of (name, text) fields.
fn write_line(level: log::Level, message: &str, fields: &[(&'static str, String)]) {
    let fields: Vec<(&str, &dyn fmt::Display)> = fields
        .iter()
        .map(|(name, value)| (*name, value as &dyn fmt::Display))
        .collect();
    log::log(level, message, &fields);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::body_log::{SensitiveFields, CREDENTIAL_WORDS};
    use crate::http::error::ErrorBody;
    use reqwest::header::HeaderMap;
    use reqwest::{Method, Url};

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

        fn sensitive_fields(&self) -> SensitiveFields {
            SensitiveFields {
                masked_words: CREDENTIAL_WORDS,
                digested: &[],
            }
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
