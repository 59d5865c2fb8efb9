//! End-to-end tests: the real Terraform CLIs driving the real provider binary.
//!
//! Run them through `cargo xtask test`, which installs the CLIs and builds the release
//! binaries first. A plain `cargo test` works too once `cargo xtask install-tools` has run.

#[path = "e2e/bad_input.rs"]
mod bad_input;
#[path = "e2e/examples.rs"]
mod examples;
#[path = "e2e/faults.rs"]
mod faults;
#[path = "e2e/guides.rs"]
mod guides;
#[path = "e2e/harness.rs"]
mod harness;
#[path = "e2e/install.rs"]
mod install;
#[path = "e2e/instance_pool.rs"]
mod instance_pool;
#[path = "e2e/logs.rs"]
mod logs;
#[path = "e2e/migrate.rs"]
mod migrate;
#[path = "e2e/protocol.rs"]
mod protocol;
#[path = "e2e/query.rs"]
mod query;
#[path = "e2e/selftest.rs"]
mod selftest;
#[path = "e2e/tls.rs"]
mod tls;
#[path = "e2e/warm_pool.rs"]
mod warm_pool;
