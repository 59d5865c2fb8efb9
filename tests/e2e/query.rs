//! `terraform query` (Terraform 1.14+): `list` blocks find pools that exist outside the
//! configuration, and `-generate-config-out` writes the resource and `import` blocks that
//! adopt them with a plan of imports only, and then no changes.

use std::time::Duration;

use pools_sandbox::ona::fixtures::{CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID};
use pools_sandbox::Sandbox;
use terraform_provider_pools::exoscale::api::wire::CreateInstancePool;
use terraform_provider_pools::exoscale::terraform::wait;
use terraform_provider_pools::plugin::Stop;
use terraform_provider_pools::wait::Wait;

use crate::harness::{newest_terraform, quick_sandbox, Workspace, PROVIDER_SOURCE};
use crate::out_of_band;

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";

/// Pools made the way someone outside this configuration would: with the provider's own
/// API clients, straight against the sandbox.
fn create_pools(sandbox: &Sandbox, rt: &tokio::runtime::Runtime) {
    let exoscale = out_of_band::exoscale(sandbox);
    let ona = out_of_band::ona(sandbox);
    rt.block_on(async {
        for (name, labels) in [
            ("web-a", serde_json::json!({"team": "web"})),
            ("web-b", serde_json::json!({"team": "web", "tier": "front"})),
            ("db", serde_json::json!({"team": "data"})),
        ] {
            let body: CreateInstancePool = serde_json::from_value(serde_json::json!({
                "name": name, "size": 1, "disk-size": 20, "labels": labels,
                "instance-type": {"id": "11111111-0000-4000-8000-000000000002"},
                "template": {"id": UBUNTU},
            }))
            .unwrap_or_else(|e| panic!("{e}"));
            let op = exoscale
                .create_instance_pool("ch-gva-2", &body)
                .await
                .unwrap_or_else(|e| panic!("create {name}: {e}"));
            let wait = Wait::new("test", Duration::from_secs(10), &Stop::new());
            wait::operation(&exoscale, "ch-gva-2", op, "create", &wait)
                .await
                .unwrap_or_else(|e| panic!("create {name}: {e}"));
        }
        for class in [CLASS_SMALL_ID, CLASS_LARGE_ID] {
            ona.create_warm_pool(PROJECT_ID, class, 1, 2)
                .await
                .unwrap_or_else(|e| panic!("create warm pool: {e}"));
        }
    });
}

#[test]
fn terraform_query_finds_pools_and_generates_config_that_imports_them() {
    let tf = newest_terraform();
    let (sandbox, rt) = quick_sandbox();
    create_pools(&sandbox, &rt);
    let ws = Workspace::new(&tf).against(&sandbox);
    ws.write(
        "main.tf",
        &format!("terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\nprovider \"pools\" {{}}\n"),
    );
    ws.write(
        "pools.tfquery.hcl",
        &format!(
            r#"list "pools_instance_pool" "web" {{
  provider         = pools
  include_resource = true
  config {{
    zone   = "ch-gva-2"
    labels = {{ team = "web" }}
  }}
}}

list "pools_warm_pool" "dev" {{
  provider         = pools
  include_resource = true
  limit            = 1
  config {{
    project_ids = ["{PROJECT_ID}"]
  }}
}}
"#
        ),
    );
    let schema = ws.terraform(&["providers", "schema", "-json"]);
    schema.assert_success();
    let schema: serde_json::Value =
        serde_json::from_str(&schema.stdout).unwrap_or_else(|e| panic!("{e}"));
    let lists = &schema["provider_schemas"][PROVIDER_SOURCE]["list_resource_schemas"];
    for name in ["pools_instance_pool", "pools_warm_pool"] {
        assert!(lists[name].is_object(), "{name} is listed: {lists}");
    }

    let query = ws.terraform(&["query", "-no-color"]);
    query
        .assert_success()
        .assert_output_contains("web-a (")
        .assert_output_contains("web-b (");
    assert!(
        !query.stdout.contains("db ("),
        "the label filter keeps `db` out:\n{query}"
    );

    ws.terraform(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .assert_success();
    let generated = std::fs::read_to_string(ws.path().join("generated.tf"))
        .unwrap_or_else(|e| panic!("no generated config: {e}"));
    assert_eq!(
        generated.matches("import {").count(),
        3,
        "two instance pools and one warm pool (limit 1):\n{generated}"
    );
    assert_eq!(
        generated
            .matches("resource \"pools_instance_pool\"")
            .count(),
        2,
        "{generated}"
    );
    assert_eq!(
        generated.matches("resource \"pools_warm_pool\"").count(),
        1,
        "{generated}"
    );

    // The generated configuration adopts them: imports only, then nothing to do.
    let plan = ws.terraform(&["plan", "-no-color", "-input=false"]);
    plan.assert_success()
        .assert_output_contains("3 to import, 0 to add, 0 to change, 0 to destroy");
    ws.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"])
        .assert_success()
        .assert_output_contains("3 imported, 0 added, 0 changed, 0 destroyed");
    let replan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(
        replan.code,
        Some(0),
        "the adopted pools plan clean:\n{replan}"
    );
}
