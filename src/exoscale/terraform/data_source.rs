//! Data sources `pools_instance_pool` (one pool, by id or name) and `pools_instance_pools`
//! (the pools of a zone, filtered by exact name and labels).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::descriptions;
use super::diagnostics::api_error;
use super::model::{decode_user_data, ids, ssh_key_names, Member};
use super::read::members;
use super::settings::{Exoscale, API_SETTINGS, ZONES};
use crate::exoscale::api::wire::{InstancePool, InstanceType};
use crate::exoscale::api::ExoscaleClient;
use crate::plugin::schema::ObjectNesting;
use crate::plugin::{
    validators, AttrPath, Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type,
    Value,
};

crate::model! {
    /// One pool as the data sources show it.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct PoolView {
        pub id: Option<String>,
        pub name: Option<String>,
        pub zone: Option<String>,
        pub description: Option<String>,
        pub size: Option<i64>,
        pub state: Option<String>,
        pub instance_type: Option<String>,
        pub instance_type_id: Option<String>,
        pub template_id: Option<String>,
        pub disk_size: Option<i64>,
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
        pub instance_ids: Option<Vec<String>>,
        pub instances: Option<Vec<Member>>,
        pub manager_id: Option<String>,
        pub manager_type: Option<String>,
    }
}

crate::model! {
    /// The `pools_instance_pools` data source.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct PoolsModel {
        pub zone: Option<String>,
        pub name: Option<String>,
        pub labels: Option<BTreeMap<String, String>>,
        pub ids: Option<Vec<String>>,
        pub pools: Option<Vec<PoolView>>,
    }
}

/// The computed attributes of a pool view (everything but id, name and zone).
fn view_attributes() -> Vec<Attribute> {
    let s = Attribute::string;
    let strings = |name: &str, ty: fn(Box<Type>) -> Type| {
        Attribute::new(name, ty(Box::new(Type::String))).computed()
    };
    vec![
        s("description")
            .computed()
            .describe("The pool's description."),
        Attribute::int("size")
            .computed()
            .describe("How many instances the pool runs."),
        s("state").computed().describe(descriptions::VIEW_STATE),
        s("instance_type")
            .computed()
            .describe("The instance type as `family.size`."),
        s("instance_type_id")
            .computed()
            .describe("The instance type's id."),
        s("template_id").computed().describe("The template's id."),
        Attribute::int("disk_size")
            .computed()
            .describe("The instances' disk size in GiB."),
        s("instance_prefix")
            .computed()
            .describe("The prefix of the instances' names."),
        strings("labels", Type::Map).describe(descriptions::VIEW_LABELS),
        strings("security_group_ids", Type::Set).describe("Security group ids."),
        strings("private_network_ids", Type::Set).describe("Private network ids."),
        strings("anti_affinity_group_ids", Type::Set).describe("Anti-affinity group ids."),
        strings("elastic_ip_ids", Type::Set).describe("Elastic IP ids."),
        strings("ssh_keys", Type::Set).describe("SSH key names."),
        s("user_data")
            .computed()
            .describe("The cloud-init user data, decoded when it is text."),
        s("public_ip_assignment")
            .computed()
            .describe("`inet4`, `dual` or `none`."),
        Attribute::bool("ipv6_enabled")
            .computed()
            .describe("Whether IPv6 is enabled (deprecated by the API)."),
        Attribute::int("min_available")
            .computed()
            .describe("The minimum number of running instances."),
        s("deploy_target_id")
            .computed()
            .describe("The deploy target's id, if any."),
        Attribute::bool("application_consistent_snapshot_enabled")
            .computed()
            .describe("Whether application-consistent snapshots are enabled."),
        strings("instance_ids", Type::List).describe("The ids of the pool's instances."),
        members_attribute(),
        s("manager_id")
            .computed()
            .describe(descriptions::VIEW_MANAGER_ID),
        s("manager_type")
            .computed()
            .describe(descriptions::VIEW_MANAGER_TYPE),
    ]
}

fn zone_attribute() -> Attribute {
    Attribute::string("zone")
        .optional_computed()
        .describe("The zone to look in. Default: the provider's `exoscale.zone`.")
        .validate(validators::one_of(ZONES))
}

/// The object type of one element of `pools_instance_pools.pools`.
fn view_type() -> Type {
    let mut block = Block::new("")
        .attribute(Attribute::string("id"))
        .attribute(Attribute::string("name"))
        .attribute(Attribute::string("zone"));
    for a in view_attributes() {
        block = block.attribute(a);
    }
    block.ty()
}

