//! Scale benchmark: real Terraform 1.15.5 against the sandbox, with the provider attached in
//! `--debug` mode (TF_REATTACH_PROVIDERS), so its own CPU time and peak memory come from
//! /proc/PID while Terraform's CPU comes from the waited children of this process. Run it
//! with `cargo xtask bench`; results go to docs/performance.md by hand.
//!
//! Rows: 1,000 instance pools in two zones (20 ms operations, -parallelism=20) through plan,
//! apply, refreshing plan, plan -refresh=false and destroy, with the API calls of the
//! refreshing plan; then, before the destroy, both plans again with every API request 50 ms
//! late (a remote API's round trip), and a refreshing plan after one pool was scaled and
//! one deleted outside Terraform (then an apply that puts them back). 50 pools at
//! -parallelism=10 with 2 s operations as a multiple of one operation; and one create
//! against 0.5 s, 5 s and 30 s operations: the apply's overhead over the operation, and how
//! many polls it made.
//!
//!     POOLS_PROVIDER_BIN=target/release/terraform-provider-pools \
//!     POOLS_TERRAFORM=.tools/terraform/1.15.5/terraform cargo bench --bench scale
//!
//! `POOLS_BENCH_POOLS` changes the 1,000 (for a quick look).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pools_sandbox::{Config, FaultRule, Sandbox};
use terraform_provider_pools::exoscale::api::ExoscaleClient;

#[path = "support/debug_provider.rs"]
mod debug_provider;
use debug_provider::{cpu_seconds, DebugProvider};

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";

fn env_path(name: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(default));
    assert!(path.is_file(), "{name}: no file at {}", path.display());
    path
}

/// Waited children's CPU (cutime + cstime) of this process, in seconds.
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc stat");
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields[13].parse::<f64>().expect("cutime") + fields[14].parse::<f64>().expect("cstime");
    ticks / 100.0
}

