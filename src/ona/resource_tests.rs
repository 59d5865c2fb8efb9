//! The warm pool resource, driven like Terraform against the sandbox.

use std::time::Duration;

use tokio::time::Instant;

use super::resource::WarmPoolResource;
use super::settings::Ona;
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::plan::attr;
use crate::plugin::resource::{resource, AnyResource};
use crate::plugin::validators;
use crate::testing::{id_of, n, s, Harness};
use crate::wait::Stop;
use pools_sandbox::ona::fixtures::{CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID, SNAPSHOT_ID};
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
    attr(state, name)
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
    let d = h.validate(&*r, &config(&[("min_size", n(5)), ("max_size", n(2))]));
    assert_eq!(paths(&d), ["min_size", "max_size"]);
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
    let deadline = Instant::now() + Duration::from_secs(5);
    client
        .wait_warm_pool_gone(&id_of(&state), deadline, &Stop::new())
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
