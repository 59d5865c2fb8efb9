//! Reading a pool back into the resource's model: the pool and its members, the instance
//! type in the user's spelling, within the read timeout; and the import id that names the
//! pool to read.

use std::time::Duration;

use super::diagnostics::api_error;
use super::model::{self, InstancePoolModel, Member};
use super::settings::ZONES;
use crate::exoscale::api::wire::InstancePool;
use crate::exoscale::api::ExoscaleClient;
use crate::plugin::validators::is_uuid;
use crate::plugin::{Diagnostic, Diagnostics, Tri, Value};
use crate::wait::human;

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
    let mut read = model::refreshed(current, pool, shown);
    read.zone = Tri::Known(zone.to_string());
    read.instances = Tri::Known(members(client, zone, pool).await?);
    Ok(read)
}

/// The pool's instances, in one `GET /instance?manager-id=` call (none for an empty pool).
pub async fn members(
    client: &ExoscaleClient,
    zone: &str,
    pool: &InstancePool,
) -> Result<Vec<Member>, Diagnostics> {
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
    Ok(listed.iter().map(Member::from).collect())
}

/// [`read_back`], bounded by the resource's read timeout.
pub async fn read_within(
    limit: Duration,
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
                    human(limit)
                ),
            ))
        })
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
