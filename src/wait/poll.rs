//! The poll loop: a schedule that keeps a wait close to the backend's own time, bounded by
//! the wait's deadline and Terraform's stop signal, and paced by the endpoint's budget.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::deadline::{human, Wait};
use super::pacing::Pacing;
use super::persistence::{Failure, FailureClass, Streak};
use crate::http::{ApiError, Jitter};
use crate::plugin::log;

/// Shortest pause between polls.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Longest pause between polls (unless the server asks for more with Retry-After).
pub const MAX_INTERVAL: Duration = Duration::from_secs(3);
/// Pause as a share of the time waited so far: bounds the overshoot to 5% of the backend time.
const INTERVAL_SHARE: f64 = 0.05;
/// Pauses are shortened by up to this share, never lengthened, to spread concurrent pollers.
const JITTER_SHARE: f64 = 0.1;

/// How waits poll, in a sentence for the resources' documentation.
pub const POLLING_RULE: &str = "Changes are waited for within `timeouts`: the provider looks at the API at once, then 100 ms apart, the pauses growing to 5% of the time waited (at most 3 s, or longer when the API asks for it). All waits of one provider process share a budget per API endpoint: beyond each wait's first look, and one look when changes of the same kind ended lately, at most 10 looks a second once a burst of 200 is spent, so many parallel changes stretch their pauses instead of flooding the API.";

#[derive(Debug, Clone, PartialEq)]
pub enum Poll<T> {
    Ready(T),
    /// Not there yet: `seen` describes what was observed (for the timeout message);
    /// `retry_after` is a pause the server asked for, if any; `failure` is set when the look
    /// failed in a way that may heal (see `persistence.rs`).
    Pending {
        seen: String,
        retry_after: Option<Duration>,
        failure: Option<Failure>,
    },
}

impl<T> Poll<T> {
    pub fn pending(seen: impl Into<String>) -> Self {
        Poll::Pending {
            seen: seen.into(),
            retry_after: None,
            failure: None,
        }
    }

    /// A look that failed with `e`, which may heal: pending, as `seen` says, after the pause
    /// the server asked for.
    pub fn failing(e: &ApiError, seen: impl Into<String>) -> Self {
        Poll::Pending {
            seen: seen.into(),
            retry_after: e.retry_after,
            failure: Failure::of(e),
        }
    }

    /// A look that failed: one more pending look when asking again may succeed (keeping the
    /// server's requested pause), else the error as it is.
    pub fn retry(e: ApiError) -> Result<Self, ApiError> {
        if e.is_transient() {
            Ok(Poll::failing(&e, format!("{e} (will retry)")))
        } else {
            Err(e)
        }
    }
}

/// Why a wait ended without its result.
#[derive(Debug)]
pub enum WaitError<E> {
    TimedOut {
        what: String,
        after: Duration,
        last_seen: Option<String>,
        /// Whether the last looks failed (then more time is not the remedy).
        failing: bool,
    },
    /// The API kept failing the same way over the wait's failure window.
    Persisted {
        what: String,
        class: FailureClass,
        attempts: u32,
        over: Duration,
        last_seen: Option<String>,
    },
    Stopped {
        what: String,
    },
    /// The check itself failed (an API error, a failed operation, ...).
    Failed(E),
}

impl<E> WaitError<E> {
    /// The failed check's own error (`Err`), or else this wait error, as one whose check
    /// fails with another type.
    pub fn split<F>(self) -> Result<WaitError<F>, E> {
        Ok(match self {
            WaitError::Failed(e) => return Err(e),
            WaitError::TimedOut {
                what,
                after,
                last_seen,
                failing,
            } => WaitError::TimedOut {
                what,
                after,
                last_seen,
                failing,
            },
            WaitError::Persisted {
                what,
                class,
                attempts,
                over,
                last_seen,
            } => WaitError::Persisted {
                what,
                class,
                attempts,
                over,
                last_seen,
            },
            WaitError::Stopped { what } => WaitError::Stopped { what },
        })
    }
}

