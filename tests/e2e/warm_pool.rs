//! `pools_warm_pool` and its data sources end to end (issue 5 item 5): real Terraform, the
//! real provider binary, and an in-process sandbox per test whose request log proves which
//! API calls each Terraform step made.

use crate::harness::{for_each_terraform, terraforms, Run, Terraform, Workspace, PROVIDER_SOURCE};
use pools_sandbox::ona::fixtures::{
    CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID, PROJECT_NO_PREBUILDS_ID, SNAPSHOT_ID,
};
use pools_sandbox::{Config, FaultRule, Sandbox, DEFAULT_ONA_TOKEN};
use serde_json::Value;
use std::time::Duration;
use terraform_provider_pools::ona::api::wire::WarmPool;
use terraform_provider_pools::ona::api::OnaClient;

/// The newest Terraform runs the full lifecycles; the oldest a smoke lifecycle.
const NEWEST: &str = "1.15.5";
const OLDEST: &str = "1.0.3";

const RESOURCE: &str = "pools_warm_pool.w";

fn terraform(version: &str) -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == version)
        .unwrap_or_else(|| panic!("Terraform {version} is not among the tested versions"))
}

/// A sandbox with short settle times, on a runtime that lives as long as it does.
struct Backend {
    // Dropped before the runtime, so the server shuts down on a live runtime.
    sandbox: Sandbox,
    runtime: tokio::runtime::Runtime,
}

/// An `import {}` block adopting the pool `id` as the test's resource.
fn import_block(id: &str) -> String {
    format!("\nimport {{\n  to = {RESOURCE}\n  id = \"{id}\"\n}}\n")
}

impl Backend {
    /// Creates a pool in the project with the provider's own client, as someone outside this
    /// configuration would, and forgets that call in the request log. Returns its id.
    fn create_outside_terraform(&self, class_id: &str, min_size: i32, max_size: i32) -> String {
        let created = self
            .runtime
            .block_on(
                self.client()
                    .create_warm_pool(PROJECT_ID, class_id, min_size, max_size),
            )
            .expect("CreateWarmPool");
        self.take_routes();
        created.id
    }

    fn start() -> Backend {
        let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
        let config = Config {
            operation_duration: Duration::from_millis(200),
            warm_pool_settle: Duration::from_millis(200),
            ..Config::default()
        };
        let listen = "127.0.0.1:0".parse().expect("loopback address");
        let sandbox = runtime
            .block_on(Sandbox::start(config, listen))
            .expect("sandbox starts");
        Backend { sandbox, runtime }
    }

    /// A workspace whose provider reaches this sandbox's Ona API through the environment.
    fn workspace(&self, tf: &Terraform) -> Workspace {
        self.workspace_with_token(tf, DEFAULT_ONA_TOKEN)
    }

    fn workspace_with_token(&self, tf: &Terraform, token: &str) -> Workspace {
        Workspace::new(tf)
            .env("ONA_BASE_URL", &self.sandbox.ona_endpoint())
            .env("ONA_API_KEY", token)
    }

    /// The routes called since the last call, then forgets them.
    fn take_routes(&self) -> Vec<&'static str> {
        let routes = self.sandbox.requests().routes();
        self.sandbox.requests().clear();
        routes
    }

    fn pool_count(&self) -> usize {
        self.sandbox.shared.ona.pool_count()
    }

    fn client(&self) -> OnaClient {
        OnaClient::new(DEFAULT_ONA_TOKEN, &self.sandbox.ona_endpoint()).expect("client")
    }

    /// The pool as the API reports it, outside Terraform. Clears the request log, so this
    /// read is never counted as the provider's: assert on the provider's calls first.
    fn pool(&self, id: &str) -> WarmPool {
        let pool = self
            .runtime
            .block_on(self.client().get_warm_pool(id))
            .expect("GetWarmPool")
            .unwrap_or_else(|| panic!("no warm pool {id} in the sandbox"));
        self.sandbox.requests().clear();
        pool
    }
}

