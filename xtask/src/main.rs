//! Developer tasks for terraform-provider-pools, run as `cargo xtask <task>`.
//!
//! Std-only on purpose: it must build in seconds on a fresh machine and shells out to
//! cargo, python3/pip and tar for the real work.

mod bench;
mod codegen;
mod demo;
mod release;
mod run;
mod sandbox;
mod test;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

/// One `cargo xtask <name>` command.
struct Task {
    name: &'static str,
    about: &'static str,
    /// The flags it accepts; it gets the ones given.
    flags: &'static [&'static str],
    run: fn(&Repo, &[String]) -> Result<(), String>,
}

/// Every task; new ones (demo, docs) are one entry each.
const TASKS: &[Task] = &[
    Task {
        name: "test",
        about: "the one test command: fmt, clippy, doc, install-tools, release build, cargo test",
        flags: &[],
        run: |repo, _| test::run(repo),
    },
    Task {
        name: "docs",
        about: "regenerate docs/ from the provider's schema and examples/",
        flags: &[],
        run: |repo, _| {
            run::step("docs", || {
                let mut cargo = std::process::Command::new(env!("CARGO"));
                cargo
                    .args(["test", "--quiet", "--test", "docs"])
                    .env("POOLS_UPDATE_DOCS", "1")
                    .current_dir(&repo.root);
                run::status(&mut cargo)
            })
        },
    },
    Task {
        name: "codegen",
        about: "regenerate the committed protobuf/gRPC code in src/plugin/proto/ from proto/",
        flags: &[],
        run: |repo, _| codegen::run(repo),
    },
    Task {
        name: "bench",
        about: "benchmarks against a Go reference provider (results: docs/performance.md)",
        flags: &[],
        run: |repo, _| bench::run(repo),
    },
    Task {
        name: "install-tools",
        about: "install the test tools (Python packages, Terraform CLIs) into .tools/",
        flags: &[],
        run: |repo, _| tools::install(repo).map(|_| ()),
    },
    Task {
        name: "release",
        about: "release archives, manifest and SHA256SUMS in dist/ (signed with GPG_FINGERPRINT if set)",
        flags: &[],
        run: |repo, _| release::run(repo),
    },
    Task {
        name: "demo",
        about: "build, start the sandbox, apply examples/demo (create, scale, destroy) [--verbose]",
        flags: &["--verbose"],
        run: demo::run,
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        print_usage();
        return ExitCode::FAILURE;
    };
    if matches!(name.as_str(), "help" | "-h" | "--help") {
        print_usage();
        return ExitCode::SUCCESS;
    }
    let Some(task) = TASKS.iter().find(|task| task.name == name) else {
        eprintln!("xtask: unknown task `{name}`\n");
        print_usage();
        return ExitCode::FAILURE;
    };
    let flags = &args[1..];
    if let Some(unknown) = flags.iter().find(|f| !task.flags.contains(&f.as_str())) {
        eprintln!(
            "xtask: `{name}` does not take `{unknown}` (it takes: {:?})",
            task.flags
        );
        return ExitCode::FAILURE;
    }
    let result = Repo::locate().and_then(|repo| (task.run)(&repo, flags));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask {name}: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_usage() {
    eprintln!("usage: cargo xtask <task>\n\ntasks:");
    for task in TASKS {
        eprintln!("  {:<15} {}", task.name, task.about);
    }
}

/// Where things are in the repository and its build output.
pub struct Repo {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Repo {
    fn locate() -> Result<Repo, String> {
        // xtask/ sits directly under the workspace root.
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(PathBuf::from)
            .ok_or("xtask's manifest directory has no parent")?;
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            // Relative to where cargo was started, as cargo itself reads it.
            Some(dir) if !dir.is_empty() => std::env::current_dir()
                .map_err(|e| format!("cannot read the current directory: {e}"))?
                .join(dir),
            _ => root.join("target"),
        };
        Ok(Repo { root, target_dir })
    }

    /// The git-ignored folder holding everything `install-tools` fetches.
    pub fn tools_dir(&self) -> PathBuf {
        self.root.join(".tools")
    }
}
