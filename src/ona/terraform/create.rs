//! The create step: creating a pool and waiting for READY, never making two. A previous pool
//! of the pair on its way out is waited out; the pool of a create whose answer was lost is
//! adopted; an intent note lets the next create find the pool a killed process made; and a
//! create the API refuses comes with advice.

use std::sync::atomic::{AtomicBool, Ordering};

use super::diagnostics::{api_error, next_step, refused, FIX_SIZES};
use super::model::{has_sizes, is_going, WarmPoolModel};
use super::read::find_pool;
use super::wait::{pool_gone, settle};
use crate::http::{ApiError, ErrorKind};
use crate::intents::{Intent, Unmade};
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::WarmPool;
use crate::plugin::{Applied, Diagnostic, Diagnostics};
use crate::wait::{poll_paced, Poll, Wait, WaitError};

/// Creates the planned pool and waits for READY when asked to. A note kept until the outcome
/// is known (see [`crate::intents`]) lets the next create of the pair adopt what a provider
/// process killed in the meantime made.
pub async fn create(
    client: &OnaClient,
    planned: WarmPoolModel,
    wait: &Wait,
) -> Applied<WarmPoolModel> {
    let key = format!(
        "ona {} {}",
        planned.project_id, planned.environment_class_id
    );
    let (intent, earlier) = Intent::begin(&key);
    let found = match earlier {
        Some(_) => left_behind(client, &planned).await,
        None => Ok(None),
    };
    let created = match found {
        Ok(Some(pool)) => Ok(pool),
        Ok(None) => create_pool(client, &planned, wait).await,
        // The earlier create's outcome is still not known.
        Err(d) => Err(Unmade::unsettled(d)),
    };
    match created {
        Ok(pool) => settle(client, planned, pool, wait).await,
        Err(unmade) => Applied::failed(None, intent.failed(unmade)),
    }
}

/// The pool an earlier provider process made for `planned` before it was killed (its note
/// is the evidence, see [`crate::intents`]): the pair's pool, when it has the planned sizes.
async fn left_behind(
    client: &OnaClient,
    planned: &WarmPoolModel,
) -> Result<Option<WarmPool>, Diagnostics> {
    let (min, max) = planned.wire_sizes()?;
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
async fn create_pool(
    client: &OnaClient,
    planned: &WarmPoolModel,
    wait: &Wait,
) -> Result<WarmPool, Unmade> {
    let (min, max) = planned.wire_sizes()?;
    let request = CreateRequest {
        project: &planned.project_id,
        class: &planned.environment_class_id,
        min,
        max,
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
    pool_gone(client, &existing.id, wait)
        .await
        .map_err(|e| api_error("Cannot create the warm pool", &e))?;
    match send_create(client, &request, wait).await? {
        CreateAnswer::Created(pool) => Ok(pool),
        CreateAnswer::Unknown(lost) => adopt(client, &request, &lost, wait).await,
        CreateAnswer::Taken(e) => Err(api_error("Cannot create the warm pool", &e).into()),
    }
}

/// The sizes of a create, and where it goes.
struct CreateRequest<'a> {
    project: &'a str,
    class: &'a str,
    min: i32,
    max: i32,
}

/// What one create request, sent as often as it may be, came to.
enum CreateAnswer {
    Created(WarmPool),
    /// The pair is taken, and no earlier attempt of this create can have taken it.
    Taken(ApiError),
    /// The create may have taken effect, but no usable answer says so.
    Unknown(ApiError),
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
                Poll::retry(e)
            }
        }
    })
    .await;
    let unsettled = in_flight.load(Ordering::Relaxed) || maybe_made.load(Ordering::Relaxed);
    sent.map_err(|e| {
        let may_have_made = |e: &dyn std::fmt::Display, next: &str| {
            Diagnostic::error(
                "Cannot create the warm pool",
                format!("{e}. The API may have made the pool all the same: the next apply from this working directory looks for it before creating one, and records it if it has the planned sizes (from elsewhere, the next apply names the pool and how to import it).{next}"),
            )
            .into()
        };
        let diagnostics = match e {
            WaitError::Failed(e) if unsettled && e.kind == ErrorKind::Stopped => {
                may_have_made(&e, "")
            }
            WaitError::Failed(e) => refused("Cannot create the warm pool", &e, advice(&e)),
            other if unsettled => {
                let next = format!(" {}", next_step(&other, "Apply again later."));
                may_have_made(&other, &next)
            }
            other => Diagnostic::error(
                "Cannot create the warm pool",
                format!(
                    "{other}. {}",
                    next_step(&other, "Apply again later, or raise timeouts.create.")
                ),
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
            Err(e) => Poll::retry(e),
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

/// The advice for `failed_precondition` on a create.
const ENABLE_PREBUILDS: &str = "Prebuilds must be enabled for the project, with this environment class in its prebuild configuration: change that in Ona (or choose another environment class), then apply again.";

/// The advice for `not_found` on a create.
const CHECK_IDS: &str = "Check that project_id and environment_class_id name a project and an environment class of the organization the token belongs to.";

/// What to do about a create the API refused, by its Connect code.
fn advice(e: &ApiError) -> Option<&'static str> {
    match e.code.as_deref()? {
        "invalid_argument" | "out_of_range" => Some(FIX_SIZES),
        "failed_precondition" => Some(ENABLE_PREBUILDS),
        "not_found" => Some(CHECK_IDS),
        _ => None,
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
