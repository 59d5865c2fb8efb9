//! EXO2-HMAC-SHA256 request signatures: verification for the sandbox, and signing for tests.
//!
//! The signed message is five lines joined by `\n`: `"<METHOD> <path as sent>"`, the raw
//! body, the values of the single-valued signed query parameters concatenated in the order
//! the header lists them, an empty line (no headers are signed), and the expiry timestamp.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::hmac;

/// Why a request's credentials were refused. The messages never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Malformed(&'static str),
    Expired,
    UnknownKey,
    BadSignature,
}

impl AuthError {
    pub fn message(&self) -> String {
        match self {
            AuthError::Missing => "Missing Authorization header".into(),
            AuthError::Malformed(what) => format!("Malformed Authorization header: {what}"),
            AuthError::Expired => "Request signature has expired".into(),
            AuthError::UnknownKey => "Invalid API key".into(),
            AuthError::BadSignature => "Invalid request signature".into(),
        }
    }
}

const SCHEME: &str = "EXO2-HMAC-SHA256 ";

/// The parts of an `Authorization: EXO2-HMAC-SHA256 ...` header.
struct Parsed<'a> {
    credential: &'a str,
    signed_query_args: Vec<&'a str>,
    expires: u64,
    signature: Vec<u8>,
}

fn parse(header: &str) -> Result<Parsed<'_>, AuthError> {
    let pragmas = header
        .strip_prefix(SCHEME)
        .ok_or(AuthError::Malformed("expected the EXO2-HMAC-SHA256 scheme"))?;
    let (mut credential, mut args, mut expires, mut signature) = (None, Vec::new(), None, None);
    for pragma in pragmas.split(',') {
        let (name, value) = pragma
            .trim()
            .split_once('=')
            .ok_or(AuthError::Malformed("expected name=value pragmas"))?;
        match name {
            "credential" => credential = Some(value),
            "signed-query-args" => args = value.split(';').filter(|a| !a.is_empty()).collect(),
            "expires" => {
                expires = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| AuthError::Malformed("expires is not a Unix timestamp"))?,
                )
            }
            "signature" => {
                signature = Some(
                    STANDARD
                        .decode(value)
                        .map_err(|_| AuthError::Malformed("signature is not base64"))?,
                )
            }
            _ => return Err(AuthError::Malformed("unknown pragma")),
        }
    }
    Ok(Parsed {
        credential: credential.ok_or(AuthError::Malformed("missing credential"))?,
        signed_query_args: args,
        expires: expires.ok_or(AuthError::Malformed("missing expires"))?,
        signature: signature.ok_or(AuthError::Malformed("missing signature"))?,
    })
}

/// The message both sides sign.
fn message(
    method: &str,
    path: &str,
    body: &[u8],
    query: &[(String, String)],
    signed_args: &[&str],
    expires: u64,
) -> Vec<u8> {
    let mut values = String::new();
    for name in signed_args {
        let mut matching = query.iter().filter(|(k, _)| k == name);
        // Parameters given several times are named but their values are not signed.
        if let (Some((_, v)), None) = (matching.next(), matching.next()) {
            values.push_str(v);
        }
    }
    let mut msg = format!("{method} {path}\n").into_bytes();
    msg.extend_from_slice(body);
    msg.extend_from_slice(format!("\n{values}\n\n{expires}").as_bytes());
    msg
}

/// Checks a request's `Authorization` header against the one key/secret pair the sandbox knows.
/// `path` is the URL path exactly as received; `raw_query` the undecoded query string.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    header: Option<&str>,
    method: &str,
    path: &str,
    raw_query: Option<&str>,
    body: &[u8],
    key: &str,
    secret: &str,
    now_unix: u64,
) -> Result<(), AuthError> {
    let parsed = parse(header.ok_or(AuthError::Missing)?)?;
    if parsed.credential != key {
        return Err(AuthError::UnknownKey);
    }
    if parsed.expires < now_unix {
        return Err(AuthError::Expired);
    }
    let query = decode_query(raw_query.unwrap_or(""));
    let msg = message(
        method,
        path,
        body,
        &query,
        &parsed.signed_query_args,
        parsed.expires,
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&key, &msg, &parsed.signature).map_err(|_| AuthError::BadSignature)
}

