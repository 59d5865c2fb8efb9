//! Declarative validators. They run at validate time on known, non-null values only
//! (an unknown value is checked again once known, at apply), and every failure names the
//! attribute path and what is allowed.

use super::cty::Value;
use super::diag::{AttrPath, Diagnostics};

pub trait Validator: Send + Sync {
    /// What is allowed, as a phrase completing "must be ...", used in errors and docs.
    fn allowed(&self) -> String;
    /// Whether the (known, non-null) value is allowed.
    fn check(&self, value: &Value) -> bool;

    /// Reports a value that fails the check; a sensitive one is never quoted.
    fn validate(&self, value: &Value, path: &AttrPath, sensitive: bool, diags: &mut Diagnostics) {
        if !value.is_known() || matches!(value, Value::Null) || self.check(value) {
            return;
        }
        let got = match sensitive {
            true => "the value is not shown: it is sensitive".to_string(),
            false => format!("got {}", show(value)),
        };
        diags.error_at(
            path.clone(),
            format!("Invalid value for {path}"),
            format!("{path} must be {}; {got}.", self.allowed()),
        );
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => format!("{} elements", v.len()),
        Value::Map(m) | Value::Object(m) => format!("{} entries", m.len()),
        _ => "an unsupported value".to_string(),
    }
}

struct Fn<F> {
    allowed: String,
    check: F,
}

impl<F: std::ops::Fn(&Value) -> bool + Send + Sync> Validator for Fn<F> {
    fn allowed(&self) -> String {
        self.allowed.clone()
    }
    fn check(&self, value: &Value) -> bool {
        (self.check)(value)
    }
}

/// A validator from a description of what is allowed and a check.
pub fn custom(
    allowed: impl Into<String>,
    check: impl std::ops::Fn(&Value) -> bool + Send + Sync,
) -> impl Validator {
    Fn {
        allowed: allowed.into(),
        check,
    }
}

fn string_check(
    check: impl std::ops::Fn(&str) -> bool + Send + Sync,
) -> impl std::ops::Fn(&Value) -> bool + Send + Sync {
    move |v| matches!(v, Value::String(s) if check(s))
}

pub fn integer() -> impl Validator {
    custom("a whole number", |v| v.as_i64().is_some())
}

pub fn int_between(min: i64, max: i64) -> impl Validator {
    custom(format!("a whole number from {min} to {max}"), move |v| {
        v.as_i64().is_some_and(|n| (min..=max).contains(&n))
    })
}

pub fn int_at_least(min: i64) -> impl Validator {
    custom(format!("a whole number of at least {min}"), move |v| {
        v.as_i64().is_some_and(|n| n >= min)
    })
}

pub fn one_of(allowed: &'static [&'static str]) -> impl Validator {
    let list = allowed
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    custom(
        format!("one of {list}"),
        string_check(move |s| allowed.contains(&s)),
    )
}

pub fn string_length(min: usize, max: usize) -> impl Validator {
    custom(
        format!("a string of {min} to {max} characters"),
        string_check(move |s| (min..=max).contains(&s.chars().count())),
    )
}

pub fn not_empty() -> impl Validator {
    custom("a non-empty string", string_check(|s| !s.trim().is_empty()))
}

/// Credentials travel in HTTP headers, which hold only printable ASCII.
pub fn header_safe() -> impl Validator {
    custom(
        "printable ASCII characters only (no spaces, line breaks or control characters)",
        string_check(is_header_safe),
    )
}

pub fn is_header_safe(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic())
}

pub fn uuid() -> impl Validator {
    custom(
        "a UUID (like 01234567-89ab-cdef-0123-456789abcdef)",
        string_check(is_uuid),
    )
}

/// Each element of a list or set (or each value of a map) passes `inner`.
pub fn each(inner: impl Validator + 'static) -> impl Validator {
    let allowed = format!("a collection whose elements are each {}", inner.allowed());
    custom(allowed, move |v| match v {
        Value::List(items) | Value::Set(items) => items
            .iter()
            .all(|i| !i.is_known() || matches!(i, Value::Null) || inner.check(i)),
        Value::Map(items) => items.values().all(|i| !i.is_known() || inner.check(i)),
        _ => false,
    })
}

