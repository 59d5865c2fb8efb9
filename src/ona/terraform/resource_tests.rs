//! The warm pool resource, driven like Terraform against the sandbox.

use std::sync::Arc;
use std::time::Duration;

use super::resource::WarmPoolResource;
use super::settings::Ona;
use super::wait::pool_gone;
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::WarmPoolFilter;
use crate::plugin::{
    resource, validators, AnyResource, AttrPath, Configured, Ctx, Diagnostics, Settings, Stop,
    Value,
};
use crate::testing::{id_of, n, s, Harness};
use crate::wait::Wait;
use pools_sandbox::ona::fixtures::{
    CLASS_GPU_ID, CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID, SNAPSHOT_ID,
};
use pools_sandbox::FaultRule;

fn config(attrs: &[(&str, Value)]) -> Value {
    let mut all = vec![
        ("project_id", s(PROJECT_ID)),
        ("environment_class_id", s(CLASS_SMALL_ID)),
    ];
    all.extend(attrs.iter().cloned());
    Value::Object(all.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn get<'a>(state: &'a Value, name: &str) -> &'a Value {
    state.attr(name)
}

fn errors(diags: &Diagnostics) -> String {
    diags.to_string()
}

fn unknown() -> Value {
    Value::Unknown(Default::default())
}

fn warm_pool() -> Box<dyn AnyResource> {
    resource(WarmPoolResource)
}

