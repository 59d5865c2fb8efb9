//! Ona (ex-Gitpod) prebuild warm pools: API client and message types, the `pools_warm_pool`
//! resource and the `pools_warm_pool` / `pools_warm_pools` data sources.

pub mod client;
pub mod convert;
pub mod data_source;
pub mod errors;
pub mod list;
pub mod migrate;
pub mod model;
pub mod pools;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod settings;

pub use client::{OnaClient, DEFAULT_BASE_URL};
