//! Exoscale Instance Pools: API client, request signing and API types.

pub mod client;
pub mod convert;
mod create;
pub mod data_source;
pub mod errors;
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
pub mod sign;
mod state_upgrade;

pub use client::{Deletion, ExoscaleClient, OperationError, DEFAULT_ENDPOINT};
