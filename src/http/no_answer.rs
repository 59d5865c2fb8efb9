//! A call that got no HTTP answer, as an [`ApiError`]: refused, reset, timed out, or a TLS
//! certificate the provider refused. Its kind decides retries (a refused certificate is
//! final); its message gives the error's causes on one line, what to do about a refused
//! certificate, and for a call never repeated, that it may have taken effect.

use super::call::Call;
use super::error::{ApiError, ErrorKind};

/// `error` (the attempt's error, naming its service and request) completed from `e`, the
/// failure of that attempt at `call` before any answer came.
pub(super) fn no_answer(call: &Call, e: &reqwest::Error, error: ApiError) -> ApiError {
    let mut message = error_chain(e);
    let certificate = certificate_error(e);
    if let Some(advice) = certificate.and_then(certificate_advice) {
        message.push_str(" (");
        message.push_str(advice);
        message.push(')');
    }
    let kind = if certificate.is_some() {
        ErrorKind::Certificate
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connection
    };
    // Past connecting, the request may have been acted on although no answer came back;
    // a call that is never repeated must not read as if nothing happened.
    if !call.idempotent && !e.is_connect() {
        message.push_str(" (the request may have reached the API and taken effect)");
    }
    ApiError {
        kind,
        message,
        sent: !e.is_connect(),
        ..error
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

/// The certificate problem that failed a TLS handshake, if that is what failed. rustls's
/// error sits inside I/O errors (two, as seen with reqwest 0.12), whose `source` skips
/// what they wrap, so each I/O error is opened as well.
fn certificate_error<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> Option<&'e rustls::CertificateError> {
    let mut cause = Some(e);
    while let Some(current) = cause {
        let mut inner = current;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        if let Some(rustls::Error::InvalidCertificate(problem)) = inner.downcast_ref() {
            return Some(problem);
        }
        cause = current.source();
    }
    None
}

/// What to do about a certificate the provider refused.
fn certificate_advice(problem: &rustls::CertificateError) -> Option<&'static str> {
    use rustls::CertificateError as C;
    match problem {
        C::UnknownIssuer | C::BadSignature => Some(
            "the server's certificate is not signed by an authority the provider trusts: if the \
             API is reached through a private CA or a TLS-intercepting proxy, give that CA's \
             certificate (PEM) as `ca_file` in the provider's block for this API, or add it to \
             the system's CA store or SSL_CERT_FILE",
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => Some(
            "the server's certificate does not name the endpoint's host: check the endpoint",
        ),
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            Some("the server's certificate is outside its validity period, or this machine's clock is wrong")
        }
        _ => None,
    }
}
