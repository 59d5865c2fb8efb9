//! Reading warm pools back from the API: the pool in state (refresh), the pool an import
//! names, the pool of a (project, environment class) pair, and the pools of some projects
//! and environment classes.

use super::diagnostics::api_error;
use super::model::{is_going, WarmPoolModel};
use crate::http::ApiError;
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::{WarmPool, WarmPoolFilter};
use crate::plugin::{validators, Diagnostic, Diagnostics};

/// The pool in `current` as the API has it now; None when it is gone. A pool being deleted
/// outside Terraform is as good as gone: the next plan creates it anew.
pub async fn read(
    client: &OnaClient,
    mut current: WarmPoolModel,
) -> Result<Option<WarmPoolModel>, Diagnostics> {
    let Some(id) = current.id.known().cloned() else {
        return Ok(None);
    };
    match client.get_warm_pool(&id).await {
        Ok(None) => Ok(None),
        Ok(Some(pool)) if is_going(&pool.status.phase) => Ok(None),
        Ok(Some(pool)) => {
            current.observe(&pool);
            Ok(Some(current))
        }
        Err(e) => Err(api_error("Cannot read the warm pool", &e)),
    }
}

/// The warm pool id an import names: a UUID.
pub fn import_id(text: &str) -> Result<&str, Diagnostics> {
    let id = text.trim();
    if !validators::is_uuid(id) {
        return Err(Diagnostic::error(
            "Invalid import id",
            format!("A warm pool is imported by its id, a UUID like 01234567-89ab-cdef-0123-456789abcdef; got {id:?}."),
        )
        .into());
    }
    Ok(id)
}

/// The pool with id `id`, as an import records it.
pub async fn import(client: &OnaClient, id: &str) -> Result<WarmPoolModel, Diagnostics> {
    match client.get_warm_pool(id).await {
        Ok(Some(pool)) if !is_going(&pool.status.phase) => Ok(WarmPoolModel::imported(&pool)),
        Ok(_) => Err(Diagnostic::error(
            "Cannot import the warm pool",
            format!("There is no warm pool with id {id} (or it is being deleted)."),
        )
        .into()),
        Err(e) => Err(api_error("Cannot import the warm pool", &e)),
    }
}

/// The pool of a (project, environment class) pair, if there is one (the API keeps at most
/// one). The ids compare regardless of case, as UUIDs do.
pub async fn find_pool(
    client: &OnaClient,
    project: &str,
    class: &str,
) -> Result<Option<WarmPool>, ApiError> {
    let pools = list_pools(client, &[project.to_string()], &[class.to_string()]).await?;
    Ok(pools.into_iter().find(|p| {
        p.metadata.project_id.eq_ignore_ascii_case(project)
            && p.metadata.environment_class_id.eq_ignore_ascii_case(class)
    }))
}

/// Every pool of these projects and environment classes (an empty list means any), across
/// all pages. The ids are sent in lower case (UUIDs compare regardless of case).
pub async fn list_pools(
    client: &OnaClient,
    project_ids: &[String],
    environment_class_ids: &[String],
) -> Result<Vec<WarmPool>, ApiError> {
    let lower = |ids: &[String]| ids.iter().map(|id| id.to_ascii_lowercase()).collect();
    let filter = WarmPoolFilter {
        project_ids: lower(project_ids),
        environment_class_ids: lower(environment_class_ids),
    };
    client.list_warm_pools(&filter).await
}
