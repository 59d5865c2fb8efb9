//! Just enough proto3 JSON for the warm pool messages, read the way protobuf JSON parsers
//! read it: fields by their JSON (camelCase) or original proto name, `null` = unset,
//! integers as numbers or strings, unknown fields refused. Plus the RFC 3339 timestamps
//! and the protovalidate-style violation messages the real API answers with.

use serde_json::{Map, Value};

use super::connect::{Code, ConnectError};

/// A field of a message: (proto name, JSON name).
pub type Field = (&'static str, &'static str);

/// The fields present in a JSON object, checked against the message's field list.
pub struct Fields<'a> {
    message: &'static str,
    values: Vec<(&'static str, &'a Value)>,
}

impl<'a> Fields<'a> {
    pub fn parse(
        message: &'static str,
        value: &'a Value,
        known: &[Field],
    ) -> Result<Self, ConnectError> {
        let Some(object) = value.as_object() else {
            return Err(unmarshal(message, "expected a JSON object"));
        };
        Self::from_object(message, object, known)
    }

    fn from_object(
        message: &'static str,
        object: &'a Map<String, Value>,
        known: &[Field],
    ) -> Result<Self, ConnectError> {
        let mut values: Vec<(&'static str, &'a Value)> = Vec::new();
        for (key, value) in object {
            let Some((proto, _)) = known.iter().find(|(p, j)| key == p || key == j) else {
                return Err(unmarshal(message, &format!("unknown field {key:?}")));
            };
            if values.iter().any(|(p, _)| p == proto) {
                return Err(unmarshal(message, &format!("duplicate field {key:?}")));
            }
            if !value.is_null() {
                values.push((proto, value));
            }
        }
        Ok(Fields { message, values })
    }

    fn get(&self, proto: &str) -> Option<&'a Value> {
        self.values
            .iter()
            .find(|(p, _)| *p == proto)
            .map(|(_, v)| *v)
    }

    /// A string field; absent = "".
    pub fn string(&self, proto: &str) -> Result<String, ConnectError> {
        match self.get(proto) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(self.bad(proto, "string", other)),
        }
    }

    /// An int32 field; `None` when absent (callers decide what absence means).
    pub fn int32(&self, proto: &str) -> Result<Option<i32>, ConnectError> {
        let Some(value) = self.get(proto) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        parsed
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| self.bad(proto, "int32", value))
    }

    /// A repeated string field; absent = empty.
    pub fn strings(&self, proto: &str) -> Result<Vec<String>, ConnectError> {
        match self.get(proto) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.bad(proto, "string", other)),
                })
                .collect(),
            Some(other) => Err(self.bad(proto, "list", other)),
        }
    }

    /// A nested message field; absent = `None`.
    pub fn message(
        &self,
        proto: &str,
        message: &'static str,
        known: &[Field],
    ) -> Result<Option<Fields<'a>>, ConnectError> {
        match self.get(proto) {
            None => Ok(None),
            Some(Value::Object(object)) => Fields::from_object(message, object, known).map(Some),
            Some(other) => Err(self.bad(proto, "object", other)),
        }
    }

    fn bad(&self, proto: &str, expected: &str, got: &Value) -> ConnectError {
        let got = match got {
            Value::String(_) => "string".to_string(),
            Value::Number(n) => format!("number {n}"),
            Value::Bool(b) => format!("bool {b}"),
            Value::Array(_) => "list".to_string(),
            Value::Object(_) => "object".to_string(),
            Value::Null => "null".to_string(),
        };
        unmarshal(
            self.message,
            &format!("invalid value for {expected} field {proto}: {got}"),
        )
    }
}

fn unmarshal(message: &str, detail: &str) -> ConnectError {
    ConnectError::new(
        Code::InvalidArgument,
        format!("unmarshal into {message}: {detail}"),
    )
}

/// Collects rule violations and answers them the way protovalidate does:
/// `validation error:\n - field: message [rule]` per violation.
#[derive(Default)]
pub struct Violations(Vec<String>);

impl Violations {
    pub fn add(&mut self, field: &str, message: &str, rule: &str) {
        self.0.push(format!(" - {field}: {message} [{rule}]"));
    }

    /// `required` + `string.uuid`, as buf.validate declares them on the id fields.
    pub fn required_uuid(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.add(field, "value is required", "required");
        } else if !is_uuid(value) {
            self.add(field, "value must be a valid UUID", "string.uuid");
        }
    }

    /// `string.uuid` on a field that is not `required` (list items): empty is refused too.
    pub fn uuid(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.add(
                field,
                "value is empty, which is not a valid UUID",
                "string.uuid_empty",
            );
        } else if !is_uuid(value) {
            self.add(field, "value must be a valid UUID", "string.uuid");
        }
    }

    /// `int32.gte_lte`.
    pub fn range(&mut self, field: &str, value: Option<i32>, min: i32, max: i32) {
        if let Some(v) = value {
            if v < min || v > max {
                self.add(
                    field,
                    &format!(
                        "value must be greater than or equal to {min} and less than or equal to {max}"
                    ),
                    "int32.gte_lte",
                );
            }
        }
    }

    pub fn max_items(&mut self, field: &str, len: usize, max: usize) {
        if len > max {
            self.add(
                field,
                &format!("value must contain no more than {max} item(s)"),
                "repeated.max_items",
            );
        }
    }

    pub fn into_result(self) -> Result<(), ConnectError> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(ConnectError::new(
            Code::InvalidArgument,
            format!("validation error:\n{}", self.0.join("\n")),
        ))
    }
}

/// The canonical textual UUID form (any version), as `string.uuid` accepts it.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// RFC 3339 in UTC with `Z`, as protobuf JSON prints a Timestamp (fraction only when non-zero).
pub fn timestamp(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let millis = unix_ms % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let fraction = if millis == 0 {
        String::new()
    } else {
        format!(".{millis:03}")
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_577_470_279_117), "2019-12-27T18:11:19.117Z");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"));
        assert!(is_uuid("182BD5E5-6E1A-4FE4-A799-AA6D9A6AB26E"));
        assert!(!is_uuid("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26"));
        assert!(!is_uuid("182bd5e56e1a4fe4a799aa6d9a6ab26e"));
        assert!(!is_uuid("zzzbd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"));
    }

    #[test]
    fn fields_accept_both_names_and_refuse_unknown() {
        let known = [("min_size", "minSize"), ("project_id", "projectId")];
        let v = serde_json::json!({"min_size": "3", "projectId": "x"});
        let f = Fields::parse("M", &v, &known).unwrap();
        assert_eq!(f.int32("min_size").unwrap(), Some(3));
        assert_eq!(f.string("project_id").unwrap(), "x");
        let v = serde_json::json!({"bogus": 1});
        let e = Fields::parse("M", &v, &known).err().unwrap();
        assert!(
            e.message.contains("unknown field \"bogus\""),
            "{}",
            e.message
        );
        let v = serde_json::json!({"minSize": 1e12});
        let f = Fields::parse("M", &v, &known).unwrap();
        assert!(f.int32("min_size").is_err());
        let v = serde_json::json!({"minSize": 1, "min_size": 2});
        assert!(Fields::parse("M", &v, &known).is_err());
    }
}
