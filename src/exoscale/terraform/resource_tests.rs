//! The instance pool resource and data sources, driven like Terraform against the sandbox.

use std::sync::Arc;
use std::time::Duration;

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::FaultRule;

use super::data_source::{InstancePoolDataSource, InstancePoolsDataSource};
use super::labels::DEFAULT_LABELS_SETTING;
use super::settings::{Exoscale, ZONE_SETTING};
use super::test_support::{map, pool_config as config, pool_resource};
use super::wait::pool_gone;
use crate::exoscale::api::ExoscaleClient;
use crate::intents;
use crate::plugin::{data_source, AttrPath, Configured, Ctx, Diagnostics, Settings, Tri, Value};
use crate::testing::{assert_final_plan_compatible, id_of, n, object, s, Harness};
use crate::wait::Wait;

fn set(items: &[&str]) -> Value {
    Value::Set(items.iter().map(|i| s(i)).collect())
}

fn has_error_at(diags: &Diagnostics, name: &str) -> bool {
    diags
        .0
        .iter()
        .any(|d| d.path == Some(AttrPath::attrs(&[name])))
}

/// Plans `config` against `state` and asserts the plan is empty.
async fn assert_no_changes(h: &Harness, state: &Value, config: &Value) {
    let plan = h.plan(&*pool_resource(), state, config).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}\n{:?}\n{:?}",
        plan.requires_replace,
        plan.planned,
        state
    );
    assert_eq!(&plan.planned, state, "the plan is not empty");
}

fn full_config() -> Value {
    config(&[
        ("description", s("web servers")),
        ("labels", map(&[("env", "prod")])),
        ("security_group_ids", set(&[fx::SECURITY_GROUP_DEFAULT])),
        ("private_network_ids", set(&[fx::PRIVATE_NETWORK])),
        ("anti_affinity_group_ids", set(&[fx::ANTI_AFFINITY_GROUP])),
        ("elastic_ip_ids", set(&[fx::ELASTIC_IP])),
        ("deploy_target_id", s(fx::DEPLOY_TARGET)),
        ("ssh_keys", set(&[fx::SSH_KEY])),
        ("user_data", s("#cloud-config\npackages: [nginx]\n")),
        ("instance_prefix", s("web")),
        ("public_ip_assignment", s("dual")),
        ("min_available", n(1)),
        ("wait_for_instances", Value::Bool(true)),
    ])
}

#[tokio::test]
async fn create_then_plan_again_is_empty_and_refresh_is_stable() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &full_config()).await;
    assert_eq!(h.calls("create-instance-pool"), 1);
    assert_eq!(state.attr("zone"), &s("ch-gva-2"));
    assert_eq!(state.attr("state"), &s("running"));
    assert_eq!(state.attr("instance_type_id"), &s(fx::INSTANCE_TYPE_SMALL));
    assert_eq!(
        state.attr("user_data"),
        &s("#cloud-config\npackages: [nginx]\n")
    );
    match state.attr("instance_ids") {
        Value::List(ids) => assert_eq!(ids.len(), 2),
        other => panic!("instance_ids: {other:?}"),
    }
    assert_no_changes(&h, &state, &full_config()).await;
    let (refreshed, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(refreshed, state);
}

#[tokio::test]
async fn size_only_change_is_exactly_one_scale() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    h.sandbox.requests().clear();
    let grown = h.converge(&*r, &state, &config(&[("size", n(3))])).await;
    assert_eq!(h.calls("scale-instance-pool"), 1);
    assert_eq!(h.calls("update-instance-pool"), 0);
    assert_eq!(h.calls("reset-instance-pool-field"), 0);
    assert_eq!(grown.attr("size"), &n(3));
    assert_eq!(id_of(&grown), id_of(&state));
    assert_no_changes(&h, &grown, &config(&[("size", n(3))])).await;
}

#[tokio::test]
async fn other_changes_are_one_update_and_removals_are_resets() {
    let h = Harness::start().await;
    let r = pool_resource();
    let labelled = config(&[("labels", map(&[("env", "prod")]))]);
    let state = h.converge(&*r, &Value::Null, &labelled).await;
    h.sandbox.requests().clear();
    let changed = config(&[
        ("labels", map(&[("env", "dev"), ("team", "web")])),
        ("description", s("now described")),
    ]);
    let state = h.converge(&*r, &state, &changed).await;
    assert_eq!(h.calls("update-instance-pool"), 1);
    assert_eq!(h.calls("scale-instance-pool"), 0);
    assert_eq!(state.attr("description"), &s("now described"));
    assert_no_changes(&h, &state, &changed).await;

    h.sandbox.requests().clear();
    let state = h.converge(&*r, &state, &config(&[])).await;
    let resets: Vec<String> = h
        .sandbox
        .requests()
        .all()
        .into_iter()
        .filter(|q| q.route == "reset-instance-pool-field")
        .map(|q| q.path.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(resets, vec!["description", "labels"]);
    assert_eq!(h.calls("update-instance-pool"), 0);
    assert_eq!(state.attr("labels"), &Value::Null);
    assert_no_changes(&h, &state, &config(&[])).await;
}

#[tokio::test]
async fn zone_change_forces_replacement() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    let plan = h
        .plan(&*r, &state, &config(&[("zone", s("de-fra-1"))]))
        .await;
    assert!(plan.requires_replace.contains(&AttrPath::attrs(&["zone"])));
    // Spelling out the default zone is no change.
    assert_no_changes(&h, &state, &config(&[("zone", s("ch-gva-2"))])).await;
}

