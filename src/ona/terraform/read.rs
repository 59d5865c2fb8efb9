//! Reading warm pools back from the API.

use crate::http::ApiError;
use crate::ona::api::client::OnaClient;
use crate::ona::api::wire::{WarmPool, WarmPoolFilter};

/// The pool of a (project, environment class) pair, if there is one (the API keeps at most
/// one). The ids compare regardless of case, as UUIDs do.
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
