//! Refreshing many instance pools (issue 20), with the real Terraform CLIs against one
//! in-process sandbox whose request log counts the calls of each plan: a refresh reads each
//! zone from its two lists after the zone's first two pools, drift among many pools plans
//! exactly the drifted pools, and one or two pools in a zone that holds many list nothing.
//! One sandbox and three working directories serve every check, one step at a time.

use std::collections::BTreeMap;
use std::time::Duration;

use pools_sandbox::{Config, Sandbox};
use serde_json::Value;
use terraform_provider_pools::exoscale::api::wire::CreateInstancePool;
use tokio::runtime::Runtime;

use crate::harness::{newest_terraform, terraforms, Run, Workspace, PROVIDER_SOURCE};
use crate::out_of_band;

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";
const GVA: &str = "ch-gva-2";
const FRA: &str = "de-fra-1";
/// The many-pool configuration: half of them in each zone (even indexes in ch-gva-2).
const POOLS: usize = 24;
/// Pools made in ch-gva-2 behind Terraform's back, so that the small configuration's zone
/// holds many.
const SEEDED: usize = 20;

const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-input=false", "-no-color"];

/// `count` pools named `prefix-N`; `zone` is an HCL expression of `count.index`.
fn config(prefix: &str, count: usize, zone: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

resource "pools_instance_pool" "p" {{
  count         = {count}
  name          = "{prefix}-${{count.index}}"
  zone          = {zone}
  size          = 1
  instance_type = "standard.micro"
  template_id   = "{UBUNTU}"
  disk_size     = 10
}}

output "ids" {{
  value = pools_instance_pool.p[*].id
}}
"#
    )
}

struct Bed {
    sandbox: Sandbox,
    rt: Runtime,
}

impl Bed {
    fn new() -> Bed {
        let rt = Runtime::new().unwrap_or_else(|e| panic!("tokio runtime: {e}"));
        let config = Config {
            operation_duration: Duration::from_millis(20),
            ..Config::default()
        };
        let listen = "127.0.0.1:0".parse().expect("a literal socket address");
        let sandbox = rt
            .block_on(Sandbox::start(config, listen))
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        Bed { sandbox, rt }
    }

    /// Runs terraform in `ws` with a clean request log, so `calls` shows this step only.
    fn step(&self, ws: &Workspace, args: &[&str]) -> Run {
        self.sandbox.requests().clear();
        ws.terraform(args)
    }

    /// The requests of the last step to `zone`, by route.
    fn calls(&self, zone: &str) -> BTreeMap<&'static str, usize> {
        let prefix = format!("/{zone}/");
        let mut calls = BTreeMap::new();
        for request in self.sandbox.requests().all() {
            if request.path.starts_with(&prefix) {
                *calls.entry(request.route).or_default() += 1;
            }
        }
        calls
    }

    /// Makes `count` pools in `zone` through the API, as another tool would.
    fn seed(&self, zone: &str, count: usize) {
        let client = out_of_band::exoscale(&self.sandbox);
        self.rt.block_on(async {
            for n in 0..count {
                let body: CreateInstancePool = serde_json::from_value(serde_json::json!({
                    "name": format!("seeded-{n}"), "size": 1, "disk-size": 10,
                    "instance-type": {"id": pools_sandbox::exoscale::fixtures::INSTANCE_TYPE_MICRO},
                    "template": {"id": UBUNTU}
                }))
                .expect("a create body");
                client
                    .create_instance_pool(zone, &body)
                    .await
                    .unwrap_or_else(|e| panic!("seeding: {e}"));
            }
        });
    }

    fn scale_out_of_band(&self, zone: &str, id: &str, size: i64) {
        out_of_band::scale_pool(&self.sandbox, &self.rt, zone, id, size);
    }

    fn delete_out_of_band(&self, zone: &str, id: &str) {
        out_of_band::delete_pool(&self.sandbox, &self.rt, zone, id);
    }
}

fn json(run: &Run) -> Value {
    run.assert_success();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{run}"))
}

fn ids(ws: &Workspace) -> Vec<String> {
    let outputs = json(&ws.terraform(&["output", "-json", "-no-color"]));
    outputs["ids"]["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no ids output: {outputs}"))
        .iter()
        .map(|id| id.as_str().expect("an id").to_string())
        .collect()
}

