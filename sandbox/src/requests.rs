//! The request log: what the sandbox was asked, in order. Tests use it to prove that a
//! plan mapped to exactly the expected API calls.

use std::sync::{Arc, Mutex};

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    /// `exoscale` or `ona`.
    pub api: &'static str,
    /// The API operation name, e.g. `scale-instance-pool` or `UpdateWarmPool`.
    pub route: &'static str,
    pub method: String,
    pub path: String,
    pub status: u16,
}

#[derive(Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<LoggedRequest>>>);

impl RequestLog {
    pub fn push(&self, request: LoggedRequest) {
        self.lock().push(request);
    }

    pub fn all(&self) -> Vec<LoggedRequest> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Route names of the requests so far, in order; handy in assertions.
    pub fn routes(&self) -> Vec<&'static str> {
        self.lock().iter().map(|r| r.route).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoggedRequest>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