/// Peak resident memory (VmHWM) in MiB.
fn peak_rss_mib(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

/// The provider in `--debug` mode, talking to `sandbox`; Terraform attaches to it.
fn attach(provider: &Path, sandbox: &Sandbox) -> DebugProvider {
    let mut command = Command::new(provider);
    command
        .env("EXOSCALE_API_ENDPOINT", sandbox.exoscale_endpoint())
        .env("EXOSCALE_API_KEY", pools_sandbox::DEFAULT_EXOSCALE_KEY)
        .env(
            "EXOSCALE_API_SECRET",
            pools_sandbox::DEFAULT_EXOSCALE_SECRET,
        )
        .env("ONA_BASE_URL", sandbox.ona_endpoint())
        .env("ONA_API_KEY", pools_sandbox::DEFAULT_ONA_TOKEN);
    DebugProvider::start(command)
}

struct Step {
    wall: Duration,
    provider_cpu: f64,
    terraform_cpu: f64,
    /// The `Plan: ...` line, or else the last line of the output.
    summary: String,
}

fn terraform(tf: &Path, dir: &Path, attached: &DebugProvider, args: &[&str]) -> Step {
    let (cpu_before, tf_before, start) = (
        cpu_seconds(&attached.pid()),
        children_cpu_seconds(),
        Instant::now(),
    );
    let out = Command::new(tf)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TF_REATTACH_PROVIDERS", &attached.reattach)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", dir.join("none.tfrc"))
        .output()
        .expect("terraform runs");
    let wall = start.elapsed();
    let code = out.status.code();
    assert!(
        code == Some(0) || (args.contains(&"-detailed-exitcode") && code == Some(2)),
        "terraform {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = || stdout.lines().map(str::trim).filter(|l| !l.is_empty());
    let summary = lines()
        .find(|l| l.starts_with("Plan:"))
        .or_else(|| lines().next_back())
        .unwrap_or_default()
        .to_string();
    Step {
        wall,
        provider_cpu: cpu_seconds(&attached.pid()) - cpu_before,
        terraform_cpu: children_cpu_seconds() - tf_before,
        summary,
    }
}

fn row(name: &str, step: &Step) {
    println!(
        "| {name} | {:.2} s | {:.2} s | {:.2} s |",
        step.wall.as_secs_f64(),
        step.provider_cpu,
        step.terraform_cpu
    );
}

/// The requests the sandbox logged since it was last cleared: how many, and by route.
fn calls_by_route(sb: &Sandbox) -> String {
    let routes = sb.requests().routes();
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for route in &routes {
        match counted.iter_mut().find(|(r, _)| r == route) {
            Some((_, n)) => *n += 1,
            None => counted.push((route, 1)),
        }
    }
    counted.sort();
    let each: Vec<String> = counted.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!("{} ({})", routes.len(), each.join(", "))
}

/// Both plans with every API request served 50 ms late: their walls, and the ratio of the
/// refreshing plan's to the other's.
fn against_latency(
    tf: &Path,
    dir: &Path,
    attached: &DebugProvider,
    sb: &Sandbox,
    refreshing: &[&str],
    not_refreshing: &[&str],
) -> String {
    sb.faults()
        .add(FaultRule::parse("*=latency:50").expect("a fault rule"));
    let fixed = terraform(tf, dir, attached, not_refreshing);
    sb.requests().clear();
    let refreshed = terraform(tf, dir, attached, refreshing);
    let calls = calls_by_route(sb);
    sb.faults().clear();
    let (fixed, refreshed) = (fixed.wall.as_secs_f64(), refreshed.wall.as_secs_f64());
    format!(
        "\nWith every request 50 ms late: plan -refresh=false {fixed:.2} s, refreshing plan {refreshed:.2} s = {:.2}x (its API calls: {calls})",
        refreshed / fixed
    )
}

/// One pool scaled (in ch-gva-2) and one deleted (in de-fra-1) outside Terraform: the
/// refreshing plan's wall, calls and plan summary; then an apply puts both back.
fn drift(
    rt: &tokio::runtime::Runtime,
    tf: &Path,
    dir: &Path,
    attached: &DebugProvider,
    sb: &Sandbox,
    refreshing: &[&str],
) -> String {
    let client = ExoscaleClient::new(
        pools_sandbox::DEFAULT_EXOSCALE_KEY,
        pools_sandbox::DEFAULT_EXOSCALE_SECRET,
        &sb.exoscale_endpoint(),
    )
    .expect("client");
    rt.block_on(async {
        let id_of = |pools: Vec<terraform_provider_pools::exoscale::api::wire::InstancePool>,
                     name: &str| {
            pools
                .into_iter()
                .find(|p| p.name.as_deref() == Some(name))
                .and_then(|p| p.id)
                .expect("the pool exists")
        };
        let scaled = id_of(
            client.list_instance_pools("ch-gva-2").await.expect("list"),
            "bench-4",
        );
        let deleted = id_of(
            client.list_instance_pools("de-fra-1").await.expect("list"),
            "bench-7",
        );
        client
            .scale_instance_pool("ch-gva-2", &scaled, 2)
            .await
            .expect("scale");
        client
            .delete_instance_pool("de-fra-1", &deleted)
            .await
            .expect("delete");
        // Both operations end after 20 ms.
        tokio::time::sleep(Duration::from_millis(200)).await;
    });
    sb.requests().clear();
    let step = terraform(tf, dir, attached, refreshing);
    let calls = calls_by_route(sb);
    terraform(
        tf,
        dir,
        attached,
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=20",
        ],
    );
    format!(
        "\nAfter one pool scaled and one deleted outside Terraform: refreshing plan {:.2} s, provider CPU {:.2} s, API calls {calls}; {}",
        step.wall.as_secs_f64(),
        step.provider_cpu,
        step.summary
    )
}

/// Every pool in the provider's zone (ch-gva-2), or half of them in each zone.
const ONE_ZONE: &str = "\"ch-gva-2\"";
const TWO_ZONES: &str = "count.index % 2 == 0 ? \"ch-gva-2\" : \"de-fra-1\"";

