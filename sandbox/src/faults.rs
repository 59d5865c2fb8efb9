//! Fault injection, shared by both APIs. A rule targets one route (an API operation name
//! such as `scale-instance-pool` or `CreateWarmPool`, or `*`) and fires a bounded or
//! unbounded number of times. HTTP-level faults (statuses, latency, dropped connections,
//! malformed answers) are applied by the middleware in lib.rs; behavioural faults (failed
//! operations, stuck or degraded pools) are taken by the API handlers themselves.

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
    /// Drop the connection without a complete answer; the handler does not run.
    Reset,
    /// Run the handler (the change happens), then drop the connection without any answer:
    /// the client cannot tell whether its request took effect.
    Lost,
    /// Answer with a malformed body instead of (or made from) the handler's answer.
    Garbage { form: Garbage },
    /// Exoscale: the operation this request starts ends in `failure`.
    OperationFailure,
    /// Exoscale: the operation this request starts ends in `timeout`.
    OperationTimeout,
    /// Exoscale: the pool stays in the given state instead of settling to `running`.
    Stuck { state: String },
    /// Ona: the pool goes DEGRADED with this failure message instead of READY. Exoscale:
    /// the pool turns `degraded`, with an `error_reason` whose cause is this message.
    Degraded { message: String },
    /// Exoscale: the fixture Network Load Balancer's service uses the pool, so its delete
    /// is refused.
    LockedByNlb,
}

/// The malformed answers of `garbage:FORM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Garbage {
    /// A 502 HTML page from a proxy in front of the API; the handler does not run.
    Html,
    /// The handler's answer with its body cut in half.
    Truncated,
    /// The handler's answer with an empty body.
    Empty,
    /// Ona: a 200 whose body is a Connect error object; the handler does not run.
    ConnectError,
    /// The handler's answer with every number turned into a string and every string into a
    /// number.
    WrongTypes,
    /// Exoscale: an Operation answer without its `reference`.
    NoReference,
    /// The handler's answer with the pool state (Exoscale `state`, Ona `status.phase`)
    /// replaced by a value from a newer API.
    UnknownEnum,
}

impl Garbage {
    pub const ALL: [Garbage; 7] = [
        Garbage::Html,
        Garbage::Truncated,
        Garbage::Empty,
        Garbage::ConnectError,
        Garbage::WrongTypes,
        Garbage::NoReference,
        Garbage::UnknownEnum,
    ];

    /// The name in the flag syntax (`garbage:NAME`) and in JSON rules.
    pub fn name(self) -> &'static str {
        match self {
            Garbage::Html => "html",
            Garbage::Truncated => "truncated",
            Garbage::Empty => "empty",
            Garbage::ConnectError => "connect-error",
            Garbage::WrongTypes => "wrong-types",
            Garbage::NoReference => "no-reference",
            Garbage::UnknownEnum => "unknown-enum",
        }
    }

    /// Whether the real handler runs (and its change happens) before the answer is spoiled.
    pub fn runs_handler(self) -> bool {
        !matches!(self, Garbage::Html | Garbage::ConnectError)
    }

    /// Whether this form makes sense for a route of `api` (`exoscale` or `ona`); a rule
    /// for `*` only fires on routes where it does, so `*=garbage:no-reference*1` spoils
    /// the next Operation answer rather than being used up by a read.
    pub fn applies_to(self, api: &str, route: &str) -> bool {
        match self {
            Garbage::ConnectError => api == "ona",
            Garbage::NoReference => api == "exoscale" && EXOSCALE_OPERATION_ROUTES.contains(&route),
            Garbage::UnknownEnum => match api {
                "exoscale" => matches!(route, "get-instance-pool" | "list-instance-pools"),
                "ona" => matches!(
                    route,
                    "CreateWarmPool" | "GetWarmPool" | "UpdateWarmPool" | "ListWarmPools"
                ),
                _ => false,
            },
            Garbage::Html | Garbage::Truncated | Garbage::Empty | Garbage::WrongTypes => true,
        }
    }
}

