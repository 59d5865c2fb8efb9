//! `cargo xtask demo`: builds the provider, starts the sandbox and takes `examples/demo`
//! through create, scale, a clean plan and destroy with Terraform 1.15.5. Each change is
//! planned into a file, the plan shown, then exactly that plan applied, with Terraform's
//! progress as it waits; for each command, how long it took and which API calls it made.

use crate::run;
use crate::sandbox::{count_routes, SandboxProcess};
use crate::tools;
use crate::Repo;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// The e2e tests' own file (std-only for this): the demo runs Terraform exactly as they do.
#[path = "../../tests/e2e/terraform_env.rs"]
mod terraform_env;

/// The Terraform the demo runs (the newest the tests install).
const TERRAFORM: &str = "1.15.5";
/// Backend delays: Terraform reports a resource still changing every 10 s, so operations
/// of 12 s show the provider waiting ("Still creating... [10s elapsed]") and keep the
/// whole demo under a minute.
const SANDBOX_ARGS: &[&str] = &["--operation-ms", "12000", "--warm-pool-ms", "12000"];
/// The sandbox's default credentials.
const CREDENTIALS: [(&str, &str); 3] = [
    ("EXOSCALE_API_KEY", "EXOsandboxkey"),
    ("EXOSCALE_API_SECRET", "sandboxsecret"),
    ("ONA_API_KEY", "sandboxtoken"),
];
/// How long one Terraform command may run before it is interrupted.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(300);

/// One step of the demo: a plan and, for a change, the apply of exactly that plan.
struct Step {
    name: &'static str,
    /// The arguments of `terraform plan` beyond those every plan gets.
    plan: &'static [&'static str],
    /// A change is planned (it must find changes), shown, then applied; a check must find
    /// none.
    change: bool,
}

const STEPS: &[Step] = &[
    Step {
        name: "create",
        plan: &[],
        change: true,
    },
    Step {
        name: "scale to 4",
        plan: &["-var", "size=4"],
        change: true,
    },
    Step {
        name: "plan again: no changes",
        plan: &["-var", "size=4"],
        change: false,
    },
    Step {
        name: "destroy",
        plan: &["-destroy", "-var", "size=4"],
        change: true,
    },
];

/// The file a change's plan is saved to and applied from, in the working directory.
const PLAN_FILE: &str = "tfplan";

impl Step {
    /// `terraform plan` for this step. `-detailed-exitcode`: 0 = no changes, 2 = changes.
    fn plan_args(&self) -> Vec<&'static str> {
        let mut args = vec!["plan", "-detailed-exitcode", "-input=false"];
        if self.change {
            args.extend(["-out", PLAN_FILE]);
        }
        args.extend(self.plan);
        args
    }

    /// The exit code of a plan that found what this step expects.
    fn expected_plan_code(&self) -> i32 {
        if self.change {
            2
        } else {
            0
        }
    }
}

/// `terraform apply` of a saved plan: it asks nothing and does exactly what was shown.
const APPLY_ARGS: &[&str] = &["apply", "-input=false", PLAN_FILE];

pub fn run(repo: &Repo, flags: &[String]) -> Result<(), String> {
    let verbose = flags.iter().any(|f| f == "--verbose");
    let start = Instant::now();
    let tools = run::step("install-tools", || tools::install(repo))?;
    // The same build as `cargo xtask test`, so the two share every artifact.
    crate::release::build(repo)?;
    let release = repo.target_dir.join("release");
    let scratch = ScratchDir::new()?;
    let sandbox = run::step("start pools-sandbox", || {
        let sandbox = SandboxProcess::start(
            &release.join("pools-sandbox"),
            SANDBOX_ARGS,
            &scratch.path.join("sandbox.log"),
        )?;
        println!("    {} ({})", sandbox.url(), SANDBOX_ARGS.join(" "));
        Ok(sandbox)
    })?;
    let terraform = Terraform::prepare(
        &tools.terraform_dir.join(TERRAFORM).join("terraform"),
        &release.join("terraform-provider-pools"),
        &repo.root.join("examples/demo"),
        &scratch,
        &sandbox,
        verbose,
    )?;
    let mut timings = Vec::new();
    for step in STEPS {
        let step_start = Instant::now();
        let plan = step.plan_args();
        run::step(&label(step, &plan), || {
            run_command(&terraform, &sandbox, &plan, step.expected_plan_code())
        })?;
        if step.change {
            run::step(&label(step, APPLY_ARGS), || {
                run_command(&terraform, &sandbox, APPLY_ARGS, 0)
            })?;
        }
        timings.push(format!(
            "{} {:.1} s",
            step.name,
            step_start.elapsed().as_secs_f64()
        ));
    }
    println!(
        "demo finished in {:.1} s ({})",
        start.elapsed().as_secs_f64(),
        timings.join(", ")
    );
    Ok(())
}

