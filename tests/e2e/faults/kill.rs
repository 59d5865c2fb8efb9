//! The provider process killed (SIGKILL) in the middle of a create, then a new apply:
//! exactly one pool must exist, and the state must record it (design.md section 5: "Never
//! orphan, whatever fails after a create call: ... a killed provider process").
//!
//! The first apply runs against a sandbox whose operations take a few seconds. Once the
//! create call is in the sandbox's request log and the provider has started polling for it
//! (so it holds the new pool's id), the provider process of this working directory is
//! found under /proc (its executable and working directory) and killed. Terraform never
//! hears back from the create, so it records nothing. The second apply is a new provider
//! process with no memory of the first call.
//!
//! A create the provider gives up on while its request is in flight (here: the create's
//! timeout runs out before the API answers, and the API makes the pool afterwards) is the
//! same question without a kill: the next apply must adopt that pool, not make another.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{fast_config, summaries, Kind, Rig, UBUNTU};
use crate::harness::{provider_bin, Run};
use pools_sandbox::ona::fixtures::{CLASS_SMALL_ID, PROJECT_ID};

/// Long enough that the provider is still waiting when it is killed.
const SLOW: Duration = Duration::from_secs(3);
/// Looks at the request log, 20 ms apart: at most a minute.
const LOOKS: usize = 3000;

const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];

fn resource(kind: Kind) -> String {
    match kind {
        Kind::InstancePool => format!(
            r#"resource "pools_instance_pool" "p" {{
  name          = "killed"
  zone          = "ch-gva-2"
  size          = 1
  instance_type = "standard.small"
  template_id   = "{UBUNTU}"
  disk_size     = 10
}}
"#
        ),
        Kind::WarmPool => format!(
            r#"resource "pools_warm_pool" "p" {{
  project_id           = "{PROJECT_ID}"
  environment_class_id = "{CLASS_SMALL_ID}"
  min_size             = 1
  max_size             = 1
}}
"#
        ),
    }
}

/// The create call and the read the provider polls with after it.
fn routes(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::InstancePool => ("create-instance-pool", "get-operation"),
        Kind::WarmPool => ("CreateWarmPool", "GetWarmPool"),
    }
}

/// The processes running the provider binary in `workdir`: the provider a Terraform
/// command started there (Terraform starts it in its own working directory).
fn providers_in(workdir: &Path) -> Vec<u32> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let binary = canonical(&provider_bin());
    let workdir = canonical(workdir);
    let Ok(entries) = std::fs::read_dir("/proc") else {
        panic!("cannot read /proc: the test needs Linux's /proc to find the provider")
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let exe: PathBuf = std::fs::read_link(entry.path().join("exe")).ok()?;
            let cwd: PathBuf = std::fs::read_link(entry.path().join("cwd")).ok()?;
            (exe == binary && cwd == workdir).then_some(pid)
        })
        .collect()
}

fn sigkill(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    assert!(status.success(), "kill -KILL {pid} failed");
}

/// Applies, kills the provider once the create is under way, and returns that apply.
fn apply_and_kill_mid_create(rig: &Rig, kind: Kind) -> Run {
    let (create, poll) = routes(kind);
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| rig.terraform(APPLY));
        let mut killed = Vec::new();
        for _ in 0..LOOKS {
            if apply.is_finished() {
                break;
            }
            let logged = rig.sandbox.requests().routes();
            let created = logged.iter().position(|r| *r == create);
            if created.is_some_and(|at| logged[at..].contains(&poll)) {
                killed = providers_in(rig.ws.path());
                killed.iter().copied().for_each(sigkill);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let run = apply
            .join()
            .unwrap_or_else(|_| panic!("the apply thread panicked"));
        assert!(
            !killed.is_empty(),
            "{kind:?}: no provider process was found to kill mid-create (the request log: {:?}):\n{run}",
            rig.sandbox.requests().routes()
        );
        assert!(
            !run.success(),
            "{kind:?}: the apply must fail when its provider is killed:\n{run}"
        );
        run
    })
}

