//! `pools_instance_pool` end to end (issue 4 item 5): the real Terraform CLIs and the
//! provider binary against an in-process sandbox, each test with its own sandbox and
//! working directory. The request log proves which API calls each step made.

use std::time::Duration;

use pools_sandbox::{Config, FaultRule, Sandbox};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::harness::{for_each_terraform, terraforms, Run, Terraform, Workspace, PROVIDER_SOURCE};
use crate::out_of_band;

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";
const DEFAULT_SG: &str = "33333333-0000-4000-8000-000000000001";
const ADDRESS: &str = "pools_instance_pool.web";
/// How `providers schema -json` names the provider.
const PROVIDER_SOURCE_FULL: &str = "terraform.local/pools/pools";

const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-input=false", "-no-color"];
const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-input=false", "-no-color"];

/// One test's world: a sandbox (fast operations) and a workspace whose provider talks to it
/// through the environment. Fields drop in order: the sandbox stops before its runtime.
struct Bed {
    sandbox: Sandbox,
    ws: Workspace,
    /// Pools the sandbox holds before the test (its SKS-managed fixture).
    baseline: usize,
    rt: Runtime,
}

impl Bed {
    fn new(tf: &Terraform) -> Bed {
        let rt = Runtime::new().unwrap_or_else(|e| panic!("tokio runtime: {e}"));
        let config = Config {
            operation_duration: Duration::from_millis(200),
            warm_pool_settle: Duration::from_millis(200),
            ..Config::default()
        };
        let listen = "127.0.0.1:0".parse().expect("a literal socket address");
        let sandbox = rt
            .block_on(Sandbox::start(config, listen))
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        let ws = Workspace::new(tf).against(&sandbox);
        let baseline = sandbox.shared.exoscale.pool_count();
        Bed {
            sandbox,
            ws,
            baseline,
            rt,
        }
    }

    /// Writes `main.tf` (the provider requirement plus `body`).
    fn config(&self, body: &str) {
        let header = format!(
            "terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\n"
        );
        self.ws.write("main.tf", &(header + body));
    }

    /// Runs terraform with a clean request log, so `mutations` shows this step only.
    fn step(&self, args: &[&str]) -> Run {
        self.sandbox.requests().clear();
        self.ws.terraform(args)
    }

    /// Applies, then checks Terraform's own rule that a second plan is empty. The plan only
    /// reads, so `mutations` still shows what the apply did.
    fn apply(&self) -> Run {
        let run = self.step(APPLY);
        run.assert_success();
        let before = self.mutations();
        let replan = self.ws.terraform(PLAN);
        assert_eq!(
            replan.code,
            Some(0),
            "the plan after apply must be empty:\n{replan}"
        );
        assert_eq!(self.mutations(), before, "a plan changes nothing");
        run
    }

    /// `plan -detailed-exitcode` must exit 0: nothing to do.
    fn assert_plan_clean(&self) {
        let run = self.step(PLAN);
        assert_eq!(run.code, Some(0), "expected a plan without changes:\n{run}");
        assert_eq!(
            self.mutations(),
            Vec::<&str>::new(),
            "a plan changes nothing"
        );
    }

    /// `plan -detailed-exitcode` must exit 2: changes pending.
    fn plan_with_changes(&self) -> Run {
        let run = self.step(PLAN);
        assert_eq!(run.code, Some(2), "expected a plan with changes:\n{run}");
        assert_eq!(
            self.mutations(),
            Vec::<&str>::new(),
            "a plan changes nothing"
        );
        run
    }

