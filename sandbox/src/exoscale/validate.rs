//! Request-body validation for instance pool create and update, with the limits of the
//! official OpenAPI document (exoscale 0.16.4). Accepted fields come back normalised
//! (references reduced to their `id`/`name`), ready to store in a pool's spec.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::fixtures;
use super::model::ApiError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// Fields a create must carry.
const REQUIRED: [&str; 5] = ["name", "size", "instance-type", "template", "disk-size"];

/// Checks a create or update body. In an update, `null` on a field means "reset it": it is
/// returned as `Value::Null` for the caller to remove.
pub fn pool_fields(body: &Value, mode: Mode) -> Result<Map<String, Value>, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("request body must be a JSON object"))?;
    if mode == Mode::Create {
        if let Some(missing) = REQUIRED.iter().find(|k| !object.contains_key(**k)) {
            return Err(ApiError::bad_request(format!(
                "required key [{missing}] not found"
            )));
        }
    }
    let mut out = Map::new();
    for (key, value) in object {
        if value.is_null() && mode == Mode::Update {
            out.insert(key.clone(), Value::Null);
            continue;
        }
        let checked = match key.as_str() {
            "name" => string(key, value, 1, 255)?,
            "description" => string(key, value, 0, 255)?,
            "instance-prefix" => string(key, value, 1, 30)?,
            "user-data" => user_data(value)?,
            // The size of an existing pool changes through :scale only.
            "size" if mode == Mode::Create => integer(key, value, 1, i64::MAX)?,
            "disk-size" => integer(key, value, 10, 51200)?,
            "min-available" => integer(key, value, 0, i64::MAX)?,
            "ipv6-enabled" | "application-consistent-snapshot-enabled" => boolean(key, value)?,
            "public-ip-assignment" => public_ip(value, mode)?,
            "labels" => labels(value)?,
            "instance-type" => reference(key, value, "id", fixtures::instance_types())?,
            "template" => reference(key, value, "id", fixtures::templates())?,
            "deploy-target" => reference(key, value, "id", fixtures::deploy_targets())?,
            "ssh-key" => reference(key, value, "name", fixtures::ssh_keys())?,
            "security-groups" => references(key, value, "id", fixtures::security_groups)?,
            "anti-affinity-groups" => references(key, value, "id", fixtures::anti_affinity_groups)?,
            "private-networks" => references(key, value, "id", fixtures::private_networks)?,
            "elastic-ips" => references(key, value, "id", fixtures::elastic_ips)?,
            "ssh-keys" => references(key, value, "name", fixtures::ssh_keys)?,
            // Unknown and read-only fields are ignored, as JSON APIs commonly do.
            _ => continue,
        };
        out.insert(key.clone(), checked);
    }
    Ok(out)
}

fn invalid(key: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("invalid value for {key}: {why}"))
}

fn string(key: &str, value: &Value, min: usize, max: usize) -> Result<Value, ApiError> {
    let s = value
        .as_str()
        .ok_or_else(|| invalid(key, "must be a string"))?;
    let length = s.chars().count();
    if length < min || length > max {
        return Err(invalid(
            key,
            format!("length must be between {min} and {max} characters (got {length})"),
        ));
    }
    Ok(value.clone())
}

fn integer(key: &str, value: &Value, min: i64, max: i64) -> Result<Value, ApiError> {
    let n = value
        .as_i64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            if max == i64::MAX {
                invalid(key, format!("must be an integer >= {min}"))
            } else {
                invalid(key, format!("must be an integer between {min} and {max}"))
            }
        })?;
    Ok(Value::from(n))
}

fn boolean(key: &str, value: &Value) -> Result<Value, ApiError> {
    value
        .as_bool()
        .map(Value::from)
        .ok_or_else(|| invalid(key, "must be a boolean"))
}

fn user_data(value: &Value) -> Result<Value, ApiError> {
    let s = string("user-data", value, 1, 32768)?;
    let text = s.as_str().unwrap_or_default();
    if STANDARD.decode(text).is_err() {
        return Err(invalid("user-data", "must be base64-encoded"));
    }
    Ok(s)
}