/// The Exoscale routes whose answer is an Operation.
const EXOSCALE_OPERATION_ROUTES: [&str; 7] = [
    "create-instance-pool",
    "update-instance-pool",
    "delete-instance-pool",
    "scale-instance-pool",
    "evict-instance-pool-members",
    "reset-instance-pool-field",
    "get-operation",
];

impl FaultKind {
    /// Faults the middleware applies (before, around or after the handler).
    pub fn is_http_level(&self) -> bool {
        matches!(
            self,
            FaultKind::Status { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Reset
                | FaultKind::Lost
                | FaultKind::Garbage { .. }
        )
    }

    /// Whether this fault can fire on `route` of `api`; only some garbage forms are
    /// limited to some routes.
    pub fn applies_to(&self, api: &str, route: &str) -> bool {
        match self {
            FaultKind::Garbage { form } => form.applies_to(api, route),
            _ => true,
        }
    }
}

/// One fault kind of the `--fault` syntax, as `--help` and the parser's errors show it.
pub struct KindHelp {
    /// `status:CODE`, `degraded[:MESSAGE]`, ...
    pub syntax: &'static str,
    pub about: &'static str,
}

impl KindHelp {
    /// The keyword before any argument (`status`, `degraded`, ...).
    pub fn name(&self) -> &'static str {
        let end = self.syntax.find([':', '[']).unwrap_or(self.syntax.len());
        &self.syntax[..end]
    }
}

