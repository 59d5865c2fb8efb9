//! Shared waiting machinery, knowing no backend: how long a step may wait ([`Wait`]), the
//! poll loop and its schedule ([`poll_paced`]), the budget every wait of the process shares
//! per API endpoint ([`Pacing`]), and a change sent so that it is never repeated blindly
//! ([`send_change`]).

mod deadline;
mod pacing;
mod poll;
mod resend;

pub use deadline::Wait;
pub use pacing::{Budget, Endpoint, Pacing, BUDGET_BURST, BUDGET_RATE};
pub use poll::{
    human, next_interval, poll_paced, poll_until, Poll, WaitError, MAX_INTERVAL, MIN_INTERVAL,
    POLLING_RULE,
};
pub use resend::{send_change, Seen, Sent, Unsent};
