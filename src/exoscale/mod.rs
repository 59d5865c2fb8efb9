//! Exoscale Instance Pools: API client, request signing and API types.

pub mod client;
pub mod model;
pub mod sign;

pub use client::{Deletion, ExoscaleClient, OperationError, DEFAULT_ENDPOINT};
