//! Both APIs over HTTPS with a private CA (issue 10 item 2): the sandbox serves TLS with a
//! CA it makes; the provider trusts it through `ca_file`, or through `SSL_CERT_FILE`, and
//! without either refuses it with a certificate error that says what to do.

use std::time::Duration;

use pools_sandbox::ona::fixtures::{CLASS_SMALL_ID, PROJECT_ID};
use pools_sandbox::{Config, Sandbox};

use crate::harness::{terraforms, Run, Workspace, PROVIDER_SOURCE};

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";

/// `provider` is the provider block's body.
fn config(provider: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

provider "pools" {{
{provider}}}

resource "pools_instance_pool" "web" {{
  name          = "web"
  zone          = "ch-gva-2"
  size          = 1
  instance_type = "standard.small"
  template_id   = "{UBUNTU}"
  disk_size     = 20
}}

resource "pools_warm_pool" "w" {{
  project_id           = "{PROJECT_ID}"
  environment_class_id = "{CLASS_SMALL_ID}"
}}
"#
    )
}

const WITH_CA_FILE: &str =
    "  exoscale {\n    ca_file = \"ca.pem\"\n  }\n  ona {\n    ca_file = \"ca.pem\"\n  }\n";

/// Terraform wraps diagnostics at 78 columns: compare with runs of whitespace as one space.
fn assert_says(run: &Run, phrase: &str) {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&run.output()).contains(&flat(phrase)),
        "expected the output to say {phrase:?}:\n{run}"
    );
}

/// The provider's `TLS roots` line says where its roots came from.
fn assert_roots(run: &Run, source: &str, certificates: &str, fallback: &str) {
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("provider.terraform-provider-pools: TLS roots:"))
        .unwrap_or_else(|| panic!("no TLS roots line:\n{run}"));
    for field in [
        format!("source={source}"),
        format!("certificates={certificates}"),
        format!("built_in_fallback={fallback}"),
    ] {
        assert!(line.split(' ').any(|f| f == field), "{field} not in {line}");
    }
}

#[test]
fn private_ca_through_ca_file_or_ssl_cert_file() {
    let tf = terraforms()
        .into_iter()
        .find(|tf| tf.version == "1.15.5")
        .expect("Terraform 1.15.5 is among the tested versions");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let sandbox_config = Config {
        operation_duration: Duration::from_millis(200),
        warm_pool_settle: Duration::from_millis(200),
        tls: true,
        ..Config::default()
    };
    let sandbox = runtime
        .block_on(Sandbox::start(
            sandbox_config,
            "127.0.0.1:0".parse().expect("address"),
        ))
        .expect("sandbox starts");
    assert!(sandbox.url().starts_with("https://"), "{}", sandbox.url());
    let baseline = sandbox.shared.exoscale.pool_count();
    let ws = Workspace::new(&tf).against(&sandbox);
    let ca = ws.write("ca.pem", sandbox.ca_pem().expect("a TLS sandbox has a CA"));
    let routes = || {
        let routes = sandbox.requests().routes();
        sandbox.requests().clear();
        routes
    };

    // With `ca_file` (a path relative to the working directory) both pools are made.
    ws.write("main.tf", &config(WITH_CA_FILE));
    ws.terraform(&["apply", "-auto-approve", "-no-color"])
        .assert_success()
        .assert_output_contains("2 added, 0 changed, 0 destroyed");
    let made = routes();
    assert!(
        made.contains(&"create-instance-pool") && made.contains(&"CreateWarmPool"),
        "{made:?}"
    );
    assert_eq!(sandbox.shared.exoscale.pool_count(), baseline + 1);
    assert_eq!(sandbox.shared.ona.pool_count(), 1);
    let plan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, Some(0), "nothing to do after the apply:\n{plan}");

    // Without it the certificate is refused, for each API, before anything is sent.
    ws.write("main.tf", &config(""));
    routes();
    let refused = ws.terraform(&["plan", "-no-color"]);
    refused.assert_failure();
    for api in ["Exoscale API", "Ona API"] {
        assert_says(&refused, &format!("{api}: "));
    }
    assert_says(&refused, "invalid peer certificate: UnknownIssuer");
    assert_says(
        &refused,
        "the server's certificate is not signed by an authority the provider trusts",
    );
    assert_says(
        &refused,
        "as `ca_file` in the provider's block for this API",
    );
    let output = refused.output();
    assert!(
        !output.contains("panic") && !output.contains("crashed"),
        "a refused certificate is an error, not a crash:\n{refused}"
    );
    assert_eq!(routes(), Vec::<&str>::new(), "the handshake failed first");

    // SSL_CERT_FILE stands in for the system's store: the CA named there is trusted, and
    // the built-in roots are not added to a store that has certificates.
    let ca_path = ca.to_str().expect("a UTF-8 temp path");
    let trusted = ws.terraform_with_env(
        &["plan", "-detailed-exitcode", "-no-color"],
        &[("SSL_CERT_FILE", ca_path), ("TF_LOG_PROVIDER", "DEBUG")],
    );
    assert_eq!(trusted.code, Some(0), "{trusted}");
    assert!(!routes().is_empty(), "the plan read the pools");
    assert_roots(&trusted, "SSL_CERT_FILE/SSL_CERT_DIR", "1", "false");

    // A store with no certificate at all (here SSL_CERT_DIR naming an empty directory)
    // falls back to the built-in Mozilla roots, which do not know the sandbox's CA.
    let empty = ws.path().join("no-certs");
    std::fs::create_dir_all(&empty).expect("an empty directory");
    let fallback = ws.terraform_with_env(
        &["plan", "-no-color"],
        &[
            ("SSL_CERT_DIR", empty.to_str().expect("a UTF-8 temp path")),
            ("TF_LOG_PROVIDER", "DEBUG"),
        ],
    );
    fallback.assert_failure();
    assert_says(&fallback, "invalid peer certificate: UnknownIssuer");
    assert_roots(&fallback, "SSL_CERT_FILE/SSL_CERT_DIR", "0", "true");
    assert_eq!(routes(), Vec::<&str>::new());

    // A CA file that is not PEM fails at configure, naming the attribute.
    ws.write("not-a-ca.pem", "not a certificate\n");
    ws.write(
        "main.tf",
        &config("  ona {\n    ca_file = \"not-a-ca.pem\"\n  }\n"),
    );
    let unusable = ws.terraform(&["plan", "-no-color"]);
    unusable.assert_failure();
    assert_says(&unusable, "Unusable CA file");
    assert_says(
        &unusable,
        "`ona.ca_file`: \"not-a-ca.pem\" holds no PEM certificate",
    );
    assert_eq!(routes(), Vec::<&str>::new(), "nothing is sent");

    ws.write("main.tf", &config(WITH_CA_FILE));
    ws.terraform(&["destroy", "-auto-approve", "-no-color"])
        .assert_success();
    assert_eq!(sandbox.shared.exoscale.pool_count(), baseline);
    assert_eq!(sandbox.shared.ona.pool_count(), 0);
}