/// The calls that change something, in order (reads filtered out).
fn writes(routes: &[&'static str]) -> Vec<&'static str> {
    routes
        .iter()
        .copied()
        .filter(|r| !r.starts_with("Get") && !r.starts_with("List"))
        .collect()
}

/// Asserts the step called exactly `expected` mutations and otherwise only GetWarmPool.
fn assert_calls(step: &str, routes: &[&'static str], expected: &[&str]) {
    assert_eq!(writes(routes), expected, "{step}: {routes:?}");
    assert!(
        routes
            .iter()
            .all(|r| expected.contains(r) || *r == "GetWarmPool"),
        "{step}: unexpected calls in {routes:?}"
    );
}

/// A configuration whose provider takes everything from the environment.
fn main_tf(body: &str) -> String {
    main_tf_with_provider("provider \"pools\" {}\n", body)
}

fn main_tf_with_provider(provider: &str, body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\n{provider}{body}"
    )
}

/// `pools_warm_pool.<name>` of the sandbox project with `extra` lines in its body.
fn pool_block(name: &str, project: &str, class: &str, extra: &str) -> String {
    format!(
        "\nresource \"pools_warm_pool\" \"{name}\" {{\n  project_id = \"{project}\"\n  environment_class_id = \"{class}\"\n{extra}}}\n"
    )
}

/// Terraform wraps diagnostics at 78 columns: compare with runs of whitespace as one space.
fn assert_says(run: &Run, phrase: &str) {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&run.output()).contains(&flat(phrase)),
        "expected the output to say {phrase:?}:\n{run}"
    );
}

/// The run logged at trace level (so the check means something) and never shows `token`.
fn assert_no_token(run: &Run, token: &str) {
    run.assert_output_contains("[TRACE]")
        .assert_output_contains("provider.terraform-provider-pools");
    assert!(!run.output().contains(token), "the token leaked:\n{run}");
}

/// `apply`; when it succeeds, Terraform's own rule that a second plan is empty is checked
/// too (the plan only reads: `GetWarmPool` calls, which the call checks allow).
fn apply(ws: &Workspace) -> Run {
    let run = ws.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    if run.code == Some(0) {
        assert_plan_clean(ws);
    }
    run
}

/// `plan -detailed-exitcode`: 0 means no changes.
fn assert_plan_clean(ws: &Workspace) -> Run {
    let run = ws.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(run.code, Some(0), "the plan must show no changes:\n{run}");
    run
}

/// The state file Terraform wrote.
fn state(ws: &Workspace) -> Value {
    let path = ws.path().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("state is not JSON ({e}):\n{text}"))
}

/// The one instance of `address` (`type.name`) in the state, or None.
fn instance(ws: &Workspace, address: &str) -> Option<Value> {
    let (kind, name) = address.split_once('.').expect("type.name");
    state(ws)["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["mode"] == "managed" && r["type"] == kind && r["name"] == name)
        .map(|r| r["instances"][0].clone())
}

fn attributes(ws: &Workspace, address: &str) -> Value {
    instance(ws, address)
        .unwrap_or_else(|| panic!("{address} is not in the state"))
        .get("attributes")
        .cloned()
        .unwrap_or(Value::Null)
}

fn id_in_state(ws: &Workspace, address: &str) -> String {
    match &attributes(ws, address)["id"] {
        Value::String(id) => id.clone(),
        other => panic!("{address} has no id in the state: {other}"),
    }
}

/// No managed resource left in the state.
fn assert_state_empty(ws: &Workspace) {
    let state = state(ws);
    let managed: Vec<&Value> = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["mode"] == "managed")
        .collect();
    assert!(managed.is_empty(), "state still holds {managed:?}");
}

