//! Default labels, managed pools kept out of `terraform query`, a destroy a load balancer
//! refuses, and a state from a newer API (issue 23), with the real Terraform CLI against
//! the sandbox: one sandbox and one working directory, one step after another.

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::{FaultRule, Sandbox};
use serde_json::{json, Value};

use crate::harness::{newest_terraform, quick_sandbox, Run, Workspace, PROVIDER_SOURCE};
use crate::out_of_band;

const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-input=false", "-no-color"];

/// `main.tf`: the provider with `default_labels` (HCL of the map) and the pools `body`.
fn main_tf(defaults: &str, body: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

provider "pools" {{
  exoscale {{
    default_labels = {defaults}
  }}
}}

resource "pools_instance_pool" "web" {{
  name          = "web"
  size          = 1
  instance_type = "standard.small"
  template_id   = "{ubuntu}"
  disk_size     = 10
  labels        = {{ env = "prod", app = "web" }}
}}

resource "pools_instance_pool" "own" {{
  name          = "own"
  size          = 1
  instance_type = "standard.small"
  template_id   = "{ubuntu}"
  disk_size     = 10
  labels        = {{ team = "own" }}
}}
{body}"#,
        ubuntu = fx::TEMPLATE_UBUNTU
    )
}

/// The labels the sandbox holds, by pool name (pools of ch-gva-2 this test made).
fn held_labels(sandbox: &Sandbox, name: &str) -> Value {
    let saved = sandbox.shared.exoscale.save();
    let pools = saved["pools"].as_object().cloned().unwrap_or_default();
    pools
        .values()
        .find(|p| p["spec"]["name"] == name)
        .map(|p| p["spec"]["labels"].clone())
        .unwrap_or_else(|| panic!("no pool named {name}: {saved}"))
}

/// The routes of the requests that change something, since the log was last cleared.
fn mutations(sandbox: &Sandbox) -> Vec<&'static str> {
    sandbox
        .requests()
        .all()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.route)
        .collect()
}

/// Whether `run`'s output holds `needle`, however Terraform wrapped the lines.
fn says(run: &Run, needle: &str) -> bool {
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat(&run.output()).contains(&flat(needle))
}

fn assert_plan_clean(ws: &Workspace, args: &[&str]) {
    let plan = ws.terraform(&[PLAN, args].concat());
    assert_eq!(plan.code, Some(0), "expected no changes:\n{plan}");
}

/// A pool made outside Terraform (as someone else would), carrying `labels`.
fn made_outside(sandbox: &Sandbox, rt: &tokio::runtime::Runtime, labels: Value) {
    let body = json!({
        "name": "api", "size": 1, "disk-size": 10, "labels": labels,
        "instance-type": {"id": fx::INSTANCE_TYPE_SMALL},
        "template": {"id": fx::TEMPLATE_UBUNTU},
    });
    out_of_band::create_pool(sandbox, rt, "ch-gva-2", body);
}

fn query(ws: &Workspace, include_managed: bool) -> Run {
    ws.write(
        "pools.tfquery.hcl",
        &format!(
            r#"list "pools_instance_pool" "all" {{
  provider = pools
  config {{
    zone            = "ch-gva-2"
    include_managed = {include_managed}
  }}
}}
"#
        ),
    );
    let run = ws.terraform(&["query", "-no-color"]);
    std::fs::remove_file(ws.path().join("pools.tfquery.hcl")).unwrap_or_else(|e| panic!("{e}"));
    run.assert_success();
    run
}

