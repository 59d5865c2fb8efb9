//! The Terraform side of Exoscale Instance Pools.

mod change;
mod create;
pub mod data_source;
mod descriptions;
mod diagnostics;
pub mod evict;
pub mod instance_types;
pub mod list;
pub mod migrate;
pub mod model;
mod read;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod settings;
mod state_upgrade;
#[cfg(test)]
mod state_upgrade_tests;
pub mod wait;
