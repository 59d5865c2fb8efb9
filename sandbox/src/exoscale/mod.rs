//! The Exoscale API v2 emulation: instance pools, operations, and the read-only catalogue
//! (zones, instance types, templates, security groups, ...), served under `/{zone}/v2/...`
//! for the zones in [`fixtures::ZONES`], behind EXO2-HMAC-SHA256 signature checks.
//!
//! One catch-all route parses the path itself ([`Route::parse`]), because Exoscale's
//! `/instance-pool/{id}:scale` style does not fit a path router, and because the middleware
//! needs the same parsing to name routes ([`route_name`]).

pub mod fixtures;
mod model;
pub mod sign;
mod validate;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::{Config, FaultKind, Faults};
use model::{ApiError, Outcome, Pool, Store};
use validate::{is_uuid, Mode};

pub use sign::AuthError;

pub struct ExoscaleApi {
    key: String,
    secret: String,
    operation_duration: Duration,
    faults: Faults,
    store: Mutex<Store>,
}

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

/// One API operation, parsed from method and path (path parameters still raw).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    ListZones,
    /// `GET /instance`: this sandbox's instances are all pool members.
    ListInstances,
    ListInstancePools,
    CreateInstancePool,
    GetInstancePool(&'a str),
    UpdateInstancePool(&'a str),
    DeleteInstancePool(&'a str),
    ScaleInstancePool(&'a str),
    EvictInstancePoolMembers(&'a str),
    ResetInstancePoolField(&'a str, &'a str),
    GetOperation(&'a str),
    /// A read-only catalogue list, by its path segment (`instance-type`, `template`, ...).
    ListCatalogue(&'static str),
    GetCatalogue(&'static str, &'a str),
}

/// (path segment, operation ids for list and get, JSON key of the list, key of an entry's id)
const CATALOGUES: [(&str, &str, &str, &str, &str); 8] = [
    (
        "instance-type",
        "list-instance-types",
        "get-instance-type",
        "instance-types",
        "id",
    ),
    (
        "template",
        "list-templates",
        "get-template",
        "templates",
        "id",
    ),
    (
        "security-group",
        "list-security-groups",
        "get-security-group",
        "security-groups",
        "id",
    ),
    (
        "private-network",
        "list-private-networks",
        "get-private-network",
        "private-networks",
        "id",
    ),
    (
        "anti-affinity-group",
        "list-anti-affinity-groups",
        "get-anti-affinity-group",
        "anti-affinity-groups",
        "id",
    ),
    (
        "elastic-ip",
        "list-elastic-ips",
        "get-elastic-ip",
        "elastic-ips",
        "id",
    ),
    (
        "ssh-key",
        "list-ssh-keys",
        "get-ssh-key",
        "ssh-keys",
        "name",
    ),
    (
        "deploy-target",
        "list-deploy-targets",
        "get-deploy-target",
        "deploy-targets",
        "id",
    ),
];

fn catalogue_entries(segment: &str) -> Vec<Value> {
    match segment {
        "instance-type" => fixtures::instance_types(),
        "template" => fixtures::templates(),
        "security-group" => fixtures::security_groups(),
        "private-network" => fixtures::private_networks(),
        "anti-affinity-group" => fixtures::anti_affinity_groups(),
        "elastic-ip" => fixtures::elastic_ips(),
        "ssh-key" => fixtures::ssh_keys(),
        "deploy-target" => fixtures::deploy_targets(),
        _ => Vec::new(),
    }
}

impl<'a> Route<'a> {
    /// Splits `/{zone}/v2/...` into the zone and the operation.
    fn parse(method: &Method, path: &'a str) -> Option<(&'a str, Route<'a>)> {
        let (zone, rest) = path.strip_prefix('/')?.split_once('/')?;
        let rest = rest.strip_prefix("v2/")?;
        let segments: Vec<&str> = rest.split('/').collect();
        let route = match (method.as_str(), segments.as_slice()) {
            ("GET", ["zone"]) => Route::ListZones,
            ("GET", ["instance"]) => Route::ListInstances,
            ("GET", ["instance-pool"]) => Route::ListInstancePools,
            ("POST", ["instance-pool"]) => Route::CreateInstancePool,
            ("PUT", ["instance-pool", id]) => match id.split_once(':') {
                Some((id, "scale")) => Route::ScaleInstancePool(id),
                Some((id, "evict")) => Route::EvictInstancePoolMembers(id),
                Some(_) => return None,
                None => Route::UpdateInstancePool(id),
            },
            ("GET", ["instance-pool", id]) => Route::GetInstancePool(id),
            ("DELETE", ["instance-pool", id]) => Route::DeleteInstancePool(id),
            ("DELETE", ["instance-pool", id, field]) => Route::ResetInstancePoolField(id, field),
            ("GET", ["operation", id]) => Route::GetOperation(id),
            ("GET", [segment]) => {
                Route::ListCatalogue(CATALOGUES.iter().find(|c| c.0 == *segment)?.0)
            }
            ("GET", [segment, id]) => {
                Route::GetCatalogue(CATALOGUES.iter().find(|c| c.0 == *segment)?.0, id)
            }
            _ => return None,
        };
        Some((zone, route))
    }

    /// The OpenAPI operation id.
    fn name(&self) -> &'static str {
        let catalogue = |segment: &str| CATALOGUES.iter().find(|c| c.0 == segment);
        match self {
            Route::ListZones => "list-zones",
            Route::ListInstances => "list-instances",
            Route::ListInstancePools => "list-instance-pools",
            Route::CreateInstancePool => "create-instance-pool",
            Route::GetInstancePool(_) => "get-instance-pool",
            Route::UpdateInstancePool(_) => "update-instance-pool",
            Route::DeleteInstancePool(_) => "delete-instance-pool",
            Route::ScaleInstancePool(_) => "scale-instance-pool",
            Route::EvictInstancePoolMembers(_) => "evict-instance-pool-members",
            Route::ResetInstancePoolField(..) => "reset-instance-pool-field",
            Route::GetOperation(_) => "get-operation",
            Route::ListCatalogue(s) => catalogue(s).map_or("list-catalogue", |c| c.1),
            Route::GetCatalogue(s, _) => catalogue(s).map_or("get-catalogue", |c| c.2),
        }
    }
}

/// The API operation a request path names, if it is one of this API's.
pub fn route_name(method: &Method, path: &str) -> Option<&'static str> {
    Route::parse(method, path).map(|(_, route)| route.name())
}

/// The fixed catalogue, with ids, as `pools-sandbox --fixtures` prints it.
pub fn fixtures() -> Value {
    fixtures::summary()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON request body: {e}")))
}

fn uuid_param<'a>(what: &str, id: &'a str) -> Result<&'a str, ApiError> {
    if is_uuid(id) {
        Ok(id)
    } else {
        Err(ApiError::bad_request(format!(
            "invalid {what} id `{id}`: expected a UUID"
        )))
    }
}

impl ExoscaleApi {
    pub fn new(config: &Config, faults: Faults) -> Arc<Self> {
        Arc::new(ExoscaleApi {
            key: config.exoscale_key.clone(),
            secret: config.exoscale_secret.clone(),
            operation_duration: config.operation_duration,
            faults,
            store: Mutex::new(Store::with_fixtures()),
        })
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{zone}/v2/{*rest}", any(handle))
            .with_state(self)
    }

    /// Serialisable snapshot of the live state, for `--state FILE`.
    pub fn save(&self) -> Value {
        serde_json::to_value(&*self.lock()).unwrap_or(Value::Null)
    }

    /// Restores a snapshot from [`ExoscaleApi::save`]; `null` (nothing saved) keeps the fixtures.
    pub fn load(&self, state: &Value) -> Result<(), String> {
        if state.is_null() {
            return Ok(());
        }
        let store: Store =
            serde_json::from_value(state.clone()).map_err(|e| format!("exoscale state: {e}"))?;
        *self.lock() = store;
        Ok(())
    }

    /// How many pools exist (in any state), across zones.
    pub fn pool_count(&self) -> usize {
        self.settled().pools.len()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store, with every operation that is due finished.
    fn settled(&self) -> MutexGuard<'_, Store> {
        let mut store = self.lock();
        store.settle(now_ms());
        store
    }

    fn authenticate(
        &self,
        route: Route<'_>,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), ApiError> {
        let header = headers.get("authorization");
        // list-zones is public: the official client calls it without credentials.
        if route == Route::ListZones && header.is_none() {
            return Ok(());
        }
        let header = match header.map(|h| h.to_str()) {
            Some(Ok(h)) => Some(h),
            Some(Err(_)) => return Err(auth_error(AuthError::Malformed("not ASCII"))),
            None => None,
        };
        let now = now_ms() / 1000;
        sign::verify(
            header,
            method.as_str(),
            uri.path(),
            uri.query(),
            body,
            &self.key,
            &self.secret,
            now,
        )
        .map_err(auth_error)
    }

    /// The outcome and stuck state a new operation on `route` gets from injected faults.
    fn operation_faults(&self, route: &str) -> (Outcome, Option<String>) {
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
        (outcome, stuck)
    }

    fn due_ms(&self) -> u64 {
        let duration = u64::try_from(self.operation_duration.as_millis()).unwrap_or(u64::MAX);
        now_ms().saturating_add(duration)
    }

    fn dispatch(
        &self,
        zone: &str,
        route: Route<'_>,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Value, ApiError> {
        match route {
            Route::ListZones => Ok(list_zones(headers)),
            Route::ListInstances => self.list_instances(zone, uri.query().unwrap_or_default()),
            Route::ListCatalogue(segment) => {
                let key = CATALOGUES
                    .iter()
                    .find(|c| c.0 == segment)
                    .map_or("", |c| c.3);
                Ok(json!({ key: catalogue_entries(segment) }))
            }
            Route::GetCatalogue(segment, raw) => {
                let (field, id) = if segment == "ssh-key" {
                    ("name", sign::percent_decode(raw))
                } else {
                    ("id", uuid_param(segment, raw)?.to_string())
                };
                fixtures::find(catalogue_entries(segment), field, &id)
                    .ok_or_else(|| ApiError::not_found(format!("{segment} {id} not found")))
            }
            Route::GetOperation(id) => {
                let id = uuid_param("operation", id)?;
                let store = self.settled();
                store
                    .operations
                    .get(id)
                    .map(|op| op.to_json())
                    .ok_or_else(|| ApiError::not_found(format!("operation {id} not found")))
            }
            Route::ListInstancePools => {
                let store = self.settled();
                let pools: Vec<Value> = store
                    .pools
                    .values()
                    .filter(|p| p.zone == zone)
                    .map(Pool::to_json)
                    .collect();
                Ok(json!({ "instance-pools": pools }))
            }
            Route::GetInstancePool(id) => {
                let id = uuid_param("instance pool", id)?;
                let store = self.settled();
                Ok(pool_in(&store, zone, id)?.to_json())
            }
            Route::CreateInstancePool => self.create(zone, &parse_body(body)?),
            Route::UpdateInstancePool(id) => self.update(zone, id, &parse_body(body)?),
            Route::ScaleInstancePool(id) => self.scale(zone, id, &parse_body(body)?),
            Route::EvictInstancePoolMembers(id) => self.evict(zone, id, &parse_body(body)?),
            Route::ResetInstancePoolField(id, field) => self.reset(zone, id, field),
            Route::DeleteInstancePool(id) => self.delete(zone, id),
        }
    }

    fn create(&self, zone: &str, body: &Value) -> Result<Value, ApiError> {
        let mut spec = validate::pool_fields(body, Mode::Create)?;
        let size = spec
            .remove("size")
            .and_then(|s| s.as_u64())
            .unwrap_or_default();
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_POOL_SIZE)
            .ok_or_else(|| too_large(size))?;
        let (outcome, stuck) = self.operation_faults("create-instance-pool");
        let written = spec.clone();
        let mut pool = Pool {
            id: model::new_uuid(),
            zone: zone.to_string(),
            spec,
            instances: Vec::new(),
            state: "creating".into(),
            manager: None,
            last_operation: None,
        };
        pool.tie_ipv6(&written);
        pool.resize(size, now_ms());
        let mut store = self.settled();
        let id = pool.id.clone();
        store.pools.insert(id.clone(), pool);
        store.provision(&id);
        Ok(store.start(&id, None, false, outcome, stuck, self.due_ms()))
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
        let (outcome, stuck) = self.operation_faults(route);
        Ok(store.start(id, transitional, removes, outcome, stuck, self.due_ms()))
    }

    fn update(&self, zone: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
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

    fn scale(&self, zone: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
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

    fn evict(&self, zone: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
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

    fn reset(&self, zone: &str, id: &str, field: &str) -> Result<Value, ApiError> {
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

    fn delete(&self, zone: &str, id: &str) -> Result<Value, ApiError> {
        self.mutate(zone, id, "delete-instance-pool", |pool| {
            for member in &mut pool.instances {
                member.state = "destroying".into();
            }
            Ok(Some("destroying"))
        })
    }

    /// `GET /instance`, with the filters of the OpenAPI document: `manager-id` (a UUID),
    /// `manager-type` (only `instance-pool`) and `ip-address`; `labels` is accepted and
    /// matches nothing, as no instance here has labels.
    fn list_instances(&self, zone: &str, query: &str) -> Result<Value, ApiError> {
        let mut manager_id = None;
        let mut ip_address = None;
        let mut labelled = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = sign::percent_decode(value);
            match name {
                "manager-id" => manager_id = Some(uuid_param("manager", &value)?.to_string()),
                "manager-type" if value != "instance-pool" => {
                    return Err(ApiError::bad_request(format!(
                        "invalid value for manager-type: `{value}`, must be instance-pool"
                    )))
                }
                "ip-address" => ip_address = Some(value),
                "labels" => labelled = true,
                _ => {}
            }
        }
        let store = self.settled();
        let instances: Vec<Value> = store
            .pools
            .values()
            .filter(|p| p.zone == zone && !labelled)
            .filter(|p| manager_id.as_ref().is_none_or(|m| *m == p.id))
            .flat_map(|p| p.instances.iter().map(|m| m.to_json(&p.id)))
            .filter(|i| {
                ip_address
                    .as_ref()
                    .is_none_or(|ip| i["public-ip"] == *ip || i["ipv6-address"] == *ip)
            })
            .collect();
        Ok(json!({ "instances": instances }))
    }
}

/// Far above any real quota; keeps a typo like 10^12 from exhausting memory.
const MAX_POOL_SIZE: usize = 10_000;

fn too_large(size: u64) -> ApiError {
    ApiError::bad_request(format!(
        "invalid value for size: {size} is above the sandbox limit of {MAX_POOL_SIZE}"
    ))
}

fn pool_in<'s>(store: &'s Store, zone: &str, id: &str) -> Result<&'s Pool, ApiError> {
    store
        .pools
        .get(id)
        .filter(|p| p.zone == zone)
        .ok_or_else(|| pool_not_found(id))
}

fn pool_in_mut<'s>(store: &'s mut Store, zone: &str, id: &str) -> Result<&'s mut Pool, ApiError> {
    store
        .pools
        .get_mut(id)
        .filter(|p| p.zone == zone)
        .ok_or_else(|| pool_not_found(id))
}