#[test]
fn lifecycle_create_resize_replace_import_destroy() {
    let backend = Backend::start();
    let ws = backend.workspace(&terraform(NEWEST));
    let sized = |min: u32, max: u32| format!("  min_size = {min}\n  max_size = {max}\n");

    // Create: one CreateWarmPool, then reads until READY.
    ws.write(
        "main.tf",
        &main_tf(&pool_block("w", PROJECT_ID, CLASS_SMALL_ID, &sized(1, 2))),
    );
    apply(&ws)
        .assert_success()
        .assert_output_contains("1 added, 0 changed, 0 destroyed");
    assert_calls("create", &backend.take_routes(), &["CreateWarmPool"]);
    let created = attributes(&ws, RESOURCE);
    let id = id_in_state(&ws, RESOURCE);
    assert_eq!(created["phase"], "READY", "{created}");
    assert_eq!(created["running_instances"], 1, "{created}");
    assert_eq!(created["snapshot_id"], SNAPSHOT_ID, "{created}");
    assert_eq!(backend.pool_count(), 1);
    let pool = backend.pool(&id);
    assert_eq!((pool.spec.min_size, pool.spec.max_size), (Some(1), Some(2)));

    // A re-plan refreshes with one read and changes nothing.
    assert_plan_clean(&ws);
    assert_eq!(backend.take_routes(), ["GetWarmPool"]);

    // Resizing is one UpdateWarmPool, in place.
    ws.write(
        "main.tf",
        &main_tf(&pool_block("w", PROJECT_ID, CLASS_SMALL_ID, &sized(2, 4))),
    );
    apply(&ws)
        .assert_success()
        .assert_output_contains("0 added, 1 changed, 0 destroyed");
    assert_calls("resize", &backend.take_routes(), &["UpdateWarmPool"]);
    assert_eq!(id_in_state(&ws, RESOURCE), id);
    let resized = attributes(&ws, RESOURCE);
    assert_eq!(resized["phase"], "READY", "{resized}");
    assert_eq!(resized["running_instances"], 2, "{resized}");
    let pool = backend.pool(&id);
    assert_eq!((pool.spec.min_size, pool.spec.max_size), (Some(2), Some(4)));
    assert_plan_clean(&ws);
    backend.take_routes();

    // The same project id in capitals is the same project: nothing to do.
    ws.write(
        "main.tf",
        &main_tf(&pool_block(
            "w",
            &PROJECT_ID.to_ascii_uppercase(),
            CLASS_SMALL_ID,
            &sized(2, 4),
        )),
    );
    assert_plan_clean(&ws);
    backend.take_routes();

    // Another project forces replacement; planning it calls nothing but the refresh.
    ws.write(
        "main.tf",
        &main_tf(&pool_block(
            "w",
            PROJECT_NO_PREBUILDS_ID,
            CLASS_SMALL_ID,
            &sized(2, 4),
        )),
    );
    let run = ws.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(run.code, Some(2), "a change is planned:\n{run}");
    run.assert_output_contains("must be replaced")
        .assert_output_contains("# forces replacement")
        .assert_output_contains("1 to add, 0 to change, 1 to destroy");
    assert!(
        run.output()
            .lines()
            .any(|l| l.contains("project_id") && l.contains("# forces replacement")),
        "project_id must be what forces the replacement:\n{run}"
    );
    assert_eq!(backend.take_routes(), ["GetWarmPool"]);

    // Another environment class replaces the pool: delete (waited out), then create.
    ws.write(
        "main.tf",
        &main_tf(&pool_block("w", PROJECT_ID, CLASS_LARGE_ID, &sized(2, 4))),
    );
    apply(&ws)
        .assert_success()
        .assert_output_contains("1 added, 0 changed, 1 destroyed");
    assert_calls(
        "replace",
        &backend.take_routes(),
        &["DeleteWarmPool", "CreateWarmPool"],
    );
    let replaced_id = id_in_state(&ws, RESOURCE);
    assert_ne!(replaced_id, id, "a replacement is a new pool");
    assert_eq!(backend.pool_count(), 1, "the old pool is gone");
    let replaced = attributes(&ws, RESOURCE);
    assert_eq!(replaced["environment_class_id"], CLASS_LARGE_ID);
    assert_eq!(replaced["phase"], "READY", "{replaced}");
    // The large class has no completed prebuild yet.
    assert_eq!(replaced["snapshot_id"], Value::Null, "{replaced}");
    assert_plan_clean(&ws);
    backend.take_routes();

    // Forget the pool, import it by id, and the plan is clean again.
    ws.terraform(&["state", "rm", "-no-color", RESOURCE])
        .assert_success();
    ws.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        RESOURCE,
        &replaced_id,
    ])
    .assert_success()
    .assert_output_contains("Import successful");
    assert_eq!(id_in_state(&ws, RESOURCE), replaced_id);
    assert_plan_clean(&ws);
    assert_calls("import and plan", &backend.take_routes(), &[]);

    // Destroy waits until the pool is gone: the sandbox is empty when it returns.
    ws.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"])
        .assert_success()
        .assert_output_contains("1 destroyed");
    assert_calls("destroy", &backend.take_routes(), &["DeleteWarmPool"]);
    assert_eq!(backend.pool_count(), 0);
    assert_state_empty(&ws);
}

