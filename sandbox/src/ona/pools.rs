//! The warm pools themselves: what each procedure does to them, and how they move through
//! their phases. Transitions are computed lazily from wall-clock timestamps ([`Store::advance`]
//! runs before every call), so no background task is needed and `--state` files stay valid
//! across restarts.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::connect::{Code, ConnectError};
use super::fixtures;
use super::messages::{CreateWarmPool, ListWarmPools, UpdateWarmPool, MAX_SIZE};
use super::proto_json::timestamp;

/// Page size when the request names none (the API's documented default).
pub const DEFAULT_PAGE_SIZE: i32 = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    #[serde(rename = "WARM_POOL_PHASE_PENDING")]
    Pending,
    #[serde(rename = "WARM_POOL_PHASE_READY")]
    Ready,
    #[serde(rename = "WARM_POOL_PHASE_DEGRADED")]
    Degraded,
    #[serde(rename = "WARM_POOL_PHASE_DELETING")]
    Deleting,
    #[serde(rename = "WARM_POOL_PHASE_DELETED")]
    Deleted,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Pending => "WARM_POOL_PHASE_PENDING",
            Phase::Ready => "WARM_POOL_PHASE_READY",
            Phase::Degraded => "WARM_POOL_PHASE_DEGRADED",
            Phase::Deleting => "WARM_POOL_PHASE_DELETING",
            Phase::Deleted => "WARM_POOL_PHASE_DELETED",
        }
    }
}

/// Where a pool goes when its pending transition is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "to")]
pub enum Settle {
    Ready,
    Degraded { message: String },
    Gone,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pool {
    /// Creation order; list order and page tokens rest on it.
    pub seq: u64,
    pub id: String,
    pub organization_id: String,
    pub project_id: String,
    pub environment_class_id: String,
    pub runner_id: String,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    pub spec_version: u64,
    /// Deprecated field, echoed when the caller used it; 0 = unset.
    pub desired_size: i32,
    pub min_size: i32,
    pub max_size: i32,
    pub snapshot_id: Option<String>,
    pub desired_phase: Phase,
    pub phase: Phase,
    pub failure_message: String,
    pub status_version: u64,
    pub running_instances: i32,
    pub status_desired_size: i32,
    /// When the pending transition happens (Unix ms), if one is pending.
    pub settle_at_ms: Option<u64>,
    pub settle_to: Settle,
}

impl Pool {
    /// The `WarmPool` message in proto3 JSON: zero values omitted, except the fields with
    /// presence (`minSize`, `maxSize`, `snapshotId`), uint64 versions as strings.
    pub fn to_json(&self) -> Value {
        let mut metadata = Map::new();
        metadata.insert("organizationId".into(), json!(self.organization_id));
        metadata.insert("projectId".into(), json!(self.project_id));
        metadata.insert(
            "environmentClassId".into(),
            json!(self.environment_class_id),
        );
        metadata.insert("runnerId".into(), json!(self.runner_id));
        metadata.insert("createdAt".into(), json!(timestamp(self.created_at_ms)));
        metadata.insert("updatedAt".into(), json!(timestamp(self.updated_at_ms)));

        let mut spec = Map::new();
        spec.insert("specVersion".into(), json!(self.spec_version.to_string()));
        if self.desired_size != 0 {
            spec.insert("desiredSize".into(), json!(self.desired_size));
        }
        if let Some(snapshot) = &self.snapshot_id {
            spec.insert("snapshotId".into(), json!(snapshot));
        }
        spec.insert("desiredPhase".into(), json!(self.desired_phase.name()));
        spec.insert("minSize".into(), json!(self.min_size));
        spec.insert("maxSize".into(), json!(self.max_size));

        let mut status = Map::new();
        status.insert("phase".into(), json!(self.phase.name()));
        if !self.failure_message.is_empty() {
            status.insert("failureMessage".into(), json!(self.failure_message));
        }
        status.insert(
            "statusVersion".into(),
            json!(self.status_version.to_string()),
        );
        if self.running_instances != 0 {
            status.insert("runningInstances".into(), json!(self.running_instances));
        }
        if self.status_desired_size != 0 {
            status.insert("desiredSize".into(), json!(self.status_desired_size));
        }
        json!({ "id": self.id, "metadata": metadata, "spec": spec, "status": status })
    }

    fn set_status(&mut self, phase: Phase, failure: String, running: i32) {
        self.phase = phase;
        self.failure_message = failure;
        self.running_instances = running;
        self.status_desired_size = running;
        self.status_version += 1;
    }

    /// Starts a transition that completes `settle_ms` from `now`.
    fn begin(&mut self, phase: Phase, to: Settle, now: u64, settle_ms: u64) {
        let running = if phase == Phase::Deleting {
            0
        } else {
            self.running_instances
        };
        self.set_status(phase, String::new(), running);
        self.settle_at_ms = Some(now.saturating_add(settle_ms));
        self.settle_to = to;
    }
}

#[derive(Default, Serialize, Deserialize)]
pub struct Store {
    pools: Vec<Pool>,
    next_seq: u64,
}

impl Store {
    pub fn count(&self) -> usize {
        self.pools.len()
    }

