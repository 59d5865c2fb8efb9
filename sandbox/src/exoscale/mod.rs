//! The Exoscale API v2 emulation: instance pools, operations, the read-only catalogue
//! (zones, instance types, templates, security groups, ...) and a fixture Network Load
//! Balancer, served under `/{zone}/v2/...`
//! for the zones in [`fixtures::ZONES`], behind EXO2-HMAC-SHA256 signature checks.
//!
//! This file holds the one handler: which operation, which zone, a valid signature, then
//! the answer from
//! - `reads`: the requests that change nothing (zones, catalogue, pools, operations, the
//!   load balancer);
//! - `changes`: the requests that change a pool, each starting an operation.
//!
//! Both work on `state` (the API's store, settings and faults). `routes` parses a request
//! into its operation, `validate` checks request bodies, `model` holds pools and operations
//! and how time settles them, `sign` the signature scheme and `fixtures` the catalogue.

mod changes;
pub mod fixtures;
mod model;
mod reads;
mod routes;
pub mod sign;
mod state;
mod validate;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::Value;

use model::ApiError;
use routes::Route;
use state::now_ms;

pub use routes::route_name;
pub use sign::AuthError;
pub use state::ExoscaleApi;

/// The fixed catalogue, with ids, as `pools-sandbox --fixtures` prints it.
pub fn fixtures() -> Value {
    fixtures::summary()
}

impl ExoscaleApi {
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{zone}/v2/{*rest}", any(handle))
            .with_state(self)
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

    fn dispatch(
        &self,
        zone: &str,
        route: Route<'_>,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Value, ApiError> {
        match route {
            Route::ListZones => Ok(reads::list_zones(headers)),
            Route::ListCatalogue(segment) => Ok(reads::list_catalogue(segment)),
            Route::GetCatalogue(segment, raw) => reads::get_catalogue(segment, raw),
            Route::GetOperation(id) => self.get_operation(id),
            Route::GetLoadBalancer(id) => self.get_load_balancer(zone, id),
            Route::ListInstances => self.list_instances(zone, uri.query().unwrap_or_default()),
            Route::ListInstancePools => Ok(self.list_pools(zone)),
            Route::GetInstancePool(id) => self.get_pool(zone, id),
            Route::CreateInstancePool => self.create(zone, &parse_body(body)?),
            Route::UpdateInstancePool(id) => self.update(zone, id, &parse_body(body)?),
            Route::ScaleInstancePool(id) => self.scale(zone, id, &parse_body(body)?),
            Route::EvictInstancePoolMembers(id) => self.evict(zone, id, &parse_body(body)?),
            Route::ResetInstancePoolField(id, field) => self.reset(zone, id, field),
            Route::DeleteInstancePool(id) => self.delete(zone, id),
        }
    }
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

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON request body: {e}")))
}

fn auth_error(e: AuthError) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, e.message())
}
