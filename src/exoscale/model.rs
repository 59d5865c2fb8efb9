//! Exoscale API v2 types for instance pools, operations and instance types (kebab-case JSON).
//! Every field the API may leave out is optional, so answers from newer API versions or
//! partial answers still decode.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A reference by id (template, instance type, security group, private network, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: String,
}

impl IdRef {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// A reference by name (SSH keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameRef {
    pub name: String,
}

impl NameRef {
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// The service that manages a pool (e.g. an SKS nodepool); such pools must not be changed
/// directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manager {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// An instance pool's `state`. A state from a newer API is kept as it is, so that it can
/// be shown rather than rejected or blurred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolState {
    Creating,
    Running,
    ScalingUp,
    ScalingDown,
    Updating,
    Destroying,
    Suspended,
    /// A state this provider does not know yet, verbatim.
    Other(String),
}

impl PoolState {
    const KNOWN: [PoolState; 7] = [
        PoolState::Creating,
        PoolState::Running,
        PoolState::ScalingUp,
        PoolState::ScalingDown,
        PoolState::Updating,
        PoolState::Destroying,
        PoolState::Suspended,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            PoolState::Creating => "creating",
            PoolState::Running => "running",
            PoolState::ScalingUp => "scaling-up",
            PoolState::ScalingDown => "scaling-down",
            PoolState::Updating => "updating",
            PoolState::Destroying => "destroying",
            PoolState::Suspended => "suspended",
            PoolState::Other(raw) => raw,
        }
    }

    pub fn parse(raw: &str) -> PoolState {
        Self::KNOWN
            .into_iter()
            .find(|s| s.as_str() == raw)
            .unwrap_or_else(|| PoolState::Other(raw.to_string()))
    }
}

impl fmt::Display for PoolState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PoolState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PoolState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PoolState::parse(&String::deserialize(d)?))
    }
}

/// An instance pool as `GET /instance-pool/{id}` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InstancePool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PoolState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<NameRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_keys: Option<Vec<NameRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_networks: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_ips: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_affinity_groups: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_target: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_assignment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_consistent_snapshot_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Manager>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<IdRef>>,
}

/// `GET /instance-pool` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InstancePoolList {
    #[serde(default)]
    pub instance_pools: Vec<InstancePool>,
}

/// `POST /instance-pool` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateInstancePool {
    pub name: String,
    pub size: i64,
    pub instance_type: IdRef,
    pub template: IdRef,
    pub disk_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<NameRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_keys: Option<Vec<NameRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_networks: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_ips: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_affinity_groups: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_target: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_assignment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_consistent_snapshot_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `PUT /instance-pool/{id}` body: only the fields set are changed; list fields replace
/// the whole list, so always send the complete list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdateInstancePool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<NameRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_keys: Option<Vec<NameRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_networks: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_ips: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_affinity_groups: Option<Vec<IdRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_target: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_assignment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_consistent_snapshot_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

impl UpdateInstancePool {
    /// True when no field is set (no update call is needed).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `PUT /instance-pool/{id}:scale` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleInstancePool {
    pub size: i64,
}

/// `PUT /instance-pool/{id}:evict` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictInstancePoolMembers {
    pub instances: Vec<String>,
}

/// Fields that `DELETE /instance-pool/{id}/{field}` resets to their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResettableField {
    AntiAffinityGroups,
    DeployTarget,
    Description,
    ElasticIps,
    Ipv6Enabled,
    Labels,
    PrivateNetworks,
    SecurityGroups,
    SshKey,
    UserData,
}

impl ResettableField {
    pub const ALL: [ResettableField; 10] = [
        ResettableField::AntiAffinityGroups,
        ResettableField::DeployTarget,
        ResettableField::Description,
        ResettableField::ElasticIps,
        ResettableField::Ipv6Enabled,
        ResettableField::Labels,
        ResettableField::PrivateNetworks,
        ResettableField::SecurityGroups,
        ResettableField::SshKey,
        ResettableField::UserData,
    ];

