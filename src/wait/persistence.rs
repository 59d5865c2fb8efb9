//! When a failure is not a blip. Waits ride out failures that may heal (5xx answers, no
//! answer at all), but a failure that lasts ends the wait early, with the error, instead of
//! letting it run to its timeout: a CI job learns of a broken API in minutes, not at the end
//! of a 20-minute timeout.
//!
//! The rule: a wait gives up once every look for [`Wait::failure_window`] (2 minutes unless
//! the provider's `failure_window` says otherwise), and at least [`PERSISTENT_ATTEMPTS`]
//! HTTP attempts in a row, failed the same way. A look that sees anything else (the object,
//! an answer of another class of failure) starts the count again. A rate limit (429) is the
//! API asking for patience, not failing: it never counts, and waits honour it to their
//! timeout.
//!
//! [`Wait::failure_window`]: super::Wait::failure_window

use std::time::Duration;

use tokio::time::Instant;

use super::deadline::{human, FAILURE_WINDOW};
use crate::http::{ApiError, ErrorKind};
use crate::plugin::{validators, Attribute, Value};

/// The fewest failed attempts in a row that can make a failure persistent.
pub const PERSISTENT_ATTEMPTS: u32 = 5;

/// The `failure_window` attribute of a backend's provider block (`api`: `Exoscale API`).
pub fn failure_window_attribute(api: &str) -> Attribute {
    Attribute::string("failure_window")
        .optional()
        .describe(&format!(
            "How long the {api} may keep failing the same way (server errors, or no answer) before a change gives up, instead of waiting to its timeout; at least {PERSISTENT_ATTEMPTS} attempts are made first. Transient faults shorter than this are ridden out. A rate limit (429) never counts. Default: `{}`.",
            human(FAILURE_WINDOW)
        ))
        .validate(validators::duration())
}

/// The `failure_window` of a provider block: the configured duration, else the default
/// (also while it is unknown: only planning sees it so, and planning does not wait).
pub fn failure_window_setting(block: &Value) -> Duration {
    block
        .attr("failure_window")
        .as_str()
        .and_then(validators::parse_duration)
        .unwrap_or(FAILURE_WINDOW)
}

/// What way an attempt failed; a wait gives up when one way lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureClass {
    /// The API answered with a server error (5xx, or Connect `unavailable` and the like).
    Server,
    /// No answer: the connection failed or the attempt timed out.
    NoAnswer,
}

impl FailureClass {
    /// How this class reads in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            FailureClass::Server => "a server error",
            FailureClass::NoAnswer => "no answer (connection errors or timeouts)",
        }
    }
}

/// One failed look, as the persistence rule counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub class: FailureClass,
    /// The HTTP attempts it stands for (the transport's own retries included).
    pub attempts: u32,
}

impl Failure {
    /// The failure `e` counts as, if any: only failures that may heal and are not the API
    /// asking for patience.
    pub fn of(e: &ApiError) -> Option<Failure> {
        let class = match e.kind {
            ErrorKind::Server => FailureClass::Server,
            ErrorKind::Connection | ErrorKind::Timeout => FailureClass::NoAnswer,
            _ => return None,
        };
        Some(Failure {
            class,
            attempts: e.attempts.max(1),
        })
    }
}

/// The failed looks in a row of one class, since `since`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Streak {
    pub class: FailureClass,
    pub since: Instant,
    pub attempts: u32,
}

impl Streak {
    /// The streak after a look that began at `at` and ended with `failure` (None: it saw
    /// something, which ends any streak).
    pub fn after(streak: Option<Streak>, failure: Option<Failure>, at: Instant) -> Option<Streak> {
        let failure = failure?;
        Some(match streak {
            Some(s) if s.class == failure.class => Streak {
                attempts: s.attempts.saturating_add(failure.attempts),
                ..s
            },
            _ => Streak {
                class: failure.class,
                since: at,
                attempts: failure.attempts,
            },
        })
    }

    /// Whether the failure has lasted long enough, in attempts and in time, to give up.
    pub fn persisted(&self, now: Instant, window: Duration) -> bool {
        self.attempts >= PERSISTENT_ATTEMPTS && now.saturating_duration_since(self.since) >= window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(class: FailureClass, attempts: u32) -> Option<Failure> {
        Some(Failure { class, attempts })
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_persists_over_the_window_and_the_attempts() {
        let start = Instant::now();
        let window = Duration::from_secs(120);
        let mut streak = None;
        // Four looks of one attempt each, two minutes apart: long enough, too few attempts.
        for minute in 0..4u64 {
            let at = start + Duration::from_secs(60 * minute);
            streak = Streak::after(streak, failure(FailureClass::Server, 1), at);
        }
        let s = streak.expect("a streak");
        assert_eq!((s.attempts, s.since), (4, start));
        assert!(!s.persisted(start + Duration::from_secs(200), window));
        // The fifth attempt: persistent, once the window has passed since the first.
        let s = Streak::after(streak, failure(FailureClass::Server, 1), start).expect("a streak");
        assert!(!s.persisted(start + Duration::from_secs(119), window));
        assert!(s.persisted(start + Duration::from_secs(120), window));
        // Five attempts in one look (the transport's retries) count as five.
        let one = Streak::after(None, failure(FailureClass::NoAnswer, 5), start).expect("a streak");
        assert!(one.persisted(start + window, window));
    }

    #[tokio::test(start_paused = true)]
    async fn anything_else_seen_starts_the_count_again() {
        let start = Instant::now();
        let later = start + Duration::from_secs(30);
        let streak = Streak::after(None, failure(FailureClass::Server, 4), start);
        // Another class of failure starts a streak of its own.
        let other = Streak::after(streak, failure(FailureClass::NoAnswer, 1), later);
        let other = other.expect("a streak");
        assert_eq!(
            (other.class, other.attempts, other.since),
            (FailureClass::NoAnswer, 1, later)
        );
        // A look that saw the object (or progress) ends it.
        assert!(Streak::after(streak, None, later).is_none());
    }

    #[test]
    fn only_failures_that_may_heal_count_and_rate_limits_never() {
        let error = |kind, attempts| ApiError {
            kind,
            attempts,
            ..ApiError::config("Test API", "x")
        };
        let server = Failure::of(&error(ErrorKind::Server, 5));
        assert_eq!(server, failure(FailureClass::Server, 5));
        assert_eq!(
            Failure::of(&error(ErrorKind::Timeout, 0)),
            failure(FailureClass::NoAnswer, 1)
        );
        for kind in [
            ErrorKind::RateLimited,
            ErrorKind::Client,
            ErrorKind::Decode,
            ErrorKind::Stopped,
        ] {
            assert_eq!(Failure::of(&error(kind, 3)), None, "{kind:?}");
        }
    }
}