    /// The routes of every non-GET request since the last step, in order.
    fn mutations(&self) -> Vec<&'static str> {
        self.sandbox
            .requests()
            .all()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| r.route)
            .collect()
    }

    fn outputs(&self) -> Value {
        let run = self.ws.terraform(&["output", "-json", "-no-color"]);
        run.assert_success();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{run}"))
    }

    fn output(&self, name: &str) -> Value {
        let outputs = self.outputs();
        let value = outputs[name]["value"].clone();
        assert!(!value.is_null(), "no output {name} in {outputs}");
        value
    }

    fn output_str(&self, name: &str) -> String {
        let value = self.output(name);
        value
            .as_str()
            .unwrap_or_else(|| panic!("output {name} is not a string: {value}"))
            .to_string()
    }

    /// Deletes a pool behind Terraform's back and waits until it is gone.
    fn delete_out_of_band(&self, zone: &str, id: &str) {
        out_of_band::delete_pool(&self.sandbox, &self.rt, zone, id);
    }

    /// Scales a pool behind Terraform's back and waits for the operation.
    fn scale_out_of_band(&self, zone: &str, id: &str, size: i64) {
        out_of_band::scale_pool(&self.sandbox, &self.rt, zone, id, size);
    }

    fn pool_size(&self, zone: &str, id: &str) -> Option<i64> {
        let client = out_of_band::exoscale(&self.sandbox);
        self.rt
            .block_on(client.get_instance_pool(zone, id))
            .unwrap_or_else(|e| panic!("get pool: {e}"))
            .and_then(|p| p.size)
    }

    fn assert_sandbox_empty(&self) {
        assert_eq!(
            self.sandbox.shared.exoscale.pool_count(),
            self.baseline,
            "only the sandbox's fixture pool may remain"
        );
    }

    fn state_list(&self) -> Vec<String> {
        let run = self.ws.terraform(&["state", "list"]);
        run.assert_success();
        run.stdout.lines().map(str::to_string).collect()
    }
}

fn terraform(version: &str) -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == version)
        .unwrap_or_else(|| panic!("Terraform {version} is not among the tested versions"))
}

/// The pool under test; `extra` adds attribute lines.
fn pool(zone: &str, size: u32, extra: &str) -> String {
    format!(
        r#"resource "pools_instance_pool" "web" {{
  name               = "web"
  zone               = "{zone}"
  size               = {size}
  instance_type      = "standard.small"
  template_id        = "{UBUNTU}"
  disk_size          = 20
  security_group_ids = ["{DEFAULT_SG}"]
{extra}}}

output "id" {{
  value = pools_instance_pool.web.id
}}

output "size" {{
  value = pools_instance_pool.web.size
}}
"#
    )
}

const LABELS: &str =
    "  description = \"front end\"\n  labels      = { team = \"web\", tier = \"front\" }\n";

