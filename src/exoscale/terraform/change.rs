//! Changing and deleting a pool. The update step turns the prior state into the planned
//! one with the calls [`model::changes`] lists (one update, one reset per removed field, one
//! scale); each of them, like the delete, is sent through [`crate::wait::send_change`], so
//! that it is never repeated blindly, then waited for until the pool settles. A pool that
//! another service manages is never touched.

use std::future::Future;

use super::diagnostics::api_error;
use super::instance_types;
use super::labels;
use super::load_balancer_lock::locked_error;
use super::model::{self, Changes, InstancePoolModel};
use super::read::{model_of, read_back};
use super::wait::{self, wait_error};
use crate::exoscale::api::wire::{InstancePool, Operation, PoolState};
use crate::exoscale::api::{Deletion, ExoscaleClient};
use crate::http::ApiError;
use crate::plugin::{Applied, Diagnostic, Diagnostics, Tri, Value};
use crate::wait::{Seen, Sent, Unsent, Wait};

/// The update step: pool `prior` becomes what `planned` describes. Its `instance_type_id`
/// is the planned one (resolved here only when the plan left it unknown). The new state is
/// the pool as the last wait saw it settle, or, when nothing was sent or a step failed, as
/// read now, in `planned`'s spelling: a failed step records what the API holds.
pub async fn update(
    client: &ExoscaleClient,
    zone: &str,
    prior: InstancePoolModel,
    mut planned: InstancePoolModel,
    wait: &Wait,
) -> Applied<InstancePoolModel> {
    let Some(id) = prior.id.known().cloned() else {
        return Applied::failed(Some(prior), no_id());
    };
    if planned.instance_type_id.is_unknown() {
        match instance_types::planned_id(client, zone, &planned).await {
            Ok(id) => planned.instance_type_id = Tri::Known(id),
            Err(d) => return Applied::failed(Some(prior), d),
        }
    }
    let changes = model::changes(&prior, &planned);
    // No listing requested before the change ends stands for the pool.
    let _changing = client.changing(zone, &id);
    if !changes.is_empty() {
        if let Some(d) = managed_error(&prior, "changed") {
            return Applied::failed(Some(prior), d);
        }
    }
    let wait_instances = planned.wait_for_instances == Some(true);
    let sent = send_changes(client, zone, &id, &changes, wait_instances, wait).await;
    let read = match &sent {
        Ok(Some(settled)) => model_of(client, zone, settled, &planned).await.map(Some),
        _ => read_back(client, zone, &id, &planned)
            .await
            .map(|read| read.map(|read| without_defaults(read, &prior, &planned))),
    };
    match (read, sent.map(|_| ())) {
        (Ok(Some(model)), Ok(())) => Applied::ok(model),
        (Ok(Some(model)), Err(d)) => Applied::failed(Some(model), d),
        // The change's own error says what happened, if there is one.
        (Ok(None), Err(d)) => Applied::failed(None, d),
        (Ok(None), Ok(())) => Applied::failed(
            None,
            api_error(
                "Instance pool vanished",
                format!("instance pool {id} no longer exists in zone {zone}"),
            ),
        ),
        (Err(_), Err(d)) | (Err(d), Ok(())) => Applied::failed(Some(prior), d),
    }
}

/// Deletes the pool and waits until it is gone. A pool already being destroyed is waited
/// for; one already gone is done. A delete whose answer was lost reads the pool first.
pub async fn delete(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    wait: &Wait,
) -> Result<(), Diagnostics> {
    let _changing = client.changing(zone, id);
    let gone_or_going =
        |pool: Option<&InstancePool>| pool.is_none_or(|p| p.state == Some(PoolState::Destroying));
    let call = || client.delete_instance_pool(zone, id);
    let sent = send(
        client,
        zone,
        id,
        "delete the instance pool",
        call,
        gone_or_going,
        wait,
    )
    .await?;
    match sent {
        Sent::Answered(Deletion::Started(op)) => {
            wait::operation_succeeded(
                client,
                zone,
                op,
                "delete",
                wait,
                "Deleting the instance pool did not complete",
            )
            .await?
        }
        Sent::Answered(Deletion::LockedByLoadBalancer {
            load_balancer_id,
            message,
        }) => {
            let holder = load_balancer_id.as_deref();
            return Err(locked_error(client, zone, id, holder, &message).await);
        }
        Sent::Answered(Deletion::AlreadyGone) | Sent::Landed(None) => return Ok(()),
        Sent::Answered(Deletion::AlreadyDestroying) | Sent::Landed(Some(_)) => {}
    }
    wait::pool_gone(client, zone, id, wait)
        .await
        .map_err(|e| wait_error("The instance pool was not deleted", e, wait))
}

