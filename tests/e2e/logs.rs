//! The provider's logs as Terraform shows them (issue 10 item 1, issue 21 item 4): a whole
//! lifecycle of several pools of both resources, created under `-parallelism` at DEBUG,
//! then changed and destroyed at TRACE. Every line names its RPC, request id, resource type
//! and provider; every HTTP attempt shows (with a retried 503 on each API), then at TRACE
//! the bodies of each attempt; the waits and the plan decisions show too; never a
//! credential nor user data. `TF_LOG_PROVIDER` sets the provider's level on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use pools_sandbox::ona::fixtures::{CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID};
use pools_sandbox::{Config, FaultRule, Sandbox};

use crate::harness::{terraforms, Run, Terraform, Workspace, PROVIDER_SOURCE};

/// Credentials distinctive enough that any appearance in the output is a leak.
const EXOSCALE_KEY: &str = "EXOkey2b7e4d91c0a3";
const EXOSCALE_SECRET: &str = "exo-secret-4f1d7c0a9b2e";
const ONA_TOKEN: &str = "ona-token-8c2e5b7d31a6";
/// What only an Authorization header would carry: the header values' fixed parts (the
/// EXO2 signature itself is in the same header, after `signature=`).
const HEADER_MARKERS: &[&str] = &["Bearer ", "EXO2-HMAC-SHA256", "signature=", "credential="];

/// Secrets in the user data (which often carries some), before and after the update.
const USER_DATA_SECRETS: [&str; 2] = ["ud-secret-first-71c3", "ud-secret-second-0e58"];

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";

/// Instance pools and warm pools created at once (two warm pools: the sandbox's project
/// has prebuilds for two environment classes).
const INSTANCE_POOLS: usize = 3;
const WARM_POOLS: usize = 2;

fn newest() -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == "1.15.5")
        .expect("Terraform 1.15.5 is among the tested versions")
}

/// Several pools of both resources, with the credentials in the provider block (so they
/// travel through Terraform's configuration to the provider, as sensitive values) and
/// sensitive user data; `step` 0 or 1 picks the sizes and the user data.
fn config(sandbox: &Sandbox, step: usize) -> String {
    let (size, max_size) = ([1, 2][step], [2, 3][step]);
    // In HCL, a newline in a string is written `\n`.
    let hcl_user_data = user_data(step).0.replace('\n', "\\n");
    format!(
        r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

provider "pools" {{
  exoscale {{
    key      = "{EXOSCALE_KEY}"
    secret   = "{EXOSCALE_SECRET}"
    endpoint = "{exoscale}"
  }}
  ona {{
    token    = "{ONA_TOKEN}"
    endpoint = "{ona}"
  }}
}}

resource "pools_instance_pool" "web" {{
  count         = {INSTANCE_POOLS}
  name          = "web-${{count.index}}"
  zone          = "ch-gva-2"
  size          = {size}
  instance_type = "standard.small"
  template_id   = "{UBUNTU}"
  disk_size     = 20
  user_data     = sensitive("{hcl_user_data}")
}}

resource "pools_warm_pool" "w" {{
  for_each             = toset(["{CLASS_SMALL_ID}", "{CLASS_LARGE_ID}"])
  project_id           = "{PROJECT_ID}"
  environment_class_id = each.value
  min_size             = 1
  max_size             = {max_size}
}}
"#,
        exoscale = sandbox.exoscale_endpoint(),
        ona = sandbox.ona_endpoint(),
    )
}

/// The user data of `step` as the provider receives it, and as the API does (base64).
fn user_data(step: usize) -> (String, String) {
    let text = format!(
        "#cloud-config\nruncmd: [echo {}]\n",
        USER_DATA_SECRETS[step]
    );
    let sent = base64::engine::general_purpose::STANDARD.encode(&text);
    (text, sent)
}

type Fields = BTreeMap<String, String>;

/// One line the provider wrote, as Terraform re-logs it: `... [DEBUG]
/// provider.terraform-provider-pools: MESSAGE: k=v k="v w" ...` (field order varies from
/// line to line).
#[derive(Debug)]
struct Line {
    message: String,
    fields: Fields,
}

