//! Refreshes of many pools (issue 20), driven like Terraform against the sandbox: which
//! calls they make per zone, and that the zone's lists never hide a change.

use std::sync::Arc;
use std::time::Duration;

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::FaultRule;

use super::test_support::pool_resource;
use super::wait;
use crate::exoscale::api::{Deletion, ExoscaleClient};
use crate::plugin::{Stop, Value};
use crate::testing::{id_of, n, object, s, Harness};
use crate::wait::Wait;

const GVA: &str = "ch-gva-2";
const FRA: &str = "de-fra-1";

fn config(name: &str, zone: &str, size: i64) -> Value {
    object([
        ("name", s(name)),
        ("zone", s(zone)),
        ("size", n(size)),
        ("instance_type", s("standard.small")),
        ("template_id", s(fx::TEMPLATE_UBUNTU)),
        ("disk_size", n(10)),
    ])
}

/// Creates `count` pools in `zone` through the resource, all at once; their states in order.
async fn create(h: &Arc<Harness>, zone: &str, count: usize) -> Vec<Value> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..count {
        let (h, zone) = (h.clone(), zone.to_string());
        set.spawn(async move {
            let name = format!("{zone}-{i}");
            let state = h
                .converge(&*pool_resource(), &Value::Null, &config(&name, &zone, 1))
                .await;
            (i, state)
        });
    }
    let mut states = set.join_all().await;
    states.sort_by_key(|(i, _)| *i);
    states.into_iter().map(|(_, state)| state).collect()
}

/// Reads every state at once, as Terraform's refresh does (in this order); the reads' new
/// states in the same order (null: gone). Panics on an error diagnostic.
async fn refresh(h: &Arc<Harness>, states: &[Value]) -> Vec<Value> {
    let mut set = tokio::task::JoinSet::new();
    for (i, state) in states.iter().enumerate() {
        let (h, state) = (h.clone(), state.clone());
        set.spawn(async move {
            let (read, diags) = h.read(&*pool_resource(), &state).await;
            assert!(!diags.has_errors(), "{diags}");
            (i, read)
        });
    }
    let mut reads = set.join_all().await;
    reads.sort_by_key(|(i, _)| *i);
    reads.into_iter().map(|(_, read)| read).collect()
}

/// A new Terraform command: the provider configured anew, and an empty request log.
async fn next_command(h: &mut Arc<Harness>) {
    let h = Arc::get_mut(h).expect("no read or create still holds the harness");
    h.reconfigure("exoscale", "zone", s(GVA), false).await;
    h.sandbox.requests().clear();
}

