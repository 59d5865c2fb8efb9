//! The `pools_instance_pool` resource: an Exoscale Instance Pool, planned so that a size-only
//! change is one scale call, other changes one update, and removed optional fields one reset
//! each; every operation is waited for, and a created pool is never lost from state.

use std::time::Duration;

use async_trait::async_trait;

use super::change::{managed_error, managed_pool_error};
use super::instance_types;
use super::model::{self, InstancePoolModel};
use super::read::{import_id_of, parse_import_id, read_back, read_within};
use super::settings::{Exoscale, API_SETTINGS, ZONES, ZONE_SETTING};
use crate::plugin::ctx::Ctx;
use crate::plugin::cty::{Number, Type, Value};
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::identity::Identity;
use crate::plugin::model::Tri;
use crate::plugin::moves::MoveSource;
use crate::plugin::plan::Plan;
use crate::plugin::resource::{Applied, Resource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::timeouts::{timeouts_block, Timeouts};
use crate::plugin::upgrade::StateUpgrader;
use crate::plugin::validators;
use crate::wait::Wait;

pub const CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The resource (each zone's instance types are held by the client: see
/// [`crate::exoscale::api::catalogue::Catalogue`]).
#[derive(Default)]
pub struct InstancePoolResource {}

const PUBLIC_IP_ASSIGNMENTS: &[&str] = &["inet4", "dual", "none"];

/// `none` is final at the API: a pool cannot gain or lose public IPs in place.
fn to_or_from_none(prior: &Value, planned: &Value) -> bool {
    prior.as_str() == Some("none") || planned.as_str() == Some("none")
}

fn ids_attribute(name: &str, what: &str) -> Attribute {
    Attribute::set(name, Type::String)
        .optional()
        .describe(&format!(
            "Ids (UUIDs) of the {what} for the pool's instances. Removing the attribute resets the pool's list."
        ))
        .validate(validators::each(validators::uuid()))
}

fn computed(name: &str, description: &str) -> Attribute {
    Attribute::string(name).computed().describe(description)
}

pub(super) fn resource_schema() -> Schema {
    let zones = ZONES
        .iter()
        .map(|z| format!("`{z}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let description = format!("An [Exoscale Instance Pool](https://community.exoscale.com/product/compute/instances/how-to/instance-pools/): a managed group of identical Compute instances. A change of `size` alone scales the pool; other changes update it in place; changing `zone` creates a new pool. {}", crate::wait::POLLING_RULE);
    let block = Block::new(&description)
        .attribute(computed("id", "The pool's id (a UUID).").use_state_for_unknown())
        .attribute(
            Attribute::string("zone")
                .default_from_setting(ZONE_SETTING)
                .requires_replace()
                .describe(&format!("The zone of the pool, one of {zones}. Default: the provider's `exoscale.zone` (unknown until apply while that is). Changing this forces a new pool."))
                .validate(validators::one_of(ZONES)),
        )
        .attribute(Attribute::string("name").required().describe("The pool's name (1 to 255 characters).").validate(validators::string_length(1, 255)))
        .attribute(Attribute::string("description").optional().describe("A description of the pool (at most 255 characters). Removing it resets the description.").validate(validators::string_length(0, 255)))
        .attribute(
            Attribute::int("size")
                .required()
                .describe("How many instances the pool runs (at least 0; a new pool starts with at least 1). A change of `size` alone is a scale operation.")
                .validate(validators::int_at_least(0))
                .validate_on_create(validators::custom(
                    "at least 1 for a new pool (create it with size >= 1, then scale it to 0)",
                    |v| v.as_i64().is_some_and(|n| n >= 1),
                )),
        )
        .attribute(
            Attribute::string("instance_type")
                .required()
                .semantic_eq(instance_types::same_name)
                .describe("The instances' type, as `family.size` (like `standard.medium`, any case) or as an instance type id. The spelling you use is kept.")
                .validate(instance_types::validator()),
        )
        .attribute(computed("instance_type_id", "The id of the instance type `instance_type` names.").use_state_for_unknown_unless(&["instance_type"]))
        .attribute(Attribute::string("template_id").required().describe("The id (UUID) of the template the instances boot from.").validate(validators::uuid()))
        .attribute(Attribute::int("disk_size").required().describe("The instances' disk size in GiB, from 10 to 51200.").validate(validators::int_between(10, 51200)))
        .attribute(
            Attribute::string("instance_prefix")
                .default(Value::String(model::DEFAULT_PREFIX.into()))
                .describe("The prefix of the instances' names (1 to 30 characters). Default: `pool`.")
                .validate(validators::string_length(1, 30)),
        )
        .attribute(Attribute::map("labels", Type::String).optional().describe("Labels of the pool, as a map of strings. Removing them resets the pool's labels."))
        .attribute(ids_attribute("security_group_ids", "security groups"))
        .attribute(ids_attribute("private_network_ids", "private networks"))
        .attribute(ids_attribute("anti_affinity_group_ids", "anti-affinity groups"))
        .attribute(ids_attribute("elastic_ip_ids", "elastic IPs"))
        .attribute(
            Attribute::set("ssh_keys", Type::String)
                .optional()
                .describe("Names of the SSH keys installed on the instances.")
                .validate(validators::each(validators::not_empty())),
        )
        .attribute(
            Attribute::string("user_data")
                .optional()
                .semantic_eq(model::same_user_data_value)
                .describe(&format!("Cloud-init user data for the instances, as plain text (sent base64-encoded) or already base64-encoded (sent as is); at most {} characters once encoded. A value counts as already encoded only when it is padded standard base64 of a cloud-init document (gzip data, or text starting with `#` or `Content-Type:`), so plain text such as `test` is always encoded. Removing it resets the user data.", model::USER_DATA_MAX))
                .validate(model::user_data_validator()),
        )
        .attribute(
            Attribute::string("public_ip_assignment")
                .optional_computed()
                .use_state_for_unknown_unless(&["ipv6_enabled"])
                .requires_replace_if("it changes to or from `none`", to_or_from_none)
                .describe("How instances get public IPs: `inet4`, `dual` (IPv4 and IPv6) or `none`. Default: the API's (`inet4`). `none` is final: changing to or from `none` forces a new pool.")
                .validate(validators::one_of(PUBLIC_IP_ASSIGNMENTS)),
        )
        .attribute(
            Attribute::bool("ipv6_enabled")
                .optional_computed()
                .use_state_for_unknown_unless(&["public_ip_assignment"])
                .deprecated("Deprecated by the Exoscale API: use `public_ip_assignment = \"dual\"` instead.")
                .describe("Whether instances get an IPv6 address. **Deprecated**: use `public_ip_assignment`. When left out, it follows `public_ip_assignment`."),
        )
        .attribute(Attribute::int("min_available").default(Value::Number(Number::from_i64(0))).describe("The minimum number of running instances during operations (at least 0, at most `size`). Default: `0`.").validate(validators::int_at_least(0)))
        .attribute(Attribute::string("deploy_target_id").optional().describe("The id (UUID) of a deploy target (dedicated hypervisors) for the instances. Removing it resets the deploy target.").validate(validators::uuid()))
        .attribute(Attribute::bool("application_consistent_snapshot_enabled").default(Value::Bool(false)).describe("Whether application-consistent snapshots are enabled. Default: `false`."))
        .attribute(Attribute::bool("wait_for_instances").default(Value::Bool(false)).local().describe("After create and scale, also wait until the pool is `running` with `size` instances. Default: `false` (wait for the API operation only)."))
        .attribute(computed("state", "The pool's state: `creating`, `running`, `scaling-up`, `scaling-down`, `updating`, `destroying` or `suspended`."))
        .attribute(Attribute::list("instance_ids", Type::String).computed().describe("The ids of the pool's instances."))
        .attribute(super::data_source::members_attribute())
        .attribute(computed("manager_id", "The id of the service managing the pool (such as an SKS nodepool), if any. A managed pool cannot be changed or deleted here.").use_state_for_unknown())
        .attribute(computed("manager_type", "The kind of service managing the pool (such as `sks-nodepool`), if any.").use_state_for_unknown())
        .block(timeouts_block(
            &["create", "read", "update", "delete"],
            &[CREATE_TIMEOUT, READ_TIMEOUT, UPDATE_TIMEOUT, DELETE_TIMEOUT],
        ));
    // Version 1 added `timeouts.read`; state_upgrade.rs reads version 0.
    Schema::new(block).with_version(1)
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

    /// Resolves the instance type (typos fail at plan, and a name spelled as the id of the
    /// prior type is no change), and refuses to change a pool another service manages.
    async fn modify_plan(&self, ctx: &Ctx, plan: &mut Plan) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let wanted = plan.planned("instance_type").as_str().map(str::to_string);
        let zone = plan.planned("zone").as_str().map(str::to_string);
        let unchanged =
            !plan.is_create() && plan.prior("instance_type").as_str() == wanted.as_deref();
        let client = Exoscale::of(ctx).ok().and_then(|e| e.client().ok());
        match (wanted, zone, client) {
            _ if unchanged => {}
            (Some(wanted), Some(zone), Some(client)) if plan.api_reachable() => {
                match instance_types::resolve(client, &zone, &wanted).await {
                    Ok(found) => {
                        if plan.prior("instance_type_id").as_str() == Some(found.id.as_str()) {
                            let prior = plan.prior("instance_type").clone();
                            plan.set_planned("instance_type", prior);
                        }
                        plan.set_planned("instance_type_id", Value::String(found.id));
                    }
                    Err(d) => diags.extend(d),
                }
            }
            // The name or the zone is known only at apply: so is the id.
            _ => plan.set_planned("instance_type_id", Value::Unknown(Default::default())),
        }
        let changed = !plan.is_create() && !plan.planned.same_as(&plan.prior);
        if changed {
            let prior = plan.prior.clone();
            let manager = |name| prior.attr(name).as_str();
            if let Some(error) = managed_pool_error(
                manager("id"),
                manager("manager_id"),
                manager("manager_type"),
                "changed",
            ) {
                diags.extend(error);
            }
        }
        diags
    }

    fn plan_destroy(&self, prior: &InstancePoolModel) -> Diagnostics {
        managed_error(prior, "deleted").unwrap_or_default()
    }

    async fn create(&self, ctx: &Ctx, planned: InstancePoolModel) -> Applied<InstancePoolModel> {
        let (client, zone) = match Exoscale::client_and_zone(ctx, planned.zone.as_deref()) {
            Ok(x) => x,
            Err(d) => return Applied::failed(None, d),
        };
        let limit = Timeouts::of(&planned.timeouts, "create", CREATE_TIMEOUT);
        let wait = Wait::new("create", limit, &ctx.stop);
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
        read_within(limit, client, &zone, &id, &current).await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: InstancePoolModel,
        planned: InstancePoolModel,
    ) -> Applied<InstancePoolModel> {
        let (client, zone) = match Exoscale::client_and_zone(ctx, prior.zone.as_deref()) {
            Ok(x) => x,
            Err(d) => return Applied::failed(Some(prior), d),
        };
        let limit = Timeouts::of(&planned.timeouts, "update", UPDATE_TIMEOUT);
        let wait = Wait::new("update", limit, &ctx.stop);
        super::change::update(client, &zone, prior, planned, &wait).await
    }

    async fn delete(&self, ctx: &Ctx, prior: InstancePoolModel) -> Diagnostics {
        if let Some(d) = managed_error(&prior, "deleted") {
            return d;
        }
        let Some(id) = prior.id.known().cloned() else {
            return Diagnostics::new();
        };
        let limit = Timeouts::of(&prior.timeouts, "delete", DELETE_TIMEOUT);
        let wait = Wait::new("delete", limit, &ctx.stop);
        let result = async {
            let (client, zone) = Exoscale::client_and_zone(ctx, prior.zone.as_deref())?;
            super::change::delete(client, &zone, &id, &wait).await
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
        read_back(client, &zone, pool_id, &seed)
            .await?
            .ok_or_else(|| {
                Diagnostic::error(
                    "Instance pool not found",
                    format!("There is no instance pool {pool_id} in zone {zone}."),
                )
                .into()
            })
    }
}