#[tokio::test]
async fn create_waits_for_ready_and_replans_clean() {
    let h = Harness::start().await;
    let r = warm_pool();
    let cfg = config(&[]);
    let plan = h.plan(&*r, &Value::Null, &cfg).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    assert_eq!(get(&plan.planned, "min_size"), &n(1));
    assert_eq!(get(&plan.planned, "max_size"), &n(1));
    assert_eq!(get(&plan.planned, "wait_for_ready"), &Value::Bool(true));
    assert_eq!(get(&plan.planned, "id"), &unknown());

    let state = h.converge(&*r, &Value::Null, &cfg).await;
    assert!(validators::is_uuid(&id_of(&state)));
    assert_eq!(get(&state, "phase"), &s("READY"));
    assert_eq!(get(&state, "running_instances"), &n(1));
    assert_eq!(get(&state, "snapshot_id"), &s(SNAPSHOT_ID));
    assert_eq!(get(&state, "min_size"), &n(1));
    assert_eq!(get(&state, "max_size"), &n(1));
    assert!(matches!(get(&state, "created_at"), Value::String(_)));
    // Sent explicitly: the create carries both sizes.
    assert_eq!(h.calls("CreateWarmPool"), 1);

    let replan = h.plan(&*r, &state, &cfg).await;
    assert_eq!(replan.planned, state);
    assert!(replan.requires_replace.is_empty());
    let (refreshed, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(refreshed, state);
}

#[tokio::test]
async fn sizes_left_out_are_planned_as_the_api_will_set_them() {
    let h = Harness::start().await;
    let r = warm_pool();
    let cases = [
        (Value::Null, n(3), n(1), n(3)),
        (n(3), Value::Null, n(3), n(3)),
        (n(0), Value::Null, n(0), n(1)),
        (n(0), n(4), n(0), n(4)),
        (unknown(), Value::Null, unknown(), unknown()),
        (Value::Null, unknown(), n(1), unknown()),
    ];
    for (min, max, want_min, want_max) in cases {
        let cfg = config(&[("min_size", min.clone()), ("max_size", max.clone())]);
        let plan = h.plan(&*r, &Value::Null, &cfg).await;
        assert_eq!(get(&plan.planned, "min_size"), &want_min, "{min:?}/{max:?}");
        assert_eq!(get(&plan.planned, "max_size"), &want_max, "{min:?}/{max:?}");
    }
    // Planning alone calls nothing.
    assert!(h.sandbox.requests().routes().is_empty());

    // A planned min 0 reaches the API as 0 (not omitted) and the state matches the plan.
    let cfg = config(&[("min_size", n(0))]);
    let state = h.converge(&*r, &Value::Null, &cfg).await;
    assert_eq!(get(&state, "min_size"), &n(0));
    assert_eq!(get(&state, "max_size"), &n(1));
    assert_eq!(get(&state, "running_instances"), &n(0));
    assert_eq!(h.plan(&*r, &state, &cfg).await.planned, state);
}

#[tokio::test]
async fn resizing_is_one_update_call_and_removing_sizes_returns_to_defaults() {
    let h = Harness::start().await;
    let r = warm_pool();
    let first = config(&[("min_size", n(0)), ("max_size", n(3))]);
    let state = h.converge(&*r, &Value::Null, &first).await;
    let id = id_of(&state);

    let second = config(&[("min_size", n(2)), ("max_size", n(5))]);
    let plan = h.plan(&*r, &state, &second).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(get(&plan.planned, "phase"), &unknown());
    assert_eq!(get(&plan.planned, "id"), &s(&id));
    assert_eq!(get(&plan.planned, "created_at"), get(&state, "created_at"));
    h.sandbox.requests().clear();
    let (state, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    let routes = h.sandbox.requests().routes();
    assert_eq!(h.calls("UpdateWarmPool"), 1, "{routes:?}");
    assert!(routes
        .iter()
        .all(|r| *r == "UpdateWarmPool" || *r == "GetWarmPool"));
    assert_eq!(id_of(&state), id);
    assert_eq!(get(&state, "min_size"), &n(2));
    assert_eq!(get(&state, "max_size"), &n(5));
    assert_eq!(get(&state, "phase"), &s("READY"));
    assert_eq!(get(&state, "running_instances"), &n(2));
    assert_eq!(h.plan(&*r, &state, &second).await.planned, state);

    // Leaving the sizes out again plans the defaults, not the old values.
    let plan = h.plan(&*r, &state, &config(&[])).await;
    assert_eq!(get(&plan.planned, "min_size"), &n(1));
    assert_eq!(get(&plan.planned, "max_size"), &n(1));
}

#[tokio::test]
async fn terraform_only_settings_change_without_api_calls() {
    let h = Harness::start().await;
    let r = warm_pool();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    let cfg = config(&[("wait_for_ready", Value::Bool(false))]);
    let plan = h.plan(&*r, &state, &cfg).await;
    // Nothing the API maintains can change: the plan keeps it.
    let observed = [
        "phase",
        "running_instances",
        "stopped_instances",
        "desired_size",
        "snapshot_id",
        "updated_at",
    ];
    for name in observed {
        assert_eq!(get(&plan.planned, name), get(&state, name), "{name}");
    }
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(after, plan.planned);
    assert!(h.sandbox.requests().routes().is_empty());
}

#[tokio::test]
async fn wait_for_ready_false_returns_while_pending() {
    let h = Harness::start().await;
    let r = warm_pool();
    let cfg = config(&[("wait_for_ready", Value::Bool(false))]);
    let state = h.converge(&*r, &Value::Null, &cfg).await;
    assert_eq!(get(&state, "phase"), &s("PENDING"));
    assert_eq!(h.calls("GetWarmPool"), 0);
}

#[tokio::test]
async fn changing_the_project_or_class_replaces_but_case_does_not() {
    let h = Harness::start().await;
    let r = warm_pool();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    let other = config(&[("environment_class_id", s(CLASS_LARGE_ID))]);
    let plan = h.plan(&*r, &state, &other).await;
    assert_eq!(
        plan.requires_replace,
        vec![AttrPath::attrs(&["environment_class_id"])]
    );
    let moved = config(&[("project_id", s(&PROJECT_ID.replace('c', "C")))]);
    let plan = h.plan(&*r, &state, &moved).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned, state);
    let other_project = config(&[(
        "project_id",
        s(pools_sandbox::ona::fixtures::PROJECT_NO_PREBUILDS_ID),
    )]);
    let plan = h.plan(&*r, &state, &other_project).await;
    assert_eq!(
        plan.requires_replace,
        vec![AttrPath::attrs(&["project_id"])]
    );
}

#[tokio::test]
async fn degraded_pool_fails_with_its_message_and_stays_in_state() {
    let h = Harness::start().await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("CreateWarmPool=degraded:runner out of capacity").expect("fault"));
    let r = warm_pool();
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    assert!(diags.has_errors());
    assert!(errors(&diags).contains("runner out of capacity"), "{diags}");
    assert!(errors(&diags).contains("DEGRADED"), "{diags}");
    assert!(validators::is_uuid(&id_of(&state)));
    assert_eq!(get(&state, "phase"), &s("DEGRADED"));
}

