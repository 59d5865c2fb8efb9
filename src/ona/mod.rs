//! Ona (ex-Gitpod) prebuild warm pools, in two halves:
//! - [`api`]: the PrebuildService API as it is, knowing nothing of Terraform: the client,
//!   its messages and its error dialect;
//! - [`terraform`]: what Terraform sees, built on the API half: the provider's `ona` block,
//!   the `pools_warm_pool` resource, its list resource and migration, the `pools_warm_pool`
//!   / `pools_warm_pools` data sources, the Terraform model, and the create, read, change
//!   and wait steps.

pub mod api;
pub mod terraform;

// What the provider registers.
pub use terraform::data_source::{WarmPoolDataSource, WarmPoolsDataSource};
pub use terraform::list::WarmPoolList;
pub use terraform::resource::WarmPoolResource;
pub use terraform::settings;
