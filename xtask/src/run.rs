//! Running external commands loudly: every failure says which command failed and how.

use crate::Repo;
use std::process::{Command, Output};
use std::time::Instant;

/// The cargo that runs this task (as cargo sets $CARGO), in the repository root, building
/// into the one target dir every task and test shares, so no step rebuilds another's work.
///
/// Without the variables `cargo run` set for xtask itself (CARGO_PKG_NAME=xtask and so
/// on): build scripts that watch them (ring's does) would otherwise see another value than
/// in a plain `cargo build`, and ring with everything above it (rustls, reqwest, the
/// provider) would be rebuilt whenever xtask and plain cargo take turns.
pub fn cargo(repo: &Repo) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&repo.root)
        .env("CARGO_TARGET_DIR", &repo.target_dir);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(set_by_cargo_run) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Whether `cargo run` sets `key` for the program it runs (the package's own metadata).
fn set_by_cargo_run(key: &str) -> bool {
    key.starts_with("CARGO_PKG_")
        || key.starts_with("CARGO_MANIFEST_")
        || matches!(
            key,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

/// Renders a command as a person would type it, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a command with inherited stdio and fails unless it exits with 0.
pub fn status(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` exited with {status}", describe(cmd)))
    }
}

/// Runs a command, captures its output and fails (showing its stderr) unless it exits with 0.
pub fn output(cmd: &mut Command) -> Result<Output, String> {
    let output = cmd
        .output()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "`{}` exited with {}\n--- stdout ---\n{}--- stderr ---\n{}",
            describe(cmd),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        ))
    }
}

/// Runs one named step of a task, announcing it and how long it took.
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    println!("==> {name}");
    let start = Instant::now();
    let result = f();
    let seconds = start.elapsed().as_secs_f64();
    match &result {
        Ok(_) => println!("<== {name}: ok in {seconds:.1} s"),
        Err(_) => println!("<== {name}: FAILED after {seconds:.1} s"),
    }
    result.map_err(|e| format!("step `{name}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cargo sets CARGO_PKG_NAME and CARGO_MANIFEST_DIR for this test as `cargo run` does
    /// for xtask: the cargo that xtask starts must not inherit them.
    #[test]
    fn cargo_runs_without_the_variables_cargo_run_set_for_xtask() {
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let repo = Repo::locate().unwrap_or_else(|e| panic!("{e}"));
        let cmd = cargo(&repo);
        let removed: Vec<String> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key.to_string_lossy().into_owned())
            .collect();
        for key in ["CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_MANIFEST_DIR"] {
            assert!(
                removed.iter().any(|k| k == key),
                "{key} not removed: {removed:?}"
            );
        }
        assert!(!removed
            .iter()
            .any(|k| k == "CARGO_TARGET_DIR" || k == "CARGO_HOME"));
        assert!(set_by_cargo_run("CARGO_PKG_VERSION_MAJOR"));
        assert!(!set_by_cargo_run("CARGO_TARGET_DIR"));
        assert!(!set_by_cargo_run("CARGO_HOME"));
    }
}
