//! Instance pools as the API reads and writes them: the pool, the bodies that create,
//! update, scale and evict one, and the fields a reset restores to their default. Every
//! field the API may leave out is optional, so answers from newer API versions or partial
//! answers still decode.

use std::collections::{BTreeMap, BTreeSet};
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
    /// The pool could not reach its size or apply a change; its `error_reason` says why.
    Degraded,
    /// A state this provider does not know yet, verbatim.
    Other(String),
}

impl PoolState {
    const KNOWN: [PoolState; 8] = [
        PoolState::Creating,
        PoolState::Running,
        PoolState::ScalingUp,
        PoolState::ScalingDown,
        PoolState::Updating,
        PoolState::Destroying,
        PoolState::Suspended,
        PoolState::Degraded,
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
            PoolState::Degraded => "degraded",
            PoolState::Other(raw) => raw,
        }
    }

    /// While an operation runs on the pool: another change would have to wait for it.
    pub fn is_transitional(&self) -> bool {
        matches!(
            self,
            PoolState::Creating
                | PoolState::ScalingUp
                | PoolState::ScalingDown
                | PoolState::Updating
                | PoolState::Destroying
        )
    }

    /// A state from a newer API than this provider knows.
    pub fn is_unknown(&self) -> bool {
        matches!(self, PoolState::Other(_))
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

/// Why a pool is `degraded` (or otherwise failing), as newer API versions say it. Every
/// field is optional: the API may send an empty object. Read leniently (see its
/// `Deserialize`), so that a newer shape never makes the pool itself unreadable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorReason {
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The kind of error, such as `quota-exceeded`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The API job that failed.
    #[serde(rename = "job-id", default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

impl<'de> Deserialize<'de> for ErrorReason {
    /// An object with string fields as documented; a bare string is its cause; anything
    /// else (or a field of another type) says nothing.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Object(fields) => ErrorReason {
                cause: text(fields.get("cause")),
                kind: text(fields.get("type")),
                job_id: text(fields.get("job-id")),
            },
            serde_json::Value::String(cause) => ErrorReason {
                cause: Some(cause),
                ..ErrorReason::default()
            },
            _ => ErrorReason::default(),
        })
    }
}