    /// Applies every transition due by `now`; deleted pools disappear.
    pub fn advance(&mut self, now: u64) {
        for pool in &mut self.pools {
            let Some(at) = pool.settle_at_ms else {
                continue;
            };
            if at > now {
                continue;
            }
            pool.settle_at_ms = None;
            match pool.settle_to.clone() {
                Settle::Ready => pool.set_status(Phase::Ready, String::new(), pool.min_size),
                Settle::Degraded { message } => pool.set_status(Phase::Degraded, message, 0),
                Settle::Gone => pool.phase = Phase::Deleted,
            }
        }
        self.pools.retain(|p| p.phase != Phase::Deleted);
    }

    pub fn create(
        &mut self,
        request: CreateWarmPool,
        id: String,
        now: u64,
        settle_ms: u64,
    ) -> Result<&mut Pool, ConnectError> {
        let project = fixtures::project(&request.project_id)
            .ok_or_else(|| not_found(format!("project {} not found", request.project_id)))?;
        let class =
            fixtures::environment_class(&request.environment_class_id).ok_or_else(|| {
                not_found(format!(
                    "environment class {} not found",
                    request.environment_class_id
                ))
            })?;
        if !project.prebuilds_enabled {
            return Err(ConnectError::new(
                Code::FailedPrecondition,
                format!("prebuilds are not enabled for project {}", project.id),
            ));
        }
        if !project.prebuild_classes.contains(&class.id) {
            return Err(ConnectError::new(
                Code::FailedPrecondition,
                format!(
                    "environment class {} is not in the prebuild configuration of project {}",
                    class.id, project.id
                ),
            ));
        }
        let (min_size, max_size) = create_sizes(&request)?;
        if let Some(existing) = self
            .pools
            .iter()
            .find(|p| p.project_id == project.id && p.environment_class_id == class.id)
        {
            return Err(ConnectError::new(
                Code::AlreadyExists,
                format!(
                    "a warm pool already exists for project {} and environment class {}: {}",
                    project.id, class.id, existing.id
                ),
            ));
        }
        self.next_seq += 1;
        let pool = Pool {
            seq: self.next_seq,
            id,
            organization_id: fixtures::ORGANIZATION_ID.into(),
            project_id: project.id.into(),
            environment_class_id: class.id.into(),
            runner_id: class.runner_id.into(),
            created_at_ms: now,
            updated_at_ms: now,
            spec_version: 1,
            desired_size: request.desired_size,
            min_size,
            max_size,
            snapshot_id: fixtures::snapshot(project.id, class.id).map(String::from),
            desired_phase: Phase::Ready,
            phase: Phase::Pending,
            failure_message: String::new(),
            status_version: 1,
            running_instances: 0,
            status_desired_size: 0,
            settle_at_ms: Some(now.saturating_add(settle_ms)),
            settle_to: Settle::Ready,
        };
        self.pools.push(pool);
        let last = self.pools.len() - 1;
        Ok(&mut self.pools[last])
    }

    pub fn get(&self, id: &str) -> Result<&Pool, ConnectError> {
        self.pools
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| pool_not_found(id))
    }

    pub fn update(
        &mut self,
        request: UpdateWarmPool,
        now: u64,
        settle_ms: u64,
    ) -> Result<&mut Pool, ConnectError> {
        let pool = self
            .pools
            .iter_mut()
            .find(|p| p.id == request.warm_pool_id)
            .ok_or_else(|| pool_not_found(&request.warm_pool_id))?;
        if pool.phase == Phase::Deleting {
            return Err(ConnectError::new(
                Code::FailedPrecondition,
                format!("warm pool {} is being deleted", pool.id),
            ));
        }
        if request.desired_size.is_none()
            && request.min_size.is_none()
            && request.max_size.is_none()
        {
            return Ok(pool);
        }
        // The deprecated desired_size sets both bounds; explicit bounds win over it.
        let min_size = request
            .min_size
            .or(request.desired_size)
            .unwrap_or(pool.min_size);
        let max_size = request
            .max_size
            .or(request.desired_size)
            .unwrap_or(pool.max_size);
        check_order(min_size, max_size)?;
        pool.desired_size = match (request.desired_size, request.min_size, request.max_size) {
            (Some(d), None, None) => d,
            _ => 0,
        };
        pool.min_size = min_size;
        pool.max_size = max_size;
        pool.spec_version += 1;
        pool.updated_at_ms = now;
        pool.begin(Phase::Pending, Settle::Ready, now, settle_ms);
        Ok(pool)
    }

