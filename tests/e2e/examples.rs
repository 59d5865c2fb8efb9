//! Every example the docs embed and the demo applies is a valid configuration for the
//! provider as built: attribute names, types and validators all agree.

use std::path::{Path, PathBuf};

use crate::harness::{
    for_each_terraform, newest_terraform, quick_sandbox, Workspace, PROVIDER_SOURCE,
};

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
    let tf = newest_terraform();
    let (sandbox, _rt) = quick_sandbox();
    let ws = Workspace::new(&tf).against(&sandbox);
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
