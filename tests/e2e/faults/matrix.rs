//! The fault matrix: every operation of both resources under every fault the sandbox
//! injects, through Terraform 1.15.5. After each row, the state and the sandbox agree (no
//! orphan, no duplicate, no lost pool), a converged change is in the sandbox and plans
//! clean, and a failed one says what failed and what to do.
//!
//! The rows render as a markdown table of outcomes and mutating calls (never polls or
//! timings, so it is the same on every run). `POOLS_UPDATE_DOCS=1` writes it into
//! docs/reliability.md; otherwise the test fails unless the committed table is this one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use pools_sandbox::ona::fixtures::{CLASS_SMALL_ID, PROJECT_ID};
use pools_sandbox::{Config, FaultRule, LoggedRequest};

use super::{fast_config, says, summaries, Kind, Rig, UBUNTU};
use crate::harness::Run;

const BEGIN: &str = "<!-- fault-matrix:begin -->";
const END: &str = "<!-- fault-matrix:end -->";

/// How many rows run at once: they mostly wait (Retry-After, timeouts, settle times).
const WORKERS: usize = 6;

/// The timeout of the operation under test when the fault outlasts it; every other wait
/// gets `LONG`.
const SHORT: &str = "1s";
const LONG: &str = "30s";
/// How long a warm pool takes to settle in the rows where that outlasts `SHORT`.
const SLOW_SETTLE: Duration = Duration::from_secs(3);
/// A poll answered this late: well below the provider's 60 s per-attempt timeout, which no
/// Terraform setting reaches (see the notes in docs/reliability.md).
const SLOW_POLL_MS: u64 = 1500;
/// The provider's `failure_window` in the rows whose fault persists: far below `LONG`, so
/// a row that fails on its timeout instead is told apart by its error.
const FAILURE_WINDOW: &str = "2s";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Create,
    Update,
    Scale,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Scale => "scale",
            Op::Delete => "delete",
        }
    }

    /// The `timeouts` entry that bounds this operation.
    fn timeout(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update | Op::Scale => "update",
            Op::Delete => "delete",
        }
    }

    /// The API call this operation makes.
    fn route(self, kind: Kind) -> &'static str {
        match (kind, self) {
            (Kind::InstancePool, Op::Create) => "create-instance-pool",
            (Kind::InstancePool, Op::Update) => "update-instance-pool",
            (Kind::InstancePool, Op::Scale) => "scale-instance-pool",
            (Kind::InstancePool, Op::Delete) => "delete-instance-pool",
            (Kind::WarmPool, Op::Create) => "CreateWarmPool",
            (Kind::WarmPool, Op::Update | Op::Scale) => "UpdateWarmPool",
            (Kind::WarmPool, Op::Delete) => "DeleteWarmPool",
        }
    }

    /// The Exoscale state a pool shows while this operation runs.
    fn transitional(self) -> &'static str {
        match self {
            Op::Create => "creating",
            Op::Update => "updating",
            Op::Scale => "scaling-up",
            Op::Delete => "destroying",
        }
    }
}

/// The read each resource polls while it waits.
fn poll_route(kind: Kind) -> &'static str {
    match kind {
        Kind::InstancePool => "get-operation",
        Kind::WarmPool => "GetWarmPool",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Three 503 answers to the change.
    Burst,
    /// A 429 with `Retry-After: 1` to the change.
    Throttle,
    /// Eight connection resets on the polls: more than the transport's 5 attempts of one look.
    Reset,
    /// The change happens, its answer is lost.
    Lost,
    /// A poll answered late (below the per-attempt timeout).
    Slow,
    /// Exoscale: the operation ends in `failure`. Ona: the pool goes DEGRADED.
    Failure,
    /// Exoscale: the operation ends in `timeout`. Ona: the pool settles after the
    /// operation's timeout.
    OperationTimeout,
    /// Exoscale: the pool stays in its transitional state past the operation's timeout.
    Stuck,
    /// Every call of the change answers 500.
    Persistent500,
    /// Every call of the change answers 503: for Ona, whose 500 (Connect `internal`) is
    /// final at once, the server error that may heal.
    Persistent503,
    /// Every call of the change loses its connection (no answer, nothing done).
    PersistentReset,
}