#[test]
fn degraded_create_fails_with_its_message_and_leaves_no_orphan() {
    let backend = Backend::start();
    backend.sandbox.faults().add(
        FaultRule::parse("CreateWarmPool=degraded:runner out of capacity*1").expect("fault rule"),
    );
    let ws = backend.workspace(&terraform(NEWEST));
    ws.write(
        "main.tf",
        &main_tf(&pool_block("w", PROJECT_ID, CLASS_SMALL_ID, "")),
    );
    let run = apply(&ws);
    run.assert_failure()
        .assert_output_contains("Warm pool is degraded");
    assert_says(
        &run,
        "went to phase DEGRADED instead of READY: runner out of capacity",
    );
    assert_says(&run, "The pool exists and is kept in the Terraform state.");
    assert_calls(
        "degraded create",
        &backend.take_routes(),
        &["CreateWarmPool"],
    );

    // The pool exists, so Terraform knows it: in state, tainted.
    assert_eq!(backend.pool_count(), 1);
    let pool = instance(&ws, RESOURCE).expect("the degraded pool is in the state");
    assert_eq!(pool["status"], "tainted", "{pool}");
    assert_eq!(pool["attributes"]["phase"], "DEGRADED", "{pool}");
    let id = id_in_state(&ws, RESOURCE);
    assert_eq!(backend.pool(&id).id, id);

    // The next plan replaces it; destroy removes it and leaves the sandbox empty.
    let run = ws.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(run.code, Some(2), "{run}");
    run.assert_output_contains("is tainted, so must be replaced");
    ws.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"])
        .assert_success();
    assert_eq!(backend.pool_count(), 0);
    assert_state_empty(&ws);
}

#[test]
fn an_existing_pool_gives_the_import_hint_and_an_import_block_adopts_it() {
    let backend = Backend::start();
    // Someone created the pool outside this configuration.
    let existing = backend.create_outside_terraform(CLASS_SMALL_ID, 1, 3);

    let ws = backend.workspace(&terraform(NEWEST));
    let resource = pool_block(
        "w",
        PROJECT_ID,
        CLASS_SMALL_ID,
        "  min_size = 1\n  max_size = 3\n",
    );
    ws.write("main.tf", &main_tf(&resource));
    let run = apply(&ws);
    run.assert_failure()
        .assert_output_contains("Warm pool already exists");
    assert_says(&run, &format!("(id {existing})"));
    assert_says(
        &run,
        &format!("terraform import 'pools_warm_pool.NAME' {existing}"),
    );
    assert_says(
        &run,
        &format!("to = pools_warm_pool.NAME id = \"{existing}\""),
    );
    let routes = backend.take_routes();
    assert_eq!(writes(&routes), ["CreateWarmPool"], "{routes:?}");
    assert_eq!(backend.pool_count(), 1, "nothing new was created");
    assert_state_empty(&ws);

    // Follow the hint with an import block: adopted without any change.
    let import = import_block(&existing);
    ws.write("main.tf", &main_tf(&(resource + &import)));
    apply(&ws)
        .assert_success()
        .assert_output_contains("1 imported, 0 added, 0 changed, 0 destroyed");
    assert_calls("import block", &backend.take_routes(), &[]);
    assert_eq!(id_in_state(&ws, RESOURCE), existing);
    assert_plan_clean(&ws);
    assert_eq!(backend.pool_count(), 1);
}

#[test]
fn an_import_block_can_generate_the_configuration() {
    let backend = Backend::start();
    let existing = backend.create_outside_terraform(CLASS_LARGE_ID, 0, 4);

    let ws = backend.workspace(&terraform(NEWEST));
    let import = import_block(&existing);
    ws.write("main.tf", &main_tf(&import));
    let run = ws.terraform(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    run.assert_success()
        .assert_output_contains("1 to import, 0 to add, 0 to change, 0 to destroy");
    let generated = std::fs::read_to_string(ws.path().join("generated.tf"))
        .unwrap_or_else(|e| panic!("no generated.tf ({e}):\n{run}"));
    for line in [
        format!("project_id = \"{PROJECT_ID}\""),
        format!("environment_class_id = \"{CLASS_LARGE_ID}\""),
        "min_size = 0".to_string(),
        "max_size = 4".to_string(),
    ] {
        let flat = generated.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&line),
            "generated.tf lacks `{line}`:\n{generated}"
        );
    }

    apply(&ws)
        .assert_success()
        .assert_output_contains("1 imported, 0 added, 0 changed, 0 destroyed");
    assert_calls("import", &backend.take_routes(), &[]);
    assert_eq!(id_in_state(&ws, RESOURCE), existing);
    assert_plan_clean(&ws);
}