#[tokio::test]
async fn an_update_that_degrades_keeps_the_new_sizes_in_state() {
    let h = Harness::start().await;
    let r = warm_pool();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("UpdateWarmPool=degraded:quota exceeded").expect("fault"));
    let cfg = config(&[("max_size", n(4))]);
    let plan = h.plan(&*r, &state, &cfg).await;
    let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(errors(&diags).contains("quota exceeded"), "{diags}");
    assert_eq!(id_of(&after), id_of(&state));
    assert_eq!(get(&after, "max_size"), &n(4));
    assert_eq!(get(&after, "phase"), &s("DEGRADED"));
}

#[tokio::test]
async fn timeout_names_the_last_phase_and_keeps_the_pool() {
    let h = Harness::with_config(pools_sandbox::Config {
        warm_pool_settle: Duration::from_secs(30),
        ..pools_sandbox::Config::default()
    })
    .await;
    let r = warm_pool();
    let timeouts = Value::Object([("create".to_string(), s("1s"))].into_iter().collect());
    let plan = h
        .plan(&*r, &Value::Null, &config(&[("timeouts", timeouts)]))
        .await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    // Polls at least 90 ms apart fit 13 times in 1 s; waiting out the 30 s the pool
    // takes would have needed dozens (and ended READY).
    let polls = h.calls("GetWarmPool");
    assert!((1..=13).contains(&polls), "{polls} polls");
    let text = errors(&diags);
    assert!(text.contains("Timed out"), "{text}");
    assert!(text.contains("last seen: phase PENDING"), "{text}");
    assert!(validators::is_uuid(&id_of(&state)));
    assert_eq!(get(&state, "phase"), &s("PENDING"));
}

