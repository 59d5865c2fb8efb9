//! Waiting on a warm pool's phase: until it is READY (then recording what was seen in the
//! state), and until it is gone. Both ride out transient faults until the step's deadline.

use std::sync::Mutex;

use super::diagnostics::next_step;
use super::model::{is_going, phase_name, WarmPoolModel};
use crate::http::ApiError;
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::{WarmPool, WarmPoolPhase};
use crate::plugin::{Applied, Diagnostic, Diagnostics};
use crate::wait::{poll_paced, Poll, Wait, WaitError};

/// Waits for READY when asked to; the state always reflects the latest pool seen, and
/// keeps the pool unless it is really gone.
pub async fn settle(
    client: &OnaClient,
    mut state: WarmPoolModel,
    pool: WarmPool,
    wait: &Wait,
) -> Applied<WarmPoolModel> {
    state.observe(&pool);
    if state.wait_for_ready == Some(false) || pool.status.phase == WarmPoolPhase::Ready {
        return Applied::ok(state);
    }
    match pool_ready(client, &pool.id, wait).await {
        Ok(ready) => {
            state.observe(&ready);
            Applied::ok(state)
        }
        Err(WaitFailure {
            gone: true,
            diagnostics,
            ..
        }) => Applied::failed(None, diagnostics),
        Err(WaitFailure {
            last, diagnostics, ..
        }) => {
            if let Some(last) = &last {
                state.observe(last);
            }
            Applied::failed(Some(state), diagnostics)
        }
    }
}

/// How a wait for READY ended without reaching it.
struct WaitFailure {
    /// The pool as last seen, if it was seen at all.
    last: Option<WarmPool>,
    /// The pool is gone: the only case in which it leaves the state.
    gone: bool,
    diagnostics: Diagnostics,
}

enum Settled {
    Ready(WarmPool),
    Degraded(WarmPool),
    Gone,
}

/// Polls the pool until it is READY, riding out transient errors. DEGRADED ends the wait
/// with the API's failure message; so does the pool vanishing, an error that will not heal,
/// a timeout, or Terraform asking to stop.
async fn pool_ready(client: &OnaClient, id: &str, wait: &Wait) -> Result<WarmPool, WaitFailure> {
    let last = Mutex::new(None::<WarmPool>);
    let seen = &last;
    // The step's timeout is named after the change waited for: `create` or `update`.
    let what = format!("warm pool {id} to be READY after its {}", wait.timeout);
    let pacing = client.pacing().kind("ready");
    let outcome = poll_paced(&pacing, wait, &what, move || async move {
        let found = match client.get_warm_pool(id).await {
            Ok(found) => found,
            Err(e) => return Poll::retry(e),
        };
        Ok::<_, ApiError>(match found {
            None => Poll::Ready(Settled::Gone),
            Some(pool) => match &pool.status.phase {
                WarmPoolPhase::Ready => Poll::Ready(Settled::Ready(pool)),
                WarmPoolPhase::Degraded => Poll::Ready(Settled::Degraded(pool)),
                phase if is_going(phase) => Poll::Ready(Settled::Gone),
                phase => {
                    let note = format!("phase {}", phase_name(phase));
                    *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(pool);
                    Poll::pending(note)
                }
            },
        })
    })
    .await;
    let last = last.into_inner().unwrap_or_else(|e| e.into_inner());
    let kept = "The pool exists and is kept in the Terraform state.";
    match outcome {
        Ok(Settled::Ready(pool)) => Ok(pool),
        Ok(Settled::Degraded(pool)) => {
            let message = match pool.status.failure_message.as_str() {
                "" => "the API gave no failure message".to_string(),
                m => m.to_string(),
            };
            let diagnostics = Diagnostic::error(
                "Warm pool is degraded",
                format!(
                    "Warm pool {id} went to phase DEGRADED instead of READY: {message}\n\n{kept} Fix the cause, then apply again (or set wait_for_ready = false to stop waiting for READY)."
                ),
            )
            .into();
            Err(WaitFailure {
                last: Some(pool),
                gone: false,
                diagnostics,
            })
        }
        Ok(Settled::Gone) => Err(WaitFailure {
            last: None,
            gone: true,
            diagnostics: Diagnostic::error(
                "Warm pool disappeared",
                format!("Warm pool {id} was deleted while waiting for it to become READY (outside Terraform, or because prebuilds were disabled for its project or environment class)."),
            )
            .into(),
        }),
        Err(e) => {
            let (summary, detail) = match &e {
                WaitError::TimedOut { .. } | WaitError::Persisted { .. } => {
                    let summary = match &e {
                        WaitError::Persisted { .. } => "The Ona API keeps failing",
                        _ => "Timed out waiting for the warm pool",
                    };
                    let next = next_step(&e, "Raise timeouts if it needs longer.");
                    (summary, format!("{e}. {kept} {next}"))
                }
                WaitError::Stopped { .. } => (
                    "Stopped while waiting for the warm pool",
                    format!("{e}. {kept}"),
                ),
                WaitError::Failed(_) => ("Cannot read the warm pool", format!("{e}\n\n{kept}")),
            };
            Err(WaitFailure {
                last,
                gone: false,
                diagnostics: Diagnostic::error(summary, detail).into(),
            })
        }
    }
}

