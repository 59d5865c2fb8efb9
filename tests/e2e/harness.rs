//! The e2e harness: which Terraform CLIs and provider binary to use, throwaway working
//! directories, and running `terraform` in a clean, bounded environment.

// Each test module uses only some of these helpers.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::terraform_env;

/// Every Terraform version the provider is tested with: the newest and our oldest (6.0).
pub const TERRAFORM_VERSIONS: [&str; 2] = ["1.15.5", "1.0.3"];

pub use crate::terraform_env::PROVIDER_SOURCE;

/// How long one Terraform command may take before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// One installed Terraform CLI.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub version: &'static str,
    pub path: PathBuf,
}

/// The Terraform CLIs under test: `$POOLS_TERRAFORM_DIR/<version>/terraform`, else the ones
/// `cargo xtask install-tools` puts in `.tools/`. Panics if one is missing: never skip.
pub fn terraforms() -> Vec<Terraform> {
    let dir = match std::env::var_os("POOLS_TERRAFORM_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/terraform"),
    };
    TERRAFORM_VERSIONS
        .iter()
        .map(|&version| {
            let path = dir.join(version).join("terraform");
            assert!(
                path.is_file(),
                "Terraform {version} is missing at {}: run `cargo xtask install-tools` \
                 (or `cargo xtask test`, which does it)",
                path.display()
            );
            Terraform { version, path }
        })
        .collect()
}

/// The provider binary: `$POOLS_PROVIDER_BIN` (the release build `cargo xtask test` makes),
/// else the debug build cargo made for this test.
pub fn provider_bin() -> PathBuf {
    let path = match std::env::var_os("POOLS_PROVIDER_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-pools")),
    };
    assert!(
        path.is_file(),
        "provider binary missing at {}",
        path.display()
    );
    path
}

/// Runs `check` once per Terraform version, all of them even if one fails, then panics
/// naming every version that failed.
pub fn for_each_terraform(check: impl Fn(&Terraform)) {
    let failed: Vec<String> = terraforms()
        .iter()
        .filter_map(|tf| {
            catch_unwind(AssertUnwindSafe(|| check(tf)))
                .err()
                .map(|panic| format!("Terraform {}: {}", tf.version, panic_message(&panic)))
        })
        .collect();
    assert!(failed.is_empty(), "failed with {}", failed.join("\n\n"));
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "(non-text panic)".to_string()
    }
}

