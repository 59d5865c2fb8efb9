//! Instance types: resolving a user's `family.size` (any case) or id to the API's type,
//! with each zone's catalogue fetched once per provider process (it does not change during
//! a run, so planning many pools costs one call per zone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::client::ExoscaleClient;
use super::model::{find_instance_type, normalize_instance_type_name, InstanceType};
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::validators::{self, is_uuid};

#[derive(Default)]
pub struct InstanceTypes {
    by_zone: Mutex<HashMap<String, Arc<Vec<InstanceType>>>>,
}

impl InstanceTypes {
    /// The instance type `text` names in `zone`, or an error listing the zone's types.
    pub async fn resolve(
        &self,
        client: &ExoscaleClient,
        zone: &str,
        text: &str,
    ) -> Result<InstanceType, Diagnostics> {
        let known = self.cache().get(zone).cloned();
        let types = match known {
            Some(types) => types,
            None => {
                let listed = client.list_instance_types(zone).await.map_err(|e| {
                    Diagnostics::from(Diagnostic::error(
                        "Could not list instance types",
                        e.to_string(),
                    ))
                })?;
                let listed = Arc::new(listed);
                self.cache().insert(zone.to_string(), listed.clone());
                listed
            }
        };
        find(&types, zone, text)
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<String, Arc<Vec<InstanceType>>>> {
        self.by_zone.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn find(types: &[InstanceType], zone: &str, text: &str) -> Result<InstanceType, Diagnostics> {
    let found = types
        .iter()
        .find(|t| t.id == text)
        .or_else(|| find_instance_type(types, text));
    if let Some(found) = found {
        return Ok(found.clone());
    }
    let mut names: Vec<String> = types.iter().map(InstanceType::name).collect();
    names.sort();
    Err(Diagnostic::error(
        "Unknown instance type",
        format!(
            "instance_type must be an instance type of zone {zone}, as `family.size` or its id; got {text:?}. Known types: {}.",
            names.join(", ")
        ),
    )
    .at(AttrPath::attrs(&["instance_type"]))
    .into())
}

/// Two spellings of one instance type name (`Standard.Small` and `standard.small`).
pub fn same_name(a: &Value, b: &Value) -> bool {
    matches!((a.as_str(), b.as_str()), (Some(a), Some(b)) if a.trim().eq_ignore_ascii_case(b.trim()))
}

pub fn validator() -> impl validators::Validator {
    validators::custom(
        "an instance type as `family.size` (like \"standard.medium\") or an instance type id",
        |v| {
            v.as_str()
                .is_some_and(|s| is_uuid(s) || normalize_instance_type_name(s).is_some())
        },
    )
}