/// Polls until the pool is gone (deletion is asynchronous: DELETING, then gone or DELETED),
/// riding out transient errors until the deadline.
pub async fn pool_gone(
    client: &OnaClient,
    id: &str,
    wait: &Wait,
) -> Result<(), WaitError<ApiError>> {
    let what = format!("warm pool {id} to be deleted");
    poll_paced(&client.pacing().kind("gone"), wait, &what, || async {
        let found = match client.get_warm_pool(id).await {
            Ok(found) => found,
            Err(e) => return Poll::retry(e),
        };
        Ok(match found {
            None => Poll::Ready(()),
            Some(pool) if pool.status.phase == WarmPoolPhase::Deleted => Poll::Ready(()),
            Some(pool) => Poll::pending(format!("phase {}", phase_name(&pool.status.phase))),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Stop;
    use crate::testing::http_server::{reply, Reply, TestServer};

    async fn client(script: Vec<Reply>) -> (TestServer, OnaClient) {
        let server = TestServer::start(script).await;
        let client = OnaClient::new("tok", &format!("{}/api", server.base)).unwrap();
        (server, client)
    }

    #[tokio::test]
    async fn wait_gone_follows_deleting_to_not_found() {
        let deleting = r#"{"warmPool":{"id":"wp1","status":{"phase":"WARM_POOL_PHASE_DELETING"}}}"#;
        let not_found = r#"{"code":"not_found","message":"gone"}"#;
        let (server, client) = client(vec![reply(200, deleting), reply(404, not_found)]).await;
        let wait = Wait::new("test", std::time::Duration::from_secs(3), &Stop::new());
        pool_gone(&client, "wp1", &wait).await.unwrap();
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn wait_gone_ends_on_an_error_that_will_not_heal() {
        // Transient errors are ridden out (see the resource tests, `reset*8` on the polls).
        let denied = r#"{"code":"permission_denied","message":"no access"}"#;
        let not_found = r#"{"code":"not_found","message":"gone"}"#;
        let (server, client) = client(vec![reply(403, denied), reply(404, not_found)]).await;
        let wait = Wait::new("test", std::time::Duration::from_secs(5), &Stop::new());
        let err = pool_gone(&client, "wp1", &wait).await.unwrap_err();
        assert!(
            matches!(&err, WaitError::Failed(e) if e.status == Some(403)),
            "{err}"
        );
        assert_eq!(server.requests().len(), 1);
    }

    /// The protocol layer runs calls on a multi-threaded runtime: wait futures must be Send.
    #[allow(dead_code)]
    fn wait_futures_are_send(client: &OnaClient, wait: &Wait, state: WarmPoolModel) {
        fn send<T: Send>(_: T) {}
        send(pool_gone(client, "id", wait));
        send(settle(client, state, WarmPool::default(), wait));
    }
}
