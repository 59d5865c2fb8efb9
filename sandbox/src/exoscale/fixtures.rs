//! The fixed catalogue every zone offers. The ids are stable forever: examples, docs and
//! tests refer to them. Each kind of resource has its own leading digit so ids are easy to
//! recognise in logs (1 = instance type, 2 = template, 3 = security group, ...).

use serde_json::{json, Value};

/// Zones the sandbox serves; any other zone answers 404 like an unknown host would.
pub const ZONES: [&str; 2] = ["ch-gva-2", "de-fra-1"];

pub const INSTANCE_TYPE_MICRO: &str = "11111111-0000-4000-8000-000000000001";
pub const INSTANCE_TYPE_SMALL: &str = "11111111-0000-4000-8000-000000000002";
pub const INSTANCE_TYPE_MEDIUM: &str = "11111111-0000-4000-8000-000000000003";
pub const INSTANCE_TYPE_LARGE: &str = "11111111-0000-4000-8000-000000000004";
pub const TEMPLATE_UBUNTU: &str = "22222222-0000-4000-8000-000000000001";
pub const TEMPLATE_DEBIAN: &str = "22222222-0000-4000-8000-000000000002";
pub const SECURITY_GROUP_DEFAULT: &str = "33333333-0000-4000-8000-000000000001";
pub const PRIVATE_NETWORK: &str = "44444444-0000-4000-8000-000000000001";
pub const ANTI_AFFINITY_GROUP: &str = "55555555-0000-4000-8000-000000000001";
pub const ELASTIC_IP: &str = "66666666-0000-4000-8000-000000000001";
pub const DEPLOY_TARGET: &str = "77777777-0000-4000-8000-000000000001";
pub const SSH_KEY: &str = "sandbox";
/// The pre-existing pool in ch-gva-2 that an SKS nodepool manages (mutations are refused).
pub const MANAGED_POOL: &str = "88888888-0000-4000-8000-000000000001";
pub const MANAGED_POOL_ZONE: &str = "ch-gva-2";
pub const MANAGER_NODEPOOL: &str = "99999999-0000-4000-8000-000000000001";
/// When the managed pool's instances were created: 2025-01-01T00:00:00Z.
pub const MANAGED_POOL_CREATED_MS: u64 = 1_735_689_600_000;
/// The Network Load Balancer in ch-gva-2 whose service `http` a `locked-by-nlb` fault
/// points at a pool (`get-load-balancer` shows it).
pub const LOAD_BALANCER: &str = "cccccccc-0000-4000-8000-000000000001";
pub const LOAD_BALANCER_NAME: &str = "sandbox-nlb";
pub const LOAD_BALANCER_ZONE: &str = "ch-gva-2";
pub const LOAD_BALANCER_SERVICE: &str = "cccccccc-0000-4000-8000-000000000002";
pub const LOAD_BALANCER_SERVICE_NAME: &str = "http";

/// (id, family, size, cpus, memory in bytes)
const INSTANCE_TYPES: [(&str, &str, &str, u64, u64); 4] = [
    (INSTANCE_TYPE_MICRO, "standard", "micro", 1, 512 << 20),
    (INSTANCE_TYPE_SMALL, "standard", "small", 2, 2 << 30),
    (INSTANCE_TYPE_MEDIUM, "standard", "medium", 2, 4 << 30),
    (INSTANCE_TYPE_LARGE, "standard", "large", 4, 8 << 30),
];

fn zones() -> Value {
    json!(ZONES)
}

pub fn instance_types() -> Vec<Value> {
    INSTANCE_TYPES
        .iter()
        .map(|(id, family, size, cpus, memory)| {
            json!({"id": id, "family": family, "size": size, "cpus": cpus, "memory": memory,
                   "authorized": true, "zones": zones()})
        })
        .collect()
}

pub fn templates() -> Vec<Value> {
    let template = |id: &str, name: &str, family: &str, user: &str| {
        json!({"id": id, "name": name, "family": family, "default-user": user,
               "visibility": "public", "maintainer": "Exoscale", "boot-mode": "uefi",
               "ssh-key-enabled": true, "password-enabled": true, "size": 10u64 << 30,
               "build": "2025-01-01", "version": "1", "created-at": "2025-01-01T00:00:00Z",
               "zones": zones()})
    };
    vec![
        template(
            TEMPLATE_UBUNTU,
            "Linux Ubuntu 24.04 LTS 64-bit",
            "ubuntu",
            "ubuntu",
        ),
        template(
            TEMPLATE_DEBIAN,
            "Linux Debian 12 (Bookworm) 64-bit",
            "debian",
            "debian",
        ),
    ]
}

