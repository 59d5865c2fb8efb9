//! The Terraform side of Exoscale Instance Pools, built on [`crate::exoscale::api`]:
//! - the provider's `exoscale` block and the configured client ([`settings`]);
//! - the Terraform model of a pool and its mapping to and from the API's types, with the
//!   pure diff of two models into API calls ([`model`]);
//! - the `pools_instance_pool` resource ([`resource`], its words in `descriptions`), and
//!   the steps it takes, each in a file named after its job: `create` (never loses a pool),
//!   `change` (update, resets, scale, delete; a delete a load balancer refuses is explained
//!   by `load_balancer_lock`), `read` (a pool back into the model) and [`wait`]
//!   (operations, the pool settling, running or gone);
//! - plan-time instance type resolution ([`instance_types`]);
//! - the provider's default labels, merged into each pool's and split back out ([`labels`]);
//! - the data sources ([`data_source`]), the list resource ([`list`]), the evict action
//!   ([`evict`]), the move from the official provider ([`migrate`]) and the upgrade of
//!   state from earlier schema versions (`state_upgrade`);
//! - `diagnostics`: the one conversion of an API error into Terraform diagnostics.

mod change;
mod create;
pub mod data_source;
mod descriptions;
mod diagnostics;
pub mod evict;
#[cfg(test)]
mod failing_pools_tests;
pub mod instance_types;
pub mod labels;
#[cfg(test)]
mod labels_tests;
pub mod list;
mod load_balancer_lock;
pub mod migrate;
pub mod model;
mod read;
#[cfg(test)]
mod refresh_tests;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod settings;
mod state_upgrade;
#[cfg(test)]
mod state_upgrade_tests;
#[cfg(test)]
mod test_support;
pub mod wait;
