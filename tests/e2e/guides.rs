//! What the docs tell a user, done as the user would: the installing guide's and the
//! testing guide's commands run verbatim, and the behaviour the resource docs claim.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::examples::RefusingProxy;
use crate::guide_script;
use crate::harness::{newest_terraform, quick_sandbox, TempDir, Workspace, PROVIDER_SOURCE};

/// How long one guide's session may run before the test kills it.
const SESSION_TIMEOUT: Duration = Duration::from_secs(300);

fn guide(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/guides")
        .join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let script = guide_script::sh_blocks(&text).concat();
    assert!(!script.is_empty(), "{name} has no ```sh block");
    script
}

/// `$POOLS_DIST_DIR` (set by `cargo xtask test`), else `dist/`; never skipped.
fn dist_dir() -> PathBuf {
    let dir = match std::env::var_os("POOLS_DIST_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"),
    };
    assert!(
        dir.is_dir(),
        "no release files at {}: run `cargo xtask release` (or `cargo xtask test`, which does it)",
        dir.display()
    );
    dir
}

/// How a session ended, and what it wrote (stdout and stderr interleaved).
struct Session {
    code: Option<i32>,
    output: String,
}

/// Runs `script` with `bash -e` in `dir`, in an environment holding only what a user's
/// shell would: HOME, a PATH that finds Terraform 1.15.5 first, TMPDIR, and `extra`.
/// Whatever the script leaves running (a sandbox it failed to stop) is killed after it.
fn run_session(script: &str, dir: &Path, home: &Path, extra: &[(String, String)]) -> Session {
    let terraform = newest_terraform();
    let terraform_dir = terraform.path.parent().unwrap_or(Path::new("/"));
    let path = format!(
        "{}:{}",
        terraform_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let log = dir.join("../session.log");
    let out = fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let err = out.try_clone().unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new("bash");
    command
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("HOME", home)
        .env("PATH", path)
        // Terraform's version check would call checkpoint-api.hashicorp.com.
        .env("CHECKPOINT_DISABLE", "1")
        .envs(extra.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    if let Some(tmp) = std::env::var_os("TMPDIR") {
        command.env("TMPDIR", tmp);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run bash: {e}"));
    let deadline = Instant::now() + SESSION_TIMEOUT;
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            _ => break None,
        }
    };
    // The group's id is the shell's pid: this stops anything it started and left behind.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    Session {
        code,
        output: without_colours(&fs::read_to_string(&log).unwrap_or_default()),
    }
}