/// "create: terraform plan -detailed-exitcode -out tfplan": the command as the reader would
/// type it (-input=false only keeps Terraform from ever prompting: no news for them).
fn label(step: &Step, args: &[&str]) -> String {
    let shown: Vec<&str> = args
        .iter()
        .copied()
        .filter(|arg| *arg != "-input=false")
        .collect();
    format!("{}: terraform {}", step.name, shown.join(" "))
}

/// Runs one Terraform command, which must exit with `expected`, and prints what it did:
/// the plan it made, Terraform's verdict, the outputs and the API calls (those also when
/// it failed).
fn run_command(
    terraform: &Terraform,
    sandbox: &SandboxProcess,
    args: &[&str],
    expected: i32,
) -> Result<(), String> {
    let before = sandbox.routes()?.len();
    let outcome = terraform.run(args)?;
    let routes = sandbox.routes()?;
    let calls = routes.get(before..).unwrap_or_default();
    let calls = format!("API calls ({}): {}", calls.len(), count_routes(calls));
    if outcome.code != Some(expected) {
        println!("    {calls}");
        if !terraform.verbose {
            println!("{}", indent(&outcome.output));
        }
        let code = outcome.code.map_or("a signal".into(), |c| c.to_string());
        return Err(format!(
            "`terraform {}` exited with {code}, not {expected} (its output is above)",
            args.join(" ")
        ));
    }
    if !terraform.verbose {
        if let Some(plan) = planned_actions(&outcome.output) {
            println!("{}", indent(&plan));
        }
    }
    for line in summary(&outcome.output) {
        println!("    {line}");
    }
    println!("    {calls}");
    Ok(())
}

/// What a plan will do, as Terraform shows it: each resource's changes with their
/// attributes (`~ size = 2 -> 4`), the counts and the outputs' changes. `None` when the
/// output holds no planned actions (no changes, or not a plan).
fn planned_actions(output: &str) -> Option<String> {
    let start = output.find("Terraform will perform the following actions:")?;
    let actions = output[start..].split_once('\n')?.1;
    // The plan ends at Terraform's rule (a line of box-drawing dashes) before "Saved the
    // plan to", or with the output.
    let end = actions
        .lines()
        .position(|line| line.starts_with('\u{2500}'))
        .unwrap_or(usize::MAX);
    let lines: Vec<&str> = actions.lines().take(end).collect();
    let text = lines.join("\n");
    let text = text.trim_matches('\n');
    (!text.is_empty()).then(|| text.to_string())
}

/// Terraform's verdict line ("Apply complete! ...", "No changes. ...") and its outputs,
/// on one line.
fn summary(output: &str) -> Vec<String> {
    let verdict = output.lines().find(|line| {
        ["Apply complete!", "Destroy complete!", "No changes."]
            .iter()
            .any(|start| line.starts_with(start))
    });
    let outputs: Vec<&str> = output
        .lines()
        .skip_while(|line| *line != "Outputs:")
        .skip(1)
        .filter(|line| line.contains(" = "))
        .collect();
    let mut lines: Vec<String> = verdict.map(str::to_string).into_iter().collect();
    if !outputs.is_empty() {
        lines.push(format!("outputs: {}", outputs.join(", ")));
    }
    lines
}

