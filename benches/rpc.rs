//! Micro-benchmarks of the provider's own costs, so a regression shows in numbers:
//!
//! 1. the cty codecs on a stored `pools_instance_pool` (msgpack decode and encode, JSON
//!    decode as UpgradeResourceState does it);
//! 2. the per-RPC path without transport: the gRPC service's handlers called directly
//!    (GetProviderSchema, ValidateResourceConfig, UpgradeResourceState, a no-change
//!    PlanResourceChange), CPU time per call of this single-threaded process;
//! 3. the same RPCs through the real transport: the release binary started with `--debug`
//!    (h2 over its Unix socket, as `TF_REATTACH_PROVIDERS` attaches Terraform), its CPU per
//!    call read from /proc, 20 calls in flight as Terraform's default parallelism does.
//!
//! Run with `cargo xtask bench`, or alone:
//!
//!     POOLS_PROVIDER_BIN=target/release/terraform-provider-pools cargo bench --bench rpc
//!
//! Nothing here is asserted against a time: the figures go to docs/performance.md by hand.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/debug_provider.rs"]
mod debug_provider;
use debug_provider::{cpu_seconds, DebugProvider};

use terraform_provider_pools::plugin::cty::{json, msgpack, Type, Value};
use terraform_provider_pools::plugin::proto::tfplugin6 as pb;
use terraform_provider_pools::plugin::{Provider as _, ProviderService, Stop};
use terraform_provider_pools::provider::PoolsProvider;
use tonic::transport::{Channel, Endpoint};
use tonic::Request;

use pb::provider_server::Provider as _;

const RESOURCE: &str = "pools_instance_pool";

/// A pool as Terraform stores it (schema version 1), as the scale benchmark leaves them.
const STATE: &str = r#"{
  "anti_affinity_group_ids": null, "application_consistent_snapshot_enabled": false,
  "deploy_target_id": null, "description": null, "disk_size": 10, "elastic_ip_ids": null,
  "id": "dca932ca-314c-463f-964d-03a3e6c1384e",
  "instance_ids": ["5bdc8d19-1e7a-4f89-a22e-65bf62a3fc36"], "instance_prefix": "pool",
  "instance_type": "standard.small", "instance_type_id": "11111111-0000-4000-8000-000000000002",
  "instances": [{"id": "5bdc8d19-1e7a-4f89-a22e-65bf62a3fc36", "ipv6_address": null,
    "name": "pool-5bdc8", "public_ip_address": "198.18.0.190", "state": "running"}],
  "ipv6_enabled": false, "labels": {"team": "web", "env": "bench"}, "manager_id": null,
  "manager_type": null, "min_available": 0, "name": "bench-0", "private_network_ids": null,
  "public_ip_assignment": "inet4", "security_group_ids": null, "size": 1, "ssh_keys": null,
  "state": "running", "template_id": "22222222-0000-4000-8000-000000000001",
  "timeouts": null, "user_data": null, "wait_for_instances": false, "zone": "ch-gva-2"
}"#;

/// The configuration behind STATE: what the user wrote, every other attribute null.
const CONFIG: &str = r#"{
  "anti_affinity_group_ids": null, "application_consistent_snapshot_enabled": null,
  "deploy_target_id": null, "description": null, "disk_size": 10, "elastic_ip_ids": null,
  "id": null, "instance_ids": null, "instance_prefix": null, "instance_type": "standard.small",
  "instance_type_id": null, "instances": null, "ipv6_enabled": null,
  "labels": {"team": "web", "env": "bench"}, "manager_id": null, "manager_type": null,
  "min_available": null, "name": "bench-0", "private_network_ids": null,
  "public_ip_assignment": null, "security_group_ids": null, "size": 1, "ssh_keys": null,
  "state": null, "template_id": "22222222-0000-4000-8000-000000000001", "timeouts": null,
  "user_data": null, "wait_for_instances": null, "zone": null
}"#;

/// Runs `f` in batches until at least `min` has passed; returns nanoseconds per call (wall,
/// which for this single-threaded process is also its CPU).
fn per_call(min: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..100 {
        f();
    }
    let (start, mut calls) = (Instant::now(), 0u64);
    while start.elapsed() < min {
        for _ in 0..100 {
            f();
        }
        calls += 100;
    }
    start.elapsed().as_nanos() as f64 / calls as f64
}

fn resource_type() -> Type {
    PoolsProvider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == RESOURCE)
        .expect("the resource")
        .value_type()
        .clone()
}

fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).expect("encodes"),
        json: Vec::new(),
    })
}

