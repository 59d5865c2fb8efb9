//! Ona's `gitpod.v1.PrebuildService` warm pool procedures, spoken over the Connect protocol
//! under `/api/gitpod.v1.PrebuildService/{Procedure}` with bearer-token auth.
//!
//! - `connect`: the protocol envelope (methods, content types, compression, error shape).
//! - `proto_json`, `messages`: request decoding and validation.
//! - `pools`: the pools and their phases. `fixtures`: projects and environment classes.

mod connect;
pub mod fixtures;
mod messages;
mod pools;
mod proto_json;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::json;

use crate::{Config, FaultKind, Faults};
use connect::{Code, ConnectError};
use messages::{CreateWarmPool, ListWarmPools, UpdateWarmPool, WarmPoolId};
pub use pools::{Phase, DEFAULT_PAGE_SIZE};
/// RFC 3339 timestamps, shared with the Exoscale emulation.
pub(crate) use proto_json::timestamp;

const PREFIX: &str = "/api/gitpod.v1.PrebuildService/";

/// The procedures served, by name (also their route names in the request log and faults).
const PROCEDURES: &[&str] = &[
    "CreateWarmPool",
    "GetWarmPool",
    "UpdateWarmPool",
    "DeleteWarmPool",
    "ListWarmPools",
];

/// The service's other procedures: they exist on the real API, the sandbox does not emulate them.
const OTHER_PROCEDURES: &[&str] = &[
    "CreatePrebuild",
    "ListPrebuilds",
    "GetPrebuild",
    "CancelPrebuild",
    "DeletePrebuild",
    "CreatePrebuildLogsToken",
];

pub struct OnaApi {
    token: String,
    settle: Duration,
    faults: Faults,
    store: Mutex<pools::Store>,
}

impl OnaApi {
    pub fn new(config: &Config, faults: Faults) -> Arc<Self> {
        Arc::new(OnaApi {
            token: config.ona_token.clone(),
            settle: config.warm_pool_settle,
            faults,
            store: Mutex::new(pools::Store::default()),
        })
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/api/gitpod.v1.PrebuildService/{procedure}", any(serve))
            .with_state(self)
    }

    /// Serialisable snapshot of the live state, for `--state FILE`.
    pub fn save(&self) -> serde_json::Value {
        serde_json::to_value(&*self.lock()).unwrap_or(serde_json::Value::Null)
    }

    pub fn load(&self, state: &serde_json::Value) -> Result<(), String> {
        if state.is_null() {
            return Ok(());
        }
        let store: pools::Store =
            serde_json::from_value(state.clone()).map_err(|e| format!("ona state: {e}"))?;
        *self.lock() = store;
        Ok(())
    }

    /// How many warm pools exist right now (DELETING ones included until they are gone).
    pub fn pool_count(&self) -> usize {
        let mut store = self.lock();
        store.advance(now_ms());
        store.count()
    }

    fn lock(&self) -> MutexGuard<'_, pools::Store> {
        // A panic while holding the lock leaves the pools consistent enough; keep serving.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn settle_ms(&self) -> u64 {
        u64::try_from(self.settle.as_millis()).unwrap_or(u64::MAX)
    }

    /// A `Degraded` fault for this route turns the pool's next settle into DEGRADED.
    fn take_degraded(&self, route: &str) -> Option<String> {
        match self
            .faults
            .take(route, |k| matches!(k, FaultKind::Degraded { .. }))
        {
            Some(FaultKind::Degraded { message }) => Some(message),
            _ => None,
        }
    }

    fn call(
        &self,
        procedure: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ConnectError> {
        let now = now_ms();
        match procedure {
            "CreateWarmPool" => {
                let request = CreateWarmPool::decode(body)?;
                let mut store = self.lock();
                store.advance(now);
                let pool = store.create(request, new_uuid()?, now, self.settle_ms())?;
                if let Some(message) = self.take_degraded(procedure) {
                    pool.settle_to = pools::Settle::Degraded { message };
                }
                Ok(json!({ "warmPool": pool.to_json() }))
            }
            "GetWarmPool" => {
                let request = WarmPoolId::decode("gitpod.v1.GetWarmPoolRequest", body)?;
                let mut store = self.lock();
                store.advance(now);
                Ok(json!({ "warmPool": store.get(&request.warm_pool_id)?.to_json() }))
            }
            "UpdateWarmPool" => {
                let request = UpdateWarmPool::decode(body)?;
                let mut store = self.lock();
                store.advance(now);
                let pool = store.update(request, now, self.settle_ms())?;
                if pool.settle_at_ms.is_some() {
                    if let Some(message) = self.take_degraded(procedure) {
                        pool.settle_to = pools::Settle::Degraded { message };
                    }
                }
                Ok(json!({ "warmPool": pool.to_json() }))
            }
            "DeleteWarmPool" => {
                let request = WarmPoolId::decode("gitpod.v1.DeleteWarmPoolRequest", body)?;
                let mut store = self.lock();
                store.advance(now);
                store.delete(&request.warm_pool_id, now, self.settle_ms())?;
                Ok(json!({}))
            }
            "ListWarmPools" => {
                let request = ListWarmPools::decode(body)?;
                let mut store = self.lock();
                store.advance(now);
                let (page, next_token) = store.list(&request)?;
                let mut answer = serde_json::Map::new();
                let mut pagination = serde_json::Map::new();
                if !next_token.is_empty() {
                    pagination.insert("nextToken".into(), json!(next_token));
                }
                answer.insert("pagination".into(), pagination.into());
                if !page.is_empty() {
                    let pools: Vec<_> = page.iter().map(|p| p.to_json()).collect();
                    answer.insert("warmPools".into(), pools.into());
                }
                Ok(answer.into())
            }
            other => Err(ConnectError::new(
                Code::Unimplemented,
                format!("gitpod.v1.PrebuildService.{other} is not implemented"),
            )),
        }
    }
}

async fn serve(
    State(api): State<Arc<OnaApi>>,
    Path(procedure): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let known =
        PROCEDURES.contains(&procedure.as_str()) || OTHER_PROCEDURES.contains(&procedure.as_str());
    if !known {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    }
    let message = match connect::read_unary(&method, &headers, &body) {
        Ok(message) => message,
        Err(rejection) => return rejection.into_response(),
    };
    match connect::bearer_token(&headers) {
        None => {
            return ConnectError::new(Code::Unauthenticated, "missing bearer token").into_response()
        }
        Some(token) if token != api.token => {
            return ConnectError::new(Code::Unauthenticated, "invalid bearer token").into_response()
        }
        Some(_) => {}
    }
    match api.call(&procedure, &message) {
        Ok(answer) => connect::ok(&answer),
        Err(e) => e.into_response(),
    }
}

/// The API operation a request path names, if it is one of this API's.
pub fn route_name(_method: &Method, path: &str) -> Option<&'static str> {
    let procedure = path.strip_prefix(PREFIX)?;
    PROCEDURES.iter().copied().find(|p| *p == procedure)
}

pub fn fixtures() -> serde_json::Value {
    fixtures::json()
}

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// A random version-4 UUID, lowercase.
fn new_uuid() -> Result<String, ConnectError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| ConnectError::new(Code::Internal, "no randomness for a new id"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}