impl Fault {
    const ALL: [Fault; 11] = [
        Fault::Burst,
        Fault::Throttle,
        Fault::Reset,
        Fault::Lost,
        Fault::Slow,
        Fault::Failure,
        Fault::OperationTimeout,
        Fault::Stuck,
        Fault::Persistent500,
        Fault::Persistent503,
        Fault::PersistentReset,
    ];

    fn label(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Fault::Burst, _) => "5xx burst",
            (Fault::Throttle, _) => "429 with Retry-After",
            (Fault::Reset, _) => "connection resets on the polls",
            (Fault::Lost, _) => "lost answer",
            (Fault::Slow, _) => "slow answer (a poll)",
            (Fault::Failure, Kind::InstancePool) => "operation failure",
            (Fault::Failure, Kind::WarmPool) => "DEGRADED",
            (Fault::OperationTimeout, Kind::InstancePool) => "operation timeout",
            (Fault::OperationTimeout, Kind::WarmPool) => "settles after the timeout",
            (Fault::Stuck, _) => "stuck past the timeout",
            (Fault::Persistent500, _) => "persistent 500",
            (Fault::Persistent503, _) => "persistent 503 (unavailable)",
            (Fault::PersistentReset, _) => "persistent connection reset",
        }
    }

    /// Whether the fault never stops firing (its rule has no count).
    fn persists(self) -> bool {
        matches!(
            self,
            Fault::Persistent500 | Fault::Persistent503 | Fault::PersistentReset
        )
    }

    /// Whether the change is expected to go through despite the fault.
    fn transient(self) -> bool {
        matches!(
            self,
            Fault::Burst | Fault::Throttle | Fault::Reset | Fault::Lost | Fault::Slow
        )
    }

    /// Whether the operation under test gets the short timeout.
    fn outlasts_timeout(self, kind: Kind) -> bool {
        match self {
            Fault::Stuck => true,
            Fault::OperationTimeout => kind == Kind::WarmPool,
            _ => false,
        }
    }
}

/// One row: an operation of a resource under a fault.
#[derive(Clone, Copy, Debug)]
struct Row {
    kind: Kind,
    op: Op,
    fault: Fault,
}

impl Row {
    fn label(self) -> String {
        format!(
            "{} {} under {}",
            self.kind.resource_type(),
            self.op.name(),
            self.fault.label(self.kind)
        )
    }

    /// The sandbox rule, `ROUTE=KIND[:ARG][*TIMES]`; None for a row made by the sandbox's
    /// settle time alone.
    fn rule(self) -> Option<String> {
        let change = self.op.route(self.kind);
        let poll = poll_route(self.kind);
        Some(match (self.fault, self.kind) {
            (Fault::Burst, _) => format!("{change}=status:503*3"),
            (Fault::Throttle, _) => format!("{change}=throttle:1*1"),
            (Fault::Reset, _) => format!("{poll}=reset*8"),
            (Fault::Lost, _) => format!("{change}=lost*1"),
            (Fault::Slow, _) => format!("{poll}=latency:{SLOW_POLL_MS}*1"),
            (Fault::Failure, Kind::InstancePool) => format!("{change}=operation-failure*1"),
            (Fault::Failure, Kind::WarmPool) => {
                format!("{change}=degraded:runner out of capacity*1")
            }
            (Fault::OperationTimeout, Kind::InstancePool) => {
                format!("{change}=operation-timeout*1")
            }
            (Fault::OperationTimeout, Kind::WarmPool) => return None,
            (Fault::Stuck, _) => format!("{change}=stuck:{}*1", self.op.transitional()),
            (Fault::Persistent500, _) => format!("{change}=status:500"),
            (Fault::Persistent503, _) => format!("{change}=status:503"),
            (Fault::PersistentReset, _) => format!("{change}=reset"),
        })
    }

    /// How the fault is made, for the table.
    fn how(self) -> String {
        let rule = match self.rule() {
            Some(rule) => format!("`{rule}`"),
            None => format!("settle time {} s", SLOW_SETTLE.as_secs()),
        };
        if self.fault.outlasts_timeout(self.kind) {
            format!("{rule}, `timeouts.{}` {SHORT}", self.op.timeout())
        } else if self.fault.persists() {
            format!("{rule}, `failure_window` {FAILURE_WINDOW}")
        } else {
            rule
        }
    }

