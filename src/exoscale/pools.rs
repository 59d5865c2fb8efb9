//! The steps the instance pool resource's CRUD shares: reading a pool back in the user's
//! spelling, waiting for operations and for running instances, and refusing to touch a
//! pool another service manages.

use tokio::time::Instant;

use super::client::Deletion;
use super::client::ExoscaleClient;
use super::convert;
use super::convert::{Changes, InstancePoolModel};
use super::model::{Operation, PoolState};
use super::settings::ZONES;
use crate::plugin::cty::Value;
use crate::plugin::diag::{Diagnostic, Diagnostics};
use crate::plugin::model::Tri;
use crate::plugin::plan::attr;
use crate::plugin::resource::Applied;
use crate::plugin::validators::is_uuid;
use crate::wait::{poll_until, Poll, Stop};

pub fn api_error(summary: &str, e: impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error(summary, e.to_string()).into()
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
    let api_type = pool.instance_type.as_ref().map(|t| t.id.clone());
    let shown = match api_type {
        None => current.instance_type.clone(),
        Some(t) if current.instance_type_id.known() == Some(&t) => current.instance_type.clone(),
        Some(t) if is_uuid(&current.instance_type) => t,
        Some(t) => match client.get_instance_type(zone, &t).await {
            Ok(Some(found)) if found.name().eq_ignore_ascii_case(&current.instance_type) => {
                current.instance_type.clone()
            }
            Ok(Some(found)) => found.name(),
            Ok(None) => t,
            Err(e) => return Err(api_error("Could not read the pool's instance type", e)),
        },
    };
    let mut model = convert::refreshed(current, &pool, shown);
    model.zone = Tri::Known(zone.to_string());
    Ok(Some(model))
}

/// Waits for one operation, naming what it was for in the error.
pub async fn wait_for(
    client: &ExoscaleClient,
    zone: &str,
    op: Operation,
    deadline: Instant,
    stop: &Stop,
    what: &str,
) -> Result<(), Diagnostics> {
    client
        .wait_operation(zone, op, deadline, stop)
        .await
        .map(|_| ())
        .map_err(|e| api_error(&format!("{what} did not complete"), e))
}

/// Waits until the pool is `running` with `size` instances.
pub async fn wait_running(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    size: i64,
    deadline: Instant,
    stop: &Stop,
) -> Result<(), Diagnostics> {
    let what = format!("instance pool {id} to be running with {size} instances");
    poll_until(deadline, stop, &what, || async {
        let pool = client
            .get_instance_pool(zone, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("instance pool {id} disappeared while waiting for it"))?;
        let count = pool.instances.as_ref().map_or(0, Vec::len);
        let state = pool.state.as_ref().map_or("unknown", PoolState::as_str);
        if pool.state == Some(PoolState::Running) && i64::try_from(count) == Ok(size) {
            Ok(Poll::Ready(()))
        } else {
            Ok(Poll::pending(format!("state {state}, {count} instances")))
        }
    })
    .await
    .map_err(|e: crate::wait::WaitError<String>| {
        api_error("The instance pool's instances did not start", e)
    })
}

/// Deletes the pool and waits until it is gone. A pool already being destroyed (409) is
/// waited for; one already gone is done.
pub async fn delete(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    deadline: Instant,
    stop: &Stop,
) -> Result<(), Diagnostics> {
    match client.delete_instance_pool(zone, id).await {
        Ok(Deletion::Started(op)) => {
            wait_for(
                client,
                zone,
                op,
                deadline,
                stop,
                "Deleting the instance pool",
            )
            .await?
        }
        Ok(Deletion::AlreadyDestroying) => {}
        Ok(Deletion::AlreadyGone) => return Ok(()),
        Err(e) => return Err(api_error("Could not delete the instance pool", e)),
    }
    client
        .wait_instance_pool_gone(zone, id, deadline, stop)
        .await
        .map_err(|e| api_error("The instance pool was not deleted", e))
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
    let id = attr(identity, "id").as_str()?;
    Some(match attr(identity, "zone").as_str() {
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
/// for (and, after a scale, the instances too when `wait_instances`).
pub async fn apply_changes(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    changes: &Changes,
    wait_instances: bool,
    deadline: Instant,
    stop: &Stop,
) -> Result<(), Diagnostics> {
    if !changes.update.is_empty() {
        let op = client
            .update_instance_pool(zone, id, &changes.update)
            .await
            .map_err(|e| api_error("Could not update the instance pool", e))?;
        wait_for(
            client,
            zone,
            op,
            deadline,
            stop,
            "Updating the instance pool",
        )
        .await?;
    }
    for field in &changes.resets {
        let op = client
            .reset_instance_pool_field(zone, id, *field)
            .await
            .map_err(|e| {
                api_error(
                    &format!("Could not reset the pool's {}", field.path_name()),
                    e,
                )
            })?;
        wait_for(client, zone, op, deadline, stop, "Resetting a pool field").await?;
    }
    if let Some(size) = changes.scale {
        let op = client
            .scale_instance_pool(zone, id, size)
            .await
            .map_err(|e| api_error("Could not scale the instance pool", e))?;
        wait_for(
            client,
            zone,
            op,
            deadline,
            stop,
            "Scaling the instance pool",
        )
        .await?;
        if wait_instances {
            wait_running(client, zone, id, size, deadline, stop).await?;
        }
    }
    Ok(())
}

/// Everything after a create call named the new pool (`state`, planned values plus its id
/// and zone): wait for the operation (and the instances), then read the pool back. Every
/// outcome records the pool, so nothing the API created is lost.
pub async fn created(
    client: &ExoscaleClient,
    zone: &str,
    op: Operation,
    state: InstancePoolModel,
    wait_instances: bool,
    deadline: Instant,
    stop: &Stop,
) -> Applied<InstancePoolModel> {
    let Some(id) = state.id.known().cloned() else {
        return Applied::failed(None, no_id());
    };
    let waited = match wait_for(
        client,
        zone,
        op,
        deadline,
        stop,
        "Creating the instance pool",
    )
    .await
    {
        Ok(()) if wait_instances => {
            wait_running(client, zone, &id, state.size, deadline, stop).await
        }
        other => other,
    };
    let read = match waited {
        Ok(()) => read_back(client, zone, &id, &state).await,
        Err(d) => Err(d),
    };
    match read {
        Ok(Some(model)) => Applied::ok(model),
        Ok(None) => Applied::failed(
            Some(convert::settled(state)),
            api_error(
                "Instance pool vanished",
                format!("instance pool {id} was created but no longer exists in zone {zone}"),
            ),
        ),
        Err(d) => Applied::failed(Some(convert::settled(state)), d),
    }
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