/// Every line the provider wrote. A message may hold ": " itself: the fields start where
/// what follows parses as fields with `@module` among them.
fn provider_lines(output: &str) -> Vec<Line> {
    const MARKER: &str = "provider.terraform-provider-pools: ";
    output
        .lines()
        .filter_map(|line| line.split_once(MARKER))
        .map(|(_, rest)| {
            rest.match_indices(": ")
                .find_map(|(at, _)| {
                    let fields = parse_fields(&rest[at + 2..]);
                    fields.contains_key("@module").then(|| Line {
                        message: rest[..at].to_string(),
                        fields,
                    })
                })
                .unwrap_or_else(|| panic!("a provider line without fields: {rest}"))
        })
        .collect()
}

/// The fields of each provider line with this message.
fn logged(output: &str, message: &str) -> Vec<Fields> {
    provider_lines(output)
        .into_iter()
        .filter(|line| line.message == message)
        .map(|line| line.fields)
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

fn field<'a>(line: &'a Fields, name: &str) -> &'a str {
    line.get(name).map_or("", String::as_str)
}

/// The attempt lines for `method` on a path containing `path_part`.
fn attempts<'a>(lines: &'a [Fields], method: &str, path_part: &str) -> Vec<&'a Fields> {
    lines
        .iter()
        .filter(|l| field(l, "method") == method && field(l, "path").contains(path_part))
        .collect()
}

/// No credential, nothing of an Authorization header, no user data (as given or as sent).
fn assert_no_secrets(run: &Run) {
    let output = run.output();
    let in_user_data = (0..USER_DATA_SECRETS.len()).flat_map(|step| {
        let (_, sent) = user_data(step);
        [USER_DATA_SECRETS[step].to_string(), sent]
    });
    let credentials = [EXOSCALE_KEY, EXOSCALE_SECRET, ONA_TOKEN];
    let secrets = credentials
        .iter()
        .chain(HEADER_MARKERS)
        .map(|s| s.to_string());
    for secret in secrets.chain(in_user_data) {
        assert!(!output.contains(&secret), "{secret:?} appears in:\n{run}");
    }
}

/// The RPCs about the provider itself, which serve no type.
const PROVIDER_RPCS: &[&str] = &[
    "GetMetadata",
    "GetProviderSchema",
    "GetResourceIdentitySchemas",
    "ValidateProviderConfig",
    "ConfigureProvider",
    "StopProvider",
];
/// What the server logs outside any RPC, as Terraform starts and stops it.
const OUTSIDE_RPCS: &[&str] = &["plugin server listening", "shutdown requested by Terraform"];

/// Every provider line names the provider; every one written while serving an RPC names
/// the RPC, its request id and, for a resource RPC, the resource type; one request id
/// belongs to one RPC of one type; an HTTP call's lines name the resource type of its API.
fn assert_rpc_fields(run: &Run) -> Vec<Line> {
    let lines = provider_lines(&run.stderr);
    assert!(!lines.is_empty(), "no provider line:\n{run}");
    let mut rpcs: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for line in &lines {
        let f = &line.fields;
        assert_eq!(field(f, "tf_provider_addr"), PROVIDER_SOURCE, "{line:?}");
        let (rpc, id, resource_type) = (
            field(f, "tf_rpc"),
            field(f, "tf_req_id"),
            field(f, "tf_resource_type"),
        );
        if rpc.is_empty() {
            assert!(OUTSIDE_RPCS.contains(&line.message.as_str()), "{line:?}");
            assert_eq!((id, resource_type), ("", ""), "{line:?}");
            continue;
        }
        assert!(!id.is_empty(), "{line:?}");
        if PROVIDER_RPCS.contains(&rpc) {
            assert_eq!(resource_type, "", "{line:?}");
        } else {
            let types = ["pools_instance_pool", "pools_warm_pool"];
            assert!(types.contains(&resource_type), "{line:?}");
        }
        rpcs.entry(id).or_default().insert((rpc, resource_type));
    }
    for (id, served) in &rpcs {
        assert_eq!(served.len(), 1, "request id {id} is used by {served:?}");
    }
    for line in lines.iter().filter(|l| l.message.starts_with("HTTP ")) {
        let resource_type = match field(&line.fields, "api") {
            "Exoscale API" => "pools_instance_pool",
            _ => "pools_warm_pool",
        };
        assert_eq!(
            field(&line.fields, "tf_resource_type"),
            resource_type,
            "{line:?}"
        );
    }
    lines
}

