//! The Exoscale API v2, with no Terraform types: the client ([`client`]: one signed JSON
//! call per method, and how waits on a zone are paced; it never waits itself), the API's
//! request and response types ([`wire`]), its error bodies ([`errors`]), request signing
//! ([`sign`]), and each zone's instance type catalogue ([`catalogue`]), a cache the client
//! hands its fetch to.

pub mod catalogue;
pub mod client;
pub mod errors;
pub mod sign;
pub mod wire;

pub use client::{Deletion, ExoscaleClient, DEFAULT_ENDPOINT, SERVICE};
