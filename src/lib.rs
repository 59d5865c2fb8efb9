//! terraform-provider-pools: a Terraform/OpenTofu provider for Exoscale Instance Pools and
//! Ona prebuild warm pools.

pub mod plugin;
pub mod wait;
