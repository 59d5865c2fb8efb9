//! The Ona PrebuildService API, with no Terraform types: the client (Connect unary calls,
//! one method per call), the messages it sends and reads ([`wire`]), and the Connect error
//! dialect ([`errors`]).

pub mod client;
pub mod errors;
pub mod wire;

pub use client::{OnaClient, DEFAULT_BASE_URL};