/// The `Authorization` header value for a request (what a client sends). Signs every
/// query parameter, sorted by name, as the official signers do.
pub fn authorization(
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    raw_query: Option<&str>,
    body: &[u8],
    expires: u64,
) -> String {
    let query = decode_query(raw_query.unwrap_or(""));
    let mut names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let msg = message(method, path, body, &query, &names, expires);
    let hkey = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let signature = STANDARD.encode(hmac::sign(&hkey, &msg).as_ref());
    let mut header = format!("{SCHEME}credential={key}");
    if !names.is_empty() {
        header.push_str(&format!(",signed-query-args={}", names.join(";")));
    }
    header.push_str(&format!(",expires={expires},signature={signature}"));
    header
}

/// `a=1&b=x%20y` into decoded pairs; blank values are dropped, like Python's `parse_qs`.
pub fn decode_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let v = percent_decode(v);
            (!v.is_empty()).then(|| (percent_decode(k), v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (a space in query strings); invalid escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "EXOxxxxxxxxxxxxxxxxxxxxxxxx";
    const EXPIRES: u64 = 3376684800;

    fn secret() -> String {
        "X".repeat(43)
    }

    #[test]
    fn matches_published_check_values() {
        let h = authorization(KEY, &secret(), "GET", "/v2/zone", None, b"", EXPIRES);
        assert!(h.ends_with("signature=Ntbq/p0HVmA3Zg1HHY+Lq1vjFGi7HeMrrgXDS5jRNlY="));
        assert!(!h.contains("signed-query-args"));
        let h = authorization(
            KEY,
            &secret(),
            "GET",
            "/v2/zone",
            Some("k1=v1&k2=v2"),
            b"",
            EXPIRES,
        );
        assert!(h.contains(",signed-query-args=k1;k2,"));
        assert!(h.ends_with("signature=iqOBz13+44L5j0uJclE8hmUhQQcvtCSoPEOXYK6liqY="));
        let ok = verify(
            Some(&h),
            "GET",
            "/v2/zone",
            Some("k2=v2&k1=v1"),
            b"",
            KEY,
            &secret(),
            1_700_000_000,
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn refuses_what_it_should() {
        let s = secret();
        let h = authorization(KEY, &s, "PUT", "/a/v2/x", None, b"{}", 100);
        let check = |header: Option<&str>, body: &[u8], now: u64, key: &str, secret: &str| {
            verify(header, "PUT", "/a/v2/x", None, body, key, secret, now)
        };
        assert_eq!(check(Some(&h), b"{}", 100, KEY, &s), Ok(()));
        assert_eq!(
            check(Some(&h), b"{}", 101, KEY, &s),
            Err(AuthError::Expired)
        );
        assert_eq!(
            check(Some(&h), b"{ }", 50, KEY, &s),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            check(Some(&h), b"{}", 50, KEY, "other"),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            check(Some(&h), b"{}", 50, "EXOother", &s),
            Err(AuthError::UnknownKey)
        );
        assert_eq!(check(None, b"{}", 50, KEY, &s), Err(AuthError::Missing));
        for bad in [
            "Bearer x",
            "EXO2-HMAC-SHA256 credential=a",
            "EXO2-HMAC-SHA256 credential=a,expires=x,signature=AA==",
            "EXO2-HMAC-SHA256 credential=a,expires=1,signature=***",
            "EXO2-HMAC-SHA256 junk",
        ] {
            assert!(matches!(
                check(Some(bad), b"", 0, KEY, &s),
                Err(AuthError::Malformed(_))
            ));
        }
    }

    #[test]
    fn decodes_queries() {
        assert_eq!(percent_decode("a%20b+c%zz%4"), "a b c%zz%4");
        assert_eq!(
            decode_query("x=1&empty=&y=%2F"),
            vec![("x".into(), "1".into()), ("y".into(), "/".into())]
        );
    }
}