#[tokio::test]
async fn an_existing_pool_is_named_with_the_import_command() {
    let h = Harness::start().await;
    let r = warm_pool();
    let first = h.converge(&*r, &Value::Null, &config(&[])).await;
    let existing = id_of(&first);
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    assert_eq!(state, Value::Null);
    let text = errors(&diags);
    assert!(text.contains("Warm pool already exists"), "{text}");
    assert!(text.contains(&format!("(id {existing})")), "{text}");
    assert!(
        text.contains(&format!(
            "terraform import 'pools_warm_pool.NAME' {existing}"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("id = \"{existing}\"")), "{text}");
}

#[tokio::test]
async fn a_pool_being_deleted_is_waited_out_before_creating() {
    let h = Harness::start().await;
    let r = warm_pool();
    let old = h.converge(&*r, &Value::Null, &config(&[])).await;
    let client = Ona::client(&h.ctx).expect("client");
    client.delete_warm_pool(&id_of(&old)).await.expect("delete");
    let new = h.converge(&*r, &Value::Null, &config(&[])).await;
    assert_ne!(id_of(&new), id_of(&old));
    assert_eq!(get(&new, "phase"), &s("READY"));
}

#[tokio::test]
async fn import_by_id_then_plan_is_clean() {
    let h = Harness::start().await;
    let r = warm_pool();
    let client = Ona::client(&h.ctx).expect("client");
    let pool = client
        .create_warm_pool(PROJECT_ID, CLASS_LARGE_ID, 2, 4)
        .await
        .expect("create");
    let (state, diags) = h.import(&*r, &pool.id).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(get(&state, "environment_class_id"), &s(CLASS_LARGE_ID));
    assert_eq!(get(&state, "min_size"), &n(2));
    assert_eq!(get(&state, "snapshot_id"), &Value::Null);
    let cfg = config(&[
        ("environment_class_id", s(CLASS_LARGE_ID)),
        ("min_size", n(2)),
        ("max_size", n(4)),
    ]);
    let plan = h.plan(&*r, &state, &cfg).await;
    assert_eq!(plan.planned, state);

    let (none, diags) = h.import(&*r, "not-a-uuid").await;
    assert_eq!(none, Value::Null);
    assert!(errors(&diags).contains("UUID"), "{diags}");
    let missing = "0f000000-0000-4000-8000-000000000009";
    let (_, diags) = h.import(&*r, missing).await;
    assert!(
        errors(&diags).contains(&format!("no warm pool with id {missing}")),
        "{diags}"
    );
}

#[tokio::test]
async fn delete_waits_until_the_pool_is_gone() {
    let h = Harness::start().await;
    let r = warm_pool();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    assert_eq!(h.sandbox.shared.ona.pool_count(), 1);
    let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(after, Value::Null);
    assert_eq!(h.sandbox.shared.ona.pool_count(), 0);
    assert_eq!(h.calls("DeleteWarmPool"), 1);
}

#[tokio::test]
async fn invalid_sizes_are_refused_at_validate_with_paths() {
    let h = Harness::start().await;
    let r = warm_pool();
    let paths = |diags: &Diagnostics| -> Vec<String> {
        diags
            .0
            .iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    };
    // One error for the pair, on the lower bound, naming both.
    let d = h.validate(&*r, &config(&[("min_size", n(5)), ("max_size", n(2))]));
    assert_eq!(paths(&d), ["min_size"]);
    assert!(errors(&d).contains("min_size = 5 and max_size = 2"), "{d}");
    let d = h.validate(&*r, &config(&[("max_size", n(21))]));
    assert_eq!(paths(&d), ["max_size"]);
    assert!(errors(&d).contains("from 1 to 20; got 21"), "{d}");
    let d = h.validate(&*r, &config(&[("min_size", n(-1))]));
    assert_eq!(paths(&d), ["min_size"]);
    assert!(errors(&d).contains("from 0 to 20; got -1"), "{d}");
    let d = h.validate(&*r, &config(&[("project_id", s("sandbox-app"))]));
    assert_eq!(paths(&d), ["project_id"]);
    // Unknown values are checked later, at apply.
    let d = h.validate(&*r, &config(&[("min_size", unknown()), ("max_size", n(2))]));
    assert!(d.is_empty(), "{d}");
    assert!(h.sandbox.requests().routes().is_empty());
}

#[tokio::test]
async fn a_pool_removed_outside_terraform_leaves_state() {
    let h = Harness::start().await;
    let r = warm_pool();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    let client = Ona::client(&h.ctx).expect("client");
    client
        .delete_warm_pool(&id_of(&state))
        .await
        .expect("delete");
    // Still DELETING: already counts as gone.
    let (read, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(read, Value::Null);
    let wait = Wait::new("test", Duration::from_secs(5), &Stop::new());
    pool_gone(client, &id_of(&state), &wait)
        .await
        .expect("gone");
    let (read, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(read, Value::Null);
    // Deleting what is already gone succeeds.
    let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(after, Value::Null);
}

#[tokio::test]
async fn an_update_without_an_id_is_refused_without_calling_the_api() {
    let h = Harness::start().await;
    let r = warm_pool();
    let mut state = h.converge(&*r, &Value::Null, &config(&[])).await;
    if let Value::Object(attrs) = &mut state {
        attrs.insert("id".to_string(), Value::Null);
    }
    let plan = h.plan(&*r, &state, &config(&[("max_size", n(4))])).await;
    let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
    let text = errors(&diags);
    assert!(text.contains("Warm pool has no id"), "{text}");
    assert!(text.contains("import the pool"), "{text}");
    assert_eq!(after, state, "the state is kept as it was");
    assert_eq!(h.calls("UpdateWarmPool"), 0);
}

// Faults (issue 9). Whatever fails during a change, the state and the sandbox agree after
// it: every pool the sandbox holds is in state, once, and a pool in state exists.

/// Outlasted by the `latency:3000` faults below: the attempt times out, the sandbox drops
/// the request whose client hung up (so it never runs, and is not logged).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

/// Points the harness at a client with this token and per-attempt timeout.
fn use_client(h: &mut Harness, token: &str, attempt_timeout: Duration) {
    let client = OnaClient::new(token, &h.sandbox.ona_endpoint())
        .expect("client")
        .with_attempt_timeout(attempt_timeout)
        .with_stop(h.ctx.stop.clone());
    let configured = Configured {
        data: vec![Arc::new(Ona {
            client: Ok(client),
            failure_window: crate::wait::FAILURE_WINDOW,
        })],
        settings: Settings::default(),
    };
    h.ctx = Ctx::new(Some(Arc::new(configured)), h.ctx.stop.clone());
}

/// No orphan, no duplicate, no lost pool: the sandbox holds exactly the pools these states
/// name (null states name none).
async fn assert_sandbox_holds(h: &Harness, states: &[&Value], label: &str) {
    h.sandbox.faults().clear();
    let client = Ona::client(&h.ctx).expect("client");
    let pools = client
        .list_warm_pools(&WarmPoolFilter::default())
        .await
        .expect("list");
    let mut held: Vec<String> = pools.into_iter().map(|p| p.id).collect();
    let mut recorded: Vec<String> = states
        .iter()
        .filter(|s| !s.is_null())
        .map(|s| id_of(s))
        .collect();
    held.sort();
    recorded.sort();
    assert_eq!(
        held, recorded,
        "{label}: the sandbox's pools and the state's"
    );
}

#[derive(Clone, Copy, Debug)]
enum Change {
    Create,
    Update,
    Delete,
}

/// One fault during one change of a warm pool, and how the change must end.
struct Case {
    /// The sandbox fault, `ROUTE=KIND[:ARG][*TIMES]`.
    fault: &'static str,
    /// How many requests of these routes the sandbox logged during the change. Polls are
    /// not counted unless named: how many there are depends on timing.
    calls: &'static [(&'static str, usize)],
    /// Empty: the change converges. Otherwise it fails with an error containing each text.
    error: &'static [&'static str],
}

