//! EXO2-HMAC-SHA256 request signing for the Exoscale API v2.
//!
//! The signed message is five lines joined by "\n": `<METHOD> <path as sent>`, the raw body,
//! the values of single-valued query parameters concatenated in name order, an empty line
//! (headers are not signed) and the expiry as a Unix timestamp.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::Url;
use ring::hmac;

/// Signatures stay valid this long, as the official clients do.
pub const VALIDITY_SECS: u64 = 600;

/// Holds the API key and an HMAC key derived from the secret; never prints either.
pub struct Signer {
    key: String,
    hmac: hmac::Key,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { key: <redacted>, secret: <redacted> }")
    }
}

impl Signer {
    pub fn new(key: &str, secret: &str) -> Self {
        Self {
            key: key.to_string(),
            hmac: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
        }
    }

    /// The `Authorization` header value for a request to `url` (its path exactly as sent).
    pub fn authorization(&self, method: &str, url: &Url, body: &[u8], expires: u64) -> String {
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        self.authorization_for(method, url.path(), &query, body, expires)
    }

    /// Same as [`Signer::authorization`] from the parts of the request.
    pub fn authorization_for(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
        expires: u64,
    ) -> String {
        // Parameters given more than once are not signed.
        let mut by_name: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        for (name, value) in query {
            by_name
                .entry(name)
                .and_modify(|seen| *seen = None)
                .or_insert(Some(value));
        }
        let signed: Vec<(&str, &str)> = by_name
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect();
        let values: String = signed.iter().map(|(_, value)| *value).collect();

        let mut message = Vec::with_capacity(path.len() + body.len() + values.len() + 32);
        message.extend_from_slice(format!("{} {}\n", method.to_ascii_uppercase(), path).as_bytes());
        message.extend_from_slice(body);
        message.extend_from_slice(format!("\n{values}\n\n{expires}").as_bytes());
        let signature = STANDARD.encode(hmac::sign(&self.hmac, &message).as_ref());

        let mut header = format!("EXO2-HMAC-SHA256 credential={}", self.key);
        if !signed.is_empty() {
            let names: Vec<&str> = signed.iter().map(|(name, _)| *name).collect();
            header.push_str(&format!(",signed-query-args={}", names.join(";")));
        }
        header.push_str(&format!(",expires={expires},signature={signature}"));
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "EXOxxxxxxxxxxxxxxxxxxxxxxxx";
    const EXPIRES: u64 = 3_376_684_800;

    fn signer() -> Signer {
        Signer::new(KEY, &"X".repeat(43))
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn published_check_value_without_query() {
        let header = signer().authorization(
            "GET",
            &url("https://api-ch-gva-2.exoscale.com/v2/zone"),
            b"",
            EXPIRES,
        );
        assert_eq!(
            header,
            "EXO2-HMAC-SHA256 credential=EXOxxxxxxxxxxxxxxxxxxxxxxxx,expires=3376684800,\
             signature=Ntbq/p0HVmA3Zg1HHY+Lq1vjFGi7HeMrrgXDS5jRNlY="
        );
    }

    #[test]
    fn published_check_value_with_query() {
        let header = signer().authorization(
            "GET",
            &url("https://api-ch-gva-2.exoscale.com/v2/zone?k2=v2&k1=v1"),
            b"",
            EXPIRES,
        );
        assert_eq!(
            header,
            "EXO2-HMAC-SHA256 credential=EXOxxxxxxxxxxxxxxxxxxxxxxxx,signed-query-args=k1;k2,\
             expires=3376684800,signature=iqOBz13+44L5j0uJclE8hmUhQQcvtCSoPEOXYK6liqY="
        );
    }

    #[test]
    fn body_and_prefix_are_signed() {
        let body = br#"{"size":3}"#;
        let header = signer().authorization(
            "put",
            &url("http://127.0.0.1:1/ch-gva-2/v2/instance-pool/p1:scale"),
            body,
            EXPIRES,
        );
        // Recompute the HMAC over the documented message by hand.
        let message = "PUT /ch-gva-2/v2/instance-pool/p1:scale\n{\"size\":3}\n\n\n3376684800";
        let key = hmac::Key::new(hmac::HMAC_SHA256, "X".repeat(43).as_bytes());
        let expected = STANDARD.encode(hmac::sign(&key, message.as_bytes()).as_ref());
        assert!(
            header.ends_with(&format!(",expires=3376684800,signature={expected}")),
            "{header}"
        );
        assert!(!header.contains("signed-query-args"));
        // A different body gives a different signature.
        let other = signer().authorization(
            "PUT",
            &url("http://127.0.0.1:1/ch-gva-2/v2/instance-pool/p1:scale"),
            br#"{"size":4}"#,
            EXPIRES,
        );
        assert_ne!(header, other);
    }

    #[test]
    fn repeated_query_parameters_are_not_signed() {
        let header = signer().authorization("GET", &url("http://h/v2/x?a=1&b=2&a=3"), b"", EXPIRES);
        assert!(header.contains("signed-query-args=b,"), "{header}");
    }

    #[test]
    fn debug_redacts() {
        let text = format!("{:?}", Signer::new("EXOkey123", "topsecret"));
        assert!(!text.contains("EXOkey123") && !text.contains("topsecret"));
    }
}
