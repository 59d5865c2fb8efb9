//! The protocol types and gRPC services: code generated from `proto/` by `cargo xtask
//! codegen` (tools/codegen) into `proto/`, committed.
#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod tfplugin6 {
    include!("proto/tfplugin6.rs");
}
pub mod go_plugin {
    include!("proto/plugin.rs");
}
pub mod health {
    include!("proto/grpc.health.v1.rs");
}