    fn sandbox_config(self) -> Config {
        let mut config = fast_config();
        if self.fault == Fault::OperationTimeout && self.kind == Kind::WarmPool {
            config.warm_pool_settle = SLOW_SETTLE;
        }
        config
    }

    /// A fault on GetWarmPool would be taken by the refresh before an update or delete, so
    /// those rows save the plan first and inject the fault for `terraform apply PLAN`.
    fn saves_plan(self) -> bool {
        self.rule()
            .is_some_and(|rule| rule.starts_with("GetWarmPool=") && self.op != Op::Create)
    }

    /// The resource before (`changed` false) or after the operation under test.
    fn resource(self, changed: bool) -> String {
        let limit = |name: &str| {
            if self.fault.outlasts_timeout(self.kind) && self.op.timeout() == name {
                SHORT
            } else {
                LONG
            }
        };
        let timeouts = format!(
            "  timeouts {{\n    create = \"{}\"\n    update = \"{}\"\n    delete = \"{}\"\n  }}\n",
            limit("create"),
            limit("update"),
            limit("delete")
        );
        let provider = match self.fault.persists() {
            true => format!(
                "provider \"pools\" {{\n  exoscale {{\n    failure_window = \"{FAILURE_WINDOW}\"\n  }}\n  ona {{\n    failure_window = \"{FAILURE_WINDOW}\"\n  }}\n}}\n\n"
            ),
            false => String::new(),
        };
        match self.kind {
            Kind::InstancePool => {
                let size = if changed && self.op == Op::Scale {
                    3
                } else {
                    1
                };
                let labels = if changed && self.op == Op::Update {
                    "  description        = \"patched\"\n  labels             = { tier = \"front\" }\n"
                } else {
                    ""
                };
                format!(
                    r#"{provider}resource "pools_instance_pool" "p" {{
  name               = "matrix"
  zone               = "ch-gva-2"
  size               = {size}
  instance_type      = "standard.small"
  template_id        = "{UBUNTU}"
  disk_size          = 10
{labels}{timeouts}}}
"#
                )
            }
            Kind::WarmPool => {
                let max = if changed && self.op == Op::Update {
                    3
                } else {
                    1
                };
                format!(
                    r#"{provider}resource "pools_warm_pool" "p" {{
  project_id           = "{PROJECT_ID}"
  environment_class_id = "{CLASS_SMALL_ID}"
  min_size             = 1
  max_size             = {max}
{timeouts}}}
"#
                )
            }
        }
    }

    /// What a failed row's error must say: what failed, and what to do.
    fn error_says(self) -> Vec<String> {
        let doing = match self.op {
            Op::Create => "Creating the instance pool did not complete",
            Op::Update => "Updating the instance pool did not complete",
            Op::Scale => "Scaling the instance pool did not complete",
            Op::Delete => "Deleting the instance pool did not complete",
        };
        let short = format!("`timeouts.{}` ({SHORT}), raise it", self.op.timeout());
        let phrases: Vec<&str> = match (self.kind, self.fault, self.op) {
            (Kind::InstancePool, Fault::Failure, _) => {
                vec![doing, "ended in failure", "apply again"]
            }
            (Kind::InstancePool, Fault::OperationTimeout, _) => {
                vec![doing, "ended in timeout", "apply again"]
            }
            (Kind::InstancePool, Fault::Stuck, _) => {
                return vec![
                    "timed out after".into(),
                    format!("last seen: state {}", self.op.transitional()),
                    short,
                ]
            }
            (Kind::WarmPool, Fault::Failure, _) => vec![
                "went to phase DEGRADED instead of READY: runner out of capacity",
                "kept in the Terraform state",
            ],
            (Kind::WarmPool, Fault::OperationTimeout, Op::Delete) => vec![
                "The warm pool is not gone yet",
                "last seen: phase DELETING",
                "raise timeouts.delete",
            ],
            (Kind::WarmPool, Fault::OperationTimeout, _) => vec![
                "Timed out waiting for the warm pool",
                "last seen: phase PENDING",
                "Raise timeouts",
            ],
            // Connect's `internal` is final: refused at once.
            (Kind::WarmPool, Fault::Persistent500, _) => {
                vec!["answered 500 Internal Server Error (internal)"]
            }
            // Given up within the failure window, not at the timeout, with advice to match.
            (_, Fault::Persistent500 | Fault::Persistent503, _) => vec![
                "attempts in a row over",
                "got a server error",
                "keeps failing, so a longer timeout would not help",
            ],
            // A lost answer is looked for; the change is sent again at most once.
            (Kind::InstancePool, Fault::PersistentReset, Op::Create) => vec![
                "The answer to the create request was lost",
                "The create is not sent again",
            ],
            (Kind::InstancePool, Fault::PersistentReset, _) => {
                vec!["The change was sent twice, both answers were lost"]
            }
            (Kind::WarmPool, Fault::PersistentReset, Op::Create) => {
                vec!["the create did not take effect"]
            }
            (Kind::WarmPool, Fault::PersistentReset, Op::Update) => {
                vec!["was sent twice and no answer came back either time"]
            }
            (Kind::WarmPool, Fault::PersistentReset, Op::Delete) => {
                vec!["The delete was sent twice, no answer came back either time"]
            }
            _ => Vec::new(),
        };
        phrases.into_iter().map(str::to_string).collect()
    }
}