    /// The field's name in the reset path (and in the pool's JSON).
    pub fn path_name(self) -> &'static str {
        match self {
            ResettableField::AntiAffinityGroups => "anti-affinity-groups",
            ResettableField::DeployTarget => "deploy-target",
            ResettableField::Description => "description",
            ResettableField::ElasticIps => "elastic-ips",
            ResettableField::Ipv6Enabled => "ipv6-enabled",
            ResettableField::Labels => "labels",
            ResettableField::PrivateNetworks => "private-networks",
            ResettableField::SecurityGroups => "security-groups",
            ResettableField::SshKey => "ssh-key",
            ResettableField::UserData => "user-data",
        }
    }

    pub fn from_path_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.path_name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationState {
    Pending,
    Success,
    Failure,
    Timeout,
    #[serde(other)]
    Unknown,
}

impl OperationState {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationState::Pending => "pending",
            OperationState::Success => "success",
            OperationState::Failure => "failure",
            OperationState::Timeout => "timeout",
            OperationState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// The answer to every mutation; poll `GET /operation/{id}` until it leaves `pending`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub state: OperationState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
}

impl Operation {
    /// The id of the resource the operation acts on (the new pool's id for a create).
    pub fn reference_id(&self) -> Option<&str> {
        self.reference.as_ref()?.id.as_deref()
    }

    pub fn is_pending(&self) -> bool {
        self.state == OperationState::Pending
    }
}

/// A compute instance type; its user-facing name is `family.size`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceType {
    pub id: String,
    #[serde(default)]
    pub family: String,
    #[serde(default)]
    pub size: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
}

impl InstanceType {
    /// The canonical (lower-case) `family.size` name.
    pub fn name(&self) -> String {
        format!("{}.{}", self.family, self.size).to_ascii_lowercase()
    }
}

/// Normalises a user-written instance type name (`Standard.Medium` -> `standard.medium`);
/// None when it is not `family.size`.
pub fn normalize_instance_type_name(name: &str) -> Option<String> {
    let (family, size) = name.trim().split_once('.')?;
    if family.is_empty() || size.is_empty() || size.contains('.') {
        return None;
    }
    Some(format!("{family}.{size}").to_ascii_lowercase())
}

/// Finds an instance type by `family.size` name, ignoring case.
pub fn find_instance_type<'a>(types: &'a [InstanceType], name: &str) -> Option<&'a InstanceType> {
    let wanted = normalize_instance_type_name(name)?;
    types.iter().find(|t| t.name() == wanted)
}

