//! The protocol layer: a small Terraform plugin framework. It knows tfplugin6, go-plugin's
//! handshake, cty values and schemas; it knows nothing about Exoscale or Ona, and depends
//! on nothing else in the crate.
//!
//! A backend declares what it serves with the names re-exported here (`use
//! crate::plugin::{Attribute, Block, Ctx, Diagnostics, Resource, Schema, Value, ...}`) and
//! the helper namespaces (`validators`, `moves`, `upgrade`, `log`, `calendar`, `cty`).
//!
//! The files, from the wire inwards:
//!
//! - serving: `server.rs` (go-plugin's handshake, the socket, the side services; `tls.rs`
//!   for AutoMTLS) runs `grpc/`, the tfplugin6 service, which decodes each request and
//!   hands it to the provider's resources; `proto.rs` includes the generated code in
//!   `proto/`; `stop.rs` is the StopProvider signal every wait watches;
//! - declaring: `resource.rs` (the `Provider`, `Resource` and `DataSource` traits),
//!   `action.rs` and `list.rs` (actions and list resources), each with its adapter, which
//!   drives typed models with values on the core in `adapter.rs`; `ctx.rs` is what every
//!   call receives (configured data, settings that may be unknown); `model.rs` converts
//!   values to typed models (`model!`, `Tri`);
//! - schemas: `schema.rs` (attributes, blocks, `validate_block`), `validators.rs`,
//!   `plan.rs` (the plan rules attributes declare), `timeouts.rs`, `identity.rs`,
//!   `upgrade.rs` (state of earlier schema versions), `moves.rs` (state from another
//!   provider's resource type), `docs.rs` (registry pages rendered from schemas);
//! - values: `cty/` (types, values with unknowns, their JSON and msgpack forms),
//!   `diag.rs` (diagnostics with attribute paths);
//! - support: `log.rs` (hclog-style logging), `calendar.rs` (date arithmetic);
//! - `tests.rs`: the framework exercised on a test-only resource.

// Namespaces used by path outside the framework.
pub mod calendar;
pub mod cty;
pub mod docs;
pub mod log;
pub mod moves;
pub mod proto;
pub mod schema;
pub mod server;
pub mod tls;
pub mod upgrade;
pub mod validators;

mod action;
mod adapter;
mod ctx;
mod diag;
mod grpc;
mod identity;
mod list;
mod model;
mod plan;
mod resource;
mod stop;
#[cfg(test)]
mod tests;
mod timeouts;

// What a backend declares its provider, resources, data sources, list resources and
// actions with, and what serves them.
pub use action::{action, Action, AnyAction, Progress};
pub use ctx::{string_setting, Configured, Ctx, Settings};
pub use cty::{Number, Type, Value};
pub use diag::{AttrPath, Diagnostic, Diagnostics, Severity};
pub use grpc::ProviderService;
pub use identity::Identity;
pub use list::{list_resource, AnyListResource, ListResource, Listed};
pub use model::{conform, Cty, Tri};
pub use moves::MoveSource;
pub use plan::Plan;
pub use resource::{
    data_source, resource, AnyDataSource, AnyResource, Applied, DataSource, Planned, Provider,
    Resource,
};
pub use schema::{Attribute, Block, NestedBlock, ObjectNesting, Schema};
pub use stop::Stop;
pub use timeouts::{timeouts_block, Timeouts};
pub use upgrade::StateUpgrader;
