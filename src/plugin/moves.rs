//! Moving state from another provider's resource type (`moved { from = ..., to = ... }`
//! across providers, protocol 6.5, Terraform 1.8+): the target resource declares the
//! sources it understands, each with the part of the source's state layout it reads and
//! a function to its own model. Nothing is created or destroyed: the object keeps existing
//! and the next refresh fills in what the source did not have.

use super::cty::json::{decode_with, DecodeOptions};
use super::cty::{Type, Value};
use super::diag::{Diagnostic, Diagnostics};

pub struct MoveSource {
    /// The source provider's address, as Terraform sends it (`registry.terraform.io/o/n`).
    pub provider: &'static str,
    pub type_name: &'static str,
    /// The source state's attributes this move reads (others are ignored).
    pub source_type: Type,
    /// From the source state to a value of the target resource's model.
    pub convert: fn(&Value) -> Result<Value, Diagnostics>,
}

/// The target state for `raw_json`, a state of `type_name` from `provider`.
pub fn move_state(
    sources: &[MoveSource],
    provider: &str,
    type_name: &str,
    raw_json: &[u8],
) -> Result<Value, Diagnostics> {
    let Some(source) = sources
        .iter()
        .find(|s| s.provider == provider && s.type_name == type_name)
    else {
        let known: Vec<String> = sources
            .iter()
            .map(|s| format!("{} from {}", s.type_name, s.provider))
            .collect();
        return Err(Diagnostic::error(
            "Unsupported move",
            format!(
                "Cannot move a {type_name} of {provider} here; this resource type accepts {}.",
                if known.is_empty() {
                    "no moves".to_string()
                } else {
                    known.join(", ")
                }
            ),
        )
        .into());
    };
    let options = DecodeOptions {
        ignore_unknown_attributes: true,
    };
    let state = decode_with(raw_json, &source.source_type, options).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Invalid source state",
            format!("The state of the {type_name} to move could not be read: {e}"),
        ))
    })?;
    (source.convert)(&state)
}

/// A source state's string, treating "" (how SDKv2 providers store an unset string) as null.
pub fn text(state: &Value, name: &str) -> Value {
    match state.attr(name) {
        Value::String(s) if !s.is_empty() => Value::String(s.clone()),
        _ => Value::Null,
    }
}

/// A source state's set or list, treating an empty one as null.
pub fn non_empty(state: &Value, name: &str) -> Value {
    match state.attr(name) {
        Value::Set(v) | Value::List(v) if !v.is_empty() => Value::Set(v.clone()),
        _ => Value::Null,
    }
}

/// A source state's value as it is (null when absent).
pub fn same(state: &Value, name: &str) -> Value {
    state.attr(name).clone()
}
