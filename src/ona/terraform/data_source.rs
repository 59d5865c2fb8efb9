//! The `pools_warm_pool` data source (one pool, by id or by project and environment class)
//! and `pools_warm_pools` (every pool matching optional filters, across all pages).

use async_trait::async_trait;

use super::descriptions as doc;
use super::diagnostics::api_error;
use super::model::{phase_name, pool_sizes};
use super::read::{find_pool, list_pools};
use super::settings::{Ona, API_SETTINGS};
use crate::ona::api::wire::{WarmPool, WarmPoolPhase};
use crate::plugin::{
    validators, AttrPath, Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type,
    Value,
};

crate::model! {
    /// One warm pool as the data sources show it.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct WarmPoolView {
        pub id: Option<String>,
        pub project_id: Option<String>,
        pub environment_class_id: Option<String>,
        pub min_size: Option<i64>,
        pub max_size: Option<i64>,
        pub phase: Option<String>,
        pub failure_message: Option<String>,
        pub running_instances: Option<i64>,
        pub stopped_instances: Option<i64>,
        pub desired_size: Option<i64>,
        pub snapshot_id: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }
}

impl From<&WarmPool> for WarmPoolView {
    fn from(pool: &WarmPool) -> Self {
        let sizes = pool_sizes(pool);
        let text = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        WarmPoolView {
            id: text(&pool.id),
            project_id: text(&pool.metadata.project_id),
            environment_class_id: text(&pool.metadata.environment_class_id),
            min_size: sizes.map(|s| s.0),
            max_size: sizes.map(|s| s.1),
            phase: Some(phase_name(&pool.status.phase).to_string()),
            failure_message: text(&pool.status.failure_message),
            running_instances: Some(pool.status.running_instances.into()),
            stopped_instances: Some(pool.status.stopped_instances.into()),
            desired_size: Some(pool.status.desired_size.into()),
            snapshot_id: pool.spec.snapshot_id.as_deref().and_then(text),
            created_at: pool.metadata.created_at.clone(),
            updated_at: pool.metadata.updated_at.clone(),
        }
    }
}

/// The attributes of [`WarmPoolView`]; `lookup` makes the three ids optional inputs
/// (the single-pool data source), otherwise everything is computed.
fn view_block(description: &str, lookup: bool) -> Block {
    let input = |a: Attribute, text: &str| {
        let a = a.describe(text);
        if lookup {
            a.optional_computed().validate(validators::uuid())
        } else {
            a.computed()
        }
    };
    let read = |a: Attribute, text: &str| a.computed().describe(text);
    Block::new(description)
        .attribute(input(Attribute::string("id"), doc::LOOKUP_ID))
        .attribute(input(
            Attribute::string("project_id"),
            doc::LOOKUP_PROJECT_ID,
        ))
        .attribute(input(
            Attribute::string("environment_class_id"),
            doc::LOOKUP_ENVIRONMENT_CLASS_ID,
        ))
        .attribute(read(Attribute::int("min_size"), doc::SEEN_MIN_SIZE))
        .attribute(read(Attribute::int("max_size"), doc::SEEN_MAX_SIZE))
        .attribute(read(Attribute::string("phase"), doc::PHASE))
        .attribute(read(
            Attribute::string("failure_message"),
            doc::FAILURE_MESSAGE,
        ))
        .attribute(read(
            Attribute::int("running_instances"),
            doc::RUNNING_INSTANCES,
        ))
        .attribute(read(
            Attribute::int("stopped_instances"),
            doc::STOPPED_INSTANCES,
        ))
        .attribute(read(Attribute::int("desired_size"), doc::SEEN_DESIRED_SIZE))
        .attribute(read(
            Attribute::string("snapshot_id"),
            doc::SEEN_SNAPSHOT_ID,
        ))
        .attribute(read(Attribute::string("created_at"), doc::CREATED_AT))
        .attribute(read(Attribute::string("updated_at"), doc::UPDATED_AT))
}

fn is_set(value: &Value) -> bool {
    !matches!(value, Value::Null)
}

fn not_found(detail: String) -> Diagnostics {
    Diagnostic::error("Warm pool not found", detail).into()
}

pub struct WarmPoolDataSource;