/// `count` pools, in the zone that the HCL expression `zone` gives each.
fn config(dir: &Path, count: usize, zone: &str) {
    std::fs::write(
        dir.join("main.tf"),
        format!(
            r#"terraform {{
  required_providers {{
    pools = {{ source = "terraform.local/pools/pools" }}
  }}
}}

resource "pools_instance_pool" "p" {{
  count         = {count}
  name          = "bench-${{count.index}}"
  zone          = {zone}
  size          = 1
  instance_type = "standard.small"
  template_id   = "{UBUNTU}"
  disk_size     = 10
}}
"#
        ),
    )
    .expect("write main.tf");
}

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pools-bench-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn sandbox(rt: &tokio::runtime::Runtime, operation: Duration) -> Sandbox {
    let config = Config {
        operation_duration: operation,
        warm_pool_settle: operation,
        ..Config::default()
    };
    rt.block_on(Sandbox::start(
        config,
        "127.0.0.1:0".parse().expect("address"),
    ))
    .expect("sandbox starts")
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let provider = env_path(
        "POOLS_PROVIDER_BIN",
        "target/release/terraform-provider-pools",
    );
    let tf = env_path("POOLS_TERRAFORM", ".tools/terraform/1.15.5/terraform");
    let n: usize = std::env::var("POOLS_BENCH_POOLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    println!("## {n} instance pools in two zones (20 ms operations, -parallelism=20)\n");
    println!("| step | wall | provider CPU | Terraform CPU |\n|---|---|---|---|");
    let sb = sandbox(&rt, Duration::from_millis(20));
    let attached = attach(&provider, &sb);
    let dir = scratch("scale");
    config(&dir, n, TWO_ZONES);
    let plan: &[&str] = &["plan", "-input=false", "-no-color", "-parallelism=20"];
    let refreshing = [plan, &["-detailed-exitcode"]].concat();
    let not_refreshing = [plan, &["-refresh=false", "-detailed-exitcode"]].concat();
    let rows: [(&str, &[&str]); 4] = [
        ("plan (create)", &[plan, &["-out=create.tfplan"]].concat()),
        (
            "apply (create)",
            &[
                "apply",
                "-input=false",
                "-no-color",
                "-parallelism=20",
                "create.tfplan",
            ],
        ),
        ("plan (refresh, no changes)", &refreshing),
        ("plan -refresh=false", &not_refreshing),
    ];
    let mut calls = String::new();
    for (name, args) in rows {
        sb.requests().clear();
        let step = terraform(&tf, &dir, &attached, args);
        row(name, &step);
        if name.starts_with("plan (refresh") {
            calls = calls_by_route(&sb);
        }
    }
    let latency = against_latency(&tf, &dir, &attached, &sb, &refreshing, &not_refreshing);
    let drift = drift(&rt, &tf, &dir, &attached, &sb, &refreshing);
    let destroy = [
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=20",
    ];
    let step = terraform(&tf, &dir, &attached, &destroy);
    row("destroy", &step);
    println!("\nAPI calls of the refreshing plan: {calls}\n{latency}\n{drift}");
    println!(
        "\nPeak provider RSS: {:.1} MiB",
        peak_rss_mib(&attached.pid())
    );
    drop(attached);
    drop(sb);
    let _ = std::fs::remove_dir_all(&dir);

    let operation = Duration::from_secs(2);
    let sb = sandbox(&rt, operation);
    let attached = attach(&provider, &sb);
    let dir = scratch("fifty");
    config(&dir, 50, ONE_ZONE);
    let step = terraform(
        &tf,
        &dir,
        &attached,
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=10",
        ],
    );
    println!(
        "\n## 50 pools, -parallelism=10, 2 s operations\n\napply: {:.2} s = {:.2}x one operation (floor 5.0x)",
        step.wall.as_secs_f64(),
        step.wall.as_secs_f64() / operation.as_secs_f64()
    );
    terraform(
        &tf,
        &dir,
        &attached,
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=10",
        ],
    );
    drop(attached);
    drop(sb);
    let _ = std::fs::remove_dir_all(&dir);

    // The baseline (an operation that is done at once) is Terraform's and the provider's
    // fixed cost; the overhead is what a wait adds beyond the operation itself.
    println!("\n## One create against slow operations\n\n| operation | apply wall | overhead beyond the operation and the baseline | polls |\n|---|---|---|---|");
    let mut baseline = None;
    for seconds in [0.0, 0.5, 5.0, 30.0] {
        let operation = Duration::from_secs_f64(seconds);
        let sb = sandbox(&rt, operation);
        let attached = attach(&provider, &sb);
        let dir = scratch("overhead");
        config(&dir, 1, ONE_ZONE);
        terraform(
            &tf,
            &dir,
            &attached,
            &["plan", "-input=false", "-no-color", "-out=one.tfplan"],
        );
        sb.requests().clear();
        let step = terraform(
            &tf,
            &dir,
            &attached,
            &["apply", "-input=false", "-no-color", "one.tfplan"],
        );
        let polls = sb
            .requests()
            .routes()
            .iter()
            .filter(|r| **r == "get-operation")
            .count();
        let wall = step.wall.as_secs_f64();
        let base = *baseline.get_or_insert(wall);
        println!(
            "| {seconds} s | {wall:.3} s | {:.0} ms | {polls} |",
            (wall - base - seconds) * 1000.0
        );
        drop(attached);
        drop(sb);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
