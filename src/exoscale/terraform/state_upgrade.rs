//! Reading `pools_instance_pool` state written by earlier schema versions.
//!
//! Version 1 added `read` to the `timeouts` block. (Attributes added since, the computed
//! `instances` and `labels_all`, need no new version: state without them reads them as null
//! until the next refresh.) Each earlier version's type is written out
//! here as it was released, not derived from the current schema (which will change again),
//! and its upgrader maps it straight to the current version. A future version adds its own
//! prior type and upgrader beside these, and updates the existing upgraders' output.

use crate::plugin::{Diagnostic, Diagnostics, StateUpgrader, Type, Value};

pub fn upgraders() -> Vec<StateUpgrader> {
    vec![StateUpgrader::new(0, v0_type(), from_v0)]
}

/// The resource's value type at schema version 0 (releases up to 0.1.0).
pub(super) fn v0_type() -> Type {
    let set_of_strings = || Type::Set(Box::new(Type::String));
    let attrs = [
        ("id", Type::String),
        ("zone", Type::String),
        ("name", Type::String),
        ("description", Type::String),
        ("size", Type::Number),
        ("instance_type", Type::String),
        ("instance_type_id", Type::String),
        ("template_id", Type::String),
        ("disk_size", Type::Number),
        ("instance_prefix", Type::String),
        ("labels", Type::Map(Box::new(Type::String))),
        ("security_group_ids", set_of_strings()),
        ("private_network_ids", set_of_strings()),
        ("anti_affinity_group_ids", set_of_strings()),
        ("elastic_ip_ids", set_of_strings()),
        ("ssh_keys", set_of_strings()),
        ("user_data", Type::String),
        ("public_ip_assignment", Type::String),
        ("ipv6_enabled", Type::Bool),
        ("min_available", Type::Number),
        ("deploy_target_id", Type::String),
        ("application_consistent_snapshot_enabled", Type::Bool),
        ("wait_for_instances", Type::Bool),
        ("state", Type::String),
        ("instance_ids", Type::List(Box::new(Type::String))),
        ("manager_id", Type::String),
        ("manager_type", Type::String),
        (
            "timeouts",
            Type::object([
                ("create", Type::String),
                ("update", Type::String),
                ("delete", Type::String),
            ]),
        ),
    ];
    Type::object(attrs)
}

/// Version 0 to the current version: everything carries over; `timeouts.read` is null
/// (its default applies), an absent `timeouts` block stays absent, and `instances` and
/// `labels_all` (added later) are null until the next refresh.
fn from_v0(value: Value) -> Result<Value, Diagnostics> {
    let Value::Object(mut attrs) = value else {
        return Err(Diagnostic::error(
            "Invalid stored state",
            "The stored pools_instance_pool state (schema version 0) is not an object.",
        )
        .into());
    };
    if let Some(Value::Object(timeouts)) = attrs.get_mut("timeouts") {
        timeouts.insert("read".to_string(), Value::Null);
    }
    // Added since, computed: the next refresh fills them.
    attrs.insert("instances".to_string(), Value::Null);
    attrs.insert("labels_all".to_string(), Value::Null);
    Ok(Value::Object(attrs))
}
