//! Instance pools and operations, and how time moves them: an operation is due
//! `operation_duration` after it started; whoever reads the store first after that settles
//! it (no background task). Timestamps are wall-clock milliseconds so a saved state resumes.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::fixtures;

/// An error answer in the classic Exoscale body shape `{"message": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "message": self.message }))).into_response()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Success,
    Failure,
    Timeout,
}

/// What injected faults make of a new operation: how it ends, and the state its pool is
/// left in instead of `running`.
#[derive(Clone, Debug)]
pub struct OperationFaults {
    pub outcome: Outcome,
    pub stuck: Option<String>,
    pub degraded: Option<String>,
}

impl Default for OperationFaults {
    fn default() -> Self {
        OperationFaults {
            outcome: Outcome::Success,
            stuck: None,
            degraded: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub pool_id: String,
    /// `pending` until `due_ms`, then the outcome.
    pub state: String,
    pub due_ms: u64,
    pub outcome: Outcome,
    /// A delete: the pool disappears when this succeeds.
    pub removes_pool: bool,
    /// Fault: the pool keeps this state instead of going back to `running`.
    pub stuck: Option<String>,
    /// Fault: the pool turns `degraded` with this cause instead of going back to `running`.
    #[serde(default)]
    pub degraded: Option<String>,
}

impl Operation {
    pub fn to_json(&self) -> Value {
        let mut op = json!({
            "id": self.id,
            "state": self.state,
            "reference": {
                "id": self.pool_id,
                "link": format!("/v2/instance-pool/{}", self.pool_id),
                "command": "get-instance-pool",
            },
        });
        match self.state.as_str() {
            "failure" => {
                op["reason"] = "fault".into();
                op["message"] = "injected operation failure".into();
            }
            "timeout" => {
                op["reason"] = "unavailable".into();
                op["message"] = "injected operation timeout".into();
            }
            _ => {}
        }
        op
    }
}

/// One instance a pool manages, as `GET /instance` lists it. What it was made from (type,
/// template, IP assignment, name prefix) is fixed when it is created, as for a real
/// instance: a later update of the pool applies to new members only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub created_at_ms: u64,
    /// `starting` until the operation that made it ends, then `running`; `destroying`
    /// while its pool is.
    pub state: String,
    pub instance_type: String,
    pub template: String,
    pub public_ip_assignment: String,
    /// Index of its addresses in the store's allocation; 0 until the store assigns one.
    pub address: u32,
}

impl Member {
    /// The instance as the API lists it, under the pool `manager_id`.
    pub fn to_json(&self, manager_id: &str) -> Value {
        let catalogue = |list: Vec<Value>, id: &str| {
            fixtures::find(list, "id", id).unwrap_or_else(|| json!({ "id": id }))
        };
        let mut out = json!({
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "created-at": crate::ona::timestamp(self.created_at_ms),
            "public-ip-assignment": self.public_ip_assignment,
            "instance-type": catalogue(fixtures::instance_types(), &self.instance_type),
            "template": catalogue(fixtures::templates(), &self.template),
            "manager": {"id": manager_id, "type": "instance-pool"},
        });
        if self.public_ip_assignment != "none" {
            out["public-ip"] = ipv4(self.address).into();
        }
        if self.public_ip_assignment == "dual" {
            out["ipv6-address"] = ipv6(self.address).into();
        }
        out
    }
}

/// Public IPv4 addresses come from 198.18.0.0/15 (reserved for testing, RFC 2544): room
/// for 131,070 distinct members.
fn ipv4(n: u32) -> String {
    let n = n % 0x1_FFFE + 1;
    format!("198.{}.{}.{}", 18 + (n >> 16), (n >> 8) & 0xFF, n & 0xFF)
}

/// IPv6 addresses come from the documentation prefix 2001:db8::/32 (RFC 3849).
fn ipv6(n: u32) -> String {
    format!("2001:db8::{:x}:{:x}", n >> 16, n & 0xFFFF)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pool {
    pub id: String,
    pub zone: String,
    /// The writable fields, kebab-case, as validated.
    pub spec: Map<String, Value>,
    pub instances: Vec<Member>,
    pub state: String,
    pub manager: Option<Value>,
    /// Only the newest operation decides the state the pool settles in.
    pub last_operation: Option<String>,
    /// Why the pool is `degraded` (`{cause, type, job-id}`), as newer API versions say it.
    #[serde(default)]
    pub error_reason: Option<Value>,
}

impl Pool {
    /// The API ties the deprecated `ipv6-enabled` to `public-ip-assignment` (`dual` means
    /// IPv6): setting one sets the other, and resetting `ipv6-enabled` undoes `dual`.
    pub fn tie_ipv6(&mut self, written: &Map<String, Value>) {
        let spec = &mut self.spec;
        if let Some(assignment) = written.get("public-ip-assignment") {
            spec.insert("ipv6-enabled".into(), (assignment == "dual").into());
        } else if let Some(enabled) = written.get("ipv6-enabled") {
            if spec.get("public-ip-assignment") != Some(&Value::from("none")) {
                let assignment = if enabled == &Value::Bool(true) {
                    "dual"
                } else {
                    "inet4"
                };
                spec.insert("public-ip-assignment".into(), assignment.into());
            }
        }
    }

    /// `DELETE /instance-pool/{id}/ipv6-enabled`: IPv6 off, so `dual` falls back to `inet4`.
    pub fn reset_ipv6(&mut self) {
        self.spec.remove("ipv6-enabled");
        if self.spec.get("public-ip-assignment") == Some(&Value::from("dual")) {
            self.spec
                .insert("public-ip-assignment".into(), "inet4".into());
        }
    }

    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        // API defaults for fields the caller may leave out.
        out.insert("instance-prefix".into(), "pool".into());
        out.insert("ipv6-enabled".into(), false.into());
        out.insert("public-ip-assignment".into(), "inet4".into());
        out.insert("min-available".into(), 0.into());
        out.insert(
            "application-consistent-snapshot-enabled".into(),
            false.into(),
        );
        out.extend(self.spec.clone());
        out.insert("id".into(), self.id.clone().into());
        out.insert("state".into(), self.state.clone().into());
        out.insert("size".into(), self.instances.len().into());
        let instances: Vec<Value> = self
            .instances
            .iter()
            .map(|i| json!({ "id": i.id }))
            .collect();
        out.insert("instances".into(), instances.into());
        if let Some(manager) = &self.manager {
            out.insert("manager".into(), manager.clone());
        }
        // snake_case, unlike the other keys, as the API sends it.
        if let Some(reason) = &self.error_reason {
            out.insert("error_reason".into(), reason.clone());
        }
        Value::Object(out)
    }

    /// Adds members made from the pool's current spec, or removes the newest, until there
    /// are `size`. New members get their addresses from [`Store::provision`].
    pub fn resize(&mut self, size: usize, now_ms: u64) {
        self.instances.truncate(size);
        let text = |key: &str, default: &str| {
            self.spec
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let id_of = |key: &str| {
            self.spec
                .get(key)
                .and_then(|r| r["id"].as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (prefix, assignment) = (
            text("instance-prefix", "pool"),
            text("public-ip-assignment", "inet4"),
        );
        let (instance_type, template) = (id_of("instance-type"), id_of("template"));
        while self.instances.len() < size {
            let id = new_uuid();
            self.instances.push(Member {
                name: format!("{prefix}-{}", &id[..5]),
                id,
                created_at_ms: now_ms,
                state: "starting".into(),
                instance_type: instance_type.clone(),
                template: template.clone(),
                public_ip_assignment: assignment.clone(),
                address: 0,
            });
        }
    }

    pub fn has_member(&self, id: &str) -> bool {
        self.instances.iter().any(|m| m.id == id)
    }

    /// Members follow their pool: `destroying` with it, else `running` once an operation ends.
    fn settle_members(&mut self) {
        let state = if self.state == "destroying" {
            "destroying"
        } else {
            "running"
        };
        for member in &mut self.instances {
            member.state = state.into();
        }
    }
}

/// Finished operations kept for `GET /operation/{id}`; older ones are forgotten.
const MAX_FINISHED_OPERATIONS: usize = 10_000;

#[derive(Default, Serialize, Deserialize)]
pub struct Store {
    pub pools: BTreeMap<String, Pool>,
    pub operations: HashMap<String, Operation>,
    /// The pool the fixture Network Load Balancer's service forwards to, if any.
    #[serde(default)]
    pub load_balanced_pool: Option<String>,
    /// The last member address handed out (see [`Member::address`]).
    #[serde(default)]
    pub last_address: u32,
}

impl Store {
    /// A fresh store: only the SKS-managed pool exists.
    pub fn with_fixtures() -> Store {
        let mut store = Store::default();
        let mut spec = Map::new();
        spec.insert("name".into(), "nodepool-sandbox".into());
        spec.insert("description".into(), "Managed by SKS".into());
        spec.insert("disk-size".into(), 50.into());
        spec.insert(
            "instance-type".into(),
            json!({"id": fixtures::INSTANCE_TYPE_MEDIUM}),
        );
        spec.insert("template".into(), json!({"id": fixtures::TEMPLATE_UBUNTU}));
        spec.insert(
            "security-groups".into(),
            json!([{"id": fixtures::SECURITY_GROUP_DEFAULT}]),
        );
        let mut pool = Pool {
            id: fixtures::MANAGED_POOL.into(),
            zone: fixtures::MANAGED_POOL_ZONE.into(),
            spec,
            instances: Vec::new(),
            state: "running".into(),
            manager: Some(json!({"id": fixtures::MANAGER_NODEPOOL, "type": "sks-nodepool"})),
            last_operation: None,
            error_reason: None,
        };
        pool.resize(3, fixtures::MANAGED_POOL_CREATED_MS);
        for (n, member) in (1..).zip(&mut pool.instances) {
            member.id = format!("aaaaaaaa-0000-4000-8000-00000000000{n}");
            member.name = format!("pool-aaaa{n}");
        }
        pool.settle_members();
        let id = pool.id.clone();
        store.pools.insert(id.clone(), pool);
        store.provision(&id);
        store
    }

    /// Gives each member of pool `id` without addresses the next free ones.
    pub fn provision(&mut self, id: &str) {
        let Some(pool) = self.pools.get_mut(id) else {
            return;
        };
        for member in pool.instances.iter_mut().filter(|m| m.address == 0) {
            self.last_address = self.last_address.wrapping_add(1).max(1);
            member.address = self.last_address;
        }
    }

    /// Finishes every operation due by `now_ms` and moves its pool on.
    pub fn settle(&mut self, now_ms: u64) {
        let mut due: Vec<&mut Operation> = self
            .operations
            .values_mut()
            .filter(|op| op.state == "pending" && op.due_ms <= now_ms)
            .collect();
        due.sort_by_key(|op| op.due_ms);
        for op in due {
            op.state = match op.outcome {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
                Outcome::Timeout => "timeout",
            }
            .into();
            let Some(pool) = self.pools.get_mut(&op.pool_id) else {
                continue;
            };
            if pool.last_operation.as_deref() != Some(op.id.as_str()) {
                continue;
            }
            if let Some(state) = &op.stuck {
                pool.state = state.clone();
            } else if op.removes_pool && op.outcome == Outcome::Success {
                self.pools.remove(&op.pool_id);
                continue;
            } else if let Some(cause) = &op.degraded {
                pool.state = "degraded".into();
                pool.error_reason =
                    Some(json!({"cause": cause, "type": "quota-exceeded", "job-id": op.id}));
            } else {
                pool.state = "running".into();
                pool.error_reason = None;
            }
            pool.settle_members();
        }
        self.forget_old_operations();
    }

    fn forget_old_operations(&mut self) {
        let finished = self
            .operations
            .values()
            .filter(|op| op.state != "pending")
            .count();
        if finished <= MAX_FINISHED_OPERATIONS {
            return;
        }
        let mut old: Vec<(u64, String)> = self
            .operations
            .values()
            .filter(|op| op.state != "pending")
            .map(|op| (op.due_ms, op.id.clone()))
            .collect();
        old.sort();
        for (_, id) in old.into_iter().take(finished - MAX_FINISHED_OPERATIONS) {
            self.operations.remove(&id);
        }
    }

    /// Starts an operation on a pool that shows `transitional` meanwhile (if given).
    pub fn start(
        &mut self,
        pool_id: &str,
        transitional: Option<&str>,
        removes_pool: bool,
        faults: OperationFaults,
        due_ms: u64,
    ) -> Value {
        let op = Operation {
            id: new_uuid(),
            pool_id: pool_id.to_string(),
            state: "pending".into(),
            due_ms,
            outcome: faults.outcome,
            removes_pool,
            stuck: faults.stuck,
            degraded: faults.degraded,
        };
        if let Some(pool) = self.pools.get_mut(pool_id) {
            if let Some(state) = transitional {
                pool.state = state.to_string();
            }
            pool.last_operation = Some(op.id.clone());
        }
        let answer = op.to_json();
        self.operations.insert(op.id.clone(), op);
        answer
    }
}

/// A random version-4 UUID.
pub fn new_uuid() -> String {
    use ring::rand::SecureRandom as _;
    let mut b = [0u8; 16];
    // The system RNG does not fail on supported platforms; fall back to the clock if it does.
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        b = nanos.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(store: &mut Store) -> String {
        let mut p = store.pools[fixtures::MANAGED_POOL].clone();
        p.id = new_uuid();
        p.manager = None;
        store.pools.insert(p.id.clone(), p.clone());
        p.id
    }

    #[test]
    fn uuids_look_like_v4() {
        let id = new_uuid();
        assert!(super::super::validate::is_uuid(&id));
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_uuid());
    }

    #[test]
    fn operations_settle_on_time() {
        let mut store = Store::with_fixtures();
        let id = pool(&mut store);
        let ok = OperationFaults::default;
        let op = store.start(&id, Some("scaling-up"), false, ok(), 100);
        let op_id = op["id"].as_str().unwrap().to_string();
        assert_eq!(op["state"], "pending");
        store.settle(99);
        assert_eq!(store.pools[&id].state, "scaling-up");
        store.settle(100);
        assert_eq!(store.pools[&id].state, "running");
        assert_eq!(store.operations[&op_id].state, "success");
        store.start(&id, Some("destroying"), true, ok(), 200);
        store.settle(200);
        assert!(!store.pools.contains_key(&id));
    }

    #[test]
    fn a_degraded_pool_says_why_until_an_operation_succeeds() {
        let mut store = Store::with_fixtures();
        let id = pool(&mut store);
        let degraded = OperationFaults {
            degraded: Some("no quota left".into()),
            ..OperationFaults::default()
        };
        let op = store.start(&id, Some("scaling-up"), false, degraded, 100);
        store.settle(100);
        let shown = store.pools[&id].to_json();
        assert_eq!(shown["state"], "degraded");
        assert_eq!(
            shown["error_reason"],
            json!({"cause": "no quota left", "type": "quota-exceeded", "job-id": op["id"]})
        );
        // The operation itself succeeded: the job was accepted.
        let op_id = op["id"].as_str().unwrap();
        assert_eq!(store.operations[op_id].state, "success");
        store.start(
            &id,
            Some("updating"),
            false,
            OperationFaults::default(),
            200,
        );
        store.settle(200);
        let shown = store.pools[&id].to_json();
        assert_eq!(shown["state"], "running");
        assert!(shown.get("error_reason").is_none(), "{shown}");
    }

    #[test]
    fn only_the_newest_operation_settles_the_pool() {
        let mut store = Store::with_fixtures();
        let id = pool(&mut store);
        store.start(
            &id,
            Some("updating"),
            false,
            OperationFaults::default(),
            100,
        );
        let timeout = OperationFaults {
            outcome: Outcome::Timeout,
            ..OperationFaults::default()
        };
        store.start(&id, Some("scaling-down"), false, timeout, 300);
        store.settle(150);
        assert_eq!(store.pools[&id].state, "scaling-down");
        store.settle(300);
        assert_eq!(store.pools[&id].state, "running");
    }
}
