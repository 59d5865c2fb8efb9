//! Shared waiting machinery, knowing no backend: how long a step may wait ([`Wait`]), the
//! poll loop and its schedule ([`poll_paced`]), the budget every wait of the process shares
//! per API endpoint ([`Pacing`]), and a change sent so that it is never repeated blindly
//! ([`send_change`]).

mod pacing;
mod poll;
mod resend;

use std::time::Duration;

use tokio::time::Instant;

use crate::plugin::Stop;

pub use pacing::{Budget, Endpoint, Jitter, Pacing, BUDGET_BURST, BUDGET_RATE};
pub use poll::{
    human, next_interval, poll_paced, poll_until, Poll, WaitError, MAX_INTERVAL, MIN_INTERVAL,
    POLLING_RULE,
};
pub use resend::{send_change, Seen, Sent, Unsent};

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
