//! The waits of the instance pool's steps, each a poll of the API paced per zone
//! ([`ExoscaleClient::pacing`]): for an operation to end, and for the pool to settle, to run
//! its instances, or to be gone; and how a wait that ended without its result reads as a
//! diagnostic ([`wait_error`]).

use std::fmt;
use std::sync::Mutex;

use super::diagnostics::api_error;
use crate::exoscale::api::wire::{InstancePool, Operation, OperationState, PoolState};
use crate::exoscale::api::{ExoscaleClient, SERVICE};
use crate::http::ApiError;
use crate::plugin::{log, Diagnostic, Diagnostics};
use crate::wait::{human, poll_paced, Poll, Wait, WaitError};

/// Why waiting for an operation failed (besides timing out or being stopped).
#[derive(Debug, Clone)]
pub enum OperationError {
    Api(ApiError),
    /// The operation ended in `failure`, `timeout` or another non-success state.
    Unsuccessful(Operation),
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationError::Api(e) => e.fmt(f),
            OperationError::Unsuccessful(op) => {
                write!(f, "{SERVICE}: operation {}", op.id)?;
                // The reference names the object the operation acts on (its `command` is only
                // how to fetch that object, so it is not shown: it read like a failed read).
                if let Some(id) = op.reference.as_ref().and_then(|r| r.id.as_deref()) {
                    write!(f, " on {id}")?;
                }
                write!(f, " ended in {}", op.state.as_str())?;
                if let Some(reason) = &op.reason {
                    write!(f, " (reason: {reason})")?;
                }
                match op.message.as_deref().filter(|m| !m.is_empty()) {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for OperationError {}

/// Polls `op`, the operation of a change of `kind` (`create`, `scale`, ...: operations of
/// one kind tend to take alike, see [`crate::wait::Pacing`]; the wait is named after it),
/// until it leaves `pending`.
/// Success returns the final operation; failure, timeout (of the operation or of our
/// deadline) and stop return an error.
pub async fn operation(
    client: &ExoscaleClient,
    zone: &str,
    op: Operation,
    kind: &'static str,
    wait: &Wait,
) -> Result<Operation, WaitError<OperationError>> {
    // Named by the change it carries out: the reference's `command` is only the route
    // that reads its object back.
    let what = match op.reference.as_ref().and_then(|r| r.id.as_deref()) {
        Some(pool) => format!(
            "{SERVICE} {kind} operation {} on instance pool {pool}",
            op.id
        ),
        None => format!("{SERVICE} {kind} operation {}", op.id),
    };
    let id = op.id.clone();
    let id = id.as_str();
    let mut first = Some(op);
    let pacing = client.pacing(zone).kind(kind).first_look_given();
    poll_paced(&pacing, wait, &what, || {
        // The operation we were given counts as the first look.
        let known = first.take();
        async move {
            let current = match known {
                Some(op) => op,
                None => match client.get_operation(zone, id).await {
                    Ok(op) => op,
                    // A failed look that may heal is one more pending look.
                    Err(e) => return Poll::retry(e).map_err(OperationError::Api),
                },
            };
            match current.state {
                OperationState::Success => Ok(Poll::Ready(current)),
                // Unknown states are treated as still running, until the deadline.
                OperationState::Pending | OperationState::Unknown => {
                    Ok(Poll::pending(format!("state {}", current.state.as_str())))
                }
                OperationState::Failure | OperationState::Timeout => {
                    Err(OperationError::Unsuccessful(current))
                }
            }
        }
    })
    .await
}

/// [`operation`], its failure as a diagnostic: `summary` says what did not complete.
pub async fn operation_succeeded(
    client: &ExoscaleClient,
    zone: &str,
    op: Operation,
    kind: &'static str,
    wait: &Wait,
    summary: &str,
) -> Result<(), Diagnostics> {
    match operation(client, zone, op, kind, wait).await {
        Ok(_) => Ok(()),
        Err(WaitError::Failed(e @ OperationError::Unsuccessful(_))) => Err(api_error(
            summary,
            format!("{e}. Check the reason the API gives, fix it if it lies in the configuration, and apply again: the next plan starts from the pool as the API holds it."),
        )),
        Err(e) => Err(wait_error(summary, e, wait)),
    }
}

/// Waits until the pool has left its transitional states (the operation on it has ended,
/// whatever the operation said) and returns it. A state this provider does not know is
/// waited on too: it may be a transitional state of a newer API.
pub async fn pool_settled(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    wait: &Wait,
    summary: &str,
) -> Result<InstancePool, Diagnostics> {
    let what = format!("instance pool {id} to leave its transitional state");
    let settled = |pool: &InstancePool| match &pool.state {
        Some(state) if state.is_transitional() || state.is_unknown() => {
            Err(format!("state {state}"))
        }
        _ => Ok(()),
    };
    poll_pool(client, zone, id, &what, "settle", settled, wait)
        .await
        .map_err(|e| settling_error(summary, e, id, zone, wait))
}

/// Waits until the pool is `running` with `size` instances, and returns it.
pub async fn pool_running(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    size: i64,
    wait: &Wait,
) -> Result<InstancePool, Diagnostics> {
    let what = format!("instance pool {id} to be running with {size} instances");
    let running = |pool: &InstancePool| {
        let count = pool.instances.as_ref().map_or(0, Vec::len);
        if pool.state == Some(PoolState::Running) && i64::try_from(count) == Ok(size) {
            Ok(())
        } else {
            Err(format!("state {}, {count} instances", state_text(pool)))
        }
    };
    let summary = "The instance pool's instances did not start";
    poll_pool(client, zone, id, &what, "instances", running, wait)
        .await
        .map_err(|e| settling_error(summary, e, id, zone, wait))
}

/// Polls until the pool no longer exists (after a delete). A failing pool does not end this
/// wait: deleting it is the way out, and it may carry its `error_reason` until it is gone.
pub async fn pool_gone(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    wait: &Wait,
) -> Result<(), WaitError<PoolError>> {
    let what = format!("instance pool {id} in {zone} to be deleted");
    let pacing = client.pacing(zone).kind("gone");
    let watch = Watch::new(id);
    poll_paced(&pacing, wait, &what, || async {
        match client.get_instance_pool(zone, id).await {
            Ok(None) => Ok(Poll::Ready(())),
            Ok(Some(pool)) => {
                let seen = format!("state {}", state_text(&pool));
                Ok(Poll::pending(watch.still(&pool, seen)))
            }
            Err(e) => Poll::retry(e).map_err(PoolError::Api),
        }
    })
    .await
}

/// A wait that ended without its result, with what to do next: a longer timeout only
/// when the operation was progressing, the API's status when it kept failing.
pub fn wait_error<E: fmt::Display>(summary: &str, e: WaitError<E>, wait: &Wait) -> Diagnostics {
    let failing = e.failing_advice(SERVICE);
    let timed_out = matches!(e, WaitError::TimedOut { .. });
    let mut detail = match e {
        // A change waits in steps (the operation, then the pool); the time that ran out is
        // the whole timeout, not the last step's share of it.
        WaitError::TimedOut {
            what,
            last_seen,
            failing,
            ..
        } => WaitError::<E>::TimedOut {
            what,
            after: wait.limit,
            last_seen,
            failing,
        }
        .to_string(),
        other => other.to_string(),
    };
    match failing {
        Some(advice) => {
            detail.push_str(&format!(". The pool is left as the API holds it. {advice}"));
        }
        None if timed_out => detail.push_str(&format!(
            ". The pool is left as the API holds it. If the API needs longer than `timeouts.{}` ({}), raise it; otherwise check the pool in the Exoscale console, then apply again.",
            wait.timeout,
            human(wait.limit)
        )),
        None => {}
    }
    Diagnostic::error(summary, detail).into()
}

/// Why a pool could not be waited for, besides time and stop.
#[derive(Debug)]
pub enum PoolError {
    Gone,
    Api(ApiError),
    /// The API reports the pool as failing (`degraded`, or an `error_reason`): waiting
    /// longer would not help.
    Failing {
        state: String,
        reason: String,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Gone => f.write_str("the pool no longer exists"),
            PoolError::Api(e) => e.fmt(f),
            PoolError::Failing { state, reason } => {
                write!(f, "the API reports the pool in state {state}: {reason}")
            }
        }
    }
}

/// What each look of a wait makes of the pool, besides what the wait is for: a pool the
/// API reports as failing ends the wait, and a state this provider does not know is logged
/// at WARN, once per wait and state, and named in what the wait last saw.
struct Watch<'a> {
    id: &'a str,
    warned: Mutex<Option<String>>,
}

impl<'a> Watch<'a> {
    fn new(id: &'a str) -> Self {
        Watch {
            id,
            warned: Mutex::new(None),
        }
    }

