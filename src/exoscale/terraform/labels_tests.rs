//! Default labels (the provider's `exoscale.default_labels`) driven like Terraform against
//! the sandbox: merged into what the API holds, never drift in `labels`, unknown at plan,
//! changed defaults, import and `moved`, and pools another service manages.

use std::collections::BTreeMap;

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::FaultRule;

use super::data_source::InstancePoolDataSource;
use super::migrate::{sources, OFFICIAL_PROVIDER};
use super::settings::Exoscale;
use super::test_support::{map, pool_config, pool_resource};
use crate::plugin::moves::move_state;
use crate::plugin::{conform, data_source, Value};
use crate::testing::{id_of, n, object, s, Harness};

/// A minimal pool of one instance named `name`, with `labels` when given.
fn config(name: &str, labels: Option<Value>) -> Value {
    pool_config(&[
        ("name", s(name)),
        ("size", n(1)),
        ("labels", labels.unwrap_or(Value::Null)),
    ])
}

async fn with_defaults(h: &mut Harness, defaults: Value) {
    h.reconfigure("exoscale", "default_labels", defaults, false)
        .await;
}

/// The labels the sandbox holds for pool `id`.
fn held(h: &Harness, id: &str) -> serde_json::Value {
    let saved = h.sandbox.shared.exoscale.save();
    saved["pools"][id]["spec"]["labels"].clone()
}

/// The routes of the requests that change something, since the log was last cleared.
fn mutations(h: &Harness) -> Vec<&'static str> {
    h.sandbox
        .requests()
        .all()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.route)
        .collect()
}

/// A refresh changes nothing.
async fn assert_refresh_stable(h: &Harness, state: &Value) {
    let (read, diags) = h.read(&*pool_resource(), state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(&read, state, "the refresh shows drift");
}

#[tokio::test]
async fn default_labels_are_merged_on_create_and_never_show_in_labels() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    with_defaults(&mut h, map(&[("team", "platform"), ("env", "test")])).await;
    let cfg = config("web", Some(map(&[("env", "prod"), ("app", "web")])));
    let state = h.converge(&*r, &Value::Null, &cfg).await;
    let id = id_of(&state);
    // The pool's own label wins the clash on `env`.
    assert_eq!(
        held(&h, &id),
        serde_json::json!({"team": "platform", "env": "prod", "app": "web"})
    );
    assert_eq!(
        state.attr("labels"),
        &map(&[("env", "prod"), ("app", "web")])
    );
    assert_eq!(
        state.attr("labels_all"),
        &map(&[("team", "platform"), ("env", "prod"), ("app", "web")])
    );
    assert_refresh_stable(&h, &state).await;
    // The data source shows the labels as the API holds them.
    let ds = data_source(InstancePoolDataSource);
    let (found, diags) = h.read_data(&*ds, &object([("id", s(&id))])).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(found.attr("labels"), state.attr("labels_all"));
}

