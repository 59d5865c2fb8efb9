//! How long one apply step may wait, and on what signal it ends early.

use std::time::Duration;

use tokio::time::Instant;

use crate::plugin::Stop;

/// How long one apply step may wait, and which `timeouts` entry sets that: the one way a
/// deadline and Terraform's stop signal travel together.
#[derive(Clone, Debug)]
pub struct Wait {
    pub deadline: Instant,
    pub stop: Stop,
    /// `create`, `read`, `update` or `delete`: named when time runs out.
    pub timeout: &'static str,
    /// What that timeout is (the deadline is this long after the step began).
    pub limit: Duration,
}

impl Wait {
    /// A wait of `limit` from now, set by `timeouts.<timeout>`.
    pub fn new(timeout: &'static str, limit: Duration, stop: &Stop) -> Self {
        Wait {
            deadline: Instant::now() + limit,
            stop: stop.clone(),
            timeout,
            limit,
        }
    }

    /// The same wait, ending at `deadline` if that comes first.
    pub fn until(&self, deadline: Instant) -> Self {
        Wait {
            deadline: deadline.min(self.deadline),
            ..self.clone()
        }
    }
}