/// Every row: each operation of each resource under each fault that applies to it. Warm
/// pools have no scale (a size change is an update) and no stuck state in the sandbox (a
/// pool that never settles is the operation-timeout row), and DEGRADED comes from creates
/// and updates only. A persistent 503 is a row of its own for Ona only, where a 500 is
/// final (for Exoscale both are server errors that may heal).
fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for op in [Op::Create, Op::Update, Op::Scale, Op::Delete] {
        for fault in Fault::ALL
            .into_iter()
            .filter(|f| *f != Fault::Persistent503)
        {
            rows.push(Row {
                kind: Kind::InstancePool,
                op,
                fault,
            });
        }
    }
    for op in [Op::Create, Op::Update, Op::Delete] {
        for fault in Fault::ALL {
            let applies = match fault {
                Fault::Stuck => false,
                Fault::Failure => op != Op::Delete,
                _ => true,
            };
            if applies {
                rows.push(Row {
                    kind: Kind::WarmPool,
                    op,
                    fault,
                });
            }
        }
    }
    rows
}

/// What a row did, for the table.
struct Outcome {
    outcome: String,
    calls: String,
}

const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-input=false", "-no-color"];

/// Runs one row on its own sandbox and working directory, checks it, and says what it did.
fn run_row(row: Row) -> Outcome {
    let label = row.label();
    let kind = row.kind;
    let rig = Rig::start(row.sandbox_config());

    // The pool the operation starts from, made without faults.
    let before = match row.op {
        Op::Create => None,
        _ => {
            rig.config(&row.resource(false));
            let run = rig.terraform(APPLY);
            assert!(run.success(), "{label}: the starting pool:\n{run}");
            let ids = rig.assert_agree(kind, &label);
            assert_eq!(ids.len(), 1, "{label}: one starting pool");
            Some(ids[0].clone())
        }
    };
    if row.op != Op::Delete {
        rig.config(&row.resource(true));
    }

    let saved_plan = row.saves_plan();
    if saved_plan {
        let mut plan = vec!["plan", "-input=false", "-no-color", "-out=step.tfplan"];
        if row.op == Op::Delete {
            plan.push("-destroy");
        }
        let run = rig.terraform(&plan);
        assert!(run.success(), "{label}: saving the plan:\n{run}");
    }
    rig.sandbox.requests().clear();
    if let Some(rule) = row.rule() {
        let rule = FaultRule::parse(&rule).unwrap_or_else(|e| panic!("{label}: {e}"));
        rig.sandbox.faults().add(rule);
    }
    let run = match (saved_plan, row.op) {
        (true, _) => rig.terraform(&["apply", "-input=false", "-no-color", "step.tfplan"]),
        (false, Op::Delete) => rig.terraform(DESTROY),
        (false, _) => rig.terraform(APPLY),
    };
    let calls = rig.mutations(kind);
    let unfired = rig.sandbox.faults().list();
    rig.sandbox.faults().clear();
    // A persistent fault's rule has no count: it is there to the end.
    assert!(
        unfired.is_empty() || row.fault.persists(),
        "{label}: the fault did not fire as often as asked ({unfired:?}):\n{run}"
    );
    assert!(!run.timed_out, "{label}: Terraform was killed:\n{run}");

    let ids = rig.assert_agree(kind, &label);
    let outcome = if run.success() {
        assert!(
            row.fault.transient(),
            "{label}: expected the change to fail:\n{run}"
        );
        check_converged(&rig, row, before.as_deref(), &ids, &run);
        // The dev_overrides warning comes with every command here; only the provider's count.
        let warnings = summaries(&run, "Warning");
        match warnings
            .iter()
            .find(|w| !w.starts_with("Provider development overrides"))
        {
            Some(warning) => format!("converged (warning: {warning})"),
            None => "converged".to_string(),
        }
    } else {
        assert!(
            !row.fault.transient(),
            "{label}: expected the change to ride out the fault:\n{run}"
        );
        check_failed(&rig, row, before.as_deref(), &ids, &run);
        let errors = summaries(&run, "Error");
        let first = errors
            .first()
            .unwrap_or_else(|| panic!("{label}: a failure without an error:\n{run}"));
        format!("failed: {first}")
    };
    let status = match row.fault {
        Fault::Persistent500 => 500,
        _ => 503,
    };
    let calls = match row.fault {
        // How many times the change was sent before the provider gave up depends on the
        // pace: at least the rule's minimum, which is what the table shows.
        Fault::Persistent500 | Fault::Persistent503 if calls.len() > 1 => {
            let route = row.op.route(kind);
            let least = terraform_provider_pools::wait::PERSISTENT_ATTEMPTS as usize;
            assert!(
                calls.len() >= least
                    && calls.iter().all(|c| c.route == route && c.status == status),
                "{label}: {least} or more sends, each answered {status}: {}",
                render_calls(&calls)
            );
            format!("`{route}` {status}, {least} times or more, until the provider gave up")
        }
        _ => render_calls(&calls),
    };
    Outcome { outcome, calls }
}

