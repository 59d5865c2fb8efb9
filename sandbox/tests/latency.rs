//! The sandbox as a remote API: `Config::latency` (`--latency-ms`) delays every API request,
//! and each `latency` fault rule delays a matching request once (its `*N` counts requests).
//! Durations are only checked from below: a delay never ends early.

use std::time::{Duration, Instant};

use pools_sandbox::{Config, FaultRule, Sandbox};

/// How long a request may take before the test calls it hung (the old fault loop took the
/// same unbounded latency rule forever).
const HANG: Duration = Duration::from_secs(60);

async fn start(config: Config) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

/// `GET /zone` (`list-zones`), the one API request that needs no credentials; its time.
async fn list_zones(sandbox: &Sandbox) -> Duration {
    let url = format!("{}/ch-gva-2/v2/zone", sandbox.url());
    let started = Instant::now();
    let answer = tokio::time::timeout(HANG, reqwest::get(&url))
        .await
        .unwrap_or_else(|_| panic!("GET {url} hung"))
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(answer.status(), 200);
    started.elapsed()
}

fn times_left(sandbox: &Sandbox) -> Vec<Option<u32>> {
    sandbox.faults().list().iter().map(|r| r.times).collect()
}

#[tokio::test]
async fn a_latency_rule_without_a_count_delays_each_request_once() {
    let sandbox = start(Config {
        faults: vec![FaultRule::parse("*=latency:100").unwrap()],
        ..Config::default()
    })
    .await;
    for _ in 0..3 {
        assert!(list_zones(&sandbox).await >= Duration::from_millis(100));
    }
    assert_eq!(sandbox.requests().routes(), ["list-zones"; 3]);
    assert_eq!(times_left(&sandbox), [None]);
}

#[tokio::test]
async fn a_counted_latency_rule_delays_that_many_requests_once_each() {
    let sandbox = start(Config {
        faults: vec![FaultRule::parse("list-zones=latency:100*2").unwrap()],
        ..Config::default()
    })
    .await;
    // One firing per request: the first request leaves one of the two.
    assert!(list_zones(&sandbox).await >= Duration::from_millis(100));
    assert_eq!(times_left(&sandbox), [Some(1)]);
    // Another rule for every route adds its own delay, once.
    sandbox
        .faults()
        .add(FaultRule::parse("*=latency:20").unwrap());
    assert!(list_zones(&sandbox).await >= Duration::from_millis(120));
    assert_eq!(times_left(&sandbox), [None]);
    assert!(list_zones(&sandbox).await >= Duration::from_millis(20));
    assert_eq!(sandbox.requests().routes().len(), 3);
}

#[tokio::test]
async fn latency_delays_every_api_request_but_not_the_admin_endpoints() {
    let sandbox = start(Config {
        latency: Duration::from_millis(150),
        ..Config::default()
    })
    .await;
    assert!(list_zones(&sandbox).await >= Duration::from_millis(150));

    // Ona, with its token: the same round trip.
    let client = reqwest::Client::new();
    let started = Instant::now();
    let answer = client
        .post(format!(
            "{}/gitpod.v1.PrebuildService/ListWarmPools",
            sandbox.ona_endpoint()
        ))
        .bearer_auth(pools_sandbox::DEFAULT_ONA_TOKEN)
        .json(&serde_json::json!({}))
        .send();
    let answer = tokio::time::timeout(HANG, answer).await.unwrap().unwrap();
    assert_eq!(answer.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(sandbox.requests().routes(), ["list-zones", "ListWarmPools"]);
    sandbox.stop().await;

    // An hour-long round trip: the request is held, the request log answers meanwhile.
    let sandbox = start(Config {
        latency: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let held = tokio::spawn(reqwest::get(format!("{}/ch-gva-2/v2/zone", sandbox.url())));
    let log = client
        .get(format!("{}/_sandbox/requests", sandbox.url()))
        .send();
    let log = tokio::time::timeout(HANG, log).await.unwrap().unwrap();
    assert_eq!(log.text().await.unwrap(), "[]");
    assert!(!held.is_finished());
    held.abort();
}
