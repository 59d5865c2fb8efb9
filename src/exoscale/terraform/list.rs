//! `list "pools_instance_pool"`: the instance pools of a zone, optionally only those with a
//! given name or carrying given labels, for `terraform query`.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::diagnostics::api_error;
use super::instance_types;
use super::model::{self, InstancePoolModel};
use super::settings::{Exoscale, API_SETTINGS, ZONES};
use crate::plugin::{
    validators, Attribute, Block, Ctx, Diagnostics, ListResource, Listed, Schema, Tri, Type,
};

crate::model! {
    /// The `config` block of `list "pools_instance_pool"`.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct InstancePoolFilter {
        pub zone: Option<String>,
        pub name: Option<String>,
        pub labels: Option<BTreeMap<String, String>>,
    }
}

#[derive(Default)]
pub struct InstancePoolList {}

#[async_trait]
impl ListResource for InstancePoolList {
    type Config = InstancePoolFilter;
    type Model = InstancePoolModel;

    fn type_name(&self) -> &'static str {
        "pools_instance_pool"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Finds the instance pools of a zone.")
                .attribute(
                    Attribute::string("zone")
                        .optional()
                        .describe("The zone to list. Default: the provider's `exoscale.zone`.")
                        .validate(validators::one_of(ZONES)),
                )
                .attribute(
                    Attribute::string("name")
                        .optional()
                        .describe("Only pools with exactly this name.")
                        .validate(validators::not_empty()),
                )
                .attribute(
                    Attribute::map("labels", Type::String)
                        .optional()
                        .describe("Only pools carrying all of these labels (with these values)."),
                ),
        )
    }

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    async fn list(
        &self,
        ctx: &Ctx,
        filter: InstancePoolFilter,
        limit: usize,
    ) -> Result<Vec<Listed<InstancePoolModel>>, Diagnostics> {
        let (client, zone) = Exoscale::client_and_zone(ctx, filter.zone.as_deref())?;
        let pools = client
            .list_instance_pools(&zone)
            .await
            .map_err(|e| api_error("Could not list instance pools", e))?;
        let wanted = |labels: &Option<BTreeMap<String, String>>| {
            filter
                .labels
                .iter()
                .flatten()
                .all(|(k, v)| labels.as_ref().and_then(|l| l.get(k)) == Some(v))
        };
        let mut found = Vec::new();
        for pool in pools {
            let named = filter.name.is_none() || pool.name == filter.name;
            let Some(id) = pool.id.clone().filter(|_| named && wanted(&pool.labels)) else {
                continue;
            };
            if found.len() == limit {
                break;
            }
            // As an import would show it: the instance type by name, defaults as planned.
            let shown = match pool.instance_type.as_ref() {
                Some(t) => instance_types::resolve(client, &zone, &t.id).await?.name(),
                None => String::new(),
            };
            let seed = InstancePoolModel {
                id: Tri::Known(id.clone()),
                zone: Tri::Known(zone.clone()),
                ..Default::default()
            };
            let state = model::refreshed(&seed, &pool, shown);
            let name = pool.name.as_deref().unwrap_or("(no name)");
            found.push(Listed {
                display_name: format!("{name} ({id} in {zone})"),
                state,
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::json;
    use crate::plugin::list_resource;

    #[test]
    fn an_empty_name_filter_is_refused_with_its_path() {
        let list = list_resource(InstancePoolList::default());
        let config = |name: &str| {
            let text = format!(r#"{{"zone": "ch-gva-2", "name": {name}, "labels": null}}"#);
            json::decode(text.as_bytes(), list.config_type()).unwrap()
        };
        assert!(list.validate(&config(r#""web""#)).0.is_empty());
        assert!(list.validate(&config("null")).0.is_empty());
        let diags = list.validate(&config(r#""""#));
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        let path = diags.0[0].path.as_ref().map(|p| p.to_string());
        assert_eq!(path.as_deref(), Some("name"));
        assert!(
            diags.0[0].detail.contains("a non-empty string"),
            "{diags:?}"
        );
    }
}
