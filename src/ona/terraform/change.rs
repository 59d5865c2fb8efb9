//! The change steps: setting a pool's sizes (then waiting for READY) and deleting it (then
//! waiting until it is gone), each sent once and never repeated blindly (see
//! [`crate::wait::send_change`]), with advice for a change the API refuses.

use super::diagnostics::{api_error, next_step, refused, FIX_SIZES};
use super::model::{has_sizes, is_going, phase_name, pool_sizes, WarmPoolModel};
use super::wait::{pool_gone, settle};
use crate::http::ApiError;
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::WarmPool;
use crate::plugin::{Applied, Diagnostic, Diagnostics};
use crate::wait::{send_change, Seen, Sent, Unsent, Wait, WaitError};

/// Sets the planned sizes and waits for READY when asked to. When only Terraform-side
/// settings changed (`wait_for_ready`, `timeouts`), Ona is not called at all.
pub async fn update(
    client: &OnaClient,
    prior: WarmPoolModel,
    planned: WarmPoolModel,
    wait: &Wait,
) -> Applied<WarmPoolModel> {
    let mut state = planned;
    state.keep_observed(&prior);
    let (min, max) = state.sizes();
    if (Some(min), Some(max)) == (prior.min_size, prior.max_size) {
        return Applied::ok(state);
    }
    let Some(id) = prior.id.known().cloned() else {
        let detail = "The state has no warm pool id: remove it from state (terraform state rm) and import the pool.";
        return Applied::failed(
            Some(prior),
            Diagnostic::error("Warm pool has no id", detail),
        );
    };
    let sizes = match state.wire_sizes() {
        Ok(sizes) => sizes,
        Err(d) => return Applied::failed(Some(prior), d),
    };
    match update_pool(client, &id, sizes, wait).await {
        Ok(pool) => settle(client, state, pool, wait).await,
        Err(d) => Applied::failed(Some(prior), d),
    }
}

/// Sets the pool's sizes, never sending them again blindly (see
/// [`crate::wait::send_change`]): after an answer that was lost or refused, the pool is read
/// first, and the sizes are sent again only when it does not have them.
async fn update_pool(
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
            None => {
                let detail = format!("Warm pool {id} no longer exists (deleted outside Terraform): run terraform apply again, which plans to create it anew.");
                Seen::Ended(Diagnostic::error("Warm pool disappeared", detail))
            }
        })
    };
    let what = format!("the API to accept the new sizes of warm pool {id}");
    let send = || client.update_warm_pool(id, min, max);
    match send_change(&client.pacing(), wait, &what, send, look).await {
        Ok(Sent::Answered(pool) | Sent::Landed(pool)) => Ok(pool),
        Err(Unsent::Refused(e) | Unsent::Unreadable(e)) => {
            Err(refused(summary, &e, update_advice(&e)))
        }
        Err(Unsent::Lost { seen, .. }) => {
            let detail = format!("UpdateWarmPool of warm pool {id} was sent twice and no answer came back either time; {seen}. Check the network path to the Ona API, then apply again.");
            Err(Diagnostic::error("Warm pool sizes not changed", detail).into())
        }
        Err(Unsent::Ended(d)) => Err(d.into()),
        Err(Unsent::Waited(e)) => {
            let next = next_step(&e, "Apply again, or raise timeouts.update.");
            let detail =
                format!("{e}. The pool keeps its old sizes unless the API took them late. {next}");
            Err(Diagnostic::error(summary, detail).into())
        }
    }
}

/// Deletes the pool in `prior` and waits until it is gone; a state with no id has nothing to
/// delete.
pub async fn delete(client: &OnaClient, prior: &WarmPoolModel, wait: &Wait) -> Diagnostics {
    match prior.id.as_deref() {
        Some(id) => delete_pool(client, id, wait).await,
        None => Diagnostics::new(),
    }
}

/// Deletes the pool and waits until it is gone. The delete is never sent again blindly
/// (see [`crate::wait::send_change`]): the pool is read first, and DELETING (or gone) means
/// carry on waiting.
async fn delete_pool(client: &OnaClient, id: &str, wait: &Wait) -> Diagnostics {
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
    let pacing = client.pacing();
    match send_change::<_, _, Diagnostics, _, _, _, _>(&pacing, wait, &what, send, look).await {
        Ok(_) => {}
        Err(Unsent::Refused(e) | Unsent::Unreadable(e)) => {
            return refused(summary, &e, advice(&e));
        }
        Err(Unsent::Lost { error, seen }) => {
            return api_error(
                summary,
                format!("{error}. The delete was sent twice, no answer came back either time, and {seen}: check the network path to the Ona API, then apply again."),
            );
        }
        Err(Unsent::Ended(d)) => return d,
        Err(Unsent::Waited(e)) => {
            return api_error(
                summary,
                format!(
                    "{e}. The pool is kept in the Terraform state. {}",
                    next_step(&e, "Apply again, or raise timeouts.delete.")
                ),
            );
        }
    }
    match pool_gone(client, id, wait).await {
        Ok(()) => Diagnostics::new(),
        Err(WaitError::Failed(e)) => api_error("Cannot read the warm pool being deleted", &e),
        Err(e) => api_error(
            "The warm pool is not gone yet",
            format!(
                "{e}. The API accepted the deletion; the pool stays in the Terraform state until it is gone. {}",
                next_step(&e, "Run terraform apply (or destroy) again to wait for it, or raise timeouts.delete.")
            ),
        ),
    }
}

/// The advice for `failed_precondition` on a change.
const NOT_NOW: &str = "The API refused the change in the pool's current state (a pool being deleted cannot be changed): run terraform apply again once it has settled.";

/// The advice for `not_found` on an update.
const GONE: &str = "The warm pool no longer exists (it was deleted outside Terraform): run terraform apply again, which plans to create it anew.";

/// What to do about a change (an update or the delete) the API refused, by its Connect code.
fn advice(e: &ApiError) -> Option<&'static str> {
    match e.code.as_deref()? {
        "invalid_argument" | "out_of_range" => Some(FIX_SIZES),
        "failed_precondition" => Some(NOT_NOW),
        _ => None,
    }
}

/// An update also learns from `not_found` that the pool is gone.
fn update_advice(e: &ApiError) -> Option<&'static str> {
    match e.code.as_deref() {
        Some("not_found") => Some(GONE),
        _ => advice(e),
    }
}