#[tokio::test]
async fn instance_type_spelling_never_makes_a_diff() {
    let h = Harness::start().await;
    let r = pool_resource();
    let cfg = config(&[("instance_type", s("Standard.Small"))]);
    let state = h.converge(&*r, &Value::Null, &cfg).await;
    assert_eq!(state.attr("instance_type"), &s("Standard.Small"));
    assert_no_changes(
        &h,
        &state,
        &config(&[("instance_type", s("standard.small"))]),
    )
    .await;
    assert_no_changes(
        &h,
        &state,
        &config(&[("instance_type", s(fx::INSTANCE_TYPE_SMALL))]),
    )
    .await;
    h.sandbox.requests().clear();
    let bigger = config(&[("instance_type", s("standard.medium"))]);
    let state = h.converge(&*r, &state, &bigger).await;
    assert_eq!(h.calls("update-instance-pool"), 1);
    assert_eq!(state.attr("instance_type_id"), &s(fx::INSTANCE_TYPE_MEDIUM));
    assert_no_changes(&h, &state, &bigger).await;
    let typo = h
        .plan(
            &*r,
            &state,
            &config(&[("instance_type", s("standard.huge"))]),
        )
        .await;
    assert!(
        has_error_at(&typo.diagnostics, "instance_type"),
        "{}",
        typo.diagnostics
    );
}

/// A new provider process (configured with `zone`), and the sandbox's request log cleared.
async fn fresh_process(h: &mut Harness, zone: Value) {
    h.sandbox.requests().clear();
    h.reconfigure("exoscale", "zone", zone, false).await;
}