impl<E: fmt::Display> fmt::Display for WaitError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::TimedOut {
                what,
                after,
                last_seen,
                ..
            } => {
                write!(f, "timed out after {} waiting for {what}", human(*after))?;
                if let Some(seen) = last_seen {
                    write!(f, " (last seen: {seen})")?;
                }
                Ok(())
            }
            WaitError::Persisted {
                what,
                class,
                attempts,
                over,
                last_seen,
            } => {
                write!(
                    f,
                    "gave up waiting for {what}: {attempts} attempts in a row over {} got {}",
                    human(*over),
                    class.describe()
                )?;
                if let Some(seen) = last_seen {
                    write!(f, " (the last: {seen})")?;
                }
                Ok(())
            }
            WaitError::Stopped { what } => {
                write!(f, "stopped by Terraform while waiting for {what}")
            }
            WaitError::Failed(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for WaitError<E> {}

impl<E> WaitError<E> {
    /// What to do about a wait on `api` (`Exoscale API`) that ended on a failing API:
    /// it gave up on a failure that persisted, or the API was still failing when the timeout
    /// came. Then more time would not help, and the advice says so. None for a wait that
    /// was progressing (when a longer timeout may help), was stopped, or failed outright.
    pub fn failing_advice(&self, api: &str) -> Option<String> {
        let check = format!(
            "check the {api}'s status and this machine's connection to it, then apply again"
        );
        match self {
            WaitError::Persisted { .. } => Some(format!(
                "The {api} keeps failing, so a longer timeout would not help: {check} later. (The provider's `failure_window` sets how long a failure may last before a wait gives up.)"
            )),
            WaitError::TimedOut { failing: true, .. } => Some(format!(
                "The {api} was failing until the timeout, so a longer one would not help: {check}."
            )),
            _ => None,
        }
    }
}

/// The pause before the next poll, given the time waited so far, a jitter draw in [0, 1)
/// and an optional server-requested pause. Pure, so the schedule is testable without a clock.
pub fn next_interval(elapsed: Duration, jitter: f64, retry_after: Option<Duration>) -> Duration {
    let base = elapsed
        .mul_f64(INTERVAL_SHARE)
        .clamp(MIN_INTERVAL, MAX_INTERVAL);
    let jittered = base.mul_f64(1.0 - JITTER_SHARE * jitter.clamp(0.0, 1.0));
    match retry_after {
        Some(asked) if asked > jittered => asked,
        _ => jittered,
    }
}

/// Calls `check` until it is ready, the wait's deadline passes, or its stop is triggered.
/// The first check happens at once; the last one happens at the deadline. No budget: for
/// loops that do not poll an API (see [`poll_paced`]).
pub async fn poll_until<T, E, F, Fut>(wait: &Wait, what: &str, check: F) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    poll_paced(&Pacing::unbounded(), wait, what, check).await
}

