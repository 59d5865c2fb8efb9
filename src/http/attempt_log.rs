//! What the DEBUG line of each attempt at a call says ("HTTP attempt", written by the
//! client), and why a retry came, in a few words; and the TRACE lines of the attempt's
//! request and response bodies. Never a query string, a URL's user or password, or a
//! header: credentials travel there.

use std::time::Duration;

use reqwest::Url;

use super::body_log::SensitiveFields;
use super::call::Call;
use super::error::{status_text, ApiError, ErrorKind};

/// The fields of a TRACE line with a body of the attempt: the request's, or (with its
/// `status`) the answer's. They name the attempt as its DEBUG line does (api, method,
/// path, attempt), then the body's size and the body as the log shows it (see
/// [`SensitiveFields::shown`]).
pub(super) fn body_fields(
    service: &str,
    call: &Call,
    attempt: u32,
    status: Option<u16>,
    body: &[u8],
    sensitive: &SensitiveFields,
) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("api", service.to_string()),
        ("method", call.method.to_string()),
        ("path", call.url.path().to_string()),
        ("attempt", attempt.to_string()),
    ];
    if let Some(status) = status {
        fields.push(("status", status.to_string()));
    }
    fields.push(("bytes", body.len().to_string()));
    fields.push(("body", sensitive.shown(body)));
    fields
}

/// The fields of an attempt's log line: which API, method, host and path (never the query
/// string, never a header: the credentials travel in headers), the status or else the kind
/// of failure, how long it took, its number, and for a retry the pause before it and why.
/// A failed attempt that is retried also says when the retry comes.
pub(super) fn attempt_fields(
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
pub(super) fn retry_reason(err: &ApiError) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    /// A body's line names its attempt as the attempt's DEBUG line does (never the query
    /// string), then the answer's status, the size on the wire, and the body as shown.
    #[test]
    fn a_body_line_names_its_attempt() {
        let call = Call {
            method: Method::PUT,
            url: Url::parse("https://api.example.com/v2/instance-pool/p1?manager-id=m1").unwrap(),
            label: "PUT /instance-pool/p1".into(),
            body: None,
            idempotent: true,
        };
        let sensitive = SensitiveFields {
            masked_words: &["token"],
            digested: &["user-data"],
        };
        let body = br#"{"user-data":"abc","token":"t"}"#;
        let line = |status| {
            body_fields("Exoscale API", &call, 3, status, body, &sensitive)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let hidden = sensitive.shown(body);
        assert!(
            hidden.contains(r#""token":"<masked>""#)
                && hidden.contains(r#""user-data":"<3 bytes, sha256 "#),
            "{hidden}"
        );
        assert_eq!(
            line(None),
            format!("api=Exoscale API method=PUT path=/v2/instance-pool/p1 attempt=3 bytes=31 body={hidden}")
        );
        assert_eq!(
            line(Some(200)),
            format!("api=Exoscale API method=PUT path=/v2/instance-pool/p1 attempt=3 status=200 bytes=31 body={hidden}")
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
}
