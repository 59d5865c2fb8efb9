//! The steps the instance pool resource's CRUD shares: reading a pool back in the user's
//! spelling, sending changes without blind repeats, waiting for operations and for the
//! pool to settle, and refusing to touch a pool another service manages.

use std::fmt;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};

use super::model;
use super::model::{Changes, InstancePoolModel};
use super::settings::ZONES;
use crate::exoscale::api::client::{Deletion, ExoscaleClient, OperationError};
use crate::exoscale::api::wire::{InstancePool, Operation, PoolState};
use crate::http::ApiError;
use crate::plugin::cty::Value;
use crate::plugin::diag::{Diagnostic, Diagnostics};
use crate::plugin::model::Tri;
use crate::plugin::validators::is_uuid;
use crate::wait::{poll_paced, Poll, Seen, Sent, Unsent, Wait, WaitError};

pub fn api_error(summary: &str, e: impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error(summary, e.to_string()).into()
}

/// A wait that ended without its result; a timeout says what to do next.
pub fn wait_error<E: fmt::Display>(summary: &str, e: WaitError<E>, wait: &Wait) -> Diagnostics {
    let timed_out = matches!(e, WaitError::TimedOut { .. });
    let mut detail = match e {
        // A change waits in steps (the operation, then the pool); the time that ran out is
        // the whole timeout, not the last step's share of it.
        WaitError::TimedOut {
            what, last_seen, ..
        } => WaitError::<E>::TimedOut {
            what,
            after: wait.limit,
            last_seen,
        }
        .to_string(),
        other => other.to_string(),
    };
    if timed_out {
        detail.push_str(&format!(
            ". The pool is left as the API holds it. If the API needs longer than `timeouts.{}` ({}), raise it; otherwise check the pool in the Exoscale console, then apply again.",
            wait.timeout,
            crate::wait::human(wait.limit)
        ));
    }
    Diagnostic::error(summary, detail).into()
}

/// A value the looks of one poll loop share: a `Cell` that is `Sync`, as the resource's
/// futures must be `Send`. Never held across an await.
pub struct Slot<T>(Mutex<T>);

impl<T: Clone> Slot<T> {
    pub fn new(value: T) -> Self {
        Slot(Mutex::new(value))
    }

    pub fn get(&self) -> T {
        self.lock().clone()
    }

    pub fn set(&self, value: T) {
        *self.lock() = value;
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How a failed call that is never repeated blindly may be followed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Sent, without a usable answer: the API may have acted on it.
    Lost,
    /// Refused for now (429, 5xx, or the connection never opened): asking again may work.
    Transient,
    /// Asking again will not help.
    Final,
}

pub fn failure(e: &ApiError) -> Failure {
    if e.is_outcome_unknown() {
        Failure::Lost
    } else if e.is_transient() {
        Failure::Transient
    } else {
        Failure::Final
    }
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

/// Sends a change that is never repeated blindly (`what` as in "scale the instance pool"):
/// see [`crate::wait::send_change`]. A look reads the pool: while an operation runs on it (a
/// transitional state) the change waits; `landed` says whether the pool shows the change.
/// Landed returns the pool read (None: gone, for a delete).
pub async fn send_change<T, F>(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    what: &str,
    send: impl Fn() -> F,
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
    crate::wait::send_change(&client.pacing(zone), wait, &looking, send, look)
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

/// Waits for one operation of a change of `kind` (`create`, `scale`, ...); `summary` says
/// what did not complete.
pub async fn wait_for(
    client: &ExoscaleClient,
    zone: &str,
    op: Operation,
    kind: &'static str,
    wait: &Wait,
    summary: &str,
) -> Result<(), Diagnostics> {
    match client
        .wait_operation_of(zone, op, kind, wait)
        .await
    {
        Ok(_) => Ok(()),
        Err(WaitError::Failed(e @ OperationError::Unsuccessful(_))) => Err(api_error(
            summary,
            format!("{e}. Check the reason the API gives, fix it if it lies in the configuration, and apply again: the next plan starts from the pool as the API holds it."),
        )),
        Err(e) => Err(wait_error(summary, e, wait)),
    }
}

/// Why a pool could not be waited for, besides time and stop.
enum Settling {
    Gone,
    Api(ApiError),
}

impl fmt::Display for Settling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Settling::Gone => f.write_str("the pool no longer exists"),
            Settling::Api(e) => e.fmt(f),
        }
    }
}