const fn case(
    fault: &'static str,
    calls: &'static [(&'static str, usize)],
    error: &'static [&'static str],
) -> Case {
    Case {
        fault,
        calls,
        error,
    }
}

const CONVERGES: &[&str] = &[];
const CREATE: &str = "CreateWarmPool";
const UPDATE: &str = "UpdateWarmPool";
const DELETE: &str = "DeleteWarmPool";
const LIST: &str = "ListWarmPools";
const GET: &str = "GetWarmPool";

const CREATE_CASES: &[Case] = &[
    // Refusals for now are met by sending the create again: the pair rule makes a repeat
    // unable to duplicate the pool.
    case(
        "CreateWarmPool=status:503*3",
        &[(CREATE, 4), (LIST, 0)],
        CONVERGES,
    ),
    case("CreateWarmPool=throttle:1*1", &[(CREATE, 2)], CONVERGES),
    // Polls ride out 5xx, 429, resets (past the transport's own attempts) and slow answers.
    case("GetWarmPool=status:503*3", &[(CREATE, 1)], CONVERGES),
    case("GetWarmPool=throttle:1*1", &[(CREATE, 1)], CONVERGES),
    case("GetWarmPool=reset*8", &[(CREATE, 1)], CONVERGES),
    case("GetWarmPool=latency:3000*1", &[(CREATE, 1)], CONVERGES),
    // The pool was made but the answer is lost or unreadable: the pair names it; adopted.
    case(
        "CreateWarmPool=lost*1",
        &[(CREATE, 1), (LIST, 1)],
        CONVERGES,
    ),
    case(
        "CreateWarmPool=garbage:truncated*1",
        &[(CREATE, 1), (LIST, 1)],
        CONVERGES,
    ),
    // No answer and no pool: not sent again blind.
    case(
        "CreateWarmPool=reset*1",
        &[(CREATE, 1), (LIST, 1)],
        &[
            "Warm pool not created",
            "the create did not take effect",
            "Run terraform apply again",
        ],
    ),
    // A 504 (deadline_exceeded) may hide a create that took effect: looked up, like a loss.
    case(
        "CreateWarmPool=status:504*1",
        &[(CREATE, 1), (LIST, 1)],
        &["504 Gateway Timeout", "the create did not take effect"],
    ),
    case(
        "CreateWarmPool=latency:3000*1",
        &[(CREATE, 0), (LIST, 1)],
        &["operation timed out", "the create did not take effect"],
    ),
    case(
        "CreateWarmPool=degraded:runner out of capacity",
        &[(CREATE, 1)],
        &[
            "DEGRADED",
            "runner out of capacity",
            "kept in the Terraform state",
        ],
    ),
    // The report: a refused first poll used to leave the pool out of state.
    case(
        "GetWarmPool=status:403*1",
        &[(CREATE, 1), (GET, 1)],
        &[
            "Cannot read the warm pool",
            "403 Forbidden",
            "check the Ona API credentials",
            "kept in the Terraform state",
        ],
    ),
    case(
        "CreateWarmPool=status:403*1",
        &[(CREATE, 1), (LIST, 0)],
        &[
            "Cannot create the warm pool",
            "403 Forbidden",
            "check the Ona API credentials",
        ],
    ),
];