#[async_trait]
impl DataSource for WarmPoolDataSource {
    type Model = WarmPoolView;

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    fn type_name(&self) -> &'static str {
        "pools_warm_pool"
    }

    fn schema(&self) -> Schema {
        Schema::new(view_block(doc::ONE_POOL, true))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let id = is_set(config.attr("id"));
        let project = is_set(config.attr("project_id"));
        let class = is_set(config.attr("environment_class_id"));
        let how = "Set either `id`, or both `project_id` and `environment_class_id`.";
        match (id, project, class) {
            (true, false, false) | (false, true, true) => {}
            (true, _, _) => diags.error_at(
                AttrPath::attrs(&["id"]),
                "Conflicting warm pool lookup",
                format!(
                    "`id` cannot be combined with `project_id` or `environment_class_id`. {how}"
                ),
            ),
            (false, false, false) => diags.error(
                "Missing warm pool lookup",
                format!("Nothing identifies the warm pool. {how}"),
            ),
            (false, true, false) => diags.error_at(
                AttrPath::attrs(&["environment_class_id"]),
                "Missing environment_class_id",
                format!("`project_id` alone does not identify a warm pool. {how}"),
            ),
            (false, false, true) => diags.error_at(
                AttrPath::attrs(&["project_id"]),
                "Missing project_id",
                format!("`environment_class_id` alone does not identify a warm pool. {how}"),
            ),
        }
    }

    async fn read(&self, ctx: &Ctx, config: WarmPoolView) -> Result<WarmPoolView, Diagnostics> {
        let client = Ona::client(ctx)?;
        let pool = match (&config.id, &config.project_id, &config.environment_class_id) {
            (Some(id), _, _) => client
                .get_warm_pool(id)
                .await
                .map_err(|e| api_error("Cannot read the warm pool", &e))?
                .ok_or_else(|| {
                    Diagnostics::from(
                        Diagnostic::error(
                            "Warm pool not found",
                            format!("There is no warm pool with id {id}."),
                        )
                        .at(AttrPath::attrs(&["id"])),
                    )
                })?,
            (None, Some(project), Some(class)) => find_pool(client, project, class)
                .await
                .map_err(|e| api_error("Cannot list warm pools", &e))?
                .ok_or_else(|| {
                    not_found(format!(
                        "There is no warm pool for project {project} and environment class {class}."
                    ))
                })?,
            _ => {
                return Err(Diagnostic::error(
                    "Missing warm pool lookup",
                    "Set either `id`, or both `project_id` and `environment_class_id`.",
                )
                .into())
            }
        };
        let mut view = WarmPoolView::from(&pool);
        // Keep the lookup values as configured (UUIDs may differ in case only).
        view.id = config.id.or(view.id);
        view.project_id = config.project_id.or(view.project_id);
        view.environment_class_id = config.environment_class_id.or(view.environment_class_id);
        Ok(view)
    }
}

crate::model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct WarmPoolsModel {
        pub project_ids: Option<Vec<String>>,
        pub environment_class_ids: Option<Vec<String>>,
        pub ids: Option<Vec<String>>,
        pub warm_pools: Option<Vec<WarmPoolView>>,
    }
}

pub struct WarmPoolsDataSource;

#[async_trait]
impl DataSource for WarmPoolsDataSource {
    type Model = WarmPoolsModel;

