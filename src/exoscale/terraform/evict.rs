//! The `pools_instance_pool_evict` action: removes given instances from a pool
//! (`PUT /instance-pool/{id}:evict`) and waits for the operation. The API destroys the
//! evicted instances and lowers the pool's size by their number; the next plan of a
//! `pools_instance_pool` that still configures the old size shows the drift and scales back
//! up with fresh instances, unless the resource ignores changes to `size`.

use std::time::Duration;

use async_trait::async_trait;

use super::descriptions;
use super::diagnostics::api_error;
use super::settings::{Exoscale, API_SETTINGS, ZONES};
use super::wait;
use crate::plugin::{
    validators, Action, AttrPath, Attribute, Block, Ctx, Diagnostics, Progress, Schema, Type, Value,
};

const TIMEOUT: Duration = Duration::from_secs(20 * 60);

crate::model! {
    /// The action's `config`.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct EvictConfig {
        pub instance_pool_id: String,
        pub zone: Option<String>,
        pub instance_ids: Vec<String>,
        pub timeout: Option<String>,
    }
}

pub struct EvictAction;

#[async_trait]
impl Action for EvictAction {
    type Config = EvictConfig;

    fn type_name(&self) -> &'static str {
        "pools_instance_pool_evict"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(descriptions::EVICT)
                .attribute(
                    Attribute::string("instance_pool_id")
                        .required()
                        .describe("The pool's id (a UUID).")
                        .validate(validators::uuid()),
                )
                .attribute(
                    Attribute::string("zone")
                        .optional()
                        .describe("The pool's zone. Default: the provider's `exoscale.zone`.")
                        .validate(validators::one_of(ZONES)),
                )
                .attribute(
                    Attribute::set("instance_ids", Type::String)
                        .required()
                        .describe("The ids of the instances to evict: members of the pool.")
                        .validate(validators::each(validators::uuid())),
                )
                .attribute(
                    Attribute::string("timeout")
                        .optional()
                        .describe("How long to wait for the eviction to finish. Default: `20m`.")
                        .validate(validators::duration()),
                ),
        )
    }

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Value::Set(ids) = config.attr("instance_ids") {
            if ids.is_empty() {
                diags.error_at(
                    AttrPath::attrs(&["instance_ids"]),
                    "Invalid value for instance_ids",
                    "instance_ids must name at least one instance to evict.",
                );
            }
        }
    }

    async fn invoke(&self, ctx: &Ctx, config: EvictConfig, progress: &Progress) -> Diagnostics {
        let (client, zone) = match Exoscale::client_and_zone(ctx, config.zone.as_deref()) {
            Ok(x) => x,
            Err(d) => return d,
        };
        let limit = config
            .timeout
            .as_deref()
            .and_then(validators::parse_duration)
            .unwrap_or(TIMEOUT);
        let pool = &config.instance_pool_id;
        let count = config.instance_ids.len();
        progress
            .say(format!(
                "Evicting {count} instance(s) from instance pool {pool} in {zone}"
            ))
            .await;
        // No listing requested before the eviction ends stands for the pool.
        let _changing = client.changing(&zone, pool);
        let op = match client
            .evict_instance_pool_members(&zone, pool, &config.instance_ids)
            .await
        {
            Ok(op) => op,
            Err(e) => return api_error("Could not evict the instances", e),
        };
        progress
            .say(format!("Waiting for operation {}", op.id))
            .await;
        let wait = Exoscale::wait(ctx, "timeout", limit);
        match wait::operation_succeeded(client, &zone, op, "evict", &wait, "Evicting instances")
            .await
        {
            Ok(()) => {
                progress
                    .say(format!(
                        "Evicted {count} instance(s) from instance pool {pool}"
                    ))
                    .await;
                Diagnostics::new()
            }
            Err(d) => d,
        }
    }
}