/// The requests of one refreshing, no-change plan of one pool, as Terraform sends them.
struct Requests {
    validate: pb::validate_resource_config::Request,
    upgrade: pb::upgrade_resource_state::Request,
    plan: pb::plan_resource_change::Request,
}

impl Requests {
    fn new(ty: &Type) -> Requests {
        let state = json::decode(STATE.as_bytes(), ty).expect("state decodes");
        let config = json::decode(CONFIG.as_bytes(), ty).expect("config decodes");
        Requests {
            validate: pb::validate_resource_config::Request {
                type_name: RESOURCE.into(),
                config: dynamic(&config, ty),
                ..Default::default()
            },
            upgrade: pb::upgrade_resource_state::Request {
                type_name: RESOURCE.into(),
                version: 1,
                raw_state: Some(pb::RawState {
                    json: STATE.as_bytes().to_vec(),
                    ..Default::default()
                }),
            },
            plan: pb::plan_resource_change::Request {
                type_name: RESOURCE.into(),
                prior_state: dynamic(&state, ty),
                proposed_new_state: dynamic(&state, ty),
                config: dynamic(&config, ty),
                ..Default::default()
            },
        }
    }
}

fn codecs(ty: &Type) {
    let value = json::decode(STATE.as_bytes(), ty).expect("state decodes");
    let packed = msgpack::encode(&value, ty).expect("encodes");
    println!(
        "## cty codecs (one stored pools_instance_pool, {} bytes of msgpack, {} of JSON)\n",
        packed.len(),
        STATE.len()
    );
    println!("| codec | per call |\n|---|---|");
    let min = Duration::from_millis(500);
    let decode = per_call(min, || {
        std::hint::black_box(msgpack::decode(&packed, ty).expect("decodes"));
    });
    let encode = per_call(min, || {
        std::hint::black_box(msgpack::encode(&value, ty).expect("encodes"));
    });
    let json_decode = per_call(min, || {
        std::hint::black_box(json::decode(STATE.as_bytes(), ty).expect("decodes"));
    });
    for (name, nanos) in [
        ("msgpack decode", decode),
        ("msgpack encode", encode),
        ("JSON decode (stored state)", json_decode),
    ] {
        println!("| {name} | {:.1} µs |", nanos / 1000.0);
    }
}

/// Runs `call` `n` times on a single-threaded runtime and returns CPU µs per call.
fn handler_cost<F: std::future::Future<Output = ()>>(
    rt: &tokio::runtime::Runtime,
    n: u32,
    mut call: impl FnMut() -> F,
) -> f64 {
    rt.block_on(async {
        for _ in 0..n / 10 {
            call().await;
        }
        let before = cpu_seconds("self");
        for _ in 0..n {
            call().await;
        }
        (cpu_seconds("self") - before) * 1e6 / f64::from(n)
    })
}

