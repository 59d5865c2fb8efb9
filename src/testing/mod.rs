//! Test support: drives resources and data sources the way Terraform does (validate, plan
//! with a proposed new state, apply, read) against an in-process sandbox.

pub mod http_server;

use std::collections::BTreeMap;
use std::sync::Arc;

use pools_sandbox::{Config, Sandbox};

use crate::exoscale::client::ExoscaleClient;
use crate::ona::client::OnaClient;
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::resource::{AnyDataSource, AnyResource, Ctx};
use crate::plugin::schema::Block;
use crate::provider::ProviderData;
use crate::wait::Stop;

pub struct Harness {
    pub sandbox: Sandbox,
    pub ctx: Ctx,
}

/// The result of planning a change, as Terraform would see it.
pub struct Planned {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diagnostics: Diagnostics,
}

impl Harness {
    /// A sandbox with fast operations, and a provider configured for it (zone ch-gva-2).
    pub async fn start() -> Harness {
        Harness::with_config(Config {
            operation_duration: std::time::Duration::from_millis(100),
            warm_pool_settle: std::time::Duration::from_millis(100),
            ..Config::default()
        })
        .await
    }

    pub async fn with_config(config: Config) -> Harness {
        let sandbox = Sandbox::start(config.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let stop = Stop::new();
        let exoscale = ExoscaleClient::new(
            &config.exoscale_key,
            &config.exoscale_secret,
            &sandbox.exoscale_endpoint(),
        )
        .unwrap()
        .with_stop(stop.clone());
        let ona = OnaClient::new(&config.ona_token, &sandbox.ona_endpoint())
            .unwrap()
            .with_stop(stop.clone());
        let data = ProviderData {
            exoscale: Ok(exoscale),
            default_zone: "ch-gva-2".into(),
            ona: Ok(ona),
        };
        Harness {
            sandbox,
            ctx: Ctx::new(Some(Arc::new(data)), stop),
        }
    }

    /// Validates a configuration.
    pub fn validate(&self, resource: &dyn AnyResource, config: &Value) -> Diagnostics {
        resource.validate(&conform_config(&resource.schema().block, config))
    }

    /// Plans `config` (an object with only the attributes the user set) against `prior`
    /// (null to create), building Terraform's proposed new state first.
    pub async fn plan(&self, resource: &dyn AnyResource, prior: &Value, config: &Value) -> Planned {
        let config = conform_config(&resource.schema().block, config);
        let proposed = proposed_new(&resource.schema().block, prior, &config);
        let (planned, requires_replace, diagnostics) = resource
            .plan(&self.ctx, prior.clone(), proposed, config)
            .await;
        Planned {
            planned,
            requires_replace,
            diagnostics,
        }
    }

    pub async fn apply(
        &self,
        resource: &dyn AnyResource,
        prior: &Value,
        planned: &Value,
    ) -> (Value, Diagnostics) {
        resource
            .apply(&self.ctx, prior.clone(), planned.clone())
            .await
    }

    /// Plan then apply; panics on error diagnostics. Returns the new state.
    pub async fn converge(
        &self,
        resource: &dyn AnyResource,
        prior: &Value,
        config: &Value,
    ) -> Value {
        let plan = self.plan(resource, prior, config).await;
        assert!(
            !plan.diagnostics.has_errors(),
            "plan failed: {}",
            plan.diagnostics
        );
        let (state, diags) = self.apply(resource, prior, &plan.planned).await;
        assert!(!diags.has_errors(), "apply failed: {diags}");
        state
    }

    /// How many requests the sandbox served for `route` (e.g. `scale-instance-pool`).
    pub fn calls(&self, route: &str) -> usize {
        self.sandbox
            .requests()
            .routes()
            .iter()
            .filter(|r| **r == route)
            .count()
    }

    pub async fn read(&self, resource: &dyn AnyResource, state: &Value) -> (Value, Diagnostics) {
        resource.read(&self.ctx, state.clone()).await
    }

    pub async fn import(&self, resource: &dyn AnyResource, id: &str) -> (Value, Diagnostics) {
        resource.import(&self.ctx, id).await
    }

    pub async fn read_data(
        &self,
        data_source: &dyn AnyDataSource,
        config: &Value,
    ) -> (Value, Diagnostics) {
        let config = conform_config(&data_source.schema().block, config);
        data_source.read(&self.ctx, config).await
    }
}

/// An object value from (name, value) pairs: `object([("name", s("web")), ("size", n(2))])`.
pub fn object<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::Object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The `id` of a state value; panics when there is none.
pub fn id_of(state: &Value) -> String {
    match crate::plugin::resource::attr(state, "id") {
        Value::String(id) => id.clone(),
        other => panic!("state has no id: {other:?}"),
    }
}

pub fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

pub fn n(number: i64) -> Value {
    Value::Number(crate::plugin::cty::Number::from_i64(number))
}

/// Fills every attribute and block the user left out with null, as Terraform does.
fn conform_config(block: &Block, config: &Value) -> Value {
    crate::plugin::model::conform(config.clone(), &block.ty())
}

/// Terraform's proposed new state: configured values, and for computed attributes the user
/// left null, the prior state's value.
fn proposed_new(block: &Block, prior: &Value, config: &Value) -> Value {
    let (Value::Object(config_attrs), Value::Object(prior_attrs)) = (config, prior) else {
        return config.clone();
    };
    let mut out: BTreeMap<String, Value> = config_attrs.clone();
    for a in &block.attributes {
        if a.is_computed() && matches!(config_attrs.get(&a.name), None | Some(Value::Null)) {
            out.insert(
                a.name.clone(),
                prior_attrs.get(&a.name).cloned().unwrap_or(Value::Null),
            );
        }
    }
    Value::Object(out)
}