/// Scales pool `id` to `size` and waits for it to settle (and, when `wait_instances`, for
/// its instances); returns the pool as the wait last saw it.
pub async fn scale(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    size: i64,
    wait_instances: bool,
    wait: &Wait,
) -> Result<InstancePool, Diagnostics> {
    let sent = send(
        client,
        zone,
        id,
        "scale the instance pool",
        || client.scale_instance_pool(zone, id, size),
        |pool| pool.is_some_and(|p| p.size == Some(size)),
        wait,
    )
    .await?;
    let doing = ("scale", "Scaling the instance pool");
    let settled = settle(client, zone, id, sent, wait, doing).await?;
    match wait_instances {
        true => wait::pool_running(client, zone, id, size, wait).await,
        false => Ok(settled),
    }
}

/// Carries out `changes` on pool `id`: the update, each reset, then the scale, each sent
/// once and waited for until the pool settles (and, after a scale, the instances too when
/// `wait_instances`). Returns the pool as the last wait saw it (None: nothing to change).
async fn send_changes(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    changes: &Changes,
    wait_instances: bool,
    wait: &Wait,
) -> Result<Option<InstancePool>, Diagnostics> {
    let mut seen = None;
    if !changes.update.is_empty() {
        let update = &changes.update;
        let sent = send(
            client,
            zone,
            id,
            "update the instance pool",
            || client.update_instance_pool(zone, id, update),
            |pool| pool.is_some_and(|p| update.is_reflected_in(p)),
            wait,
        )
        .await?;
        let doing = ("update", "Updating the instance pool");
        seen = Some(settle(client, zone, id, sent, wait, doing).await?);
    }
    for field in &changes.resets {
        let field = *field;
        let sent = send(
            client,
            zone,
            id,
            &format!("reset the pool's {}", field.path_name()),
            || client.reset_instance_pool_field(zone, id, field),
            |pool| pool.is_some_and(|p| field.is_reset_in(p)),
            wait,
        )
        .await?;
        let doing = ("reset", "Resetting a pool field");
        seen = Some(settle(client, zone, id, sent, wait, doing).await?);
    }
    if let Some(size) = changes.scale {
        seen = Some(scale(client, zone, id, size, wait_instances, wait).await?);
    }
    Ok(seen)
}

/// A pool read back after a change that may not have landed: the API may hold the prior
/// default labels or the planned ones, and neither may show in `labels` as the pool's own.
fn without_defaults(
    mut read: InstancePoolModel,
    prior: &InstancePoolModel,
    planned: &InstancePoolModel,
) -> InstancePoolModel {
    let applied =
        |m: &InstancePoolModel| labels::applied_defaults(m.labels.as_ref(), m.labels_all.known());
    if let Some(held) = read.labels_all.known() {
        let own = labels::own(
            held,
            planned.labels.as_ref(),
            &[&applied(planned), &applied(prior)],
        );
        read.labels = labels::keep_labels(&planned.labels, own);
    }
    read
}

/// Sends a change that is never repeated blindly (`what` as in "scale the instance pool"):
/// see [`crate::wait::send_change`]. A look reads the pool: while an operation runs on it (a
/// transitional state) the change waits; `landed` says whether the pool shows the change.
/// Landed returns the pool read (None: gone, for a delete).
async fn send<T, F>(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    what: &str,
    call: impl Fn() -> F,
    landed: impl Fn(Option<&InstancePool>) -> bool,
    wait: &Wait,
) -> Result<Sent<T, Option<Box<InstancePool>>>, Diagnostics>
where
    F: Future<Output = Result<T, ApiError>>,
{
    let summary = format!("Could not {what}");
    let look = || async {
        let pool = client.get_instance_pool(zone, id).await?;
        let state = pool.as_ref().and_then(|p| p.state.clone());
        let settled = state
            .as_ref()
            .is_none_or(|s| !s.is_transitional() || *s == PoolState::Destroying);
        Ok(match state {
            _ if landed(pool.as_ref()) && settled => Seen::Landed(pool.map(Box::new)),
            _ if pool.is_none() => Seen::Ended(format!("instance pool {id} no longer exists in zone {zone} (deleted outside this apply?): plan again, and Terraform will create it anew")),
            Some(PoolState::Destroying) => Seen::Ended(format!("instance pool {id} is being destroyed, outside this apply; once it is gone, plan again to create it anew")),
            Some(s) if s.is_transitional() => Seen::Busy(format!(
                "state {s}: an operation runs on the pool; the change waits for it"
            )),
            _ => Seen::Missing("the pool does not show it".to_string()),
        })
    };
    let looking = format!("the change to {what} ({id} in {zone})");
    crate::wait::send_change(&client.pacing(zone), wait, &looking, call, look)
        .await
        .map_err(|e| match e {
            Unsent::Refused(e) => change_error(&summary, &e, zone, id),
            Unsent::Lost { error, seen } => api_error(
                &summary,
                format!("{error}. The change was sent twice, both answers were lost, and {seen}: check the connection to the Exoscale API, then apply again."),
            ),
            Unsent::Unreadable(e) => api_error(&summary, e),
            Unsent::Ended(detail) => api_error(&summary, detail),
            Unsent::Waited(e) => wait_error(&summary, e, wait),
        })
}