/// The provider configuration of the scale benchmark's config: no provider block,
/// credentials from the environment (never used: no call reaches an API).
fn configure_request() -> pb::configure_provider::Request {
    let ty = PoolsProvider.schema().block.ty();
    let config = json::decode(br#"{"exoscale": null, "ona": null}"#, &ty).expect("decodes");
    pb::configure_provider::Request {
        config: dynamic(&config, &ty),
        ..Default::default()
    }
}

async fn configure(service: &ProviderService) {
    let r = service
        .configure_provider(Request::new(configure_request()))
        .await
        .expect("configure")
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

fn handlers(ty: &Type) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let service = ProviderService::new(PoolsProvider, Stop::new());
    let requests = Requests::new(ty);
    rt.block_on(configure(&service));
    println!("\n## Per-RPC path without transport (handlers called directly; CPU per call)\n");
    println!("| RPC | per call |\n|---|---|");
    let n = 20_000;
    let schema = handler_cost(&rt, 2_000, || async {
        let r = service
            .get_provider_schema(Request::new(Default::default()))
            .await
            .expect("schema");
        std::hint::black_box(r);
    });
    println!("| GetProviderSchema | {schema:.1} µs |");
    let validate = handler_cost(&rt, n, || async {
        let r = service
            .validate_resource_config(Request::new(requests.validate.clone()))
            .await
            .expect("validate")
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    });
    println!("| ValidateResourceConfig | {validate:.1} µs |");
    let upgrade = handler_cost(&rt, n, || async {
        let r = service
            .upgrade_resource_state(Request::new(requests.upgrade.clone()))
            .await
            .expect("upgrade")
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    });
    println!("| UpgradeResourceState (current version) | {upgrade:.1} µs |");
    let plan = handler_cost(&rt, n, || async {
        let r = service
            .plan_resource_change(Request::new(requests.plan.clone()))
            .await
            .expect("plan")
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    });
    println!("| PlanResourceChange (no change) | {plan:.1} µs |");
}

/// A gRPC channel to a provider started in `--debug` mode: h2 over its Unix socket, as
/// Terraform attaches with `TF_REATTACH_PROVIDERS`.
async fn channel(provider: &DebugProvider) -> Channel {
    let socket = provider.socket();
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
        .expect("connects")
}

/// `n` calls, `parallel` in flight; the provider's CPU µs per call.
async fn wire_cost<F, Fut>(pid: &str, n: usize, parallel: usize, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    run_calls(n / 10, parallel, &call).await;
    let before = cpu_seconds(pid);
    run_calls(n, parallel, &call).await;
    (cpu_seconds(pid) - before) * 1e6 / n as f64
}

async fn run_calls<F, Fut>(n: usize, parallel: usize, call: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..n {
        if running.len() >= parallel {
            running
                .join_next()
                .await
                .expect("a call")
                .expect("the call ends");
        }
        running.spawn(call());
    }
    while let Some(done) = running.join_next().await {
        done.expect("the call ends");
    }
}

fn wire(ty: &Type, provider: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let attached = DebugProvider::start(Command::new(provider));
    let pid = attached.pid();
    let requests = Requests::new(ty);
    println!("\n## Per-RPC path through the transport (provider --debug, h2 over its Unix socket, 20 in flight; provider CPU per call)\n");
    println!("| RPC | per call |\n|---|---|");
    rt.block_on(async {
        let client = pb::provider_client::ProviderClient::new(channel(&attached).await)
            .max_decoding_message_size(64 << 20);
        let configured = client
            .clone()
            .configure_provider(configure_request())
            .await
            .expect("configure")
            .into_inner();
        assert!(
            configured.diagnostics.is_empty(),
            "{:?}",
            configured.diagnostics
        );
        let n = 20_000;
        let metadata = wire_cost(&pid, n, 20, || {
            let mut c = client.clone();
            async move {
                c.get_metadata(pb::get_metadata::Request {})
                    .await
                    .expect("metadata");
            }
        })
        .await;
        println!("| GetMetadata (the transport's floor) | {metadata:.1} µs |");
        let alone = wire_cost(&pid, n / 4, 1, || {
            let mut c = client.clone();
            async move {
                c.get_metadata(pb::get_metadata::Request {})
                    .await
                    .expect("metadata");
            }
        })
        .await;
        println!("| GetMetadata, one call at a time (each wakes the provider) | {alone:.1} µs |");
        let validate = wire_cost(&pid, n, 20, || {
            let (mut c, r) = (client.clone(), requests.validate.clone());
            async move {
                let r = c.validate_resource_config(r).await.expect("validate");
                assert!(r.get_ref().diagnostics.is_empty(), "{:?}", r.get_ref());
            }
        })
        .await;
        println!("| ValidateResourceConfig | {validate:.1} µs |");
        let upgrade = wire_cost(&pid, n, 20, || {
            let (mut c, r) = (client.clone(), requests.upgrade.clone());
            async move {
                let r = c.upgrade_resource_state(r).await.expect("upgrade");
                assert!(r.get_ref().diagnostics.is_empty(), "{:?}", r.get_ref());
            }
        })
        .await;
        println!("| UpgradeResourceState | {upgrade:.1} µs |");
        let plan = wire_cost(&pid, n, 20, || {
            let (mut c, r) = (client.clone(), requests.plan.clone());
            async move {
                let r = c.plan_resource_change(r).await.expect("plan");
                assert!(r.get_ref().diagnostics.is_empty(), "{:?}", r.get_ref());
            }
        })
        .await;
        println!("| PlanResourceChange (no change) | {plan:.1} µs |");
    });
}

fn main() {
    // The scale benchmark's credentials; the endpoints are never reached.
    for (name, value) in [
        ("EXOSCALE_API_KEY", "EXOsandboxkey"),
        ("EXOSCALE_API_SECRET", "sandboxsecret"),
        ("ONA_API_KEY", "sandboxtoken"),
    ] {
        std::env::set_var(name, value);
    }
    let ty = resource_type();
    codecs(&ty);
    handlers(&ty);
    let provider = std::env::var_os("POOLS_PROVIDER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/terraform-provider-pools")
        });
    assert!(
        provider.is_file(),
        "POOLS_PROVIDER_BIN: no file at {}",
        provider.display()
    );
    wire(&ty, &provider);
}
