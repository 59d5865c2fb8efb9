//! The steps the warm pool resource's CRUD shares: creating a pool (waiting out a previous
//! one on its way out, adopting the pool of a create whose answer was lost), changing its
//! sizes and deleting it without blind repeats, and waiting for READY through transient
//! faults.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::model::{is_going, phase_name, pool_sizes, WarmPoolModel};
use crate::http::{ApiError, ErrorKind};
use crate::intents::Unmade;
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::{WarmPool, WarmPoolFilter, WarmPoolPhase};
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::resource::Applied;
use crate::wait::{poll_paced, send_change, Poll, Seen, Sent, Unsent, Wait, WaitError};

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

/// Which change an error answered, for the advice that goes with it.
#[derive(Clone, Copy)]
enum Change {
    Create,
    Update,
    Delete,
}

/// An error that waiting will not heal, with what to do about it. 401 and 403 already point
/// at the credentials (see [`ApiError`]'s Display).
fn refused(summary: &str, change: Change, e: &ApiError) -> Diagnostics {
    let advice = match (change, e.code.as_deref()) {
        (_, Some("invalid_argument" | "out_of_range")) => {
            "Fix the value the API names (min_size from 0 to 20, max_size from 1 to 20, min_size <= max_size), then apply again."
        }
        (Change::Create, Some("failed_precondition")) => {
            "Prebuilds must be enabled for the project, with this environment class in its prebuild configuration: change that in Ona (or choose another environment class), then apply again."
        }
        (Change::Create, Some("not_found")) => {
            "Check that project_id and environment_class_id name a project and an environment class of the organization the token belongs to."
        }
        (Change::Update, Some("not_found")) => {
            "The warm pool no longer exists (it was deleted outside Terraform): run terraform apply again, which plans to create it anew."
        }
        (_, Some("failed_precondition")) => {
            "The API refused the change in the pool's current state (a pool being deleted cannot be changed): run terraform apply again once it has settled."
        }
        _ => "",
    };
    let detail = match advice {
        "" => e.to_string(),
        advice => format!("{e}\n\n{advice}"),
    };
    Diagnostic::error(summary, detail).into()
}