    /// `pool`, of which the wait's own check said `ready`: what the wait still waits for
    /// (None: ready), or why it ends.
    fn look(
        &self,
        pool: &InstancePool,
        ready: Result<(), String>,
    ) -> Result<Option<String>, PoolError> {
        if let Some(reason) = pool.failure() {
            let state = state_text(pool);
            return Err(PoolError::Failing { state, reason });
        }
        Ok(ready.err().map(|seen| self.still(pool, seen)))
    }

    /// What a wait still waiting on `pool` last saw (`seen`), naming a state this provider
    /// does not know (logged once).
    fn still(&self, pool: &InstancePool, seen: String) -> String {
        match &pool.state {
            Some(state) if state.is_unknown() => {
                self.warn_once(state);
                format!("{seen}, a state this provider does not know")
            }
            _ => seen,
        }
    }

    fn warn_once(&self, state: &PoolState) {
        let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.as_deref() != Some(state.as_str()) {
            log::warn(
                "instance pool in a state this provider does not know: still waiting",
                &[("pool", &self.id), ("state", state)],
            );
            *warned = Some(state.as_str().to_string());
        }
    }
}

/// Polls the pool until `ready` says it is what the wait is for, riding out transient
/// errors; a vanished pool, or one the API reports as failing, ends the wait.
async fn poll_pool(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    what: &str,
    kind: &'static str,
    ready: impl Fn(&InstancePool) -> Result<(), String>,
    wait: &Wait,
) -> Result<InstancePool, WaitError<PoolError>> {
    let pacing = client.pacing(zone).kind(kind);
    let watch = Watch::new(id);
    poll_paced(&pacing, wait, what, || async {
        match client.get_instance_pool(zone, id).await {
            Ok(Some(pool)) => Ok(match watch.look(&pool, ready(&pool))? {
                None => Poll::Ready(pool),
                Some(seen) => Poll::pending(seen),
            }),
            Ok(None) => Err(PoolError::Gone),
            Err(e) => Poll::retry(e).map_err(PoolError::Api),
        }
    })
    .await
}

fn settling_error(
    summary: &str,
    e: WaitError<PoolError>,
    id: &str,
    zone: &str,
    wait: &Wait,
) -> Diagnostics {
    match e {
        WaitError::Failed(PoolError::Gone) => api_error(
            "Instance pool vanished",
            format!("instance pool {id} no longer exists in zone {zone} (deleted outside this apply?); plan again to create it anew"),
        ),
        WaitError::Failed(e @ PoolError::Failing { .. }) => api_error(
            summary,
            format!("Instance pool {id}: {e}. Waiting longer would not help: fix the cause the API gives (such as a quota), then apply again; the next plan starts from the pool as the API holds it."),
        ),
        other => wait_error(summary, other, wait),
    }
}

fn state_text(pool: &InstancePool) -> String {
    pool.state
        .as_ref()
        .map_or_else(|| "unknown".to_string(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::plugin::Stop;
    use crate::testing::http_server::{reply, Reply, TestServer};

    const PENDING: &str =
        r#"{"id":"o1","state":"pending","reference":{"id":"p1","command":"create-instance-pool"}}"#;

    async fn client(script: Vec<Reply>) -> (TestServer, ExoscaleClient) {
        let server = TestServer::start(script).await;
        let template = format!("{}/{{zone}}/v2", server.base);
        let client = ExoscaleClient::new("EXOsandboxkey", "sandboxsecret", &template).unwrap();
        (server, client)
    }

    #[tokio::test]
    async fn wait_operation_polls_to_success_or_names_the_failure() {
        let success = r#"{"id":"o1","state":"success","reference":{"id":"p1"}}"#;
        let failure = r#"{"id":"o1","state":"failure","reason":"busy","message":"no capacity","reference":{"id":"p1","command":"get-instance-pool"}}"#;
        let (server, client) = client(vec![
            reply(200, PENDING),
            reply(200, success),
            reply(200, failure),
        ])
        .await;
        let wait = Wait::new("test", Duration::from_secs(5), &Stop::new());
        let pending: Operation = serde_json::from_str(PENDING).unwrap();
        let done = operation(&client, "ch-gva-2", pending.clone(), "test", &wait)
            .await
            .unwrap();
        assert_eq!(done.state, OperationState::Success);
        assert!(server
            .requests()
            .iter()
            .all(|r| r.target == "/ch-gva-2/v2/operation/o1"));
        let err = operation(&client, "ch-gva-2", pending, "test", &wait)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Exoscale API: operation o1 on p1 ended in failure (reason: busy): no capacity"
        );
    }

    /// On tokio's paused clock: the deadline comes before the first poll of the API, so
    /// the operation given (pending) is the last state seen, and the wait ends at the
    /// deadline exactly, whatever the machine's speed (no request is ever answered).
    #[tokio::test(start_paused = true)]
    async fn wait_operation_times_out_naming_the_operation() {
        let (_server, client) = client(vec![reply(200, PENDING)]).await;
        let pending: Operation = serde_json::from_str(PENDING).unwrap();
        let wait = Wait::new("test", Duration::from_millis(50), &Stop::new());
        let err = operation(&client, "ch-gva-2", pending, "create", &wait)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "timed out after 50ms waiting for Exoscale API create operation o1 on instance pool p1 (last seen: state pending)"
        );
    }

    /// A pool the API reports as failing ends a wait for a change at once, quoting the
    /// state and the reason; a state this provider does not know is waited on; a delete
    /// waits on a failing pool until it is gone (deleting it is the way out).
    #[tokio::test]
    async fn a_failing_pool_ends_the_wait_and_an_unknown_state_does_not() {
        let degraded = r#"{"id":"p1","state":"degraded","error_reason":{"cause":"no quota left","type":"quota-exceeded"}}"#;
        let destroying = r#"{"id":"p1","state":"destroying","error_reason":{"cause":"no quota left","type":"quota-exceeded"}}"#;
        let newer = r#"{"id":"p1","state":"hibernating"}"#;
        let running = r#"{"id":"p1","state":"running","instances":[]}"#;
        let script = vec![
            reply(200, degraded),
            reply(200, newer),
            reply(200, running),
            reply(200, newer),
            reply(200, degraded),
            reply(200, destroying),
            reply(404, r#"{"message":"not found"}"#),
        ];
        let (server, client) = client(script).await;
        let wait = Wait::new("update", Duration::from_secs(30), &Stop::new());
        let err = pool_settled(&client, "ch-gva-2", "p1", &wait, "Updating")
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(
                "the API reports the pool in state degraded: quota-exceeded: no quota left"
            ),
            "{text}"
        );
        let settled = pool_settled(&client, "ch-gva-2", "p1", &wait, "Updating")
            .await
            .unwrap();
        assert_eq!(settled.state, Some(PoolState::Running));
        let err = pool_running(&client, "ch-gva-2", "p1", 0, &wait)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("Instance pool p1: the API reports the pool in state degraded: quota-exceeded: no quota left. Waiting longer would not help"),
            "{text}"
        );
        pool_gone(&client, "ch-gva-2", "p1", &wait).await.unwrap();
        assert_eq!(server.requests().len(), 7);
    }

    /// The protocol layer runs calls on a multi-threaded runtime: the waits must be Send.
    #[allow(dead_code)]
    fn waits_are_send(client: &ExoscaleClient, op: Operation, wait: &Wait) {
        fn send<T: Send>(_: T) {}
        send(pool_gone(client, "ch-gva-2", "id", wait));
        send(operation(client, "ch-gva-2", op, "test", wait));
    }
}
