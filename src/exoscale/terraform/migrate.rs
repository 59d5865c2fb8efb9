//! `moved` from the official Exoscale provider's `exoscale_instance_pool` (its layout as of
//! v0.70: `network_ids`, `key_pair`, `ipv6`, the deprecated `affinity_group_ids`,
//! `service_offering` and `virtual_machines`, an `instances` set, and SDKv2's empty strings
//! for unset text). Its `labels` are left to the refresh after the move, which alone knows
//! which of them are the provider's default labels.

use std::collections::BTreeMap;

use crate::plugin::moves::{non_empty, same, text};
use crate::plugin::{Diagnostic, Diagnostics, MoveSource, Number, Type, Value};

pub const OFFICIAL_PROVIDER: &str = "registry.terraform.io/exoscale/exoscale";

/// The part of their state this move reads.
pub fn source_type() -> Type {
    let strings = || Type::Set(Box::new(Type::String));
    Type::object([
        ("id", Type::String),
        ("zone", Type::String),
        ("name", Type::String),
        ("description", Type::String),
        ("size", Type::Number),
        ("instance_type", Type::String),
        ("service_offering", Type::String),
        ("template_id", Type::String),
        ("disk_size", Type::Number),
        ("instance_prefix", Type::String),
        ("security_group_ids", strings()),
        ("network_ids", strings()),
        ("affinity_group_ids", strings()),
        ("anti_affinity_group_ids", strings()),
        ("elastic_ip_ids", strings()),
        ("key_pair", Type::String),
        ("ipv6", Type::Bool),
        ("user_data", Type::String),
        ("deploy_target_id", Type::String),
        ("state", Type::String),
        ("virtual_machines", strings()),
        (
            "instances",
            Type::Set(Box::new(Type::object([
                ("id", Type::String),
                ("name", Type::String),
                ("ipv6_address", Type::String),
                ("public_ip_address", Type::String),
            ]))),
        ),
        (
            "timeouts",
            Type::object([
                ("create", Type::String),
                ("read", Type::String),
                ("update", Type::String),
                ("delete", Type::String),
            ]),
        ),
    ])
}

fn required(state: &Value, name: &str) -> Result<Value, Diagnostics> {
    match same(state, name) {
        Value::Null => Err(Diagnostic::error(
            "Cannot move the instance pool",
            format!("The exoscale_instance_pool state has no `{name}`."),
        )
        .into()),
        value => Ok(value),
    }
}

fn convert(state: &Value) -> Result<Value, Diagnostics> {
    let or = |a: Value, b: Value| if a.is_null() { b } else { a };
    let instance_type = or(
        text(state, "instance_type"),
        text(state, "service_offering"),
    );
    if instance_type.is_null() {
        return required(state, "instance_type");
    }
    let members = match same(state, "instances") {
        Value::Set(items) if !items.is_empty() => items
            .iter()
            .map(|i| same(i, "id"))
            .filter(|v| !v.is_null())
            .collect(),
        _ => match same(state, "virtual_machines") {
            Value::Set(ids) => ids,
            _ => Vec::new(),
        },
    };
    let ssh_keys = match text(state, "key_pair") {
        Value::Null => Value::Null,
        key => Value::Set(vec![key]),
    };
    let attrs: BTreeMap<String, Value> = [
        ("id", required(state, "id")?),
        ("zone", required(state, "zone")?),
        ("name", required(state, "name")?),
        ("description", text(state, "description")),
        ("size", required(state, "size")?),
        ("instance_type", instance_type),
        ("template_id", required(state, "template_id")?),
        ("disk_size", required(state, "disk_size")?),
        (
            "instance_prefix",
            or(text(state, "instance_prefix"), Value::String("pool".into())),
        ),
        // The move cannot know the provider's default labels: the refresh that follows it
        // reads the labels and leaves the defaults out of `labels` (see labels.rs).
        ("labels", Value::Null),
        ("labels_all", Value::Null),
        ("security_group_ids", non_empty(state, "security_group_ids")),
        ("private_network_ids", non_empty(state, "network_ids")),
        (
            "anti_affinity_group_ids",
            or(
                non_empty(state, "anti_affinity_group_ids"),
                non_empty(state, "affinity_group_ids"),
            ),
        ),
        ("elastic_ip_ids", non_empty(state, "elastic_ip_ids")),
        ("ssh_keys", ssh_keys),
        ("user_data", text(state, "user_data")),
        ("ipv6_enabled", same(state, "ipv6")),
        ("deploy_target_id", text(state, "deploy_target_id")),
        ("state", text(state, "state")),
        ("instance_ids", Value::List(members)),
        ("min_available", Value::Number(Number::from_i64(0))),
        (
            "application_consistent_snapshot_enabled",
            Value::Bool(false),
        ),
        ("wait_for_instances", Value::Bool(false)),
        ("timeouts", same(state, "timeouts")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(Value::Object(attrs))
}

pub fn sources() -> Vec<MoveSource> {
    vec![MoveSource {
        provider: OFFICIAL_PROVIDER,
        type_name: "exoscale_instance_pool",
        source_type: source_type(),
        convert,
    }]
}