/// Asserts that a refreshing plan that found nothing to change read `zone`'s pools from its
/// lists: two pools by their own GET, one list of pools and one of members, and at most one
/// member list of its own for each of the two pools read first (they take the zone's when
/// it is under way by then, which depends on how fast Terraform sends the reads).
fn assert_listed(bed: &Bed, zone: &str, run: &Run) {
    let calls = bed.calls(zone);
    let count = |route| calls.get(route).copied().unwrap_or(0);
    let summary = format!("{zone}: {calls:?}\n{run}");
    assert_eq!(count("get-instance-pool"), 2, "{summary}");
    assert_eq!(count("list-instance-pools"), 1, "{summary}");
    assert!((1..=3).contains(&count("list-instances")), "{summary}");
    assert_eq!(calls.len(), 3, "no other calls: {summary}");
}

/// The actions a saved plan takes, by resource address, leaving out no-ops.
fn planned_actions(ws: &Workspace, plan: &str) -> BTreeMap<String, Vec<String>> {
    let shown = json(&ws.terraform(&["show", "-json", "-no-color", plan]));
    let changes = shown["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    changes
        .iter()
        .map(|c| {
            let actions = c["change"]["actions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (c["address"].as_str().unwrap_or("?").to_string(), actions)
        })
        .filter(|(_, actions): &(String, Vec<String>)| actions != &["no-op"])
        .collect()
}

#[test]
fn refreshing_many_pools_reads_each_zone_from_its_lists() {
    let bed = Bed::new();
    bed.seed(GVA, SEEDED);

    // Many pools in two zones: a refresh with nothing to change.
    let tf = newest_terraform();
    let many = Workspace::new(&tf).against(&bed.sandbox);
    let zone_of = format!("count.index % 2 == 0 ? \"{GVA}\" : \"{FRA}\"");
    many.write("main.tf", &config("many", POOLS, &zone_of));
    bed.step(&many, APPLY).assert_success();
    let run = bed.step(&many, PLAN);
    assert_eq!(run.code, Some(0), "a plan without changes:\n{run}");
    assert_listed(&bed, GVA, &run);
    assert_listed(&bed, FRA, &run);

    // Drift among them: one pool scaled, one deleted outside Terraform. The plan updates
    // the one and creates the other, nothing else; each costs one GET more at most.
    let ids = ids(&many);
    bed.scale_out_of_band(GVA, &ids[4], 2);
    bed.delete_out_of_band(FRA, &ids[7]);
    let run = bed.step(
        &many,
        &["plan", "-input=false", "-no-color", "-out=drift.tfplan"],
    );
    run.assert_success();
    for zone in [GVA, FRA] {
        let calls = bed.calls(zone);
        let gets = calls.get("get-instance-pool").copied().unwrap_or(0);
        assert!((2..=3).contains(&gets), "{zone}: {calls:?}\n{run}");
        assert_eq!(
            calls.get("list-instance-pools"),
            Some(&1),
            "{zone}: {calls:?}"
        );
    }
    let expected: BTreeMap<String, Vec<String>> = [
        ("pools_instance_pool.p[4]", "update"),
        ("pools_instance_pool.p[7]", "create"),
    ]
    .into_iter()
    .map(|(address, action)| (address.to_string(), vec![action.to_string()]))
    .collect();
    assert_eq!(planned_actions(&many, "drift.tfplan"), expected, "{run}");

    // Two pools of a zone that now holds many: their own calls, no list.
    let small = Workspace::new(&tf).against(&bed.sandbox);
    small.write("main.tf", &config("small", 2, &format!("\"{GVA}\"")));
    bed.step(&small, APPLY).assert_success();
    let run = bed.step(&small, PLAN);
    assert_eq!(run.code, Some(0), "a plan without changes:\n{run}");
    let expected: BTreeMap<&str, usize> = [("get-instance-pool", 2), ("list-instances", 2)]
        .into_iter()
        .collect();
    assert_eq!(bed.calls(GVA), expected, "{run}");
}

/// The oldest Terraform under test refreshes many pools from the lists too.
#[test]
fn terraform_1_0_refreshes_many_pools_from_the_lists() {
    let bed = Bed::new();
    let tf = terraforms()
        .into_iter()
        .find(|tf| tf.version == "1.0.3")
        .expect("Terraform 1.0.3 is among the tested versions");
    let ws = Workspace::new(&tf).against(&bed.sandbox);
    ws.write("main.tf", &config("old", 8, &format!("\"{FRA}\"")));
    bed.step(&ws, APPLY).assert_success();
    let run = bed.step(&ws, PLAN);
    assert_eq!(run.code, Some(0), "a plan without changes:\n{run}");
    assert_listed(&bed, FRA, &run);
}
