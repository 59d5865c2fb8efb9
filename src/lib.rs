//! terraform-provider-pools: a Terraform/OpenTofu provider for Exoscale Instance Pools and
//! Ona prebuild warm pools.
//!
//! # Structure
//!
//! The layers, from Terraform inwards; each depends only on the layers below it.
//!
//! - [`plugin`]: the protocol layer, a small Terraform plugin framework that knows no
//!   backend and depends on nothing else in the crate. It serves tfplugin6 over go-plugin's
//!   handshake and AutoMTLS, turns cty values into typed models, applies the plan rules
//!   that attributes declare, and drives the `Resource`, `DataSource`, `ListResource` and
//!   `Action` traits a backend implements. It also owns the stop signal and logging.
//! - [`provider`]: the `pools` provider: one settings block per backend, and what it serves.
//! - [`exoscale`] and [`ona`]: one folder per backend, each in two halves. `api/` is the
//!   service as it is (client, wire types, error dialect), with no Terraform types;
//!   `terraform/` is what Terraform sees (settings, the Terraform model, the resource, its
//!   create / change / read / wait steps, data sources, list resource, migration).
//! - [`wait`]: waiting, shared by both backends: how long a step may wait ([`wait::Wait`]),
//!   the poll loop and its schedule, the poll budget of an endpoint, and the one loop that
//!   sends a change without repeating it blindly ([`wait::send_change`]).
//! - [`http`]: the transport both API clients share: attempts, retries of idempotent calls,
//!   error classification, and answers that read well in a diagnostic.
//! - [`intents`]: notes of creates in flight, so a killed provider's pool is found, not
//!   made twice. [`trust`]: which certificate authorities TLS trusts.
//!
//! `testing` (tests only) drives resources as Terraform does against the in-process
//! sandbox and fails on any plan or apply Terraform would reject.

pub mod exoscale;
pub mod http;
pub mod intents;
pub mod ona;
pub mod plugin;
pub mod provider;
pub mod trust;
pub mod wait;

#[cfg(test)]
pub mod testing;
