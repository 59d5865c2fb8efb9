//! The `pools_warm_pool` resource: one Ona prebuild warm pool per (project, environment
//! class), sized by `min_size`/`max_size`, with waits on the pool's phase.

use std::time::Duration;

use async_trait::async_trait;

use super::model::{default_max_size, default_min_size, WarmPoolModel};
use super::settings::{Ona, API_SETTINGS};
use super::{change, create, read};
use crate::plugin::ctx::Ctx;
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::identity::Identity;
use crate::plugin::moves::MoveSource;
use crate::plugin::resource::{Applied, Resource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::timeouts::{timeouts_block, Timeouts};
use crate::plugin::validators;
use crate::wait::Wait;

pub const MIN_SIZE_RANGE: (i64, i64) = (0, 20);
pub const MAX_SIZE_RANGE: (i64, i64) = (1, 20);
const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

/// A value the API maintains: it changes with every size change (known after apply then),
/// and stays as last read otherwise.
fn observed(attribute: Attribute) -> Attribute {
    attribute
        .computed()
        .use_state_for_unknown_unless(&["min_size", "max_size"])
}

fn uuid_attribute(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .required()
        .requires_replace()
        .semantic_eq(uuid_eq)
        .validate(validators::uuid())
        .describe(description)
}

fn uuid_eq(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::String(a), Value::String(b)) if a.eq_ignore_ascii_case(b))
}

/// min_size <= max_size when both are known: one diagnostic on each path.
fn check_size_order(config: &Value, diags: &mut Diagnostics) {
    let known = |name| config.attr(name).as_i64();
    if let (Some(min), Some(max)) = (known("min_size"), known("max_size")) {
        if min > max {
            let detail = format!(
                "min_size must be less than or equal to max_size; got min_size = {min} and max_size = {max}."
            );
            for name in ["min_size", "max_size"] {
                diags.error_at(
                    AttrPath::attrs(&[name]),
                    "Invalid warm pool size range",
                    detail.clone(),
                );
            }
        }
    }
}

pub struct WarmPoolResource;

#[async_trait]
impl Resource for WarmPoolResource {
    type Model = WarmPoolModel;

    fn type_name(&self) -> &'static str {
        "pools_warm_pool"
    }

    fn schema(&self) -> Schema {
        let (min_lo, min_hi) = MIN_SIZE_RANGE;
        let (max_lo, max_hi) = MAX_SIZE_RANGE;
        let description = format!("An Ona (formerly Gitpod) prebuild warm pool: environments pre-created from the latest prebuild of a project for one environment class, so new environments start near-instantly. There is at most one warm pool per project and environment class. {}", crate::wait::POLLING_RULE);
        let block = Block::new(&description)
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .describe("The warm pool's id (a UUID)."),
        )
        .attribute(uuid_attribute(
            "project_id",
            "The project whose prebuilds the pool warms (a UUID). The project must have prebuilds enabled. Changing it replaces the pool.",
        ))
        .attribute(uuid_attribute(
            "environment_class_id",
            "The environment class to warm (a UUID). It must be in the project's prebuild configuration. Changing it replaces the pool.",
        ))
        .attribute(
            Attribute::int("min_size")
                .default_derived("`1`", default_min_size)
                .validate(validators::int_between(min_lo, min_hi))
                .describe(&format!(
                    "The fewest warm instances to keep, from {min_lo} to {min_hi}; at most `max_size`. `0` allows scaling down fully."
                )),
        )
        .attribute(
            Attribute::int("max_size")
                .default_derived("`min_size` (or `1` when that is `0` or unset)", default_max_size)
                .validate(validators::int_between(max_lo, max_hi))
                .describe(&format!(
                    "The most warm instances to keep, from {max_lo} to {max_hi}; at least `min_size`."
                )),
        )
        .attribute(
            Attribute::bool("wait_for_ready")
                .default(Value::Bool(true))
                .local()
                .describe("Whether create and update wait until the pool is `READY`. A pool that turns `DEGRADED` ends the wait with its failure message. Default: `true`."),
        )
        .attribute(
            observed(Attribute::string("phase"))
                .describe("The pool's lifecycle phase: `PENDING`, `READY`, `DEGRADED`, `DELETING` (or `UNSPECIFIED`)."),
        )
        .attribute(
            observed(Attribute::int("running_instances"))
                .describe("How many warm instances are running, ready to be claimed."),
        )
        .attribute(
            observed(Attribute::int("stopped_instances"))
                .describe("How many pre-provisioned instances are stopped, used to backfill running ones faster."),
        )
        .attribute(
            observed(Attribute::int("desired_size"))
                .describe("The number of instances the autoscaler currently aims for, between `min_size` and `max_size`."),
        )
        .attribute(
            observed(Attribute::string("snapshot_id"))
                .describe("The prebuild snapshot the pool warms; null until a prebuild has completed. Ona rotates it when a newer prebuild completes."),
        )
        .attribute(
            Attribute::string("created_at")
                .computed()
                .use_state_for_unknown()
                .describe("When the pool was created (RFC 3339)."),
        )
        .attribute(
            observed(Attribute::string("updated_at"))
                .describe("When the pool was last changed (RFC 3339)."),
        )
        .block(timeouts_block(
            &["create", "update", "delete"],
            &[CREATE_TIMEOUT, UPDATE_TIMEOUT, DELETE_TIMEOUT],
        ));
        Schema::new(block)
    }

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    fn move_sources(&self) -> Vec<MoveSource> {
        super::migrate::sources()
    }

    /// `{id}`: an import block may name a warm pool by it.
    fn identity(&self) -> Option<Identity> {
        Some(Identity::strings(
            &[("id", true, "The warm pool's id.")],
            |identity| identity.attr("id").as_str().map(str::to_string),
        ))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_size_order(config, diags);
    }

    async fn create(&self, ctx: &Ctx, planned: WarmPoolModel) -> Applied<WarmPoolModel> {
        let client = match Ona::client(ctx) {
            Ok(c) => c,
            Err(d) => return Applied::failed(None, d),
        };
        let limit = Timeouts::of(&planned.timeouts, "create", CREATE_TIMEOUT);
        create::create(client, planned, &Wait::new("create", limit, &ctx.stop)).await
    }

    async fn read(
        &self,
        ctx: &Ctx,
        current: WarmPoolModel,
    ) -> Result<Option<WarmPoolModel>, Diagnostics> {
        read::read(Ona::client(ctx)?, current).await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: WarmPoolModel,
        planned: WarmPoolModel,
    ) -> Applied<WarmPoolModel> {
        let client = match Ona::client(ctx) {
            Ok(c) => c,
            Err(d) => return Applied::failed(Some(prior), d),
        };
        let limit = Timeouts::of(&planned.timeouts, "update", UPDATE_TIMEOUT);
        let wait = Wait::new("update", limit, &ctx.stop);
        change::update(client, prior, planned, &wait).await
    }

    async fn delete(&self, ctx: &Ctx, prior: WarmPoolModel) -> Diagnostics {
        let client = match Ona::client(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let limit = Timeouts::of(&prior.timeouts, "delete", DELETE_TIMEOUT);
        change::delete(client, &prior, &Wait::new("delete", limit, &ctx.stop)).await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<WarmPoolModel, Diagnostics> {
        let id = read::import_id(id)?;
        read::import(Ona::client(ctx)?, id).await
    }
}
