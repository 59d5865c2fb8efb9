//! `list "pools_warm_pool"`: the warm pools of some projects and environment classes (all
//! the token can see when no filter is given), for `terraform query`.

use async_trait::async_trait;

use super::diagnostics::api_error;
use super::model::{is_going, WarmPoolModel};
use super::read::list_pools;
use super::settings::{Ona, API_SETTINGS};
use crate::plugin::{
    validators, Attribute, Block, Ctx, Diagnostics, ListResource, Listed, Schema, Type,
};

crate::model! {
    /// The `config` block of `list "pools_warm_pool"`.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct WarmPoolListFilter {
        pub project_ids: Option<Vec<String>>,
        pub environment_class_ids: Option<Vec<String>>,
    }
}

pub struct WarmPoolList;

#[async_trait]
impl ListResource for WarmPoolList {
    type Config = WarmPoolListFilter;
    type Model = WarmPoolModel;

    fn type_name(&self) -> &'static str {
        "pools_warm_pool"
    }

    fn schema(&self) -> Schema {
        let ids = |name: &str, what: &str| {
            Attribute::set(name, Type::String)
                .optional()
                .describe(&format!("Only warm pools of these {what} (UUIDs)."))
                .validate(validators::each(validators::uuid()))
        };
        Schema::new(
            Block::new("Finds warm pools.")
                .attribute(ids("project_ids", "projects"))
                .attribute(ids("environment_class_ids", "environment classes")),
        )
    }

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    async fn list(
        &self,
        ctx: &Ctx,
        filter: WarmPoolListFilter,
        limit: usize,
    ) -> Result<Vec<Listed<WarmPoolModel>>, Diagnostics> {
        let client = Ona::client(ctx)?;
        let projects = filter.project_ids.unwrap_or_default();
        let classes = filter.environment_class_ids.unwrap_or_default();
        let pools = list_pools(client, &projects, &classes)
            .await
            .map_err(|e| api_error("Cannot list warm pools", &e))?;
        Ok(pools
            .into_iter()
            .filter(|p| !is_going(&p.status.phase))
            .take(limit)
            .map(|pool| {
                // As an import would show it.
                let state = WarmPoolModel::imported(&pool);
                Listed {
                    display_name: format!(
                        "warm pool {} (project {}, environment class {})",
                        pool.id, pool.metadata.project_id, pool.metadata.environment_class_id
                    ),
                    state,
                }
            })
            .collect())
    }
}
