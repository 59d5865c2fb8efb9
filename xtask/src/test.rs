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
    let tools = run::step("install-tools", || tools::install(repo))?;
    run::step("cargo build --release --workspace --bins", || {
        run::status(run::cargo(repo).args(["build", "--release", "--workspace", "--bins"]))
    })?;
    // The install test (tests/e2e/install.rs) builds a provider mirror from these.
    let dist = run::step("package dist/", || crate::release::package(repo, None))?;
    let release = repo.target_dir.join("release");
    run::step("cargo test --workspace --no-fail-fast", || {
        run::status(
            run::cargo(repo)
                .args(["test", "--workspace", "--no-fail-fast"])
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
