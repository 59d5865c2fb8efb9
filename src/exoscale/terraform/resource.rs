//! The `pools_instance_pool` resource: an Exoscale Instance Pool, planned so that a size-only
//! change is one scale call, other changes one update, and removed optional fields one reset
//! each; every operation is waited for, and a created pool is never lost from state.
//!
//! Read top to bottom: the schema (each attribute with its plan rules and validation; the
//! words are in descriptions.rs), the plan rules the schema cannot declare, then create,
//! read, update, delete and import, each handing its work to the step named after it.

use std::time::Duration;

use async_trait::async_trait;

use super::change::{self, managed_error, managed_import_warning, managed_plan_error};
use super::descriptions;
use super::instance_types;
use super::labels;
use super::model::{self, InstancePoolModel};
use super::read::{import_id_of, parse_import_id, read_back, read_within};
use super::settings::{Exoscale, API_SETTINGS, ZONES, ZONE_SETTING};
use crate::plugin::{
    timeouts_block, validators, Applied, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics,
    Identity, MoveSource, Number, Plan, Resource, Schema, StateUpgrader, Timeouts, Tri, Type,
    Value,
};
use crate::wait::POLLING_RULE;

pub const CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The resource (each zone's instance types are held by the client: see
/// [`crate::exoscale::api::catalogue::Catalogue`]).
#[derive(Default)]
pub struct InstancePoolResource {}

const PUBLIC_IP_ASSIGNMENTS: &[&str] = &["inet4", "dual", "none"];

pub(super) fn resource_schema() -> Schema {
    let block = Block::new(descriptions::RESOURCE)
        .attribute(computed("id", descriptions::ID).use_state_for_unknown())
        .attribute(
            Attribute::string("zone")
                .default_from_setting(ZONE_SETTING)
                .requires_replace()
                .describe(&descriptions::zone())
                .validate(validators::one_of(ZONES)),
        )
        .attribute(
            Attribute::string("name")
                .required()
                .describe(descriptions::NAME)
                .validate(validators::string_length(1, 255)),
        )
        .attribute(
            Attribute::string("description")
                .optional()
                .describe(descriptions::DESCRIPTION)
                .validate(validators::string_length(0, 255)),
        )
        .attribute(
            Attribute::int("size")
                .required()
                .describe(descriptions::SIZE)
                .validate(validators::int_at_least(0)),
        )
        .attribute(
            Attribute::string("instance_type")
                .required()
                .semantic_eq(instance_types::same_name)
                .describe(descriptions::INSTANCE_TYPE)
                .validate(instance_types::validator()),
        )
        .attribute(
            computed("instance_type_id", descriptions::INSTANCE_TYPE_ID)
                .use_state_for_unknown_unless(&["instance_type"]),
        )
        .attribute(
            Attribute::string("template_id")
                .required()
                .describe(descriptions::TEMPLATE_ID)
                .validate(validators::uuid()),
        )
        .attribute(
            Attribute::int("disk_size")
                .required()
                .describe(descriptions::DISK_SIZE)
                .validate(validators::int_between(10, 51200)),
        )
        .attribute(
            Attribute::string("instance_prefix")
                .default(Value::String(model::DEFAULT_PREFIX.into()))
                .describe(descriptions::INSTANCE_PREFIX)
                .validate(validators::string_length(1, 30)),
        )
        .attribute(
            Attribute::map("labels", Type::String)
                .optional()
                .describe(descriptions::LABELS),
        )
        .attribute(
            Attribute::map("labels_all", Type::String)
                .computed()
                .use_state_for_unknown()
                .describe(descriptions::LABELS_ALL),
        )
        .attribute(ids_attribute("security_group_ids", "security groups"))
        .attribute(ids_attribute("private_network_ids", "private networks"))
        .attribute(ids_attribute(
            "anti_affinity_group_ids",
            "anti-affinity groups",
        ))
        .attribute(ids_attribute("elastic_ip_ids", "elastic IPs"))
        .attribute(
            Attribute::set("ssh_keys", Type::String)
                .optional()
                .describe(descriptions::SSH_KEYS)
                .validate(validators::each(validators::not_empty())),
        )
        .attribute(
            Attribute::string("user_data")
                .optional()
                .semantic_eq(model::same_user_data_value)
                .describe(&descriptions::user_data())
                .validate(model::user_data_validator()),
        )
        .attribute(
            Attribute::string("public_ip_assignment")
                .optional_computed()
                .use_state_for_unknown_unless(&["ipv6_enabled"])
                .requires_replace_if("it changes to or from `none`", to_or_from_none)
                .describe(descriptions::PUBLIC_IP_ASSIGNMENT)
                .validate(validators::one_of(PUBLIC_IP_ASSIGNMENTS)),
        )
        .attribute(
            Attribute::bool("ipv6_enabled")
                .optional_computed()
                .use_state_for_unknown_unless(&["public_ip_assignment"])
                .deprecated(descriptions::IPV6_ENABLED_DEPRECATED)
                .describe(descriptions::IPV6_ENABLED),
        )
        .attribute(
            Attribute::int("min_available")
                .default(Value::Number(Number::from_i64(0)))
                .describe(descriptions::MIN_AVAILABLE)
                .validate(validators::int_at_least(0)),
        )
        .attribute(
            Attribute::string("deploy_target_id")
                .optional()
                .describe(descriptions::DEPLOY_TARGET_ID)
                .validate(validators::uuid()),
        )
        .attribute(
            Attribute::bool("application_consistent_snapshot_enabled")
                .default(Value::Bool(false))
                .describe(descriptions::APPLICATION_CONSISTENT_SNAPSHOT_ENABLED),
        )
        .attribute(
            Attribute::bool("wait_for_instances")
                .default(Value::Bool(false))
                .local()
                .describe(descriptions::WAIT_FOR_INSTANCES),
        )
        .attribute(computed("state", descriptions::STATE))
        .attribute(
            Attribute::list("instance_ids", Type::String)
                .computed()
                .describe(descriptions::INSTANCE_IDS),
        )
        .attribute(super::data_source::members_attribute())
        .attribute(computed("manager_id", descriptions::MANAGER_ID).use_state_for_unknown())
        .attribute(computed("manager_type", descriptions::MANAGER_TYPE).use_state_for_unknown())
        .block(timeouts_block(
            &["create", "read", "update", "delete"],
            &[CREATE_TIMEOUT, READ_TIMEOUT, UPDATE_TIMEOUT, DELETE_TIMEOUT],
        ));
    // Version 1 added `timeouts.read`; state_upgrade.rs reads version 0.
    let mut schema = Schema::new(block).with_version(1);
    for (title, text) in [
        descriptions::DEFAULT_LABELS_SECTION,
        descriptions::MANAGED_POOLS_SECTION,
        descriptions::LOAD_BALANCER_SECTION,
        descriptions::STATES_SECTION,
        ("Waiting for changes", POLLING_RULE),
    ] {
        schema = schema.with_doc_section(title, text);
    }
    let refreshing = descriptions::refreshing_many_pools();
    schema = schema.with_doc_section("Refreshing many pools", &refreshing);
    schema
}

fn computed(name: &str, description: &str) -> Attribute {
    Attribute::string(name).computed().describe(description)
}

/// A set of ids of `what` (such as "security groups"); removing it resets the pool's list.
fn ids_attribute(name: &str, what: &str) -> Attribute {
    Attribute::set(name, Type::String)
        .optional()
        .describe(&descriptions::ids(what))
        .validate(validators::each(validators::uuid()))
}

/// `none` is final at the API: a pool cannot gain or lose public IPs in place.
fn to_or_from_none(prior: &Value, planned: &Value) -> bool {
    prior.as_str() == Some("none") || planned.as_str() == Some("none")
}

#[async_trait]
impl Resource for InstancePoolResource {
    type Model = InstancePoolModel;

    fn type_name(&self) -> &'static str {
        "pools_instance_pool"
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        super::state_upgrade::upgraders()
    }

    fn move_sources(&self) -> Vec<MoveSource> {
        super::migrate::sources()
    }

    /// `{id, zone}`: an import block may name a pool by them (`zone` defaults to the
    /// provider's).
    fn identity(&self) -> Option<Identity> {
        let attributes = [
            ("id", true, "The pool's id."),
            ("zone", false, "The pool's zone."),
        ];
        Some(Identity::strings(&attributes, import_id_of))
    }

    // ---- plan rules ----------------------------------------------------------------------

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let min = config.attr("min_available").as_i64();
        if let (Some(min), Some(size)) = (min, config.attr("size").as_i64()) {
            if min > size {
                diags.error_at(
                    AttrPath::attrs(&["min_available"]),
                    "Invalid value for min_available",
                    format!("min_available must be at most size ({size}); got {min}."),
                );
            }
        }
    }

    /// Plans `instance_type_id` (see [`instance_types::plan_id`]) and `labels_all` (see
    /// [`labels::plan`]), and refuses to change a pool another service manages.
    async fn modify_plan(&self, ctx: &Ctx, plan: &mut Plan) -> Diagnostics {
        // Settings known only at apply leave the id unknown; a client that cannot be made
        // from known settings is an error now, not at apply.
        let client = match plan.api_reachable() {
            true => match Exoscale::of(ctx).and_then(Exoscale::client) {
                Ok(client) => Some(client),
                Err(d) => return d,
            },
            false => None,
        };
        let mut diags = instance_types::plan_id(client, plan).await;
        labels::plan(ctx, plan);
        if !plan.is_create() && !plan.planned.same_as(&plan.prior) {
            diags.extend(managed_plan_error(&plan.prior).unwrap_or_default());
        }
        let size = plan.planned("size").as_i64();
        if plan.is_create() && size.is_some_and(|n| n < model::MIN_CREATE_SIZE) {
            diags.warning_at(
                AttrPath::attrs(&["size"]),
                "Created with 1 instance, then scaled to 0",
                descriptions::CREATED_THEN_SCALED,
            );
        }
        diags
    }

    fn plan_destroy(&self, prior: &InstancePoolModel) -> Diagnostics {
        managed_error(prior, "deleted").unwrap_or_default()
    }

    // ---- create, read, update, delete, import ------------------------------------------

    async fn create(
        &self,
        ctx: &Ctx,
        mut planned: InstancePoolModel,
    ) -> Applied<InstancePoolModel> {
        let (client, zone) = match Exoscale::client_and_zone(ctx, planned.zone.as_deref()) {
            Ok(x) => x,
            Err(d) => return Applied::failed(None, d),
        };
        if let Err(d) = labels::resolve(ctx, planned.labels.as_ref(), &mut planned.labels_all) {
            return Applied::failed(None, d);
        }
        let limit = Timeouts::of(&planned.timeouts, "create", CREATE_TIMEOUT);
        let wait = Exoscale::wait(ctx, "create", limit);
        let type_id = match instance_types::planned_id(client, &zone, &planned).await {
            Ok(id) => id,
            Err(d) => return Applied::failed(None, d),
        };
        let body = model::create_body(&planned, &type_id);
        let mut state = planned.clone();
        state.zone = Tri::Known(zone.clone());
        state.instance_type_id = Tri::Known(type_id);
        let wait_instances = planned.wait_for_instances == Some(true);
        super::create::create(client, &zone, &body, state, wait_instances, &wait).await
    }

    /// A refresh: from the zone's shared lists when many pools are read (see
    /// `descriptions::refreshing_many_pools`).
    async fn read(
        &self,
        ctx: &Ctx,
        current: InstancePoolModel,
    ) -> Result<Option<InstancePoolModel>, Diagnostics> {
        let Some(id) = current.id.known().cloned() else {
            return Ok(None);
        };
        let (client, zone) = Exoscale::client_and_zone(ctx, current.zone.as_deref())?;
        let limit = Timeouts::of(&current.timeouts, "read", READ_TIMEOUT);
        let mut read = read_within(limit, client, &zone, &id, &current).await?;
        if let Some(read) = &mut read {
            labels::split_read(ctx, &current.labels, &mut read.labels);
        }
        Ok(read)
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: InstancePoolModel,
        mut planned: InstancePoolModel,
    ) -> Applied<InstancePoolModel> {
        let (client, zone) = match Exoscale::client_and_zone(ctx, prior.zone.as_deref()) {
            Ok(x) => x,
            Err(d) => return Applied::failed(Some(prior), d),
        };
        if let Err(d) = labels::resolve(ctx, planned.labels.as_ref(), &mut planned.labels_all) {
            return Applied::failed(Some(prior), d);
        }
        let limit = Timeouts::of(&planned.timeouts, "update", UPDATE_TIMEOUT);
        let wait = Exoscale::wait(ctx, "update", limit);
        change::update(client, &zone, prior, planned, &wait).await
    }

    async fn delete(&self, ctx: &Ctx, prior: InstancePoolModel) -> Diagnostics {
        if let Some(d) = managed_error(&prior, "deleted") {
            return d;
        }
        let Some(id) = prior.id.known().cloned() else {
            return Diagnostics::new();
        };
        let limit = Timeouts::of(&prior.timeouts, "delete", DELETE_TIMEOUT);
        let wait = Exoscale::wait(ctx, "delete", limit);
        let result = async {
            let (client, zone) = Exoscale::client_and_zone(ctx, prior.zone.as_deref())?;
            change::delete(client, &zone, &id, &wait).await
        }
        .await;
        result.err().unwrap_or_default()
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<InstancePoolModel, Diagnostics> {
        let (pool_id, zone) = parse_import_id(id)?;
        let (client, zone) = Exoscale::client_and_zone(ctx, zone)?;
        let seed = InstancePoolModel {
            id: Tri::Known(pool_id.to_string()),
            zone: Tri::Known(zone.clone()),
            ..Default::default()
        };
        let mut imported = read_back(client, &zone, pool_id, &seed)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Instance pool not found",
                    format!("There is no instance pool {pool_id} in zone {zone}."),
                ))
            })?;
        labels::split_read(ctx, &seed.labels, &mut imported.labels);
        Ok(imported)
    }

    fn import_warnings(&self, imported: &InstancePoolModel) -> Diagnostics {
        managed_import_warning(imported)
    }
}
