//! `moved` from the official Ona provider's `ona_warm_pool` (`gitpod-io/ona`: `id`,
//! `project_id`, `environment_class_id`, `min_size`, `max_size`, `created_at`).

use std::collections::BTreeMap;

use crate::plugin::moves::same;
use crate::plugin::{Diagnostic, Diagnostics, MoveSource, Type, Value};

pub const OFFICIAL_PROVIDER: &str = "registry.terraform.io/gitpod-io/ona";

pub fn source_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("project_id", Type::String),
        ("environment_class_id", Type::String),
        ("min_size", Type::Number),
        ("max_size", Type::Number),
        ("created_at", Type::String),
    ])
}

fn convert(state: &Value) -> Result<Value, Diagnostics> {
    let mut attrs = BTreeMap::new();
    for name in ["id", "project_id", "environment_class_id"] {
        let value = same(state, name);
        if value.is_null() {
            return Err(Diagnostic::error(
                "Cannot move the warm pool",
                format!("The ona_warm_pool state has no `{name}`."),
            )
            .into());
        }
        attrs.insert(name.to_string(), value);
    }
    for name in ["min_size", "max_size", "created_at"] {
        attrs.insert(name.to_string(), same(state, name));
    }
    attrs.insert("wait_for_ready".to_string(), Value::Bool(true));
    Ok(Value::Object(attrs))
}

pub fn sources() -> Vec<MoveSource> {
    vec![MoveSource {
        provider: OFFICIAL_PROVIDER,
        type_name: "ona_warm_pool",
        source_type: source_type(),
        convert,
    }]
}
