//! Ona (ex-Gitpod) prebuild warm pools: API client and message types.

pub mod client;
pub mod model;

pub use client::{OnaClient, DEFAULT_BASE_URL};