impl ErrorReason {
    /// The reason as one line (`quota-exceeded: <cause> (job <id>)`); None when it says
    /// nothing (no cause, no type).
    pub fn message(&self) -> Option<String> {
        let given = |field: &Option<String>| {
            field
                .as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        let mut text = match (given(&self.kind), given(&self.cause)) {
            (Some(kind), Some(cause)) => format!("{kind}: {cause}"),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => return None,
        };
        if let Some(job) = given(&self.job_id) {
            text.push_str(&format!(" (job {job})"));
        }
        Some(text)
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
    /// Newer API versions: why the pool is failing. The key is snake_case, unlike the
    /// pool's other keys (as the official SDK reads it); the kebab-case spelling is read too.
    #[serde(
        rename = "error_reason",
        alias = "error-reason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_reason: Option<ErrorReason>,
}

impl InstancePool {
    /// What the API says is wrong with the pool, if anything: its `error_reason` (when it
    /// says something), or, for a `degraded` pool that gives none, that it is degraded.
    pub fn failure(&self) -> Option<String> {
        let reason = self.error_reason.as_ref().and_then(ErrorReason::message);
        match (&self.state, reason) {
            (_, Some(reason)) => Some(reason),
            (Some(PoolState::Degraded), None) => Some("the API gives no reason".to_string()),
            _ => None,
        }
    }

    /// Whether the pool is in a state this provider does not know (from a newer API).
    pub fn state_is_unknown(&self) -> bool {
        self.state.as_ref().is_some_and(PoolState::is_unknown)
    }
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

    /// Whether `pool` holds every field this update sets, comparing lists as sets and an
    /// absent value as the API's default: then an update whose answer was lost landed.
    pub fn is_reflected_in(&self, pool: &InstancePool) -> bool {
        fn same<T: PartialEq>(sent: &Option<T>, held: T) -> bool {
            sent.as_ref().is_none_or(|sent| *sent == held)
        }
        fn id(r: &Option<IdRef>) -> Option<String> {
            r.as_ref().map(|r| r.id.to_ascii_lowercase())
        }
        fn same_id(sent: &Option<IdRef>, held: &Option<IdRef>) -> bool {
            sent.is_none() || id(sent) == id(held)
        }
        fn ids(refs: &Option<Vec<IdRef>>) -> BTreeSet<String> {
            refs.iter()
                .flatten()
                .map(|r| r.id.to_ascii_lowercase())
                .collect()
        }
        fn same_ids(sent: &Option<Vec<IdRef>>, held: &Option<Vec<IdRef>>) -> bool {
            sent.is_none() || ids(sent) == ids(held)
        }
        let names = |keys: &Option<Vec<NameRef>>| -> BTreeSet<String> {
            keys.iter().flatten().map(|k| k.name.clone()).collect()
        };
        // The deprecated single key stands in when the list is absent.
        let held_keys = match (&pool.ssh_keys, &pool.ssh_key) {
            (Some(keys), _) if !keys.is_empty() => names(&pool.ssh_keys),
            (_, Some(key)) => BTreeSet::from([key.name.clone()]),
            _ => BTreeSet::new(),
        };
        same(&self.name, pool.name.clone().unwrap_or_default())
            && same(
                &self.description,
                pool.description.clone().unwrap_or_default(),
            )
            && same_id(&self.instance_type, &pool.instance_type)
            && same_id(&self.template, &pool.template)
            && same(&self.disk_size, pool.disk_size.unwrap_or_default())
            && same(
                &self.instance_prefix,
                pool.instance_prefix
                    .clone()
                    .unwrap_or_else(|| "pool".into()),
            )
            && same(&self.user_data, pool.user_data.clone().unwrap_or_default())
            && (self.ssh_key.is_none() || self.ssh_key == pool.ssh_key)
            && (self.ssh_keys.is_none() || names(&self.ssh_keys) == held_keys)
            && same_ids(&self.security_groups, &pool.security_groups)
            && same_ids(&self.private_networks, &pool.private_networks)
            && same_ids(&self.elastic_ips, &pool.elastic_ips)
            && same_ids(&self.anti_affinity_groups, &pool.anti_affinity_groups)
            && same_id(&self.deploy_target, &pool.deploy_target)
            && same(&self.ipv6_enabled, pool.ipv6_enabled.unwrap_or(false))
            && same(
                &self.public_ip_assignment,
                pool.public_ip_assignment
                    .clone()
                    .unwrap_or_else(|| "inet4".into()),
            )
            && same(
                &self.application_consistent_snapshot_enabled,
                pool.application_consistent_snapshot_enabled
                    .unwrap_or(false),
            )
            && same(&self.min_available, pool.min_available.unwrap_or(0))
            && same(&self.labels, pool.labels.clone().unwrap_or_default())
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

    /// Whether `pool` shows this field at its default: then a reset whose answer was lost
    /// landed.
    pub fn is_reset_in(self, pool: &InstancePool) -> bool {
        let empty = |list: &Option<Vec<IdRef>>| list.as_ref().is_none_or(Vec::is_empty);
        match self {
            ResettableField::AntiAffinityGroups => empty(&pool.anti_affinity_groups),
            ResettableField::DeployTarget => pool.deploy_target.is_none(),
            ResettableField::Description => pool.description.as_deref().unwrap_or("").is_empty(),
            ResettableField::ElasticIps => empty(&pool.elastic_ips),
            ResettableField::Ipv6Enabled => pool.ipv6_enabled != Some(true),
            ResettableField::Labels => pool.labels.as_ref().is_none_or(BTreeMap::is_empty),
            ResettableField::PrivateNetworks => empty(&pool.private_networks),
            ResettableField::SecurityGroups => empty(&pool.security_groups),
            ResettableField::SshKey => pool.ssh_key.is_none(),
            ResettableField::UserData => pool.user_data.is_none(),
        }
    }
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
    fn a_lost_update_or_reset_is_recognised_in_the_pool() {
        let pool: InstancePool = serde_json::from_value(json!({
            "id": "p1", "name": "web", "description": "d", "disk-size": 20,
            "security-groups": [{"id": "S2"}, {"id": "s1"}],
            "ssh-key": {"name": "k"}, "labels": {"env": "prod"},
            "instance-type": {"id": "t1"}, "state": "running"
        }))
        .unwrap();
        let update = |value: serde_json::Value| -> UpdateInstancePool {
            serde_json::from_value(value).unwrap()
        };
        // Lists as sets, ids in any case, the single SSH key for the list, defaults for
        // what the pool leaves out.
        for landed in [
            json!({"description": "d", "disk-size": 20}),
            json!({"security-groups": [{"id": "s1"}, {"id": "s2"}]}),
            json!({"ssh-keys": [{"name": "k"}], "instance-type": {"id": "T1"}}),
            json!({"elastic-ips": [], "ipv6-enabled": false, "instance-prefix": "pool"}),
            json!({"public-ip-assignment": "inet4", "min-available": 0}),
            json!({"labels": {"env": "prod"}}),
        ] {
            assert!(update(landed.clone()).is_reflected_in(&pool), "{landed}");
        }
        for missing in [
            json!({"description": "new"}),
            json!({"security-groups": [{"id": "s1"}]}),
            json!({"labels": {}}),
            json!({"ssh-keys": [{"name": "k"}, {"name": "other"}]}),
            json!({"name": "api"}),
        ] {
            assert!(!update(missing.clone()).is_reflected_in(&pool), "{missing}");
        }
        assert!(ResettableField::UserData.is_reset_in(&pool));
        assert!(ResettableField::ElasticIps.is_reset_in(&pool));
        assert!(ResettableField::Ipv6Enabled.is_reset_in(&pool));
        assert!(!ResettableField::Description.is_reset_in(&pool));
        assert!(!ResettableField::Labels.is_reset_in(&pool));
        assert!(!ResettableField::SecurityGroups.is_reset_in(&pool));
        assert!(!ResettableField::SshKey.is_reset_in(&pool));
    }

    #[test]
    fn a_degraded_pool_and_its_error_reason_decode_as_the_sdk_reads_them() {
        let pool: InstancePool = serde_json::from_value(json!({
            "id": "p1", "state": "degraded",
            "error_reason": {"cause": "no quota left", "type": "quota-exceeded", "job-id": "j1"}
        }))
        .unwrap();
        assert_eq!(pool.state, Some(PoolState::Degraded));
        assert_eq!(
            pool.failure().as_deref(),
            Some("quota-exceeded: no quota left (job j1)")
        );
        let failure = |value: serde_json::Value| {
            serde_json::from_value::<InstancePool>(value)
                .unwrap()
                .failure()
        };
        // Degraded without a reason, a reason in another state (and in kebab-case), none.
        assert_eq!(
            failure(json!({"state": "degraded"})).as_deref(),
            Some("the API gives no reason")
        );
        assert_eq!(
            failure(json!({"state": "running", "error-reason": {"cause": "boom"}})).as_deref(),
            Some("boom")
        );
        assert_eq!(
            failure(json!({"state": "running", "error_reason": {}})),
            None
        );
        assert_eq!(
            failure(json!({"state": "hibernating", "error_reason": {"type": " "}})),
            None
        );
        assert_eq!(failure(json!({"state": "running"})), None);
        // Another shape never makes the pool unreadable: a string is the cause, the rest
        // says nothing (and a degraded pool still fails).
        assert_eq!(
            failure(json!({"state": "running", "error_reason": "out of quota"})).as_deref(),
            Some("out of quota")
        );
        assert_eq!(
            failure(json!({"state": "running", "error_reason": [1, 2]})),
            None
        );
        assert_eq!(
            failure(json!({"state": "degraded", "error_reason": {"cause": 7, "type": "x"}}))
                .as_deref(),
            Some("x")
        );
        // Written back as the API sends it.
        assert_eq!(
            serde_json::to_value(&pool).unwrap()["error_reason"]["job-id"],
            "j1"
        );
    }

    #[test]
    fn transitional_states_are_those_of_a_running_operation() {
        for state in [
            "creating",
            "scaling-up",
            "scaling-down",
            "updating",
            "destroying",
        ] {
            assert!(PoolState::parse(state).is_transitional(), "{state}");
        }
        for state in ["running", "suspended", "degraded", "hibernating"] {
            assert!(!PoolState::parse(state).is_transitional(), "{state}");
        }
        assert!(PoolState::parse("hibernating").is_unknown());
        assert!(!PoolState::parse("degraded").is_unknown());
    }
}