/// The instance type is resolved once, at plan, and apply uses the planned
/// `instance_type_id`; an apply resolves it only when the plan could not. Counted over plan
/// and apply in one provider process, then in two: each apply in a fresh process, whose
/// catalogue is empty, so that any lookup at apply would list the zone's types again.
#[tokio::test]
async fn the_instance_type_is_resolved_at_plan_and_used_at_apply() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    let listed = |h: &Harness| h.calls("list-instance-types");

    // One process: the plan lists the types; the create uses the planned id.
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    assert_eq!(listed(&h), 1);
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(listed(&h), 1, "the create resolved the instance type again");

    // Two processes: a create and an update, planned in one and applied in another.
    let bigger = config(&[("instance_type", s("standard.medium"))]);
    let update = h.plan(&*r, &state, &bigger).await;
    let create = h
        .plan(&*r, &Value::Null, &config(&[("name", s("db"))]))
        .await;
    fresh_process(&mut h, s("ch-gva-2")).await;
    let (updated, diags) = h.apply(&*r, &state, &update.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(
        updated.attr("instance_type_id"),
        &s(fx::INSTANCE_TYPE_MEDIUM)
    );
    let (created, diags) = h.apply(&*r, &Value::Null, &create.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(
        created.attr("instance_type_id"),
        &s(fx::INSTANCE_TYPE_SMALL)
    );
    assert_eq!(listed(&h), 0, "an apply resolved a planned instance type");

    // A plan that could not resolve it (the zone unknown until apply): the apply does, once.
    fresh_process(&mut h, Value::Unknown(Default::default())).await;
    let unresolved = h
        .plan(&*r, &Value::Null, &config(&[("name", s("late"))]))
        .await;
    assert!(unresolved.planned.attr("instance_type_id").is_unknown());
    fresh_process(&mut h, s("ch-gva-2")).await;
    let (late, diags) = h.apply(&*r, &Value::Null, &unresolved.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(late.attr("instance_type_id"), &s(fx::INSTANCE_TYPE_SMALL));
    assert_eq!(listed(&h), 1);
}

#[tokio::test]
async fn import_by_id_and_zone_then_plan_is_empty() {
    let h = Harness::start().await;
    let r = pool_resource();
    let cfg = config(&[
        ("labels", map(&[("env", "prod")])),
        ("user_data", s("#cloud-config\n")),
    ]);
    let created = h.converge(&*r, &Value::Null, &cfg).await;
    let id = id_of(&created);
    let (imported, diags) = h.import(&*r, &format!("{id}@ch-gva-2")).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(imported.attr("instance_type"), &s("standard.small"));
    assert_no_changes(&h, &imported, &cfg).await;
    let (plain, diags) = h.import(&*r, &id).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(id_of(&plain), id);

    let (_, diags) = h.import(&*r, "web@ch-gva-2").await;
    let text = diags.to_string();
    assert!(
        diags.has_errors() && text.contains("<pool id>@<zone>"),
        "{text}"
    );
    let (_, diags) = h
        .import(&*r, "01234567-89ab-cdef-0123-456789abcdef@de-fra-1")
        .await;
    assert!(diags.to_string().contains("not found"), "{diags}");
}

#[tokio::test]
async fn a_pool_deleted_elsewhere_leaves_state_on_refresh() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    let data = h.ctx.data::<Exoscale>().unwrap();
    let client = data.client().unwrap();
    let id = id_of(&state);
    client.delete_instance_pool("ch-gva-2", &id).await.unwrap();
    let wait = Wait::new("test", std::time::Duration::from_secs(5), &h.ctx.stop);
    pool_gone(client, "ch-gva-2", &id, &wait).await.unwrap();
    let (refreshed, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(refreshed, Value::Null);
}

#[tokio::test]
async fn destroy_deletes_and_waits_until_gone() {
    let h = Harness::start().await;
    let r = pool_resource();
    let before = h.sandbox.shared.exoscale.pool_count();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    assert_eq!(h.sandbox.shared.exoscale.pool_count(), before + 1);
    let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(after, Value::Null);
    assert_eq!(h.calls("delete-instance-pool"), 1);
    // Only the sandbox's fixed SKS-managed pool is left.
    assert_eq!(h.sandbox.shared.exoscale.pool_count(), before);
}

#[tokio::test]
async fn a_failed_create_still_records_the_pool() {
    let h = Harness::start().await;
    let r = pool_resource();
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=operation-failure").unwrap());
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    assert!(diags.has_errors());
    assert!(
        diags.to_string().contains("injected operation failure"),
        "{diags}"
    );
    let id = id_of(&state);
    assert_eq!(state.attr("zone"), &s("ch-gva-2"));
    // The recorded pool is the one the API made: destroying it works.
    h.sandbox.requests().clear();
    let (gone, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(gone, Value::Null);
    assert!(h
        .sandbox
        .requests()
        .all()
        .iter()
        .any(|q| q.route == "delete-instance-pool" && q.path.ends_with(&id)));
}

#[tokio::test]
async fn a_managed_pool_is_refused_without_any_mutation() {
    let h = Harness::start().await;
    let r = pool_resource();
    let (state, diags) = h
        .import(
            &*r,
            &format!("{}@{}", fx::MANAGED_POOL, fx::MANAGED_POOL_ZONE),
        )
        .await;
    // The import warns, once, that changes will be refused.
    assert_eq!(diags.0.len(), 1, "{diags}");
    assert!(!diags.has_errors(), "{diags}");
    let warning = diags.to_string();
    assert!(
        warning.contains("sks-nodepool") && warning.contains(fx::MANAGER_NODEPOOL),
        "{warning}"
    );
    assert_eq!(state.attr("manager_type"), &s("sks-nodepool"));
    let cfg = config(&[
        ("name", s("nodepool-sandbox")),
        ("size", n(5)),
        ("instance_type", s("standard.medium")),
        ("disk_size", n(50)),
        ("description", s("Managed by SKS")),
        ("security_group_ids", set(&[fx::SECURITY_GROUP_DEFAULT])),
    ]);
    let plan = h.plan(&*r, &state, &cfg).await;
    let text = plan.diagnostics.to_string();
    assert!(
        text.contains("sks-nodepool") && text.contains(fx::MANAGER_NODEPOOL),
        "{text}"
    );
    // Even if a plan got through, apply refuses before calling the API.
    let mut planned = state.clone();
    if let Value::Object(attrs) = &mut planned {
        attrs.insert("size".into(), n(5));
    }
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &state, &planned).await;
    assert!(
        diags.to_string().contains("managed by sks-nodepool"),
        "{diags}"
    );
    assert_eq!(after, state);
    let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.has_errors());
    assert_eq!(after, state);
    let routes = h.sandbox.requests().routes();
    assert!(
        routes
            .iter()
            .all(|r| r.starts_with("get-") || r.starts_with("list-")),
        "{routes:?}"
    );
}

#[tokio::test]
async fn validation_names_paths_and_calls_nothing() {
    let h = Harness::start().await;
    let r = pool_resource();
    let long_user_data = format!("#cloud-config\n{}", "x".repeat(30_000));
    let cases: [(&str, Value); 10] = [
        ("size", n(-1)),
        ("disk_size", n(5)),
        ("instance_prefix", s("")),
        ("public_ip_assignment", s("ipv6")),
        ("template_id", s("ubuntu")),
        ("security_group_ids", set(&["default"])),
        ("instance_type", s("huge")),
        ("zone", s("us-east-1")),
        ("user_data", s(&long_user_data)),
        ("min_available", n(3)),
    ];
    for (name, value) in cases {
        let diags = h.validate(&*r, &config(&[(name, value)]));
        assert!(has_error_at(&diags, name), "{name}: {diags}");
        assert!(diags.to_string().contains("must be"), "{name}: {diags}");
    }
    assert!(h.validate(&*r, &full_config()).is_empty());
    let plan = h.plan(&*r, &Value::Null, &config(&[("size", n(0))])).await;
    assert!(
        has_error_at(&plan.diagnostics, "size"),
        "{}",
        plan.diagnostics
    );
    assert_eq!(h.calls("create-instance-pool"), 0);
    assert!(
        h.sandbox
            .requests()
            .routes()
            .iter()
            .all(|r| r.starts_with("list-")),
        "only catalogue look-ups at plan"
    );
}

#[tokio::test]
async fn data_sources_find_pools_by_id_name_and_labels() {
    let h = Harness::start().await;
    let r = pool_resource();
    let web = h
        .converge(
            &*r,
            &Value::Null,
            &config(&[("labels", map(&[("env", "prod")]))]),
        )
        .await;
    let api = h
        .converge(
            &*r,
            &Value::Null,
            &config(&[("name", s("api")), ("labels", map(&[("env", "dev")]))]),
        )
        .await;
    let one = data_source(InstancePoolDataSource);
    let (by_id, diags) = h.read_data(&*one, &object([("id", s(&id_of(&api)))])).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(by_id.attr("name"), &s("api"));
    assert_eq!(by_id.attr("instance_type"), &s("standard.small"));
    assert_eq!(by_id.attr("zone"), &s("ch-gva-2"));
    let (by_name, diags) = h.read_data(&*one, &object([("name", s("web"))])).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(by_name.attr("id"), &s(&id_of(&web)));
    let (_, diags) = h.read_data(&*one, &object([("name", s("nope"))])).await;
    assert!(has_error_at(&diags, "name"), "{diags}");
    assert!(one.validate(&object([])).has_errors());

    let many = data_source(InstancePoolsDataSource);
    let (prod, diags) = h
        .read_data(&*many, &object([("labels", map(&[("env", "prod")]))]))
        .await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(prod.attr("ids"), &Value::List(vec![s(&id_of(&web))]));
    let (named, _) = h.read_data(&*many, &object([("name", s("api"))])).await;
    assert_eq!(named.attr("ids"), &Value::List(vec![s(&id_of(&api))]));
    let (all, _) = h.read_data(&*many, &object([])).await;
    match all.attr("pools") {
        // Two pools of ours and the sandbox's SKS-managed one.
        Value::List(pools) => {
            assert_eq!(pools.len(), 3);
            assert!(pools
                .iter()
                .any(|p| p.attr("manager_type") == &s("sks-nodepool")));
        }
        other => panic!("pools: {other:?}"),
    }
    let (elsewhere, _) = h
        .read_data(&*many, &object([("zone", s("de-fra-1"))]))
        .await;
    assert_eq!(elsewhere.attr("ids"), &Value::List(vec![]));
}

#[tokio::test]
async fn ssh_keys_and_user_data_round_trip_and_clear() {
    let h = Harness::start().await;
    let r = pool_resource();
    let cfg = config(&[
        ("ssh_keys", set(&[fx::SSH_KEY])),
        ("user_data", s("#cloud-config\n")),
    ]);
    let state = h.converge(&*r, &Value::Null, &cfg).await;
    // The same user data, already base64-encoded, is no change.
    let encoded = config(&[
        ("ssh_keys", set(&[fx::SSH_KEY])),
        ("user_data", s("I2Nsb3VkLWNvbmZpZwo=")),
    ]);
    assert_no_changes(&h, &state, &encoded).await;
    h.sandbox.requests().clear();
    let state = h.converge(&*r, &state, &config(&[])).await;
    // The API has no reset for `ssh-keys`: one update clears it; user data is reset.
    assert_eq!(h.calls("update-instance-pool"), 1);
    assert_eq!(h.calls("reset-instance-pool-field"), 1);
    assert_eq!(state.attr("ssh_keys"), &Value::Null);
    assert_eq!(state.attr("user_data"), &Value::Null);
    assert_no_changes(&h, &state, &config(&[])).await;
}

#[tokio::test]
async fn a_failed_scale_records_what_the_api_holds() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("scale-instance-pool=operation-failure").unwrap());
    let plan = h.plan(&*r, &state, &config(&[("size", n(4))])).await;
    let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(
        diags
            .to_string()
            .contains("Scaling the instance pool did not complete"),
        "{diags}"
    );
    assert_eq!(id_of(&after), id_of(&state));
    assert!(matches!(after.attr("size"), Value::Number(_)));
}

