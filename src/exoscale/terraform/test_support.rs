//! What the instance pool tests share: the resource behind the framework's adapter, and a
//! minimal valid configuration to start from.

use std::collections::BTreeMap;

use pools_sandbox::exoscale::fixtures as fx;

use super::resource::InstancePoolResource;
use crate::plugin::{resource, AnyResource, Value};
use crate::testing::{n, s};

pub fn pool_resource() -> Box<dyn AnyResource> {
    resource(InstancePoolResource::default())
}

/// A minimal valid configuration (pool `web`, size 2) with `changes` applied: a null value
/// removes the attribute.
pub fn pool_config(changes: &[(&str, Value)]) -> Value {
    let mut attrs: BTreeMap<String, Value> = [
        ("name", s("web")),
        ("size", n(2)),
        ("instance_type", s("standard.small")),
        ("template_id", s(fx::TEMPLATE_UBUNTU)),
        ("disk_size", n(10)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in changes {
        match v {
            Value::Null => attrs.remove(*k),
            v => attrs.insert(k.to_string(), v.clone()),
        };
    }
    Value::Object(attrs)
}

/// A map of strings, as `labels` takes it.
pub fn map(items: &[(&str, &str)]) -> Value {
    Value::Map(items.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}
