//! The protocol layer: a small Terraform plugin framework. It knows tfplugin6, go-plugin's
//! handshake, cty values and schemas; it knows nothing about Exoscale or Ona.

pub mod action;
mod adapter;
pub mod calendar;
pub mod cty;

pub mod ctx;
pub mod diag;
pub mod docs;
pub mod grpc;
pub mod identity;
pub mod list;
pub mod log;
pub mod model;
pub mod moves;
pub mod plan;
pub mod proto;
pub mod resource;
pub mod schema;
pub mod server;
mod stop;
#[cfg(test)]
mod tests;
pub mod timeouts;
pub mod tls;
pub mod upgrade;
pub mod validators;

// What a backend needs to declare its provider, resources, data sources, list resources and
// actions; the modules above stay reachable for the rest.
pub use action::{Action, Progress};
pub use ctx::{Configured, Ctx, Settings};
pub use cty::{Number, Type, Value};
pub use diag::{AttrPath, Diagnostic, Diagnostics};
pub use identity::Identity;
pub use list::{ListResource, Listed};
pub use model::{Cty, Tri};
pub use moves::MoveSource;
pub use plan::Plan;
pub use resource::{Applied, DataSource, Provider, Resource};
pub use schema::{Attribute, Block, Schema};
pub use stop::Stop;
pub use timeouts::{timeouts_block, Timeouts};
pub use upgrade::StateUpgrader;