fn public_ip(value: &Value, mode: Mode) -> Result<Value, ApiError> {
    let allowed: &[&str] = match mode {
        Mode::Create => &["dual", "inet4", "none"],
        Mode::Update => &["dual", "inet4"],
    };
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(value.clone()),
        _ => Err(invalid(
            "public-ip-assignment",
            format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

fn labels(value: &Value) -> Result<Value, ApiError> {
    let map = value
        .as_object()
        .ok_or_else(|| invalid("labels", "must be an object of strings"))?;
    if map.values().any(|v| !v.is_string()) {
        return Err(invalid("labels", "values must be strings"));
    }
    Ok(value.clone())
}

/// A `{"id": ...}` (or `{"name": ...}`) reference to an existing catalogue entry.
fn reference(
    key: &str,
    value: &Value,
    field: &str,
    catalogue: Vec<Value>,
) -> Result<Value, ApiError> {
    let id = value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(key, format!("must be an object with a string `{field}`")))?;
    if field == "id" && !is_uuid(id) {
        return Err(invalid(key, format!("`{id}` is not a UUID")));
    }
    if fixtures::find(catalogue, field, id).is_none() {
        return Err(ApiError::not_found(format!("{key} {id} not found")));
    }
    Ok(serde_json::json!({ field: id }))
}

fn references(
    key: &str,
    value: &Value,
    field: &str,
    catalogue: fn() -> Vec<Value>,
) -> Result<Value, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| invalid(key, "must be an array"))?;
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let checked = reference(key, item, field, catalogue())?;
        if out.contains(&checked) {
            return Err(invalid(key, "items must be unique"));
        }
        out.push(checked);
    }
    Ok(Value::Array(out))
}

/// 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create_body() -> Value {
        json!({"name": "web", "size": 2, "disk-size": 10,
               "instance-type": {"id": fixtures::INSTANCE_TYPE_SMALL},
               "template": {"id": fixtures::TEMPLATE_UBUNTU}})
    }

    #[test]
    fn accepts_a_minimal_create_and_ignores_unknown_fields() {
        let mut body = create_body();
        body["whatever"] = json!(1);
        let fields = pool_fields(&body, Mode::Create).unwrap();
        assert_eq!(fields["size"], 2);
        assert!(!fields.contains_key("whatever"));
    }

    #[test]
    fn enforces_limits() {
        for (key, value) in [
            ("disk-size", json!(9)),
            ("disk-size", json!(51201)),
            ("disk-size", json!(1e300)),
            ("size", json!(0)),
            ("size", json!(18446744073709551615u64)),
            ("instance-prefix", json!("")),
            ("instance-prefix", json!("x".repeat(31))),
            ("user-data", json!("not base64!")),
            ("user-data", json!("QUFB".repeat(8193))),
            ("public-ip-assignment", json!("ipv6")),
            ("labels", json!({"a": 1})),
            ("template", json!({"id": "nope"})),
        ] {
            let mut body = create_body();
            body[key] = value.clone();
            let err = pool_fields(&body, Mode::Create).unwrap_err();
            assert_eq!(err.status.as_u16(), 400, "{key}={value}");
            assert!(err.message.contains(key), "{}", err.message);
        }
        let mut body = create_body();
        body["template"] = json!({"id": "22222222-0000-4000-8000-00000000dead"});
        assert_eq!(
            pool_fields(&body, Mode::Create)
                .unwrap_err()
                .status
                .as_u16(),
            404
        );
        let err = pool_fields(&json!({"name": "x"}), Mode::Create).unwrap_err();
        assert!(
            err.message.contains("required key [size]"),
            "{}",
            err.message
        );
        assert!(pool_fields(&json!([1]), Mode::Update).is_err());
        let err = pool_fields(&json!({"public-ip-assignment": "none"}), Mode::Update).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
    }

    #[test]
    fn update_null_means_reset() {
        let fields = pool_fields(&json!({"description": null}), Mode::Update).unwrap();
        assert_eq!(fields["description"], Value::Null);
    }
}