#[tokio::test]
async fn a_public_ip_assignment_change_is_one_update_and_ipv6_follows() {
    let h = Harness::start().await;
    let r = pool_resource();
    let inet4 = config(&[("public_ip_assignment", s("inet4"))]);
    let state = h.converge(&*r, &Value::Null, &inet4).await;
    assert_eq!(state.attr("ipv6_enabled"), &Value::Bool(false));

    let dual = config(&[("public_ip_assignment", s("dual"))]);
    let plan = h.plan(&*r, &state, &dual).await;
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    // The API decides IPv6 from the assignment: unknown, which is not "removed".
    assert!(plan.planned.attr("ipv6_enabled").is_unknown());
    h.sandbox.requests().clear();
    let state = h.converge(&*r, &state, &dual).await;
    let writes: Vec<&str> = h
        .sandbox
        .requests()
        .routes()
        .into_iter()
        .filter(|r| !r.starts_with("get-") && !r.starts_with("list-"))
        .collect();
    assert_eq!(writes, ["update-instance-pool"], "no reset may undo `dual`");
    assert_eq!(state.attr("public_ip_assignment"), &s("dual"));
    assert_eq!(state.attr("ipv6_enabled"), &Value::Bool(true));

    // `none` is final at the API: to or from it replaces the pool.
    let plan = h
        .plan(&*r, &state, &config(&[("public_ip_assignment", s("none"))]))
        .await;
    assert_eq!(
        plan.requires_replace,
        vec![AttrPath::attrs(&["public_ip_assignment"])]
    );
}

#[tokio::test]
async fn an_unknown_provider_zone_plans_unknown_and_the_pool_lands_in_the_final_zone() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    let unknown = Value::Unknown(Default::default());
    h.reconfigure("exoscale", "zone", unknown, false).await;
    let first = h.plan(&*r, &Value::Null, &config(&[])).await;
    assert!(!first.diagnostics.has_errors(), "{}", first.diagnostics);
    // Never the built-in default: the zone, and the type id that depends on it, wait.
    assert!(first.planned.attr("zone").is_unknown());
    assert!(first.planned.attr("instance_type_id").is_unknown());
    assert!(
        h.sandbox.requests().routes().is_empty(),
        "planning called the API"
    );

    // At apply Terraform configures the provider with the known zone and plans again.
    h.reconfigure("exoscale", "zone", s("de-fra-1"), false)
        .await;
    let last = h.plan(&*r, &Value::Null, &config(&[])).await;
    assert_final_plan_compatible(&*r, &first.planned, &last.planned);
    let (state, diags) = h.apply(&*r, &Value::Null, &last.planned).await;
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(state.attr("zone"), &s("de-fra-1"));
    let created = h.sandbox.requests().all();
    assert!(
        created
            .iter()
            .any(|q| q.route == "create-instance-pool" && q.path.starts_with("/de-fra-1/")),
        "{created:?}"
    );
    h.assert_plan_empty(&*r, &state, &config(&[])).await;
}

#[tokio::test]
async fn unknown_credentials_keep_every_call_for_apply() {
    let mut h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    h.reconfigure(
        "exoscale",
        "endpoint",
        Value::Unknown(Default::default()),
        false,
    )
    .await;
    h.sandbox.requests().clear();

    let plan = h
        .plan(
            &*r,
            &state,
            &config(&[("instance_type", s("standard.medium"))]),
        )
        .await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    assert!(plan.planned.attr("instance_type_id").is_unknown());
    let (read, diags) = h.read(&*r, &state).await;
    assert_eq!(read, state, "the state stays as last read");
    assert!(diags.to_string().contains("exoscale.endpoint"), "{diags}");
    let (_, diags) = h.import(&*r, &id_of(&state)).await;
    assert!(
        diags.has_errors() && diags.to_string().contains("exoscale.endpoint"),
        "{diags}"
    );
    assert!(h.sandbox.requests().routes().is_empty(), "a call went out");

    // A Terraform that accepts deferrals gets one instead.
    h.reconfigure(
        "exoscale",
        "endpoint",
        Value::Unknown(Default::default()),
        true,
    )
    .await;
    let plan = h.plan(&*r, &state, &config(&[("size", n(3))])).await;
    assert!(
        plan.deferred && plan.diagnostics.is_empty(),
        "{}",
        plan.diagnostics
    );
}

