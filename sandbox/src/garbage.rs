//! Malformed answers for the `garbage:FORM` faults: what a misbehaving proxy, a cut
//! connection or a newer API version could hand a client. Forms that start from the
//! handler's real answer rewrite its body; the others replace it.

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::faults::Garbage;

/// The pool state `garbage:unknown-enum` puts in Exoscale answers.
pub const NEWER_EXOSCALE_STATE: &str = "hibernating";
/// The phase `garbage:unknown-enum` puts in Ona answers.
pub const NEWER_ONA_PHASE: &str = "WARM_POOL_PHASE_HIBERNATING";

/// Handler bodies are small JSON documents; anything larger is not ours to rewrite.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The answer for a form that does not run the handler.
pub fn replacement(form: Garbage) -> Response {
    match form {
        Garbage::ConnectError => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"code":"internal","message":"injected fault: a Connect error object in a 200 answer"}"#,
        )
            .into_response(),
        // Html, and any form asked for here by mistake: a proxy in front of the API failed.
        _ => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            PROXY_PAGE,
        )
            .into_response(),
    }
}

const PROXY_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n\
<body>\n<h1>502 Bad Gateway</h1>\n<p>The upstream server did not answer.</p>\n\
<hr><address>sandbox-proxy</address>\n</body>\n</html>\n";

/// Rewrites the handler's `response` by `form`, keeping its status and headers.
pub async fn spoil(api: &str, form: Garbage, response: Response) -> Response {
    if !form.runs_handler() {
        return replacement(form);
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bytes = spoil_body(api, form, parts.status.is_success(), bytes);
    // The length changed: let the server compute it from the new body.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// The body part of [`spoil`]. `success` says whether the handler answered 2xx: state
/// and reference rewrites only touch real answers, not error bodies.
pub fn spoil_body(api: &str, form: Garbage, success: bool, body: Bytes) -> Bytes {
    match form {
        Garbage::Truncated => body.slice(..body.len() / 2),
        Garbage::Empty => Bytes::new(),
        Garbage::WrongTypes | Garbage::NoReference | Garbage::UnknownEnum => {
            let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
                return body;
            };
            match form {
                Garbage::WrongTypes => json = wrong_types(json),
                Garbage::NoReference if success => {
                    if let Some(object) = json.as_object_mut() {
                        object.remove("reference");
                    }
                }
                Garbage::UnknownEnum if success => newer_state(api, &mut json),
                _ => {}
            }
            Bytes::from(json.to_string())
        }
        Garbage::Html | Garbage::ConnectError => body,
    }
}

/// Every number becomes the string `"x"` and every string the number of its characters;
/// keys, booleans and nulls stay.
fn wrong_types(value: Value) -> Value {
    match value {
        Value::Number(_) => Value::String("x".into()),
        Value::String(s) => Value::from(s.chars().count()),
        Value::Array(items) => Value::Array(items.into_iter().map(wrong_types).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, wrong_types(value)))
                .collect(),
        ),
        other => other,
    }
}

/// Puts a state a newer API could send into every pool of the answer.
fn newer_state(api: &str, json: &mut Value) {
    if api == "ona" {
        let set = |pool: &mut Value| {
            if let Some(pool) = pool.as_object_mut() {
                let status = pool
                    .entry("status")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(status) = status.as_object_mut() {
                    status.insert("phase".into(), NEWER_ONA_PHASE.into());
                }
            }
        };
        if let Some(pool) = json.get_mut("warmPool") {
            set(pool);
        }
        if let Some(Value::Array(pools)) = json.get_mut("warmPools") {
            pools.iter_mut().for_each(set);
        }
    } else if let Some(Value::Array(pools)) = json.get_mut("instance-pools") {
        for pool in pools.iter_mut().filter_map(Value::as_object_mut) {
            pool.insert("state".into(), NEWER_EXOSCALE_STATE.into());
        }
    } else if let Some(pool) = json.as_object_mut().filter(|p| p.contains_key("id")) {
        pool.insert("state".into(), NEWER_EXOSCALE_STATE.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spoiled(api: &str, form: Garbage, body: Value) -> Value {
        let out = spoil_body(api, form, true, Bytes::from(body.to_string()));
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn wrong_types_swaps_numbers_and_strings_everywhere() {
        let out = spoiled(
            "exoscale",
            Garbage::WrongTypes,
            json!({"id": "abc", "size": 2, "ok": true, "none": null,
                   "labels": {"env": "test"}, "list": [1, "xy"]}),
        );
        assert_eq!(
            out,
            json!({"id": 3, "size": "x", "ok": true, "none": null,
                   "labels": {"env": 4}, "list": ["x", 2]})
        );
    }

    #[test]
    fn truncation_halves_the_bytes_and_empty_empties() {
        let body = Bytes::from_static(br#"{"id":"o1","state":"pending"}"#);
        let cut = spoil_body("exoscale", Garbage::Truncated, true, body.clone());
        assert_eq!(cut.len(), body.len() / 2);
        assert!(body.starts_with(&cut));
        assert!(serde_json::from_slice::<Value>(&cut).is_err());
        assert!(spoil_body("ona", Garbage::Empty, true, body).is_empty());
    }

    #[test]
    fn reference_and_state_rewrites_touch_only_their_fields() {
        let op = json!({"id": "o1", "state": "pending", "reference": {"id": "p1"}});
        assert_eq!(
            spoiled("exoscale", Garbage::NoReference, op),
            json!({"id": "o1", "state": "pending"})
        );
        assert_eq!(
            spoiled(
                "exoscale",
                Garbage::UnknownEnum,
                json!({"id": "p1", "state": "running"})
            ),
            json!({"id": "p1", "state": NEWER_EXOSCALE_STATE})
        );
        assert_eq!(
            spoiled(
                "exoscale",
                Garbage::UnknownEnum,
                json!({"instance-pools": [{"id": "a", "state": "running"}, {"id": "b"}]})
            ),
            json!({"instance-pools": [{"id": "a", "state": NEWER_EXOSCALE_STATE},
                                      {"id": "b", "state": NEWER_EXOSCALE_STATE}]})
        );
        assert_eq!(
            spoiled(
                "ona",
                Garbage::UnknownEnum,
                json!({"warmPool": {"id": "w", "status": {"phase": "WARM_POOL_PHASE_READY", "runningInstances": 1}}})
            ),
            json!({"warmPool": {"id": "w", "status": {"phase": NEWER_ONA_PHASE, "runningInstances": 1}}})
        );
        assert_eq!(
            spoiled(
                "ona",
                Garbage::UnknownEnum,
                json!({"warmPools": [{"id": "w"}], "pagination": {}})
            ),
            json!({"warmPools": [{"id": "w", "status": {"phase": NEWER_ONA_PHASE}}], "pagination": {}})
        );
        // Error answers keep their shape.
        let error = Bytes::from_static(br#"{"message":"not found"}"#);
        let out = spoil_body("exoscale", Garbage::UnknownEnum, false, error);
        assert_eq!(&out[..], br#"{"message":"not found"}"#);
    }
}
