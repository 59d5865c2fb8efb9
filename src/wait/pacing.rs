//! What the waits of one process share about an API endpoint: a poll budget (a token
//! bucket) and when each kind of wait ended lately.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// The poll budget of one endpoint: polls a second it refills, once spent.
pub const BUDGET_RATE: f64 = 10.0;
/// The poll budget of one endpoint when the process has not polled it for a while: the
/// first two seconds of ten waits (Terraform's default `-parallelism`) at the 100 ms pace.
pub const BUDGET_BURST: f64 = 200.0;
/// How many recent completions of one kind of wait the expected end is learned from.
const LEARNED_WINDOW: usize = 8;

/// A token bucket: `rate` tokens a second, at most `burst` saved up. Taking a token books
/// the next free one, so waiting pollers are served in turn and never above the rate.
#[derive(Debug)]
pub struct Budget {
    rate: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens at `at`; below zero, tokens already booked by pollers still waiting.
    tokens: f64,
    at: Instant,
}

impl Budget {
    pub fn new(rate: f64, burst: f64) -> Self {
        Budget {
            rate: rate.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            bucket: Mutex::new(Bucket {
                tokens: burst.max(1.0),
                at: Instant::now(),
            }),
        }
    }

    /// Takes a token; None when one is there now, else the moment the booked one comes.
    pub fn reserve(&self) -> Option<Instant> {
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let refilled = (now - bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refilled).min(self.burst) - 1.0;
        bucket.at = now;
        if bucket.tokens >= 0.0 {
            return None;
        }
        Some(now + Duration::from_secs_f64(-bucket.tokens / self.rate))
    }
}

/// What the waits of one process share about one API endpoint: the poll budget, and when
/// each kind of wait ended lately.
#[derive(Debug)]
pub struct Endpoint {
    pub(super) budget: Budget,
    /// Per kind of wait: how long the last few took (from the start of the wait to the
    /// check that found it done).
    ended: Mutex<HashMap<&'static str, VecDeque<Duration>>>,
}

impl Endpoint {
    pub fn new(budget: Budget) -> Self {
        Endpoint {
            budget,
            ended: Mutex::new(HashMap::new()),
        }
    }

    /// The process's endpoint for `origin` (scheme, host and port of the API), made on first use
    /// with the standard budget ([`BUDGET_RATE`], [`BUDGET_BURST`]).
    pub fn shared(origin: &str) -> Arc<Endpoint> {
        static ENDPOINTS: OnceLock<Mutex<HashMap<String, Arc<Endpoint>>>> = OnceLock::new();
        let mut all = ENDPOINTS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        all.entry(origin.to_string())
            .or_insert_with(|| Arc::new(Endpoint::new(Budget::new(BUDGET_RATE, BUDGET_BURST))))
            .clone()
    }

    fn ended(&self) -> MutexGuard<'_, HashMap<&'static str, VecDeque<Duration>>> {
        self.ended.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How one wait polls: against which endpoint's budget, and as which kind of wait (`create`,
/// `scale`, ...). Waits of one kind on one endpoint tend to take alike (an operation of the
/// same kind, on pools alike): the quickest of the last few is where the next one gets a
/// free, extra check, so it ends on time even when the budget is spent.
#[derive(Clone, Debug, Default)]
pub struct Pacing {
    endpoint: Option<Arc<Endpoint>>,
    kind: Option<&'static str>,
    /// The first check looks at a state already in hand (no request).
    pub(super) first_look_given: bool,
}

impl Pacing {
    /// No budget and nothing learned: the schedule alone.
    pub fn unbounded() -> Self {
        Pacing::default()
    }

    pub fn new(endpoint: Arc<Endpoint>) -> Self {
        Pacing {
            endpoint: Some(endpoint),
            ..Pacing::default()
        }
    }

    /// The first check looks at a state already in hand (the operation a change answered):
    /// then the second check is the wait's first request, and free.
    pub fn first_look_given(mut self) -> Self {
        self.first_look_given = true;
        self
    }

    /// Learns and uses the end of waits of this kind.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }

    pub(super) fn reserve(&self) -> Option<Instant> {
        self.endpoint.as_ref()?.budget.reserve()
    }

    pub(super) fn expected_end(&self) -> Option<Duration> {
        let (endpoint, kind) = (self.endpoint.as_ref()?, self.kind?);
        endpoint.ended().get(kind)?.iter().min().copied()
    }

    pub(super) fn ended_after(&self, took: Duration) {
        let (Some(endpoint), Some(kind)) = (self.endpoint.as_ref(), self.kind) else {
            return;
        };
        let mut ended = endpoint.ended();
        let recent = ended.entry(kind).or_default();
        if recent.len() == LEARNED_WINDOW {
            recent.pop_front();
        }
        recent.push_back(took);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_budget_books_tokens_in_turn() {
        let budget = Budget::new(10.0, 2.0);
        let start = Instant::now();
        assert_eq!(budget.reserve(), None);
        assert_eq!(budget.reserve(), None);
        // Spent: the next tokens come 100 ms apart, each booked by the one who asked.
        assert_eq!(budget.reserve(), Some(start + Duration::from_millis(100)));
        assert_eq!(budget.reserve(), Some(start + Duration::from_millis(200)));
        tokio::time::sleep(Duration::from_secs(10)).await;
        // Refilled, never above the burst.
        assert_eq!(budget.reserve(), None);
        assert_eq!(budget.reserve(), None);
        assert!(budget.reserve().is_some());
    }
}