/// After a change was sent: its operation (when the API answered one), then the pool
/// settling. Returns the settled pool.
async fn settle(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    sent: Sent<Operation, Option<Box<InstancePool>>>,
    wait: &Wait,
    (kind, doing): (&'static str, &str),
) -> Result<InstancePool, Diagnostics> {
    let summary = format!("{doing} did not complete");
    match sent {
        // A pool the API reports as failing, or in a state this provider does not know,
        // goes through the wait's rules instead (it ends with the API's reason, or waits).
        Sent::Landed(Some(pool)) if pool.failure().is_none() && !pool.state_is_unknown() => {
            return Ok(*pool)
        }
        Sent::Landed(Some(_)) => {}
        Sent::Answered(op) => {
            wait::operation_succeeded(client, zone, op, kind, wait, &summary).await?
        }
        Sent::Landed(None) => {}
    }
    wait::pool_settled(client, zone, id, wait, &summary).await
}

/// A change the API refused for good, with what to do about it.
fn change_error(summary: &str, e: &ApiError, zone: &str, id: &str) -> Diagnostics {
    let advice = match e.status {
        Some(400) => " The API refused the values sent: fix them in the configuration and apply again.".to_string(),
        Some(404) => format!(" Instance pool {id} no longer exists in zone {zone} (deleted outside this apply?): plan again, and Terraform will create it anew."),
        _ => String::new(),
    };
    Diagnostic::error(summary, format!("{e}.{advice}")).into()
}

/// The error for changing (or deleting) a pool that another service manages.
fn managed_pool_error(
    id: Option<&str>,
    manager: Option<&str>,
    kind: Option<&str>,
    action: &str,
) -> Option<Diagnostics> {
    let manager = manager?;
    let kind = kind.unwrap_or("another service");
    Some(
        Diagnostic::error(
            "Instance pool is managed by another service",
            format!(
                "Instance pool {} is managed by {kind} {manager}, so it cannot be {action} here: change it through its manager instead (or stop managing it here with `terraform state rm`).",
                id.unwrap_or("?")
            ),
        )
        .into(),
    )
}

/// The error for changing or deleting a pool that another service manages, if it is one.
pub fn managed_error(model: &InstancePoolModel, action: &str) -> Option<Diagnostics> {
    managed_pool_error(
        model.id.as_deref(),
        model.manager_id.as_deref(),
        model.manager_type.as_deref(),
        action,
    )
}

/// The warning for importing a pool that another service manages, if it is one: every
/// later change of it will be refused ([`managed_error`]).
pub fn managed_import_warning(model: &InstancePoolModel) -> Diagnostics {
    let (Some(manager), Some(id)) = (model.manager_id.as_deref(), model.id.as_deref()) else {
        return Diagnostics::new();
    };
    let kind = model.manager_type.as_deref().unwrap_or("another service");
    Diagnostic::warning(
        "Imported an instance pool another service manages",
        format!(
            "Instance pool {id} is managed by {kind} {manager}. Terraform will refuse to change or destroy it here: change it through its manager. Keep it in state only to read its attributes, or read it with the `pools_instance_pool` data source instead."
        ),
    )
    .into()
}

/// [`managed_error`] at plan, for a change of the pool whose state is `prior`.
pub fn managed_plan_error(prior: &Value) -> Option<Diagnostics> {
    let attr = |name| prior.attr(name).as_str();
    managed_pool_error(
        attr("id"),
        attr("manager_id"),
        attr("manager_type"),
        "changed",
    )
}

fn no_id() -> Diagnostics {
    api_error(
        "Instance pool has no id",
        "the state has no pool id; remove it from state (terraform state rm) and import the pool",
    )
}