/// `text` without ANSI escape sequences (Terraform colours its output, as in a terminal).
fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, then one final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// The installing guide in a directory holding the release files, then the testing guide
/// in an empty one, with the same home: as a user follows them, with Terraform 1.15.5, the
/// release's own zips and a proxy that refuses everything standing in for the internet.
#[test]
fn the_installing_and_testing_guides_work_as_written() {
    let (installing, testing) = (guide("installing.md"), guide("testing-with-the-sandbox.md"));
    let root = TempDir::new("guides");
    let (home, release, work) = (
        root.path().join("home"),
        root.path().join("release"),
        root.path().join("work"),
    );
    for dir in [&home, &release, &work] {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    for entry in fs::read_dir(dist_dir()).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        fs::copy(entry.path(), release.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
    }
    let internet = RefusingProxy::start();
    // A proxy is set, as in many companies; the testing guide adds the sandbox to NO_PROXY.
    let proxy: Vec<(String, String)> = internet
        .variables()
        .into_iter()
        .filter(|(key, _)| !key.eq_ignore_ascii_case("NO_PROXY"))
        .collect();

    let version = env!("CARGO_PKG_VERSION");
    let install = run_session(&installing, &release, &home, &proxy);
    assert_eq!(install.code, Some(0), "installing.md:\n{}", install.output);
    for expected in [
        &format!("Installed {PROVIDER_SOURCE} v{version} (unauthenticated)") as &str,
        "Incomplete lock file information for providers",
        &format!("Retrieved {PROVIDER_SOURCE} {version} for linux_amd64 (unauthenticated)"),
        &format!("terraform-provider-pools {version}\n"),
        &format!("pools-sandbox {version}\n"),
    ] {
        assert!(
            install.output.contains(expected),
            "installing.md: {expected:?} missing:\n{}",
            install.output
        );
    }

    let test = run_session(&testing, &work, &home, &proxy);
    assert_eq!(
        test.code,
        Some(0),
        "testing-with-the-sandbox.md:\n{}",
        test.output
    );
    for expected in [
        "Success! 3 passed, 0 failed.",
        "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.",
        "Destroy complete! Resources: 2 destroyed.",
    ] {
        assert!(
            test.output.contains(expected),
            "testing-with-the-sandbox.md: {expected:?} missing:\n{}",
            test.output
        );
    }
    assert_eq!(
        internet.seen(),
        Vec::<String>::new(),
        "the guides sent requests beyond the machine"
    );
}

/// The `instance_type` description's claim about spelling, as real Terraform shows it:
/// state keeps the spelling of the create (and of each change of type); respelling the
/// same type (another case, or its id) plans no change and keeps the earlier spelling; an
/// import records the API's name.
#[test]
fn the_instance_type_keeps_the_spelling_of_the_create_and_of_each_change_of_type() {
    let tf = newest_terraform();
    let (sandbox, _rt) = quick_sandbox();
    let ws = Workspace::new(&tf).against(&sandbox);
    ws.write(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    pools = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

variable "instance_type" {{
  type = string
}}

resource "pools_instance_pool" "web" {{
  name          = "web"
  size          = 1
  instance_type = var.instance_type
  template_id   = "22222222-0000-4000-8000-000000000001"
  disk_size     = 20
}}
"#
        ),
    );
    let var = |value: &str| format!("instance_type={value}");
    let in_state = || {
        let show = ws.terraform(&["state", "show", "-no-color", "pools_instance_pool.web"]);
        show.assert_success();
        show.stdout
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == "instance_type").then(|| value.trim().trim_matches('"').to_string())
            })
            .unwrap_or_else(|| panic!("no instance_type in state:\n{show}"))
    };
    let apply = |value: &str| {
        ws.terraform(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-var",
            &var(value),
        ])
        .assert_success()
        .stdout
        .clone()
    };
    let no_changes = |value: &str| {
        let plan = ws.terraform(&[
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            "-var",
            &var(value),
        ]);
        assert_eq!(plan.code, Some(0), "{value}: no changes expected:\n{plan}");
    };

    apply("Standard.SMALL");
    assert_eq!(in_state(), "Standard.SMALL", "the create's spelling");
    no_changes("Standard.SMALL");
    assert_eq!(in_state(), "Standard.SMALL", "a refreshing plan keeps it");

    for respelled in ["standard.small", "11111111-0000-4000-8000-000000000002"] {
        no_changes(respelled);
        assert!(apply(respelled).contains("0 added, 0 changed, 0 destroyed"));
        assert_eq!(in_state(), "Standard.SMALL", "{respelled} is the same type");
    }

    let changed = apply("STANDARD.medium");
    assert!(
        changed.contains("0 added, 1 changed, 0 destroyed"),
        "{changed}"
    );
    assert_eq!(
        in_state(),
        "STANDARD.medium",
        "a change of type takes its spelling"
    );

    let id = {
        let show = ws.terraform(&["state", "show", "-no-color", "pools_instance_pool.web"]);
        show.stdout
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == "id").then(|| value.trim().trim_matches('"').to_string())
            })
            .unwrap_or_else(|| panic!("no id in state:\n{show}"))
    };
    ws.terraform(&["state", "rm", "-no-color", "pools_instance_pool.web"])
        .assert_success();
    ws.terraform(&[
        "import",
        "-input=false",
        "-no-color",
        "-var",
        &var("STANDARD.medium"),
        "pools_instance_pool.web",
        &id,
    ])
    .assert_success();
    assert_eq!(
        in_state(),
        "standard.medium",
        "an import records the API's name"
    );
    no_changes("STANDARD.medium");
    assert_eq!(in_state(), "standard.medium");
}
