//! Pools the API will not let go or reports as failing, driven like Terraform against the
//! sandbox: a delete a load balancer refuses, a pool that turns `degraded`, and a state
//! from a newer API.

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::FaultRule;

use super::test_support::{pool_config, pool_resource};
use crate::plugin::Value;
use crate::testing::{id_of, n, object, s, Harness};

/// A minimal pool of one instance, with `changes`.
fn config(changes: &[(&str, Value)]) -> Value {
    pool_config(&[&[("size", n(1))][..], changes].concat())
}

fn fault(h: &Harness, rule: &str) {
    h.sandbox.faults().add(FaultRule::parse(rule).unwrap());
}

#[tokio::test]
async fn a_delete_a_load_balancer_refuses_names_it_and_says_what_to_do() {
    let h = Harness::start().await;
    let r = pool_resource();
    let state = h.converge(&*r, &Value::Null, &config(&[])).await;
    let id = id_of(&state);
    fault(&h, "delete-instance-pool=locked-by-nlb*1");
    h.sandbox.requests().clear();
    let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert_eq!(after, state, "the pool stays in state");
    let d = &diags.0[0];
    assert_eq!(d.summary, "Instance pool is in use by a load balancer");
    for needed in [
        id.as_str(),
        "Locked by NLB",
        &format!(
            "Network Load Balancer {:?} ({})",
            fx::LOAD_BALANCER_NAME,
            fx::LOAD_BALANCER
        ),
        &format!(
            "through its service {:?} ({})",
            fx::LOAD_BALANCER_SERVICE_NAME,
            fx::LOAD_BALANCER_SERVICE
        ),
        "Detach the pool from the load balancer's service first",
        "destroy the service first",
        "`depends_on`",
    ] {
        assert!(
            d.detail.contains(needed),
            "{needed:?} missing: {}",
            d.detail
        );
    }
    assert!(!d.detail.contains("credentials"), "{}", d.detail);
    assert_eq!(
        h.sandbox.requests().routes(),
        ["delete-instance-pool", "get-load-balancer"]
    );
    // Detached (the rule is used up): the destroy goes through.
    let (gone, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(gone, Value::Null);
}

#[tokio::test]
async fn a_pool_that_turns_degraded_ends_the_wait_with_the_apis_reason() {
    let h = Harness::start().await;
    let r = pool_resource();
    // Created degraded: the create fails at once, and the pool is recorded.
    fault(&h, "create-instance-pool=degraded:no quota left*1");
    let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
    let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
    let text = diags.to_string();
    assert!(diags.has_errors());
    assert!(
        text.contains(
            "the API reports the pool in state degraded: quota-exceeded: no quota left (job "
        ),
        "{text}"
    );
    assert!(text.contains("Waiting longer would not help"), "{text}");
    assert!(!text.contains("timed out"), "{text}");
    // Recorded (Terraform taints it); a refresh, which waits for nothing, shows the state.
    assert!(!id_of(&state).is_empty());
    let (read, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(read.attr("state"), &s("degraded"));

    // A scale that waits for the instances: the same, instead of waiting for `running`.
    let healthy = h
        .converge(&*r, &Value::Null, &config(&[("name", s("api"))]))
        .await;
    fault(&h, "scale-instance-pool=degraded:no capacity*1");
    let bigger = config(&[
        ("name", s("api")),
        ("size", n(3)),
        ("wait_for_instances", Value::Bool(true)),
    ]);
    let plan = h.plan(&*r, &healthy, &bigger).await;
    let (after, diags) = h.apply(&*r, &healthy, &plan.planned).await;
    let text = diags.to_string();
    assert!(
        text.contains("in state degraded: quota-exceeded: no capacity"),
        "{text}"
    );
    assert_eq!(after.attr("state"), &s("degraded"));

    // Destroying a failing pool is the way out: its `error_reason`, kept while it is
    // destroyed, does not fail the delete, even when the delete's answer is lost.
    fault(&h, "delete-instance-pool=lost*1");
    let (gone, diags) = h.apply(&*r, &after, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(gone, Value::Null);
    let (gone, diags) = h.apply(&*r, &state, &Value::Null).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(gone, Value::Null);
}

#[tokio::test]
async fn a_state_from_a_newer_api_is_kept_and_waited_on_until_the_timeout() {
    let h = Harness::start().await;
    let r = pool_resource();
    let timeouts = object([("update", s("1s"))]);
    let start = config(&[("timeouts", timeouts.clone())]);
    let state = h.converge(&*r, &Value::Null, &start).await;
    // A refresh shows the state as the API sent it.
    fault(&h, "get-instance-pool=garbage:unknown-enum*1");
    let (read, diags) = h.read(&*r, &state).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(read.attr("state"), &s("hibernating"));
    // Seen while a change settles: waited on; once the state is a known one, done.
    let described = config(&[("timeouts", timeouts.clone()), ("description", s("first"))]);
    let plan = h.plan(&*r, &state, &described).await;
    fault(&h, "get-instance-pool=garbage:unknown-enum*2");
    let (state, diags) = h.apply(&*r, &state, &plan.planned).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(state.attr("state"), &s("running"));
    // Seen until the timeout: the error names it.
    let again = config(&[("timeouts", timeouts), ("description", s("second"))]);
    let plan = h.plan(&*r, &state, &again).await;
    fault(&h, "get-instance-pool=garbage:unknown-enum");
    let (_, diags) = h.apply(&*r, &state, &plan.planned).await;
    h.sandbox.faults().clear();
    let text = diags.to_string();
    assert!(text.contains("timed out after 1s"), "{text}");
    assert!(
        text.contains("state hibernating, a state this provider does not know"),
        "{text}"
    );
}
