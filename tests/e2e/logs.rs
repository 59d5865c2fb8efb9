//! The provider's logs as Terraform shows them (issue 10 item 1): a whole lifecycle of both
//! resources at `TF_LOG=TRACE` shows every HTTP attempt (with a retried 503 on each API),
//! the waits and the plan decisions, and never a credential; `TF_LOG_PROVIDER` sets the
//! provider's level on its own.

use std::collections::BTreeMap;
use std::time::Duration;

use pools_sandbox::ona::fixtures::{CLASS_SMALL_ID, PROJECT_ID};
use pools_sandbox::{Config, FaultRule, Sandbox, DEFAULT_EXOSCALE_KEY};

use crate::harness::{terraforms, Run, Terraform, Workspace, PROVIDER_SOURCE};

/// Credentials distinctive enough that any appearance in the output is a leak.
const EXOSCALE_SECRET: &str = "exo-secret-4f1d7c0a9b2e";
const ONA_TOKEN: &str = "ona-token-8c2e5b7d31a6";
/// What only an Authorization header would carry: the header values' fixed parts (the
/// EXO2 signature itself is in the same header, after `signature=`).
const HEADER_MARKERS: &[&str] = &["Bearer ", "EXO2-HMAC-SHA256", "signature=", "credential="];

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";

fn newest() -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == "1.15.5")
        .expect("Terraform 1.15.5 is among the tested versions")
}

/// Both resources, with the credentials in the provider block (so they travel through
/// Terraform's configuration to the provider, as sensitive values).
fn config(sandbox: &Sandbox, size: u32, max_size: u32) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

provider "pools" {{
  exoscale {{
    key      = "{DEFAULT_EXOSCALE_KEY}"
    secret   = "{EXOSCALE_SECRET}"
    endpoint = "{exoscale}"
  }}
  ona {{
    token    = "{ONA_TOKEN}"
    endpoint = "{ona}"
  }}
}}

resource "pools_instance_pool" "web" {{
  name          = "web"
  zone          = "ch-gva-2"
  size          = {size}
  instance_type = "standard.small"
  template_id   = "{UBUNTU}"
  disk_size     = 20
}}

resource "pools_warm_pool" "w" {{
  project_id           = "{PROJECT_ID}"
  environment_class_id = "{CLASS_SMALL_ID}"
  min_size             = 1
  max_size             = {max_size}
}}
"#,
        exoscale = sandbox.exoscale_endpoint(),
        ona = sandbox.ona_endpoint(),
    )
}

/// The fields of each provider log line with this message, as Terraform re-logs them:
/// `... [DEBUG] provider.terraform-provider-pools: MESSAGE: k=v k="v w" ...` (field order
/// varies from line to line).
fn logged(output: &str, message: &str) -> Vec<BTreeMap<String, String>> {
    let marker = format!("provider.terraform-provider-pools: {message}:");
    output
        .lines()
        .filter_map(|line| line.split_once(&marker))
        .map(|(_, fields)| parse_fields(fields))
        .collect()
}

/// `k=v k="quoted \"value\""` into a map (Go's quoting: backslash escapes).
fn parse_fields(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ').is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if key.is_empty() || chars.next().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ' ')));
        }
        fields.insert(key, value);
    }
    fields
}

fn field<'a>(line: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    line.get(name).map_or("", String::as_str)
}

/// The attempt lines for `method` on a path containing `path_part`.
fn attempts<'a>(
    lines: &'a [BTreeMap<String, String>],
    method: &str,
    path_part: &str,
) -> Vec<&'a BTreeMap<String, String>> {
    lines
        .iter()
        .filter(|l| field(l, "method") == method && field(l, "path").contains(path_part))
        .collect()
}

fn assert_no_secrets(run: &Run) {
    let output = run.output();
    for secret in [EXOSCALE_SECRET, ONA_TOKEN].iter().chain(HEADER_MARKERS) {
        assert!(!output.contains(secret), "{secret:?} appears in:\n{run}");
    }
}

/// A failed attempt that is retried, then its retry with the pause and the reason.
fn assert_retried_503(
    lines: &[BTreeMap<String, String>],
    method: &str,
    path_part: &str,
    reason: &str,
) {
    let tries = attempts(lines, method, path_part);
    let failed = tries
        .iter()
        .find(|l| field(l, "status") == "503")
        .unwrap_or_else(|| panic!("no 503 attempt on {path_part} in {tries:#?}"));
    assert_eq!(
        (field(failed, "attempt"), field(failed, "error")),
        ("1", "server"),
        "{failed:#?}"
    );
    let retry_in = field(failed, "retry_in_ms");
    let retry = tries
        .iter()
        .find(|l| field(l, "attempt") == "2")
        .unwrap_or_else(|| panic!("no retry on {path_part} in {tries:#?}"));
    assert_eq!(field(retry, "status"), "200", "{retry:#?}");
    assert_eq!(field(retry, "retry_reason"), reason, "{retry:#?}");
    assert_eq!(
        field(retry, "pause_ms"),
        retry_in,
        "{failed:#?} then {retry:#?}"
    );
    let pause: u64 = retry_in.parse().unwrap_or_else(|_| panic!("{failed:#?}"));
    // The first backoff step is 200 ms less up to half of it for jitter.
    assert!((100..=200).contains(&pause), "{failed:#?}");
}

