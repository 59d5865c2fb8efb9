//! What a sandbox is started with: credentials, operation pace, latency, state file, faults
//! and TLS. Both APIs read it, so it lives apart from the server that runs them.

use std::path::PathBuf;
use std::time::Duration;

use crate::faults::FaultRule;

/// Default credentials (design.md section 8); anything else is refused like the real APIs do.
pub const DEFAULT_EXOSCALE_KEY: &str = "EXOsandboxkey";
pub const DEFAULT_EXOSCALE_SECRET: &str = "sandboxsecret";
pub const DEFAULT_ONA_TOKEN: &str = "sandboxtoken";

#[derive(Clone, Debug)]
pub struct Config {
    pub exoscale_key: String,
    pub exoscale_secret: String,
    pub ona_token: String,
    /// How long an Exoscale operation stays `pending`.
    pub operation_duration: Duration,
    /// How long an Ona warm pool stays PENDING before READY (and DELETING before gone).
    pub warm_pool_settle: Duration,
    /// How much later than at once every API request is served, as a remote API's round
    /// trip would delay it (the admin endpoints answer at once).
    pub latency: Duration,
    /// Where to persist the state across restarts, if anywhere.
    pub state_file: Option<PathBuf>,
    pub faults: Vec<FaultRule>,
    /// Serve HTTPS with a certificate from a CA made at start-up ([`crate::Sandbox::ca_pem`]).
    pub tls: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            exoscale_key: DEFAULT_EXOSCALE_KEY.into(),
            exoscale_secret: DEFAULT_EXOSCALE_SECRET.into(),
            ona_token: DEFAULT_ONA_TOKEN.into(),
            operation_duration: Duration::from_millis(500),
            warm_pool_settle: Duration::from_millis(500),
            latency: Duration::ZERO,
            state_file: None,
            faults: Vec::new(),
            tls: false,
        }
    }
}
