//! The instance pool resource and data sources, driven like Terraform against the sandbox.

use std::collections::BTreeMap;

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::FaultRule;

use super::data_source::{InstancePoolDataSource, InstancePoolsDataSource};
use super::resource::InstancePoolResource;
use super::settings::Exoscale;
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::plan::attr;
use crate::plugin::resource::{data_source, resource, AnyResource};
use crate::testing::{assert_final_plan_compatible, id_of, n, object, s, Harness};

fn pool_resource() -> Box<dyn AnyResource> {
    resource(InstancePoolResource::default())
}

/// A minimal valid configuration with `changes` applied (a null value removes the attribute).
fn config(changes: &[(&str, Value)]) -> Value {
    let mut attrs: BTreeMap<String, Value> = [
        ("name", s("web")),
        ("size", n(2)),
        ("instance_type", s("standard.small")),
        ("template_id", s(fx::TEMPLATE_UBUNTU)),
        ("disk_size", n(10)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in changes {
        match v {
            Value::Null => attrs.remove(*k),
            v => attrs.insert(k.to_string(), v.clone()),
        };
    }
    Value::Object(attrs)
}

fn set(items: &[&str]) -> Value {
    Value::Set(items.iter().map(|i| s(i)).collect())
}

fn map(items: &[(&str, &str)]) -> Value {
    Value::Map(items.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
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
    assert_eq!(attr(&state, "zone"), &s("ch-gva-2"));
    assert_eq!(attr(&state, "state"), &s("running"));
    assert_eq!(
        attr(&state, "instance_type_id"),
        &s(fx::INSTANCE_TYPE_SMALL)
    );
    assert_eq!(
        attr(&state, "user_data"),
        &s("#cloud-config\npackages: [nginx]\n")
    );
    match attr(&state, "instance_ids") {
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
    assert_eq!(attr(&grown, "size"), &n(3));
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
    assert_eq!(attr(&state, "description"), &s("now described"));
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
    assert_eq!(attr(&state, "labels"), &Value::Null);
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
    assert_eq!(attr(&state, "instance_type"), &s("Standard.Small"));
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
    assert_eq!(
        attr(&state, "instance_type_id"),
        &s(fx::INSTANCE_TYPE_MEDIUM)
    );
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
    assert_eq!(attr(&imported, "instance_type"), &s("standard.small"));
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
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    client
        .wait_instance_pool_gone("ch-gva-2", &id, deadline, &h.ctx.stop)
        .await
        .unwrap();
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
    assert_eq!(attr(&state, "zone"), &s("ch-gva-2"));
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
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(attr(&state, "manager_type"), &s("sks-nodepool"));
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
    assert_eq!(attr(&by_id, "name"), &s("api"));
    assert_eq!(attr(&by_id, "instance_type"), &s("standard.small"));
    assert_eq!(attr(&by_id, "zone"), &s("ch-gva-2"));
    let (by_name, diags) = h.read_data(&*one, &object([("name", s("web"))])).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(attr(&by_name, "id"), &s(&id_of(&web)));
    let (_, diags) = h.read_data(&*one, &object([("name", s("nope"))])).await;
    assert!(has_error_at(&diags, "name"), "{diags}");
    assert!(one.validate(&object([])).has_errors());

    let many = data_source(InstancePoolsDataSource);
    let (prod, diags) = h
        .read_data(&*many, &object([("labels", map(&[("env", "prod")]))]))
        .await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(attr(&prod, "ids"), &Value::List(vec![s(&id_of(&web))]));
    let (named, _) = h.read_data(&*many, &object([("name", s("api"))])).await;
    assert_eq!(attr(&named, "ids"), &Value::List(vec![s(&id_of(&api))]));
    let (all, _) = h.read_data(&*many, &object([])).await;
    match attr(&all, "pools") {
        // Two pools of ours and the sandbox's SKS-managed one.
        Value::List(pools) => {
            assert_eq!(pools.len(), 3);
            assert!(pools
                .iter()
                .any(|p| attr(p, "manager_type") == &s("sks-nodepool")));
        }
        other => panic!("pools: {other:?}"),
    }
    let (elsewhere, _) = h
        .read_data(&*many, &object([("zone", s("de-fra-1"))]))
        .await;
    assert_eq!(attr(&elsewhere, "ids"), &Value::List(vec![]));
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
    assert_eq!(attr(&state, "ssh_keys"), &Value::Null);
    assert_eq!(attr(&state, "user_data"), &Value::Null);
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
    assert!(matches!(attr(&after, "size"), Value::Number(_)));
}

#[tokio::test]
async fn a_public_ip_assignment_change_is_one_update_and_ipv6_follows() {
    let h = Harness::start().await;
    let r = pool_resource();
    let inet4 = config(&[("public_ip_assignment", s("inet4"))]);
    let state = h.converge(&*r, &Value::Null, &inet4).await;
    assert_eq!(attr(&state, "ipv6_enabled"), &Value::Bool(false));

    let dual = config(&[("public_ip_assignment", s("dual"))]);
    let plan = h.plan(&*r, &state, &dual).await;
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    // The API decides IPv6 from the assignment: unknown, which is not "removed".
    assert!(attr(&plan.planned, "ipv6_enabled").is_unknown());
    h.sandbox.requests().clear();
    let state = h.converge(&*r, &state, &dual).await;
    let writes: Vec<&str> = h
        .sandbox
        .requests()
        .routes()
        .into_iter()
        .filter(|r| !r.starts_with("get-"))
        .collect();
    assert_eq!(writes, ["update-instance-pool"], "no reset may undo `dual`");
    assert_eq!(attr(&state, "public_ip_assignment"), &s("dual"));
    assert_eq!(attr(&state, "ipv6_enabled"), &Value::Bool(true));

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
    assert!(attr(&first.planned, "zone").is_unknown());
    assert!(attr(&first.planned, "instance_type_id").is_unknown());
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
    assert_eq!(attr(&state, "zone"), &s("de-fra-1"));
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
    assert!(attr(&plan.planned, "instance_type_id").is_unknown());
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
    assert!(diags.is_empty(), "{diags}");
    let plan = h.plan(&*r, &state, &Value::Null).await;
    let text = plan.diagnostics.to_string();
    assert!(
        text.contains("cannot be deleted") && text.contains(fx::MANAGER_NODEPOOL),
        "{text}"
    );
}