fn view(pool: &InstancePool, zone: &str, types: &[InstanceType]) -> PoolView {
    let type_id = pool.instance_type.as_ref().map(|t| t.id.clone());
    let type_name = type_id
        .as_ref()
        .and_then(|id| types.iter().find(|t| &t.id == id))
        .map(InstanceType::name);
    let manager = pool.manager.as_ref();
    PoolView {
        id: pool.id.clone(),
        name: pool.name.clone(),
        zone: Some(zone.to_string()),
        description: pool.description.clone(),
        size: pool.size,
        state: pool.state.as_ref().map(ToString::to_string),
        instance_type: type_name.or_else(|| type_id.clone()),
        instance_type_id: type_id,
        template_id: pool.template.as_ref().map(|t| t.id.clone()),
        disk_size: pool.disk_size,
        instance_prefix: pool.instance_prefix.clone(),
        labels: Some(pool.labels.clone().unwrap_or_default()),
        security_group_ids: Some(ids(&pool.security_groups)),
        private_network_ids: Some(ids(&pool.private_networks)),
        anti_affinity_group_ids: Some(ids(&pool.anti_affinity_groups)),
        elastic_ip_ids: Some(ids(&pool.elastic_ips)),
        ssh_keys: Some(ssh_key_names(pool)),
        user_data: pool.user_data.as_deref().map(decode_user_data),
        public_ip_assignment: pool.public_ip_assignment.clone(),
        ipv6_enabled: pool.ipv6_enabled,
        min_available: pool.min_available,
        deploy_target_id: pool.deploy_target.as_ref().map(|d| d.id.clone()),
        application_consistent_snapshot_enabled: pool.application_consistent_snapshot_enabled,
        instance_ids: Some(ids(&pool.instances)),
        // Filled by the caller, which lists the members (one more call).
        instances: None,
        manager_id: manager.and_then(|m| m.id.clone()),
        manager_type: manager.and_then(|m| m.kind.clone()),
    }
}

/// `instances`: each member's id, name, state and addresses, read with one
/// `GET /instance?manager-id=<pool>` call per pool.
pub fn members_attribute() -> Attribute {
    let member = |name: &str, what: &str| Attribute::string(name).computed().describe(what);
    Attribute::nested(
        "instances",
        ObjectNesting::List,
        vec![
            member("id", "The instance's id."),
            member("name", "The instance's name."),
            member("state", "The instance's state (such as `running`)."),
            member(
                "public_ip_address",
                "The instance's public IPv4 address, if any.",
            ),
            member("ipv6_address", "The instance's IPv6 address, if any."),
        ],
    )
    .computed()
    .describe("The pool's instances, ordered by name.")
}

/// The view of `pool` with its members.
async fn view_with_members(
    client: &ExoscaleClient,
    pool: &InstancePool,
    zone: &str,
    types: &[InstanceType],
) -> Result<PoolView, Diagnostics> {
    let mut shown = view(pool, zone, types);
    shown.instances = Some(members(client, zone, pool).await?);
    Ok(shown)
}

async fn instance_types(
    client: &ExoscaleClient,
    zone: &str,
) -> Result<Arc<Vec<InstanceType>>, Diagnostics> {
    client
        .instance_types(zone)
        .await
        .map_err(|e| api_error("Could not list instance types", e))
}

pub struct InstancePoolDataSource;

#[async_trait]
impl DataSource for InstancePoolDataSource {
    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    type Model = PoolView;