#[test]
fn full_lifecycle_with_terraform_1_15() {
    let bed = Bed::new(&terraform("1.15.5"));

    // Create, then nothing to do.
    bed.config(&pool("ch-gva-2", 1, ""));
    bed.apply();
    assert_eq!(bed.mutations(), ["create-instance-pool"]);
    let id = bed.output_str("id");
    assert_eq!(bed.pool_size("ch-gva-2", &id), Some(1));

    // Drift: a size changed outside Terraform shows in the next plan, which scales it back.
    bed.scale_out_of_band("ch-gva-2", &id, 2);
    let plan = bed.plan_with_changes();
    plan.assert_output_contains("1 to change");
    assert!(
        plan.stdout
            .lines()
            .any(|l| l.contains("~ size ") && l.ends_with("= 2 -> 1")),
        "the drift shows:\n{plan}"
    );
    bed.apply();
    assert_eq!(bed.mutations(), ["scale-instance-pool"]);
    assert_eq!(bed.pool_size("ch-gva-2", &id), Some(1));

    // A size-only change is one scale call.
    bed.config(&pool("ch-gva-2", 3, ""));
    bed.plan_with_changes()
        .assert_output_contains("1 to change");
    bed.apply();
    assert_eq!(bed.mutations(), ["scale-instance-pool"]);
    assert_eq!(bed.pool_size("ch-gva-2", &id), Some(3));

    // Description and labels: one update.
    bed.config(&pool("ch-gva-2", 3, LABELS));
    bed.apply();
    assert_eq!(bed.mutations(), ["update-instance-pool"]);

    // Removing the labels resets them (the description stays).
    bed.config(&pool("ch-gva-2", 3, "  description = \"front end\"\n"));
    bed.apply();
    assert_eq!(bed.mutations(), ["reset-instance-pool-field"]);
    let reset = bed.sandbox.requests().all();
    assert!(
        reset
            .iter()
            .any(|r| r.method == "DELETE"
                && r.path.ends_with(&format!("/instance-pool/{id}/labels"))),
        "the reset names the labels field: {reset:?}"
    );
    bed.assert_plan_clean();

    // A new zone replaces the pool: delete the old one, create in de-fra-1.
    bed.config(&pool("de-fra-1", 3, "  description = \"front end\"\n"));
    bed.plan_with_changes()
        .assert_output_contains("forces replacement")
        .assert_output_contains("1 to add, 0 to change, 1 to destroy");
    bed.apply();
    assert_eq!(
        bed.mutations(),
        ["delete-instance-pool", "create-instance-pool"]
    );
    let created = bed.sandbox.requests().all();
    assert!(
        created
            .iter()
            .any(|r| r.route == "create-instance-pool" && r.path.starts_with("/de-fra-1/")),
        "the new pool is created in de-fra-1: {created:?}"
    );
    let new_id = bed.output_str("id");
    assert_ne!(new_id, id, "a replacement is a new pool");
    assert_eq!(bed.pool_size("ch-gva-2", &id), None, "the old pool is gone");
    assert_eq!(bed.pool_size("de-fra-1", &new_id), Some(3));
    bed.assert_plan_clean();

    // Import into an empty state, then the configuration matches it.
    bed.ws
        .terraform(&["state", "rm", "-no-color", ADDRESS])
        .assert_success();
    assert_eq!(bed.state_list(), Vec::<String>::new());
    let import_id = format!("{new_id}@de-fra-1");
    let run = bed.step(&["import", "-input=false", "-no-color", ADDRESS, &import_id]);
    run.assert_success()
        .assert_output_contains("Import successful");
    assert_eq!(bed.mutations(), Vec::<&str>::new(), "import only reads");
    assert_eq!(bed.state_list(), [ADDRESS]);
    bed.assert_plan_clean();

    // Deleted behind Terraform's back: the plan re-creates it.
    bed.delete_out_of_band("de-fra-1", &new_id);
    bed.plan_with_changes()
        .assert_output_contains("has been deleted")
        .assert_output_contains("will be created")
        .assert_output_contains("1 to add, 0 to change, 0 to destroy");
    bed.apply();
    assert_eq!(bed.mutations(), ["create-instance-pool"]);
    bed.assert_plan_clean();

    // Destroy leaves the sandbox as it was.
    bed.step(DESTROY).assert_success();
    assert_eq!(bed.mutations(), ["delete-instance-pool"]);
    bed.assert_sandbox_empty();
    assert_eq!(bed.state_list(), Vec::<String>::new());
}

#[test]
fn smoke_lifecycle_with_terraform_1_0() {
    let bed = Bed::new(&terraform("1.0.3"));
    bed.config(&pool("ch-gva-2", 2, LABELS));
    bed.apply();
    assert_eq!(bed.mutations(), ["create-instance-pool"]);
    let id = bed.output_str("id");
    assert_eq!(bed.pool_size("ch-gva-2", &id), Some(2));
    bed.assert_plan_clean();
    bed.step(DESTROY).assert_success();
    assert_eq!(bed.mutations(), ["delete-instance-pool"]);
    bed.assert_sandbox_empty();
}

/// Every value here breaks one rule of the schema.
const INVALID: &str = r#"resource "pools_instance_pool" "bad" {
  name = "bad"
  zone = "mars-1"
  size = -1
  instance_type = "huge"
  template_id = "not-a-uuid"
  disk_size = 5
  instance_prefix = "a-prefix-far-longer-than-thirty-characters"
  public_ip_assignment = "ipv5"
  security_group_ids = ["not-a-group"]
}
"#;

/// Each error of INVALID: its summary, the source line Terraform quotes under it (it quotes
/// a line only when the diagnostic carries that attribute's path) and the rule it names.
const INVALID_ERRORS: [(&str, &str, &str); 8] = [
    ("zone", "zone = \"mars-1\"", "\"ch-gva-2\", \"ch-dk-2\""),
    ("size", "size = -1", "at least 0"),
    ("instance_type", "instance_type = \"huge\"", "`family.size`"),
    (
        "template_id",
        "template_id = \"not-a-uuid\"",
        "must be a UUID",
    ),
    ("disk_size", "disk_size = 5", "from 10 to 51200"),
    (
        "instance_prefix",
        "instance_prefix = \"a-prefix-far-longer-than-thirty-characters\"",
        "1 to 30 characters",
    ),
    (
        "public_ip_assignment",
        "public_ip_assignment = \"ipv5\"",
        "\"inet4\", \"dual\", \"none\"",
    ),
    (
        "security_group_ids",
        "security_group_ids = [\"not-a-group\"]",
        "\"not-a-group\"",
    ),
];

