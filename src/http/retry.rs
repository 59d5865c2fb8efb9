//! When a failed attempt is tried again, and after what pause: only an idempotent call, only
//! after a transient error, at most [`MAX_ATTEMPTS`] attempts within [`RETRY_BUDGET`], each
//! after an exponential backoff with jitter, or after the pause the server asked for when
//! that is longer.

use std::time::Duration;

use tokio::time::Instant;

use super::call::Call;
use super::error::ApiError;
use super::jitter::Jitter;

/// Attempts per idempotent call, the first one included.
const MAX_ATTEMPTS: u32 = 5;
/// Retries of one call never run past this budget.
const RETRY_BUDGET: Duration = Duration::from_secs(90);
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// The retries of one call: the end of its budget and the jitter of its pauses.
pub(super) struct Retries {
    deadline: Instant,
    jitter: Jitter,
}

impl Retries {
    /// The retries of a call whose first attempt starts now.
    pub(super) fn start() -> Self {
        Retries {
            deadline: Instant::now() + RETRY_BUDGET,
            jitter: Jitter::new(),
        }
    }

    /// The pause before trying `call` again, now that its attempt number `attempt` failed
    /// with `err`; None when that failure is final.
    pub(super) fn pause_after(
        &mut self,
        call: &Call,
        attempt: u32,
        err: &ApiError,
    ) -> Option<Duration> {
        let retryable = call.idempotent && err.is_transient() && attempt < MAX_ATTEMPTS;
        retryable
            .then(|| backoff(attempt, self.jitter.next_unit(), err.retry_after))
            .filter(|pause| Instant::now() + *pause < self.deadline)
    }
}

/// Exponential backoff with downward jitter (half to full step), raised to a
/// server-requested pause when that is longer.
fn backoff(attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
    let step = BACKOFF_START
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let pause = step.mul_f64(1.0 - 0.5 * jitter.clamp(0.0, 1.0));
    retry_after.map_or(pause, |asked| asked.max(pause))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        assert_eq!(backoff(1, 0.0, None), Duration::from_millis(200));
        assert_eq!(backoff(2, 0.0, None), Duration::from_millis(400));
        assert_eq!(backoff(10, 0.0, None), BACKOFF_CAP);
        assert_eq!(backoff(1, 0.999, None).as_millis(), 100);
        assert_eq!(
            backoff(1, 0.0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }
}
