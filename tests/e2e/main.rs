//! End-to-end tests: the real Terraform CLIs driving the real provider binary.
//!
//! Run them through `cargo xtask test`, which installs the CLIs and builds the release
//! binaries first. A plain `cargo test` works too once `cargo xtask install-tools` has run.

mod bad_input;
mod examples;
mod failing_well;
mod faults;
// Also included by path in tests/docs.rs, which checks the guides without Terraform.
mod guide_script;
mod guides;
mod harness;
mod install;
mod instance_pool;
mod labels_and_guards;
mod logs;
mod migrate;
mod out_of_band;
mod protocol;
mod query;
mod refresh;
mod selftest;
// Also included by path in `cargo xtask demo`, so the demo runs Terraform as the tests do.
mod terraform_env;
mod tls;
mod warm_pool;