/// Whether Terraform's line reports progress on one of our resources (creating, still
/// creating, modification complete, ...), which the demo shows as it happens.
fn is_progress(line: &str) -> bool {
    line.starts_with("pools_")
        && ["Creat", "Modif", "Destr", "Still"]
            .iter()
            .any(|verb| line.contains(&format!(": {verb}")))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    | {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Terraform 1.15.5 wired to the release provider and the sandbox, in a copy of the demo
/// config, run as the e2e tests run it.
struct Terraform {
    cli: PathBuf,
    workdir: PathBuf,
    cli_config: PathBuf,
    log: PathBuf,
    env: Vec<(&'static str, String)>,
    verbose: bool,
}

/// How a Terraform command ended: its exit code (`None` if killed) and its whole output.
struct Outcome {
    code: Option<i32>,
    output: String,
}

impl Terraform {
    fn prepare(
        cli: &Path,
        provider: &Path,
        example: &Path,
        scratch: &ScratchDir,
        sandbox: &SandboxProcess,
        verbose: bool,
    ) -> Result<Terraform, String> {
        if !cli.is_file() {
            return Err(format!(
                "Terraform {TERRAFORM} is missing at {}",
                cli.display()
            ));
        }
        let workdir = scratch.path.join("demo");
        copy_tf_files(example, &workdir)?;
        let cli_config = scratch.path.join("cli.tfrc");
        write(&cli_config, &terraform_env::cli_config(provider)?)?;
        let mut env: Vec<(&str, String)> = CREDENTIALS
            .iter()
            .map(|(key, value)| (*key, value.to_string()))
            .collect();
        env.push(("EXOSCALE_API_ENDPOINT", sandbox.exoscale_endpoint()));
        env.push(("ONA_BASE_URL", sandbox.ona_endpoint()));
        Ok(Terraform {
            cli: cli.to_path_buf(),
            workdir,
            cli_config,
            log: scratch.path.join("terraform.log"),
            env,
            verbose,
        })
    }

    /// Runs `terraform <args> -no-color`, printing progress lines as they come
    /// (every line with `--verbose`), and interrupts it after TERRAFORM_TIMEOUT.
    fn run(&self, args: &[&str]) -> Result<Outcome, String> {
        // One file for stdout and stderr keeps their lines in order.
        let out = File::create(&self.log)
            .map_err(|e| format!("cannot create {}: {e}", self.log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", self.log.display()))?;
        let mut cmd = terraform_env::terraform_command(&self.cli, &self.workdir, &self.cli_config);
        cmd.args(args)
            .arg("-no-color")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let command = run::describe(&cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start `{command}`: {e}"))?;
        let mut tail = Tail::open(&self.log)?;
        let deadline = Instant::now() + TERRAFORM_TIMEOUT;
        let status = loop {
            tail.print_new_lines(self.verbose);
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    interrupt(&mut child);
                    return Err(format!(
                        "`{command}` did not finish within {TERRAFORM_TIMEOUT:?}; interrupted it"
                    ));
                }
                Ok(None) => thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(format!("waiting for `{command}` failed: {e}")),
            }
        };
        tail.print_new_lines(self.verbose);
        Ok(Outcome {
            code: status.code(),
            output: tail.everything,
        })
    }
}

/// Reads a growing log file, remembering all of it.
struct Tail {
    file: File,
    everything: String,
    /// Where the first line not yet printed starts in `everything`.
    printed: usize,
}

impl Tail {
    fn open(path: &Path) -> Result<Tail, String> {
        let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Tail {
            file,
            everything: String::new(),
            printed: 0,
        })
    }

    fn print_new_lines(&mut self, all: bool) {
        let mut bytes = Vec::new();
        if self.file.read_to_end(&mut bytes).is_err() {
            return;
        }
        self.everything.push_str(&String::from_utf8_lossy(&bytes));
        // Only whole lines: Terraform may be in the middle of writing the last one.
        let complete = self.everything.rfind('\n').map_or(0, |i| i + 1);
        if complete <= self.printed {
            return;
        }
        for line in self.everything[self.printed..complete].lines() {
            if all || is_progress(line) {
                println!("    {line}");
            }
        }
        self.printed = complete;
    }
}

/// Asks Terraform to stop (it then stops the provider cleanly), then kills it.
fn interrupt(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    for _ in 0..300 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Copies the `*.tf` files of `from` into a new directory `to` (no state, no lock file).
fn copy_tf_files(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot list {}: {e}", from.display()))?;
    let mut copied = 0;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", from.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "tf") {
            if let Some(name) = path.file_name() {
                fs::copy(&path, to.join(name))
                    .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
                copied += 1;
            }
        }
    }
    if copied == 0 {
        return Err(format!("no .tf files in {}", from.display()));
    }
    Ok(())
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A fresh directory under the system temp dir, removed with its contents on drop.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new() -> Result<ScratchDir, String> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("pools-demo-{}-{n}", std::process::id()));
        // A leftover of a killed run with the same pid must not leak into this one.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests;
