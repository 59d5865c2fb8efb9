//! The `pools_instance_pool` resource: an Exoscale Instance Pool, planned so that a size-only
//! change is one scale call, other changes one update, and removed optional fields one reset
//! each; every operation is waited for, and a created pool is never lost from state.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::client::{Deletion, ExoscaleClient};
use super::convert;
use super::model::{find_instance_type, InstanceType, Operation, PoolState};
use crate::plugin::cty::{Number, Value};
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::resource::{timeouts_block, Applied, Ctx, Plan, Resource, Timeouts};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::upgrade::StateUpgrader;
use crate::plugin::validators::{self, is_uuid};
use crate::provider::{ProviderData, EXOSCALE_ZONES};
use crate::wait::{poll_until, Poll, Stop};

pub const CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

crate::model! {
    /// The state of one `pools_instance_pool`.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct InstancePoolModel {
        pub id: Option<String>,
        pub zone: Option<String>,
        pub name: String,
        pub description: Option<String>,
        pub size: i64,
        pub instance_type: String,
        pub instance_type_id: Option<String>,
        pub template_id: String,
        pub disk_size: i64,
        pub instance_prefix: Option<String>,
        pub labels: Option<BTreeMap<String, String>>,
        pub security_group_ids: Option<Vec<String>>,
        pub private_network_ids: Option<Vec<String>>,
        pub anti_affinity_group_ids: Option<Vec<String>>,
        pub elastic_ip_ids: Option<Vec<String>>,
        pub ssh_keys: Option<Vec<String>>,
        pub user_data: Option<String>,
        pub public_ip_assignment: Option<String>,
        pub ipv6_enabled: Option<bool>,
        pub min_available: Option<i64>,
        pub deploy_target_id: Option<String>,
        pub application_consistent_snapshot_enabled: Option<bool>,
        pub wait_for_instances: Option<bool>,
        pub state: Option<String>,
        pub instance_ids: Option<Vec<String>>,
        pub manager_id: Option<String>,
        pub manager_type: Option<String>,
        pub timeouts: Option<Timeouts>,
    }
}

/// The resource; it remembers each zone's instance types, which do not change during a run,
/// so planning many pools costs one catalogue call per zone.
#[derive(Default)]
pub struct InstancePoolResource {
    instance_types: Mutex<HashMap<String, Arc<Vec<InstanceType>>>>,
}

/// Attributes only the provider sets: they never count as a change the user asked for.
const PROVIDER_SET: [&str; 6] = [
    "id",
    "instance_type_id",
    "state",
    "instance_ids",
    "manager_id",
    "manager_type",
];
/// Attributes that change nothing at Exoscale.
const LOCAL_ONLY: [&str; 2] = ["timeouts", "wait_for_instances"];

const PUBLIC_IP_ASSIGNMENTS: &[&str] = &["inet4", "dual", "none"];

fn same_instance_type(a: &Value, b: &Value) -> bool {
    matches!((a.as_str(), b.as_str()), (Some(a), Some(b)) if a.trim().eq_ignore_ascii_case(b.trim()))
}

fn same_user_data(a: &Value, b: &Value) -> bool {
    matches!((a.as_str(), b.as_str()), (Some(a), Some(b)) if convert::same_user_data(a, b))
}

pub(super) fn instance_type_validator() -> impl validators::Validator {
    validators::custom(
        "an instance type as `family.size` (like \"standard.medium\") or an instance type id",
        |v| {
            v.as_str().is_some_and(|s| {
                is_uuid(s) || super::model::normalize_instance_type_name(s).is_some()
            })
        },
    )
}

fn user_data_validator() -> impl validators::Validator {
    validators::custom(
        format!(
            "a non-empty cloud-init document of at most {} characters once base64-encoded",
            convert::USER_DATA_MAX
        ),
        |v| {
            v.as_str().is_some_and(|s| {
                !s.is_empty() && convert::encode_user_data(s).len() <= convert::USER_DATA_MAX
            })
        },
    )
}

