//! Fault injection, shared by both APIs. A rule targets one route (an API operation name
//! such as `scale-instance-pool` or `CreateWarmPool`, or `*`) and fires a bounded or
//! unbounded number of times. HTTP-level faults are applied by the middleware in lib.rs;
//! behavioural faults (failed operations, stuck or degraded pools) are taken by the API
//! handlers themselves.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultKind {
    /// Answer with this HTTP status (429 and 503 carry `Retry-After` when given).
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Delay the answer by this many milliseconds.
    Latency { ms: u64 },
    /// Drop the connection without a complete answer.
    Reset,
    /// Exoscale: the operation this request starts ends in `failure`.
    OperationFailure,
    /// Exoscale: the operation this request starts ends in `timeout`.
    OperationTimeout,
    /// Exoscale: the pool stays in the given state instead of settling to `running`.
    Stuck { state: String },
    /// Ona: the pool goes DEGRADED with this failure message instead of READY.
    Degraded { message: String },
}

impl FaultKind {
    /// Faults the middleware applies before the handler runs.
    pub fn is_http_level(&self) -> bool {
        matches!(
            self,
            FaultKind::Status { .. } | FaultKind::Latency { .. } | FaultKind::Reset
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Route name, or `*` for every route.
    pub route: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many times the rule fires; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// Parses the `--fault` flag syntax: `ROUTE=KIND[:ARG][*TIMES]`, e.g.
    /// `scale-instance-pool=status:503*2`, `*=latency:200`, `CreateWarmPool=degraded:no capacity`.
    pub fn parse(spec: &str) -> Result<FaultRule, String> {
        let (route, rest) = spec
            .split_once('=')
            .ok_or_else(|| format!("fault `{spec}`: expected ROUTE=KIND[:ARG][*TIMES]"))?;
        let (rest, times) = match rest.rsplit_once('*') {
            Some((r, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => (
                r,
                Some(
                    n.parse()
                        .map_err(|_| format!("fault `{spec}`: bad count"))?,
                ),
            ),
            _ => (rest, None),
        };
        let (kind, arg) = match rest.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (rest, None),
        };
        let number = |what: &str| -> Result<u64, String> {
            arg.and_then(|a| a.parse().ok())
                .ok_or_else(|| format!("fault `{spec}`: {kind} needs a numeric {what}"))
        };
        let kind = match kind {
            "status" => FaultKind::Status {
                status: u16::try_from(number("status")?)
                    .map_err(|_| format!("fault `{spec}`: status out of range"))?,
                retry_after: None,
            },
            "throttle" => FaultKind::Status {
                status: 429,
                retry_after: Some(number("Retry-After")?),
            },
            "latency" => FaultKind::Latency {
                ms: number("delay in ms")?,
            },
            "reset" => FaultKind::Reset,
            "operation-failure" => FaultKind::OperationFailure,
            "operation-timeout" => FaultKind::OperationTimeout,
            "stuck" => FaultKind::Stuck {
                state: arg
                    .ok_or_else(|| format!("fault `{spec}`: stuck needs a state"))?
                    .to_string(),
            },
            "degraded" => FaultKind::Degraded {
                message: arg.unwrap_or("injected fault").to_string(),
            },
            other => {
                return Err(format!(
                    "fault `{spec}`: unknown kind `{other}` (status, throttle, latency, reset, \
                     operation-failure, operation-timeout, stuck, degraded)"
                ))
            }
        };
        Ok(FaultRule {
            route: route.to_string(),
            kind,
            times,
        })
    }
}

/// The live set of fault rules.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<FaultRule>>>);

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// Takes (consumes one firing of) the first rule for `route` whose kind `wanted` accepts.
    pub fn take(&self, route: &str, wanted: impl Fn(&FaultKind) -> bool) -> Option<FaultKind> {
        let mut rules = self.lock();
        let index = rules
            .iter()
            .position(|r| (r.route == route || r.route == "*") && wanted(&r.kind))?;
        let rule = &mut rules[index];
        let kind = rule.kind.clone();
        match &mut rule.times {
            Some(1) => {
                rules.remove(index);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(kind)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        // A panic while holding the lock leaves the rules intact; keep serving.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flag_syntax() {
        let r = FaultRule::parse("scale-instance-pool=status:503*2").unwrap();
        assert_eq!(r.route, "scale-instance-pool");
        assert_eq!(
            r.kind,
            FaultKind::Status {
                status: 503,
                retry_after: None
            }
        );
        assert_eq!(r.times, Some(2));
        let r = FaultRule::parse("*=throttle:3").unwrap();
        assert_eq!(
            r.kind,
            FaultKind::Status {
                status: 429,
                retry_after: Some(3)
            }
        );
        assert_eq!(r.times, None);
        let r = FaultRule::parse("CreateWarmPool=degraded:no capacity").unwrap();
        assert_eq!(
            r.kind,
            FaultKind::Degraded {
                message: "no capacity".into()
            }
        );
        assert!(FaultRule::parse("x=bogus")
            .unwrap_err()
            .contains("unknown kind"));
        assert!(FaultRule::parse("nonsense").is_err());
    }

    #[test]
    fn bounded_rules_expire() {
        let f = Faults::default();
        f.add(FaultRule::parse("a=reset*2").unwrap());
        assert_eq!(f.take("b", |_| true), None);
        assert_eq!(f.take("a", |k| k.is_http_level()), Some(FaultKind::Reset));
        assert_eq!(f.take("a", |k| !k.is_http_level()), None);
        assert_eq!(f.take("a", |_| true), Some(FaultKind::Reset));
        assert_eq!(f.take("a", |_| true), None);
        assert!(f.list().is_empty());
    }
}
