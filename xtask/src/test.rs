//! `cargo xtask test`: the one command that checks everything, locally and in CI.
//!
//! Every cargo step uses the default profiles and the caller's RUSTFLAGS untouched, so the
//! steps share their build caches and a second run rebuilds nothing.

use crate::run;
use crate::tools;
use crate::Repo;
use std::time::Instant;

pub fn run(repo: &Repo) -> Result<(), String> {
    let start = Instant::now();
    run::step("cargo fmt --all --check", || {
        run::status(run::cargo(repo).args(["fmt", "--all", "--check"]))
    })?;
    run::step(
        "cargo clippy --workspace --all-targets -- -D warnings",
        || {
            run::status(run::cargo(repo).args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        },
    )?;
    // Broken or private doc links fail here; after clippy, the dependencies are checked
    // already, so this documents the workspace's own crates only (seconds).
    run::step("cargo doc --workspace --no-deps (warnings denied)", || {
        run::status(
            run::cargo(repo)
                .args(["doc", "--workspace", "--no-deps", "--quiet"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        )
    })?;
    let tools = run::step("install-tools", || tools::install(repo))?;
    crate::release::build(repo)?;
    // The install test (tests/e2e/install.rs) builds a provider mirror from these.
    let dist = run::step("package dist/", || crate::release::package(repo, None))?;
    let release = repo.target_dir.join("release");
    let threads = test_threads();
    run::step("cargo test --workspace --no-fail-fast", || {
        println!("(RUST_TEST_THREADS={threads})");
        run::status(
            run::cargo(repo)
                .args(["test", "--workspace", "--no-fail-fast"])
                .env("RUST_TEST_THREADS", &threads)
                .env(
                    "POOLS_PROVIDER_BIN",
                    release.join("terraform-provider-pools"),
                )
                .env("POOLS_SANDBOX_BIN", release.join("pools-sandbox"))
                .env("POOLS_TERRAFORM_DIR", &tools.terraform_dir)
                .env("POOLS_PYTHONPATH", &tools.python_dir)
                .env("POOLS_DIST_DIR", &dist.dir),
        )
    })?;
    println!("all steps passed in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// How many tests each test binary runs at once: the caller's `RUST_TEST_THREADS` if set,
/// else at least 6 whatever the core count. The e2e tests (and many unit tests of retries
/// and waits) mostly wait on Terraform subprocesses, sandbox delays and backoff sleeps: on 2
/// cores the e2e binary took 71 s with libtest's default of 2 threads and 54 s with 6, the
/// library's unit tests 19 s for 4 s of CPU. No test asserts an upper bound on a duration.
fn test_threads() -> String {
    match std::env::var("RUST_TEST_THREADS") {
        Ok(threads) if !threads.is_empty() => threads,
        _ => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(6)
            .to_string(),
    }
}