#[tokio::test]
async fn changing_the_defaults_updates_exactly_the_pools_whose_labels_change() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    with_defaults(&mut h, map(&[("team", "platform")])).await;
    let plain_cfg = config("plain", None);
    let own_cfg = config("own", Some(map(&[("team", "own")])));
    let plain = h.converge(&*r, &Value::Null, &plain_cfg).await;
    let own = h.converge(&*r, &Value::Null, &own_cfg).await;

    with_defaults(&mut h, map(&[("team", "infra")])).await;
    // The refresh shows what the API holds, and no drift in `labels`.
    assert_refresh_stable(&h, &plain).await;
    assert_refresh_stable(&h, &own).await;
    // The pool whose own label overrides `team` has nothing to do.
    h.assert_plan_empty(&*r, &own, &own_cfg).await;
    let plan = h.plan(&*r, &plain, &plain_cfg).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    assert_eq!(plan.planned.attr("labels"), &Value::Null);
    assert_eq!(plan.planned.attr("labels_all"), &map(&[("team", "infra")]));
    h.sandbox.requests().clear();
    let (state, diags) = h.apply(&*r, &plain, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(mutations(&h), ["update-instance-pool"]);
    assert_eq!(
        held(&h, &id_of(&state)),
        serde_json::json!({"team": "infra"})
    );
    h.assert_plan_empty(&*r, &state, &plain_cfg).await;

    // No defaults any more, and no labels of its own: the last label goes with a reset.
    with_defaults(&mut h, Value::Null).await;
    let plan = h.plan(&*r, &state, &plain_cfg).await;
    assert_eq!(plan.planned.attr("labels_all"), &map(&[]));
    h.sandbox.requests().clear();
    let (state, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(mutations(&h), ["reset-instance-pool-field"]);
    assert_eq!(held(&h, &id_of(&state)), serde_json::Value::Null);
    h.assert_plan_empty(&*r, &state, &plain_cfg).await;
}

/// An update the API refuses leaves the old default on the pool: it still does not show as
/// the pool's own label.
#[tokio::test]
async fn a_refused_update_keeps_the_old_default_out_of_labels() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    with_defaults(&mut h, map(&[("team", "a")])).await;
    let cfg = config("web", None);
    let state = h.converge(&*r, &Value::Null, &cfg).await;
    with_defaults(&mut h, map(&[("team", "b")])).await;
    let plan = h.plan(&*r, &state, &cfg).await;
    assert_eq!(plan.planned.attr("labels_all"), &map(&[("team", "b")]));
    h.sandbox
        .faults()
        .add(FaultRule::parse("update-instance-pool=status:400*1").unwrap());
    let (failed, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(diags.has_errors(), "the update should fail: {diags}");
    assert_eq!(held(&h, &id_of(&state)), serde_json::json!({"team": "a"}));
    assert_eq!(failed.attr("labels"), &Value::Null, "{failed:?}");
    assert_eq!(failed.attr("labels_all"), &map(&[("team", "a")]));
}

#[tokio::test]
async fn a_label_set_both_ways_stays_the_pools_own_until_it_is_left_to_the_defaults() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    with_defaults(&mut h, map(&[("env", "test")])).await;
    let both = config("web", Some(map(&[("env", "test")])));
    let state = h.converge(&*r, &Value::Null, &both).await;
    assert_eq!(state.attr("labels"), &map(&[("env", "test")]));
    assert_refresh_stable(&h, &state).await;
    // Left to the defaults: `labels` changes in state, the API holds the same.
    let alone = config("web", None);
    let plan = h.plan(&*r, &state, &alone).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    h.sandbox.requests().clear();
    let (state, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert!(mutations(&h).is_empty());
    assert_eq!(state.attr("labels"), &Value::Null);
    assert_eq!(state.attr("labels_all"), &map(&[("env", "test")]));
    assert_refresh_stable(&h, &state).await;
    h.assert_plan_empty(&*r, &state, &alone).await;
}

#[tokio::test]
async fn default_labels_unknown_at_plan_plan_labels_all_unknown() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    let cfg = config("web", Some(map(&[("app", "web")])));
    let unknown = Value::Unknown(Default::default());
    let partly = Value::Map(BTreeMap::from([
        ("team".to_string(), s("platform")),
        ("build".to_string(), unknown.clone()),
    ]));
    for defaults in [unknown, partly] {
        with_defaults(&mut h, defaults).await;
        let plan = h.plan(&*r, &Value::Null, &cfg).await;
        assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
        assert!(
            plan.planned.attr("labels_all").is_unknown(),
            "{:?}",
            plan.planned
        );
        assert_eq!(plan.planned.attr("labels"), &map(&[("app", "web")]));
    }
    // Apply: the provider, configured again, knows them; the plan is applied as it was.
    let plan = h.plan(&*r, &Value::Null, &cfg).await;
    with_defaults(&mut h, map(&[("team", "platform"), ("build", "42")])).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(
        held(&h, &id_of(&state)),
        serde_json::json!({"team": "platform", "build": "42", "app": "web"})
    );
    assert_eq!(state.attr("labels"), &map(&[("app", "web")]));
    h.assert_plan_empty(&*r, &state, &cfg).await;

    // Unknown again: every pool plans `labels_all` unknown, an update that may be empty.
    with_defaults(&mut h, Value::Unknown(Default::default())).await;
    let plan = h.plan(&*r, &state, &cfg).await;
    assert!(plan.planned.attr("labels_all").is_unknown());
    with_defaults(&mut h, map(&[("team", "platform"), ("build", "42")])).await;
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert!(mutations(&h).is_empty());
    assert_eq!(after, state);
}

