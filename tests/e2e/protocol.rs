//! The protocol core seen from Terraform (issue 3 item 7): schema, validation and an
//! empty plan, with every Terraform version we support.

use crate::harness::{for_each_terraform, Workspace, PROVIDER_SOURCE};
use serde_json::{json, Value};

fn required_providers() -> String {
    format!("terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n")
}

/// A complete provider configuration pointing at a (never contacted) local sandbox.
fn good_config() -> String {
    required_providers()
        + r#"
provider "pools" {
  exoscale {
    key      = "EXOsandboxkey"
    secret   = "sandboxsecret"
    zone     = "ch-gva-2"
    endpoint = "http://127.0.0.1:9/{zone}/v2"
  }
  ona {
    token    = "sandboxtoken"
    endpoint = "http://127.0.0.1:9/api"
  }
}
"#
}

#[test]
fn schema_shows_the_provider_configuration() {
    for_each_terraform(|tf| {
        let ws = Workspace::new(tf);
        ws.write("main.tf", &good_config());
        let run = ws.terraform(&["providers", "schema", "-json"]);
        run.assert_success();
        let json: Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{run}"));
        let provider = &json["provider_schemas"][PROVIDER_SOURCE]["provider"]["block"];
        assert!(
            provider.is_object(),
            "no provider schema for {PROVIDER_SOURCE}:\n{run}"
        );

        let expected = [
            (
                "exoscale",
                &[
                    ("key", false),
                    ("secret", true),
                    ("zone", false),
                    ("endpoint", false),
                    ("ca_file", false),
                    ("failure_window", false),
                    ("default_labels", false),
                ][..],
            ),
            (
                "ona",
                &[
                    ("token", true),
                    ("endpoint", false),
                    ("ca_file", false),
                    ("failure_window", false),
                ][..],
            ),
        ];
        for (block, attributes) in expected {
            let attrs = &provider["block_types"][block]["block"]["attributes"];
            let names: Vec<&str> = attrs
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let mut wanted: Vec<&str> = attributes.iter().map(|(name, _)| *name).collect();
            let mut found = names.clone();
            wanted.sort_unstable();
            found.sort_unstable();
            assert_eq!(found, wanted, "attributes of block `{block}`");
            for (name, sensitive) in attributes {
                let attr = &attrs[*name];
                let path = format!("{block}.{name}");
                let kind = match *name {
                    "default_labels" => json!(["map", "string"]),
                    _ => json!("string"),
                };
                assert_eq!(attr["type"], kind, "{path}: {attr}");
                assert_eq!(attr["optional"], true, "{path} must be optional: {attr}");
                assert_ne!(
                    attr["required"], true,
                    "{path} must not be required: {attr}"
                );
                assert_eq!(
                    attr["sensitive"] == true,
                    *sensitive,
                    "{path} sensitivity: {attr}"
                );
            }
        }
    });
}

/// Terraform prunes a provider nothing uses before validating (seen in TF_LOG=trace of both
/// versions: "pruning unused provider"), so provider-config checks need one consumer. A
/// list data source with no arguments is the smallest; validate never reads it.
const CONSUMER: &str = "\ndata \"pools_instance_pools\" \"all\" {}\n";

#[test]
fn validate_accepts_a_good_provider_config() {
    for_each_terraform(|tf| {
        let ws = Workspace::new(tf);
        ws.write("main.tf", &(good_config() + CONSUMER));
        ws.terraform(&["validate", "-no-color"])
            .assert_success()
            .assert_output_contains("The configuration is valid");
    });
}

#[test]
fn validate_rejects_an_unknown_zone_naming_attribute_and_allowed_values() {
    for_each_terraform(|tf| {
        let ws = Workspace::new(tf);
        let bad = "\nprovider \"pools\" {\n  exoscale {\n    zone = \"mars-1\"\n  }\n}\n";
        ws.write("main.tf", &(required_providers() + bad + CONSUMER));
        let run = ws.terraform(&["validate", "-no-color"]);
        run.assert_failure()
            .assert_output_contains("mars-1")
            .assert_output_contains("ch-gva-2");
        // Either the message names the path, or Terraform points at the attribute's line
        // (it only quotes that line when the diagnostic carries the attribute path).
        let output = run.output();
        assert!(
            output.contains("exoscale.zone") || output.contains("zone = \"mars-1\""),
            "the error must name the attribute exoscale.zone:\n{run}"
        );
    });
}

#[test]
fn plan_with_only_a_provider_block_has_no_changes() {
    for_each_terraform(|tf| {
        let ws = Workspace::new(tf);
        ws.write("main.tf", &good_config());
        ws.terraform(&["plan", "-no-color", "-input=false"])
            .assert_success()
            .assert_output_contains("No changes");
    });
}