fn ids_attribute(name: &str, what: &str, reset_note: bool) -> Attribute {
    let note = if reset_note {
        " Removing the attribute resets the pool's list."
    } else {
        ""
    };
    Attribute::set(name, crate::plugin::cty::Type::String)
        .optional()
        .describe(&format!(
            "Ids (UUIDs) of the {what} for the pool's instances.{note}"
        ))
        .validate(validators::each(validators::uuid()))
}

pub(super) fn resource_schema() -> Schema {
    let zones = EXOSCALE_ZONES
        .iter()
        .map(|z| format!("`{z}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let block = Block::new("An [Exoscale Instance Pool](https://community.exoscale.com/product/compute/instances/how-to/instance-pools/): a managed group of identical Compute instances. A change of `size` alone scales the pool; other changes update it in place; changing `zone` creates a new pool.")
        .attribute(Attribute::string("id").computed().use_state_for_unknown().describe("The pool's id (a UUID)."))
        .attribute(
            Attribute::string("zone")
                .optional_computed()
                .use_state_for_unknown()
                .requires_replace()
                .describe(&format!("The zone of the pool, one of {zones}. Default: the provider's `exoscale.zone`. Changing this forces a new pool."))
                .validate(validators::one_of(EXOSCALE_ZONES)),
        )
        .attribute(Attribute::string("name").required().describe("The pool's name (1 to 255 characters).").validate(validators::string_length(1, 255)))
        .attribute(Attribute::string("description").optional().describe("A description of the pool (at most 255 characters). Removing it resets the description.").validate(validators::string_length(0, 255)))
        .attribute(Attribute::int("size").required().describe("How many instances the pool runs (at least 0; a new pool starts with at least 1). A change of `size` alone is a scale operation.").validate(validators::int_at_least(0)))
        .attribute(
            Attribute::string("instance_type")
                .required()
                .semantic_eq(same_instance_type)
                .describe("The instances' type, as `family.size` (like `standard.medium`, any case) or as an instance type id. The spelling you use is kept.")
                .validate(instance_type_validator()),
        )
        .attribute(Attribute::string("instance_type_id").computed().use_state_for_unknown().describe("The id of the instance type `instance_type` names."))
        .attribute(Attribute::string("template_id").required().describe("The id (UUID) of the template the instances boot from.").validate(validators::uuid()))
        .attribute(Attribute::int("disk_size").required().describe("The instances' disk size in GiB, from 10 to 51200.").validate(validators::int_between(10, 51200)))
        .attribute(
            Attribute::string("instance_prefix")
                .default(Value::String(convert::DEFAULT_PREFIX.into()))
                .describe("The prefix of the instances' names (1 to 30 characters). Default: `pool`.")
                .validate(validators::string_length(1, 30)),
        )
        .attribute(Attribute::map("labels", crate::plugin::cty::Type::String).optional().describe("Labels of the pool, as a map of strings. Removing them resets the pool's labels."))
        .attribute(ids_attribute("security_group_ids", "security groups", true))
        .attribute(ids_attribute("private_network_ids", "private networks", true))
        .attribute(ids_attribute("anti_affinity_group_ids", "anti-affinity groups", true))
        .attribute(ids_attribute("elastic_ip_ids", "elastic IPs", true))
        .attribute(
            Attribute::set("ssh_keys", crate::plugin::cty::Type::String)
                .optional()
                .describe("Names of the SSH keys installed on the instances.")
                .validate(validators::each(validators::not_empty())),
        )
        .attribute(
            Attribute::string("user_data")
                .optional()
                .semantic_eq(same_user_data)
                .describe(&format!("Cloud-init user data for the instances, as plain text (sent base64-encoded) or already base64-encoded (sent as is); at most {} characters once encoded. A value counts as already encoded only when it is padded standard base64 of a cloud-init document (gzip data, or text starting with `#` or `Content-Type:`), so plain text such as `test` is always encoded. Removing it resets the user data.", convert::USER_DATA_MAX))
                .validate(user_data_validator()),
        )
        .attribute(
            Attribute::string("public_ip_assignment")
                .optional_computed()
                .use_state_for_unknown()
                .describe("How instances get public IPs: `inet4`, `dual` (IPv4 and IPv6) or `none`. Default: the API's (`inet4`). `none` is final: changing to or from `none` forces a new pool.")
                .validate(validators::one_of(PUBLIC_IP_ASSIGNMENTS)),
        )
        .attribute(
            Attribute::bool("ipv6_enabled")
                .optional_computed()
                .use_state_for_unknown()
                .deprecated("Deprecated by the Exoscale API: use `public_ip_assignment = \"dual\"` instead.")
                .describe("Whether instances get an IPv6 address. **Deprecated**: use `public_ip_assignment`."),
        )
        .attribute(Attribute::int("min_available").default(Value::Number(Number::from_i64(0))).describe("The minimum number of running instances during operations (at least 0, at most `size`). Default: `0`.").validate(validators::int_at_least(0)))
        .attribute(Attribute::string("deploy_target_id").optional().describe("The id (UUID) of a deploy target (dedicated hypervisors) for the instances. Removing it resets the deploy target.").validate(validators::uuid()))
        .attribute(Attribute::bool("application_consistent_snapshot_enabled").default(Value::Bool(false)).describe("Whether application-consistent snapshots are enabled. Default: `false`."))
        .attribute(Attribute::bool("wait_for_instances").default(Value::Bool(false)).describe("After create and scale, also wait until the pool is `running` with `size` instances. Default: `false` (wait for the API operation only)."))
        .attribute(Attribute::string("state").computed().describe("The pool's state: `creating`, `running`, `scaling-up`, `scaling-down`, `updating`, `destroying` or `suspended`."))
        .attribute(Attribute::list("instance_ids", crate::plugin::cty::Type::String).computed().describe("The ids of the pool's instances."))
        .attribute(Attribute::string("manager_id").computed().use_state_for_unknown().describe("The id of the service managing the pool (such as an SKS nodepool), if any. A managed pool cannot be changed or deleted here."))
        .attribute(Attribute::string("manager_type").computed().use_state_for_unknown().describe("The kind of service managing the pool (such as `sks-nodepool`), if any."))
        .block(timeouts_block(
            &["create", "read", "update", "delete"],
            &[CREATE_TIMEOUT, READ_TIMEOUT, UPDATE_TIMEOUT, DELETE_TIMEOUT],
        ));
    // Version 1 added `timeouts.read`; state_upgrade.rs reads version 0.
    Schema::new(block).with_version(1)
}

/// The object without the named attributes, to compare what remains.
fn without(value: &Value, names: &[&str]) -> Value {
    match value {
        Value::Object(attrs) => Value::Object(
            attrs
                .iter()
                .filter(|(k, _)| !names.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn api_error(summary: &str, e: impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error(summary, e.to_string()).into()
}

/// The instance type `text` names, by id or by `family.size`.
fn resolve<'a>(types: &'a [InstanceType], text: &str) -> Option<&'a InstanceType> {
    types
        .iter()
        .find(|t| t.id == text)
        .or_else(|| find_instance_type(types, text))
}

impl InstancePoolResource {
    async fn resolve_type(
        &self,
        client: &ExoscaleClient,
        zone: &str,
        text: &str,
    ) -> Result<InstanceType, Diagnostics> {
        let known = self.cache().get(zone).cloned();
        let types = match known {
            Some(types) => types,
            None => {
                let listed = client
                    .list_instance_types(zone)
                    .await
                    .map_err(|e| api_error("Could not list instance types", e))?;
                let listed = Arc::new(listed);
                self.cache().insert(zone.to_string(), listed.clone());
                listed
            }
        };
        unknown_type_or(&types, zone, text)
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<String, Arc<Vec<InstanceType>>>> {
        self.instance_types
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// The instance type `text` names, or an error listing the zone's types.
fn unknown_type_or(
    types: &[InstanceType],
    zone: &str,
    text: &str,
) -> Result<InstanceType, Diagnostics> {
    if let Some(found) = resolve(types, text) {
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

/// The error for changing a pool that another service manages, if `model`'s pool is one.
fn managed_error(model: &InstancePoolModel, action: &str) -> Option<Diagnostics> {
    managed_pool_error(
        model.id.as_deref(),
        model.manager_id.as_deref(),
        model.manager_type.as_deref(),
        action,
    )
}

fn managed_pool_error(
    id: Option<&str>,
    manager: Option<&str>,
    kind: Option<&str>,
    action: &str,
) -> Option<Diagnostics> {
    let manager = manager?;
    let kind = kind.unwrap_or("another service");
    Some(
        Diagnostic::error(
            "Instance pool is managed by another service",
            format!(
                "Instance pool {} is managed by {kind} {manager}, so it cannot be {action} here: change it through its manager instead (or stop managing it here with `terraform state rm`).",
                id.unwrap_or("?")
            ),
        )
        .into(),
    )
}

/// The client and the zone of a pool.
fn client_and_zone<'a>(
    ctx: &'a Ctx,
    zone: &Option<String>,
) -> Result<(&'a ExoscaleClient, String), Diagnostics> {
    let data = ctx.data::<ProviderData>()?;
    let zone = zone.clone().unwrap_or_else(|| data.default_zone.clone());
    Ok((data.exoscale()?, zone))
}

/// Reads the pool and maps it onto `current`'s spelling. None: the pool is gone.
async fn read_back(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    current: &InstancePoolModel,
) -> Result<Option<InstancePoolModel>, Diagnostics> {
    let Some(pool) = client
        .get_instance_pool(zone, id)
        .await
        .map_err(|e| api_error("Could not read the instance pool", e))?
    else {
        return Ok(None);
    };
    let api_type = pool.instance_type.as_ref().map(|t| t.id.clone());
    let shown = match api_type {
        None => current.instance_type.clone(),
        Some(t) if Some(&t) == current.instance_type_id.as_ref() => current.instance_type.clone(),
        Some(t) if is_uuid(&current.instance_type) => t,
        Some(t) => match client.get_instance_type(zone, &t).await {
            Ok(Some(found)) if found.name().eq_ignore_ascii_case(&current.instance_type) => {
                current.instance_type.clone()
            }
            Ok(Some(found)) => found.name(),
            Ok(None) => t,
            Err(e) => return Err(api_error("Could not read the pool's instance type", e)),
        },
    };
    let mut model = convert::refreshed(current, &pool, shown);
    model.zone = Some(zone.to_string());
    Ok(Some(model))
}

/// Waits for one operation, naming what it was for in the error.
async fn wait_for(
    client: &ExoscaleClient,
    zone: &str,
    op: Operation,
    deadline: Instant,
    stop: &Stop,
    what: &str,
) -> Result<(), Diagnostics> {
    client
        .wait_operation(zone, op, deadline, stop)
        .await
        .map(|_| ())
        .map_err(|e| api_error(&format!("{what} did not complete"), e))
}

/// Waits until the pool is `running` with `size` instances.
async fn wait_running(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    size: i64,
    deadline: Instant,
    stop: &Stop,
) -> Result<(), Diagnostics> {
    let what = format!("instance pool {id} to be running with {size} instances");
    poll_until(deadline, stop, &what, || async {
        let pool = client
            .get_instance_pool(zone, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("instance pool {id} disappeared while waiting for it"))?;
        let count = pool.instances.as_ref().map_or(0, Vec::len);
        let state = pool.state.unwrap_or(PoolState::Unknown);
        if state == PoolState::Running && i64::try_from(count) == Ok(size) {
            Ok(Poll::Ready(()))
        } else {
            Ok(Poll::pending(format!("state {state}, {count} instances")))
        }
    })
    .await
    .map_err(|e: crate::wait::WaitError<String>| {
        api_error("The instance pool's instances did not start", e)
    })
}

/// Parses an import id: `<id>` or `<id>@<zone>`.
fn parse_import_id(text: &str) -> Option<(&str, Option<&str>)> {
    let (id, zone) = match text.split_once('@') {
        Some((id, zone)) => (id, Some(zone)),
        None => (text, None),
    };
    let zone_ok = zone.is_none_or(|z| EXOSCALE_ZONES.contains(&z));
    (is_uuid(id) && zone_ok).then_some((id, zone))
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

    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        super::state_upgrade::upgraders()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        use crate::plugin::resource::attr;
        let min = attr(config, "min_available").as_i64();
        if let (Some(min), Some(size)) = (min, attr(config, "size").as_i64()) {
            if min > size {
                diags.error_at(
                    AttrPath::attrs(&["min_available"]),
                    "Invalid value for min_available",
                    format!("min_available must be at most size ({size}); got {min}."),
                );
            }
        }
    }

    async fn modify_plan(&self, ctx: &Ctx, plan: &mut Plan) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let data = ctx.data::<ProviderData>().ok();
        let creating = plan.is_create();
        if creating && matches!(plan.config("zone"), Value::Null) {
            if let Some(data) = data {
                plan.set_planned("zone", Value::String(data.default_zone.clone()));
            }
        }
        if creating && plan.planned("size").as_i64() == Some(0) {
            diags.error_at(
                AttrPath::attrs(&["size"]),
                "Invalid value for size",
                "A new instance pool needs at least 1 instance: create it with size >= 1, then scale it to 0.",
            );
        }
        // Resolve the instance type now: typos fail at plan, and an id spelled differently
        // from the prior state (name vs id) is recognised as the same type.
        let wanted = plan.planned("instance_type").as_str().map(str::to_string);
        let zone = plan.planned("zone").as_str().map(str::to_string);
        let prior_type = plan.prior("instance_type").clone();
        match (wanted, zone, data.and_then(|d| d.exoscale().ok())) {
            (Some(wanted), Some(zone), Some(client))
                if creating || prior_type.as_str() != Some(wanted.as_str()) =>
            {
                match self.resolve_type(client, &zone, &wanted).await {
                    Ok(found) => {
                        let prior_id = plan.prior("instance_type_id").clone();
                        if !creating && prior_id.as_str() == Some(found.id.as_str()) {
                            plan.set_planned("instance_type", prior_type);
                        }
                        plan.set_planned("instance_type_id", Value::String(found.id));
                    }
                    Err(d) => diags.extend(d),
                }
            }
            (Some(wanted), ..) if !creating && prior_type.as_str() == Some(wanted.as_str()) => {}
            _ => plan.set_planned("instance_type_id", Value::Unknown(Default::default())),
        }
        if creating {
            return diags;
        }
        let before = plan
            .prior("public_ip_assignment")
            .as_str()
            .map(str::to_string);
        let after = plan
            .planned("public_ip_assignment")
            .as_str()
            .map(str::to_string);
        if let (Some(before), Some(after)) = (&before, &after) {
            if before != after && (before == "none" || after == "none") {
                plan.replace_on("public_ip_assignment");
            }
        }
        // The API ties IPv6 to the public IP assignment: changing one may change the other.
        let ip_changed = plan.planned("public_ip_assignment") != plan.prior("public_ip_assignment");
        let v6_changed = plan.planned("ipv6_enabled") != plan.prior("ipv6_enabled");
        if ip_changed && matches!(plan.config("ipv6_enabled"), Value::Null) {
            plan.set_planned("ipv6_enabled", Value::Unknown(Default::default()));
        }
        if v6_changed && matches!(plan.config("public_ip_assignment"), Value::Null) {
            plan.set_planned("public_ip_assignment", Value::Unknown(Default::default()));
        }
        // The declarative rules saw the user's spelling; if nothing really changed, keep
        // the prior state whole so the plan is empty.
        if without(&plan.planned, &PROVIDER_SET) == without(&plan.prior, &PROVIDER_SET) {
            plan.planned = plan.prior.clone();
            plan.requires_replace.clear();
            return diags;
        }
        let mut ignored: Vec<&str> = PROVIDER_SET.to_vec();
        ignored.extend(LOCAL_ONLY);
        let api_change = without(&plan.planned, &ignored) != without(&plan.prior, &ignored);
        if api_change {
            let error = managed_pool_error(
                plan.prior("id").as_str(),
                plan.prior("manager_id").as_str(),
                plan.prior("manager_type").as_str(),
                "changed",
            );
            diags.extend(error.unwrap_or_default());
        }
        diags
    }

    async fn create(&self, ctx: &Ctx, planned: InstancePoolModel) -> Applied<InstancePoolModel> {
        let (client, zone) = match client_and_zone(ctx, &planned.zone) {
            Ok(x) => x,
            Err(d) => return Applied::failed(None, d),
        };
        let deadline = Instant::now() + Timeouts::of(&planned.timeouts, "create", CREATE_TIMEOUT);
        let instance_type = match self
            .resolve_type(client, &zone, &planned.instance_type)
            .await
        {
            Ok(t) => t,
            Err(d) => return Applied::failed(None, d),
        };
        let body = convert::create_body(&planned, &instance_type.id);
        let op = match client.create_instance_pool(&zone, &body).await {
            Ok(op) => op,
            Err(e) => {
                return Applied::failed(None, api_error("Could not create the instance pool", e))
            }
        };
        let Some(id) = op.reference_id().map(str::to_string) else {
            return Applied::failed(
                None,
                api_error(
                    "Could not create the instance pool",
                    format!("the API accepted the create (operation {}) but did not name the new pool; look for it in zone {zone}", op.id),
                ),
            );
        };
        // From here on the pool exists: every outcome records its id.
        let mut state = planned.clone();
        state.id = Some(id.clone());
        state.zone = Some(zone.clone());
        state.instance_type_id = Some(instance_type.id);
        let waited = match wait_for(
            client,
            &zone,
            op,
            deadline,
            &ctx.stop,
            "Creating the instance pool",
        )
        .await
        {
            Ok(()) if planned.wait_for_instances == Some(true) => {
                wait_running(client, &zone, &id, planned.size, deadline, &ctx.stop).await
            }
            other => other,
        };
        if let Err(d) = waited {
            return Applied::failed(Some(state), d);
        }
        match read_back(client, &zone, &id, &state).await {
            Ok(Some(model)) => Applied::ok(model),
            Ok(None) => Applied::failed(
                Some(state),
                api_error(
                    "Instance pool vanished",
                    format!("instance pool {id} was created but no longer exists in zone {zone}"),
                ),
            ),
            Err(d) => Applied::failed(Some(state), d),
        }
    }

    async fn read(
        &self,
        ctx: &Ctx,
        current: InstancePoolModel,
    ) -> Result<Option<InstancePoolModel>, Diagnostics> {
        let Some(id) = current.id.clone() else {
            return Ok(None);
        };
        let (client, zone) = client_and_zone(ctx, &current.zone)?;
        read_back(client, &zone, &id, &current).await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: InstancePoolModel,
        planned: InstancePoolModel,
    ) -> Applied<InstancePoolModel> {
        let (client, zone) = match client_and_zone(ctx, &prior.zone) {
            Ok(x) => x,
            Err(d) => return Applied::failed(Some(prior), d),
        };
        let Some(id) = prior.id.clone() else {
            return Applied::failed(
                Some(prior),
                api_error(
                    "Instance pool has no id",
                    "the state has no pool id; remove it from state and import the pool",
                ),
            );
        };
        let deadline = Instant::now() + Timeouts::of(&planned.timeouts, "update", UPDATE_TIMEOUT);
        let mut target = planned.clone();
        if planned.instance_type != prior.instance_type && planned.instance_type_id.is_none() {
            match self
                .resolve_type(client, &zone, &planned.instance_type)
                .await
            {
                Ok(t) => target.instance_type_id = Some(t.id),
                Err(d) => return Applied::failed(Some(prior), d),
            }
        }
        let new_type = target
            .instance_type_id
            .clone()
            .filter(|t| Some(t) != prior.instance_type_id.as_ref());
        let changes = convert::changes(&prior, &target, new_type);
        let nothing_to_do =
            changes.update.is_empty() && changes.resets.is_empty() && changes.scale.is_none();
        if !nothing_to_do {
            if let Some(d) = managed_error(&prior, "changed") {
                return Applied::failed(Some(prior), d);
            }
        }
        let stop = &ctx.stop;
        let outcome: Result<(), Diagnostics> = async {
            if !changes.update.is_empty() {
                let op = client
                    .update_instance_pool(&zone, &id, &changes.update)
                    .await
                    .map_err(|e| api_error("Could not update the instance pool", e))?;
                wait_for(
                    client,
                    &zone,
                    op,
                    deadline,
                    stop,
                    "Updating the instance pool",
                )
                .await?;
            }
            for field in &changes.resets {
                let op = client
                    .reset_instance_pool_field(&zone, &id, *field)
                    .await
                    .map_err(|e| {
                        api_error(
                            &format!("Could not reset the pool's {}", field.path_name()),
                            e,
                        )
                    })?;
                wait_for(client, &zone, op, deadline, stop, "Resetting a pool field").await?;
            }
            if let Some(size) = changes.scale {
                let op = client
                    .scale_instance_pool(&zone, &id, size)
                    .await
                    .map_err(|e| api_error("Could not scale the instance pool", e))?;
                wait_for(
                    client,
                    &zone,
                    op,
                    deadline,
                    stop,
                    "Scaling the instance pool",
                )
                .await?;
                if planned.wait_for_instances == Some(true) {
                    wait_running(client, &zone, &id, size, deadline, stop).await?;
                }
            }
            Ok::<(), Diagnostics>(())
        }
        .await;
        match (read_back(client, &zone, &id, &target).await, outcome) {
            (Ok(Some(model)), Ok(())) => Applied::ok(model),
            (Ok(Some(model)), Err(d)) => Applied::failed(Some(model), d),
            (Ok(None), _) => Applied::failed(
                None,
                api_error(
                    "Instance pool vanished",
                    format!("instance pool {id} no longer exists in zone {zone}"),
                ),
            ),
            (Err(_), Err(d)) | (Err(d), Ok(())) => Applied::failed(Some(prior), d),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: InstancePoolModel) -> Diagnostics {
        if let Some(d) = managed_error(&prior, "deleted") {
            return d;
        }
        let Some(id) = prior.id.clone() else {
            return Diagnostics::new();
        };
        let (client, zone) = match client_and_zone(ctx, &prior.zone) {
            Ok(x) => x,
            Err(d) => return d,
        };
        let deadline = Instant::now() + Timeouts::of(&prior.timeouts, "delete", DELETE_TIMEOUT);
        let result = async {
            match client.delete_instance_pool(&zone, &id).await {
                Ok(Deletion::Started(op)) => {
                    wait_for(
                        client,
                        &zone,
                        op,
                        deadline,
                        &ctx.stop,
                        "Deleting the instance pool",
                    )
                    .await?
                }
                Ok(Deletion::AlreadyDestroying) => {}
                Ok(Deletion::AlreadyGone) => return Ok::<(), Diagnostics>(()),
                Err(e) => return Err(api_error("Could not delete the instance pool", e)),
            }
            client
                .wait_instance_pool_gone(&zone, &id, deadline, &ctx.stop)
                .await
                .map_err(|e| api_error("The instance pool was not deleted", e))
        }
        .await;
        result.err().unwrap_or_default()
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<InstancePoolModel, Diagnostics> {
        let Some((pool_id, zone)) = parse_import_id(id.trim()) else {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!(
                    "Expected `<pool id>` or `<pool id>@<zone>`, such as `01234567-89ab-cdef-0123-456789abcdef@ch-gva-2`, where the zone is one of {}; got {id:?}.",
                    EXOSCALE_ZONES.join(", ")
                ),
            )
            .into());
        };
        let (client, zone) = client_and_zone(ctx, &zone.map(str::to_string))?;
        let seed = InstancePoolModel {
            id: Some(pool_id.to_string()),
            zone: Some(zone.clone()),
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
