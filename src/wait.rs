//! Shared waiting machinery: a cancellation signal, a poll loop with a schedule that keeps
//! the wait close to the backend's own time, and a tiny jitter source. Knows no backend.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Shortest pause between polls.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Longest pause between polls (unless the server asks for more with Retry-After).
pub const MAX_INTERVAL: Duration = Duration::from_secs(3);
/// Pause as a share of the time waited so far: bounds the overshoot to 5% of the backend time.
const INTERVAL_SHARE: f64 = 0.05;
/// Pauses are shortened by up to this share, never lengthened, to spread concurrent pollers.
const JITTER_SHARE: f64 = 0.1;

/// A cloneable cancellation signal; the protocol layer triggers it on StopProvider.
#[derive(Clone, Debug)]
pub struct Stop {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}

impl Stop {
    pub fn new() -> Self {
        let (tx, _) = watch::channel(false);
        Self { tx: Arc::new(tx) }
    }

    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once `trigger` has been called (immediately if it already was).
    pub async fn triggered(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// One look at the thing being waited for.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll<T> {
    Ready(T),
    /// Not there yet: `seen` describes what was observed (for the timeout message);
    /// `retry_after` is a pause the server asked for, if any.
    Pending {
        seen: String,
        retry_after: Option<Duration>,
    },
}

impl<T> Poll<T> {
    pub fn pending(seen: impl Into<String>) -> Self {
        Poll::Pending {
            seen: seen.into(),
            retry_after: None,
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
    },
    Stopped {
        what: String,
    },
    /// The check itself failed (an API error, a failed operation, ...).
    Failed(E),
}

impl<E: fmt::Display> fmt::Display for WaitError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::TimedOut {
                what,
                after,
                last_seen,
            } => {
                write!(f, "timed out after {} waiting for {what}", human(*after))?;
                if let Some(seen) = last_seen {
                    write!(f, " (last seen: {seen})")?;
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

/// Formats a duration the way Terraform users write timeouts: `1m30s`, `20s`, `250ms`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
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

/// Calls `check` until it is ready, the deadline passes, or `stop` is triggered.
/// The first check happens at once; the last one happens at the deadline.
pub async fn poll_until<T, E, F, Fut>(
    deadline: Instant,
    stop: &Stop,
    what: &str,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let start = Instant::now();
    let mut jitter = Jitter::new();
    let mut last_seen = None;
    let timed_out = |last_seen: Option<String>| WaitError::TimedOut {
        what: what.to_string(),
        after: Instant::now().saturating_duration_since(start),
        last_seen,
    };
    let stopped = || WaitError::Stopped {
        what: what.to_string(),
    };
    loop {
        if stop.is_triggered() {
            return Err(stopped());
        }
        let outcome = tokio::select! {
            outcome = check() => outcome,
            _ = stop.triggered() => return Err(stopped()),
            _ = tokio::time::sleep_until(deadline) => return Err(timed_out(last_seen)),
        };
        let retry_after = match outcome.map_err(WaitError::Failed)? {
            Poll::Ready(value) => return Ok(value),
            Poll::Pending { seen, retry_after } => {
                last_seen = Some(seen);
                retry_after
            }
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(last_seen));
        }
        let pause = next_interval(now - start, jitter.next_unit(), retry_after).min(deadline - now);
        if crate::plugin::log::enabled(crate::plugin::log::Level::Debug) {
            let seen = last_seen.as_deref().unwrap_or("");
            crate::plugin::log::debug(
                "waiting",
                &[
                    ("for", &what),
                    ("seen", &seen),
                    ("elapsed_ms", &(now - start).as_millis()),
                    ("next_poll_ms", &pause.as_millis()),
                    ("deadline_in_ms", &(deadline - now).as_millis()),
                ],
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.triggered() => return Err(stopped()),
        }
    }
}

/// A small xorshift64* generator seeded from the clock: enough to decorrelate pollers,
/// not meant for anything secret.
pub struct Jitter(u64);

impl Default for Jitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Jitter {
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let salt = COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self((nanos ^ salt) | 1)
    }

    /// A draw in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn jitter_draws_are_in_unit_range_and_vary() {
        let mut j = Jitter::new();
        let draws: Vec<f64> = (0..1000).map(|_| j.next_unit()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human(Duration::from_secs(20)), "20s");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(3600)), "1h");
    }

    #[tokio::test]
    async fn poll_until_returns_ready_value() {
        let stop = Stop::new();
        let mut calls = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        let got: Result<u32, WaitError<String>> = poll_until(deadline, &stop, "thing", || {
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
            poll_until(deadline, &stop, "pool p1 to be running", || {
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
            poll_until(start + Duration::from_secs(60), &stop, "x", || {
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

    #[tokio::test]
    async fn poll_until_passes_inner_error_through() {
        let stop = Stop::new();
        let deadline = Instant::now() + Duration::from_secs(2);
        let got: Result<(), WaitError<String>> =
            poll_until(deadline, &stop, "x", || async { Err("boom".to_string()) }).await;
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
        let got: Result<(), WaitError<String>> = poll_until(deadline, &stop, "pool p1", || {
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
}
