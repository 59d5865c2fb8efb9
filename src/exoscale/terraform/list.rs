//! `list "pools_instance_pool"`: the instance pools of a zone, optionally only those with a
//! given name or carrying given labels, for `terraform query`. Pools another service
//! manages (such as an SKS nodepool's) are left out unless the config asks for them: they
//! must not be changed behind their manager's back.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::descriptions;
use super::diagnostics::api_error;
use super::instance_types;
use super::labels;
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
        pub include_managed: Option<bool>,
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
                )
                .attribute(
                    Attribute::bool("include_managed")
                        .optional()
                        .describe(descriptions::INCLUDE_MANAGED),
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
        let include_managed = filter.include_managed == Some(true);
        let mut found = Vec::new();
        for pool in pools {
            let named = filter.name.is_none() || pool.name == filter.name;
            let allowed = include_managed || pool.manager.is_none();
            let Some(id) = pool
                .id
                .clone()
                .filter(|_| named && allowed && wanted(&pool.labels))
            else {
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
            let mut state = model::refreshed(&seed, &pool, shown);
            labels::split_read(ctx, &seed.labels, &mut state.labels);
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
    use crate::plugin::{list_resource, Value};
    use crate::testing::{object, s, Harness};
    use pools_sandbox::exoscale::fixtures as fx;

    /// Managed pools are left out unless `include_managed`; each listed pool's labels are
    /// its own, the provider's defaults left out, as an import would show them.
    #[tokio::test]
    async fn managed_pools_are_listed_only_when_asked_for() {
        let mut h = Harness::start().await;
        let defaults = Value::Map([("team".to_string(), s("platform"))].into());
        h.reconfigure("exoscale", "default_labels", defaults, false)
            .await;
        let client = h.ctx.data::<Exoscale>().unwrap().client().unwrap();
        let body = serde_json::from_value(serde_json::json!({
            "name": "web", "size": 1, "disk-size": 10,
            "labels": {"team": "platform", "app": "web"},
            "instance-type": {"id": fx::INSTANCE_TYPE_SMALL},
            "template": {"id": fx::TEMPLATE_UBUNTU}
        }))
        .unwrap();
        let op = client
            .create_instance_pool("ch-gva-2", &body)
            .await
            .unwrap();
        let ours = op.reference_id().unwrap().to_string();
        let list = list_resource(InstancePoolList::default());
        let listed = |include: Value| {
            let config = object([("zone", s("ch-gva-2")), ("include_managed", include)]);
            crate::plugin::conform(config, list.config_type())
        };
        let ids = |found: &[(String, Value)]| -> Vec<String> {
            let mut ids: Vec<String> = found
                .iter()
                .filter_map(|(_, state)| state.attr("id").as_str().map(str::to_string))
                .collect();
            ids.sort();
            ids
        };
        for left_out in [Value::Null, Value::Bool(false)] {
            let (found, diags) = list.list(&h.ctx, listed(left_out), 10).await;
            assert!(diags.is_empty(), "{diags}");
            assert_eq!(ids(&found), std::slice::from_ref(&ours));
            let state = &found[0].1;
            let own = Value::Map([("app".to_string(), s("web"))].into());
            assert_eq!(state.attr("labels"), &own);
        }
        let (found, diags) = list.list(&h.ctx, listed(Value::Bool(true)), 10).await;
        assert!(diags.is_empty(), "{diags}");
        let mut both = vec![ours, fx::MANAGED_POOL.to_string()];
        both.sort();
        assert_eq!(ids(&found), both);
    }

    #[test]
    fn an_empty_name_filter_is_refused_with_its_path() {
        let list = list_resource(InstancePoolList::default());
        let config = |name: &str| {
            let text = format!(
                r#"{{"zone": "ch-gva-2", "name": {name}, "labels": null, "include_managed": null}}"#
            );
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