/// A fresh directory under the system temp dir, removed (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("pools-e2e-{label}-{}-{n}", std::process::id()));
        // A leftover from a killed run with the same pid would otherwise leak into this test.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let file = self.path.join(name);
        fs::write(&file, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
        file
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// The CLI configuration that makes Terraform load `provider` (no `init` needed).
pub fn cli_config(provider: &Path) -> String {
    terraform_env::cli_config(provider).unwrap_or_else(|e| panic!("{e}"))
}

/// A Terraform working directory wired to the provider under test.
pub struct Workspace {
    pub terraform: Terraform,
    dir: TempDir,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Workspace {
    pub fn new(terraform: &Terraform) -> Workspace {
        let dir = TempDir::new(&format!("tf{}", terraform.version));
        let cli_config = dir.write("cli.tfrc", &cli_config(&provider_bin()));
        Workspace {
            terraform: terraform.clone(),
            dir,
            cli_config,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A working directory whose CLI configuration is `cli_config` (say, a provider mirror
    /// instead of the dev override).
    pub fn with_cli_config(terraform: &Terraform, cli_config: &str) -> Workspace {
        let dir = TempDir::new(&format!("tf{}", terraform.version));
        let cli_config = dir.write("cli.tfrc", cli_config);
        Workspace {
            terraform: terraform.clone(),
            dir,
            cli_config,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (e.g. `main.tf`) into the working directory.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        self.dir.write(name, contents)
    }

    /// Adds an environment variable for Terraform and the provider (e.g. `TF_LOG`).
    pub fn env(mut self, key: &str, value: &str) -> Workspace {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Workspace {
        self.timeout = timeout;
        self
    }

    /// Runs `terraform <args>` here with a clean environment: only PATH and TMPDIR are
    /// inherited, so no stray TF_* variable or ~/.terraformrc changes what is tested.
    pub fn terraform(&self, args: &[&str]) -> Run {
        let mut cmd =
            terraform_env::terraform_command(&self.terraform.path, self.path(), &self.cli_config);
        cmd.args(args).envs(self.env.iter().map(|(k, v)| (k, v)));
        run(cmd, self.timeout)
    }

    /// Like [`Workspace::terraform`], with `extra` environment variables for this run only
    /// (say, a log level for one step).
    pub fn terraform_with_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut cmd =
            terraform_env::terraform_command(&self.terraform.path, self.path(), &self.cli_config);
        cmd.args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(extra.iter().copied());
        run(cmd, self.timeout)
    }
}

/// What a finished (or killed) command did.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    /// The exit code; `None` if it was killed by a signal or timed out.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout then stderr, for assertions that do not care where Terraform wrote.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the command exited with 0.
    pub fn assert_success(&self) -> &Run {
        assert!(self.success(), "expected success:\n{self}");
        self
    }

    /// Panics unless the command exited with a non-zero code (a timeout is not a failure).
    pub fn assert_failure(&self) -> &Run {
        assert!(
            matches!(self.code, Some(c) if c != 0),
            "expected a non-zero exit:\n{self}"
        );
        self
    }

    /// Panics unless the output contains `needle`.
    pub fn assert_output_contains(&self, needle: &str) -> &Run {
        assert!(
            self.output().contains(needle),
            "expected output to contain {needle:?}:\n{self}"
        );
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ending = if self.timed_out {
            "timed out".to_string()
        } else {
            format!("exit code {:?}", self.code)
        };
        write!(
            f,
            "$ {}\n[{ending}]\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` (stdin closed, output captured) and kills its whole process group, including
/// any provider it started, if it outlives `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> Run {
    let command = describe(&cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let started = Instant::now();
    let (code, timed_out) = match done_rx.recv_timeout(timeout) {
        Ok(Ok(status)) => (status.code(), false),
        Ok(Err(e)) => panic!("waiting for `{command}` failed: {e}"),
        Err(_) => {
            kill_process_group(pid);
            (None, true)
        }
    };
    // Grace for the readers: a leftover grandchild may still hold the pipes open.
    let grace = Duration::from_secs(5).max(timeout.saturating_sub(started.elapsed()));
    Run {
        command,
        code,
        timed_out,
        stdout: collect(stdout, grace),
        stderr: collect(stderr, grace),
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

fn collect(rx: mpsc::Receiver<Vec<u8>>, wait: Duration) -> String {
    let bytes = rx
        .recv_timeout(wait)
        .unwrap_or_else(|_| b"(output still open; not collected)".to_vec());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The group's id is the leader's pid (we made it a leader with `process_group(0)`).
fn kill_process_group(pid: u32) {
    let group: OsString = format!("-{pid}").into();
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(group)
        .status();
}

/// The newest Terraform under test, for features older ones lack.
pub fn newest_terraform() -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == TERRAFORM_VERSIONS[0])
        .unwrap_or_else(|| panic!("Terraform {} is missing", TERRAFORM_VERSIONS[0]))
}

/// An in-process sandbox whose operations take 100 ms, with the runtime it runs on (drop
/// the sandbox first).
pub fn quick_sandbox() -> (pools_sandbox::Sandbox, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let config = pools_sandbox::Config {
        operation_duration: Duration::from_millis(100),
        warm_pool_settle: Duration::from_millis(100),
        ..pools_sandbox::Config::default()
    };
    let listen = "127.0.0.1:0".parse().expect("a literal socket address");
    let sandbox = rt
        .block_on(pools_sandbox::Sandbox::start(config, listen))
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    (sandbox, rt)
}

impl Workspace {
    /// Points the provider at `sandbox`'s two APIs, with its credentials, through the
    /// environment (as a user's CI would point it at the real ones).
    pub fn against(self, sandbox: &pools_sandbox::Sandbox) -> Workspace {
        self.env("EXOSCALE_API_ENDPOINT", &sandbox.exoscale_endpoint())
            .env("EXOSCALE_API_KEY", pools_sandbox::DEFAULT_EXOSCALE_KEY)
            .env(
                "EXOSCALE_API_SECRET",
                pools_sandbox::DEFAULT_EXOSCALE_SECRET,
            )
            .env("ONA_BASE_URL", &sandbox.ona_endpoint())
            .env("ONA_API_KEY", pools_sandbox::DEFAULT_ONA_TOKEN)
    }
}
