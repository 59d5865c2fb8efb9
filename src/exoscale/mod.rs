//! Exoscale Instance Pools, in two halves:
//! - [`api`]: the Exoscale API v2 as it is, knowing nothing of Terraform;
//! - [`terraform`]: what Terraform sees, built on the API half.

pub mod api;
pub mod terraform;

// What the provider registers.
pub use terraform::data_source::{InstancePoolDataSource, InstancePoolsDataSource};
pub use terraform::evict::EvictAction;
pub use terraform::list::InstancePoolList;
pub use terraform::resource::InstancePoolResource;
pub use terraform::settings;
