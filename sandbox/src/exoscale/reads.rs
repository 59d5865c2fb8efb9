//! The requests that change nothing: zones, the fixed catalogue, operations, pools and
//! their instances, and the fixture load balancer, each read from a settled store.

use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::model::{ApiError, Pool, Store};
use super::routes::CATALOGUES;
use super::state::{pool_not_found, uuid_param, ExoscaleApi};
use super::{fixtures, sign};

/// The zones this sandbox serves, each pointing back at the sandbox.
pub(super) fn list_zones(headers: &HeaderMap) -> Value {
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

pub(super) fn list_catalogue(segment: &str) -> Value {
    let key = CATALOGUES
        .iter()
        .find(|c| c.0 == segment)
        .map_or("", |c| c.3);
    json!({ key: catalogue_entries(segment) })
}

pub(super) fn get_catalogue(segment: &str, raw: &str) -> Result<Value, ApiError> {
    let (field, id) = if segment == "ssh-key" {
        ("name", sign::percent_decode(raw))
    } else {
        ("id", uuid_param(segment, raw)?.to_string())
    };
    fixtures::find(catalogue_entries(segment), field, &id)
        .ok_or_else(|| ApiError::not_found(format!("{segment} {id} not found")))
}

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

impl ExoscaleApi {
    pub(super) fn get_operation(&self, id: &str) -> Result<Value, ApiError> {
        let id = uuid_param("operation", id)?;
        let store = self.settled();
        store
            .operations
            .get(id)
            .map(|op| op.to_json())
            .ok_or_else(|| ApiError::not_found(format!("operation {id} not found")))
    }

    /// The fixture load balancer, in its zone, with the pool its service uses if any.
    pub(super) fn get_load_balancer(&self, zone: &str, id: &str) -> Result<Value, ApiError> {
        let id = uuid_param("load balancer", id)?;
        if id != fixtures::LOAD_BALANCER || zone != fixtures::LOAD_BALANCER_ZONE {
            return Err(ApiError::not_found(format!("Load Balancer {id} not found")));
        }
        let store = self.settled();
        Ok(fixtures::load_balancer(store.load_balanced_pool.as_deref()))
    }

    pub(super) fn list_pools(&self, zone: &str) -> Value {
        let store = self.settled();
        let pools: Vec<Value> = store
            .pools
            .values()
            .filter(|p| p.zone == zone)
            .map(Pool::to_json)
            .collect();
        json!({ "instance-pools": pools })
    }

    pub(super) fn get_pool(&self, zone: &str, id: &str) -> Result<Value, ApiError> {
        let id = uuid_param("instance pool", id)?;
        let store = self.settled();
        Ok(pool_in(&store, zone, id)?.to_json())
    }

    /// `GET /instance`, with the filters of the OpenAPI document: `manager-id` (a UUID),
    /// `manager-type` (only `instance-pool`) and `ip-address`; `labels` is accepted and
    /// matches nothing, as no instance here has labels.
    pub(super) fn list_instances(&self, zone: &str, query: &str) -> Result<Value, ApiError> {
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

fn pool_in<'s>(store: &'s Store, zone: &str, id: &str) -> Result<&'s Pool, ApiError> {
    store
        .pools
        .get(id)
        .filter(|p| p.zone == zone)
        .ok_or_else(|| pool_not_found(id))
}
