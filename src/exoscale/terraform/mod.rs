//! The Terraform side of Exoscale Instance Pools.

mod create;
pub mod data_source;
pub mod evict;
pub mod instance_types;
pub mod list;
pub mod migrate;
pub mod model;
pub mod pools;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod settings;
mod state_upgrade;