/// Polls the pool until `ready` says it is what the wait is for, riding out transient
/// errors; a vanished pool ends the wait.
async fn poll_pool(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    what: &str,
    kind: &'static str,
    ready: impl Fn(&InstancePool) -> Result<(), String>,
    wait: &Wait,
) -> Result<InstancePool, WaitError<Settling>> {
    let pacing = client.pacing(zone).kind(kind);
    poll_paced(&pacing, wait, what, || async {
        match client.get_instance_pool(zone, id).await {
            Ok(Some(pool)) => Ok(match ready(&pool) {
                Ok(()) => Poll::Ready(pool),
                Err(seen) => Poll::pending(seen),
            }),
            Ok(None) => Err(Settling::Gone),
            Err(e) => e.into_pending().map_err(Settling::Api),
        }
    })
    .await
}

fn settling_error(
    summary: &str,
    e: WaitError<Settling>,
    id: &str,
    zone: &str,
    wait: &Wait,
) -> Diagnostics {
    match e {
        WaitError::Failed(Settling::Gone) => api_error(
            "Instance pool vanished",
            format!("instance pool {id} no longer exists in zone {zone} (deleted outside this apply?); plan again to create it anew"),
        ),
        other => wait_error(summary, other, wait),
    }
}

fn state_text(pool: &InstancePool) -> String {
    pool.state
        .as_ref()
        .map_or_else(|| "unknown".to_string(), ToString::to_string)
}

/// Waits until the pool has left its transitional states (the operation on it has ended,
/// whatever the operation said) and returns it.
pub async fn wait_settled(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    wait: &Wait,
    summary: &str,
) -> Result<InstancePool, Diagnostics> {
    let what = format!("instance pool {id} to leave its transitional state");
    let settled = |pool: &InstancePool| match &pool.state {
        Some(state) if state.is_transitional() => Err(format!("state {state}")),
        _ => Ok(()),
    };
    poll_pool(client, zone, id, &what, "settle", settled, wait)
        .await
        .map_err(|e| settling_error(summary, e, id, zone, wait))
}

/// Waits until the pool is `running` with `size` instances, and returns it.
pub async fn wait_running(
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
    poll_pool(client, zone, id, &what, "instances", running, wait)
        .await
        .map_err(|e| {
            settling_error(
                "The instance pool's instances did not start",
                e,
                id,
                zone,
                wait,
            )
        })
}

