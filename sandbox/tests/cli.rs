//! The `pools-sandbox` command line as a user meets it: `--help` and `--version` answer and
//! exit 0, bad flags exit 2 naming `--help`, and a reader that goes away (`| head -1`) ends
//! the program quietly instead of with a panic.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::process::{Command, Output, Stdio};

use pools_sandbox::faults::KINDS;

fn sandbox(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pools-sandbox"));
    command.args(args).stdin(Stdio::null());
    command
}

fn run(args: &[&str]) -> Output {
    sandbox(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run pools-sandbox {args:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_every_flag_and_fault_kind_and_exits_0() {
    for flag in ["--help", "-h"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {out:?}");
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
        // Wrapped lines joined: defaults and examples may straddle a line break.
        let help = text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for documented in [
            "--listen ADDR",
            "--operation-ms N",
            "--warm-pool-ms N",
            "--latency-ms N",
            "--exoscale-key KEY",
            "--exoscale-secret SECRET",
            "--ona-token TOKEN",
            "--state FILE",
            "--tls",
            "--ca-file PATH",
            "--fault ROUTE=KIND[:ARG][*N]",
            "--fixtures",
            "-h, --help",
            "-V, --version",
            "Routes",
            "scale-instance-pool",
            "CreateWarmPool",
            "/_sandbox/requests",
            "Default: 500.",
            "Default: 127.0.0.1:0.",
            "Example: --latency-ms 50",
            "EXOSCALE_API_ENDPOINT='http://127.0.0.1:PORT/{zone}/v2'",
        ] {
            assert!(help.contains(documented), "{documented:?} missing:\n{help}");
        }
        for kind in KINDS {
            assert!(
                help.contains(kind.syntax),
                "{} missing:\n{help}",
                kind.syntax
            );
        }
    }
}

/// Every flag the help shows is one the parser takes: each is given with a sample value
/// next to `--help` (which wins once every flag before it parsed).
#[test]
fn every_flag_in_the_help_is_accepted() {
    let help = text(&run(&["--help"]).stdout);
    let flags: Vec<&str> = help
        .lines()
        .filter_map(|line| line.strip_prefix("  --"))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert!(flags.len() >= 12, "{flags:?}");
    for flag in flags {
        let flag = format!("--{flag}");
        let value = match flag.as_str() {
            "--listen" => Some("127.0.0.1:0"),
            "--fault" => Some("*=reset*1"),
            "--tls" | "--fixtures" | "--version" => None,
            _ if help.contains(&format!("{flag} N\n")) => Some("5"),
            _ => Some("x"),
        };
        let mut args = vec![flag.as_str()];
        args.extend(value);
        args.push("--help");
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn version_prints_the_package_version() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert_eq!(
            text(&out.stdout),
            format!("pools-sandbox {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn bad_flags_exit_2_and_point_at_help() {
    let out = run(&["--operation-ms"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "pools-sandbox: --operation-ms needs a value: --operation-ms N\n"
    );
    let out = run(&["--verbose"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("unknown flag `--verbose` (pools-sandbox --help lists them all)"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["--fault", "get-instance-pool=status:503*0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("must be from 1"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

/// stdout is a socket whose reader is already gone: every write fails with EPIPE, as with
/// `pools-sandbox --fixtures | head -1` once head has exited.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (writer, reader) = UnixStream::pair().unwrap_or_else(|e| panic!("socketpair: {e}"));
    drop(reader);
    sandbox(args)
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(writer)))
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run pools-sandbox {args:?}: {e}"))
}

#[test]
fn a_reader_that_went_away_ends_it_quietly() {
    // Without arguments it serves: unable to tell anyone its address, it stops.
    for args in [&["--fixtures"][..], &["--help"], &["--version"], &[]] {
        let out = with_closed_stdout(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn fixtures_piped_into_head() {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' --fixtures | head -n 1",
            env!("CARGO_BIN_EXE_pools-sandbox")
        ))
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert_eq!(text(&out.stdout), "{\n");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

/// The first line is the address, whatever else the sandbox says (on stderr).
#[test]
fn serving_prints_the_address_first() {
    let mut child = sandbox(&["--latency-ms", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = String::new();
    let read = child
        .stdout
        .take()
        .map(|out| BufReader::new(out).read_line(&mut first));
    let _ = child.kill();
    let _ = child.wait();
    assert!(matches!(read, Some(Ok(n)) if n > 0), "{read:?}");
    assert!(first.starts_with("http://127.0.0.1:"), "{first:?}");
}