/// `GET /instance-type` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InstanceTypeList {
    #[serde(default)]
    pub instance_types: Vec<InstanceType>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_documented_pool() {
        let pool: InstancePool = serde_json::from_value(json!({
            "anti-affinity-groups": [{"id": "a"}],
            "application-consistent-snapshot-enabled": true,
            "deploy-target": {"id": "d"},
            "description": "desc",
            "disk-size": 50,
            "elastic-ips": [{"id": "e"}],
            "id": "p1",
            "instance-prefix": "pool",
            "instance-type": {"id": "t"},
            "instances": [{"id": "i1"}],
            "ipv6-enabled": false,
            "labels": {"env": "test"},
            "manager": {"id": "m", "type": "sks-nodepool"},
            "min-available": 1,
            "name": "web",
            "private-networks": [{"id": "n"}],
            "public-ip-assignment": "inet4",
            "security-groups": [{"id": "s"}],
            "size": 3,
            "ssh-key": {"name": "k"},
            "ssh-keys": [{"name": "k"}],
            "state": "scaling-up",
            "template": {"id": "tpl"},
            "user-data": "I2Nsb3VkLWNvbmZpZw=="
        }))
        .unwrap();
        assert_eq!(pool.state, Some(PoolState::ScalingUp));
        assert_eq!(
            pool.manager.as_ref().and_then(|m| m.kind.as_deref()),
            Some("sks-nodepool")
        );
        assert_eq!(
            pool.labels.as_ref().map(|l| l["env"].as_str()),
            Some("test")
        );
        assert_eq!(pool.instances.as_ref().map(Vec::len), Some(1));
        // Unknown future states are kept verbatim; missing fields do not break decoding.
        let odd: InstancePool =
            serde_json::from_value(json!({"id": "p", "state": "hibernating"})).unwrap();
        assert_eq!(odd.state, Some(PoolState::Other("hibernating".into())));
        assert_eq!(
            odd.state.as_ref().map(ToString::to_string).as_deref(),
            Some("hibernating")
        );
        assert_eq!(
            serde_json::to_value(&odd).unwrap(),
            json!({"id": "p", "state": "hibernating"})
        );
        assert_eq!(PoolState::parse("scaling-down"), PoolState::ScalingDown);
    }

    #[test]
    fn update_sends_only_set_fields_and_whole_lists() {
        let update = UpdateInstancePool {
            description: Some("new".into()),
            security_groups: Some(vec![IdRef::new("s1"), IdRef::new("s2")]),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({"description": "new", "security-groups": [{"id": "s1"}, {"id": "s2"}]})
        );
        assert!(UpdateInstancePool::default().is_empty());
        assert!(!update.is_empty());
    }

    #[test]
    fn create_body_is_kebab_case() {
        let create = CreateInstancePool {
            name: "web".into(),
            size: 2,
            instance_type: IdRef::new("t"),
            template: IdRef::new("tpl"),
            disk_size: 10,
            description: None,
            instance_prefix: Some("web".into()),
            user_data: None,
            ssh_key: Some(NameRef::new("sandbox")),
            ssh_keys: None,
            security_groups: None,
            private_networks: None,
            elastic_ips: None,
            anti_affinity_groups: None,
            deploy_target: None,
            ipv6_enabled: None,
            public_ip_assignment: None,
            application_consistent_snapshot_enabled: None,
            min_available: None,
            labels: None,
        };
        assert_eq!(
            serde_json::to_value(&create).unwrap(),
            json!({"name": "web", "size": 2, "instance-type": {"id": "t"}, "template": {"id": "tpl"},
                   "disk-size": 10, "instance-prefix": "web", "ssh-key": {"name": "sandbox"}})
        );
    }

    #[test]
    fn operation_and_reference() {
        let op: Operation = serde_json::from_value(json!({
            "id": "o1", "state": "failure", "reason": "busy", "message": "try later",
            "reference": {"id": "p1", "link": "/v2/instance-pool/p1", "command": "create-instance-pool"}
        }))
        .unwrap();
        assert_eq!(op.state, OperationState::Failure);
        assert_eq!(op.reference_id(), Some("p1"));
        assert!(!op.is_pending());
    }

    #[test]
    fn resettable_fields_round_trip() {
        for field in ResettableField::ALL {
            assert_eq!(
                ResettableField::from_path_name(field.path_name()),
                Some(field)
            );
        }
        assert_eq!(ResettableField::from_path_name("name"), None);
    }

    #[test]
    fn instance_type_names_ignore_case() {
        let types = vec![
            InstanceType {
                id: "1".into(),
                family: "standard".into(),
                size: "medium".into(),
                ..Default::default()
            },
            InstanceType {
                id: "2".into(),
                family: "gpu3080ti".into(),
                size: "small".into(),
                ..Default::default()
            },
        ];
        assert_eq!(
            find_instance_type(&types, "Standard.MEDIUM").map(|t| t.id.as_str()),
            Some("1")
        );
        assert_eq!(
            find_instance_type(&types, " gpu3080ti.small ").map(|t| t.id.as_str()),
            Some("2")
        );
        assert_eq!(find_instance_type(&types, "standard"), None);
        assert_eq!(find_instance_type(&types, "standard.medium.x"), None);
        assert_eq!(types[0].name(), "standard.medium");
    }
}
