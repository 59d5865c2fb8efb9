//! The requests that change a pool (create, update, scale, evict members, reset a field,
//! delete): each validates its body, changes the pool at once and starts the operation
//! that settles it, with the outcome any injected fault gives it.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::fixtures;
use super::model::{self, ApiError, OperationFaults, Outcome, Pool, Store};
use super::state::{now_ms, pool_not_found, uuid_param, ExoscaleApi};
use super::validate::{self, is_uuid, Mode};
use crate::FaultKind;

/// The fields `DELETE /instance-pool/{id}/{field}` may reset.
const RESETTABLE: [&str; 10] = [
    "anti-affinity-groups",
    "deploy-target",
    "description",
    "elastic-ips",
    "ipv6-enabled",
    "labels",
    "private-networks",
    "security-groups",
    "ssh-key",
    "user-data",
];

/// Far above any real quota; keeps a typo like 10^12 from exhausting memory.
const MAX_POOL_SIZE: usize = 10_000;

fn too_large(size: u64) -> ApiError {
    ApiError::bad_request(format!(
        "invalid value for size: {size} is above the sandbox limit of {MAX_POOL_SIZE}"
    ))
}

impl ExoscaleApi {
    pub(super) fn create(&self, zone: &str, body: &Value) -> Result<Value, ApiError> {
        let mut spec = validate::pool_fields(body, Mode::Create)?;
        let size = spec
            .remove("size")
            .and_then(|s| s.as_u64())
            .unwrap_or_default();
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_POOL_SIZE)
            .ok_or_else(|| too_large(size))?;
        let faults = self.operation_faults("create-instance-pool");
        let written = spec.clone();
        let mut pool = Pool {
            id: model::new_uuid(),
            zone: zone.to_string(),
            spec,
            instances: Vec::new(),
            state: "creating".into(),
            manager: None,
            last_operation: None,
            error_reason: None,
        };
        pool.tie_ipv6(&written);
        pool.resize(size, now_ms());
        let mut store = self.settled();
        let id = pool.id.clone();
        store.pools.insert(id.clone(), pool);
        store.provision(&id);
        Ok(store.start(&id, None, false, faults, self.due_ms()))
    }

    /// Runs `change` on an unmanaged pool of this zone, then starts an operation on it.
    fn mutate(
        &self,
        zone: &str,
        id: &str,
        route: &'static str,
        change: impl FnOnce(&mut Pool) -> Result<Option<&'static str>, ApiError>,
    ) -> Result<Value, ApiError> {
        let id = uuid_param("instance pool", id)?;
        let mut store = self.settled();
        let pool = pool_in_mut(&mut store, zone, id)?;
        if let Some(manager) = &pool.manager {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "Instance Pool {id} is managed by {} {}: change it through its manager",
                    manager["type"].as_str().unwrap_or("another resource"),
                    manager["id"].as_str().unwrap_or_default()
                ),
            ));
        }
        if pool.state == "destroying" {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("Instance Pool {id} is being destroyed"),
            ));
        }
        let transitional = change(pool)?;
        store.provision(id);
        let removes = route == "delete-instance-pool";
        let faults = self.operation_faults(route);
        Ok(store.start(id, transitional, removes, faults, self.due_ms()))
    }

    pub(super) fn update(&self, zone: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        let fields = validate::pool_fields(body, Mode::Update)?;
        self.mutate(zone, id, "update-instance-pool", |pool| {
            if pool.spec.get("public-ip-assignment") == Some(&json!("none"))
                && fields.contains_key("public-ip-assignment")
            {
                return Err(ApiError::bad_request(
                    "invalid value for public-ip-assignment: `none` is final",
                ));
            }
            for (key, value) in &fields {
                if value.is_null() {
                    pool.spec.remove(key);
                } else {
                    pool.spec.insert(key.clone(), value.clone());
                }
            }
            pool.tie_ipv6(&fields);
            Ok(Some("updating"))
        })
    }

    pub(super) fn scale(&self, zone: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        let size = match body.get("size") {
            None => return Err(ApiError::bad_request("required key [size] not found")),
            Some(v) => v.as_u64().ok_or_else(|| {
                ApiError::bad_request("invalid value for size: must be an integer >= 0")
            })?,
        };
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_POOL_SIZE)
            .ok_or_else(|| too_large(size))?;
        self.mutate(zone, id, "scale-instance-pool", |pool| {
            let current = pool.instances.len();
            pool.resize(size, now_ms());
            Ok(match size.cmp(&current) {
                std::cmp::Ordering::Greater => Some("scaling-up"),
                std::cmp::Ordering::Less => Some("scaling-down"),
                std::cmp::Ordering::Equal => None,
            })
        })
    }

    pub(super) fn evict(&self, zone: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        let names: Vec<String> = match body.get("instances") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().filter(|s| is_uuid(s)).map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    ApiError::bad_request("invalid value for instances: expected UUIDs")
                })?,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid value for instances: expected an array of UUIDs",
                ))
            }
        };
        self.mutate(zone, id, "evict-instance-pool-members", |pool| {
            if let Some(unknown) = names.iter().find(|n| !pool.has_member(n)) {
                return Err(ApiError::bad_request(format!(
                    "invalid value for instances: {unknown} is not a member of Instance Pool {}",
                    pool.id
                )));
            }
            pool.instances.retain(|i| !names.contains(&i.id));
            Ok(Some("scaling-down"))
        })
    }

    pub(super) fn reset(&self, zone: &str, id: &str, field: &str) -> Result<Value, ApiError> {
        if !RESETTABLE.contains(&field) {
            return Err(ApiError::bad_request(format!(
                "invalid field `{field}`: must be one of {}",
                RESETTABLE.join(", ")
            )));
        }
        self.mutate(zone, id, "reset-instance-pool-field", |pool| {
            if field == "ipv6-enabled" {
                pool.reset_ipv6();
            } else {
                pool.spec.remove(field);
            }
            Ok(Some("updating"))
        })
    }

    /// Refused while the fixture load balancer's service uses the pool (see
    /// [`ExoscaleApi::load_balancer_lock`]).
    pub(super) fn delete(&self, zone: &str, id: &str) -> Result<Value, ApiError> {
        self.load_balancer_lock(zone, id)?;
        self.mutate(zone, id, "delete-instance-pool", |pool| {
            for member in &mut pool.instances {
                member.state = "destroying".into();
            }
            Ok(Some("destroying"))
        })
    }

    /// What injected faults make of a new operation on `route`.
    fn operation_faults(&self, route: &str) -> OperationFaults {
        let outcome = match self.faults.take(route, |k| {
            matches!(k, FaultKind::OperationFailure | FaultKind::OperationTimeout)
        }) {
            Some(FaultKind::OperationFailure) => Outcome::Failure,
            Some(FaultKind::OperationTimeout) => Outcome::Timeout,
            _ => Outcome::Success,
        };
        let stuck = match self
            .faults
            .take(route, |k| matches!(k, FaultKind::Stuck { .. }))
        {
            Some(FaultKind::Stuck { state }) => Some(state),
            _ => None,
        };
        let degrades = |k: &FaultKind| matches!(k, FaultKind::Degraded { .. });
        let degraded = match route {
            "create-instance-pool" | "update-instance-pool" | "scale-instance-pool" => {
                match self.faults.take(route, degrades) {
                    Some(FaultKind::Degraded { message }) => Some(message),
                    _ => None,
                }
            }
            _ => None,
        };
        OperationFaults {
            outcome,
            stuck,
            degraded,
        }
    }

    /// A `locked-by-nlb` fault points the fixture load balancer's service at pool `id` and
    /// refuses its delete as the API does; once no such rule fires, the service lets go of
    /// the pool. (A pool of another zone, or one that does not exist, is left to `mutate`.)
    fn load_balancer_lock(&self, zone: &str, id: &str) -> Result<(), ApiError> {
        let mut store = self.settled();
        let exists = store.pools.get(id).is_some_and(|p| p.zone == zone);
        if !exists || zone != fixtures::LOAD_BALANCER_ZONE {
            return Ok(());
        }
        let locks = |k: &FaultKind| matches!(k, FaultKind::LockedByNlb);
        if self.faults.take("delete-instance-pool", locks).is_none() {
            if store.load_balanced_pool.as_deref() == Some(id) {
                store.load_balanced_pool = None;
            }
            return Ok(());
        }
        store.load_balanced_pool = Some(id.to_string());
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "Forbidden: Instance Pool {id} is Locked by NLB {}",
                fixtures::LOAD_BALANCER
            ),
        ))
    }

    fn due_ms(&self) -> u64 {
        let duration = u64::try_from(self.operation_duration.as_millis()).unwrap_or(u64::MAX);
        now_ms().saturating_add(duration)
    }
}