/// A Go-style duration such as `30s`, `10m`, `1h30m`.
pub fn duration() -> impl Validator {
    custom(
        "a positive duration of at most 277777h, such as \"30s\", \"10m\" or \"1h30m\" (units: h, m, s, ms, us or \u{b5}s, ns)",
        string_check(|s| parse_duration(s).is_some()),
    )
}

pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// An http:// or https:// URL with a host, as the API clients will parse it: a URL that
/// passes here never fails later at configure. A `{zone}` placeholder (endpoint templates)
/// stands for a zone name.
pub fn http_url() -> impl Validator {
    custom(
        "an http:// or https:// URL",
        |v| matches!(v, Value::String(s) if is_http_url(s)),
    )
}

pub fn is_http_url(text: &str) -> bool {
    let text = text.trim().replace("{zone}", "ch-gva-2");
    reqwest::Url::parse(&text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
    })
}

/// The longest duration accepted, in nanoseconds (about 31 years): keeps sums exact in u64.
const MAX_DURATION_NANOS: u128 = 1_000_000_000 * 1_000_000_000;

/// Parses a Go-style duration: one or more decimal numbers, each with a unit (`h`, `m`, `s`,
/// `ms`, `us` or `µs`, `ns`), such as `1h30m`, `1.5h`, `500ms` or `300us`. Positive values
/// only. Fractions of a nanosecond are dropped, as Go does, except that a duration written
/// as non-zero never becomes zero: `0.1ns` is 1 ns, while `0s` is refused.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut total: u128 = 0;
    let mut written_nonzero = false;
    while !rest.is_empty() {
        let (whole, after) = rest.split_at(digits_end(rest));
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => after.split_at(digits_end(after)),
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            // Go accepts both micro signs: U+00B5 and the Greek mu U+03BC.
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        written_nonzero |= whole.bytes().chain(fraction.bytes()).any(|b| b != b'0');
        let whole: u128 = match whole {
            "" => 0,
            digits => digits.parse().ok()?,
        };
        total = total.checked_add(whole.checked_mul(unit_nanos)?)?;
        // 18 digits are finer than a nanosecond of an hour, and their value fits in u128.
        let fraction = &fraction[..fraction.len().min(18)];
        if !fraction.is_empty() {
            let scale = 10u128.pow(fraction.len() as u32);
            total += fraction.parse::<u128>().ok()? * unit_nanos / scale;
        }
        if total >= MAX_DURATION_NANOS {
            return None;
        }
        rest = after;
    }
    if !written_nonzero {
        return None;
    }
    let nanos = u64::try_from(total.max(1)).ok()?;
    Some(std::time::Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::Number;

    fn errors(v: &dyn Validator, value: Value) -> Vec<String> {
        errors_of(v, value, false)
    }

    fn errors_of(v: &dyn Validator, value: Value, sensitive: bool) -> Vec<String> {
        let mut d = Diagnostics::new();
        v.validate(&value, &AttrPath::attrs(&["min_size"]), sensitive, &mut d);
        d.0.iter()
            .map(|d| format!("{} | {}", d.summary, d.detail))
            .collect()
    }

    #[test]
    fn range_names_path_and_bounds() {
        let v = int_between(0, 20);
        assert!(errors(&v, Value::Number(Number::from_i64(20))).is_empty());
        let e = errors(&v, Value::Number(Number::from_i64(21)));
        assert_eq!(e, ["Invalid value for min_size | min_size must be a whole number from 0 to 20; got 21."]);
        assert!(errors(&v, Value::Null).is_empty());
        assert!(errors(&v, Value::Unknown(Default::default())).is_empty());
    }

    #[test]
    fn credentials_are_header_safe_and_never_quoted() {
        let v = header_safe();
        assert!(errors(&v, Value::String("EXO1a2b-c_d.e/f+g=".into())).is_empty());
        for bad in ["EXO key", "tok\nen", "tok\u{7}en", "cl\u{e9}"] {
            let e = errors_of(&v, Value::String(bad.into()), true);
            assert_eq!(e.len(), 1, "{bad:?}");
            assert!(e[0].contains("printable ASCII"), "{e:?}");
            assert!(e[0].contains("not shown: it is sensitive"), "{e:?}");
            assert!(!e[0].contains(bad), "a sensitive value is quoted: {e:?}");
        }
    }

    #[test]
    fn one_of_lists_values() {
        let v = one_of(&["inet4", "dual", "none"]);
        assert!(errors(&v, Value::String("dual".into())).is_empty());
        let e = errors(&v, Value::String("ipv9".into()));
        assert!(
            e[0].contains(r#"one of "inet4", "dual", "none"; got "ipv9""#),
            "{e:?}"
        );
    }

    #[test]
    fn uuids_and_durations() {
        assert!(is_uuid("b0e12f6c-4c67-429d-a4a6-d9838b5da047"));
        assert!(!is_uuid("b0e12f6c4c67-429d-a4a6-d9838b5da047x"));
        assert_eq!(
            parse_duration("1h30m"),
            Some(std::time::Duration::from_secs(5400))
        );
        assert_eq!(
            parse_duration("500ms"),
            Some(std::time::Duration::from_millis(500))
        );
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("-5m"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn durations_take_every_go_unit_exactly() {
        use std::time::Duration;
        let cases = [
            ("1500ms", Duration::from_millis(1500)),
            ("2h45m", Duration::from_secs(2 * 3600 + 45 * 60)),
            ("300us", Duration::from_micros(300)),
            ("1\u{b5}s", Duration::from_micros(1)),
            ("1\u{3bc}s", Duration::from_micros(1)),
            ("10ns", Duration::from_nanos(10)),
            ("1.5h", Duration::from_secs(5400)),
            (".5s", Duration::from_millis(500)),
            ("1.s", Duration::from_secs(1)),
            ("1m0.000000001s", Duration::from_nanos(60_000_000_001)),
            ("1h1m1s1ms1us1ns", Duration::from_nanos(3_661_001_001_001)),
            ("0.1h", Duration::from_secs(360)),
            // Written as more than zero: at least a nanosecond, never zero.
            ("0.1ns", Duration::from_nanos(1)),
            ("0s0.0000000001s", Duration::from_nanos(1)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Some(expected), "{text}");
        }
        for zero in ["0s", "0.0h", "0ms0s", "000ns"] {
            assert_eq!(parse_duration(zero), None, "{zero}");
        }
        for bad in [
            "s", ".", ".s", "1.2.3s", "1e3s", "1 s", "1S", "1\u{b5}", "5d", "+5m", "300000h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        // Just under the bound, and a very long fraction, still parse.
        assert!(parse_duration("277777h").is_some());
        let long_fraction = format!("1.{}s", "9".repeat(60));
        assert_eq!(
            parse_duration(&long_fraction),
            Some(Duration::from_nanos(1_999_999_999))
        );
    }

    #[test]
    fn urls_are_parsed_as_the_clients_parse_them() {
        for good in [
            "https://api-{zone}.exoscale.com/v2",
            "http://127.0.0.1:8080/{zone}/v2",
            "https://app.ona.com/api",
            " http://[::1]:9/api ",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "",
            "https://",
            "ftp://api.example.com/v2",
            "api-{zone}.exoscale.com/v2",
            "localhost:8080/api",
            "https://api {zone}.example.com/v2",
            "http://[::1/api",
            "https://app.ona.com:99999/api",
            "https://user@:8080/api",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn the_duration_message_lists_the_units() {
        let e = errors(&duration(), Value::String("5 minutes".into()));
        assert_eq!(
            e,
            ["Invalid value for min_size | min_size must be a positive duration of at most 277777h, such as \"30s\", \"10m\" or \"1h30m\" (units: h, m, s, ms, us or \u{b5}s, ns); got \"5 minutes\"."]
        );
        assert!(errors(&duration(), Value::String("250us".into())).is_empty());
    }
}
