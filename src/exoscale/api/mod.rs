//! The Exoscale API v2, with no Terraform types: the client ([`client`]: one signed JSON
//! call per method, and how waits on a zone are paced; it never waits itself), the API's
//! request and response types ([`wire`]), its error bodies ([`errors`]), request signing
//! ([`sign`]), each zone's instance type catalogue ([`catalogue`]) and each zone's lists of
//! pools and members for refreshes ([`zone_lists`]), caches the client hands its fetches to.

pub mod catalogue;
pub mod client;
pub mod errors;
pub mod sign;
pub mod wire;
pub mod zone_lists;

pub use client::{Deletion, ExoscaleClient, DEFAULT_ENDPOINT, SERVICE};