    /// Starts deleting; deleting a pool already on its way out changes nothing.
    pub fn delete(&mut self, id: &str, now: u64, settle_ms: u64) -> Result<(), ConnectError> {
        let pool = self
            .pools
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| pool_not_found(id))?;
        if pool.phase != Phase::Deleting {
            pool.desired_phase = Phase::Deleted;
            pool.spec_version += 1;
            pool.updated_at_ms = now;
            pool.begin(Phase::Deleting, Settle::Gone, now, settle_ms);
        }
        Ok(())
    }

    /// One page of the pools matching the filter, in creation order, and the next token
    /// (empty on the last page).
    pub fn list(&self, request: &ListWarmPools) -> Result<(Vec<&Pool>, String), ConnectError> {
        let after = if request.token.is_empty() {
            0
        } else {
            decode_token(&request.token).ok_or_else(|| {
                ConnectError::new(Code::InvalidArgument, "invalid pagination token")
            })?
        };
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n,
        } as usize;
        let mut matching = self.pools.iter().filter(|p| {
            p.seq > after
                && (request.project_ids.is_empty() || request.project_ids.contains(&p.project_id))
                && (request.environment_class_ids.is_empty()
                    || request
                        .environment_class_ids
                        .contains(&p.environment_class_id))
        });
        let page: Vec<&Pool> = matching.by_ref().take(page_size).collect();
        let next = match (matching.next(), page.last()) {
            (Some(_), Some(last)) => encode_token(last.seq),
            _ => String::new(),
        };
        Ok((page, next))
    }
}

/// Sizes of a new pool. Omitted bounds default to one warm instance (the deprecated
/// `desired_size` had a minimum of 1): min 1, and max no lower than min.
fn create_sizes(request: &CreateWarmPool) -> Result<(i32, i32), ConnectError> {
    let desired = Some(request.desired_size).filter(|d| *d != 0);
    let min_size = request.min_size.or(desired);
    let max_size = request.max_size.or(desired);
    let (min_size, max_size) = match (min_size, max_size) {
        (Some(min), Some(max)) => (min, max),
        (Some(min), None) => (min, min.clamp(1, MAX_SIZE)),
        (None, Some(max)) => (1.min(max), max),
        (None, None) => (1, 1),
    };
    check_order(min_size, max_size)?;
    Ok((min_size, max_size))
}

fn check_order(min_size: i32, max_size: i32) -> Result<(), ConnectError> {
    if min_size > max_size {
        return Err(ConnectError::new(
            Code::InvalidArgument,
            format!("min_size ({min_size}) must be less than or equal to max_size ({max_size})"),
        ));
    }
    Ok(())
}

fn not_found(message: String) -> ConnectError {
    ConnectError::new(Code::NotFound, message)
}

fn pool_not_found(id: &str) -> ConnectError {
    not_found(format!("warm pool {id} not found"))
}

/// Page tokens are opaque to callers: base64 of the last sequence number served.
fn encode_token(seq: u64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("wp:{seq}"))
}

fn decode_token(token: &str) -> Option<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("wp:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(min: Option<i32>, max: Option<i32>, desired: i32) -> CreateWarmPool {
        CreateWarmPool {
            project_id: fixtures::PROJECT_ID.into(),
            environment_class_id: fixtures::CLASS_SMALL_ID.into(),
            desired_size: desired,
            min_size: min,
            max_size: max,
        }
    }

    #[test]
    fn size_defaults() {
        assert_eq!(create_sizes(&create(None, None, 0)).unwrap(), (1, 1));
        assert_eq!(create_sizes(&create(None, None, 4)).unwrap(), (4, 4));
        assert_eq!(create_sizes(&create(Some(0), None, 0)).unwrap(), (0, 1));
        assert_eq!(create_sizes(&create(Some(5), None, 0)).unwrap(), (5, 5));
        assert_eq!(create_sizes(&create(None, Some(7), 0)).unwrap(), (1, 7));
        assert_eq!(create_sizes(&create(Some(2), None, 6)).unwrap(), (2, 6));
        let e = create_sizes(&create(Some(5), Some(2), 0)).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
    }

    #[test]
    fn phases_settle_lazily() {
        let mut store = Store::default();
        let id = "11111111-1111-4111-8111-111111111111".to_string();
        store
            .create(create(Some(2), Some(3), 0), id.clone(), 1000, 200)
            .unwrap();
        store.advance(1199);
        assert_eq!(store.get(&id).unwrap().phase, Phase::Pending);
        store.advance(1200);
        let pool = store.get(&id).unwrap();
        assert_eq!(pool.phase, Phase::Ready);
        assert_eq!(pool.running_instances, 2);
        assert_eq!(pool.status_version, 2);
        store.delete(&id, 1300, 200).unwrap();
        assert_eq!(store.get(&id).unwrap().phase, Phase::Deleting);
        store.advance(1500);
        assert_eq!(store.get(&id).unwrap_err().code, Code::NotFound);
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        assert_eq!(decode_token(&encode_token(42)), Some(42));
        assert_eq!(decode_token("not a token"), None);
        assert_eq!(decode_token(""), None);
    }
}