fn http_attempts(lines: &[Line]) -> impl Iterator<Item = &Fields> {
    lines
        .iter()
        .filter(|l| l.message == "HTTP attempt")
        .map(|l| &l.fields)
}

/// The creates ran at once, each in an RPC of its own: each create call in an apply of its
/// own, the lines of two applies interleaved, and one pool per apply.
fn assert_one_rpc_per_pool(lines: &[Line]) {
    let creates = |path_end: &str| -> Vec<(&str, &str)> {
        http_attempts(lines)
            .filter(|f| field(f, "method") == "POST" && field(f, "path").ends_with(path_end))
            .map(|f| (field(f, "tf_rpc"), field(f, "tf_req_id")))
            .collect()
    };
    for (path_end, count) in [
        ("/v2/instance-pool", INSTANCE_POOLS),
        ("/CreateWarmPool", WARM_POOLS),
    ] {
        let calls = creates(path_end);
        let ids: BTreeSet<&str> = calls.iter().map(|(_, id)| *id).collect();
        assert_eq!((calls.len(), ids.len()), (count, count), "{calls:?}");
        assert!(calls.iter().all(|(rpc, _)| *rpc == "ApplyResourceChange"));
    }
    let mut spans: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let applies = lines
        .iter()
        .map(|l| &l.fields)
        .filter(|f| field(f, "tf_rpc") == "ApplyResourceChange");
    for (at, f) in applies.enumerate() {
        spans.entry(field(f, "tf_req_id")).or_insert((at, at)).1 = at;
    }
    let interleaved = spans
        .values()
        .any(|a| spans.values().any(|b| a.0 < b.0 && b.0 < a.1));
    assert!(interleaved, "the applies ran one after another: {spans:?}");
    let mut pools: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in http_attempts(lines) {
        if let Some((_, pool)) = field(f, "path").split_once("/instance-pool/") {
            let pool = pool.split(':').next().unwrap_or_default();
            pools.entry(field(f, "tf_req_id")).or_default().insert(pool);
        }
    }
    assert!(pools.len() >= INSTANCE_POOLS, "{pools:?}");
    for (id, named) in &pools {
        assert_eq!(named.len(), 1, "request {id} calls on {named:?}");
    }
}

/// At TRACE, each attempt's request body (when it has one) and its answer's body show, one
/// line each, tied to the attempt's DEBUG line (same request id, method, path, attempt).
/// Returns the bodies shown, by message, method and path.
fn assert_bodies(lines: &[Line]) -> Vec<(&str, &str, &str, &str)> {
    let attempt = |f: &Fields| {
        let key = ["tf_req_id", "method", "path", "attempt"];
        key.map(|name| field(f, name).to_string())
    };
    let made: BTreeSet<_> = http_attempts(lines).map(attempt).collect();
    let bodies: Vec<&Line> = lines
        .iter()
        .filter(|l| l.message.ends_with(" body"))
        .collect();
    for line in &bodies {
        let f = &line.fields;
        assert!(made.contains(&attempt(f)), "no attempt for {line:?}");
        assert_eq!(
            field(f, "status").is_empty(),
            line.message == "HTTP request body",
            "{line:?}"
        );
    }
    let answered = http_attempts(lines).filter(|f| !field(f, "status").is_empty());
    let responses = bodies.iter().filter(|l| l.message == "HTTP response body");
    assert_eq!(answered.count(), responses.count());
    bodies
        .iter()
        .map(|l| {
            let f = &l.fields;
            let (method, path) = (field(f, "method"), field(f, "path"));
            (l.message.as_str(), method, path, field(f, "body"))
        })
        .collect()
}

