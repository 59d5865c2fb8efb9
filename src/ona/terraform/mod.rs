//! The Terraform side of Ona warm pools: the provider's `ona` block ([`settings`]), the
//! Terraform model of a warm pool ([`model`]), the `pools_warm_pool` resource, its list
//! resource and its migration from the official provider, the data sources, and the steps
//! the resource takes through the API.

mod change;
mod create;
pub mod data_source;
mod descriptions;
mod diagnostics;
pub mod list;
pub mod migrate;
pub mod model;
mod read;
pub mod resource;
#[cfg(test)]
mod resource_tests;
pub mod settings;
mod wait;