fn pool_in_mut<'s>(store: &'s mut Store, zone: &str, id: &str) -> Result<&'s mut Pool, ApiError> {
    store
        .pools
        .get_mut(id)
        .filter(|p| p.zone == zone)
        .ok_or_else(|| pool_not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, FaultRule, Faults};

    const GVA: &str = "ch-gva-2";

    fn api() -> (std::sync::Arc<ExoscaleApi>, Faults) {
        let faults = Faults::default();
        let config = Config {
            operation_duration: std::time::Duration::ZERO,
            ..Config::default()
        };
        (ExoscaleApi::new(&config, faults.clone()), faults)
    }

    fn create(api: &ExoscaleApi, zone: &str) -> String {
        let body = json!({"name": "web", "size": 1, "disk-size": 10,
                          "instance-type": {"id": fixtures::INSTANCE_TYPE_MICRO},
                          "template": {"id": fixtures::TEMPLATE_DEBIAN}});
        let op = api.create(zone, &body).unwrap();
        op["reference"]["id"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_locked_delete_is_refused_and_the_load_balancer_shows_the_pool() {
        let (api, faults) = api();
        let id = create(&api, GVA);
        faults.add(FaultRule::parse("delete-instance-pool=locked-by-nlb*1").unwrap());
        let refused = api.delete(GVA, &id).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            refused.message,
            format!(
                "Forbidden: Instance Pool {id} is Locked by NLB {}",
                fixtures::LOAD_BALANCER
            )
        );
        let nlb = api.get_load_balancer(GVA, fixtures::LOAD_BALANCER).unwrap();
        assert_eq!(nlb["name"], fixtures::LOAD_BALANCER_NAME);
        assert_eq!(nlb["services"][0]["instance-pool"]["id"], id.as_str());
        // The rule is used up: the service lets go, and the delete goes through.
        assert!(api.delete(GVA, &id).is_ok());
        let nlb = api.get_load_balancer(GVA, fixtures::LOAD_BALANCER).unwrap();
        assert!(nlb["services"][0].get("instance-pool").is_none(), "{nlb}");
        // Only in its zone, by its id.
        let elsewhere = api.get_load_balancer("de-fra-1", fixtures::LOAD_BALANCER);
        assert_eq!(elsewhere.unwrap_err().status, StatusCode::NOT_FOUND);
        let other = api.get_load_balancer(GVA, fixtures::LOAD_BALANCER_SERVICE);
        assert_eq!(other.unwrap_err().status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_degraded_fault_leaves_the_pool_degraded_with_its_reason() {
        let (api, faults) = api();
        let id = create(&api, GVA);
        faults.add(FaultRule::parse("scale-instance-pool=degraded:no quota left*1").unwrap());
        let op = api.scale(GVA, &id, &json!({"size": 3})).unwrap();
        let pool = api.get_pool(GVA, &id).unwrap();
        assert_eq!(pool["state"], "degraded");
        assert_eq!(pool["error_reason"]["cause"], "no quota left");
        assert_eq!(pool["error_reason"]["type"], "quota-exceeded");
        assert_eq!(pool["error_reason"]["job-id"], op["id"]);
        // A change that succeeds clears it; a rule for every route waits for a change.
        faults.add(FaultRule::parse("*=degraded:again*1").unwrap());
        api.reset(GVA, &id, "description").unwrap();
        assert_eq!(api.get_pool(GVA, &id).unwrap()["state"], "running");
        assert_eq!(faults.list().len(), 1);
        api.update(GVA, &id, &json!({"description": "d"})).unwrap();
        let pool = api.get_pool(GVA, &id).unwrap();
        assert_eq!(pool["error_reason"]["cause"], "again");
        assert!(faults.list().is_empty());
    }
}