/// How a body line shows `user_data` as the API receives it: its length and hash prefix.
fn shown_user_data(step: usize) -> String {
    let (_, sent) = user_data(step);
    let hash = ring::digest::digest(&ring::digest::SHA256, sent.as_bytes());
    let hex: String = hash.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(r#""user-data":"<{} bytes, sha256 {hex}>""#, sent.len())
}

/// A failed attempt that is retried, then its retry with the pause and the reason.
fn assert_retried_503(lines: &[Fields], method: &str, path_part: &str, reason: &str) {
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
fn a_lifecycle_logs_every_rpc_call_and_body_and_no_secret() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let sandbox_config = Config {
        exoscale_key: EXOSCALE_KEY.into(),
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

    // All the pools at once, at DEBUG.
    ws.write("main.tf", &config(&sandbox, 0));
    let create = ws.terraform_with_env(
        &["apply", "-auto-approve", "-no-color", "-parallelism=5"],
        &[("TF_LOG", "DEBUG")],
    );
    create.assert_success();
    let all = assert_rpc_fields(&create);
    assert_one_rpc_per_pool(&all);
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
    // Waits are named after the change they wait for.
    let waits = logged(&create.stderr, "waiting");
    let waited_for = |label: &str| waits.iter().any(|w| field(w, "for").contains(label));
    assert!(
        waited_for("Exoscale API create operation ") && waited_for("to be READY after its create"),
        "waits are logged at DEBUG: {waits:#?}"
    );
    assert!(
        logged(&create.stderr, "HTTP request body").is_empty(),
        "bodies only at TRACE"
    );
    runs.push(create);

    // Every pool changed (a new size, new user data), at TRACE: each attempt's bodies.
    ws.write("main.tf", &config(&sandbox, 1));
    let update = ws.terraform_with_env(&["apply", "-auto-approve", "-no-color"], &trace);
    update.assert_success();
    let all = assert_rpc_fields(&update);
    let bodies = assert_bodies(&all);
    let sent = |method: &str, path_end: &str| -> Vec<&str> {
        let request = |(message, m, path, _): &&(&str, &str, &str, &str)| {
            *message == "HTTP request body" && *m == method && path.ends_with(path_end)
        };
        bodies.iter().filter(request).map(|b| b.3).collect()
    };
    let scales = sent("PUT", ":scale");
    assert_eq!(scales, [r#"{"size":2}"#; INSTANCE_POOLS], "{update}");
    let updates: Vec<&str> = bodies
        .iter()
        .filter(|(message, method, path, _)| {
            *message == "HTTP request body" && *method == "PUT" && !path.contains(':')
        })
        .map(|b| b.3)
        .collect();
    assert_eq!(updates.len(), INSTANCE_POOLS, "{update}");
    assert!(
        updates.iter().all(|b| b.contains(&shown_user_data(1))),
        "{updates:#?}"
    );
    let warm_updates = sent("POST", "/UpdateWarmPool");
    assert_eq!(warm_updates.len(), WARM_POOLS, "{update}");
    assert!(
        warm_updates
            .iter()
            .all(|b| b.contains(r#""maxSize":3"#) && b.contains(r#""warmPoolId":""#)),
        "{warm_updates:#?}"
    );
    let read_back = |(message, method, path, body): &&(&str, &str, &str, &str)| {
        *message == "HTTP response body"
            && *method == "GET"
            && path.contains("/instance-pool/")
            && body.contains(&shown_user_data(0))
    };
    assert!(
        bodies.iter().any(|b| read_back(&b)),
        "the refresh reads each pool back: {bodies:#?}"
    );
    let waits = logged(&update.stderr, "waiting");
    for label in [
        "Exoscale API update operation ",
        "Exoscale API scale operation ",
    ] {
        assert!(
            waits.iter().any(|w| field(w, "for").contains(label)),
            "{label} in {waits:#?}"
        );
    }
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
    assert_rpc_fields(&destroy);
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
