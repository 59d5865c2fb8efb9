//! Migrating in place from the official providers with `moved {}` (Terraform 1.8+): a state
//! written in their layout moves to this provider's resource types, nothing is created or
//! destroyed, and the next plan is clean where the configurations agree.

use std::time::Duration;

use pools_sandbox::ona::fixtures::{CLASS_SMALL_ID, PROJECT_ID};
use serde_json::json;
use terraform_provider_pools::exoscale::api::wire::CreateInstancePool;
use terraform_provider_pools::exoscale::terraform::wait;
use terraform_provider_pools::plugin::Stop;
use terraform_provider_pools::wait::Wait;

use crate::harness::{
    newest_terraform, provider_bin, quick_sandbox, TempDir, Workspace, PROVIDER_SOURCE,
};
use crate::out_of_band;

/// The stand-in for the official providers (`tests/e2e/stand_in_provider.rs`, an example
/// target that `cargo test` builds beside this test), under the names Terraform looks for.
fn stand_ins() -> TempDir {
    let test = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap_or_else(|| panic!("no target directory above {}", test.display()));
    let built = profile.join("examples/stand-in-provider");
    assert!(
        built.is_file(),
        "the stand-in provider is missing at {}: `cargo test` builds it",
        built.display()
    );
    let dir = TempDir::new("stand-ins");
    for name in ["terraform-provider-exoscale", "terraform-provider-ona"] {
        std::fs::copy(&built, dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    dir
}

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";
const DEFAULT_SG: &str = "33333333-0000-4000-8000-000000000001";

/// A state file with one resource of another provider, as that provider wrote it.
fn state_file(provider: &str, kind: &str, name: &str, attributes: serde_json::Value) -> String {
    json!({
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "2b7c6f0e-0d4b-4b8f-9a53-3a1c1c0e6a10",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": kind,
            "name": name,
            "provider": format!("provider[\"{provider}\"]"),
            "instances": [{
                "schema_version": 0,
                "attributes": attributes,
                "sensitive_attributes": [],
            }],
        }],
        "check_results": null,
    })
    .to_string()
}

#[test]
fn moved_blocks_adopt_state_from_the_official_providers() {
    let tf = newest_terraform();
    let (sandbox, rt) = quick_sandbox();
    let exoscale = out_of_band::exoscale(&sandbox);
    let ona = out_of_band::ona(&sandbox);
    // The objects the official providers created.
    let (pool_id, members, warm) = rt.block_on(async {
        let body: CreateInstancePool = serde_json::from_value(json!({
            "name": "web", "size": 2, "disk-size": 20, "labels": {"team": "web"},
            "instance-type": {"id": "11111111-0000-4000-8000-000000000002"},
            "template": {"id": UBUNTU}, "security-groups": [{"id": DEFAULT_SG}],
            "ssh-key": {"name": "sandbox"}, "ipv6-enabled": false,
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let op = exoscale
            .create_instance_pool("ch-gva-2", &body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let wait = Wait::new("test", Duration::from_secs(10), &Stop::new());
        let op = wait::operation(&exoscale, "ch-gva-2", op, "create", &wait)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let id = op
            .reference_id()
            .unwrap_or_else(|| panic!("no pool id"))
            .to_string();
        let pool = exoscale
            .get_instance_pool("ch-gva-2", &id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no pool"));
        let members: Vec<String> = pool
            .instances
            .iter()
            .flatten()
            .map(|i| i.id.clone())
            .collect();
        let warm = ona
            .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 0, 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (id, members, warm)
    });
    let pools_before = sandbox.shared.exoscale.pool_count();

    let stand_ins = stand_ins();
    let ours = provider_bin();
    let ours = ours.parent().unwrap_or_else(|| panic!("provider path"));
    let cli_config = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = {:?}\n    \"registry.terraform.io/exoscale/exoscale\" = {:?}\n    \"registry.terraform.io/gitpod-io/ona\" = {:?}\n  }}\n  direct {{}}\n}}\n",
        ours.display().to_string(),
        stand_ins.path().display().to_string(),
        stand_ins.path().display().to_string(),
    );
    let ws = Workspace::with_cli_config(&tf, &cli_config).against(&sandbox);
    // Their layout (exoscale v0.70, SDKv2: unset strings are ""; the deprecated attributes
    // are there too).
    let exoscale_state = json!({
        "id": pool_id, "zone": "ch-gva-2", "name": "web", "description": "", "size": 2,
        "instance_type": "standard.small", "service_offering": "", "template_id": UBUNTU,
        "disk_size": 20, "instance_prefix": "pool", "labels": {"team": "web"},
        "security_group_ids": [DEFAULT_SG], "network_ids": [], "affinity_group_ids": [],
        "anti_affinity_group_ids": [], "elastic_ip_ids": [], "key_pair": "sandbox",
        "ipv6": false, "user_data": "", "deploy_target_id": "", "state": "running",
        "virtual_machines": members,
        "instances": members.iter().map(|m| json!({"id": m, "name": "", "ipv6_address": "", "public_ip_address": ""})).collect::<Vec<_>>(),
        "timeouts": null,
    });
    let state: serde_json::Value = serde_json::from_str(&state_file(
        "registry.terraform.io/exoscale/exoscale",
        "exoscale_instance_pool",
        "web",
        exoscale_state,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut state = state;
    // The official Ona provider's warm pool, beside it in the same state.
    let warm_resource = json!({
        "mode": "managed", "type": "ona_warm_pool", "name": "dev",
        "provider": "provider[\"registry.terraform.io/gitpod-io/ona\"]",
        "instances": [{"schema_version": 0, "attributes": {
            "id": warm.id, "project_id": PROJECT_ID, "environment_class_id": CLASS_SMALL_ID,
            "min_size": 0, "max_size": 2, "created_at": "2026-01-01T00:00:00Z",
        }, "sensitive_attributes": []}],
    });
    if let Some(resources) = state["resources"].as_array_mut() {
        resources.push(warm_resource);
    }
    ws.write("terraform.tfstate", &state.to_string());
    ws.write(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

moved {{
  from = exoscale_instance_pool.web
  to   = pools_instance_pool.web
}}

moved {{
  from = ona_warm_pool.dev
  to   = pools_warm_pool.dev
}}

resource "pools_instance_pool" "web" {{
  zone               = "ch-gva-2"
  name               = "web"
  size               = 2
  instance_type      = "standard.small"
  template_id        = "{UBUNTU}"
  disk_size          = 20
  labels             = {{ team = "web" }}
  security_group_ids = ["{DEFAULT_SG}"]
  ssh_keys           = ["sandbox"]
}}

resource "pools_warm_pool" "dev" {{
  project_id           = "{PROJECT_ID}"
  environment_class_id = "{CLASS_SMALL_ID}"
  min_size             = 0
  max_size             = 2
}}
"#
        ),
    );
    let plan = ws.terraform(&["plan", "-no-color", "-input=false"]);
    plan.assert_success()
        .assert_output_contains("exoscale_instance_pool.web has moved to pools_instance_pool.web")
        .assert_output_contains("ona_warm_pool.dev has moved to pools_warm_pool.dev")
        .assert_output_contains("0 to add, 0 to change, 0 to destroy");
    ws.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"])
        .assert_success();
    let replan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(
        replan.code,
        Some(0),
        "nothing to do after the move:\n{replan}"
    );
    assert_eq!(
        sandbox.shared.exoscale.pool_count(),
        pools_before,
        "nothing created or destroyed"
    );
    let show = ws.terraform(&["state", "show", "-no-color", "pools_instance_pool.web"]);
    show.assert_success().assert_output_contains(&pool_id);
}