fn pool_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Instance Pool {id} not found"))
}

fn auth_error(e: AuthError) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, e.message())
}

/// The zones this sandbox serves, each pointing back at the sandbox.
fn list_zones(headers: &HeaderMap) -> Value {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let zones: Vec<Value> = fixtures::ZONES
        .iter()
        .map(|z| {
            json!({"name": z, "api-endpoint": format!("http://{host}/{z}/v2"),
                        "sos-endpoint": format!("http://{host}/sos/{z}")})
        })
        .collect();
    json!({ "zones": zones })
}

async fn handle(
    State(api): State<Arc<ExoscaleApi>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let Some((zone, route)) = Route::parse(&method, path) else {
        return ApiError::not_found(format!("no such API operation: {method} {path}"))
            .into_response();
    };
    if !fixtures::ZONES.contains(&zone) {
        return ApiError::not_found(format!(
            "unknown zone `{zone}`: the sandbox serves {}",
            fixtures::ZONES.join(" and ")
        ))
        .into_response();
    }
    let answer = api
        .authenticate(route, &method, &uri, &headers, &body)
        .and_then(|()| api.dispatch(zone, route, &uri, &headers, &body));
    match answer {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_routes_like_the_openapi_operation_ids() {
        let cases = [
            ("GET", "/ch-gva-2/v2/zone", Some("list-zones")),
            ("GET", "/ch-gva-2/v2/instance", Some("list-instances")),
            (
                "POST",
                "/ch-gva-2/v2/instance-pool",
                Some("create-instance-pool"),
            ),
            (
                "PUT",
                "/x/v2/instance-pool/abc:scale",
                Some("scale-instance-pool"),
            ),
            (
                "PUT",
                "/x/v2/instance-pool/abc:evict",
                Some("evict-instance-pool-members"),
            ),
            (
                "PUT",
                "/x/v2/instance-pool/abc",
                Some("update-instance-pool"),
            ),
            ("PUT", "/x/v2/instance-pool/abc:nope", None),
            (
                "DELETE",
                "/x/v2/instance-pool/abc/labels",
                Some("reset-instance-pool-field"),
            ),
            (
                "DELETE",
                "/x/v2/instance-pool/abc",
                Some("delete-instance-pool"),
            ),
            ("GET", "/x/v2/operation/abc", Some("get-operation")),
            ("GET", "/x/v2/instance-type", Some("list-instance-types")),
            ("GET", "/x/v2/ssh-key/sandbox", Some("get-ssh-key")),
            ("GET", "/x/v2/deploy-target/abc", Some("get-deploy-target")),
            ("GET", "/x/v2/bogus", None),
            ("GET", "/api/gitpod.v1.PrebuildService/GetWarmPool", None),
            ("GET", "/x/v3/zone", None),
        ];
        for (method, path, name) in cases {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(route_name(&method, path), name, "{method} {path}");
        }
    }
}
