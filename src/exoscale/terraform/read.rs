//! Reading a pool back into the resource's model: the pool and its members, the instance
//! type in the user's spelling, within the read timeout; when a refresh reads many pools of
//! a zone, from the zone's shared lists instead ([`refresh`]);
//! and the import id that names the pool to read.

use std::sync::Arc;
use std::time::Duration;

use super::diagnostics::api_error;
use super::model::{self, InstancePoolModel, Member};
use super::settings::ZONES;
use crate::exoscale::api::wire::{Instance, InstancePool};
use crate::exoscale::api::zone_lists::Listing;
use crate::exoscale::api::ExoscaleClient;
use crate::plugin::validators::is_uuid;
use crate::plugin::{Diagnostic, Diagnostics, Tri, Value};
use crate::wait::human;

/// How many pools of a zone a provider configuration reads one by one before it lists the
/// zone: a configuration with one or two pools in a zone costs what it always did, two calls
/// each, however many pools the zone holds.
pub const READS_BEFORE_LISTING: usize = 2;

/// Reads the pool and maps it onto `current`'s spelling. None: the pool is gone.
pub async fn read_back(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    current: &InstancePoolModel,
) -> Result<Option<InstancePoolModel>, Diagnostics> {
    let Some(pool) = get(client, zone, id).await? else {
        return Ok(None);
    };
    model_of(client, zone, &pool, current).await.map(Some)
}

/// A refresh's read: from the zone's lists when they may stand for the pool, else by the
/// pool's own calls (the rules: `descriptions::refreshing_many_pools`). None: the pool is
/// gone.
pub async fn refresh(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    current: &InstancePoolModel,
) -> Result<Option<InstancePoolModel>, Diagnostics> {
    let lists = client.zone_lists();
    let noted = lists.note_read(zone, id);
    if noted.again {
        // A pool read before asks for the present.
        return read_back(client, zone, id, current).await;
    }
    let serves = |listing: &Arc<Listing>| lists.serves(zone, listing, id);
    // A failed listing leaves each read its own calls.
    let listing = if noted.earlier >= READS_BEFORE_LISTING {
        client.zone_listing(zone).await.ok().filter(serves)
    } else {
        None
    };
    if let Some(read) = listing
        .as_deref()
        .and_then(|l| confirmed(zone, id, l, current))
    {
        return Ok(Some(read));
    }
    let Some(pool) = get(client, zone, id).await? else {
        return Ok(None);
    };
    let shown = shown_type(client, zone, &pool, current).await?;
    // A listing under way by now (none is taken for this) may give the members.
    let listing = match listing {
        Some(listing) => Some(listing),
        None => lists.latest(zone).await.filter(serves),
    };
    let members = match listing.as_deref().and_then(|l| l.members_of(&pool)) {
        Some(listed) => sorted(listed),
        None => members(client, zone, &pool).await?,
    };
    Ok(Some(assemble(current, zone, &pool, shown, members)))
}

/// The pool as `listing` shows it, when that is exactly `current`; None when the listing
/// does not show it, or shows it otherwise.
fn confirmed(
    zone: &str,
    id: &str,
    listing: &Listing,
    current: &InstancePoolModel,
) -> Option<InstancePoolModel> {
    let pool = listing.pool(id).filter(|p| listed_in_full(p))?;
    // Another type would need the catalogue to name it: a change all the same.
    let listed_type = pool.instance_type.as_ref().map(|t| &t.id);
    if listed_type.is_none() || listed_type != current.instance_type_id.known() {
        return None;
    }
    let members = sorted(listing.members_of(pool)?);
    let read = assemble(current, zone, pool, current.instance_type.clone(), members);
    (read == *current).then_some(read)
}

/// Whether a listed pool carries every field a pool's own `GET` always does. A read keeps
/// the state's value where the API leaves one out (model::refreshed), which is right for a
/// `GET` but would hide drift if a list left fields out: such an item is read with a `GET`.
/// The API documents list items with the same schema as the `GET` (openapi.json of PyPI
/// `exoscale` 0.16.4), so this only guards against an API that trims them.
fn listed_in_full(pool: &InstancePool) -> bool {
    pool.id.is_some()
        && pool.name.is_some()
        && pool.size.is_some()
        && pool.state.is_some()
        && pool.template.is_some()
        && pool.disk_size.is_some()
        && pool.instance_type.is_some()
        && pool.instances.is_some()
        && pool.public_ip_assignment.is_some()
        && pool.ipv6_enabled.is_some()
}

async fn get(
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
) -> Result<Option<InstancePool>, Diagnostics> {
    client
        .get_instance_pool(zone, id)
        .await
        .map_err(|e| api_error("Could not read the instance pool", e))
}

/// `pool` as the resource's model, in `current`'s spelling.
pub async fn model_of(
    client: &ExoscaleClient,
    zone: &str,
    pool: &InstancePool,
    current: &InstancePoolModel,
) -> Result<InstancePoolModel, Diagnostics> {
    let shown = shown_type(client, zone, pool, current).await?;
    let members = members(client, zone, pool).await?;
    Ok(assemble(current, zone, pool, shown, members))
}

/// The pool's instance type as `instance_type` shows it: `current`'s spelling when it names
/// the same type, else the type's name (or id, as the user wrote an id).
async fn shown_type(
    client: &ExoscaleClient,
    zone: &str,
    pool: &InstancePool,
    current: &InstancePoolModel,
) -> Result<String, Diagnostics> {
    let api_type = pool.instance_type.as_ref().map(|t| t.id.clone());
    Ok(match api_type {
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
    })
}

fn assemble(
    current: &InstancePoolModel,
    zone: &str,
    pool: &InstancePool,
    shown_type: String,
    members: Vec<Member>,
) -> InstancePoolModel {
    let mut read = model::refreshed(current, pool, shown_type);
    read.zone = Tri::Known(zone.to_string());
    read.instances = Tri::Known(members);
    read
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
    let listed = client
        .list_pool_instances(zone, id)
        .await
        .map_err(|e| api_error("Could not list the pool's instances", e))?;
    Ok(sorted(listed.iter().collect()))
}

/// Members by name, then id, as `instances` shows them.
fn sorted(mut listed: Vec<&Instance>) -> Vec<Member> {
    listed.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    listed.into_iter().map(Member::from).collect()
}

/// [`refresh`], bounded by the resource's read timeout.
pub async fn read_within(
    limit: Duration,
    client: &ExoscaleClient,
    zone: &str,
    id: &str,
    current: &InstancePoolModel,
) -> Result<Option<InstancePoolModel>, Diagnostics> {
    tokio::time::timeout(limit, refresh(client, zone, id, current))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A list item missing any field a `GET` always carries is not read from the list.
    #[test]
    fn only_list_items_with_every_field_stand_for_a_read() {
        let full = serde_json::json!({
            "id": "p1", "name": "web", "size": 1, "state": "running",
            "template": {"id": "t"}, "disk-size": 10, "instance-type": {"id": "i"},
            "instances": [{"id": "m1"}], "public-ip-assignment": "inet4",
            "ipv6-enabled": false
        });
        let pool = |value: &serde_json::Value| -> InstancePool {
            serde_json::from_value(value.clone()).unwrap()
        };
        assert!(listed_in_full(&pool(&full)));
        for field in full.as_object().unwrap().keys() {
            let mut trimmed = full.clone();
            trimmed.as_object_mut().unwrap().remove(field);
            assert!(!listed_in_full(&pool(&trimmed)), "without {field}");
        }
    }
}
