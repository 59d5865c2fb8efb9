//! A hundred instance pools applied at `-parallelism=20` against a sandbox that faults about
//! one request in ten on every route: create, a scale of every pool, and destroy. Each
//! converges, and after each the sandbox holds exactly the pools the state records.
//!
//! The sandbox's fault rules fire on the next TIMES matching requests and have no
//! probability, so a feeder thread spreads them instead: whenever a route has served ten
//! more requests, it adds a one-shot rule for that route. The faults are the transient ones
//! the provider promises to ride out: 503 and 429 (`Retry-After: 1`) on every route, and
//! connection resets on reads. (A reset on a create or a change is a lost answer: a create
//! whose answer is lost and that made nothing is, by design, not sent again, so the apply
//! would fail; the fault matrix covers lost answers one at a time.)

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pools_sandbox::{FaultKind, FaultRule};

use super::{fast_config, Kind, Rig, UBUNTU};
use crate::harness::Run;

const POOLS: usize = 100;
const PARALLELISM: &str = "-parallelism=20";
/// One request in this many, per route, gets a fault.
const EVERY: usize = 10;
/// The feeder looks at the request log this often, and at most this many times (ten
/// minutes): it stops when the test says so, or then.
const FEED_EVERY: Duration = Duration::from_millis(10);
const FEED_LOOKS: usize = 60_000;

fn config(size: u32) -> String {
    format!(
        r#"resource "pools_instance_pool" "p" {{
  count         = {POOLS}
  name          = "soak-${{count.index}}"
  zone          = "ch-gva-2"
  size          = {size}
  instance_type = "standard.micro"
  template_id   = "{UBUNTU}"
  disk_size     = 10
}}
"#
    )
}

/// The one-shot rules the feeder added, by route and fault.
#[derive(Default)]
struct Fed {
    added: BTreeMap<(&'static str, &'static str), usize>,
}

/// The fault for the `n`th rule on a route: reads get 503, 429 and resets in turn, changes
/// 503 and 429. Returns its short name and the rule.
fn fault_for(route: &str, read: bool, n: usize) -> (&'static str, String) {
    let kinds: &[&str] = if read {
        &["status:503", "throttle:1", "reset"]
    } else {
        &["status:503", "throttle:1"]
    };
    let kind = kinds[n % kinds.len()];
    (short_name(kind), format!("{route}={kind}*1"))
}

fn short_name(kind: &str) -> &'static str {
    match kind {
        "status:503" => "503",
        "throttle:1" => "429",
        _ => "reset",
    }
}

/// The short name of a rule's fault, as `fault_for` names it.
fn name_of(kind: &FaultKind) -> &'static str {
    match kind {
        FaultKind::Status { status: 429, .. } => "429",
        FaultKind::Status { .. } => "503",
        _ => "reset",
    }
}

/// Adds a one-shot rule for a route each time it has served `EVERY` more requests, until
/// `stop` is set.
fn feed(rig: &Rig, stop: &AtomicBool, fed: &Mutex<Fed>) {
    let mut next: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut rules: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..FEED_LOOKS {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let mut served: BTreeMap<&'static str, usize> = BTreeMap::new();
        for route in rig.sandbox.requests().routes() {
            *served.entry(route).or_insert(0) += 1;
        }
        for (route, count) in served {
            let read = route.starts_with("get-") || route.starts_with("list-");
            let due = next.entry(route).or_insert(EVERY);
            if count >= *due {
                *due = count + EVERY;
                let n = rules.entry(route).or_insert(0);
                let (name, rule) = fault_for(route, read, *n);
                *n += 1;
                let rule = FaultRule::parse(&rule).unwrap_or_else(|e| panic!("{e}"));
                rig.sandbox.faults().add(rule);
                *fed.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .added
                    .entry((route, name))
                    .or_insert(0) += 1;
            }
        }
        std::thread::sleep(FEED_EVERY);
    }
}

/// One step's figures.
struct Step {
    name: &'static str,
    wall: Duration,
    requests: usize,
    mutations: usize,
}

/// The pool count, the names and sizes the sandbox holds, and agreement with the state.
fn check(rig: &Rig, label: &str, size: usize) {
    let ids = rig.assert_agree(Kind::InstancePool, label);
    let expected = if size == 0 { 0 } else { POOLS };
    assert_eq!(ids.len(), expected, "{label}: pool count");
    let held = rig.held(Kind::InstancePool);
    let mut names: Vec<&str> = held
        .iter()
        .map(|(_, pool)| pool["spec"]["name"].as_str().unwrap_or_default())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), held.len(), "{label}: a name twice: {names:?}");
    for (id, pool) in &held {
        assert_eq!(
            pool["instances"].as_array().map(Vec::len),
            Some(size),
            "{label}: pool {id} has {size} instances: {pool}"
        );
    }
}