/// [`poll_until`] against an API endpoint: the wait's first request is at once and free,
/// and so is one check at the time waits of the same kind ended lately (see [`Pacing`]);
/// every other check first takes a token from the endpoint's [`Budget`](super::Budget), shared by all the
/// waits of the process, so many parallel waits stretch their pauses instead of flooding
/// the API. The last check, at the deadline, is free too. Free checks are a few per wait,
/// so they follow the pace at which Terraform starts changes.
pub async fn poll_paced<T, E, F, Fut>(
    pacing: &Pacing,
    wait: &Wait,
    what: &str,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let (deadline, stop) = (wait.deadline, &wait.stop);
    let start = Instant::now();
    let mut jitter = Jitter::new();
    let mut last_seen = None;
    // The learned end of this kind of wait, until a check has been made at it.
    let mut expected = pacing.expected_end();
    // Checks made so far, after the first.
    let mut checks = 0u32;
    // The failed looks in a row, if the last ones failed.
    let mut streak: Option<Streak> = None;
    let timed_out = |last_seen: Option<String>, streak: Option<Streak>| WaitError::TimedOut {
        what: what.to_string(),
        after: Instant::now().saturating_duration_since(start),
        last_seen,
        failing: streak.is_some(),
    };
    let stopped = || WaitError::Stopped {
        what: what.to_string(),
    };
    loop {
        if stop.is_triggered() {
            return Err(stopped());
        }
        let checked_at = Instant::now();
        let outcome = tokio::select! {
            outcome = check() => outcome,
            _ = stop.triggered() => return Err(stopped()),
            _ = tokio::time::sleep_until(deadline) => return Err(timed_out(last_seen, streak)),
        };
        let retry_after = match outcome.map_err(WaitError::Failed)? {
            Poll::Ready(value) => {
                // A wait done at its first look teaches nothing about when to look again.
                if checked_at > start {
                    pacing.ended_after(checked_at - start);
                }
                return Ok(value);
            }
            Poll::Pending {
                seen,
                retry_after,
                failure,
            } => {
                last_seen = Some(seen);
                streak = Streak::after(streak, failure, checked_at);
                retry_after
            }
        };
        let now = Instant::now();
        if let Some(s) = streak.filter(|s| s.persisted(now, wait.failure_window)) {
            return Err(WaitError::Persisted {
                what: what.to_string(),
                class: s.class,
                attempts: s.attempts,
                over: now - s.since,
                last_seen,
            });
        }
        if now >= deadline {
            return Err(timed_out(last_seen, streak));
        }
        let elapsed = now - start;
        let mut pause = next_interval(elapsed, jitter.next_unit(), retry_after).min(deadline - now);
        // A check at the expected end is worth making on time, and free; not when the
        // server asked for a pause.
        let mut free = false;
        match (expected, retry_after) {
            (Some(end), None) if end > elapsed && end <= elapsed + pause => {
                expected = None;
                pause = end - elapsed;
                free = true;
            }
            (Some(end), _) if end <= elapsed => expected = None,
            _ => {}
        }
        if log::enabled(log::Level::Debug) {
            let seen = last_seen.as_deref().unwrap_or("");
            log::debug(
                "waiting",
                &[
                    ("for", &what),
                    ("seen", &seen),
                    ("elapsed_ms", &elapsed.as_millis()),
                    ("next_poll_ms", &pause.as_millis()),
                    ("deadline_in_ms", &(deadline - now).as_millis()),
                ],
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.triggered() => return Err(stopped()),
        }
        checks += 1;
        let first_request = checks == 1 && pacing.first_look_given;
        if free || first_request || Instant::now() >= deadline {
            continue;
        }
        // The budget may hold the check back, never past the deadline (checked then, free)
        // nor past the learned end (checked then, free; the booked token goes unused).
        if let Some(ready_at) = pacing.reserve() {
            let mut until = ready_at.min(deadline);
            if let Some(end) = expected.map(|end| start + end) {
                if end < until {
                    until = end;
                    expected = None;
                }
            }
            if log::enabled(log::Level::Debug) {
                let held = until.saturating_duration_since(Instant::now());
                log::debug(
                    "waiting for the endpoint's poll budget",
                    &[("for", &what), ("held_ms", &held.as_millis())],
                );
            }
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = stop.triggered() => return Err(stopped()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::plugin::Stop;
    use crate::wait::{Budget, Endpoint, BUDGET_BURST, BUDGET_RATE};

    /// A wait that ends at `deadline` or on `stop`.
    fn within(deadline: Instant, stop: &Stop) -> Wait {
        let limit = deadline.saturating_duration_since(Instant::now());
        Wait {
            deadline,
            ..Wait::new("test", limit, stop)
        }
    }

    /// Simulates a wait on a backend that is done after `backend`, with a fixed jitter draw.
    /// Returns (number of polls, time at which the waiter noticed).
    fn simulate(backend: Duration, jitter: f64) -> (u32, Duration) {
        let mut now = Duration::ZERO;
        let mut polls = 0;
        loop {
            polls += 1;
            if now >= backend {
                return (polls, now);
            }
            now += next_interval(now, jitter, None);
            assert!(polls < 10_000, "schedule does not converge");
        }
    }

    fn allowed_overshoot(backend: Duration) -> Duration {
        backend.mul_f64(0.05).max(MIN_INTERVAL)
    }

    #[test]
    fn schedule_polls_logarithmically_and_overshoots_little() {
        // (backend time, most polls we accept)
        let cases = [(0.5, 7), (5.0, 45), (30.0, 85)];
        for (secs, max_polls) in cases {
            let backend = Duration::from_secs_f64(secs);
            for jitter in [0.0, 0.5, 0.999] {
                let (polls, noticed) = simulate(backend, jitter);
                assert!(
                    polls <= max_polls,
                    "{secs}s with jitter {jitter}: {polls} polls > {max_polls}"
                );
                let overshoot = noticed - backend;
                assert!(
                    overshoot <= allowed_overshoot(backend),
                    "{secs}s: overshoot {overshoot:?}"
                );
            }
        }
        // Exact counts without jitter, to pin the schedule down.
        assert_eq!(simulate(Duration::from_millis(500), 0.0).0, 6);
        assert_eq!(simulate(Duration::from_secs(5), 0.0).0, 40);
        assert_eq!(simulate(Duration::from_secs(30), 0.0).0, 77);
    }

    #[test]
    fn polls_grow_by_log_of_backend_time() {
        // Below the 3 s cap every doubling of the backend time costs the same few polls.
        let polls = |secs: u64| simulate(Duration::from_secs(secs), 0.0).0;
        for (short, long) in [(6, 12), (12, 24), (24, 48)] {
            let extra = polls(long) - polls(short);
            assert!(
                (12..=17).contains(&extra),
                "{short}s -> {long}s: {extra} more polls"
            );
        }
        // Past the cap, polls are 3 s apart: long waits stay cheap.
        let extra = polls(3000) - polls(300);
        assert!((880..=920).contains(&extra), "{extra}");
    }

    #[test]
    fn interval_bounds_jitter_and_retry_after() {
        assert_eq!(next_interval(Duration::ZERO, 0.0, None), MIN_INTERVAL);
        assert_eq!(
            next_interval(Duration::from_secs(10), 0.0, None),
            Duration::from_millis(500)
        );
        assert_eq!(
            next_interval(Duration::from_secs(3600), 0.0, None),
            MAX_INTERVAL
        );
        let jittered = next_interval(Duration::from_secs(10), 0.999, None);
        assert!(jittered < Duration::from_millis(500) && jittered >= Duration::from_millis(450));
        let asked = Duration::from_secs(7);
        assert_eq!(
            next_interval(Duration::from_secs(10), 0.0, Some(asked)),
            asked
        );
        // A smaller Retry-After than our own pause changes nothing.
        let small = Some(Duration::from_millis(10));
        assert_eq!(
            next_interval(Duration::from_secs(10), 0.0, small),
            Duration::from_millis(500)
        );
    }

    #[tokio::test]
    async fn poll_until_returns_ready_value() {
        let stop = Stop::new();
        let mut calls = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        let got: Result<u32, WaitError<String>> =
            poll_until(&within(deadline, &stop), "thing", || {
                calls += 1;
                let n = calls;
                async move {
                    Ok(if n < 3 {
                        Poll::pending(format!("step {n}"))
                    } else {
                        Poll::Ready(n)
                    })
                }
            })
            .await;
        assert_eq!(got.ok(), Some(3));
    }

    /// The clock is tokio's paused one: time moves only when every task waits, straight to
    /// the next timer, so the times below do not depend on the machine's speed. (Timers
    /// fire on whole milliseconds, hence the 1 ms of slack.)
    #[tokio::test(start_paused = true)]
    async fn poll_until_times_out_with_last_seen() {
        let stop = Stop::new();
        let start = Instant::now();
        let deadline = start + Duration::from_millis(300);
        let mut polls = Vec::new();
        let got: Result<(), WaitError<String>> =
            poll_until(&within(deadline, &stop), "pool p1 to be running", || {
                polls.push(Instant::now() - start);
                async { Ok(Poll::pending("state scaling-up")) }
            })
            .await;
        let waited = Instant::now() - start;
        let ms = Duration::from_millis(1);
        assert!(waited >= Duration::from_millis(300) && waited < Duration::from_millis(300) + ms);
        // At once, then every 90-100 ms (jitter only shortens pauses), and at the deadline.
        assert_eq!(polls[0], Duration::ZERO);
        assert!((4..=5).contains(&polls.len()), "{polls:?}");
        for pair in polls.windows(2) {
            let pause = pair[1] - pair[0];
            assert!(pause <= MIN_INTERVAL + ms, "{polls:?}");
            assert!(
                pause >= MIN_INTERVAL.mul_f64(0.9) || pair[1] >= Duration::from_millis(300),
                "{polls:?}"
            );
        }
        assert_eq!(
            got.err().map(|e| e.to_string()).unwrap_or_default(),
            "timed out after 300ms waiting for pool p1 to be running (last seen: state scaling-up)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_schedule_runs_on_the_clock_it_was_simulated_on() {
        // A backend that is ready after 5 s: the real loop polls as `simulate` says.
        let stop = Stop::new();
        let start = Instant::now();
        let mut polls = 0;
        let got: Result<Duration, WaitError<String>> =
            poll_until(&within(start + Duration::from_secs(60), &stop), "x", || {
                polls += 1;
                let now = Instant::now() - start;
                async move {
                    Ok(match now >= Duration::from_secs(5) {
                        true => Poll::Ready(now),
                        false => Poll::pending("working"),
                    })
                }
            })
            .await;
        let noticed = got.unwrap_or_default();
        assert!(noticed >= Duration::from_secs(5));
        assert!(
            noticed - Duration::from_secs(5) <= allowed_overshoot(Duration::from_secs(5)),
            "{noticed:?}"
        );
        // The bound `schedule_polls_logarithmically_and_overshoots_little` sets for 5 s.
        assert!(polls <= 45, "{polls} polls");
    }

    fn api_error(kind: crate::http::ErrorKind, attempts: u32) -> ApiError {
        ApiError {
            kind,
            attempts,
            ..ApiError::config("Test API", "injected fault")
        }
    }

    /// A look that fails the same way every time ends the wait once the failure window has
    /// passed, long before the deadline (on tokio's paused clock: exact times).
    #[tokio::test(start_paused = true)]
    async fn a_failure_that_persists_ends_the_wait_at_its_window() {
        let start = Instant::now();
        let wait = within(start + Duration::from_secs(1200), &Stop::new())
            .failing_for(Duration::from_secs(120));
        let got: Result<(), WaitError<ApiError>> = poll_until(&wait, "the scale", || async {
            Poll::retry(api_error(crate::http::ErrorKind::Server, 1))
        })
        .await;
        let waited = Instant::now() - start;
        assert!(
            waited >= Duration::from_secs(120) && waited < Duration::from_secs(124),
            "{waited:?}"
        );
        match got {
            Err(ref e @ WaitError::Persisted { attempts, .. }) => {
                assert!(attempts >= crate::wait::PERSISTENT_ATTEMPTS, "{attempts}");
                let text = e.to_string();
                assert!(
                    text.starts_with("gave up waiting for the scale: "),
                    "{text}"
                );
                assert!(text.contains("got a server error"), "{text}");
                let advice = e.failing_advice("Test API").unwrap_or_default();
                assert!(advice.contains("keeps failing"), "{advice}");
                assert!(!advice.contains("raise"), "{advice}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Faults that come and go are ridden out: a look that sees the object between two
    /// bursts starts the count again, and a rate limit never counts.
    #[tokio::test(start_paused = true)]
    async fn blips_and_rate_limits_are_ridden_out_to_the_deadline() {
        use crate::http::ErrorKind;
        let start = Instant::now();
        let wait = within(start + Duration::from_secs(300), &Stop::new())
            .failing_for(Duration::from_secs(10));
        // Fails for 6 s, then sees the object for 3 s (longer than the longest pause), and
        // so on: never 10 s in a row.
        let got: Result<(), WaitError<ApiError>> = poll_until(&wait, "x", || {
            let second = (Instant::now() - start).as_secs();
            async move {
                match second % 9 {
                    6.. => Ok(Poll::pending("state scaling-up")),
                    _ => Poll::retry(api_error(ErrorKind::Connection, 5)),
                }
            }
        })
        .await;
        assert!(matches!(got, Err(WaitError::TimedOut { .. })), "{got:?}");
        let limited = within(start + Duration::from_secs(600), &Stop::new())
            .failing_for(Duration::from_secs(10));
        let got: Result<(), WaitError<ApiError>> = poll_until(&limited, "x", || async {
            Poll::retry(api_error(ErrorKind::RateLimited, 5))
        })
        .await;
        match got {
            Err(ref e @ WaitError::TimedOut { failing, .. }) => {
                assert!(!failing, "a rate limit is no failure");
                assert_eq!(e.failing_advice("Test API"), None);
            }
            other => panic!("{other:?}"),
        }
    }

    /// A timeout that comes while the API fails says so, and advises no longer timeout.
    #[tokio::test(start_paused = true)]
    async fn a_timeout_while_failing_says_a_longer_one_would_not_help() {
        let start = Instant::now();
        let wait = within(start + Duration::from_secs(20), &Stop::new());
        let got: Result<(), WaitError<ApiError>> = poll_until(&wait, "x", || async {
            Poll::retry(api_error(crate::http::ErrorKind::Server, 1))
        })
        .await;
        match got {
            Err(ref e @ WaitError::TimedOut { failing: true, .. }) => {
                let advice = e.failing_advice("Test API").unwrap_or_default();
                assert!(advice.contains("a longer one would not help"), "{advice}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn poll_until_passes_inner_error_through() {
        let stop = Stop::new();
        let deadline = Instant::now() + Duration::from_secs(2);
        let got: Result<(), WaitError<String>> =
            poll_until(&within(deadline, &stop), "x", || async {
                Err("boom".to_string())
            })
            .await;
        assert!(matches!(got, Err(WaitError::Failed(ref e)) if e == "boom"));
    }

    #[tokio::test(start_paused = true)]
    async fn stop_ends_a_wait_early() {
        let stop = Stop::new();
        let trigger = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            trigger.trigger();
        });
        let start = Instant::now();
        let deadline = start + Duration::from_secs(600);
        let mut polls = 0;
        let got: Result<(), WaitError<String>> =
            poll_until(&within(deadline, &stop), "pool p1", || {
                polls += 1;
                async { Ok(Poll::pending("creating")) }
            })
            .await;
        assert!(matches!(got, Err(WaitError::Stopped { .. })));
        // Ended by the trigger in the middle of a pause, not at the next poll (180-200 ms).
        let waited = Instant::now() - start;
        assert!(waited >= Duration::from_millis(150) && waited < Duration::from_millis(151));
        assert_eq!(polls, 2);
        assert!(stop.is_triggered());
        assert_eq!(
            got.err().map(|e| e.to_string()).unwrap_or_default(),
            "stopped by Terraform while waiting for pool p1"
        );
    }

    /// Polls made by `waits` parallel waits on `endpoint`, each pending until `done_after`
    /// (never, if None) within `limit`: the instants of all checks, from the start.
    async fn parallel_waits(
        pacing: Pacing,
        waits: usize,
        done_after: Option<Duration>,
        limit: Duration,
    ) -> Vec<Duration> {
        let start = Instant::now();
        let polls = Arc::new(Mutex::new(Vec::new()));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..waits {
            let (pacing, polls) = (pacing.clone(), polls.clone());
            set.spawn(async move {
                let stop = Stop::new();
                let began = Instant::now();
                let _: Result<(), WaitError<String>> =
                    poll_paced(&pacing, &within(start + limit, &stop), "x", || {
                        let now = Instant::now();
                        polls.lock().unwrap().push(now - start);
                        let done = done_after.is_some_and(|d| now - began >= d);
                        async move {
                            Ok(match done {
                                true => Poll::Ready(()),
                                false => Poll::pending("working"),
                            })
                        }
                    })
                    .await;
            });
        }
        while set.join_next().await.is_some() {}
        let mut polls = Arc::try_unwrap(polls).unwrap().into_inner().unwrap();
        polls.sort();
        polls
    }

    fn between(polls: &[Duration], from: f64, to: f64) -> usize {
        let (from, to) = (Duration::from_secs_f64(from), Duration::from_secs_f64(to));
        polls.iter().filter(|t| **t >= from && **t < to).count()
    }

    /// Fifty waits on one endpoint, with the standard budget: counted, not timed, on tokio's
    /// paused clock. Unbounded, they would poll every 100 ms each for their first 2 s (500 a
    /// second); with the budget, the process stays within the first look of each, the burst,
    /// then the rate, whatever the number of waits.
    #[tokio::test(start_paused = true)]
    async fn a_shared_budget_bounds_the_polls_of_many_waits() {
        let endpoint = Arc::new(Endpoint::new(Budget::new(BUDGET_RATE, BUDGET_BURST)));
        let limit = Duration::from_secs(30);
        let polls = parallel_waits(Pacing::new(endpoint), 50, None, limit).await;
        // Each wait: one look at once, then at most the burst and the rate between them all,
        // and one last look at the deadline.
        let bound = 50 + BUDGET_BURST as usize + (30.0 * BUDGET_RATE) as usize + 50;
        assert!(polls.len() <= bound, "{} polls > {bound}", polls.len());
        // Once the burst is spent, the rate holds second by second (whole-ms timer slack).
        for second in 5..29 {
            let n = between(&polls, second as f64, second as f64 + 1.0);
            assert!(
                n <= BUDGET_RATE as usize + 1,
                "{n} polls in second {second}"
            );
        }
        // The same waits without a budget.
        let unbounded = parallel_waits(Pacing::unbounded(), 50, None, limit).await;
        assert!(unbounded.len() > 4 * polls.len(), "{}", unbounded.len());
        assert!(between(&unbounded, 1.0, 2.0) >= 450);
    }

    /// The fast start is kept: Terraform's default ten waits on an idle endpoint poll as
    /// they would without a budget for their first two seconds.
    #[tokio::test(start_paused = true)]
    async fn ten_waits_keep_the_fast_start() {
        let endpoint = Arc::new(Endpoint::new(Budget::new(BUDGET_RATE, BUDGET_BURST)));
        let limit = Duration::from_secs(2);
        let paced = parallel_waits(Pacing::new(endpoint), 10, None, limit).await;
        let unbounded = parallel_waits(Pacing::unbounded(), 10, None, limit).await;
        // Jitter differs between runs: compare counts, 21 to 23 checks per wait (the last
        // one at the deadline).
        assert!((210..=230).contains(&paced.len()), "{}", paced.len());
        assert!(paced.len().abs_diff(unbounded.len()) <= 10);
    }

    /// A wait whose kind ended after about 2 s lately gets a free check then, so it ends on
    /// time even when the budget is spent; without that history it would wait for tokens.
    #[tokio::test(start_paused = true)]
    async fn the_learned_end_is_checked_on_time_with_the_budget_spent() {
        let done = Duration::from_secs(2);
        let limit = Duration::from_secs(60);
        // A budget that is always spent: one token per 10 s.
        let starved = || Arc::new(Endpoint::new(Budget::new(0.1, 1.0)));
        let noticed = |polls: &[Duration]| polls.last().copied().unwrap_or_default();

        let endpoint = starved();
        let learn = Pacing::new(endpoint.clone()).kind("create");
        // The first wait has the budget alone: it notices the end late.
        let first = parallel_waits(learn.clone(), 1, Some(done), limit).await;
        assert!(noticed(&first) > Duration::from_secs(5), "{first:?}");
        // Pretend an earlier wait of this kind ended at 2.05 s.
        learn.ended_after(Duration::from_millis(2050));
        let second = parallel_waits(learn, 1, Some(done), limit).await;
        // At once, then at the learned end, while the token booked for the schedule's next
        // check would come seconds later.
        assert_eq!(second.len(), 2, "{second:?}");
        let ms = Duration::from_millis(1);
        let at = noticed(&second);
        assert!(at >= Duration::from_millis(2050) && at <= Duration::from_millis(2050) + ms);

        // Another kind learns nothing from it.
        let other =
            parallel_waits(Pacing::new(endpoint).kind("delete"), 1, Some(done), limit).await;
        assert!(noticed(&other) > Duration::from_secs(5), "{other:?}");
    }

    /// With the state in hand as the first look (an operation a change answered), the wait's
    /// first request is free, and at the schedule's 100 ms.
    #[tokio::test(start_paused = true)]
    async fn the_first_request_is_free() {
        let endpoint = Arc::new(Endpoint::new(Budget::new(0.1, 1.0)));
        // Spend the one token.
        assert_eq!(endpoint.budget.reserve(), None);
        let pacing = Pacing::new(endpoint).first_look_given();
        let polls = parallel_waits(
            pacing,
            1,
            Some(Duration::from_millis(50)),
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(polls.len(), 2, "{polls:?}");
        assert!(polls[1] <= MIN_INTERVAL, "{polls:?}");
    }
}
