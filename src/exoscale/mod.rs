//! Exoscale Instance Pools (`pools_instance_pool`), in two halves:
//! - [`api`]: the Exoscale API v2 as it is, knowing nothing of Terraform: the client (one
//!   signed call per method, no waits), the API's types, its error dialect, request
//!   signing and the per-zone instance type catalogue;
//! - [`terraform`]: what Terraform sees, built on the API half: the provider's `exoscale`
//!   block, the Terraform model, the `pools_instance_pool` resource and the steps it takes
//!   (create, change, read, wait), its list resource, data sources, evict action,
//!   migration from the official provider and state upgrades.
//!
//! The API half never imports the Terraform half.

pub mod api;
pub mod terraform;

// What the provider registers.
pub use terraform::data_source::{InstancePoolDataSource, InstancePoolsDataSource};
pub use terraform::evict::EvictAction;
pub use terraform::list::InstancePoolList;
pub use terraform::resource::InstancePoolResource;
pub use terraform::settings;
