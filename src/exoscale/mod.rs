//! Exoscale Instance Pools: API client, request signing and API types.

pub mod client;
pub mod convert;
pub mod data_source;
pub mod model;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod sign;
mod state_upgrade;

pub use client::{Deletion, ExoscaleClient, OperationError, DEFAULT_ENDPOINT};
