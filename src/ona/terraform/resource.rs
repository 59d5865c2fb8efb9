//! The `pools_warm_pool` resource: one Ona prebuild warm pool per (project, environment
//! class), sized by `min_size`/`max_size`, with waits on the pool's phase. Its schema with
//! the plan rules declared on each attribute (and the size order checked across them), then
//! each CRUD call handed to its step (`create`, `read`, `change`).

use std::time::Duration;

use async_trait::async_trait;

use super::descriptions as doc;
use super::model::{
    default_max_size, default_min_size, WarmPoolModel, MAX_SIZE_RANGE, MIN_SIZE_RANGE,
};
use super::settings::{Ona, API_SETTINGS};
use super::{change, create, migrate, read};
use crate::plugin::{
    timeouts_block, validators, Applied, AttrPath, Attribute, Block, Ctx, Diagnostics, Identity,
    MoveSource, Resource, Schema, Timeouts, Value,
};
use crate::wait::POLLING_RULE;

const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

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
        let block = Block::new(doc::RESOURCE)
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .describe(doc::ID),
            )
            .attribute(uuid_attribute("project_id", doc::PROJECT_ID))
            .attribute(uuid_attribute(
                "environment_class_id",
                doc::ENVIRONMENT_CLASS_ID,
            ))
            .attribute(
                Attribute::int("min_size")
                    .default_derived("`1`", default_min_size)
                    .validate(validators::int_between(min_lo, min_hi))
                    .describe(&doc::min_size()),
            )
            .attribute(
                Attribute::int("max_size")
                    .default_derived(doc::MAX_SIZE_DEFAULT, default_max_size)
                    .validate(validators::int_between(max_lo, max_hi))
                    .describe(&doc::max_size()),
            )
            .attribute(
                Attribute::bool("wait_for_ready")
                    .default(Value::Bool(true))
                    .local()
                    .describe(doc::WAIT_FOR_READY),
            )
            .attribute(observed(Attribute::string("phase")).describe(doc::PHASE))
            .attribute(
                observed(Attribute::int("running_instances")).describe(doc::RUNNING_INSTANCES),
            )
            .attribute(
                observed(Attribute::int("stopped_instances")).describe(doc::STOPPED_INSTANCES),
            )
            .attribute(observed(Attribute::int("desired_size")).describe(doc::DESIRED_SIZE))
            .attribute(observed(Attribute::string("snapshot_id")).describe(doc::SNAPSHOT_ID))
            .attribute(
                Attribute::string("created_at")
                    .computed()
                    .use_state_for_unknown()
                    .describe(doc::CREATED_AT),
            )
            .attribute(observed(Attribute::string("updated_at")).describe(doc::UPDATED_AT))
            .block(timeouts_block(
                &["create", "update", "delete"],
                &[CREATE_TIMEOUT, UPDATE_TIMEOUT, DELETE_TIMEOUT],
            ));
        Schema::new(block).with_doc_section("Waiting for changes", POLLING_RULE)
    }

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    fn move_sources(&self) -> Vec<MoveSource> {
        migrate::sources()
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
        let wait = Ona::wait(ctx, "create", limit);
        create::create(client, planned, &wait).await
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
        let wait = Ona::wait(ctx, "update", limit);
        change::update(client, prior, planned, &wait).await
    }

    async fn delete(&self, ctx: &Ctx, prior: WarmPoolModel) -> Diagnostics {
        let client = match Ona::client(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let limit = Timeouts::of(&prior.timeouts, "delete", DELETE_TIMEOUT);
        let wait = Ona::wait(ctx, "delete", limit);
        change::delete(client, &prior, &wait).await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<WarmPoolModel, Diagnostics> {
        let id = read::import_id(id)?;
        read::import(Ona::client(ctx)?, id).await
    }
}

// ---- the schema's parts ---------------------------------------------------------------------

/// A value the API maintains: it changes with every size change (known after apply then),
/// and stays as last read otherwise.
fn observed(attribute: Attribute) -> Attribute {
    attribute
        .computed()
        .use_state_for_unknown_unless(&["min_size", "max_size"])
}

/// A UUID the user names: spelled in any case, and a new one replaces the pool.
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

// ---- plan rules -----------------------------------------------------------------------------

/// min_size <= max_size when both are known.
fn check_size_order(config: &Value, diags: &mut Diagnostics) {
    let known = |name| config.attr(name).as_i64();
    if let (Some(min), Some(max)) = (known("min_size"), known("max_size")) {
        if min > max {
            // One error, on the lower bound: Terraform shows each diagnostic in full.
            diags.error_at(
                AttrPath::attrs(&["min_size"]),
                "Invalid warm pool size range",
                format!(
                    "min_size must be less than or equal to max_size; got min_size = {min} and max_size = {max}."
                ),
            );
        }
    }
}
