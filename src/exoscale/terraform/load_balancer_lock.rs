//! A delete the API refuses because a Network Load Balancer service forwards traffic to the
//! pool: the error names the load balancer and its services (read from the API when it
//! named the load balancer) and gives the two ways out.

use super::diagnostics::api_error;
use crate::exoscale::api::wire::LoadBalancer;
use crate::exoscale::api::ExoscaleClient;
use crate::plugin::Diagnostics;

pub const SUMMARY: &str = "Instance pool is in use by a load balancer";

/// The error for pool `pool_id`, whose delete the API refused with `message`, naming load
/// balancer `load_balancer_id` if it did.
pub async fn locked_error(
    client: &ExoscaleClient,
    zone: &str,
    pool_id: &str,
    load_balancer_id: Option<&str>,
    message: &str,
) -> Diagnostics {
    let holder = match load_balancer_id {
        None => "A Network Load Balancer (the API does not say which: look for the one whose service uses this pool in the Exoscale console)".to_string(),
        Some(id) => match client.get_load_balancer(zone, id).await {
            Ok(Some(nlb)) => described(&nlb, id, pool_id),
            Ok(None) => format!("Network Load Balancer {id} (no longer found in zone {zone}: apply again if it was just deleted)"),
            Err(e) => format!("Network Load Balancer {id} (its name could not be read: {e})"),
        },
    };
    api_error(
        SUMMARY,
        format!(
            "The Exoscale API refused to delete instance pool {pool_id} in zone {zone} ({message}). {holder} forwards traffic to it. Detach the pool from the load balancer's service first (point the service at another instance pool, or delete the service), then run Terraform again. Or destroy the service first: if Terraform manages it, give the service's resource `depends_on` naming this pool's resource, so that Terraform destroys the service before the pool. When the pool is being replaced (a change of `zone`, say), point the service at the new pool first: `lifecycle {{ create_before_destroy = true }}` on the pool makes the new one before the old one is deleted."
        ),
    )
}

/// `Network Load Balancer "front" (<id>), through its service "http" (<id>)`.
fn described(nlb: &LoadBalancer, id: &str, pool_id: &str) -> String {
    let mut text = match &nlb.name {
        Some(name) => format!("Network Load Balancer {name:?} ({id})"),
        None => format!("Network Load Balancer {id}"),
    };
    let services: Vec<String> = nlb
        .services_using(pool_id)
        .iter()
        .map(|s| match (&s.name, &s.id) {
            (Some(name), Some(id)) => format!("{name:?} ({id})"),
            (Some(name), None) => format!("{name:?}"),
            (None, Some(id)) => id.clone(),
            (None, None) => "(unnamed)".to_string(),
        })
        .collect();
    match services.as_slice() {
        [] => {}
        [one] => text.push_str(&format!(", through its service {one},")),
        many => text.push_str(&format!(", through its services {},", many.join(", "))),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_load_balancer_is_named_with_the_services_that_use_the_pool() {
        let nlb: LoadBalancer = serde_json::from_value(json!({
            "id": "n1", "name": "front",
            "services": [
                {"id": "s1", "name": "http", "instance-pool": {"id": "p1"}},
                {"id": "s2", "name": "other", "instance-pool": {"id": "p2"}},
                {"name": "https", "instance-pool": {"id": "p1"}}
            ]
        }))
        .unwrap();
        assert_eq!(
            described(&nlb, "n1", "p1"),
            r#"Network Load Balancer "front" (n1), through its services "http" (s1), "https","#
        );
        assert_eq!(
            described(&nlb, "n1", "p2"),
            r#"Network Load Balancer "front" (n1), through its service "other" (s2),"#
        );
        let unnamed = LoadBalancer::default();
        assert_eq!(described(&unnamed, "n9", "p1"), "Network Load Balancer n9");
    }
}
