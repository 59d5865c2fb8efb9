//! The Exoscale API v2, with no Terraform types.

pub mod catalogue;
pub mod client;
pub mod errors;
pub mod sign;
pub mod wire;

pub use client::{Deletion, ExoscaleClient, DEFAULT_ENDPOINT, SERVICE};
