//! The steps the warm pool resource's CRUD shares: creating a pool (waiting out a previous
//! one on its way out), finding the pool of a (project, class) pair, and waiting for READY.

use std::sync::Mutex;

use tokio::time::Instant;

use super::client::OnaClient;
use super::convert::{is_going, phase_name, WarmPoolModel};
use super::model::{WarmPool, WarmPoolFilter, WarmPoolPhase};
use crate::http::ApiError;
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::resource::Applied;
use crate::wait::{poll_until, Poll, Stop, WaitError};

pub fn api_error(summary: &str, error: &impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error(summary, error.to_string()).into()
}

pub fn to_i32(value: i64, name: &str) -> Result<i32, Diagnostics> {
    i32::try_from(value).map_err(|_| {
        Diagnostic::error(
            format!("Invalid value for {name}"),
            format!("{name} is out of range: {value}"),
        )
        .at(AttrPath::attrs(&[name]))
        .into()
    })
}

/// How a wait for READY ended without reaching it.
struct WaitFailure {
    /// The pool as last seen (None when it vanished).
    last: Option<WarmPool>,
    diagnostics: Diagnostics,
}

enum Settled {
    Ready(WarmPool),
    Degraded(WarmPool),
    Gone,
}

/// Polls the pool until it is READY. DEGRADED ends the wait with the API's failure message;
/// so does the pool vanishing, a timeout, or Terraform asking to stop.
async fn wait_until_ready(
    client: &OnaClient,
    id: &str,
    deadline: Instant,
    stop: &Stop,
) -> Result<WarmPool, WaitFailure> {
    let last = Mutex::new(None::<WarmPool>);
    let seen = &last;
    let what = format!("warm pool {id} to be READY");
    let outcome = poll_until(deadline, stop, &what, move || async move {
        Ok::<_, ApiError>(match client.get_warm_pool(id).await? {
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
                    "Warm pool {id} went to phase DEGRADED instead of READY: {message}\n\nThe pool exists and is kept in the Terraform state. Fix the cause, then apply again (or set wait_for_ready = false to stop waiting for READY)."
                ),
            )
            .into();
            Err(WaitFailure {
                last: Some(pool),
                diagnostics,
            })
        }
        Ok(Settled::Gone) => Err(WaitFailure {
            last: None,
            diagnostics: Diagnostic::error(
                "Warm pool disappeared",
                format!("Warm pool {id} was deleted while waiting for it to become READY (outside Terraform, or because prebuilds were disabled for its project or environment class)."),
            )
            .into(),
        }),
        Err(e) => {
            let summary = match e {
                WaitError::TimedOut { .. } => "Timed out waiting for the warm pool",
                WaitError::Stopped { .. } => "Stopped while waiting for the warm pool",
                WaitError::Failed(_) => "Cannot read the warm pool",
            };
            let detail = match e {
                WaitError::TimedOut { .. } => format!("{e}. The pool exists and is kept in the Terraform state; raise timeouts if it needs longer."),
                _ => e.to_string(),
            };
            Err(WaitFailure {
                last,
                diagnostics: Diagnostic::error(summary, detail).into(),
            })
        }
    }
}

/// The error for a create that found the (project, class) pair taken, with the way to adopt
/// the existing pool.
fn already_exists(project: &str, class: &str, existing: &str) -> Diagnostics {
    Diagnostic::error(
        "Warm pool already exists",
        format!(
            "A warm pool already exists for project {project} and environment class {class} (id {existing}); there can be only one per project and environment class.\n\nTo manage it with Terraform, import it, replacing NAME with this resource's name:\n\n  terraform import 'pools_warm_pool.NAME' {existing}\n\nor with an import block:\n\n  import {{\n    to = pools_warm_pool.NAME\n    id = \"{existing}\"\n  }}"
        ),
    )
    .into()
}

pub async fn find_pool(
    client: &OnaClient,
    project: &str,
    class: &str,
) -> Result<Option<WarmPool>, ApiError> {
    let filter = WarmPoolFilter {
        project_ids: vec![project.to_ascii_lowercase()],
        environment_class_ids: vec![class.to_ascii_lowercase()],
    };
    let pools = client.list_warm_pools(&filter).await?;
    Ok(pools.into_iter().find(|p| {
        p.metadata.project_id.eq_ignore_ascii_case(project)
            && p.metadata.environment_class_id.eq_ignore_ascii_case(class)
    }))
}

/// Creates the pool. When the pair is taken by a pool on its way out, waits for it to go
/// and tries once more; a live pool is reported with the import hint.
pub async fn create_pool(
    client: &OnaClient,
    planned: &WarmPoolModel,
    deadline: Instant,
    stop: &Stop,
) -> Result<WarmPool, Diagnostics> {
    let (project, class) = (&planned.project_id, &planned.environment_class_id);
    let (min, max) = planned.sizes();
    let (min, max) = (to_i32(min, "min_size")?, to_i32(max, "max_size")?);
    let error = match client.create_warm_pool(project, class, min, max).await {
        Ok(pool) => return Ok(pool),
        Err(e) if e.code.as_deref() == Some("already_exists") => e,
        Err(e) => return Err(api_error("Cannot create the warm pool", &e)),
    };
    let existing = match find_pool(client, project, class).await {
        Ok(Some(pool)) => pool,
        Ok(None) | Err(_) => return Err(api_error("Cannot create the warm pool", &error)),
    };
    if !is_going(&existing.status.phase) {
        return Err(already_exists(project, class, &existing.id));
    }
    client
        .wait_warm_pool_gone(&existing.id, deadline, stop)
        .await
        .map_err(|e| api_error("Cannot create the warm pool", &e))?;
    client
        .create_warm_pool(project, class, min, max)
        .await
        .map_err(|e| api_error("Cannot create the warm pool", &e))
}

/// Waits for READY when asked to; the state always reflects the latest pool seen.
pub async fn settle(
    client: &OnaClient,
    mut state: WarmPoolModel,
    pool: WarmPool,
    deadline: Instant,
    stop: &Stop,
) -> Applied<WarmPoolModel> {
    state.observe(&pool);
    if state.wait_for_ready == Some(false) || pool.status.phase == WarmPoolPhase::Ready {
        return Applied::ok(state);
    }
    match wait_until_ready(client, &pool.id, deadline, stop).await {
        Ok(ready) => {
            state.observe(&ready);
            Applied::ok(state)
        }
        Err(WaitFailure {
            last: Some(last),
            diagnostics,
        }) => {
            state.observe(&last);
            Applied::failed(Some(state), diagnostics)
        }
        Err(WaitFailure {
            last: None,
            diagnostics,
        }) => Applied::failed(None, diagnostics),
    }
}