const UPDATE_CASES: &[Case] = &[
    case("UpdateWarmPool=status:503*3", &[(UPDATE, 4)], CONVERGES),
    case("UpdateWarmPool=throttle:1*1", &[(UPDATE, 2)], CONVERGES),
    case("GetWarmPool=status:503*3", &[(UPDATE, 1)], CONVERGES),
    case("GetWarmPool=status:504*2", &[(UPDATE, 1)], CONVERGES),
    case("GetWarmPool=throttle:1*1", &[(UPDATE, 1)], CONVERGES),
    case("GetWarmPool=reset*8", &[(UPDATE, 1)], CONVERGES),
    case("GetWarmPool=latency:3000*1", &[(UPDATE, 1)], CONVERGES),
    // The change landed, the answer did not: the read finds the new sizes.
    case("UpdateWarmPool=lost*1", &[(UPDATE, 1)], CONVERGES),
    case("UpdateWarmPool=garbage:empty*1", &[(UPDATE, 1)], CONVERGES),
    // Nothing landed: the read finds the old sizes, and they are sent once more.
    case("UpdateWarmPool=reset*1", &[(UPDATE, 2)], CONVERGES),
    case("UpdateWarmPool=latency:3000*1", &[(UPDATE, 1)], CONVERGES),
    // ... and only once.
    case(
        "UpdateWarmPool=reset*2",
        &[(UPDATE, 2)],
        &[
            "was sent twice and no answer came back",
            "min_size 1 and max_size 1",
        ],
    ),
    case(
        "UpdateWarmPool=degraded:quota exceeded",
        &[(UPDATE, 1)],
        &["DEGRADED", "quota exceeded", "kept in the Terraform state"],
    ),
];

const DELETE_CASES: &[Case] = &[
    case("DeleteWarmPool=status:503*3", &[(DELETE, 4)], CONVERGES),
    case("DeleteWarmPool=throttle:1*1", &[(DELETE, 2)], CONVERGES),
    case("GetWarmPool=status:503*3", &[(DELETE, 1)], CONVERGES),
    case("GetWarmPool=throttle:1*1", &[(DELETE, 1)], CONVERGES),
    case("GetWarmPool=reset*8", &[(DELETE, 1)], CONVERGES),
    case("GetWarmPool=latency:3000*1", &[(DELETE, 1)], CONVERGES),
    // The delete landed: the read finds the pool DELETING, and the wait goes on.
    case("DeleteWarmPool=lost*1", &[(DELETE, 1)], CONVERGES),
    // It did not: the read finds the pool READY, and the delete is sent again.
    case("DeleteWarmPool=reset*1", &[(DELETE, 2)], CONVERGES),
    case("DeleteWarmPool=latency:3000*1", &[(DELETE, 1)], CONVERGES),
    case(
        "DeleteWarmPool=status:403*1",
        &[(DELETE, 1)],
        &[
            "Cannot delete the warm pool",
            "403 Forbidden",
            "check the Ona API credentials",
        ],
    ),
];

