//! Test support: drives resources and data sources the way Terraform does (validate, plan
//! with a proposed new state, apply, read) against an in-process sandbox, and checks every
//! plan and apply against Terraform core's consistency rules, so a resource test fails
//! where Terraform would report "Provider produced inconsistent result".

mod consistency;
pub mod http_server;

use std::collections::BTreeMap;
use std::sync::Arc;

use pools_sandbox::{Config, Sandbox};

use crate::plugin::{
    AnyDataSource, AnyResource, Block, Ctx, Diagnostics, Planned, Provider, Stop, Value,
};
use crate::provider::PoolsProvider;
use consistency::{apply_violations, later_plan_violations, plan_violations};

pub struct Harness {
    pub sandbox: Sandbox,
    pub ctx: Ctx,
    /// The provider configuration `ctx` was made from.
    provider_config: Value,
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
        let provider_config = object([
            (
                "exoscale",
                object([
                    ("key", s(&config.exoscale_key)),
                    ("secret", s(&config.exoscale_secret)),
                    ("endpoint", s(&sandbox.exoscale_endpoint())),
                    ("zone", s("ch-gva-2")),
                ]),
            ),
            (
                "ona",
                object([
                    ("token", s(&config.ona_token)),
                    ("endpoint", s(&sandbox.ona_endpoint())),
                ]),
            ),
        ]);
        let ctx = configure(&provider_config).await;
        Harness {
            sandbox,
            ctx,
            provider_config,
        }
    }

    /// Configures the provider again with `block.name` (e.g. `exoscale.zone`) set to
    /// `value`, which may be unknown, as when Terraform plans with settings known only at
    /// apply. `deferral` says whether Terraform accepts deferred answers.
    pub async fn reconfigure(&mut self, block: &str, name: &str, value: Value, deferral: bool) {
        if let Value::Object(blocks) = &mut self.provider_config {
            if let Some(Value::Object(attrs)) = blocks.get_mut(block) {
                attrs.insert(name.to_string(), value);
            }
        }
        self.ctx = configure(&self.provider_config)
            .await
            .with_deferral(deferral);
    }

    /// Validates a configuration.
    pub fn validate(&self, resource: &dyn AnyResource, config: &Value) -> Diagnostics {
        resource.validate(&conform_config(&resource.schema().block, config))
    }

    /// Plans `config` (an object with only the attributes the user set) against `prior`
    /// (null to create), building Terraform's proposed new state first. Panics if the plan
    /// breaks Terraform's rules.
    pub async fn plan(&self, resource: &dyn AnyResource, prior: &Value, config: &Value) -> Planned {
        let block = &resource.schema().block;
        let config = conform_config(block, config);
        let proposed = proposed_new(block, prior, &config);
        let plan = resource
            .plan(&self.ctx, prior.clone(), proposed, config.clone())
            .await;
        if !plan.diagnostics.has_errors() {
            let broken = plan_violations(block, prior, &config, &plan.planned);
            assert!(
                broken.is_empty(),
                "Terraform would reject this plan as invalid: {broken:#?}"
            );
        }
        plan
    }

    /// Applies a plan; panics if the result breaks Terraform's rules (a known planned value
    /// changed, or an unknown left in the new state).
    pub async fn apply(
        &self,
        resource: &dyn AnyResource,
        prior: &Value,
        planned: &Value,
    ) -> (Value, Diagnostics) {
        let (state, diags) = resource
            .apply(&self.ctx, prior.clone(), planned.clone())
            .await;
        if !diags.has_errors() {
            let broken = apply_violations(&resource.schema().block, planned, &state);
            assert!(
                broken.is_empty(),
                "Terraform would report an inconsistent result after apply: {broken:#?}"
            );
        }
        (state, diags)
    }

    /// Plan then apply, then plan again: the second plan must be empty. Panics on error
    /// diagnostics. Returns the new state.
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
        self.assert_plan_empty(resource, &state, config).await;
        state
    }

    /// A plan of `config` against `state` changes nothing.
    pub async fn assert_plan_empty(
        &self,
        resource: &dyn AnyResource,
        state: &Value,
        config: &Value,
    ) {
        let replan = self.plan(resource, state, config).await;
        assert!(
            !replan.diagnostics.has_errors(),
            "replan failed: {}",
            replan.diagnostics
        );
        assert!(
            replan.planned.same_as(state) && replan.requires_replace.is_empty(),
            "the plan after apply is not empty:\nstate:   {state:?}\nplanned: {:?}\nreplace: {:?}",
            replan.planned,
            replan.requires_replace
        );
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

    /// Asks the provider to stop (as Terraform's StopProvider does) once the sandbox has
    /// taken every fault rule: a request held by a `latency` fault is then in flight.
    pub async fn stop_once_faults_are_taken(&self) {
        for _ in 0..500 {
            if self.sandbox.faults().list().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(
            self.sandbox.faults().list().is_empty(),
            "the faulted request never came"
        );
        self.ctx.stop.trigger();
    }

    pub async fn read(&self, resource: &dyn AnyResource, state: &Value) -> (Value, Diagnostics) {
        let read = resource.read(&self.ctx, state.clone()).await;
        assert!(
            read.state.is_known(),
            "a read returned unknown values: {:?}",
            read.state
        );
        (read.state, read.diagnostics)
    }

    /// Imports `id`; the state is null when the import failed.
    pub async fn import(&self, resource: &dyn AnyResource, id: &str) -> (Value, Diagnostics) {
        let (state, diags) = resource.import(&self.ctx, id).await;
        (state.unwrap_or(Value::Null), diags)
    }

    pub async fn read_data(
        &self,
        data_source: &dyn AnyDataSource,
        config: &Value,
    ) -> (Value, Diagnostics) {
        let config = conform_config(&data_source.schema().block, config);
        let read = data_source.read(&self.ctx, config).await;
        (read.state, read.diagnostics)
    }
}

/// A context configured by the real provider's `configure` from `provider_config`.
async fn configure(provider_config: &Value) -> Ctx {
    let stop = Stop::new();
    let mut diags = Diagnostics::new();
    let provider_config =
        crate::plugin::conform(provider_config.clone(), &PoolsProvider.schema().block.ty());
    let configured = PoolsProvider
        .configure(&provider_config, &stop, &mut diags)
        .await;
    assert!(!diags.has_errors(), "configure failed: {diags}");
    Ctx::new(configured.map(Arc::new), stop)
}

/// Panics unless `later` (a final plan) keeps every value `earlier` (the first plan) knew.
pub fn assert_final_plan_compatible(resource: &dyn AnyResource, earlier: &Value, later: &Value) {
    let broken = later_plan_violations(&resource.schema().block, earlier, later);
    assert!(
        broken.is_empty(),
        "Terraform would report an inconsistent final plan: {broken:#?}"
    );
}

/// An object value from (name, value) pairs: `object([("name", s("web")), ("size", n(2))])`.
pub fn object<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::Object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The `id` of a state value; panics when there is none.
pub fn id_of(state: &Value) -> String {
    match state.attr("id") {
        Value::String(id) => id.clone(),
        other => panic!("state has no id: {other:?}"),
    }
}

pub fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

pub fn n(number: i64) -> Value {
    Value::Number(crate::plugin::Number::from_i64(number))
}

/// Fills every attribute and block the user left out with null, as Terraform does.
fn conform_config(block: &Block, config: &Value) -> Value {
    crate::plugin::conform(config.clone(), &block.ty())
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