#[test]
fn invalid_inputs_fail_at_validate_and_plan_without_api_calls() {
    for_each_terraform(|tf| {
        let bed = Bed::new(tf);
        bed.config(INVALID);
        for command in [
            &["validate", "-no-color"][..],
            &["plan", "-input=false", "-no-color"][..],
        ] {
            let run = bed.step(command);
            run.assert_failure();
            let output = run.output();
            assert_eq!(
                output.matches("Error: ").count(),
                INVALID_ERRORS.len(),
                "one error per invalid attribute:\n{run}"
            );
            for (attribute, line, rule) in INVALID_ERRORS {
                // The error's own block: from its summary to the next error.
                let block = output
                    .split("Error: ")
                    .find(|b| b.contains(line))
                    .unwrap_or_else(|| panic!("no error quotes `{line}`:\n{run}"));
                assert!(
                    block.contains(attribute) && block.contains(rule),
                    "the error at `{line}` must name {attribute} and {rule:?}:\n{block}"
                );
            }
            assert_eq!(
                bed.sandbox.requests().all(),
                Vec::new(),
                "{command:?} must fail before any API call"
            );
        }
    });
}

#[test]
fn min_available_above_size_fails_at_validate() {
    let bed = Bed::new(&terraform("1.15.5"));
    bed.config(&pool("ch-gva-2", 1, "  min_available = 2\n"));
    let run = bed.step(&["validate", "-no-color"]);
    run.assert_failure()
        .assert_output_contains("min_available = 2")
        .assert_output_contains("at most size (1)");
    assert_eq!(bed.sandbox.requests().all(), Vec::new());
}