#[test]
fn default_labels_managed_pools_and_load_balancer_locks_with_terraform() {
    let tf = newest_terraform();
    let (sandbox, rt) = quick_sandbox();
    let baseline = sandbox.shared.exoscale.pool_count();
    let ws = Workspace::new(&tf).against(&sandbox);

    // 1. Default labels merged under each pool's own, which win a clash; no drift after.
    let defaults = r#"{ team = var.team, env = "test" }"#;
    let team = "variable \"team\" {\n  default = \"platform\"\n}\n";
    ws.write("main.tf", &main_tf(defaults, team));
    ws.terraform(APPLY).assert_success();
    assert_eq!(
        held_labels(&sandbox, "web"),
        json!({"team": "platform", "env": "prod", "app": "web"})
    );
    assert_eq!(
        held_labels(&sandbox, "own"),
        json!({"team": "own", "env": "test"})
    );
    assert_plan_clean(&ws, &[]);

    // 2. Changed defaults: an update of the pool whose labels change, and of no other.
    let infra = ["-var", "team=infra"];
    let plan = ws.terraform(&[PLAN, &infra[..]].concat());
    assert_eq!(plan.code, Some(2), "{plan}");
    plan.assert_output_contains("pools_instance_pool.web will be updated in-place")
        .assert_output_contains("labels_all")
        .assert_output_contains("1 to change");
    assert!(
        !plan.output().contains("pools_instance_pool.own will"),
        "{plan}"
    );
    sandbox.requests().clear();
    ws.terraform(&[APPLY, &infra[..]].concat()).assert_success();
    assert_eq!(mutations(&sandbox), ["update-instance-pool"]);
    assert_eq!(held_labels(&sandbox, "web")["team"], "infra");
    assert_plan_clean(&ws, &infra);

    // 3. A default known only after apply: `labels_all` plans unknown, then lands.
    let build = "resource \"terraform_data\" \"build\" {\n  input = \"42\"\n}\n";
    let later = r#"{ team = "infra", env = "test", build = terraform_data.build.output }"#;
    ws.write("main.tf", &main_tf(later, build));
    let plan = ws.terraform(PLAN);
    assert_eq!(plan.code, Some(2), "{plan}");
    plan.assert_output_contains("labels_all")
        .assert_output_contains("(known after apply)")
        .assert_output_contains("1 to add, 2 to change");
    ws.terraform(APPLY).assert_success();
    assert_eq!(
        held_labels(&sandbox, "own"),
        json!({"team": "own", "env": "test", "build": "42"})
    );
    assert_plan_clean(&ws, &[]);

    // 4. terraform query: the SKS-managed pool only when asked for.
    let without = query(&ws, false);
    without.assert_output_contains("web (");
    assert!(!without.output().contains("nodepool-sandbox"), "{without}");
    query(&ws, true).assert_output_contains("nodepool-sandbox (");
    // Importing it (as that query would generate) warns that changes will be refused.
    let managed = format!(
        r#"{build}
import {{
  to = pools_instance_pool.nodepool
  id = "{id}@{zone}"
}}

resource "pools_instance_pool" "nodepool" {{
  name               = "nodepool-sandbox"
  zone               = "{zone}"
  size               = 3
  instance_type      = "standard.medium"
  template_id        = "{ubuntu}"
  disk_size          = 50
  description        = "Managed by SKS"
  security_group_ids = ["{group}"]
}}
"#,
        id = fx::MANAGED_POOL,
        zone = fx::MANAGED_POOL_ZONE,
        ubuntu = fx::TEMPLATE_UBUNTU,
        group = fx::SECURITY_GROUP_DEFAULT,
    );
    ws.write("main.tf", &main_tf(later, &managed));
    let plan = ws.terraform(&["plan", "-input=false", "-no-color"]);
    plan.assert_success()
        .assert_output_contains("1 to import, 0 to add, 0 to change, 0 to destroy");
    assert!(
        says(&plan, "Imported an instance pool another service manages")
            && says(
                &plan,
                &format!("managed by sks-nodepool {}", fx::MANAGER_NODEPOOL)
            )
            && says(&plan, "Terraform will refuse to change or destroy it here"),
        "{plan}"
    );

    // 5. An import shows in `labels` only the labels that are not defaults.
    made_outside(
        &sandbox,
        &rt,
        json!({"team": "infra", "env": "test", "build": "42", "app": "api"}),
    );
    let api = format!(
        r#"{build}
import {{
  to = pools_instance_pool.api
  id = "{id}@ch-gva-2"
}}

resource "pools_instance_pool" "api" {{
  name          = "api"
  size          = 1
  instance_type = "standard.small"
  template_id   = "{ubuntu}"
  disk_size     = 10
  labels        = {{ app = "api" }}
}}
"#,
        id = pool_id(&sandbox, "api"),
        ubuntu = fx::TEMPLATE_UBUNTU
    );
    ws.write("main.tf", &main_tf(later, &api));
    let plan = ws.terraform(&["plan", "-input=false", "-no-color"]);
    plan.assert_success()
        .assert_output_contains("1 to import, 0 to add, 0 to change, 0 to destroy");
    ws.terraform(APPLY).assert_success();

    // 6. A destroy a load balancer refuses names it and says what to do; detached, it goes.
    sandbox.faults().add(
        FaultRule::parse("delete-instance-pool=locked-by-nlb*1").unwrap_or_else(|e| panic!("{e}")),
    );
    let target = ["-target", "pools_instance_pool.own"];
    let refused = ws.terraform(&[&["destroy", "-auto-approve", "-no-color"][..], &target].concat());
    refused.assert_failure();
    for needed in [
        "Instance pool is in use by a load balancer",
        &format!(
            "Network Load Balancer \"{}\" ({})",
            fx::LOAD_BALANCER_NAME,
            fx::LOAD_BALANCER
        ),
        "Detach the pool from the load balancer's service first",
        "destroy the service first",
        "`depends_on`",
    ] {
        assert!(says(&refused, needed), "{needed:?} missing:\n{refused}");
    }
    let show = ws.terraform(&["state", "list"]);
    show.assert_success()
        .assert_output_contains("pools_instance_pool.own");

    // 7. A state from a newer API while a change settles: waited on, logged at WARN once.
    let relabelled = main_tf(later, &api).replace("team = \"own\"", "team = \"own2\"");
    ws.write("main.tf", &relabelled);
    sandbox.faults().add(
        FaultRule::parse("get-instance-pool=garbage:unknown-enum*2")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    // Without a refresh, whose reads would take the two answers first.
    let apply = [APPLY, &["-refresh=false"][..]].concat();
    let warned = ws.terraform_with_env(&apply, &[("TF_LOG_PROVIDER", "WARN")]);
    warned.assert_success();
    assert_eq!(
        warned
            .output()
            .matches("a state this provider does not know")
            .count(),
        1,
        "{warned}"
    );

    ws.terraform(&["destroy", "-auto-approve", "-no-color"])
        .assert_success();
    assert_eq!(sandbox.shared.exoscale.pool_count(), baseline);
}

fn pool_id(sandbox: &Sandbox, name: &str) -> String {
    let saved = sandbox.shared.exoscale.save();
    let pools = saved["pools"].as_object().cloned().unwrap_or_default();
    pools
        .iter()
        .find(|(_, p)| p["spec"]["name"] == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no pool named {name}"))
}
