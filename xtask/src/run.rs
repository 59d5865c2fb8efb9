//! Running external commands loudly: every failure says which command failed and how.

use crate::Repo;
use std::process::{Command, Output};
use std::time::Instant;

/// The cargo that runs this task (as cargo sets $CARGO), in the repository root, building
/// into the one target dir every task and test shares, so no step rebuilds another's work.
pub fn cargo(repo: &Repo) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&repo.root)
        .env("CARGO_TARGET_DIR", &repo.target_dir);
    cmd
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
