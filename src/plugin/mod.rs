//! The protocol layer: a small Terraform plugin framework. It knows tfplugin6, go-plugin's
//! handshake, cty values and schemas; it knows nothing about Exoscale or Ona.

pub mod action;
pub mod cty;

/// Code generated from `proto/` by build.rs.
pub mod proto {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod go_plugin {
        tonic::include_proto!("plugin");
    }
    pub mod health {
        tonic::include_proto!("grpc.health.v1");
    }
}
pub mod consistency;
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
pub mod resource;
pub mod schema;
pub mod server;
#[cfg(test)]
mod tests;
pub mod timeouts;
pub mod tls;
pub mod upgrade;
pub mod validators;
