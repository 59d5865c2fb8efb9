//! Shared waiting machinery, knowing no backend: how long a step may wait ([`Wait`]), the
//! poll loop and its schedule ([`poll_paced`]), the budget every wait of the process shares
//! per API endpoint ([`Pacing`]), when a failure is no blip and ends a wait early
//! (`persistence`), and a change sent so that it is never repeated blindly
//! ([`send_change`]).

mod deadline;
mod pacing;
mod persistence;
mod poll;
mod resend;

pub use deadline::{human, Wait, FAILURE_WINDOW};
pub use pacing::{Budget, Endpoint, Pacing, BUDGET_BURST, BUDGET_RATE};
pub use persistence::{
    failure_window_attribute, failure_window_setting, Failure, FailureClass, PERSISTENT_ATTEMPTS,
};
pub use poll::{
    next_interval, poll_paced, poll_until, Poll, WaitError, MAX_INTERVAL, MIN_INTERVAL,
    POLLING_RULE,
};
pub use resend::{send_change, Seen, Sent, Unsent};