/// A pool made outside Terraform, carrying `labels`; returns its id.
async fn made_outside(h: &Harness, labels: serde_json::Value) -> String {
    let client = h.ctx.data::<Exoscale>().unwrap().client().unwrap();
    let body = serde_json::from_value(serde_json::json!({
        "name": "web", "size": 1, "disk-size": 10, "labels": labels,
        "instance-type": {"id": fx::INSTANCE_TYPE_SMALL},
        "template": {"id": fx::TEMPLATE_UBUNTU}
    }))
    .unwrap();
    let op = client
        .create_instance_pool("ch-gva-2", &body)
        .await
        .unwrap();
    op.reference_id().unwrap().to_string()
}

#[tokio::test]
async fn import_and_moved_show_only_the_labels_that_are_not_defaults() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    with_defaults(&mut h, map(&[("team", "platform")])).await;
    let labels = serde_json::json!({"team": "platform", "app": "web", "env": "prod"});
    let id = made_outside(&h, labels).await;
    let cfg = config("web", Some(map(&[("app", "web"), ("env", "prod")])));

    let (imported, diags) = h.import(&*r, &format!("{id}@ch-gva-2")).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(
        imported.attr("labels"),
        &map(&[("app", "web"), ("env", "prod")])
    );
    assert_eq!(
        imported.attr("labels_all"),
        &map(&[("team", "platform"), ("app", "web"), ("env", "prod")])
    );
    let (read, diags) = h.read(&*r, &imported).await;
    assert!(diags.is_empty(), "{diags}");
    h.assert_plan_empty(&*r, &read, &cfg).await;

    // `moved` from the official provider: its state names every label; the refresh after
    // the move leaves the defaults out.
    let official = serde_json::json!({
        "id": id, "zone": "ch-gva-2", "name": "web", "size": 1,
        "instance_type": "standard.small", "template_id": fx::TEMPLATE_UBUNTU,
        "disk_size": 10, "labels": {"team": "platform", "app": "web", "env": "prod"},
    });
    let moved = move_state(
        &sources(),
        OFFICIAL_PROVIDER,
        "exoscale_instance_pool",
        official.to_string().as_bytes(),
    )
    .unwrap();
    let moved = conform(moved, r.value_type());
    let (read, diags) = h.read(&*r, &moved).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(read.attr("labels"), imported.attr("labels"));
    assert_eq!(read.attr("labels_all"), imported.attr("labels_all"));
    h.assert_plan_empty(&*r, &read, &cfg).await;
}

#[tokio::test]
async fn a_managed_pool_does_not_get_the_default_labels() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    let managed = format!("{}@{}", fx::MANAGED_POOL, fx::MANAGED_POOL_ZONE);
    let (state, diags) = h.import(&*r, &managed).await;
    assert!(!diags.has_errors(), "{diags}");
    with_defaults(&mut h, map(&[("team", "platform")])).await;
    let cfg = object([
        ("name", s("nodepool-sandbox")),
        ("size", n(3)),
        ("instance_type", s("standard.medium")),
        ("template_id", s(fx::TEMPLATE_UBUNTU)),
        ("disk_size", n(50)),
        ("description", s("Managed by SKS")),
        (
            "security_group_ids",
            Value::Set(vec![s(fx::SECURITY_GROUP_DEFAULT)]),
        ),
    ]);
    // No change planned, so no refusal: the defaults are not applied to it.
    h.assert_plan_empty(&*r, &state, &cfg).await;
}
