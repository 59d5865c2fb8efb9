//! Ona (Gitpod) PrebuildService warm pool messages in proto3 JSON: camelCase keys, zero
//! values omitted on output and tolerated when missing on input, 64-bit integers as strings,
//! enums by name, timestamps as RFC 3339 strings.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Lifecycle phase of a warm pool (`WARM_POOL_PHASE_*`). A phase from a newer API is kept
/// as it is, so that it can be shown rather than rejected or blurred.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub enum WarmPoolPhase {
    #[default]
    Unspecified,
    Pending,
    Ready,
    Degraded,
    Deleting,
    Deleted,
    /// A phase this provider does not know yet: its name, or its number when the API sent
    /// one, verbatim.
    Other(String),
}

impl WarmPoolPhase {
    /// The known phases, in proto enum number order.
    const KNOWN: [WarmPoolPhase; 6] = [
        WarmPoolPhase::Unspecified,
        WarmPoolPhase::Pending,
        WarmPoolPhase::Ready,
        WarmPoolPhase::Degraded,
        WarmPoolPhase::Deleting,
        WarmPoolPhase::Deleted,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            WarmPoolPhase::Unspecified => "WARM_POOL_PHASE_UNSPECIFIED",
            WarmPoolPhase::Pending => "WARM_POOL_PHASE_PENDING",
            WarmPoolPhase::Ready => "WARM_POOL_PHASE_READY",
            WarmPoolPhase::Degraded => "WARM_POOL_PHASE_DEGRADED",
            WarmPoolPhase::Deleting => "WARM_POOL_PHASE_DELETING",
            WarmPoolPhase::Deleted => "WARM_POOL_PHASE_DELETED",
            WarmPoolPhase::Other(raw) => raw,
        }
    }

    /// The proto enum number; None for a phase this provider does not know by name.
    pub fn number(&self) -> Option<i64> {
        match self {
            WarmPoolPhase::Other(raw) => raw.parse().ok(),
            known => Self::KNOWN
                .iter()
                .position(|p| p == known)
                .and_then(|i| i64::try_from(i).ok()),
        }
    }

    pub fn is_unspecified(&self) -> bool {
        *self == WarmPoolPhase::Unspecified
    }

    fn from_name(name: &str) -> WarmPoolPhase {
        Self::KNOWN
            .into_iter()
            .find(|p| p.as_str() == name)
            .unwrap_or_else(|| WarmPoolPhase::Other(name.to_string()))
    }

    fn from_number(number: i64) -> WarmPoolPhase {
        usize::try_from(number)
            .ok()
            .and_then(|i| Self::KNOWN.get(i).cloned())
            .unwrap_or_else(|| WarmPoolPhase::Other(number.to_string()))
    }
}

