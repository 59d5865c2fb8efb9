//! Checks of the harness itself, independent of what the provider can do yet.

use crate::harness::{
    cli_config, for_each_terraform, run, terraforms, TempDir, Workspace, PROVIDER_SOURCE,
};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn every_terraform_reports_its_version() {
    assert_eq!(
        terraforms().len(),
        2,
        "both the newest and the oldest Terraform are tested"
    );
    for_each_terraform(|tf| {
        let run = Workspace::new(tf).terraform(&["version"]);
        run.assert_success();
        let first = run.stdout.lines().next().unwrap_or_default();
        assert_eq!(first, format!("Terraform v{}", tf.version), "{run}");
    });
}

#[test]
fn terraform_reads_our_cli_config() {
    // The dev_overrides warning proves Terraform read the config we wrote, whatever the
    // provider does afterwards.
    for_each_terraform(|tf| {
        let ws = Workspace::new(tf);
        ws.write(
            "main.tf",
            &format!("terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"),
        );
        let run = ws.terraform(&["validate", "-no-color"]);
        run.assert_output_contains("Provider development overrides are in effect");
        run.assert_output_contains(PROVIDER_SOURCE);
    });
}

#[test]
fn tf_log_reaches_terraform_only_when_asked() {
    for_each_terraform(|tf| {
        let quiet = Workspace::new(tf).terraform(&["version"]);
        assert!(!quiet.stderr.contains("[INFO]"), "{quiet}");
        let traced = Workspace::new(tf)
            .env("TF_LOG", "TRACE")
            .terraform(&["version"]);
        traced.assert_success();
        assert!(traced.stderr.contains("[INFO]"), "{traced}");
    });
}

#[test]
fn cli_config_points_dev_overrides_at_the_provider_directory() {
    let text = cli_config(Path::new("/opt/bin/terraform-provider-pools"));
    assert!(
        text.contains(&format!("\"{PROVIDER_SOURCE}\" = \"/opt/bin\"")),
        "{text}"
    );
    assert!(text.contains("direct {}"), "{text}");
}

#[test]
fn temp_dir_is_removed_on_drop() {
    let dir = TempDir::new("selftest");
    let file = dir.write("a.txt", "hello");
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some("hello")
    );
    let path = dir.path().to_path_buf();
    assert!(path.starts_with(std::env::temp_dir()));
    drop(dir);
    assert!(!path.exists(), "{} still exists", path.display());
}

#[test]
fn a_hung_command_is_killed_at_the_timeout() {
    let mut cmd = Command::new("sh");
    // The grandchild `sleep` holds the pipes: killing only `sh` would leave it running and the
    // reader hanging. Its odd duration marks it, so the check below finds only this one.
    let marker = format!("{}.{}", 30 + std::process::id() % 97, std::process::id());
    cmd.args(["-c", &format!("echo started; sleep {marker}; echo never")]);
    let run = run(cmd, Duration::from_millis(300));
    assert!(run.timed_out, "{run}");
    assert_eq!(run.code, None);
    assert_eq!(run.stdout, "started\n");
    assert!(
        !sleeping(&format!("sleep\0{marker}")),
        "the grandchild `sleep {marker}` was left running"
    );
}

/// Whether a live process has exactly this NUL-separated command line.
fn sleeping(cmdline: &str) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        panic!("/proc is not readable");
    };
    entries.flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .is_ok_and(|c| c.strip_suffix(b"\0").unwrap_or(&c) == cmdline.as_bytes())
    })
}

#[test]
fn exit_codes_and_both_streams_are_captured() {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
    let run = run(cmd, Duration::from_secs(10));
    assert_eq!((run.code, run.timed_out), (Some(3), false));
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("out\n", "err\n")
    );
}
