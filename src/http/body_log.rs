//! What the TRACE log shows of a request or response body: its JSON with the fields the
//! API declares sensitive hidden (credentials masked, user data by length and hash), and
//! no more than [`MAX_SHOWN`] bytes of it. A body that is not JSON is shown as text, unless
//! it looks like JSON cut short, whose fields could not be hidden: then by length and hash.

use ring::digest;
use serde_json::Value;

/// How much of a body a line shows: a pool is about 2 KiB, a page of a list can be far
/// more, and Terraform reads the provider's lines whole only up to 64 KiB (go-plugin).
pub(super) const MAX_SHOWN: usize = 16 * 1024;

/// Hex digits of SHA-256 shown for a hidden value: enough to tell two values apart.
const HASH_PREFIX: usize = 12;

/// Words that name a credential in any API: a field whose name contains one is masked.
pub const CREDENTIAL_WORDS: &[&str] = &[
    "secret",
    "token",
    "password",
    "signature",
    "credential",
    "apikey",
    "privatekey",
    "authorization",
];

/// The fields of an API's JSON bodies that the log never shows as they are, at any depth.
/// Names compare without case, `-` or `_`: `user-data`, `user_data` and `userData` are one.
#[derive(Clone, Copy, Debug)]
pub struct SensitiveFields {
    /// A field whose name contains one of these words is masked, whatever its value.
    pub masked_words: &'static [&'static str],
    /// A field with one of these names shows only its length and a SHA-256 prefix.
    pub digested: &'static [&'static str],
}

impl SensitiveFields {
    /// The body as a log line shows it.
    pub fn shown(&self, body: &[u8]) -> String {
        let text = match serde_json::from_slice::<Value>(body) {
            Ok(mut json) => {
                hide(&mut json, self);
                json.to_string()
            }
            Err(_) if looks_like_json(body) => format!(
                "<{} bytes of JSON that does not parse, {}>",
                body.len(),
                hashed(body)
            ),
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        };
        capped(text)
    }

    fn hiding(&self, name: &str) -> Option<Hiding> {
        let name = comparable(name);
        if self
            .masked_words
            .iter()
            .any(|w| name.contains(&comparable(w)))
        {
            Some(Hiding::Mask)
        } else if self.digested.iter().any(|d| name == comparable(d)) {
            Some(Hiding::Digest)
        } else {
            None
        }
    }
}

enum Hiding {
    Mask,
    Digest,
}

fn comparable(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn hide(value: &mut Value, sensitive: &SensitiveFields) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match sensitive.hiding(name) {
                    Some(Hiding::Mask) => mask(field),
                    Some(Hiding::Digest) => digest(field),
                    None => hide(field, sensitive),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| hide(item, sensitive)),
        _ => {}
    }
}

/// An absent value (null or empty) stays as it is: that it is absent tells nothing.
fn mask(value: &mut Value) {
    if !is_absent(value) {
        *value = Value::String("<masked>".to_string());
    }
}

fn digest(value: &mut Value) {
    if is_absent(value) {
        return;
    }
    let summary = |bytes: &[u8]| format!("<{} bytes, {}>", bytes.len(), hashed(bytes));
    *value = Value::String(match &*value {
        Value::String(text) => summary(text.as_bytes()),
        other => summary(other.to_string().as_bytes()),
    });
}

fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// `sha256 <prefix>` of `bytes`.
fn hashed(bytes: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, bytes);
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256 {}", &hex[..HASH_PREFIX])
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

fn capped(mut text: String) -> String {
    if text.len() <= MAX_SHOWN {
        return text;
    }
    let mut cut = MAX_SHOWN;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let left_out = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("… ({left_out} more bytes)"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXOSCALE_LIKE: SensitiveFields = SensitiveFields {
        masked_words: CREDENTIAL_WORDS,
        digested: &["user-data"],
    };

    #[test]
    fn credentials_are_masked_at_any_depth() {
        let body = br#"{"name":"web","pagination":{"token":"page-2","pageSize":5},
            "auth":{"apiKey":"EXOabc","client_secret":"s3cr3t","Signature":"c2ln"},
            "items":[{"refreshToken":"r-tok"},{"password":""}],"nextToken":null,
            "ssh-key":{"name":"deploy"},"size":3}"#;
        let shown = EXOSCALE_LIKE.shown(body);
        for secret in ["page-2", "EXOabc", "s3cr3t", "c2ln", "r-tok"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let v: Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(v["pagination"]["token"], "<masked>");
        assert_eq!(v["pagination"]["pageSize"], 5);
        assert_eq!(v["auth"]["client_secret"], "<masked>");
        assert_eq!(v["items"][0]["refreshToken"], "<masked>");
        // Absent stays absent; names that only look alike are shown.
        assert_eq!(v["items"][1]["password"], "");
        assert_eq!(v["nextToken"], Value::Null);
        assert_eq!(v["ssh-key"]["name"], "deploy");
        assert_eq!(
            (v["name"].as_str(), v["size"].as_i64()),
            (Some("web"), Some(3))
        );
    }

    #[test]
    fn user_data_shows_only_its_length_and_hash() {
        let user_data = "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtlY2hvIHNlY3JldF0K";
        let body = format!(r#"{{"instance-pool":{{"user-data":"{user_data}","size":2}}}}"#);
        let shown = EXOSCALE_LIKE.shown(body.as_bytes());
        let hash = digest::digest(&digest::SHA256, user_data.as_bytes());
        let prefix: String = hash.as_ref()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let v: Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(
            v["instance-pool"]["user-data"],
            format!("<48 bytes, sha256 {prefix}>")
        );
        assert_eq!(v["instance-pool"]["size"], 2);
        assert!(!shown.contains(user_data), "{shown}");
        // Spelled as another API would, it is the same field.
        let snake = shown_of(r#"{"user_data":"abc"}"#);
        assert!(
            snake.starts_with(r#"{"user_data":"<3 bytes, sha256 "#),
            "{snake}"
        );
    }

    fn shown_of(body: &str) -> String {
        EXOSCALE_LIKE.shown(body.as_bytes())
    }

    #[test]
    fn what_is_not_json_is_text_unless_it_is_json_cut_short() {
        assert_eq!(shown_of(""), "");
        assert_eq!(shown_of("Bad Gateway\n"), "Bad Gateway\n");
        let cut = shown_of(r#"{"user-data":"I2Nsb3VkLWNvbmZp"#);
        assert!(
            cut.starts_with("<30 bytes of JSON that does not parse, sha256 "),
            "{cut}"
        );
        assert!(!cut.contains("I2Nsb3Vk"), "{cut}");
    }

    #[test]
    fn huge_bodies_are_capped() {
        let items: Vec<String> = (0..4000).map(|n| format!(r#"{{"id":"é-{n}"}}"#)).collect();
        let body = format!("[{}]", items.join(","));
        let shown = shown_of(&body);
        let (kept, note) = shown.split_once('…').unwrap();
        assert!(
            kept.len() <= MAX_SHOWN && kept.len() > MAX_SHOWN - 4,
            "{}",
            kept.len()
        );
        assert!(body.starts_with(kept));
        assert_eq!(note, format!(" ({} more bytes)", body.len() - kept.len()));
        assert_eq!(shown_of(r#"{"id":"p1"}"#), r#"{"id":"p1"}"#);
    }
}