/// Takes a pool through `change` (a create; a max_size change from 1 to 3; a delete) with
/// the case's fault injected, then checks the outcome, the calls, and that state and
/// sandbox agree.
async fn run(change: Change, case: &'static Case) {
    let mut h = Harness::start().await;
    let token = pools_sandbox::Config::default().ona_token;
    use_client(&mut h, &token, ATTEMPT_TIMEOUT);
    let r = warm_pool();
    let initial = config(&[]);
    let (prior, target) = match change {
        Change::Create => (Value::Null, initial),
        Change::Update => (
            h.converge(&*r, &Value::Null, &initial).await,
            config(&[("max_size", n(3))]),
        ),
        Change::Delete => (h.converge(&*r, &Value::Null, &initial).await, Value::Null),
    };
    let planned = match &target {
        Value::Null => Value::Null,
        target => h.plan(&*r, &prior, target).await.planned,
    };
    h.sandbox.requests().clear();
    h.sandbox
        .faults()
        .add(FaultRule::parse(case.fault).expect("fault"));
    let (state, diags) = h.apply(&*r, &prior, &planned).await;
    let label = format!("{change:?} under {}", case.fault);
    for (route, want) in case.calls {
        assert_eq!(h.calls(route), *want, "{label}: {route} calls");
    }
    let text = errors(&diags);
    if case.error.is_empty() {
        assert!(!diags.has_errors(), "{label}: {text}");
        match &target {
            Value::Null => assert_eq!(state, Value::Null, "{label}"),
            target => h.assert_plan_empty(&*r, &state, target).await,
        }
    } else {
        assert!(diags.has_errors(), "{label}: no error");
        for want in case.error {
            assert!(text.contains(want), "{label}: {want:?} not in {text}");
        }
    }
    assert_sandbox_holds(&h, &[&state], &label).await;
}

/// Runs every case at once, each against its own sandbox: they mostly wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_and_delete_under_faults() {
    let tables = [
        (Change::Create, CREATE_CASES),
        (Change::Update, UPDATE_CASES),
        (Change::Delete, DELETE_CASES),
    ];
    let mut running = tokio::task::JoinSet::new();
    for (change, cases) in tables {
        for case in cases {
            running.spawn(run(change, case));
        }
    }
    while let Some(done) = running.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