fn killed_mid_create_then_applied_again(kind: Kind) {
    let rig = Rig::start(pools_sandbox::Config {
        operation_duration: SLOW,
        warm_pool_settle: SLOW,
        ..fast_config()
    });
    rig.config(&resource(kind));
    let first = apply_and_kill_mid_create(&rig, kind);
    let after_kill = (rig.held(kind).len(), rig.recorded());

    rig.sandbox.requests().clear();
    let second = rig.terraform(APPLY);
    let (create, _) = routes(kind);
    let creates = rig
        .sandbox
        .requests()
        .routes()
        .iter()
        .filter(|r| **r == create)
        .count();
    let held: Vec<String> = rig.held(kind).into_iter().map(|(id, _)| id).collect();
    let recorded = rig.recorded();
    let report = format!(
        "{kind:?}: after the kill the sandbox held {} pool(s) and the state recorded {:?} \
         (first apply's error: {:?}); the second apply {} (its errors: {:?}) and sent {creates} \
         {create}; now the sandbox holds {held:?} and the state records {recorded:?}.\n\
         --- second apply ---\n{second}",
        after_kill.0,
        after_kill.1,
        summaries(&first, "Error").first(),
        if second.success() {
            "succeeded"
        } else {
            "failed"
        },
        summaries(&second, "Error"),
    );
    assert_eq!(held.len(), 1, "exactly one pool must exist. {report}");
    assert_eq!(
        recorded.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        held,
        "the pool must be in the state. {report}"
    );
    assert!(second.success(), "the second apply must converge. {report}");
}

#[test]
fn an_instance_pool_create_whose_provider_is_killed_ends_with_one_pool_in_state() {
    killed_mid_create_then_applied_again(Kind::InstancePool);
}

#[test]
fn a_warm_pool_create_whose_provider_is_killed_ends_with_one_pool_in_state() {
    killed_mid_create_then_applied_again(Kind::WarmPool);
}

/// The first apply gives up on its create at `timeouts.create` (2 s) while the request is
/// in flight; the sandbox, answering 4 s late, makes the pool all the same. The second
/// apply must find that pool and record it instead of creating a second one.
#[test]
fn an_instance_pool_create_given_up_in_flight_is_adopted_by_the_next_apply() {
    let rig = Rig::start(fast_config());
    let body = resource(Kind::InstancePool).replace(
        "  disk_size     = 10\n",
        "  disk_size     = 10\n  timeouts {\n    create = \"2s\"\n  }\n",
    );
    rig.config(&body);
    rig.sandbox
        .faults()
        .add(pools_sandbox::FaultRule::parse("create-instance-pool=latency:4000*1").unwrap());
    let first = rig.terraform(APPLY);
    assert!(!first.success(), "the create must time out:\n{first}");
    // Terraform wraps diagnostics: compare words.
    let flat = |text: &str| {
        text.replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        flat(&first.stderr).contains("the next apply from this working directory looks for it"),
        "the error must say the next apply looks for the pool:\n{first}"
    );
    // The late request lands in the sandbox once its 4 s are up.
    for _ in 0..LOOKS {
        if !rig.held(Kind::InstancePool).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        rig.held(Kind::InstancePool).len(),
        1,
        "the late create must have made its pool"
    );
    assert!(
        rig.recorded().is_empty(),
        "the first apply recorded nothing"
    );

    rig.sandbox.requests().clear();
    let second = rig.terraform(APPLY);
    let creates = rig
        .sandbox
        .requests()
        .routes()
        .iter()
        .filter(|r| **r == "create-instance-pool")
        .count();
    let held: Vec<String> = rig
        .held(Kind::InstancePool)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let recorded: Vec<String> = rig.recorded().into_iter().map(|r| r.id).collect();
    let report = format!(
        "the second apply sent {creates} create(s); the sandbox holds {held:?}, the state records {recorded:?}\n{second}"
    );
    assert!(second.success(), "{report}");
    assert_eq!(creates, 0, "no second create: {report}");
    assert_eq!(held.len(), 1, "exactly one pool: {report}");
    assert_eq!(recorded, held, "the pool is in the state: {report}");
    assert!(
        flat(&format!("{} {}", second.stdout, second.stderr))
            .contains("Adopted the instance pool the create made"),
        "the adoption is said: {report}"
    );
}