pub fn security_groups() -> Vec<Value> {
    vec![json!({"id": SECURITY_GROUP_DEFAULT, "name": "default",
                "description": "Default Security Group", "external-sources": []})]
}

pub fn private_networks() -> Vec<Value> {
    vec![json!({"id": PRIVATE_NETWORK, "name": "sandbox-network",
                "start-ip": "10.0.0.10", "end-ip": "10.0.0.250", "netmask": "255.255.255.0",
                "labels": {}})]
}

pub fn anti_affinity_groups() -> Vec<Value> {
    vec![json!({"id": ANTI_AFFINITY_GROUP, "name": "sandbox-spread",
                "description": "Spread instances across hypervisors"})]
}

pub fn elastic_ips() -> Vec<Value> {
    vec![
        json!({"id": ELASTIC_IP, "ip": "192.0.2.10", "addressfamily": "inet4",
                "cidr": "192.0.2.10/32", "description": "sandbox"}),
    ]
}

pub fn ssh_keys() -> Vec<Value> {
    vec![json!({"name": SSH_KEY,
                "fingerprint": "SHA256:c2FuZGJveC1zYW5kYm94LXNhbmRib3gtc2FuZGJveA"})]
}

pub fn deploy_targets() -> Vec<Value> {
    vec![
        json!({"id": DEPLOY_TARGET, "name": "sandbox-dedicated", "type": "dedicated",
                "description": "Dedicated hypervisors"}),
    ]
}

/// The load balancer as `GET /load-balancer/{id}` answers it, its service forwarding port
/// 80 to `pool` (none: the service has no pool, as when it was just detached).
pub fn load_balancer(pool: Option<&str>) -> Value {
    let mut service = json!({
        "id": LOAD_BALANCER_SERVICE, "name": LOAD_BALANCER_SERVICE_NAME, "protocol": "tcp",
        "port": 80, "target-port": 8080, "strategy": "round-robin", "state": "running",
        "healthcheck": {"mode": "tcp", "port": 8080, "interval": 10, "timeout": 5, "retries": 1},
    });
    if let Some(pool) = pool {
        service["instance-pool"] = json!({ "id": pool });
    }
    json!({
        "id": LOAD_BALANCER, "name": LOAD_BALANCER_NAME, "state": "running",
        "ip": "192.0.2.80", "created-at": "2025-01-01T00:00:00Z", "labels": {},
        "services": [service],
    })
}

/// Looks an id up in one catalogue list.
pub fn find(list: Vec<Value>, key: &str, id: &str) -> Option<Value> {
    list.into_iter().find(|item| item[key] == id)
}

/// What `pools-sandbox --fixtures` prints for Exoscale: the ids, with readable names.
pub fn summary() -> Value {
    let by_name: serde_json::Map<String, Value> = INSTANCE_TYPES
        .iter()
        .map(|(id, family, size, ..)| (format!("{family}.{size}"), json!(id)))
        .collect();
    json!({
        "zones": ZONES,
        "instance-types": by_name,
        "templates": {"ubuntu": TEMPLATE_UBUNTU, "debian": TEMPLATE_DEBIAN},
        "security-groups": {"default": SECURITY_GROUP_DEFAULT},
        "private-networks": {"sandbox-network": PRIVATE_NETWORK},
        "anti-affinity-groups": {"sandbox-spread": ANTI_AFFINITY_GROUP},
        "elastic-ips": {"192.0.2.10": ELASTIC_IP},
        "ssh-keys": [SSH_KEY],
        "deploy-targets": {"sandbox-dedicated": DEPLOY_TARGET},
        "managed-instance-pool": {"id": MANAGED_POOL, "zone": MANAGED_POOL_ZONE,
                                  "manager": {"id": MANAGER_NODEPOOL, "type": "sks-nodepool"}},
        "load-balancer": {"id": LOAD_BALANCER, "name": LOAD_BALANCER_NAME,
                          "zone": LOAD_BALANCER_ZONE,
                          "service": {"id": LOAD_BALANCER_SERVICE,
                                      "name": LOAD_BALANCER_SERVICE_NAME}},
    })
}
