//! How long one apply step may wait, and on what signal it ends early.

use std::time::Duration;

use tokio::time::Instant;

use crate::plugin::Stop;

/// How long a failure must last to be persistent, unless the provider says otherwise.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(120);

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
    /// How long the API may keep failing the same way before the wait gives up (see
    /// `persistence.rs`).
    pub failure_window: Duration,
}

impl Wait {
    /// A wait of `limit` from now, set by `timeouts.<timeout>`.
    pub fn new(timeout: &'static str, limit: Duration, stop: &Stop) -> Self {
        Wait {
            deadline: Instant::now() + limit,
            stop: stop.clone(),
            timeout,
            limit,
            failure_window: FAILURE_WINDOW,
        }
    }

    /// The same wait, giving up on a failure that lasts `window` (the provider's setting).
    pub fn failing_for(mut self, window: Duration) -> Self {
        self.failure_window = window;
        self
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human(Duration::from_secs(20)), "20s");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(3600)), "1h");
    }
}