/// The requests since the last command to `zone`, by route, as (route, count) in order of
/// first use.
fn calls_in(h: &Harness, zone: &str) -> Vec<(&'static str, usize)> {
    let mut counted: Vec<(&'static str, usize)> = Vec::new();
    let prefix = format!("/{zone}/");
    for request in h.sandbox.requests().all() {
        if !request.path.starts_with(&prefix) {
            continue;
        }
        match counted
            .iter_mut()
            .find(|(route, _)| *route == request.route)
        {
            Some((_, count)) => *count += 1,
            None => counted.push((request.route, 1)),
        }
    }
    counted.sort();
    counted
}

fn client(h: &Harness) -> ExoscaleClient {
    ExoscaleClient::new(
        pools_sandbox::DEFAULT_EXOSCALE_KEY,
        pools_sandbox::DEFAULT_EXOSCALE_SECRET,
        &h.sandbox.exoscale_endpoint(),
    )
    .unwrap()
}

/// Five pools in one zone and three in another: the first two of each zone read by their
/// own GET, the rest from the zone's two lists, which also give the first two their
/// members (the lists are under way by then). Every read is the state as it was.
#[tokio::test]
async fn a_refresh_of_many_pools_costs_four_calls_per_zone() {
    let mut h = Arc::new(Harness::start().await);
    let mut states = create(&h, GVA, 5).await;
    states.extend(create(&h, FRA, 3).await);
    next_command(&mut h).await;
    assert_eq!(refresh(&h, &states).await, states);
    let per_zone = vec![
        ("get-instance-pool", 2),
        ("list-instance-pools", 1),
        ("list-instances", 1),
    ];
    assert_eq!(calls_in(&h, GVA), per_zone);
    assert_eq!(calls_in(&h, FRA), per_zone);
    // Read again in the same command: each pool asks for the present, by its own calls.
    h.sandbox.requests().clear();
    assert_eq!(refresh(&h, &states[..3]).await, states[..3]);
    assert_eq!(
        calls_in(&h, GVA),
        [("get-instance-pool", 3), ("list-instances", 3)]
    );
}

/// A pool scaled and one deleted outside Terraform, among others: each gets its own GET,
/// the scaled one reads its new size and members, the deleted one reads as gone, and the
/// others read from the lists unchanged. A pool made since the lists, and absent from
/// them, is found by its GET.
#[tokio::test]
async fn drift_among_many_pools_is_read_by_its_own_get() {
    let mut h = Arc::new(Harness::start().await);
    let states = create(&h, GVA, 6).await;
    let (scaled, deleted) = (id_of(&states[4]), id_of(&states[5]));
    let api = client(&h);
    let wait = Wait::new("test", Duration::from_secs(10), &Stop::new());
    let op = api.scale_instance_pool(GVA, &scaled, 3).await.unwrap();
    wait::operation(&api, GVA, op, "scale", &wait)
        .await
        .unwrap();
    let gone = api.delete_instance_pool(GVA, &deleted).await.unwrap();
    assert!(matches!(gone, Deletion::Started(_)));
    wait::pool_gone(&api, GVA, &deleted, &wait).await.unwrap();
    next_command(&mut h).await;
    let reads = refresh(&h, &states).await;
    assert_eq!(reads[..4], states[..4]);
    assert_eq!(reads[4].attr("size"), &n(3));
    assert_eq!(id_of(&reads[4]), scaled);
    match reads[4].attr("instances") {
        Value::List(members) => assert_eq!(members.len(), 3),
        other => panic!("instances: {other:?}"),
    }
    assert_eq!(reads[5], Value::Null);
    assert_eq!(
        calls_in(&h, GVA),
        [
            // The first two, then one for each pool the lists did not confirm.
            ("get-instance-pool", 4),
            ("list-instance-pools", 1),
            ("list-instances", 1),
        ]
    );

    // A pool made after the lists were taken: not in them, found by its GET.
    let late = create(&h, GVA, 1).await.remove(0);
    h.sandbox.requests().clear();
    assert_eq!(refresh(&h, std::slice::from_ref(&late)).await, [late]);
    assert_eq!(
        calls_in(&h, GVA),
        [("get-instance-pool", 1), ("list-instances", 1)]
    );
}

/// One or two pools of a zone that holds many: their own calls, and no list.
#[tokio::test]
async fn a_small_configuration_in_a_big_zone_lists_nothing() {
    let mut h = Arc::new(Harness::start().await);
    let states = create(&h, GVA, 8).await;
    next_command(&mut h).await;
    assert_eq!(refresh(&h, &states[3..5]).await, states[3..5]);
    assert_eq!(
        calls_in(&h, GVA),
        [("get-instance-pool", 2), ("list-instances", 2)]
    );
}

/// A listing requested before this command changed a pool never stands for that pool:
/// were Terraform to read it with the state from before the change (as after a change
/// that failed late), the lists would still match that state; the pool's GET does not.
#[tokio::test]
async fn a_pool_this_command_changed_is_not_read_from_older_lists() {
    let mut h = Arc::new(Harness::start().await);
    let states = create(&h, GVA, 4).await;
    next_command(&mut h).await;
    // Three reads take the lists.
    assert_eq!(refresh(&h, &states[..3]).await, states[..3]);
    let before = states[3].clone();
    let name = before.attr("name").as_str().unwrap().to_string();
    let grown = h
        .converge(&*pool_resource(), &before, &config(&name, GVA, 2))
        .await;
    assert_eq!(grown.attr("size"), &n(2));
    h.sandbox.requests().clear();
    let read = refresh(&h, std::slice::from_ref(&before)).await.remove(0);
    assert_eq!(read, grown, "the pool as the API holds it");
    assert_eq!(h.calls("get-instance-pool"), 1);
    assert_eq!(h.calls("list-instance-pools"), 0);
}

/// Lists the API refuses (say, a key whose role allows reading a pool but not listing
/// them): every read makes its own calls, and the refused list is not asked again.
#[tokio::test]
async fn refused_lists_leave_each_read_its_own_calls() {
    let mut h = Arc::new(Harness::start().await);
    let states = create(&h, GVA, 5).await;
    next_command(&mut h).await;
    h.sandbox
        .faults()
        .add(FaultRule::parse("list-instance-pools=status:403").unwrap());
    assert_eq!(refresh(&h, &states).await, states);
    assert_eq!(
        calls_in(&h, GVA),
        [
            ("get-instance-pool", 5),
            ("list-instance-pools", 1),
            // The zone's members (asked with the pools, before the refusal), then each
            // pool's own.
            ("list-instances", 6),
        ]
    );
}
