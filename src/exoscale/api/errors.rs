//! Exoscale's error bodies: classic `{"message"}`, RFC 9457 `{type, title, status, detail}`,
//! `{"error"}` (rate limits add `retry_after` seconds), or plain text; and the refusal that
//! names a Network Load Balancer holding a pool ([`load_balancer_lock`]).

use std::time::Duration;

use crate::http::{
    clip, ErrorBody, ErrorDialect, ErrorFields, ErrorKind, SensitiveFields, CREDENTIAL_WORDS,
};

/// The [`ErrorDialect`] of the Exoscale API.
pub struct ExoscaleErrors;

impl ErrorDialect for ExoscaleErrors {
    fn error_body(&self, status: u16, body: &[u8]) -> ErrorBody {
        parse(status, body)
    }

    /// The credentials travel in the signed Authorization header, never in a body; a field
    /// named like one is masked all the same. `user-data` (cloud-init) often carries
    /// secrets of its own: shown by length and hash.
    fn sensitive_fields(&self) -> SensitiveFields {
        SensitiveFields {
            masked_words: CREDENTIAL_WORDS,
            digested: &["user-data"],
        }
    }
}

/// Reads an Exoscale error answer; the status alone decides the kind.
pub fn parse(status: u16, body: &[u8]) -> ErrorBody {
    let Some(fields) = ErrorFields::parse(body) else {
        return ErrorBody::text(status, body);
    };
    let field = |name: &str| fields.text(name);
    let message = match (field("title"), field("detail")) {
        (Some(title), Some(detail)) if !detail.contains(title) => format!("{title}: {detail}"),
        (_, Some(detail)) => detail.to_string(),
        (title, None) => match field("message").or(field("error")).or(title) {
            Some(text) => text.to_string(),
            None => return ErrorBody::text(status, body),
        },
    };
    let retry_after = fields
        .number("retry_after")
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    ErrorBody {
        kind: ErrorKind::from_status(status),
        code: None,
        message: clip(&message),
        retry_after,
    }
}

/// The phrase of the API's refusal to delete a pool that a Network Load Balancer service
/// uses ("Forbidden: ... Locked by NLB <id>"), compared without case.
const NLB_LOCK: &str = "locked by nlb";

/// Whether `message`, an error the API gave for a change of a pool, says that a Network
/// Load Balancer holds the pool: `Some` with the load balancer's id when the message names
/// one (the first UUID after the phrase), `None` when it is another error.
pub fn load_balancer_lock(message: &str) -> Option<Option<String>> {
    let lower = message.to_ascii_lowercase();
    let after = &message[lower.find(NLB_LOCK)? + NLB_LOCK.len()..];
    let id = after
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|word| is_uuid(word))
        .map(str::to_ascii_lowercase);
    Some(id)
}

fn is_uuid(word: &str) -> bool {
    let groups: Vec<&str> = word.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_balancer_lock_is_recognised_with_its_id() {
        let id = "9a8b7c6d-0000-4000-8000-00000000abcd";
        for message in [
            format!("Forbidden: Locked by NLB {id}"),
            format!(
                "Forbidden: instance pool p1 is locked by NLB {}.",
                id.to_uppercase()
            ),
            format!("locked by NLB: {id}"),
        ] {
            assert_eq!(
                load_balancer_lock(&message),
                Some(Some(id.to_string())),
                "{message}"
            );
        }
        // The phrase without an id: a lock, whose load balancer must be found otherwise.
        assert_eq!(
            load_balancer_lock("managed Instance Pool is locked by NLB"),
            Some(None)
        );
        assert_eq!(
            load_balancer_lock("Locked by NLB 1234-not-an-id"),
            Some(None)
        );
        for other in ["Forbidden", "managed by SKS", "pool is locked", ""] {
            assert_eq!(load_balancer_lock(other), None, "{other}");
        }
    }

    #[test]
    fn error_bodies_of_every_shape() {
        let classic = parse(409, br#"{"message":"pool is being destroyed"}"#);
        assert_eq!(classic.message, "pool is being destroyed");
        assert_eq!((classic.kind, classic.code), (ErrorKind::Client, None));

        let rfc = parse(
            409,
            br#"{"type":"about:blank","title":"Conflict","status":409,"detail":"pool is busy"}"#,
        );
        assert_eq!(rfc.message, "Conflict: pool is busy");

        let rate = parse(429, br#"{"error":"slow down","retry_after":2.5}"#);
        assert_eq!(rate.message, "slow down");
        assert_eq!(rate.kind, ErrorKind::RateLimited);
        assert_eq!(rate.retry_after, Some(Duration::from_millis(2500)));

        let plain = parse(502, b"Bad Gateway\n");
        assert_eq!(
            (plain.kind, plain.message.as_str()),
            (ErrorKind::Server, "Bad Gateway")
        );
        assert_eq!(parse(500, b"").message, "(no details in the answer)");
        assert_eq!(parse(404, b"{}").message, "{}");
    }

    /// A pool as the API answers it: its user data shows only by length and hash.
    #[test]
    fn logged_bodies_hide_user_data() {
        let user_data = "I2Nsb3VkLWNvbmZpZwpwYXNzd29yZDogaHVudGVyMgo=";
        let body = format!(
            r#"{{"id":"p1","name":"web","size":2,"user-data":"{user_data}","ssh-keys":[{{"name":"deploy"}}]}}"#
        );
        let shown = ExoscaleErrors.sensitive_fields().shown(body.as_bytes());
        assert!(!shown.contains(user_data), "{shown}");
        assert!(
            shown.contains(r#""user-data":"<44 bytes, sha256 "#),
            "{shown}"
        );
        assert!(
            shown.contains(r#""name":"web""#) && shown.contains("deploy"),
            "{shown}"
        );
    }
}