#[tokio::test]
async fn destroying_a_managed_pool_is_refused_at_plan() {
    let h = Harness::start().await;
    let r = pool_resource();
    let (state, diags) = h
        .import(
            &*r,
            &format!("{}@{}", fx::MANAGED_POOL, fx::MANAGED_POOL_ZONE),
        )
        .await;
    assert!(!diags.has_errors(), "{diags}");
    let plan = h.plan(&*r, &state, &Value::Null).await;
    let text = plan.diagnostics.to_string();
    assert!(
        text.contains("cannot be deleted") && text.contains(fx::MANAGER_NODEPOOL),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Faults: every operation against every fault the sandbox injects. Each case runs on its
// own sandbox; the cases of one operation run side by side to keep the suite fast.

/// The attempt timeout for answers slower than it (the provider's default is 60 s).
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(400);
/// An answer this late is given up on; the request still runs at the sandbox.
const SLOW_MS: u64 = 1500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Create,
    Update,
    Scale,
    Delete,
}

impl Op {
    fn route(self) -> &'static str {
        match self {
            Op::Create => "create-instance-pool",
            Op::Update => "update-instance-pool",
            Op::Scale => "scale-instance-pool",
            Op::Delete => "delete-instance-pool",
        }
    }

    /// The state the pool shows while the operation runs.
    fn transitional(self) -> &'static str {
        match self {
            Op::Create => "creating",
            Op::Update => "updating",
            Op::Scale => "scaling-up",
            Op::Delete => "destroying",
        }
    }

    fn timeout(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update | Op::Scale => "update",
            Op::Delete => "delete",
        }
    }

    /// What the error says did not complete.
    fn doing(self) -> &'static str {
        match self {
            Op::Create => "Creating the instance pool did not complete",
            Op::Update => "Updating the instance pool did not complete",
            Op::Scale => "Scaling the instance pool did not complete",
            Op::Delete => "Deleting the instance pool did not complete",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Three 503 answers to the mutation.
    Burst,
    /// A 429 with `Retry-After: 1` to the mutation.
    Throttle,
    /// Eight connection resets on the operation polls (more than one call's retries).
    Reset,
    /// The mutation runs, its answer is lost.
    Lost,
    /// The mutation's answer comes after the attempt timeout.
    Slow,
    OperationFailure,
    OperationTimeout,
    /// The pool stays in its transitional state past the resource's timeout.
    Stuck,
}

impl Fault {
    const ALL: [Fault; 8] = [
        Fault::Burst,
        Fault::Throttle,
        Fault::Reset,
        Fault::Lost,
        Fault::Slow,
        Fault::OperationFailure,
        Fault::OperationTimeout,
        Fault::Stuck,
    ];

    fn rule(self, op: Op) -> String {
        let route = op.route();
        match self {
            Fault::Burst => format!("{route}=status:503*3"),
            Fault::Throttle => format!("{route}=throttle:1*1"),
            Fault::Reset => "get-operation=reset*8".into(),
            Fault::Lost => format!("{route}=lost*1"),
            Fault::Slow => format!("{route}=latency:{SLOW_MS}*1"),
            Fault::OperationFailure => format!("{route}=operation-failure*1"),
            Fault::OperationTimeout => format!("{route}=operation-timeout*1"),
            Fault::Stuck => format!("{route}=stuck:{}*1", op.transitional()),
        }
    }

    fn converges(self) -> bool {
        !matches!(
            self,
            Fault::OperationFailure | Fault::OperationTimeout | Fault::Stuck
        )
    }

    /// How many times the mutation reaches the sandbox when the fault is ridden out.
    fn mutations(self, op: Op) -> usize {
        match self {
            Fault::Burst => 4,
            Fault::Throttle => 2,
            // The late request had not landed when the pool was read: sent again. A create
            // is never sent again after a lost answer: its pool is found instead.
            Fault::Slow if op != Op::Create => 2,
            _ => 1,
        }
    }
}

/// A harness whose Exoscale client gives up on an attempt after `attempt`.
async fn harness_with_attempt_timeout(attempt: Duration) -> Harness {
    let mut h = Harness::start().await;
    let config = pools_sandbox::Config::default();
    let client = ExoscaleClient::new(
        &config.exoscale_key,
        &config.exoscale_secret,
        &h.sandbox.exoscale_endpoint(),
    )
    .unwrap()
    .with_stop(h.ctx.stop.clone())
    .with_attempt_timeout(attempt);
    let exoscale = Exoscale {
        client: Ok(client),
        default_zone: Tri::Known("ch-gva-2".into()),
        failure_window: crate::wait::FAILURE_WINDOW,
    };
    let mut settings = Settings::default();
    settings.set(ZONE_SETTING, s("ch-gva-2"));
    settings.set(DEFAULT_LABELS_SETTING, Value::Null);
    let configured = Configured {
        data: vec![Arc::new(exoscale)],
        settings,
    };
    h.ctx = Ctx::new(Some(Arc::new(configured)), h.ctx.stop.clone());
    h
}

fn timeouts(limit: &str) -> Value {
    object([
        ("create", s(limit)),
        ("update", s(limit)),
        ("delete", s(limit)),
    ])
}