    fn type_name(&self) -> &'static str {
        "pools_instance_pool"
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new(descriptions::POOL_DATA_SOURCE)
            .attribute(
                Attribute::string("id")
                    .optional_computed()
                    .describe(descriptions::POOL_DATA_SOURCE_ID)
                    .validate(validators::uuid()),
            )
            .attribute(
                Attribute::string("name")
                    .optional_computed()
                    .describe(descriptions::POOL_DATA_SOURCE_NAME)
                    .validate(validators::not_empty()),
            )
            .attribute(zone_attribute());
        for a in view_attributes() {
            block = block.attribute(a);
        }
        Schema::new(block)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (id, name) = (config.attr("id"), config.attr("name"));
        if !id.is_known() || !name.is_known() {
            return;
        }
        let detail = "Set exactly one of `id` and `name`.";
        match (id, name) {
            (Value::Null, Value::Null) => diags.error("Missing pool id or name", detail),
            (Value::Null, _) | (_, Value::Null) => {}
            _ => diags.error_at(
                AttrPath::attrs(&["name"]),
                "Both id and name are set",
                detail,
            ),
        }
    }

    async fn read(&self, ctx: &Ctx, config: PoolView) -> Result<PoolView, Diagnostics> {
        let (client, zone) = Exoscale::client_and_zone(ctx, config.zone.as_deref())?;
        let pool = match (&config.id, &config.name) {
            (Some(id), _) => client
                .get_instance_pool(&zone, id)
                .await
                .map_err(|e| api_error("Could not read the instance pool", e))?
                .ok_or_else(|| {
                    Diagnostics::from(
                        Diagnostic::error(
                            "Instance pool not found",
                            format!("There is no instance pool {id} in zone {zone}."),
                        )
                        .at(AttrPath::attrs(&["id"])),
                    )
                })?,
            (None, Some(name)) => {
                let pools = client
                    .list_instance_pools(&zone)
                    .await
                    .map_err(|e| api_error("Could not list instance pools", e))?;
                let mut named: Vec<InstancePool> = pools
                    .into_iter()
                    .filter(|p| p.name.as_deref() == Some(name.as_str()))
                    .collect();
                if named.len() > 1 {
                    let found: Vec<String> = named.iter().filter_map(|p| p.id.clone()).collect();
                    return Err(Diagnostic::error(
                        "Instance pool name is ambiguous",
                        format!("{} pools in zone {zone} are named {name:?} ({}): look the pool up by `id` instead.", found.len(), found.join(", ")),
                    )
                    .at(AttrPath::attrs(&["name"]))
                    .into());
                }
                named.pop().ok_or_else(|| {
                    Diagnostics::from(
                        Diagnostic::error(
                            "Instance pool not found",
                            format!("There is no instance pool named {name:?} in zone {zone}."),
                        )
                        .at(AttrPath::attrs(&["name"])),
                    )
                })?
            }
            (None, None) => {
                return Err(Diagnostic::error(
                    "Missing pool id or name",
                    "Set exactly one of `id` and `name`.",
                )
                .into())
            }
        };
        let types = instance_types(client, &zone).await?;
        view_with_members(client, &pool, &zone, &types).await
    }
}

pub struct InstancePoolsDataSource;

#[async_trait]
impl DataSource for InstancePoolsDataSource {
    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    type Model = PoolsModel;

    fn type_name(&self) -> &'static str {
        "pools_instance_pools"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(descriptions::POOLS_DATA_SOURCE)
                .attribute(zone_attribute())
                .attribute(
                    Attribute::string("name")
                        .optional()
                        .describe(descriptions::POOLS_NAME_FILTER)
                        .validate(validators::not_empty()),
                )
                .attribute(
                    Attribute::map("labels", Type::String)
                        .optional()
                        .describe(descriptions::POOLS_LABELS_FILTER),
                )
                .attribute(
                    Attribute::list("ids", Type::String)
                        .computed()
                        .describe(descriptions::POOLS_IDS),
                )
                .attribute(
                    Attribute::list("pools", view_type())
                        .computed()
                        .describe(descriptions::POOLS_POOLS),
                ),
        )
    }

    async fn read(&self, ctx: &Ctx, config: PoolsModel) -> Result<PoolsModel, Diagnostics> {
        let (client, zone) = Exoscale::client_and_zone(ctx, config.zone.as_deref())?;
        let pools = client
            .list_instance_pools(&zone)
            .await
            .map_err(|e| api_error("Could not list instance pools", e))?;
        let wanted = config.labels.clone().unwrap_or_default();
        let matching: Vec<&InstancePool> = pools
            .iter()
            .filter(|p| config.name.is_none() || p.name == config.name)
            .filter(|p| {
                let labels = p.labels.clone().unwrap_or_default();
                wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .collect();
        let types = if matching.is_empty() {
            Arc::default()
        } else {
            instance_types(client, &zone).await?
        };
        let mut views = Vec::with_capacity(matching.len());
        for pool in &matching {
            views.push(view_with_members(client, pool, &zone, &types).await?);
        }
        Ok(PoolsModel {
            ids: Some(matching.iter().filter_map(|p| p.id.clone()).collect()),
            pools: Some(views),
            zone: Some(zone),
            ..config
        })
    }
}
