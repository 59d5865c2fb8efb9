//! The Terraform side of Ona warm pools, built on [`crate::ona::api`]:
//! - what the provider declares: its `ona` block and configured client ([`settings`]), the
//!   `pools_warm_pool` resource ([`resource`]), its list resource ([`list`]) and `moved`
//!   source ([`migrate`]), the `pools_warm_pool` / `pools_warm_pools` data sources
//!   ([`data_source`]), and the texts of their schemas (`descriptions`);
//! - the Terraform model of a warm pool and its mapping from the API's messages ([`model`]);
//! - the steps the resource takes through the API, one file per job: `create`, `read`,
//!   `change` (update and delete) and `wait` (READY, gone), whose errors read as diagnostics
//!   one way (`diagnostics`).

mod change;
mod create;
pub mod data_source;
mod descriptions;
mod diagnostics;
pub mod list;
pub mod migrate;
pub mod model;
mod read;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod settings;
mod wait;