/// Runs one Terraform command. The request log is never cleared: the feeder counts on it.
fn step(rig: &Rig, name: &'static str, args: &[&str]) -> (Step, Run) {
    let from = rig.sandbox.requests().all().len();
    let started = Instant::now();
    let run = rig.terraform(args);
    let wall = started.elapsed();
    assert!(run.success(), "{name} under faults must converge:\n{run}");
    let requests = rig.sandbox.requests().all().split_off(from);
    let figures = Step {
        name,
        wall,
        requests: requests.len(),
        mutations: requests.iter().filter(|r| r.method != "GET").count(),
    };
    (figures, run)
}

#[test]
fn a_hundred_instance_pools_at_parallelism_20_under_one_fault_in_ten() {
    let rig = Rig::start(fast_config());
    let stop = AtomicBool::new(false);
    let fed = Mutex::new(Fed::default());
    let apply = [
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        PARALLELISM,
    ];
    let destroy = [
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        PARALLELISM,
    ];

    let steps = std::thread::scope(|scope| {
        let feeder = scope.spawn(|| feed(&rig, &stop, &fed));
        let finish = || {
            stop.store(true, Ordering::Relaxed);
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut steps = Vec::new();
            rig.config(&config(1));
            steps.push(step(&rig, "create", &apply).0);
            check(&rig, "create", 1);
            rig.config(&config(2));
            steps.push(step(&rig, "scale", &apply).0);
            check(&rig, "scale", 2);
            let (figures, run) = step(
                &rig,
                "plan",
                &[
                    "plan",
                    "-detailed-exitcode",
                    "-input=false",
                    "-no-color",
                    PARALLELISM,
                ],
            );
            assert_eq!(
                run.code,
                Some(0),
                "the plan after the scale is empty:\n{run}"
            );
            steps.push(figures);
            steps.push(step(&rig, "destroy", &destroy).0);
            check(&rig, "destroy", 0);
            steps
        }));
        finish();
        feeder
            .join()
            .unwrap_or_else(|_| panic!("the fault feeder panicked"));
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });

    // A rule still waiting for a request never fired.
    let fed = fed.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut fired = fed.added.clone();
    for rule in rig.sandbox.faults().list() {
        let key = fired
            .keys()
            .copied()
            .find(|(route, name)| *route == rule.route && *name == name_of(&rule.kind));
        if let Some(count) = key.and_then(|key| fired.get_mut(&key)) {
            *count -= 1;
        }
    }
    let mut by_fault: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_route: BTreeMap<&str, usize> = BTreeMap::new();
    for ((route, name), count) in &fired {
        *by_fault.entry(name).or_insert(0) += count;
        *by_route.entry(route).or_insert(0) += count;
    }
    let total_fired: usize = by_fault.values().sum();
    let mut served: BTreeMap<&str, usize> = BTreeMap::new();
    for route in rig.sandbox.requests().routes() {
        *served.entry(route).or_insert(0) += 1;
    }
    let total_requests: usize = served.values().sum();
    let list = |map: &BTreeMap<&str, usize>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut report = String::new();
    for s in &steps {
        report.push_str(&format!(
            "{}: {:.1} s, {} requests ({} mutating)\n",
            s.name,
            s.wall.as_secs_f64(),
            s.requests,
            s.mutations
        ));
    }
    report.push_str(&format!(
        "faults fired: {total_fired} of {total_requests} requests; by fault: {}; by route: {}\n\
         requests by route: {}",
        list(&by_fault),
        list(&by_route),
        list(&served)
    ));
    println!("{report}");
    // The routes every pool goes through; a route whose calls all come at once (the
    // instance type catalogue, fetched by the first creates) may see no fault in time.
    for route in [
        "create-instance-pool",
        "scale-instance-pool",
        "delete-instance-pool",
        "get-operation",
        "get-instance-pool",
    ] {
        assert!(
            by_route.get(route).copied().unwrap_or(0) > 0,
            "no fault fired on {route}:\n{report}"
        );
    }
    assert!(
        total_fired * EVERY * 2 >= total_requests,
        "faults must have fired on about one request in {EVERY}:\n{report}"
    );
}