    fn settings(&self) -> &'static [&'static str] {
        API_SETTINGS
    }

    fn type_name(&self) -> &'static str {
        "pools_warm_pools"
    }

    fn schema(&self) -> Schema {
        let pool_type = view_block("", false).ty();
        let ids = |name| {
            Attribute::set(name, Type::String)
                .optional()
                .validate(validators::each(validators::uuid()))
        };
        Schema::new(
            Block::new(doc::POOLS)
                .attribute(ids("project_ids").describe(doc::FILTER_PROJECT_IDS))
                .attribute(ids("environment_class_ids").describe(doc::FILTER_ENVIRONMENT_CLASS_IDS))
                .attribute(
                    Attribute::list("ids", Type::String)
                        .computed()
                        .describe(doc::IDS),
                )
                .attribute(
                    Attribute::list("warm_pools", pool_type)
                        .computed()
                        .describe(doc::WARM_POOLS),
                ),
        )
    }

    async fn read(&self, ctx: &Ctx, config: WarmPoolsModel) -> Result<WarmPoolsModel, Diagnostics> {
        let client = Ona::client(ctx)?;
        let projects = config.project_ids.as_deref().unwrap_or_default();
        let classes = config.environment_class_ids.as_deref().unwrap_or_default();
        let pools = list_pools(client, projects, classes)
            .await
            .map_err(|e| api_error("Cannot list warm pools", &e))?;
        // Pools already deleted are history, not inventory.
        let views: Vec<WarmPoolView> = pools
            .iter()
            .filter(|p| p.status.phase != WarmPoolPhase::Deleted)
            .map(WarmPoolView::from)
            .collect();
        Ok(WarmPoolsModel {
            ids: Some(views.iter().filter_map(|v| v.id.clone()).collect()),
            warm_pools: Some(views),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::data_source;
    use crate::testing::{n, s, Harness};
    use pools_sandbox::ona::fixtures::{
        CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID, PROJECT_NO_PREBUILDS_ID, SNAPSHOT_ID,
    };

    fn object(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn set(ids: &[&str]) -> Value {
        Value::Set(ids.iter().map(|id| s(id)).collect())
    }

    /// Two pools: (project, small) with sizes 0..2 and (project, large) with 1..1.
    async fn two_pools(h: &Harness) -> (WarmPool, WarmPool) {
        let client = Ona::client(&h.ctx).expect("client");
        let small = client
            .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 0, 2)
            .await
            .expect("create small");
        let large = client
            .create_warm_pool(PROJECT_ID, CLASS_LARGE_ID, 1, 1)
            .await
            .expect("create large");
        (small, large)
    }

    #[tokio::test]
    async fn one_pool_by_id_or_by_pair() {
        let h = Harness::start().await;
        let (small, _) = two_pools(&h).await;
        let ds = data_source(WarmPoolDataSource);

        let (by_id, diags) = h.read_data(&*ds, &object(&[("id", s(&small.id))])).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(by_id.attr("project_id"), &s(PROJECT_ID));
        assert_eq!(by_id.attr("environment_class_id"), &s(CLASS_SMALL_ID));
        assert_eq!(by_id.attr("min_size"), &n(0));
        assert_eq!(by_id.attr("max_size"), &n(2));
        assert_eq!(by_id.attr("phase"), &s("PENDING"));
        assert_eq!(by_id.attr("snapshot_id"), &s(SNAPSHOT_ID));
        assert_eq!(by_id.attr("failure_message"), &Value::Null);

        let pair = object(&[
            ("project_id", s(PROJECT_ID)),
            ("environment_class_id", s(CLASS_SMALL_ID)),
        ]);
        let (by_pair, diags) = h.read_data(&*ds, &pair).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(by_pair.attr("id"), &s(&small.id));
        assert_eq!(by_pair.attr("max_size"), &n(2));

        let missing = object(&[
            ("project_id", s(PROJECT_NO_PREBUILDS_ID)),
            ("environment_class_id", s(CLASS_SMALL_ID)),
        ]);
        let (_, diags) = h.read_data(&*ds, &missing).await;
        assert!(
            diags
                .to_string()
                .contains("There is no warm pool for project"),
            "{diags}"
        );
        let (_, diags) = h
            .read_data(
                &*ds,
                &object(&[("id", s("0f000000-0000-4000-8000-000000000009"))]),
            )
            .await;
        assert!(
            diags.to_string().contains("no warm pool with id"),
            "{diags}"
        );
        assert_eq!(diags.0[0].path, Some(AttrPath::attrs(&["id"])));
    }

    #[test]
    fn the_lookup_is_exactly_one_way() {
        let ds = data_source(WarmPoolDataSource);
        let schema_ty = ds.schema().block.ty();
        let validate = |attrs: &[(&str, Value)]| {
            let config = crate::plugin::conform(object(attrs), &schema_ty);
            ds.validate(&config)
        };
        let id = ("id", s("0f000000-0000-4000-8000-000000000001"));
        let project = ("project_id", s(PROJECT_ID));
        let class = ("environment_class_id", s(CLASS_SMALL_ID));
        assert!(validate(std::slice::from_ref(&id)).is_empty());
        assert!(validate(&[project.clone(), class.clone()]).is_empty());
        let unknown = ("id", Value::Unknown(Default::default()));
        assert!(validate(&[unknown]).is_empty());

        let d = validate(&[id.clone(), project.clone()]);
        assert!(
            d.to_string().contains("Conflicting warm pool lookup"),
            "{d}"
        );
        assert!(validate(&[])
            .to_string()
            .contains("Missing warm pool lookup"));
        let d = validate(&[project]);
        assert_eq!(
            d.0[0].path,
            Some(AttrPath::attrs(&["environment_class_id"]))
        );
        let d = validate(&[class]);
        assert_eq!(d.0[0].path, Some(AttrPath::attrs(&["project_id"])));
        let d = validate(&[("id", s("wp-1"))]);
        assert_eq!(d.0[0].path, Some(AttrPath::attrs(&["id"])));
    }

    #[tokio::test]
    async fn list_with_filters_reads_every_pool() {
        let h = Harness::start().await;
        let (small, large) = two_pools(&h).await;
        let ds = data_source(WarmPoolsDataSource);
        let ids = |v: &Value| v.attr("ids").clone();

        let (all, diags) = h.read_data(&*ds, &object(&[])).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(ids(&all), Value::List(vec![s(&small.id), s(&large.id)]));
        let Value::List(pools) = all.attr("warm_pools") else {
            panic!("warm_pools is not a list")
        };
        assert_eq!((pools[1]).attr("environment_class_id"), &s(CLASS_LARGE_ID));
        assert_eq!((pools[1]).attr("min_size"), &n(1));
        assert_eq!((pools[0]).attr("phase"), &s("PENDING"));

        let by_class = object(&[("environment_class_ids", set(&[CLASS_LARGE_ID]))]);
        let (found, _) = h.read_data(&*ds, &by_class).await;
        assert_eq!(ids(&found), Value::List(vec![s(&large.id)]));
        // The filter is echoed as configured.
        assert_eq!(found.attr("environment_class_ids"), &set(&[CLASS_LARGE_ID]));

        let by_both = object(&[
            ("project_ids", set(&[PROJECT_ID])),
            ("environment_class_ids", set(&[CLASS_SMALL_ID])),
        ]);
        let (found, _) = h.read_data(&*ds, &by_both).await;
        assert_eq!(ids(&found), Value::List(vec![s(&small.id)]));

        let none = object(&[("project_ids", set(&[PROJECT_NO_PREBUILDS_ID]))]);
        let (found, diags) = h.read_data(&*ds, &none).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(ids(&found), Value::List(vec![]));
        assert_eq!(found.attr("warm_pools"), &Value::List(vec![]));
    }
}