#[test]
fn import_block_generates_a_config_that_plans_clean() {
    let bed = Bed::new(&terraform("1.15.5"));
    bed.config(&pool("de-fra-1", 2, LABELS));
    bed.apply();
    let id = bed.output_str("id");
    bed.ws
        .terraform(&["state", "rm", "-no-color", ADDRESS])
        .assert_success();

    // Only an import block: Terraform writes the resource block from the imported state.
    bed.config(&format!(
        "import {{\n  to = {ADDRESS}\n  id = \"{id}@de-fra-1\"\n}}\n"
    ));
    let run = bed.step(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    run.assert_success()
        .assert_output_contains("1 to import, 0 to add, 0 to change, 0 to destroy");
    assert_eq!(bed.mutations(), Vec::<&str>::new());
    let generated = std::fs::read_to_string(bed.ws.path().join("generated.tf"))
        .unwrap_or_else(|e| panic!("generated.tf: {e}\n{run}"));
    for expected in [
        "resource \"pools_instance_pool\" \"web\"",
        "\"web\"",
        "\"de-fra-1\"",
        "\"front end\"",
        "\"standard.small\"",
        UBUNTU,
        DEFAULT_SG,
    ] {
        assert!(
            generated.contains(expected),
            "generated.tf lacks {expected}:\n{generated}"
        );
    }

    let run = bed.step(APPLY);
    run.assert_success()
        .assert_output_contains("1 imported, 0 added, 0 changed, 0 destroyed");
    assert_eq!(bed.mutations(), Vec::<&str>::new(), "an import only reads");
    assert_eq!(bed.state_list(), [ADDRESS]);
    bed.assert_plan_clean();

    bed.step(DESTROY).assert_success();
    assert_eq!(bed.mutations(), ["delete-instance-pool"]);
    bed.assert_sandbox_empty();
}

const DATA_SOURCES: &str = r#"
resource "pools_instance_pool" "batch" {
  name          = "batch"
  size          = 1
  instance_type = "standard.micro"
  template_id   = "22222222-0000-4000-8000-000000000002"
  disk_size     = 10
  labels        = { team = "batch" }
}

data "pools_instance_pool" "by_name" {
  name = pools_instance_pool.web.name
}

data "pools_instance_pools" "web_team" {
  labels     = { team = "web" }
  depends_on = [pools_instance_pool.web, pools_instance_pool.batch]
}

data "pools_instance_pools" "all" {
  depends_on = [pools_instance_pool.web, pools_instance_pool.batch]
}

output "by_name" {
  value = data.pools_instance_pool.by_name
}

output "web_team_ids" {
  value = data.pools_instance_pools.web_team.ids
}

output "all_ids" {
  value = data.pools_instance_pools.all.ids
}

output "batch_id" {
  value = pools_instance_pool.batch.id
}
"#;

#[test]
fn data_sources_find_pools_by_name_and_labels() {
    let bed = Bed::new(&terraform("1.15.5"));
    bed.config(&(pool("ch-gva-2", 2, LABELS) + DATA_SOURCES));
    bed.apply();
    assert_eq!(
        bed.mutations(),
        ["create-instance-pool", "create-instance-pool"]
    );
    let web = bed.output_str("id");
    let batch = bed.output_str("batch_id");

    let found = bed.output("by_name");
    assert_eq!(found["id"], web.as_str(), "{found}");
    assert_eq!(found["zone"], "ch-gva-2", "{found}");
    assert_eq!(found["size"], 2, "{found}");
    assert_eq!(found["instance_type"], "standard.small", "{found}");
    assert_eq!(found["description"], "front end", "{found}");
    assert_eq!(found["labels"]["tier"], "front", "{found}");
    assert_eq!(found["security_group_ids"], serde_json::json!([DEFAULT_SG]));

    assert_eq!(bed.output("web_team_ids"), serde_json::json!([web]));
    let all = bed.output("all_ids");
    let all: Vec<&str> = all
        .as_array()
        .unwrap_or_else(|| panic!("all_ids is not a list: {all}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(all.len(), 3, "both pools and the SKS fixture: {all:?}");
    assert!(
        all.contains(&web.as_str()) && all.contains(&batch.as_str()),
        "{all:?}"
    );

    bed.assert_plan_clean();
    bed.step(DESTROY).assert_success();
    assert_eq!(
        bed.mutations(),
        ["delete-instance-pool", "delete-instance-pool"]
    );
    bed.assert_sandbox_empty();
}

#[test]
fn a_failed_create_operation_leaves_a_tainted_pool_that_destroy_removes() {
    let bed = Bed::new(&terraform("1.15.5"));
    let fault = FaultRule::parse("create-instance-pool=operation-failure*1")
        .unwrap_or_else(|e| panic!("{e}"));
    bed.sandbox.faults().add(fault);
    bed.config(&pool("ch-gva-2", 1, ""));
    let run = bed.step(APPLY);
    run.assert_failure()
        .assert_output_contains("Creating the instance pool did not complete")
        .assert_output_contains("ended in failure");
    assert_eq!(bed.mutations(), ["create-instance-pool"]);
    assert_eq!(bed.sandbox.shared.exoscale.pool_count(), bed.baseline + 1);

    // The pool is in state, tainted: never orphaned.
    assert_eq!(bed.state_list(), [ADDRESS]);
    let show = bed.ws.terraform(&["show", "-json", "-no-color"]);
    show.assert_success();
    let state: Value =
        serde_json::from_str(&show.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{show}"));
    let resource = &state["values"]["root_module"]["resources"][0];
    assert_eq!(resource["address"], ADDRESS, "{state}");
    assert_eq!(resource["tainted"], true, "{state}");
    let id = resource["values"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in state: {state}"));
    assert_eq!(bed.pool_size("ch-gva-2", id), Some(1), "the pool exists");
    bed.plan_with_changes()
        .assert_output_contains("is tainted, so must be replaced");

    bed.step(DESTROY).assert_success();
    assert_eq!(bed.mutations(), ["delete-instance-pool"]);
    bed.assert_sandbox_empty();
    assert_eq!(bed.state_list(), Vec::<String>::new());
}

/// The provider's zone comes from a resource, so the first plan cannot know it: the pool's
/// zone plans as unknown (never the built-in default), and the pool lands in the zone the
/// setting has at apply, with no "inconsistent final plan" from Terraform.
#[test]
fn a_provider_zone_known_only_at_apply_places_the_pool_there() {
    let bed = Bed::new(&terraform("1.15.5"));
    let provider = r#"resource "terraform_data" "zone" {
  input = "de-fra-1"
}

provider "pools" {
  exoscale {
    zone = terraform_data.zone.output
  }
}

"#;
    let body = pool("ch-gva-2", 1, "").replace("  zone               = \"ch-gva-2\"\n", "");
    bed.config(&(provider.to_string() + &body));
    let plan = bed.plan_with_changes();
    assert!(
        plan.stdout
            .lines()
            .any(|l| l.contains("+ zone ") && l.ends_with("= (known after apply)")),
        "the zone waits for apply:\n{plan}"
    );
    bed.apply();
    assert_eq!(bed.mutations(), ["create-instance-pool"]);
    let created = bed.sandbox.requests().all();
    assert!(
        created
            .iter()
            .any(|r| r.route == "create-instance-pool" && r.path.starts_with("/de-fra-1/")),
        "the pool is created in the provider's zone: {created:?}"
    );
    let id = bed.output_str("id");
    assert_eq!(bed.pool_size("de-fra-1", &id), Some(1));
    bed.step(DESTROY).assert_success();
    bed.assert_sandbox_empty();
}

/// `public_ip_assignment` from inet4 to dual: one update, no reset of the IPv6 flag that
/// follows it, and the next plan is empty.
#[test]
fn a_public_ip_assignment_change_is_one_update() {
    let bed = Bed::new(&terraform("1.15.5"));
    bed.config(&pool("ch-gva-2", 1, "  public_ip_assignment = \"inet4\"\n"));
    bed.apply();
    bed.config(&pool("ch-gva-2", 1, "  public_ip_assignment = \"dual\"\n"));
    bed.plan_with_changes()
        .assert_output_contains("ipv6_enabled")
        .assert_output_contains("1 to change");
    bed.apply();
    assert_eq!(bed.mutations(), ["update-instance-pool"]);
    let show = bed.ws.terraform(&["state", "show", "-no-color", ADDRESS]);
    show.assert_success()
        .assert_output_contains("public_ip_assignment")
        .assert_output_contains("\"dual\"");
    bed.step(DESTROY).assert_success();
    bed.assert_sandbox_empty();
}

/// Destroy plans reach the provider: a pool an SKS nodepool manages is refused by
/// `plan -destroy`, naming its manager, before anything is applied.
#[test]
fn a_destroy_plan_of_a_managed_pool_is_refused_at_plan_time() {
    let bed = Bed::new(&terraform("1.15.5"));
    let managed = pools_sandbox::exoscale::fixtures::MANAGED_POOL;
    let manager = pools_sandbox::exoscale::fixtures::MANAGER_NODEPOOL;
    bed.config(&format!(
        r#"import {{
  to = pools_instance_pool.sks
  id = "{managed}@ch-gva-2"
}}

resource "pools_instance_pool" "sks" {{
  name          = "nodepool"
  size          = 1
  instance_type = "standard.small"
  template_id   = "{UBUNTU}"
  disk_size     = 20
  lifecycle {{
    ignore_changes = all
  }}
}}
"#
    ));
    bed.step(APPLY).assert_success();
    let run = bed.step(&["plan", "-destroy", "-input=false", "-no-color"]);
    run.assert_failure()
        .assert_output_contains("managed by sks-nodepool")
        .assert_output_contains(manager);
    assert_eq!(bed.mutations(), Vec::<&str>::new(), "nothing was changed");
    bed.ws
        .terraform(&["state", "rm", "-no-color", "pools_instance_pool.sks"])
        .assert_success();
}

/// Resource identity (Terraform 1.12+): the state records `{id, zone}` beside each pool,
/// `providers schema` shows the identity schema, and an `import` block may name a pool by
/// its identity instead of an import id.
#[test]
fn identity_is_recorded_and_import_blocks_take_it() {
    let bed = Bed::new(&terraform("1.15.5"));
    bed.config(&pool("ch-gva-2", 1, ""));
    bed.apply();
    let id = bed.output_str("id");
    let state_path = bed.ws.path().join("terraform.tfstate");
    let read_state = || -> Value {
        let text = std::fs::read_to_string(&state_path).unwrap_or_else(|e| panic!("state: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("state is not JSON: {e}"))
    };
    let instance = &read_state()["resources"][0]["instances"][0];
    assert_eq!(instance["identity"]["id"], id.as_str(), "{instance}");
    // Member details, as the official provider's `instances` had them.
    let members = instance["attributes"]["instances"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(members.len(), 1, "{instance}");
    assert_eq!(members[0]["state"], "running", "{instance}");
    assert_eq!(
        members[0]["id"], instance["attributes"]["instance_ids"][0],
        "{instance}"
    );
    assert_eq!(instance["identity"]["zone"], "ch-gva-2", "{instance}");

    let schema = bed.ws.terraform(&["providers", "schema", "-json"]);
    schema.assert_success();
    let schema: Value = serde_json::from_str(&schema.stdout).unwrap_or_else(|e| panic!("{e}"));
    let identities = &schema["provider_schemas"][PROVIDER_SOURCE_FULL]["resource_identity_schemas"];
    assert!(
        identities["pools_instance_pool"]["attributes"]["id"]["required_for_import"] == true,
        "{identities}"
    );
    assert!(
        identities["pools_warm_pool"]["attributes"]["id"].is_object(),
        "{identities}"
    );
    let actions = &schema["provider_schemas"][PROVIDER_SOURCE_FULL]["action_schemas"];
    assert!(
        actions["pools_instance_pool_evict"].is_object(),
        "the evict action is in the schema: {actions}"
    );

    bed.ws
        .terraform(&["state", "rm", "-no-color", ADDRESS])
        .assert_success();
    let import = format!(
        "import {{\n  to       = {ADDRESS}\n  identity = {{\n    id   = \"{id}\"\n    zone = \"ch-gva-2\"\n  }}\n}}\n\n"
    );
    bed.config(&(import + &pool("ch-gva-2", 1, "")));
    let run = bed.apply();
    run.assert_output_contains("1 imported, 0 added, 0 changed, 0 destroyed");
    assert_eq!(bed.mutations(), Vec::<&str>::new(), "an import only reads");
    assert_eq!(
        read_state()["resources"][0]["instances"][0]["identity"]["id"],
        id.as_str()
    );
    bed.step(DESTROY).assert_success();
    bed.assert_sandbox_empty();
}

/// The `pools_instance_pool_evict` action (Terraform 1.14+): invoked on its own with
/// `apply -invoke`, and from a resource's `action_trigger`. Eviction lowers the pool's size,
/// so the next plan shows the configured size again.
#[test]
fn the_evict_action_runs_on_invoke_and_from_an_action_trigger() {
    let bed = Bed::new(&terraform("1.15.5"));
    let action = |generation: u32| {
        format!(
            r#"
action "pools_instance_pool_evict" "drain" {{
  config {{
    instance_pool_id = pools_instance_pool.web.id
    zone             = "ch-gva-2"
    instance_ids     = [pools_instance_pool.web.instance_ids[0]]
  }}
}}

resource "terraform_data" "rollout" {{
  input = {generation}
  lifecycle {{
    action_trigger {{
      events  = [after_update]
      actions = [action.pools_instance_pool_evict.drain]
    }}
  }}
}}
"#
        )
    };
    bed.config(&(pool("ch-gva-2", 3, "") + &action(1)));
    bed.apply();
    let id = bed.output_str("id");
    assert_eq!(bed.pool_size("ch-gva-2", &id), Some(3));

    let run = bed.step(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-invoke=action.pools_instance_pool_evict.drain",
    ]);
    run.assert_success();
    assert_eq!(bed.mutations(), ["evict-instance-pool-members"]);
    assert_eq!(
        bed.pool_size("ch-gva-2", &id),
        Some(2),
        "one instance evicted"
    );
    let drift = bed.plan_with_changes();
    assert!(
        drift
            .stdout
            .lines()
            .any(|l| l.contains("~ size ") && l.ends_with("= 2 -> 3")),
        "the next plan scales back to the configured size:\n{drift}"
    );
    bed.apply();
    assert_eq!(bed.mutations(), ["scale-instance-pool"]);

    // A new rollout generation updates terraform_data, whose trigger runs the action.
    bed.config(&(pool("ch-gva-2", 3, "") + &action(2)));
    bed.step(APPLY).assert_success();
    assert_eq!(bed.mutations(), ["evict-instance-pool-members"]);
    assert_eq!(bed.pool_size("ch-gva-2", &id), Some(2));
    bed.step(DESTROY).assert_success();
    bed.assert_sandbox_empty();
}
