//! Network Load Balancers, read only to say which of their services use a pool (the API
//! refuses to delete a pool a service forwards traffic to).

use serde::{Deserialize, Serialize};

use super::pool::IdRef;

/// A Network Load Balancer as `GET /load-balancer/{id}` returns it: the fields that name
/// it and its services.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub services: Vec<LoadBalancerService>,
}

/// One service of a load balancer: a port forwarded to the instances of a pool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LoadBalancerService {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_pool: Option<IdRef>,
}

impl LoadBalancer {
    /// The services that forward to pool `pool_id`.
    pub fn services_using(&self, pool_id: &str) -> Vec<&LoadBalancerService> {
        self.services
            .iter()
            .filter(|s| {
                s.instance_pool
                    .as_ref()
                    .is_some_and(|p| p.id.eq_ignore_ascii_case(pool_id))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_documented_load_balancer_and_finds_a_pools_services() {
        let nlb: LoadBalancer = serde_json::from_value(json!({
            "id": "n1", "name": "front", "state": "running", "ip": "192.0.2.1",
            "services": [
                {"id": "s1", "name": "http", "port": 80, "target-port": 8080,
                 "protocol": "tcp", "strategy": "round-robin", "instance-pool": {"id": "P1"}},
                {"id": "s2", "name": "dns", "instance-pool": {"id": "p2"}},
                {"id": "s3", "name": "https", "instance-pool": {"id": "p1"}}
            ]
        }))
        .unwrap();
        assert_eq!(nlb.name.as_deref(), Some("front"));
        let names: Vec<_> = nlb
            .services_using("p1")
            .iter()
            .filter_map(|s| s.name.as_deref())
            .collect();
        assert_eq!(names, ["http", "https"]);
        assert!(nlb.services_using("p3").is_empty());
        // A load balancer without services, or without names, still decodes.
        let bare: LoadBalancer = serde_json::from_value(json!({"id": "n2"})).unwrap();
        assert!(bare.services.is_empty() && bare.name.is_none());
    }
}