#[test]
fn data_sources_find_a_pool_by_project_and_class_and_list_pools() {
    let backend = Backend::start();
    let ws = backend.workspace(&terraform(NEWEST));
    let body = pool_block("small", PROJECT_ID, CLASS_SMALL_ID, "  max_size = 2\n")
        + &pool_block("large", PROJECT_ID, CLASS_LARGE_ID, "")
        + r#"
data "pools_warm_pool" "small" {
  project_id           = pools_warm_pool.small.project_id
  environment_class_id = pools_warm_pool.small.environment_class_id
}

data "pools_warm_pools" "project" {
  project_ids = [pools_warm_pool.small.project_id]
  depends_on  = [pools_warm_pool.large]
}

data "pools_warm_pools" "large_only" {
  environment_class_ids = [pools_warm_pool.large.environment_class_id]
}

output "found" {
  value = data.pools_warm_pool.small
}

output "listed" {
  value = data.pools_warm_pools.project.ids
}

output "large_only" {
  value = data.pools_warm_pools.large_only.warm_pools
}
"#;
    ws.write("main.tf", &main_tf(&body));
    apply(&ws)
        .assert_success()
        .assert_output_contains("2 added, 0 changed, 0 destroyed");
    let routes = backend.take_routes();
    assert_eq!(
        routes.iter().filter(|r| **r == "CreateWarmPool").count(),
        2,
        "{routes:?}"
    );
    let small = id_in_state(&ws, "pools_warm_pool.small");
    let large = id_in_state(&ws, "pools_warm_pool.large");

    let run = ws.terraform(&["output", "-json"]);
    run.assert_success();
    let outputs: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{run}"));
    let found = &outputs["found"]["value"];
    assert_eq!(found["id"], small.as_str(), "{found}");
    assert_eq!(found["phase"], "READY", "{found}");
    assert_eq!(found["min_size"], 1, "{found}");
    assert_eq!(found["max_size"], 2, "{found}");
    assert_eq!(found["snapshot_id"], SNAPSHOT_ID, "{found}");
    assert_eq!(found["failure_message"], Value::Null, "{found}");

    let mut listed: Vec<String> = serde_json::from_value(outputs["listed"]["value"].clone())
        .unwrap_or_else(|e| panic!("ids are strings ({e}): {outputs}"));
    listed.sort();
    let mut both = vec![small.clone(), large.clone()];
    both.sort();
    assert_eq!(listed, both);

    let large_only = outputs["large_only"]["value"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of pools: {outputs}"));
    assert_eq!(large_only.len(), 1, "{outputs}");
    assert_eq!(large_only[0]["id"], large.as_str());
    assert_eq!(large_only[0]["environment_class_id"], CLASS_LARGE_ID);
    assert_eq!(large_only[0]["snapshot_id"], Value::Null);

    // Data sources re-read on every plan and still agree: no changes.
    assert_plan_clean(&ws);
    ws.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"])
        .assert_success();
    assert_eq!(backend.pool_count(), 0);
}

#[test]
fn invalid_sizes_fail_at_validate_with_attribute_paths_and_no_api_call() {
    for_each_terraform(|tf| {
        let backend = Backend::start();
        let ws = backend.workspace(tf);
        let body = pool_block(
            "inverted",
            PROJECT_ID,
            CLASS_SMALL_ID,
            "  min_size = 5\n  max_size = 2\n",
        ) + &pool_block("too_big", PROJECT_ID, CLASS_SMALL_ID, "  max_size = 21\n")
            + &pool_block("negative", PROJECT_ID, CLASS_SMALL_ID, "  min_size = -1\n")
            + &pool_block("not_a_uuid", "sandbox-app", CLASS_SMALL_ID, "");
        ws.write("main.tf", &main_tf(&body));

        for command in ["validate", "plan"] {
            let run = ws.terraform(&[command, "-no-color"]);
            run.assert_failure();
            for phrase in [
                "min_size must be less than or equal to max_size; got min_size = 5 and max_size = 2.",
                "max_size must be a whole number from 1 to 20; got 21.",
                "min_size must be a whole number from 0 to 20; got -1.",
                "project_id must be a UUID",
            ] {
                assert_says(&run, phrase);
            }
            // Terraform quotes the offending line only when the diagnostic names the
            // attribute: each bad value must be shown in its resource. The range error is
            // one error (on min_size, naming both), not one per attribute.
            let output = run.output();
            assert_eq!(
                output
                    .matches("Error: Invalid warm pool size range")
                    .count(),
                1,
                "{command}: the size range error once:\n{run}"
            );
            for (resource, line) in [
                ("inverted", "min_size = 5"),
                ("too_big", "max_size = 21"),
                ("negative", "min_size = -1"),
                ("not_a_uuid", "project_id = \"sandbox-app\""),
            ] {
                let quoted = output.split("Error: ").any(|d| {
                    d.contains(&format!("\"pools_warm_pool\" \"{resource}\"")) && d.contains(line)
                });
                assert!(
                    quoted,
                    "{command}: no error quoting `{line}` in {resource}:\n{run}"
                );
            }
        }
        assert!(
            backend.sandbox.requests().routes().is_empty(),
            "validation must not call the API: {:?}",
            backend.sandbox.requests().routes()
        );
    });
}

#[test]
fn a_bad_token_fails_with_unauthenticated_and_never_shows_the_token() {
    const TOKEN: &str = "e2e-wrong-token-4f9c2d7a81";
    for_each_terraform(|tf| {
        let backend = Backend::start();

        // From the environment: the first call (a data source read during plan) fails.
        let ws = backend
            .workspace_with_token(tf, TOKEN)
            .env("TF_LOG", "trace");
        ws.write(
            "main.tf",
            &main_tf("\ndata \"pools_warm_pools\" \"all\" {}\n"),
        );
        let run = ws.terraform(&["plan", "-no-color", "-input=false"]);
        run.assert_failure();
        assert_says(
            &run,
            "ListWarmPools answered 401 Unauthorized (unauthenticated): invalid bearer token",
        );
        assert_no_token(&run, TOKEN);
        let routes = backend.take_routes();
        assert_eq!(routes, ["ListWarmPools"], "an auth failure is not retried");

        // From the provider block: the create fails, nothing is created or kept in state.
        let ws = backend.workspace(tf).env("TF_LOG", "trace");
        let provider =
            format!("\nprovider \"pools\" {{\n  ona {{\n    token = \"{TOKEN}\"\n  }}\n}}\n");
        let body = pool_block("w", PROJECT_ID, CLASS_SMALL_ID, "");
        ws.write("main.tf", &main_tf_with_provider(&provider, &body));
        let run = apply(&ws);
        run.assert_failure()
            .assert_output_contains("Cannot create the warm pool");
        assert_says(
            &run,
            "CreateWarmPool answered 401 Unauthorized (unauthenticated): invalid bearer token",
        );
        assert_no_token(&run, TOKEN);
        assert_eq!(backend.take_routes(), ["CreateWarmPool"]);
        assert_eq!(backend.pool_count(), 0);
        if ws.path().join("terraform.tfstate").exists() {
            assert_state_empty(&ws);
            let text =
                std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state file");
            assert!(!text.contains(TOKEN), "the token is in the state");
        }
    });
}

#[test]
fn smoke_lifecycle_with_the_oldest_terraform() {
    let backend = Backend::start();
    let ws = backend.workspace(&terraform(OLDEST));
    ws.write(
        "main.tf",
        &main_tf(&pool_block(
            "w",
            PROJECT_ID,
            CLASS_SMALL_ID,
            "  min_size = 0\n  max_size = 2\n",
        )),
    );
    apply(&ws)
        .assert_success()
        .assert_output_contains("1 added, 0 changed, 0 destroyed");
    assert_calls("create", &backend.take_routes(), &["CreateWarmPool"]);
    let created = attributes(&ws, RESOURCE);
    assert_eq!(created["phase"], "READY", "{created}");
    assert_eq!(created["min_size"], 0, "{created}");
    assert_eq!(created["running_instances"], 0, "{created}");
    assert_eq!(backend.pool_count(), 1);

    assert_plan_clean(&ws);
    assert_eq!(backend.take_routes(), ["GetWarmPool"]);

    ws.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"])
        .assert_success();
    assert_calls("destroy", &backend.take_routes(), &["DeleteWarmPool"]);
    assert_eq!(backend.pool_count(), 0);
    assert_state_empty(&ws);
}