/// Every fault kind [`FaultRule::parse`] reads.
pub const KINDS: &[KindHelp] = &[
    KindHelp {
        syntax: "status:CODE",
        about: "Answer with HTTP status CODE (like 503) in the API's error shape; the request is not served",
    },
    KindHelp {
        syntax: "throttle:SECONDS",
        about: "Answer 429 with `Retry-After: SECONDS`; the request is not served",
    },
    KindHelp {
        syntax: "latency:MS",
        about: "Serve each matching request MS milliseconds late, once per request, on top of --latency-ms (a client that gives up meanwhile does not stop the change)",
    },
    KindHelp {
        syntax: "reset",
        about: "Close the connection without an answer; the request is not served",
    },
    KindHelp {
        syntax: "lost",
        about: "Serve the request (the change happens), then close the connection without an answer",
    },
    KindHelp {
        syntax: "garbage:FORM",
        about: "A malformed answer, FORM one of: html (a proxy's 502 page; not served), truncated, empty, connect-error (Ona; not served), wrong-types, no-reference (Exoscale operations), unknown-enum (pool reads)",
    },
    KindHelp {
        syntax: "operation-failure",
        about: "Exoscale: the operation the request starts ends in `failure`",
    },
    KindHelp {
        syntax: "operation-timeout",
        about: "Exoscale: the operation the request starts ends in `timeout`",
    },
    KindHelp {
        syntax: "stuck:STATE",
        about: "Exoscale: the pool stays in STATE (like `updating`) after its operation",
    },
    KindHelp {
        syntax: "degraded[:MESSAGE]",
        about: "Ona (CreateWarmPool, UpdateWarmPool): the pool turns DEGRADED with MESSAGE instead of READY. Exoscale (create-, update-, scale-instance-pool): the operation succeeds, but the pool turns `degraded` with `error_reason` {type `quota-exceeded`, cause MESSAGE, job-id the operation}",
    },
    KindHelp {
        syntax: "locked-by-nlb",
        about: "Exoscale (delete-instance-pool): the fixture Network Load Balancer `sandbox-nlb` (ch-gva-2) forwards its service `http` to the pool, so the delete answers 403 `Forbidden: ... Locked by NLB <id>` and get-load-balancer shows the service using the pool; once the rule is used up or cleared, the service lets go of the pool and deletes pass",
    },
];

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
    /// Whether the rule targets `route` and has a firing left (a rule loaded as JSON may
    /// say `"times": 0`).
    fn fires_on(&self, route: &str) -> bool {
        (self.route == route || self.route == "*") && self.times != Some(0)
    }

    /// Counts one firing; false when that was the last.
    fn count_firing(&mut self) -> bool {
        match &mut self.times {
            Some(n) if *n <= 1 => false,
            Some(n) => {
                *n -= 1;
                true
            }
            None => true,
        }
    }

    /// Parses the `--fault` flag syntax: `ROUTE=KIND[:ARG][*TIMES]`, e.g.
    /// `scale-instance-pool=status:503*2`, `*=latency:200`, `CreateWarmPool=degraded:no capacity`,
    /// `create-instance-pool=lost*1`, `GetWarmPool=garbage:truncated`; the kinds are [`KINDS`].
    pub fn parse(spec: &str) -> Result<FaultRule, String> {
        let (route, rest) = spec
            .split_once('=')
            .ok_or_else(|| format!("fault `{spec}`: expected ROUTE=KIND[:ARG][*TIMES]"))?;
        let (rest, times) = match rest.rsplit_once('*') {
            Some((r, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
                match n.parse::<u32>() {
                    Ok(count) if count >= 1 => (r, Some(count)),
                    _ => {
                        return Err(format!(
                            "fault `{spec}`: the count after `*` must be from 1 to {}",
                            u32::MAX
                        ))
                    }
                }
            }
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
            "lost" => FaultKind::Lost,
            "garbage" => {
                let names = || {
                    Garbage::ALL
                        .iter()
                        .map(|g| g.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let form = arg
                    .ok_or_else(|| format!("fault `{spec}`: garbage needs a form ({})", names()))?;
                FaultKind::Garbage {
                    form: Garbage::ALL
                        .into_iter()
                        .find(|g| g.name() == form)
                        .ok_or_else(|| {
                            format!(
                                "fault `{spec}`: unknown garbage form `{form}` ({})",
                                names()
                            )
                        })?,
                }
            }
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
            "locked-by-nlb" => FaultKind::LockedByNlb,
            other => {
                let known: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
                return Err(format!(
                    "fault `{spec}`: unknown kind `{other}` ({})",
                    known.join(", ")
                ));
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
            .position(|r| r.fires_on(route) && wanted(&r.kind))?;
        let kind = rules[index].kind.clone();
        if !rules[index].count_firing() {
            rules.remove(index);
        }
        Some(kind)
    }

    /// Takes one firing of every rule for `route` whose kind `wanted` accepts, in the order
    /// they were added: each rule fires at most once per request.
    pub fn take_each(&self, route: &str, wanted: impl Fn(&FaultKind) -> bool) -> Vec<FaultKind> {
        let mut taken = Vec::new();
        self.lock().retain_mut(|rule| {
            if !(rule.fires_on(route) && wanted(&rule.kind)) {
                return true;
            }
            taken.push(rule.kind.clone());
            rule.count_firing()
        });
        taken
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
        let r = FaultRule::parse("delete-instance-pool=locked-by-nlb*1").unwrap();
        assert_eq!((r.kind, r.times), (FaultKind::LockedByNlb, Some(1)));
        assert!(FaultRule::parse("x=bogus")
            .unwrap_err()
            .contains("unknown kind"));
        assert!(FaultRule::parse("nonsense").is_err());
    }

    #[test]
    fn parses_lost_and_garbage() {
        let r = FaultRule::parse("create-instance-pool=lost*1").unwrap();
        assert_eq!((r.kind, r.times), (FaultKind::Lost, Some(1)));
        for form in Garbage::ALL {
            let r = FaultRule::parse(&format!("*=garbage:{}*3", form.name())).unwrap();
            assert_eq!((r.kind, r.times), (FaultKind::Garbage { form }, Some(3)));
        }
        let missing = FaultRule::parse("*=garbage").unwrap_err();
        assert!(
            missing.contains("needs a form") && missing.contains("unknown-enum"),
            "{missing}"
        );
        let unknown = FaultRule::parse("*=garbage:xml").unwrap_err();
        assert!(unknown.contains("unknown garbage form `xml`"), "{unknown}");
        // The admin endpoint's JSON form.
        let rule: FaultRule = serde_json::from_value(serde_json::json!(
            {"route": "GetWarmPool", "kind": "garbage", "form": "wrong-types", "times": 1}
        ))
        .unwrap();
        assert_eq!(
            rule.kind,
            FaultKind::Garbage {
                form: Garbage::WrongTypes
            }
        );
        let lost: FaultRule =
            serde_json::from_value(serde_json::json!({"route": "*", "kind": "lost"})).unwrap();
        assert_eq!(lost.kind, FaultKind::Lost);
    }

    #[test]
    fn garbage_forms_fire_only_where_they_make_sense() {
        let f = Faults::default();
        f.add(FaultRule::parse("*=garbage:no-reference").unwrap());
        f.add(FaultRule::parse("*=garbage:connect-error").unwrap());
        let fires = |api: &'static str, route: &'static str| {
            move |k: &FaultKind| k.is_http_level() && k.applies_to(api, route)
        };
        assert_eq!(
            f.take("get-instance-pool", fires("exoscale", "get-instance-pool")),
            None
        );
        assert_eq!(
            f.take(
                "scale-instance-pool",
                fires("exoscale", "scale-instance-pool")
            ),
            Some(FaultKind::Garbage {
                form: Garbage::NoReference
            })
        );
        assert_eq!(
            f.take("GetWarmPool", fires("ona", "GetWarmPool")),
            Some(FaultKind::Garbage {
                form: Garbage::ConnectError
            })
        );
        assert!(Garbage::UnknownEnum.applies_to("ona", "ListWarmPools"));
        assert!(!Garbage::UnknownEnum.applies_to("ona", "DeleteWarmPool"));
        assert!(!Garbage::UnknownEnum.applies_to("exoscale", "get-operation"));
        assert!(Garbage::Truncated.applies_to("exoscale", "list-zones"));
    }

    #[test]
    fn every_documented_kind_parses_and_unknown_kinds_list_them_all() {
        for kind in KINDS {
            let example = kind
                .syntax
                .replace("CODE", "503")
                .replace("SECONDS", "2")
                .replace("MS", "100")
                .replace("FORM", "html")
                .replace("STATE", "updating")
                .replace("[:MESSAGE]", ":no capacity");
            let rule = FaultRule::parse(&format!("*={example}*1"))
                .unwrap_or_else(|e| panic!("{}: {e}", kind.syntax));
            assert_eq!(rule.times, Some(1), "{}", kind.syntax);
        }
        let garbage = KINDS.iter().find(|k| k.name() == "garbage").unwrap();
        for form in Garbage::ALL {
            assert!(garbage.about.contains(form.name()), "{}", form.name());
        }
        let unknown = FaultRule::parse("*=bogus").unwrap_err();
        for kind in KINDS {
            assert!(unknown.contains(kind.name()), "{unknown}");
        }
    }

    #[test]
    fn a_count_is_at_least_one() {
        let zero = FaultRule::parse("*=reset*0").unwrap_err();
        assert!(zero.contains("from 1"), "{zero}");
        assert!(FaultRule::parse("*=reset*99999999999").is_err());
        // `"times": 0` from the admin endpoint never fires.
        let f = Faults::default();
        f.add(
            serde_json::from_value(serde_json::json!({"route": "*", "kind": "reset", "times": 0}))
                .unwrap(),
        );
        assert_eq!(f.take("a", |_| true), None);
        assert_eq!(f.take_each("a", |_| true), vec![]);
    }

    #[test]
    fn each_rule_fires_once_per_request() {
        let latency = |ms| FaultKind::Latency { ms };
        let f = Faults::default();
        f.add(FaultRule::parse("*=latency:50").unwrap());
        f.add(FaultRule::parse("a=latency:200*2").unwrap());
        f.add(FaultRule::parse("a=reset*1").unwrap());
        let is_latency = |k: &FaultKind| matches!(k, FaultKind::Latency { .. });
        // Without a count: once on every request; with `*2`: once on each of two requests.
        assert_eq!(f.take_each("a", is_latency), [latency(50), latency(200)]);
        assert_eq!(f.take_each("b", is_latency), [latency(50)]);
        assert_eq!(f.take_each("a", is_latency), [latency(50), latency(200)]);
        assert_eq!(f.take_each("a", is_latency), [latency(50)]);
        assert_eq!(f.list().len(), 2, "the spent `*2` rule is gone");
        assert_eq!(f.take("a", |_| true), Some(latency(50)));
        assert_eq!(f.take("a", |k| !is_latency(k)), Some(FaultKind::Reset));
        assert_eq!(f.take("a", |k| !is_latency(k)), None);
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
