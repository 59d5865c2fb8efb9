//! Scale benchmark: real Terraform 1.15.5 against the sandbox, with the provider attached in
//! `--debug` mode (TF_REATTACH_PROVIDERS), so its own CPU time and peak memory come from
//! /proc/PID while Terraform's CPU comes from the waited children of this process. Run it
//! with `cargo xtask bench`; results go to docs/performance.md by hand.
//!
//! Rows: 1,000 instance pools (20 ms operations, -parallelism=20) through plan, apply,
//! refreshing plan, plan -refresh=false and destroy; 50 pools at -parallelism=10 with 2 s
//! operations as a multiple of one operation; and one create against 0.5 s, 5 s and 30 s
//! operations: the apply's overhead over the operation, and how many polls it made.
//!
//!     POOLS_PROVIDER_BIN=target/release/terraform-provider-pools \
//!     POOLS_TERRAFORM=.tools/terraform/1.15.5/terraform cargo bench --bench scale
//!
//! `POOLS_BENCH_POOLS` changes the 1,000 (for a quick look).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pools_sandbox::{Config, Sandbox};

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
    Step {
        wall,
        provider_cpu: cpu_seconds(&attached.pid()) - cpu_before,
        terraform_cpu: children_cpu_seconds() - tf_before,
    }
}

fn config(dir: &Path, count: usize) {
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

    println!("## {n} instance pools (20 ms operations, -parallelism=20)\n");
    println!("| step | wall | provider CPU | Terraform CPU |\n|---|---|---|---|");
    let sb = sandbox(&rt, Duration::from_millis(20));
    let attached = attach(&provider, &sb);
    let dir = scratch("scale");
    config(&dir, n);
    let rows: [(&str, &[&str]); 5] = [
        (
            "plan (create)",
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-parallelism=20",
                "-out=create.tfplan",
            ],
        ),
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
        (
            "plan (refresh, no changes)",
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-parallelism=20",
                "-detailed-exitcode",
            ],
        ),
        (
            "plan -refresh=false",
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-parallelism=20",
                "-refresh=false",
                "-detailed-exitcode",
            ],
        ),
        (
            "destroy",
            &[
                "destroy",
                "-auto-approve",
                "-input=false",
                "-no-color",
                "-parallelism=20",
            ],
        ),
    ];
    for (name, args) in rows {
        let step = terraform(&tf, &dir, &attached, args);
        println!(
            "| {name} | {:.2} s | {:.2} s | {:.2} s |",
            step.wall.as_secs_f64(),
            step.provider_cpu,
            step.terraform_cpu
        );
    }
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
    config(&dir, 50);
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
        config(&dir, 1);
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