#[tokio::test]
async fn a_pool_that_never_settles_times_out_and_stays_in_state() {
    // Pools take a minute to settle: longer than every timeout below.
    let h = Harness::with_config(pools_sandbox::Config {
        warm_pool_settle: Duration::from_secs(60),
        ..pools_sandbox::Config::default()
    })
    .await;
    let r = warm_pool();
    let timeouts = Value::Object(
        ["create", "update", "delete"]
            .into_iter()
            .map(|name| (name.to_string(), s("300ms")))
            .collect(),
    );

    let cfg = config(&[("timeouts", timeouts.clone())]);
    let plan = h.plan(&*r, &Value::Null, &cfg).await;
    let (created, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    let text = errors(&diags);
    assert!(
        text.contains("Timed out waiting for the warm pool"),
        "{text}"
    );
    assert!(text.contains("last seen: phase PENDING"), "{text}");
    assert!(text.contains("Raise timeouts"), "{text}");
    assert_eq!(get(&created, "phase"), &s("PENDING"));
    assert_sandbox_holds(&h, &[&created], "create").await;

    // Deleting it (as replacing a pool that failed to create does): DELETING for a minute.
    let (kept, diags) = h.apply(&*r, &created, &Value::Null).await;
    let text = errors(&diags);
    assert!(text.contains("The warm pool is not gone yet"), "{text}");
    assert!(text.contains("last seen: phase DELETING"), "{text}");
    assert!(text.contains("raise timeouts.delete"), "{text}");
    assert_eq!(kept, created);
    assert_sandbox_holds(&h, &[&kept], "delete").await;
    assert_eq!(h.calls("DeleteWarmPool"), 1);

    // A pool created without waiting, then resized with waiting.
    let large = |attrs: &[(&str, Value)]| {
        let mut all = vec![
            ("environment_class_id", s(CLASS_LARGE_ID)),
            ("timeouts", timeouts.clone()),
        ];
        all.extend(attrs.iter().cloned());
        config(&all)
    };
    let pending = h
        .converge(
            &*r,
            &Value::Null,
            &large(&[("wait_for_ready", Value::Bool(false))]),
        )
        .await;
    let plan = h.plan(&*r, &pending, &large(&[("max_size", n(3))])).await;
    let (resized, diags) = h.apply(&*r, &pending, &plan.planned).await;
    let text = errors(&diags);
    assert!(
        text.contains("Timed out waiting for the warm pool"),
        "{text}"
    );
    assert_eq!(get(&resized, "max_size"), &n(3));
    assert_eq!(id_of(&resized), id_of(&pending));
    assert_sandbox_holds(&h, &[&kept, &resized], "update").await;
}

#[tokio::test]
async fn a_degraded_pool_is_deleted() {
    let h = Harness::start().await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("CreateWarmPool=degraded:runner out of capacity*1").expect("fault"));
    let r = warm_pool();
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    let (degraded, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    assert!(errors(&diags).contains("runner out of capacity"), "{diags}");
    assert_eq!(get(&degraded, "phase"), &s("DEGRADED"));
    let (gone, diags) = h.apply(&*r, &degraded, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(gone, Value::Null);
    assert_sandbox_holds(&h, &[], "delete").await;
}

#[tokio::test]
async fn errors_that_will_not_heal_fail_at_once_and_say_what_to_fix() {
    let mut h = Harness::start().await;
    let r = warm_pool();
    let gpu = config(&[("environment_class_id", s(CLASS_GPU_ID))]);
    let plan = h.plan(&*r, &Value::Null, &gpu).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    let text = errors(&diags);
    assert!(text.contains("failed_precondition"), "{text}");
    assert!(
        text.contains("Prebuilds must be enabled for the project, with this environment class in its prebuild configuration"),
        "{text}"
    );
    assert_eq!(state, Value::Null);
    assert_eq!(h.calls("CreateWarmPool"), 1);

    use_client(&mut h, "wrong-token", ATTEMPT_TIMEOUT);
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    let text = errors(&diags);
    assert!(
        text.contains("401 Unauthorized (unauthenticated)"),
        "{text}"
    );
    assert!(text.contains("check the Ona API credentials"), "{text}");
    assert_eq!(state, Value::Null);
    assert_eq!(h.calls("CreateWarmPool"), 2);
    let token = pools_sandbox::Config::default().ona_token;
    use_client(&mut h, &token, ATTEMPT_TIMEOUT);
    assert_sandbox_holds(&h, &[], "create").await;
}

#[tokio::test]
async fn a_lost_create_does_not_adopt_a_pool_with_other_sizes() {
    let h = Harness::start().await;
    let r = warm_pool();
    let client = Ona::client(&h.ctx).expect("client");
    let theirs = client
        .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 2, 4)
        .await
        .expect("create");
    // The create is answered already_exists, and that answer is lost.
    h.sandbox.requests().clear();
    h.sandbox
        .faults()
        .add(FaultRule::parse("CreateWarmPool=lost*1").expect("fault"));
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    let text = errors(&diags);
    assert!(text.contains("Warm pool already exists"), "{text}");
    assert!(
        text.contains(&format!(
            "terraform import 'pools_warm_pool.NAME' {}",
            theirs.id
        )),
        "{text}"
    );
    assert_eq!(state, Value::Null);
    assert_eq!(
        (h.calls("CreateWarmPool"), h.calls("ListWarmPools")),
        (1, 1)
    );
}

#[tokio::test]
async fn a_create_stopped_in_flight_leaves_its_note_open() {
    let h = Harness::start().await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("CreateWarmPool=latency:10000*1").unwrap());
    // In capitals: a note key no other test makes (the API compares ids case-insensitively).
    let project = PROJECT_ID.to_uppercase();
    let cfg = config(&[("project_id", s(&project))]);
    let r = warm_pool();
    let plan = h.plan(&*r, &Value::Null, &cfg).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    let ((state, diags), ()) = tokio::join!(
        h.apply(&*r, &Value::Null, &plan.planned),
        h.stop_once_faults_are_taken()
    );
    assert_eq!(state, Value::Null);
    let text = errors(&diags);
    assert!(
        text.contains("the next apply from this working directory looks for it"),
        "{text}"
    );
    assert_eq!(
        crate::intents::open_in_this_process(&format!("ona {project} ")),
        1
    );
}
