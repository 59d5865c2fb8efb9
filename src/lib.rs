//! terraform-provider-pools: a Terraform/OpenTofu provider for Exoscale Instance Pools and
//! Ona prebuild warm pools.

pub mod exoscale;
pub mod http;
pub mod intents;
pub mod ona;
pub mod plugin;
pub mod provider;
pub mod trust;
pub mod wait;

#[cfg(test)]
pub mod testing;
