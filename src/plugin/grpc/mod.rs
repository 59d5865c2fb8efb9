//! The `tfplugin6.Provider` gRPC service, by job:
//!
//! - `service.rs`: [`ProviderService`], the registry of the provider's types, and the
//!   tonic service: provider-level RPCs answered in place, the others handed on;
//! - `resources.rs`: the managed resource RPCs (validate, upgrade, read, plan, apply,
//!   import, move);
//! - `data_sources.rs`, `list_resources.rs`, `actions.rs`: the RPCs of the other kinds;
//! - `codec.rs`: values in and out (`DynamicValue`s, identity data, deferral).
//!
//! RPCs this provider has no use for (functions, ephemeral resources, state stores) keep
//! the generated UNIMPLEMENTED answer, which every Terraform version handles.

mod actions;
mod codec;
mod data_sources;
mod list_resources;
mod resources;
mod service;

pub use service::ProviderService;
