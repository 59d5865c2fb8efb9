//! Placeholder: the ona API emulation is being written.

use std::sync::Arc;

use axum::http::Method;
use axum::Router;

use crate::{Config, Faults};

pub struct OnaApi {
    _faults: Faults,
}

impl OnaApi {
    pub fn new(_config: &Config, faults: Faults) -> Arc<Self> {
        Arc::new(OnaApi { _faults: faults })
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
    }

    /// Serialisable snapshot of the live state, for `--state FILE`.
    pub fn save(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    pub fn load(&self, _state: &serde_json::Value) -> Result<(), String> {
        Ok(())
    }
}

/// The API operation a request path names, if it is one of this API's.
pub fn route_name(_method: &Method, _path: &str) -> Option<&'static str> {
    None
}

pub fn fixtures() -> serde_json::Value {
    serde_json::json!({})
}
