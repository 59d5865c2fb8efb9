//! The demo's pieces against the real sandbox binary and Terraform 1.15.5 (built and
//! installed by `cargo xtask test` before it runs the tests; missing ones fail loudly).

use super::*;
use crate::sandbox::string_values;

fn repo() -> Repo {
    Repo::locate().unwrap_or_else(|e| panic!("{e}"))
}

/// `$POOLS_<VAR>` (set by `cargo xtask test`), else the release build in the target dir.
fn release_bin(var: &str, name: &str) -> PathBuf {
    let path = match std::env::var_os(var) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => repo().target_dir.join("release").join(name),
    };
    assert!(
        path.is_file(),
        "{name} is missing at {}: run `cargo xtask release` (or `cargo xtask test`)",
        path.display()
    );
    path
}

fn terraform_cli() -> PathBuf {
    let dir = match std::env::var_os("POOLS_TERRAFORM_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo().tools_dir().join("terraform"),
    };
    let cli = dir.join(TERRAFORM).join("terraform");
    assert!(
        cli.is_file(),
        "Terraform {TERRAFORM} is missing at {}: run `cargo xtask install-tools`",
        cli.display()
    );
    cli
}

fn start_sandbox(scratch: &ScratchDir) -> SandboxProcess {
    SandboxProcess::start(
        &release_bin("POOLS_SANDBOX_BIN", "pools-sandbox"),
        SANDBOX_ARGS,
        &scratch.path.join("sandbox.log"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Terraform in a copy of examples/demo, wired to `sandbox` as the demo wires it.
fn prepare(scratch: &ScratchDir, sandbox: &SandboxProcess) -> Terraform {
    Terraform::prepare(
        &terraform_cli(),
        &release_bin("POOLS_PROVIDER_BIN", "terraform-provider-pools"),
        &repo().root.join("examples/demo"),
        scratch,
        sandbox,
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_sandbox_logs_requests_and_stops_on_drop() {
    let scratch = ScratchDir::new().unwrap_or_else(|e| panic!("{e}"));
    let sandbox = start_sandbox(&scratch);
    let url = sandbox.url().to_string();
    assert_eq!(sandbox.exoscale_endpoint(), format!("{url}/{{zone}}/v2"));
    assert_eq!(sandbox.ona_endpoint(), format!("{url}/api"));
    assert_eq!(sandbox.routes(), Ok(vec![]));

    // `GET /zone` is the one Exoscale route that needs no signature.
    let host = url.trim_start_matches("http://");
    let zones =
        crate::sandbox::http_get(host, "/ch-gva-2/v2/zone").unwrap_or_else(|e| panic!("{e}"));
    assert!(zones.contains("ch-gva-2"), "{zones}");
    crate::sandbox::http_get(host, "/ch-gva-2/v2/zone").unwrap_or_else(|e| panic!("{e}"));
    let routes = sandbox.routes().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(routes, ["list-zones", "list-zones"]);
    assert_eq!(count_routes(&routes), "list-zones 2");

    drop(sandbox);
    assert!(
        std::net::TcpStream::connect(host).is_err(),
        "the sandbox still listens on {host} after drop"
    );
}

#[test]
fn scratch_dir_is_removed_on_drop() {
    let scratch = ScratchDir::new().unwrap_or_else(|e| panic!("{e}"));
    let path = scratch.path.clone();
    write(&path.join("a.txt"), "x").unwrap_or_else(|e| panic!("{e}"));
    drop(scratch);
    assert!(!path.exists(), "{} still exists", path.display());
}

#[test]
fn terraform_runs_in_the_demo_copy_with_our_cli_config_and_sandbox_env() {
    let scratch = ScratchDir::new().unwrap_or_else(|e| panic!("{e}"));
    let sandbox = start_sandbox(&scratch);
    let terraform = prepare(&scratch, &sandbox);
    for file in ["main.tf", "variables.tf", "outputs.tf"] {
        assert!(terraform.workdir.join(file).is_file(), "{file} not copied");
    }
    let config = fs::read_to_string(&terraform.cli_config).unwrap_or_default();
    assert!(config.contains("dev_overrides"), "{config}");
    let env: Vec<&str> = terraform.env.iter().map(|(k, _)| *k).collect();
    for key in [
        "EXOSCALE_API_KEY",
        "EXOSCALE_API_SECRET",
        "EXOSCALE_API_ENDPOINT",
        "ONA_API_KEY",
        "ONA_BASE_URL",
    ] {
        assert!(env.contains(&key), "{key} missing from {env:?}");
    }

    // `validate` needs no API: it proves Terraform read our CLI config (the override
    // warning) and the copied configuration, whatever the provider supports yet.
    let outcome = terraform
        .run(&["validate"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        outcome
            .output
            .contains("Provider development overrides are in effect"),
        "{}",
        outcome.output
    );
    assert!(outcome.code.is_some(), "{}", outcome.output);
    assert_eq!(sandbox.routes(), Ok(vec![]), "validate must call no API");
}

#[test]
fn terraform_version_through_the_demo_runner() {
    let scratch = ScratchDir::new().unwrap_or_else(|e| panic!("{e}"));
    let sandbox = start_sandbox(&scratch);
    let outcome = prepare(&scratch, &sandbox)
        .run(&["version"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.code, Some(0), "{}", outcome.output);
    assert!(
        outcome
            .output
            .starts_with(&format!("Terraform v{TERRAFORM}\n")),
        "{}",
        outcome.output
    );
}

#[test]
fn examples_are_formatted() {
    let examples = repo().root.join("examples");
    let out = Command::new(terraform_cli())
        .args(["fmt", "-check", "-recursive", "-diff", "-no-color"])
        .arg(&examples)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run terraform fmt: {e}"));
    assert!(
        out.status.success(),
        "terraform fmt -check found unformatted examples:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every `*.tf` file under `dir`, recursively.
fn tf_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            tf_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "tf") {
            found.push(path);
        }
    }
}

#[test]
fn every_id_in_the_examples_is_a_sandbox_fixture() {
    let out = Command::new(release_bin("POOLS_SANDBOX_BIN", "pools-sandbox"))
        .arg("--fixtures")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pools-sandbox --fixtures: {e}"));
    assert!(out.status.success());
    let fixtures = String::from_utf8_lossy(&out.stdout);
    let mut files = Vec::new();
    tf_files(&repo().root.join("examples"), &mut files);
    assert!(files.len() >= 9, "examples missing: {files:?}");
    let mut ids = 0;
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_default();
        // Quoted UUIDs: 36 characters, dashes at 8, 13, 18, 23.
        for quoted in text.split('"').skip(1).step_by(2) {
            let is_uuid = quoted.len() == 36
                && quoted
                    .char_indices()
                    .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
            if is_uuid {
                ids += 1;
                assert!(
                    fixtures.contains(quoted),
                    "{}: {quoted} is no sandbox fixture",
                    file.display()
                );
            }
        }
    }
    assert!(ids >= 10, "only {ids} ids found in the examples");
}

const APPLY_OUTPUT: &str = "\
pools_instance_pool.web: Creating...
pools_warm_pool.dev: Creating...
pools_warm_pool.dev: Creation complete after 1s [id=0f000000-0000-4000-8000-000000000001]
pools_instance_pool.web: Still creating... [00m10s elapsed]
pools_instance_pool.web: Creation complete after 12s [id=abc]

Apply complete! Resources: 2 added, 0 changed, 0 destroyed.

Outputs:

instance_count = 2
instance_pool_state = \"running\"
";

#[test]
fn summary_is_the_verdict_and_the_outputs() {
    assert_eq!(
        summary(APPLY_OUTPUT),
        [
            "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.",
            "outputs: instance_count = 2, instance_pool_state = \"running\"",
        ]
    );
    assert_eq!(
        summary("Refreshing...\n\nNo changes. Your infrastructure matches the configuration.\n"),
        ["No changes. Your infrastructure matches the configuration."]
    );
    assert!(summary("Error: boom\n").is_empty());
}

#[test]
fn progress_lines_are_our_resources_changing() {
    let progress: Vec<&str> = APPLY_OUTPUT.lines().filter(|l| is_progress(l)).collect();
    assert_eq!(progress.len(), 5, "{progress:?}");
    assert!(!is_progress(
        "pools_instance_pool.web: Refreshing state... [id=abc]"
    ));
    assert!(!is_progress("Apply complete! Resources: 2 added"));
    assert!(is_progress(
        "pools_instance_pool.web: Modifying... [id=abc]"
    ));
    assert!(is_progress(
        "pools_warm_pool.dev: Destruction complete after 1s"
    ));
}

#[test]
fn request_log_routes_are_read_in_order() {
    let log = r#"[{"api":"exoscale","route":"create-instance-pool","method":"POST","path":"/ch-gva-2/v2/instance-pool","status":200},{"api":"ona","route":"GetWarmPool","method":"POST","path":"/api/x\"route\":\"y","status":200},{"api":"exoscale","route":"get-operation","method":"GET","path":"/ch-gva-2/v2/operation/1","status":200}]"#;
    assert_eq!(
        string_values(log, "route"),
        Ok(vec![
            "create-instance-pool".to_string(),
            "GetWarmPool".to_string(),
            "get-operation".to_string()
        ])
    );
    assert_eq!(string_values("[]", "route"), Ok(vec![]));
    assert!(string_values(r#"{"route":"open"#, "route").is_err());
}

#[test]
fn route_counts_keep_first_call_order() {
    let routes: Vec<String> = [
        "GetWarmPool",
        "scale-instance-pool",
        "GetWarmPool",
        "get-operation",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        count_routes(&routes),
        "GetWarmPool 2, scale-instance-pool 1, get-operation 1"
    );
    assert_eq!(count_routes(&[]), "");
}

const PLAN_OUTPUT: &str = "\
pools_instance_pool.web: Refreshing state... [id=abc]

Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  ~ update in-place

Terraform will perform the following actions:

  # pools_instance_pool.web will be updated in-place
  ~ resource \"pools_instance_pool\" \"web\" {
        id   = \"abc\"
      ~ size = 2 -> 4
        # (14 unchanged attributes hidden)
    }

Plan: 0 to add, 1 to change, 0 to destroy.

\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}

Saved the plan to: tfplan

To perform exactly these actions, run the following command to apply:
    terraform apply \"tfplan\"
";

#[test]
fn the_planned_actions_are_the_changes_down_to_the_counts() {
    let shown = planned_actions(PLAN_OUTPUT).unwrap_or_default();
    assert!(
        shown.starts_with("  # pools_instance_pool.web will be updated in-place\n"),
        "{shown}"
    );
    assert!(shown.contains("\n      ~ size = 2 -> 4\n"), "{shown}");
    assert!(
        shown.ends_with("\nPlan: 0 to add, 1 to change, 0 to destroy."),
        "{shown}"
    );
    assert!(!shown.contains("Saved the plan"), "{shown}");
    assert_eq!(
        planned_actions("No changes. Your infrastructure matches the configuration.\n"),
        None
    );
}

#[test]
fn changes_are_planned_into_a_file_shown_then_applied_and_the_check_finds_none() {
    let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ["create", "scale to 4", "plan again: no changes", "destroy"]
    );
    for step in STEPS {
        let plan = step.plan_args();
        assert_eq!(plan[..3], ["plan", "-detailed-exitcode", "-input=false"]);
        // -detailed-exitcode: a change that plans nothing, or a check that plans something,
        // fails the demo.
        assert_eq!(step.expected_plan_code(), if step.change { 2 } else { 0 });
        assert_eq!(
            plan.windows(2).any(|w| w == ["-out", PLAN_FILE]),
            step.change,
            "{}",
            step.name
        );
    }
    assert_eq!(APPLY_ARGS.last(), Some(&PLAN_FILE));
    assert!(!APPLY_ARGS.contains(&"-auto-approve"));
    assert_eq!(
        label(&STEPS[1], &STEPS[1].plan_args()),
        "scale to 4: terraform plan -detailed-exitcode -out tfplan -var size=4"
    );
}

/// Terraform reports a resource still changing every 10 s: the sandbox's operations must
/// last longer for the demo to show the provider waiting.
#[test]
fn operations_outlast_terraforms_progress_interval() {
    for flag in ["--operation-ms", "--warm-pool-ms"] {
        let at = SANDBOX_ARGS.iter().position(|a| *a == flag).unwrap();
        let ms: u64 = SANDBOX_ARGS[at + 1].parse().unwrap();
        assert!(ms > 10_000, "{flag} {ms}");
    }
}