/// A converged row: the pool the state records is the one the operation changed (or none
/// after a delete), it holds the change, and the next plan is empty.
fn check_converged(rig: &Rig, row: Row, before: Option<&str>, ids: &[String], run: &Run) {
    let label = row.label();
    if row.op == Op::Delete {
        assert!(ids.is_empty(), "{label}: the pool is gone:\n{run}");
        return;
    }
    assert_eq!(ids.len(), 1, "{label}: exactly one pool:\n{run}");
    if let Some(before) = before {
        assert_eq!(ids[0], before, "{label}: changed in place");
    }
    let held = rig.held(row.kind);
    let pool = &held[0].1;
    match (row.kind, row.op) {
        (Kind::InstancePool, Op::Update) => {
            assert_eq!(pool["spec"]["description"], "patched", "{label}: {pool}");
            assert_eq!(pool["spec"]["labels"]["tier"], "front", "{label}: {pool}");
        }
        (Kind::InstancePool, Op::Scale) => assert_eq!(
            pool["instances"].as_array().map(Vec::len),
            Some(3),
            "{label}: {pool}"
        ),
        (Kind::WarmPool, Op::Update) => assert_eq!(pool["max_size"], 3, "{label}: {pool}"),
        _ => {}
    }
    let recorded = rig.recorded();
    assert!(!recorded[0].tainted, "{label}: not tainted: {recorded:?}");
    rig.sandbox.requests().clear();
    let plan = rig.terraform(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(
        plan.code,
        Some(0),
        "{label}: the plan after the change must be empty:\n{plan}"
    );
    assert!(
        rig.mutations(row.kind).is_empty(),
        "{label}: a plan changes nothing"
    );
}

/// A failed row: the pool exists and the state records it (a failed create tainted), and
/// the error says what failed and what to do.
fn check_failed(rig: &Rig, row: Row, before: Option<&str>, ids: &[String], run: &Run) {
    let label = row.label();
    // A create whose every call failed made nothing, and nothing is recorded.
    if row.op == Op::Create && row.fault.persists() {
        assert!(ids.is_empty(), "{label}: no pool made:\n{run}");
        assert!(
            rig.recorded().is_empty(),
            "{label}: nothing recorded:\n{run}"
        );
        return check_says(row, run);
    }
    assert_eq!(
        ids.len(),
        1,
        "{label}: the pool exists and is recorded:\n{run}"
    );
    if let Some(before) = before {
        assert_eq!(ids[0], before, "{label}: the same pool");
    }
    let recorded = rig.recorded();
    assert_eq!(
        recorded[0].tainted,
        row.op == Op::Create,
        "{label}: only a failed create is tainted: {recorded:?}"
    );
    check_says(row, run);
}

/// The error says what failed and what to do.
fn check_says(row: Row, run: &Run) {
    let label = row.label();
    let phrases = row.error_says();
    assert!(!phrases.is_empty(), "{label}: no expected error text");
    for phrase in phrases {
        assert!(
            says(run, &phrase),
            "{label}: the error must say {phrase:?}:\n{run}"
        );
    }
}

/// The mutating calls in order, a run of the same route as one entry with its statuses:
/// `` `create-instance-pool` 503, 503, 503, 200``.
fn render_calls(calls: &[LoggedRequest]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for call in calls {
        match groups.last_mut() {
            Some((route, statuses)) if *route == call.route => {
                statuses.push(call.status.to_string())
            }
            _ => groups.push((call.route, vec![call.status.to_string()])),
        }
    }
    if groups.is_empty() {
        return "none".to_string();
    }
    groups
        .iter()
        .map(|(route, statuses)| format!("`{route}` {}", statuses.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn render(rows: &[Row], outcomes: &[Outcome]) -> String {
    let mut table = String::from(
        "| Resource | Operation | Fault | How | Outcome | Mutating calls (status) |\n\
         |---|---|---|---|---|---|\n",
    );
    for (row, done) in rows.iter().zip(outcomes) {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            row.kind.resource_type(),
            row.op.name(),
            row.fault.label(row.kind),
            row.how(),
            done.outcome.replace('|', "\\|"),
            done.calls
        ));
    }
    table
}

fn reliability_md() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/reliability.md")
}

/// Writes `table` between the markers (POOLS_UPDATE_DOCS=1), or checks it is there.
fn publish(table: &str) {
    let path = reliability_md();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let (head, rest) = text
        .split_once(BEGIN)
        .unwrap_or_else(|| panic!("{} has no {BEGIN} marker", path.display()));
    let (committed, tail) = rest
        .split_once(END)
        .unwrap_or_else(|| panic!("{} has no {END} marker", path.display()));
    let rendered = format!("\n{table}");
    if std::env::var("POOLS_UPDATE_DOCS").as_deref() == Ok("1") {
        let updated = format!("{head}{BEGIN}{rendered}{END}{tail}");
        std::fs::write(&path, updated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    assert!(
        committed == rendered,
        "the fault matrix in {} is not what the test found; run \
         `POOLS_UPDATE_DOCS=1 cargo test --test e2e fault_matrix` to rewrite it.\n\
         --- committed ---\n{committed}\n--- found ---\n{rendered}",
        path.display()
    );
}

#[test]
fn fault_matrix_of_both_resources_through_terraform() {
    let rows = rows();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Outcome, String>>>> =
        Mutex::new(rows.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&row) = rows.get(i) else { break };
                let result = catch_unwind(AssertUnwindSafe(|| run_row(row)))
                    .map_err(|panic| panic_text(&panic));
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut outcomes = Vec::new();
    let mut failed = Vec::new();
    for (row, result) in rows.iter().zip(results) {
        match result {
            Some(Ok(outcome)) => outcomes.push(outcome),
            Some(Err(message)) => failed.push(message),
            None => failed.push(format!("{}: never ran", row.label())),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failed.len(),
        rows.len(),
        failed.join("\n\n")
    );
    publish(&render(&rows, &outcomes));
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "(non-text panic)".to_string()
    }
}
