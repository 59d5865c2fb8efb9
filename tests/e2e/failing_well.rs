//! Failing well (issue 21), with Terraform 1.15.5 against the sandbox: credentials set
//! nowhere fail the plan, before any API call; a pool of size 0 is created and replaced in
//! one apply each. (Persistent failures are rows of the fault matrix, faults/matrix.rs.)

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::ona::fixtures::{CLASS_SMALL_ID, PROJECT_ID};

use crate::harness::{newest_terraform, quick_sandbox, Run, Workspace, PROVIDER_SOURCE};

const PLAN: &[&str] = &["plan", "-input=false", "-no-color"];
const CHANGES: &[&str] = &["plan", "-detailed-exitcode", "-input=false", "-no-color"];
const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];

fn main_tf(body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\n{body}"
    )
}

fn instance_pool(size: u32) -> String {
    format!(
        r#"resource "pools_instance_pool" "web" {{
  name          = "web"
  zone          = "ch-gva-2"
  size          = {size}
  instance_type = "standard.small"
  template_id   = "{}"
  disk_size     = 10
}}
"#,
        fx::TEMPLATE_UBUNTU
    )
}

fn warm_pool() -> String {
    format!(
        r#"resource "pools_warm_pool" "dev" {{
  project_id           = "{PROJECT_ID}"
  environment_class_id = "{CLASS_SMALL_ID}"
}}
"#
    )
}

fn assert_says(run: &Run, phrases: &[&str]) {
    let output = run.output();
    for phrase in phrases {
        assert!(output.contains(phrase), "expected {phrase:?}:\n{run}");
    }
}

/// Keys set nowhere are known at plan time: the plan fails, naming the setting and its
/// environment variables, and no request reaches either API. A configuration that uses
/// one backend needs no credentials for the other.
#[test]
fn missing_credentials_fail_the_plan_with_no_api_call() {
    let (sandbox, _rt) = quick_sandbox();
    let tf = newest_terraform();
    // The endpoints point at the sandbox, so that any call would show in its log.
    let endpoints = |ws: Workspace| {
        ws.env("EXOSCALE_API_ENDPOINT", &sandbox.exoscale_endpoint())
            .env("ONA_BASE_URL", &sandbox.ona_endpoint())
    };

    // Ona credentials only: a warm pool plans, an instance pool does not.
    let ona_only =
        endpoints(Workspace::new(&tf)).env("ONA_API_KEY", pools_sandbox::DEFAULT_ONA_TOKEN);
    ona_only.write("main.tf", &main_tf(&warm_pool()));
    let run = ona_only.terraform(PLAN);
    run.assert_success();
    assert_says(&run, &["1 to add"]);
    ona_only.write("main.tf", &main_tf(&instance_pool(2)));
    let run = ona_only.terraform(PLAN);
    run.assert_failure();
    assert_says(
        &run,
        &[
            "Missing provider setting",
            "Cannot plan pools_instance_pool",
            "`exoscale.key` is not set",
            "EXOSCALE_API_KEY",
            "`exoscale.secret` is not set",
            "EXOSCALE_API_SECRET",
        ],
    );

    // Exoscale credentials only: the warm pool's plan fails on its token.
    let exoscale_only = endpoints(Workspace::new(&tf))
        .env("EXOSCALE_API_KEY", pools_sandbox::DEFAULT_EXOSCALE_KEY)
        .env(
            "EXOSCALE_API_SECRET",
            pools_sandbox::DEFAULT_EXOSCALE_SECRET,
        );
    exoscale_only.write("main.tf", &main_tf(&warm_pool()));
    let run = exoscale_only.terraform(PLAN);
    run.assert_failure();
    assert_says(
        &run,
        &[
            "Missing provider setting",
            "Cannot plan pools_warm_pool",
            "`ona.token` is not set",
            "ONA_API_KEY",
        ],
    );
    let calls = sandbox.requests().routes();
    assert!(calls.is_empty(), "no API call may be served: {calls:?}");
}

/// `size = 0` works where the API allows it: a new pool, and a replacement, are created
/// with 1 instance and scaled to 0 in the same apply; the plan says so, and the next plan is
/// clean.
#[test]
fn a_pool_of_size_zero_is_created_and_replaced_in_one_apply() {
    let (sandbox, _rt) = quick_sandbox();
    let ws = Workspace::new(&newest_terraform()).against(&sandbox);
    ws.write("main.tf", &main_tf(&instance_pool(0)));
    let plan = ws.terraform(PLAN);
    plan.assert_success();
    assert_says(
        &plan,
        &["Created with 1 instance, then scaled to 0", "1 to add"],
    );
    let check = |label: &str, run: Run| {
        run.assert_success();
        let routes = sandbox.requests().routes();
        let count = |route| routes.iter().filter(|r| **r == route).count();
        assert_eq!(count("create-instance-pool"), 1, "{label}: {routes:?}");
        assert_eq!(count("scale-instance-pool"), 1, "{label}: {routes:?}");
        // pool_count() finishes the operations that are due first.
        sandbox.shared.exoscale.pool_count();
        let saved = sandbox.shared.exoscale.save();
        let web: Vec<_> = saved["pools"]
            .as_object()
            .into_iter()
            .flat_map(|pools| pools.values())
            .filter(|p| p["spec"]["name"] == "web")
            .collect();
        assert_eq!(web.len(), 1, "{label}: one pool named web: {saved}");
        let members = web[0]["instances"].as_array().map(Vec::len);
        assert_eq!(members, Some(0), "{label}: no instance left: {}", web[0]);
        let replan = ws.terraform(CHANGES);
        assert_eq!(
            replan.code,
            Some(0),
            "{label}: the next plan is clean:\n{replan}"
        );
    };
    sandbox.requests().clear();
    check("create", ws.terraform(APPLY));
    sandbox.requests().clear();
    let replace = [APPLY, &["-replace=pools_instance_pool.web"]].concat();
    check("replace", ws.terraform(&replace));
}
