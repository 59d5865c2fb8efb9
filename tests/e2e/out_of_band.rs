//! Changes made behind Terraform's back, as another tool or a colleague would make them:
//! the provider's own signed API clients, straight against the sandbox, each change waited
//! for so that the next Terraform step sees it.

use std::time::Duration;

use pools_sandbox::Sandbox;
use serde_json::Value;
use terraform_provider_pools::exoscale::api::wire::CreateInstancePool;
use terraform_provider_pools::exoscale::api::{Deletion, ExoscaleClient};
use terraform_provider_pools::exoscale::terraform::wait;
use terraform_provider_pools::ona::api::OnaClient;
use terraform_provider_pools::plugin::Stop;
use terraform_provider_pools::wait::Wait;
use tokio::runtime::Runtime;

/// The Exoscale client of the sandbox's default credentials.
pub fn exoscale(sandbox: &Sandbox) -> ExoscaleClient {
    ExoscaleClient::new(
        pools_sandbox::DEFAULT_EXOSCALE_KEY,
        pools_sandbox::DEFAULT_EXOSCALE_SECRET,
        &sandbox.exoscale_endpoint(),
    )
    .unwrap_or_else(|e| panic!("Exoscale client: {e}"))
}

/// The Ona client of the sandbox's default token.
pub fn ona(sandbox: &Sandbox) -> OnaClient {
    OnaClient::new(pools_sandbox::DEFAULT_ONA_TOKEN, &sandbox.ona_endpoint())
        .unwrap_or_else(|e| panic!("Ona client: {e}"))
}

fn waited() -> Wait {
    Wait::new("test", Duration::from_secs(10), &Stop::new())
}

/// Creates an instance pool from `body` (the API's JSON) and waits for it; its id.
pub fn create_pool(sandbox: &Sandbox, rt: &Runtime, zone: &str, body: Value) -> String {
    let body: CreateInstancePool =
        serde_json::from_value(body).unwrap_or_else(|e| panic!("a create body: {e}"));
    let client = exoscale(sandbox);
    rt.block_on(async {
        let op = client
            .create_instance_pool(zone, &body)
            .await
            .unwrap_or_else(|e| panic!("out-of-band create: {e}"));
        let id = op
            .reference_id()
            .unwrap_or_else(|| panic!("no pool in {op:?}"))
            .to_string();
        wait::operation(&client, zone, op, "create", &waited())
            .await
            .unwrap_or_else(|e| panic!("waiting for the create: {e}"));
        id
    })
}

/// Scales a pool and waits for the operation.
pub fn scale_pool(sandbox: &Sandbox, rt: &Runtime, zone: &str, id: &str, size: i64) {
    let client = exoscale(sandbox);
    rt.block_on(async {
        let op = client
            .scale_instance_pool(zone, id, size)
            .await
            .unwrap_or_else(|e| panic!("out-of-band scale: {e}"));
        wait::operation(&client, zone, op, "scale", &waited())
            .await
            .unwrap_or_else(|e| panic!("waiting for the scale: {e}"));
    });
}

/// Deletes a pool and waits until it is gone.
pub fn delete_pool(sandbox: &Sandbox, rt: &Runtime, zone: &str, id: &str) {
    let client = exoscale(sandbox);
    rt.block_on(async {
        let deletion = client
            .delete_instance_pool(zone, id)
            .await
            .unwrap_or_else(|e| panic!("out-of-band delete: {e}"));
        assert!(matches!(deletion, Deletion::Started(_)), "{deletion:?}");
        wait::pool_gone(&client, zone, id, &waited())
            .await
            .unwrap_or_else(|e| panic!("waiting for the delete: {e}"));
    });
}