/// After a change was sent: its operation (when the API answered one), then the pool
/// settling. Returns the settled pool.
async fn finish_change(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    sent: Sent<Operation, Option<Box<InstancePool>>>,
    wait: &Wait,
    (kind, doing): (&'static str, &str),
) -> Result<InstancePool, Diagnostics> {
    let summary = format!("{doing} did not complete");
    match sent {
        Sent::Landed(Some(pool)) => return Ok(*pool),
        Sent::Answered(op) => wait_for(client, zone, op, kind, wait, &summary).await?,
        Sent::Landed(None) => {}
    }
    wait_settled(client, zone, id, wait, &summary).await
}

/// Deletes the pool and waits until it is gone. A pool already being destroyed is waited
/// for; one already gone is done. A delete whose answer was lost reads the pool first.
pub async fn delete(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    wait: &Wait,
) -> Result<(), Diagnostics> {
    let gone_or_going =
        |pool: Option<&InstancePool>| pool.is_none_or(|p| p.state == Some(PoolState::Destroying));
    let send = || client.delete_instance_pool(zone, id);
    let sent = send_change(
        client,
        zone,
        id,
        "delete the instance pool",
        send,
        gone_or_going,
        wait,
    )
    .await?;
    match sent {
        Sent::Answered(Deletion::Started(op)) => {
            wait_for(
                client,
                zone,
                op,
                "delete",
                wait,
                "Deleting the instance pool did not complete",
            )
            .await?
        }
        Sent::Answered(Deletion::AlreadyGone) | Sent::Landed(None) => return Ok(()),
        Sent::Answered(Deletion::AlreadyDestroying) | Sent::Landed(Some(_)) => {}
    }
    client
        .wait_instance_pool_gone(zone, id, wait)
        .await
        .map_err(|e| wait_error("The instance pool was not deleted", e, wait))
}

/// The error for changing (or deleting) a pool that another service manages.
pub fn managed_pool_error(
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

/// Reads the pool and maps it onto `current`'s spelling. None: the pool is gone.
pub async fn read_back(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    current: &InstancePoolModel,
) -> Result<Option<InstancePoolModel>, Diagnostics> {
    let Some(pool) = client
        .get_instance_pool(zone, id)
        .await
        .map_err(|e| api_error("Could not read the instance pool", e))?
    else {
        return Ok(None);
    };
    model_of(client, zone, &pool, current).await.map(Some)
}

/// `pool` as the resource's model, in `current`'s spelling.
pub async fn model_of(
    client: &ExoscaleClient,
    zone: &str,
    pool: &InstancePool,
    current: &InstancePoolModel,
) -> Result<InstancePoolModel, Diagnostics> {
    let api_type = pool.instance_type.as_ref().map(|t| t.id.clone());
    let shown = match api_type {
        None => current.instance_type.clone(),
        Some(t) if current.instance_type_id.known() == Some(&t) => current.instance_type.clone(),
        Some(t) if is_uuid(&current.instance_type) => t,
        Some(t) => match client.instance_type_by_id(zone, &t).await {
            Ok(Some(found)) if found.name().eq_ignore_ascii_case(&current.instance_type) => {
                current.instance_type.clone()
            }
            Ok(Some(found)) => found.name(),
            Ok(None) => t,
            Err(e) => return Err(api_error("Could not read the pool's instance type", e)),
        },
    };
    let mut model = model::refreshed(current, pool, shown);
    model.zone = Tri::Known(zone.to_string());
    model.instances = Tri::Known(members(client, zone, pool).await?);
    Ok(model)
}

/// The pool's instances, in one `GET /instance?manager-id=` call (none for an empty pool).
pub async fn members(
    client: &ExoscaleClient,
    zone: &str,
    pool: &InstancePool,
) -> Result<Vec<model::Member>, Diagnostics> {
    let (Some(id), false) = (
        pool.id.as_deref(),
        pool.instances.iter().flatten().next().is_none(),
    ) else {
        return Ok(Vec::new());
    };
    let mut listed = client
        .list_pool_instances(zone, id)
        .await
        .map_err(|e| api_error("Could not list the pool's instances", e))?;
    listed.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(listed.iter().map(model::Member::from).collect())
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

/// Parses an import id: `<id>` or `<id>@<zone>`.
pub fn parse_import_id(text: &str) -> Result<(&str, Option<&str>), Diagnostics> {
    let (id, zone) = match text.trim().split_once('@') {
        Some((id, zone)) => (id, Some(zone)),
        None => (text.trim(), None),
    };
    if is_uuid(id) && zone.is_none_or(|z| ZONES.contains(&z)) {
        return Ok((id, zone));
    }
    Err(Diagnostic::error(
        "Invalid import id",
        format!(
            "Expected `<pool id>` or `<pool id>@<zone>`, such as `01234567-89ab-cdef-0123-456789abcdef@ch-gva-2`, where the zone is one of {}; got {text:?}.",
            ZONES.join(", ")
        ),
    )
    .into())
}

/// The import id an identity `{id, zone}` stands for: the inverse of [`parse_import_id`].
pub fn import_id_of(identity: &Value) -> Option<String> {
    let id = identity.attr("id").as_str()?;
    Some(match identity.attr("zone").as_str() {
        Some(zone) => format!("{id}@{zone}"),
        None => id.to_string(),
    })
}

pub fn no_id() -> Diagnostics {
    api_error(
        "Instance pool has no id",
        "the state has no pool id; remove it from state (terraform state rm) and import the pool",
    )
}

/// Carries out `changes` on pool `id`: the update, each reset, then the scale, each waited
/// for until the pool settles (and, after a scale, the instances too when
/// `wait_instances`). Returns the pool as the last wait saw it (None: nothing to change).
pub async fn apply_changes(
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
        let sent = send_change(
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
        seen = Some(finish_change(client, zone, id, sent, wait, doing).await?);
    }
    for field in &changes.resets {
        let field = *field;
        let sent = send_change(
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
        seen = Some(finish_change(client, zone, id, sent, wait, doing).await?);
    }
    if let Some(size) = changes.scale {
        let sent = send_change(
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
        seen = Some(finish_change(client, zone, id, sent, wait, doing).await?);
        if wait_instances {
            seen = Some(wait_running(client, zone, id, size, wait).await?);
        }
    }
    Ok(seen)
}

/// [`read_back`], bounded by the resource's read timeout.
pub async fn read_within(
    limit: std::time::Duration,
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    current: &InstancePoolModel,
) -> Result<Option<InstancePoolModel>, Diagnostics> {
    tokio::time::timeout(limit, read_back(client, zone, id, current))
        .await
        .unwrap_or_else(|_| {
            Err(api_error(
                "Timed out reading the instance pool",
                format!(
                    "instance pool {id} could not be read within {} (timeouts.read); the state is kept as it was",
                    crate::wait::human(limit)
                ),
            ))
        })
}