impl fmt::Display for WarmPoolPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for WarmPoolPhase {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WarmPoolPhase {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PhaseVisitor;
        impl Visitor<'_> for PhaseVisitor {
            type Value = WarmPoolPhase;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a WARM_POOL_PHASE_* name or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(WarmPoolPhase::from_name(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(WarmPoolPhase::from_number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(match i64::try_from(v) {
                    Ok(v) => WarmPoolPhase::from_number(v),
                    Err(_) => WarmPoolPhase::Other(v.to_string()),
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(WarmPoolPhase::Unspecified)
            }
        }
        d.deserialize_any(PhaseVisitor)
    }
}

/// proto3 JSON for uint64: written as a string, read from a string or a number.
mod u64_string {
    use super::*;

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Number(u64),
            Null(()),
        }
        match Either::deserialize(d)? {
            Either::Text(t) if t.is_empty() => Ok(0),
            Either::Text(t) => t.parse().map_err(de::Error::custom),
            Either::Number(n) => Ok(n),
            Either::Null(()) => Ok(0),
        }
    }
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WarmPoolMetadata {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub project_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub environment_class_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub runner_id: String,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WarmPoolSpec {
    #[serde(with = "u64_string", skip_serializing_if = "is_zero_u64")]
    pub spec_version: u64,
    /// Deprecated by the API in favour of min/max size; kept for reading old pools.
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub desired_size: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    #[serde(skip_serializing_if = "WarmPoolPhase::is_unspecified")]
    pub desired_phase: WarmPoolPhase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_size: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WarmPoolStatus {
    #[serde(skip_serializing_if = "WarmPoolPhase::is_unspecified")]
    pub phase: WarmPoolPhase,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub failure_message: String,
    #[serde(with = "u64_string", skip_serializing_if = "is_zero_u64")]
    pub status_version: u64,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub running_instances: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub stopped_instances: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub desired_size: i32,
}

/// A warm pool: pre-created environments for one (project, environment class) pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WarmPool {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub metadata: WarmPoolMetadata,
    pub spec: WarmPoolSpec,
    pub status: WarmPoolStatus,
}

/// The `{warmPool}` wrapper of Create/Get/Update answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WarmPoolResponse {
    pub warm_pool: Option<WarmPool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWarmPoolRequest {
    pub project_id: String,
    pub environment_class_id: String,
    /// proto3 `optional`: present even when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_size: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWarmPoolRequest {
    pub warm_pool_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_size: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i32>,
}

/// Get and Delete requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarmPoolIdRequest {
    pub warm_pool_id: String,
}

/// Which warm pools to list; empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WarmPoolFilter {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment_class_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaginationRequest {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token: String,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub page_size: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaginationResponse {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_token: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListWarmPoolsRequest {
    pub pagination: PaginationRequest,
    pub filter: WarmPoolFilter,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListWarmPoolsResponse {
    pub pagination: PaginationResponse,
    pub warm_pools: Vec<WarmPool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_documented_pool() {
        let pool: WarmPoolResponse = serde_json::from_value(json!({"warmPool": {
            "metadata": {"createdAt": "2019-12-27T18:11:19.117Z", "updatedAt": "2019-12-27T18:11:19.117Z",
                         "environmentClassId": "ec", "organizationId": "org", "projectId": "prj", "runnerId": "r"},
            "spec": {"desiredPhase": "WARM_POOL_PHASE_READY", "desiredSize": 1, "maxSize": 5, "minSize": 0,
                     "snapshotId": "snap", "specVersion": "7"},
            "status": {"phase": "WARM_POOL_PHASE_DEGRADED", "desiredSize": 0, "failureMessage": "no capacity",
                       "runningInstances": 2, "statusVersion": "12", "stoppedInstances": 1},
            "id": "wp1"}}))
        .unwrap();
        let pool = pool.warm_pool.unwrap();
        assert_eq!(pool.id, "wp1");
        assert_eq!(pool.metadata.project_id, "prj");
        assert_eq!(pool.spec.spec_version, 7);
        assert_eq!(pool.spec.min_size, Some(0));
        assert_eq!(pool.spec.max_size, Some(5));
        assert_eq!(pool.status.phase, WarmPoolPhase::Degraded);
        assert_eq!(pool.status.status_version, 12);
        assert_eq!(pool.status.failure_message, "no capacity");
    }

    #[test]
    fn missing_fields_numbers_and_unknown_enums_are_tolerated() {
        let pool: WarmPool =
            serde_json::from_value(json!({"id": "wp", "status": {"phase": 2, "statusVersion": 3}}))
                .unwrap();
        assert_eq!(pool.status.phase, WarmPoolPhase::Ready);
        assert_eq!(pool.status.status_version, 3);
        assert_eq!(pool.spec, WarmPoolSpec::default());
        // Phases from a newer API are kept verbatim, by name or by number.
        let odd: WarmPoolStatus =
            serde_json::from_value(json!({"phase": "WARM_POOL_PHASE_HIBERNATING"})).unwrap();
        assert_eq!(
            odd.phase,
            WarmPoolPhase::Other("WARM_POOL_PHASE_HIBERNATING".into())
        );
        assert_eq!(odd.phase.to_string(), "WARM_POOL_PHASE_HIBERNATING");
        assert_eq!(
            serde_json::to_value(&odd).unwrap(),
            json!({"phase": "WARM_POOL_PHASE_HIBERNATING"})
        );
        let numbered: WarmPoolStatus = serde_json::from_value(json!({"phase": 9})).unwrap();
        assert_eq!(numbered.phase, WarmPoolPhase::Other("9".into()));
        assert_eq!(numbered.phase.number(), Some(9));
        assert_eq!(WarmPoolPhase::Deleted.number(), Some(5));
        assert_eq!(odd.phase.number(), None);
    }

    #[test]
    fn zero_values_are_omitted_on_output() {
        let pool = WarmPool {
            id: "wp".into(),
            spec: WarmPoolSpec {
                spec_version: 2,
                min_size: Some(0),
                max_size: Some(3),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&pool).unwrap(),
            json!({"id": "wp", "metadata": {}, "spec": {"specVersion": "2", "minSize": 0, "maxSize": 3}, "status": {}})
        );
        assert_eq!(
            serde_json::to_value(ListWarmPoolsRequest {
                pagination: PaginationRequest {
                    token: String::new(),
                    page_size: 100
                },
                filter: WarmPoolFilter {
                    project_ids: vec!["p".into()],
                    ..Default::default()
                },
            })
            .unwrap(),
            json!({"pagination": {"pageSize": 100}, "filter": {"projectIds": ["p"]}})
        );
    }
}