/// The sizes a pool reports, as sent.
fn has_sizes(pool: &WarmPool, min: i32, max: i32) -> bool {
    pool_sizes(pool) == Some((min.into(), max.into()))
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
async fn wait_until_ready(
    client: &OnaClient,
    id: &str,
    wait: &Wait,
) -> Result<WarmPool, WaitFailure> {
    let last = Mutex::new(None::<WarmPool>);
    let seen = &last;
    let what = format!("warm pool {id} to be READY");
    let pacing = client.pacing().kind("ready");
    let outcome = poll_paced(&pacing, wait, &what, move || async move {
        let found = match client.get_warm_pool(id).await {
            Ok(found) => found,
            Err(e) => return e.into_pending(),
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
                WaitError::TimedOut { .. } => (
                    "Timed out waiting for the warm pool",
                    format!("{e}. {kept} Raise timeouts if it needs longer."),
                ),
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

/// What one create request, sent as often as it may be, came to.
enum CreateAnswer {
    Created(WarmPool),
    /// The pair is taken, and no earlier attempt of this create can have taken it.
    Taken(ApiError),
    /// The create may have taken effect, but no usable answer says so.
    Unknown(ApiError),
}

/// The sizes of a create, and where it goes.
struct CreateRequest<'a> {
    project: &'a str,
    class: &'a str,
    min: i32,
    max: i32,
}

/// Sends the create; after an answer that refuses it for now (429, 5xx) or a connection
/// that could not be made, sends it again after a pause, until the deadline. That is no
/// blind repeat: the API keeps one pool per (project, class), so a repeat cannot make a
/// second pool, at worst it finds the pair taken. Errors that will not heal end it at once.
async fn send_create(
    client: &OnaClient,
    request: &CreateRequest<'_>,
    wait: &Wait,
) -> Result<CreateAnswer, Unmade> {
    let CreateRequest {
        project,
        class,
        min,
        max,
    } = *request;
    // A 5xx may come from a gateway after the API acted: a later already_exists is then
    // most likely this create's own pool.
    let maybe_made = AtomicBool::new(false);
    let maybe_made = &maybe_made;
    // Whether a request is on its way, its answer not yet in: giving up then (stopped, or
    // out of time) leaves the question open.
    let in_flight = AtomicBool::new(false);
    let in_flight = &in_flight;
    let what = format!(
        "the API to accept the warm pool of project {project} and environment class {class}"
    );
    let sent = poll_paced(&client.pacing(), wait, &what, move || async move {
        in_flight.store(true, Ordering::Relaxed);
        let sent = client.create_warm_pool(project, class, min, max).await;
        let stopped_in_flight = sent.as_ref().is_err_and(ApiError::is_stopped_in_flight);
        in_flight.store(stopped_in_flight, Ordering::Relaxed);
        match sent {
            Ok(pool) => Ok(Poll::Ready(CreateAnswer::Created(pool))),
            Err(e) if e.code.as_deref() == Some("already_exists") => {
                Ok(Poll::Ready(if maybe_made.load(Ordering::Relaxed) {
                    CreateAnswer::Unknown(e)
                } else {
                    CreateAnswer::Taken(e)
                }))
            }
            Err(e) if e.is_outcome_unknown() => Ok(Poll::Ready(CreateAnswer::Unknown(e))),
            Err(e) => {
                if e.kind == ErrorKind::Server {
                    maybe_made.store(true, Ordering::Relaxed);
                }
                e.into_pending()
            }
        }
    })
    .await;
    let unsettled = in_flight.load(Ordering::Relaxed) || maybe_made.load(Ordering::Relaxed);
    sent.map_err(|e| {
        let may_have_made = |e: &dyn std::fmt::Display| {
            Diagnostic::error(
                "Cannot create the warm pool",
                format!("{e}. The API may have made the pool all the same: the next apply from this working directory looks for it before creating one, and records it if it has the planned sizes (from elsewhere, the next apply names the pool and how to import it)."),
            )
            .into()
        };
        let diagnostics = match e {
            WaitError::Failed(e) if unsettled && e.kind == ErrorKind::Stopped => may_have_made(&e),
            WaitError::Failed(e) => refused("Cannot create the warm pool", Change::Create, &e),
            other if unsettled => may_have_made(&other),
            other => Diagnostic::error(
                "Cannot create the warm pool",
                format!("{other}. Apply again later, or raise timeouts.create."),
            )
            .into(),
        };
        Unmade {
            diagnostics,
            unsettled,
        }
    })
}

/// The pool a create with no usable answer made, if it made one.
///
/// A create whose answer is lost (the connection dropped after sending, the attempt timed
/// out, or the answer could not be read) is not sent again blind. The API keeps one pool
/// per (project, environment class), so that pair names the pool the create made, if any:
/// a pool there with exactly the sizes just sent is adopted (recorded in state and waited
/// for as if the answer had come). Any other pool there is someone else's. No pool there:
/// the create did not take effect, and the error says to apply again.
async fn adopt(
    client: &OnaClient,
    request: &CreateRequest<'_>,
    lost: &ApiError,
    wait: &Wait,
) -> Result<WarmPool, Unmade> {
    let CreateRequest {
        project,
        class,
        min,
        max,
    } = *request;
    let what = format!("the warm pool of project {project} and environment class {class}");
    let found = poll_paced(&client.pacing(), wait, &what, || async {
        match find_pool(client, project, class).await {
            Ok(found) => Ok(Poll::Ready(found)),
            Err(e) => e.into_pending(),
        }
    })
    .await;
    match found {
        Ok(Some(pool)) if !is_going(&pool.status.phase) && has_sizes(&pool, min, max) => Ok(pool),
        Ok(Some(pool)) if !is_going(&pool.status.phase) => {
            Err(already_exists(project, class, &pool.id).into())
        }
        Ok(_) => Err(Unmade::from(Diagnostics::from(Diagnostic::error(
            "Warm pool not created",
            format!("The create got no usable answer ({lost}), and no warm pool exists for project {project} and environment class {class}: the create did not take effect. Run terraform apply again."),
        )))),
        // The question stays open: the next create looks again (its note stays open).
        Err(e) => Err(Unmade::unsettled(Diagnostic::error(
            "Cannot tell whether the warm pool was created",
            format!("The create got no usable answer ({lost}), and looking up the warm pool of project {project} and environment class {class} failed: {e}\n\nIf a warm pool exists for this project and environment class, it is not in the Terraform state: the next apply from this working directory looks for it first. Elsewhere, find its id (data source pools_warm_pools, or the Ona dashboard) and import it, replacing NAME with this resource's name:\n\n  terraform import 'pools_warm_pool.NAME' <id>\n\nOtherwise, run terraform apply again."),
        )
        .into())),
    }
}

/// The pool an earlier provider process made for `planned` before it was killed (its note
/// is the evidence, see [`crate::intents`]): the pair's pool, when it has the planned sizes.
pub async fn left_behind(
    client: &OnaClient,
    planned: &WarmPoolModel,
) -> Result<Option<WarmPool>, Diagnostics> {
    let (min, max) = planned.sizes();
    let (min, max) = (to_i32(min, "min_size")?, to_i32(max, "max_size")?);
    let (project, class) = (&planned.project_id, &planned.environment_class_id);
    match find_pool(client, project, class).await {
        Ok(Some(pool)) if !is_going(&pool.status.phase) && has_sizes(&pool, min, max) => {
            Ok(Some(pool))
        }
        Ok(_) => Ok(None),
        Err(e) => Err(api_error(
            "Cannot look for the warm pool an earlier run made",
            &e,
        )),
    }
}

/// Creates the pool, or adopts the one a create with a lost answer made. When the pair is
/// taken by a pool on its way out, waits for it to go and tries once more; a live pool is
/// reported with the import hint.
pub async fn create_pool(
    client: &OnaClient,
    planned: &WarmPoolModel,
    wait: &Wait,
) -> Result<WarmPool, Unmade> {
    let (min, max) = planned.sizes();
    let request = CreateRequest {
        project: &planned.project_id,
        class: &planned.environment_class_id,
        min: to_i32(min, "min_size")?,
        max: to_i32(max, "max_size")?,
    };
    let (project, class) = (request.project, request.class);
    let taken = match send_create(client, &request, wait).await? {
        CreateAnswer::Created(pool) => return Ok(pool),
        CreateAnswer::Unknown(lost) => return adopt(client, &request, &lost, wait).await,
        CreateAnswer::Taken(e) => e,
    };
    let existing = match find_pool(client, project, class).await {
        Ok(Some(pool)) => pool,
        Ok(None) | Err(_) => return Err(api_error("Cannot create the warm pool", &taken).into()),
    };
    if !is_going(&existing.status.phase) {
        return Err(already_exists(project, class, &existing.id).into());
    }
    client
        .wait_warm_pool_gone(&existing.id, wait)
        .await
        .map_err(|e| api_error("Cannot create the warm pool", &e))?;
    match send_create(client, &request, wait).await? {
        CreateAnswer::Created(pool) => Ok(pool),
        CreateAnswer::Unknown(lost) => adopt(client, &request, &lost, wait).await,
        CreateAnswer::Taken(e) => Err(api_error("Cannot create the warm pool", &e).into()),
    }
}

/// Sets the pool's sizes, never sending them again blindly (see
/// [`crate::wait::send_change`]): after an answer that was lost or refused, the pool is read
/// first, and the sizes are sent again only when it does not have them.
pub async fn update_pool(
    client: &OnaClient,
    id: &str,
    (min, max): (i32, i32),
    wait: &Wait,
) -> Result<WarmPool, Diagnostics> {
    let summary = "Cannot update the warm pool";
    let look = || async {
        Ok(match client.get_warm_pool(id).await? {
            Some(pool) if has_sizes(&pool, min, max) => Seen::Landed(pool),
            Some(pool) => {
                let (had_min, had_max) = pool_sizes(&pool).unwrap_or_default();
                Seen::Missing(format!(
                    "the pool still has min_size {had_min} and max_size {had_max}"
                ))
            }
            None => Seen::Ended(Diagnostic::error(
                "Warm pool disappeared",
                format!("Warm pool {id} no longer exists (deleted outside Terraform): run terraform apply again, which plans to create it anew."),
            )),
        })
    };
    let what = format!("the API to accept the new sizes of warm pool {id}");
    let send = || client.update_warm_pool(id, min, max);
    match send_change(&client.pacing(), wait, &what, send, look).await {
        Ok(Sent::Answered(pool) | Sent::Landed(pool)) => Ok(pool),
        Err(Unsent::Refused(e) | Unsent::Unreadable(e)) => Err(refused(summary, Change::Update, &e)),
        Err(Unsent::Lost { seen, .. }) => Err(Diagnostic::error(
            "Warm pool sizes not changed",
            format!("UpdateWarmPool of warm pool {id} was sent twice and no answer came back either time; {seen}. Check the network path to the Ona API, then apply again."),
        )
        .into()),
        Err(Unsent::Ended(d)) => Err(d.into()),
        Err(Unsent::Waited(e)) => Err(Diagnostic::error(
            summary,
            format!("{e}. The pool keeps its old sizes unless the API took them late: apply again, or raise timeouts.update."),
        )
        .into()),
    }
}

/// Deletes the pool and waits until it is gone. The delete is never sent again blindly
/// (see [`crate::wait::send_change`]): the pool is read first, and DELETING (or gone) means
/// carry on waiting.
pub async fn delete_pool(client: &OnaClient, id: &str, wait: &Wait) -> Diagnostics {
    let summary = "Cannot delete the warm pool";
    let look = || async {
        Ok::<_, ApiError>(match client.get_warm_pool(id).await? {
            None => Seen::Landed(()),
            Some(pool) if is_going(&pool.status.phase) => Seen::Landed(()),
            Some(pool) => Seen::Missing(format!(
                "the pool is still in phase {}",
                phase_name(&pool.status.phase)
            )),
        })
    };
    let what = format!("the API to accept the deletion of warm pool {id}");
    let send = || client.delete_warm_pool(id);
    match send_change::<_, _, Diagnostics, _, _, _, _>(&client.pacing(), wait, &what, send, look).await {
        Ok(_) => {}
        Err(Unsent::Refused(e) | Unsent::Unreadable(e)) => {
            return refused(summary, Change::Delete, &e)
        }
        Err(Unsent::Lost { error, seen }) => {
            return api_error(
                summary,
                &format!("{error}. The delete was sent twice, no answer came back either time, and {seen}: check the network path to the Ona API, then apply again."),
            )
        }
        Err(Unsent::Ended(d)) => return d,
        Err(Unsent::Waited(e)) => return api_error(summary, &format!("{e}. The pool is kept in the Terraform state: apply again, or raise timeouts.delete.")),
    }
    match client.wait_warm_pool_gone(id, wait).await {
        Ok(()) => Diagnostics::new(),
        Err(WaitError::Failed(e)) => api_error("Cannot read the warm pool being deleted", &e),
        Err(e) => api_error(
            "The warm pool is not gone yet",
            &format!("{e}. The API accepted the deletion; the pool stays in the Terraform state until it is gone. Run terraform apply (or destroy) again to wait for it, or raise timeouts.delete."),
        ),
    }
}

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
    match wait_until_ready(client, &pool.id, wait).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Stop;
    use crate::testing::http_server::{reply, TestServer};

    /// A gateway's 5xx may hide a create that took effect: the create is sent again, and
    /// the pair found taken is then this create's pool, adopted since its sizes match.
    #[tokio::test]
    async fn an_already_exists_after_a_server_error_is_this_creates_pool() {
        let pool = r#"{"id":"wp1","metadata":{"projectId":"prj","environmentClassId":"ec"},
            "spec":{"minSize":1,"maxSize":2},"status":{"phase":"WARM_POOL_PHASE_PENDING"}}"#;
        let script = vec![
            reply(502, "Bad Gateway"),
            reply(409, r#"{"code":"already_exists","message":"taken"}"#),
            reply(200, format!(r#"{{"warmPools":[{pool}]}}"#)),
        ];
        let server = TestServer::start(script).await;
        let client = OnaClient::new("tok", &format!("{}/api", server.base)).unwrap();
        let planned = WarmPoolModel {
            project_id: "prj".into(),
            environment_class_id: "ec".into(),
            min_size: Some(1),
            max_size: Some(2),
            ..WarmPoolModel::default()
        };
        let wait = Wait::new("test", std::time::Duration::from_secs(5), &Stop::new());
        let adopted = create_pool(&client, &planned, &wait)
            .await
            .unwrap_or_else(|unmade| panic!("{}", unmade.diagnostics));
        assert_eq!(adopted.id, "wp1");
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert_eq!(
            targets,
            [
                "/api/gitpod.v1.PrebuildService/CreateWarmPool",
                "/api/gitpod.v1.PrebuildService/CreateWarmPool",
                "/api/gitpod.v1.PrebuildService/ListWarmPools",
            ]
        );
    }
}
