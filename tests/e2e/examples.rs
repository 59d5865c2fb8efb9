//! Every example the docs embed and the demo applies is a valid configuration for the
//! provider as built: attribute names, types and validators all agree.

use std::path::{Path, PathBuf};

use crate::harness::{for_each_terraform, Workspace, PROVIDER_SOURCE};

fn example_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs = vec![root.join("provider"), root.join("demo")];
    for group in ["resources", "data-sources"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(group))
            .unwrap_or_else(|e| panic!("examples/{group}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        found.sort();
        assert!(!found.is_empty(), "examples/{group} is empty");
        dirs.extend(found);
    }
    dirs
}

#[test]
fn every_example_validates() {
    let dirs = example_dirs();
    for_each_terraform(|tf| {
        for dir in &dirs {
            let ws = Workspace::new(tf);
            let mut declares_provider = false;
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "tf") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    declares_provider |= text.contains("required_providers");
                    ws.write(path.file_name().unwrap().to_str().unwrap(), &text);
                }
            }
            if !declares_provider {
                ws.write(
                    "versions.tf",
                    &format!("terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"),
                );
            }
            let run = ws.terraform(&["validate", "-no-color"]);
            assert!(run.success(), "{} does not validate:\n{run}", dir.display());
        }
    });
}

/// The offline-testing example: a user's module and its `terraform test` suite run against
/// pools-sandbox, with the provider pointed at it through the environment alone.
#[test]
fn the_terraform_test_example_passes_against_the_sandbox() {
    let tf = crate::harness::terraforms()
        .into_iter()
        .find(|tf| tf.version == "1.15.5")
        .unwrap_or_else(|| panic!("Terraform 1.15.5 is not among the tested versions"));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let config = pools_sandbox::Config {
        operation_duration: std::time::Duration::from_millis(100),
        warm_pool_settle: std::time::Duration::from_millis(100),
        ..pools_sandbox::Config::default()
    };
    let listen = "127.0.0.1:0".parse().expect("a literal socket address");
    let sandbox = rt
        .block_on(pools_sandbox::Sandbox::start(config, listen))
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let ws = Workspace::new(&tf)
        .env("EXOSCALE_API_ENDPOINT", &sandbox.exoscale_endpoint())
        .env("EXOSCALE_API_KEY", pools_sandbox::DEFAULT_EXOSCALE_KEY)
        .env(
            "EXOSCALE_API_SECRET",
            pools_sandbox::DEFAULT_EXOSCALE_SECRET,
        )
        .env("ONA_BASE_URL", &sandbox.ona_endpoint())
        .env("ONA_API_KEY", pools_sandbox::DEFAULT_ONA_TOKEN);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/testing");
    for name in ["main.tf", "pools.tftest.hcl"] {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        ws.write(name, &text);
    }
    let run = ws.terraform(&["test", "-no-color"]);
    run.assert_success()
        .assert_output_contains("3 passed, 0 failed");
    assert_eq!(
        sandbox.shared.exoscale.pool_count(),
        1,
        "terraform test destroys what it made (only the sandbox's fixture pool is left)"
    );
}