/// Waits until the sandbox has logged `count` requests for `route`: a request given up on
/// is logged when the sandbox answers it, later. Counts, never times.
async fn settle_calls(h: &Harness, route: &str, count: usize) {
    for _ in 0..200 {
        if h.calls(route) >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The pools the sandbox holds besides its fixed SKS-managed one.
fn sandbox_pools(h: &Harness) -> Vec<(String, serde_json::Value)> {
    let saved = h.sandbox.shared.exoscale.save();
    let pools = saved["pools"].as_object().cloned().unwrap_or_default();
    pools
        .into_iter()
        .filter(|(id, _)| id != fx::MANAGED_POOL)
        .collect()
}

/// One operation under one fault, then: state and sandbox agree (no orphan, no duplicate,
/// no lost pool), and the error, if any, says what failed and what to do.
async fn fault_case(op: Op, fault: Fault) {
    let case = format!("{op:?} under {fault:?}");
    let h = match fault {
        Fault::Slow => harness_with_attempt_timeout(ATTEMPT_TIMEOUT).await,
        _ => Harness::start().await,
    };
    let r = pool_resource();
    // A stuck pool is waited for until a short timeout of the operation under test; the
    // pool it starts from is made with time to spare.
    let limit = if fault == Fault::Stuck { "1s" } else { "30s" };
    let timeouts = match op {
        Op::Create => timeouts(limit),
        _ => object([
            ("create", s("30s")),
            ("update", s(limit)),
            ("delete", s(limit)),
        ]),
    };
    let start = config(&[("timeouts", timeouts.clone())]);
    let prior = match op {
        Op::Create => Value::Null,
        _ => h.converge(&*r, &Value::Null, &start).await,
    };
    let target = match op {
        Op::Create => start.clone(),
        Op::Update => config(&[("timeouts", timeouts), ("description", s("patched"))]),
        Op::Scale => config(&[("timeouts", timeouts), ("size", n(3))]),
        Op::Delete => Value::Null,
    };
    let planned = match op {
        Op::Delete => Value::Null,
        _ => {
            let plan = h.plan(&*r, &prior, &target).await;
            assert!(
                !plan.diagnostics.has_errors(),
                "{case}: {}",
                plan.diagnostics
            );
            plan.planned
        }
    };
    h.sandbox.requests().clear();
    h.sandbox
        .faults()
        .add(FaultRule::parse(&fault.rule(op)).unwrap());
    let (after, diags) = h.apply(&*r, &prior, &planned).await;
    let text = diags.to_string();
    let pools = sandbox_pools(&h);

    if fault.converges() {
        assert!(!diags.has_errors(), "{case}: {text}");
        let expected = fault.mutations(op);
        settle_calls(&h, op.route(), expected).await;
        assert_eq!(
            h.calls(op.route()),
            expected,
            "{case}: {:?}",
            h.sandbox.requests().routes()
        );
        if fault == Fault::Reset {
            assert!(
                h.calls("get-operation") > 8,
                "{case}: the resets were ridden out"
            );
        }
        let pools = sandbox_pools(&h);
        if op == Op::Delete {
            assert_eq!(after, Value::Null, "{case}");
            assert!(pools.is_empty(), "{case}: {pools:?}");
            return;
        }
        // Exactly one pool, the one in state, as the plan said.
        assert_eq!(pools.len(), 1, "{case}: {pools:?}");
        let (id, pool) = &pools[0];
        assert_eq!(&id_of(&after), id, "{case}");
        assert_eq!(after.attr("state"), &s("running"), "{case}");
        if fault != Fault::Slow {
            // (A late request starts an operation of its own, after the apply.)
            assert_eq!(pool["state"], "running", "{case}");
        }
        match op {
            Op::Update => assert_eq!(pool["spec"]["description"], "patched", "{case}"),
            Op::Scale => assert_eq!(
                pool["instances"].as_array().map(Vec::len),
                Some(3),
                "{case}"
            ),
            _ => {}
        }
        if op == Op::Create && matches!(fault, Fault::Lost | Fault::Slow) {
            assert!(
                text.contains("Adopted the instance pool the create made"),
                "{case}: {text}"
            );
            assert!(h.calls("list-instances") >= 1, "{case}");
        } else {
            assert!(diags.is_empty(), "{case}: {text}");
        }
        h.assert_plan_empty(&*r, &after, &target).await;
        return;
    }

    // The operation failed, timed out, or left the pool stuck: an error that names it and
    // what to do, and the pool, which exists, in state.
    assert!(diags.has_errors(), "{case}");
    assert_eq!(h.calls(op.route()), 1, "{case}: never sent again");
    assert_eq!(pools.len(), 1, "{case}: {pools:?}");
    let (id, pool) = &pools[0];
    assert_eq!(
        &id_of(&after),
        id,
        "{case}: the pool the API holds is in state"
    );
    match fault {
        Fault::OperationFailure | Fault::OperationTimeout => {
            let ended = if fault == Fault::OperationFailure {
                "ended in failure (reason: fault): injected operation failure"
            } else {
                "ended in timeout (reason: unavailable): injected operation timeout"
            };
            assert!(text.contains(op.doing()), "{case}: {text}");
            assert!(text.contains(ended), "{case}: {text}");
            assert!(text.contains("apply again"), "{case}: {text}");
        }
        _ => {
            // The whole timeout, not the share left for the wait that ran out.
            assert!(
                text.contains("timed out after 1s waiting"),
                "{case}: {text}"
            );
            let seen = format!("last seen: state {}", op.transitional());
            assert!(text.contains(&seen), "{case}: {text}");
            let raise = format!("longer than `timeouts.{}` (1s), raise it", op.timeout());
            assert!(text.contains(&raise), "{case}: {text}");
            assert_eq!(pool["state"], op.transitional(), "{case}");
        }
    }
    match op {
        // A failed create is recorded (Terraform taints it); a failed delete keeps it.
        Op::Create | Op::Delete => {}
        // The state says what the API holds: the update landed before its operation failed.
        Op::Update => assert_eq!(after.attr("description"), &s("patched"), "{case}"),
        Op::Scale => assert_eq!(after.attr("size"), &n(3), "{case}"),
    }
}

/// Every fault for `op`, side by side.
async fn fault_cases(op: Op) {
    let mut cases = tokio::task::JoinSet::new();
    for fault in Fault::ALL {
        cases.spawn(fault_case(op, fault));
    }
    while let Some(done) = cases.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

#[tokio::test]
async fn create_under_every_fault() {
    fault_cases(Op::Create).await;
}

#[tokio::test]
async fn update_under_every_fault() {
    fault_cases(Op::Update).await;
}

#[tokio::test]
async fn scale_under_every_fault() {
    fault_cases(Op::Scale).await;
}

#[tokio::test]
async fn delete_under_every_fault() {
    fault_cases(Op::Delete).await;
}

/// Plans and applies the creation of `cfg`.
async fn create_with(h: &Harness, cfg: &Value) -> (Value, Diagnostics) {
    let r = pool_resource();
    let plan = h.plan(&*r, &Value::Null, cfg).await;
    assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
    h.apply(&*r, &Value::Null, &plan.planned).await
}

/// A pool made behind the resource's back, with the request's name, template and type.
async fn lookalike(h: &Harness) -> String {
    let client = h.ctx.data::<Exoscale>().unwrap().client().unwrap();
    let body = serde_json::from_value(serde_json::json!({
        "name": "web", "size": 1, "disk-size": 10,
        "instance-type": {"id": fx::INSTANCE_TYPE_SMALL},
        "template": {"id": fx::TEMPLATE_UBUNTU}
    }))
    .unwrap();
    let op = client
        .create_instance_pool("ch-gva-2", &body)
        .await
        .unwrap();
    h.sandbox.requests().clear();
    op.reference_id().unwrap().to_string()
}

#[tokio::test]
async fn a_lost_create_with_two_new_lookalikes_adopts_neither_and_says_how_to_import() {
    let h = Harness::start().await;
    let other = lookalike(&h).await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=lost*1").unwrap());
    let (state, diags) = create_with(&h, &config(&[])).await;
    assert_eq!(state, Value::Null, "nothing recorded");
    let text = diags.to_string();
    let ours = sandbox_pools(&h)
        .into_iter()
        .map(|(id, _)| id)
        .find(|id| *id != other)
        .expect("the lost create made a pool");
    for id in [&ours, &other] {
        assert!(text.contains(&format!("{id} (")), "{text}");
    }
    assert!(
        text.contains("The answer to the create request was lost"),
        "{text}"
    );
    assert!(
        text.contains("terraform import ADDRESS <id>@ch-gva-2"),
        "{text}"
    );
    assert_eq!(h.calls("create-instance-pool"), 1);
    assert_eq!(sandbox_pools(&h).len(), 2, "nothing deleted either");
}

#[tokio::test]
async fn a_lost_create_adopts_the_new_pool_beside_an_old_lookalike() {
    let h = Harness::start().await;
    let old = lookalike(&h).await;
    // Its instances were made three minutes ago: it existed before any request of ours.
    let mut saved = h.sandbox.shared.exoscale.save();
    for member in saved["pools"][&old]["instances"].as_array_mut().unwrap() {
        let created = member["created_at_ms"].as_u64().unwrap();
        member["created_at_ms"] = (created - 180_000).into();
    }
    h.sandbox.shared.exoscale.load(&saved).unwrap();
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=garbage:truncated*1").unwrap());
    let (state, diags) = create_with(&h, &config(&[])).await;
    assert!(!diags.has_errors(), "{diags}");
    assert!(
        diags
            .to_string()
            .contains("Adopted the instance pool the create made"),
        "{diags}"
    );
    let id = id_of(&state);
    assert_ne!(id, old);
    assert_eq!(sandbox_pools(&h).len(), 2);
    assert_eq!(state.attr("state"), &s("running"));
    // One look: the pools, then the members of each lookalike; then the adopted pool's
    // members for its state.
    assert_eq!(h.calls("create-instance-pool"), 1);
    assert_eq!(h.calls("list-instance-pools"), 1);
    assert_eq!(h.calls("list-instances"), 3);
    h.assert_plan_empty(&*pool_resource(), &state, &config(&[]))
        .await;
}

#[tokio::test]
async fn a_lost_create_that_made_nothing_is_not_sent_again() {
    let h = Harness::start().await;
    // The connection breaks after the request went out, before the API acted on it.
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=reset*1").unwrap());
    let cfg = config(&[("timeouts", timeouts("1s"))]);
    let (state, diags) = create_with(&h, &cfg).await;
    assert_eq!(state, Value::Null);
    let text = diags.to_string();
    assert!(
        text.contains("no new instance pool named \"web\"") && text.contains("No pool matches it"),
        "{text}"
    );
    assert!(text.contains("within `timeouts.create` (1s)"), "{text}");
    assert!(text.contains("The create is not sent again"), "{text}");
    assert_eq!(h.calls("create-instance-pool"), 1);
    assert!(
        h.calls("list-instance-pools") >= 2,
        "looked until the timeout"
    );
    assert!(sandbox_pools(&h).is_empty());
}

#[tokio::test]
async fn a_create_that_may_have_made_a_pool_leaves_its_note_open() {
    let h = Harness::start().await;
    // Sent, the connection broken before any answer: the look finds nothing in time.
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=reset*1").unwrap());
    let cfg = config(&[("name", s("unsettled-lost")), ("timeouts", timeouts("1s"))]);
    let (state, diags) = create_with(&h, &cfg).await;
    assert_eq!(state, Value::Null);
    assert!(
        diags.to_string().contains(
            "the next apply from this working directory looks for it before creating another"
        ),
        "{diags}"
    );
    assert_eq!(intents::open_in_this_process(" unsettled-lost "), 1);
    // Refused for good: nothing was made, and the note is closed.
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=status:400*1").unwrap());
    let (state, diags) = create_with(&h, &config(&[("name", s("settled-refused"))])).await;
    assert_eq!(state, Value::Null);
    assert!(diags.has_errors());
    assert_eq!(intents::open_in_this_process(" settled-refused "), 0);
}

#[tokio::test]
async fn a_create_stopped_in_flight_leaves_its_note_open() {
    let h = Harness::start().await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=latency:10000*1").unwrap());
    let cfg = config(&[("name", s("unsettled-stopped"))]);
    let stopped = h.stop_once_faults_are_taken();
    let ((state, diags), ()) = tokio::join!(create_with(&h, &cfg), stopped);
    assert_eq!(state, Value::Null);
    let text = diags.to_string();
    assert!(
        text.contains("If the request reached the API, a pool named \"unsettled-stopped\" exists: the next apply from this working directory looks for it"),
        "{text}"
    );
    assert_eq!(intents::open_in_this_process(" unsettled-stopped "), 1);
}

#[tokio::test]
async fn errors_that_will_not_heal_fail_a_create_at_once() {
    let cases = [
        (
            "status:400*1",
            "400 Bad Request",
            "fix them in the configuration",
        ),
        (
            "status:403*1",
            "403 Forbidden",
            "check the Exoscale API credentials",
        ),
        (
            "status:401*1",
            "401 Unauthorized",
            "check the Exoscale API credentials",
        ),
    ];
    for (fault, status, advice) in cases {
        let h = Harness::start().await;
        h.sandbox
            .faults()
            .add(FaultRule::parse(&format!("create-instance-pool={fault}")).unwrap());
        let (state, diags) = create_with(&h, &config(&[])).await;
        let text = diags.to_string();
        assert_eq!(state, Value::Null, "{fault}");
        assert!(
            text.contains(status) && text.contains(advice),
            "{fault}: {text}"
        );
        assert_eq!(h.calls("create-instance-pool"), 1, "{fault}");
        assert_eq!(h.calls("list-instance-pools"), 0, "{fault}: no look needed");
    }
    // An id the API does not know: a 404 names what to check.
    let h = Harness::start().await;
    let missing = "22222222-0000-4000-8000-000000000099";
    let (state, diags) = create_with(&h, &config(&[("template_id", s(missing))])).await;
    let text = diags.to_string();
    assert_eq!(state, Value::Null);
    assert!(text.contains("404 Not Found"), "{text}");
    assert!(
        text.contains("does not exist in zone ch-gva-2: check its id"),
        "{text}"
    );
    assert_eq!(h.calls("create-instance-pool"), 1);
}

#[tokio::test]
async fn a_change_whose_answers_are_lost_twice_is_sent_twice_only() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    // Both requests break before the API acts on them.
    h.sandbox
        .faults()
        .add(FaultRule::parse("scale-instance-pool=reset*2").unwrap());
    let plan = h.plan(&*r, &state, &config(&[("size", n(3))])).await;
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
    let text = diags.to_string();
    assert!(
        text.contains("Could not scale the instance pool")
            && text.contains("sent twice, both answers were lost"),
        "{text}"
    );
    assert_eq!(h.calls("scale-instance-pool"), 2);
    // Each resend followed a read of the pool.
    assert_eq!(
        h.sandbox.requests().routes()[..4],
        [
            "scale-instance-pool",
            "get-instance-pool",
            "scale-instance-pool",
            "get-instance-pool"
        ]
    );
    assert_eq!(
        after.attr("size"),
        &n(2),
        "the state says what the API holds"
    );
    assert_eq!(id_of(&after), id_of(&state));
}

#[tokio::test]
async fn a_change_to_a_pool_deleted_elsewhere_says_so() {
    let h = Harness::start().await;
    let r = pool_resource();
    let client = h.ctx.data::<Exoscale>().unwrap().client().unwrap();
    let scaled = config(&[("size", n(3))]);

    // Being destroyed (and staying so): the API refuses (409), a read says why.
    let going = h.converge(&*r, &Value::Null, &config(&[])).await;
    let id = id_of(&going);
    h.sandbox
        .faults()
        .add(FaultRule::parse("delete-instance-pool=stuck:destroying*1").unwrap());
    client.delete_instance_pool("ch-gva-2", &id).await.unwrap();
    let plan = h.plan(&*r, &going, &scaled).await;
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &going, &plan.planned).await;
    let text = diags.to_string();
    assert!(
        text.contains(&format!("instance pool {id} is being destroyed")),
        "{text}"
    );
    assert_eq!(h.calls("scale-instance-pool"), 1);
    assert_eq!(id_of(&after), id, "still there, so still in state");

    // Gone: a 404, and what to do.
    let gone = h.converge(&*r, &Value::Null, &config(&[])).await;
    let id = id_of(&gone);
    client.delete_instance_pool("ch-gva-2", &id).await.unwrap();
    let wait = Wait::new("test", Duration::from_secs(5), &h.ctx.stop);
    pool_gone(client, "ch-gva-2", &id, &wait).await.unwrap();
    let plan = h.plan(&*r, &gone, &scaled).await;
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &gone, &plan.planned).await;
    let text = diags.to_string();
    assert!(
        text.contains("404 Not Found") && text.contains("no longer exists in zone ch-gva-2"),
        "{text}"
    );
    assert!(text.contains("Terraform will create it anew"), "{text}");
    assert_eq!(h.calls("scale-instance-pool"), 1, "not sent again");
    assert_eq!(after, Value::Null, "gone from state too");
}

#[tokio::test]
async fn members_are_read_with_one_call_per_pool() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h
        .converge(&*r, &Value::Null, &config(&[("size", n(2))]))
        .await;
    let Value::List(members) = state.attr("instances") else {
        panic!("no instances: {state:?}")
    };
    assert_eq!(members.len(), 2);
    let ids = state.attr("instance_ids");
    for member in members {
        assert!(matches!(ids, Value::List(list) if list.contains(member.attr("id"))));
        assert_eq!(member.attr("state"), &s("running"));
        assert!(matches!(member.attr("name"), Value::String(n) if n.starts_with("pool-")));
        assert!(matches!(member.attr("public_ip_address"), Value::String(_)));
    }
    h.sandbox.requests().clear();
    let (refreshed, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(refreshed, state);
    assert_eq!(h.calls("list-instances"), 1, "one call for all members");

    let data = data_source(InstancePoolDataSource);
    let (view, diags) = h
        .read_data(&*data, &object([("id", s(&id_of(&state)))]))
        .await;
    assert!(diags.is_empty(), "{diags}");
    assert!(matches!(view.attr("instances"), Value::List(m) if m.len() == 2));
}