#[test]
fn a_lifecycle_at_trace_shows_every_call_and_no_secret() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let sandbox_config = Config {
        exoscale_secret: EXOSCALE_SECRET.into(),
        ona_token: ONA_TOKEN.into(),
        operation_duration: Duration::from_millis(300),
        warm_pool_settle: Duration::from_millis(300),
        faults: vec![
            FaultRule::parse("get-instance-pool=status:503*1").expect("fault"),
            FaultRule::parse("GetWarmPool=status:503*1").expect("fault"),
        ],
        ..Config::default()
    };
    let sandbox = runtime
        .block_on(Sandbox::start(
            sandbox_config,
            "127.0.0.1:0".parse().expect("address"),
        ))
        .expect("sandbox starts");
    let ws = Workspace::new(&newest());
    let trace = [("TF_LOG", "TRACE")];
    let mut runs = Vec::new();

    ws.write("main.tf", &config(&sandbox, 1, 2));
    let create = ws.terraform_with_env(&["apply", "-auto-approve", "-no-color"], &trace);
    create.assert_success();
    let lines = logged(&create.stderr, "HTTP attempt");
    let created = attempts(&lines, "POST", "/ch-gva-2/v2/instance-pool");
    assert!(
        created.iter().any(|l| field(l, "status") == "200"
            && field(l, "api") == "Exoscale API"
            && field(l, "path") == "/ch-gva-2/v2/instance-pool"
            && field(l, "attempt") == "1"
            && field(l, "duration_ms").parse::<u64>().is_ok()),
        "no successful create-instance-pool line in {created:#?}\n{create}"
    );
    let created = attempts(&lines, "POST", "/gitpod.v1.PrebuildService/CreateWarmPool");
    assert!(
        created.iter().any(|l| field(l, "status") == "200"
            && field(l, "api") == "Ona API"
            && field(l, "path") == "/api/gitpod.v1.PrebuildService/CreateWarmPool"),
        "no successful CreateWarmPool line in {created:#?}\n{create}"
    );
    assert_retried_503(
        &lines,
        "GET",
        "/ch-gva-2/v2/instance-pool/",
        "503 Service Unavailable",
    );
    assert_retried_503(
        &lines,
        "POST",
        "/GetWarmPool",
        "503 Service Unavailable (unavailable)",
    );
    let waits = logged(&create.stderr, "waiting");
    assert!(
        waits
            .iter()
            .any(|w| field(w, "for").contains("Exoscale API operation"))
            && waits.iter().any(|w| field(w, "for").contains("warm pool")),
        "waits are logged at DEBUG: {waits:#?}"
    );
    runs.push(create);

    ws.write("main.tf", &config(&sandbox, 2, 3));
    let update = ws.terraform_with_env(&["apply", "-auto-approve", "-no-color"], &trace);
    update.assert_success();
    let lines = logged(&update.stderr, "HTTP attempt");
    assert!(
        attempts(&lines, "PUT", ":scale")
            .iter()
            .any(|l| field(l, "status") == "200"),
        "no scale line:\n{update}"
    );
    assert!(
        attempts(&lines, "POST", "/UpdateWarmPool")
            .iter()
            .any(|l| field(l, "status") == "200"),
        "no UpdateWarmPool line:\n{update}"
    );
    let decisions = logged(&update.stderr, "plan");
    assert!(
        decisions
            .iter()
            .any(|d| !field(d, "attribute").is_empty() && !field(d, "decision").is_empty()),
        "plan decisions are logged at TRACE:\n{update}"
    );
    runs.push(update);

    // TF_LOG_PROVIDER alone sets the provider's level: its DEBUG lines show, its TRACE
    // lines (plan decisions) do not, and Terraform's own lines stay off.
    let plan = ws.terraform_with_env(
        &["plan", "-detailed-exitcode", "-no-color"],
        &[("TF_LOG_PROVIDER", "DEBUG")],
    );
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(
        !logged(&plan.stderr, "HTTP attempt").is_empty(),
        "TF_LOG_PROVIDER=DEBUG shows the calls:\n{plan}"
    );
    assert!(logged(&plan.stderr, "plan").is_empty(), "{plan}");
    assert!(!plan.stderr.contains("[TRACE]"), "{plan}");
    runs.push(plan);
    // ... and OFF silences the provider whatever TF_LOG says.
    let quiet = ws.terraform_with_env(
        &["plan", "-detailed-exitcode", "-no-color"],
        &[("TF_LOG", "TRACE"), ("TF_LOG_PROVIDER", "OFF")],
    );
    assert_eq!(quiet.code, Some(0), "{quiet}");
    assert!(quiet.stderr.contains("[TRACE]"), "{quiet}");
    assert!(
        !quiet.stderr.contains("provider.terraform-provider-pools:"),
        "{quiet}"
    );
    runs.push(quiet);

    let destroy = ws.terraform_with_env(&["destroy", "-auto-approve", "-no-color"], &trace);
    destroy.assert_success();
    let lines = logged(&destroy.stderr, "HTTP attempt");
    assert!(
        attempts(&lines, "DELETE", "")
            .iter()
            .any(|l| field(l, "status") == "200"),
        "no delete line:\n{destroy}"
    );
    assert!(
        attempts(&lines, "POST", "/DeleteWarmPool")
            .iter()
            .any(|l| field(l, "status") == "200"),
        "no DeleteWarmPool line:\n{destroy}"
    );
    runs.push(destroy);

    for run in &runs {
        assert_no_secrets(run);
    }
    assert_eq!(sandbox.shared.ona.pool_count(), 0);
}

#[test]
fn fields_parse_like_terraform_writes_them() {
    let fields = parse_fields(r#" api="Ona API" attempt=2 reason="say \"hi\"" @module=pools"#);
    assert_eq!(field(&fields, "api"), "Ona API");
    assert_eq!(field(&fields, "attempt"), "2");
    assert_eq!(field(&fields, "reason"), r#"say "hi""#);
    assert_eq!(field(&fields, "@module"), "pools");
}
