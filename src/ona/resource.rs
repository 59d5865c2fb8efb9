//! The `pools_warm_pool` resource: one Ona prebuild warm pool per (project, environment
//! class), sized by `min_size`/`max_size`, with waits on the pool's phase.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::client::OnaClient;
use super::model::{WarmPool, WarmPoolFilter, WarmPoolPhase};
use crate::http::ApiError;
use crate::plugin::cty::{Number, Value};
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::resource::{attr, timeouts_block, Applied, Ctx, Plan, Resource, Timeouts};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::validators;
use crate::provider::ProviderData;
use crate::wait::{poll_until, Poll, Stop, WaitError};

pub const MIN_SIZE_RANGE: (i64, i64) = (0, 20);
pub const MAX_SIZE_RANGE: (i64, i64) = (1, 20);
const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

/// Attributes the API changes on its own (and on every size change): planned unknown when
/// the sizes change, kept from the prior state otherwise.
const OBSERVED: &[&str] = &[
    "phase",
    "running_instances",
    "stopped_instances",
    "desired_size",
    "snapshot_id",
    "updated_at",
];

crate::model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct WarmPoolModel {
        pub id: Option<String>,
        pub project_id: String,
        pub environment_class_id: String,
        pub min_size: Option<i64>,
        pub max_size: Option<i64>,
        pub wait_for_ready: Option<bool>,
        pub phase: Option<String>,
        pub running_instances: Option<i64>,
        pub stopped_instances: Option<i64>,
        pub desired_size: Option<i64>,
        pub snapshot_id: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
        pub timeouts: Option<Timeouts>,
    }
}

impl WarmPoolModel {
    /// Takes everything the API reports. Ids the user spelled in another case keep the
    /// user's spelling, so a re-plan shows no change.
    fn observe(&mut self, pool: &WarmPool) {
        self.id = Some(pool.id.clone());
        keep_spelling(&mut self.project_id, &pool.metadata.project_id);
        keep_spelling(
            &mut self.environment_class_id,
            &pool.metadata.environment_class_id,
        );
        if let Some((min, max)) = pool_sizes(pool) {
            self.min_size = Some(min);
            self.max_size = Some(max);
        }
        self.phase = Some(phase_name(pool.status.phase).to_string());
        self.running_instances = Some(pool.status.running_instances.into());
        self.stopped_instances = Some(pool.status.stopped_instances.into());
        self.desired_size = Some(pool.status.desired_size.into());
        self.snapshot_id = pool.spec.snapshot_id.clone().filter(|s| !s.is_empty());
        self.created_at = pool.metadata.created_at.clone();
        self.updated_at = pool.metadata.updated_at.clone();
    }

    /// Copies the API-maintained values of `other` (an update that changes no size).
    fn keep_observed(&mut self, other: &WarmPoolModel) {
        self.id.clone_from(&other.id);
        self.phase.clone_from(&other.phase);
        self.running_instances = other.running_instances;
        self.stopped_instances = other.stopped_instances;
        self.desired_size = other.desired_size;
        self.snapshot_id.clone_from(&other.snapshot_id);
        self.created_at.clone_from(&other.created_at);
        self.updated_at.clone_from(&other.updated_at);
    }

    fn sizes(&self) -> (i64, i64) {
        effective_sizes(self.min_size, self.max_size)
    }
}

fn keep_spelling(mine: &mut String, api: &str) {
    if !api.is_empty() && !mine.eq_ignore_ascii_case(api) {
        *mine = api.to_string();
    }
}

/// (min, max) as the pool reports them; pools created with the deprecated `desiredSize`
/// only may report that instead (the API migrates them to min = max = desired).
pub(crate) fn pool_sizes(pool: &WarmPool) -> Option<(i64, i64)> {
    let desired = Some(pool.spec.desired_size).filter(|d| *d > 0);
    let min = pool.spec.min_size.or(desired)?;
    let max = pool.spec.max_size.or(desired)?;
    Some((min.into(), max.into()))
}

/// The sizes the API settles on when given only some of them. The API documents no
/// defaults; these are the sandbox's documented choice (none: 1/1; only min N: max
/// max(N, 1); only max: min 1). The provider always sends both, so the plan is exact.
pub fn effective_sizes(min: Option<i64>, max: Option<i64>) -> (i64, i64) {
    match (min, max) {
        (Some(min), Some(max)) => (min, max),
        (Some(min), None) => (min, min.max(1)),
        (None, Some(max)) => (1, max),
        (None, None) => (1, 1),
    }
}

/// The phase as users read and compare it: `READY` rather than `WARM_POOL_PHASE_READY`.
pub(crate) fn phase_name(phase: WarmPoolPhase) -> &'static str {
    let full = phase.as_str();
    full.strip_prefix("WARM_POOL_PHASE_").unwrap_or(full)
}

fn is_going(phase: WarmPoolPhase) -> bool {
    matches!(phase, WarmPoolPhase::Deleting | WarmPoolPhase::Deleted)
}

fn uuid_eq(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::String(a), Value::String(b)) if a.eq_ignore_ascii_case(b))
}

fn number(n: i64) -> Value {
    Value::Number(Number::from_i64(n))
}

pub(crate) fn ona(ctx: &Ctx) -> Result<&OnaClient, Diagnostics> {
    ctx.data::<ProviderData>()?.ona()
}

pub(crate) fn api_error(summary: &str, error: &impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error(summary, error.to_string()).into()
}

fn to_i32(value: i64, name: &str) -> Result<i32, Diagnostics> {
    i32::try_from(value).map_err(|_| {
        Diagnostic::error(
            format!("Invalid value for {name}"),
            format!("{name} is out of range: {value}"),
        )
        .at(AttrPath::attrs(&[name]))
        .into()
    })
}

/// min_size <= max_size when both are known: one diagnostic on each path.
fn check_size_order(config: &Value, diags: &mut Diagnostics) {
    let known = |name| attr(config, name).as_i64();
    if let (Some(min), Some(max)) = (known("min_size"), known("max_size")) {
        if min > max {
            let detail = format!(
                "min_size must be less than or equal to max_size; got min_size = {min} and max_size = {max}."
            );
            for name in ["min_size", "max_size"] {
                diags.error_at(
                    AttrPath::attrs(&[name]),
                    "Invalid warm pool size range",
                    detail.clone(),
                );
            }
        }
    }
}

/// The planned (min, max) for the configured values, which may be null or unknown.
fn planned_sizes(min: &Value, max: &Value) -> (Value, Value) {
    let known = |v: &Value| match v {
        Value::Null => Some(None),
        Value::Number(n) => n.as_i64().map(Some),
        _ => None,
    };
    match (known(min), known(max)) {
        (Some(min), Some(max)) => {
            let (min, max) = effective_sizes(min, max);
            (number(min), number(max))
        }
        // One of them is unknown: the other follows from it when it is null.
        _ => {
            let unknown = Value::Unknown(Default::default());
            let min_planned = match min {
                Value::Null => number(1),
                other => other.clone(),
            };
            let max_planned = match max {
                Value::Null => unknown,
                other => other.clone(),
            };
            (min_planned, max_planned)
        }
    }
}

/// How a wait for READY ended without reaching it.
struct WaitFailure {
    /// The pool as last seen (None when it vanished).
    last: Option<WarmPool>,
    diagnostics: Diagnostics,
}

enum Settled {
    Ready(WarmPool),
    Degraded(WarmPool),
    Gone,
}

/// Polls the pool until it is READY. DEGRADED ends the wait with the API's failure message;
/// so does the pool vanishing, a timeout, or Terraform asking to stop.
async fn wait_until_ready(
    client: &OnaClient,
    id: &str,
    deadline: Instant,
    stop: &Stop,
) -> Result<WarmPool, WaitFailure> {
    let last = Mutex::new(None::<WarmPool>);
    let seen = &last;
    let what = format!("warm pool {id} to be READY");
    let outcome = poll_until(deadline, stop, &what, move || async move {
        Ok::<_, ApiError>(match client.get_warm_pool(id).await? {
            None => Poll::Ready(Settled::Gone),
            Some(pool) => match pool.status.phase {
                WarmPoolPhase::Ready => Poll::Ready(Settled::Ready(pool)),
                WarmPoolPhase::Degraded => Poll::Ready(Settled::Degraded(pool)),
                phase if is_going(phase) => Poll::Ready(Settled::Gone),
                phase => {
                    let note = format!("phase {}", phase_name(phase));
                    *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(pool);
                    Poll::pending(note)
                }
            },
        })
    })
    .await;
    let last = last.into_inner().unwrap_or_else(|e| e.into_inner());
    match outcome {
        Ok(Settled::Ready(pool)) => Ok(pool),
        Ok(Settled::Degraded(pool)) => {
            let message = match pool.status.failure_message.as_str() {
                "" => "the API gave no failure message".to_string(),
                m => m.to_string(),
            };
            let diagnostics = Diagnostic::error(
                "Warm pool is degraded",
                format!(
                    "Warm pool {id} went to phase DEGRADED instead of READY: {message}\n\nThe pool exists and is kept in the Terraform state. Fix the cause, then apply again (or set wait_for_ready = false to stop waiting for READY)."
                ),
            )
            .into();
            Err(WaitFailure {
                last: Some(pool),
                diagnostics,
            })
        }
        Ok(Settled::Gone) => Err(WaitFailure {
            last: None,
            diagnostics: Diagnostic::error(
                "Warm pool disappeared",
                format!("Warm pool {id} was deleted while waiting for it to become READY (outside Terraform, or because prebuilds were disabled for its project or environment class)."),
            )
            .into(),
        }),
        Err(e) => {
            let summary = match e {
                WaitError::TimedOut { .. } => "Timed out waiting for the warm pool",
                WaitError::Stopped { .. } => "Stopped while waiting for the warm pool",
                WaitError::Failed(_) => "Cannot read the warm pool",
            };
            let detail = match e {
                WaitError::TimedOut { .. } => format!("{e}. The pool exists and is kept in the Terraform state; raise timeouts if it needs longer."),
                _ => e.to_string(),
            };
            Err(WaitFailure {
                last,
                diagnostics: Diagnostic::error(summary, detail).into(),
            })
        }
    }
}

/// The error for a create that found the (project, class) pair taken, with the way to adopt
/// the existing pool.
fn already_exists(project: &str, class: &str, existing: &str) -> Diagnostics {
    Diagnostic::error(
        "Warm pool already exists",
        format!(
            "A warm pool already exists for project {project} and environment class {class} (id {existing}); there can be only one per project and environment class.\n\nTo manage it with Terraform, import it, replacing NAME with this resource's name:\n\n  terraform import 'pools_warm_pool.NAME' {existing}\n\nor with an import block:\n\n  import {{\n    to = pools_warm_pool.NAME\n    id = \"{existing}\"\n  }}"
        ),
    )
    .into()
}

pub(crate) async fn find_pool(
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

pub struct WarmPoolResource;

impl WarmPoolResource {
    /// Creates the pool. When the pair is taken by a pool on its way out, waits for it to go
    /// and tries once more; a live pool is reported with the import hint.
    async fn create_pool(
        &self,
        client: &OnaClient,
        planned: &WarmPoolModel,
        deadline: Instant,
        stop: &Stop,
    ) -> Result<WarmPool, Diagnostics> {
        let (project, class) = (&planned.project_id, &planned.environment_class_id);
        let (min, max) = planned.sizes();
        let (min, max) = (to_i32(min, "min_size")?, to_i32(max, "max_size")?);
        let error = match client.create_warm_pool(project, class, min, max).await {
            Ok(pool) => return Ok(pool),
            Err(e) if e.code.as_deref() == Some("already_exists") => e,
            Err(e) => return Err(api_error("Cannot create the warm pool", &e)),
        };
        let existing = match find_pool(client, project, class).await {
            Ok(Some(pool)) => pool,
            Ok(None) | Err(_) => return Err(api_error("Cannot create the warm pool", &error)),
        };
        if !is_going(existing.status.phase) {
            return Err(already_exists(project, class, &existing.id));
        }
        client
            .wait_warm_pool_gone(&existing.id, deadline, stop)
            .await
            .map_err(|e| api_error("Cannot create the warm pool", &e))?;
        client
            .create_warm_pool(project, class, min, max)
            .await
            .map_err(|e| api_error("Cannot create the warm pool", &e))
    }

    /// Waits for READY when asked to; the state always reflects the latest pool seen.
    async fn settle(
        &self,
        client: &OnaClient,
        mut state: WarmPoolModel,
        pool: WarmPool,
        deadline: Instant,
        stop: &Stop,
    ) -> Applied<WarmPoolModel> {
        state.observe(&pool);
        if state.wait_for_ready == Some(false) || pool.status.phase == WarmPoolPhase::Ready {
            return Applied::ok(state);
        }
        match wait_until_ready(client, &pool.id, deadline, stop).await {
            Ok(ready) => {
                state.observe(&ready);
                Applied::ok(state)
            }
            Err(WaitFailure {
                last: Some(last),
                diagnostics,
            }) => {
                state.observe(&last);
                Applied::failed(Some(state), diagnostics)
            }
            Err(WaitFailure {
                last: None,
                diagnostics,
            }) => Applied::failed(None, diagnostics),
        }
    }
}

fn uuid_attribute(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .required()
        .requires_replace()
        .semantic_eq(uuid_eq)
        .validate(validators::uuid())
        .describe(description)
}

#[async_trait]
impl Resource for WarmPoolResource {
    type Model = WarmPoolModel;

    fn type_name(&self) -> &'static str {
        "pools_warm_pool"
    }

    fn schema(&self) -> Schema {
        let (min_lo, min_hi) = MIN_SIZE_RANGE;
        let (max_lo, max_hi) = MAX_SIZE_RANGE;
        let block = Block::new(
            "An Ona (formerly Gitpod) prebuild warm pool: environments pre-created from the latest prebuild of a project for one environment class, so new environments start near-instantly. There is at most one warm pool per project and environment class.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .describe("The warm pool's id (a UUID)."),
        )
        .attribute(uuid_attribute(
            "project_id",
            "The project whose prebuilds the pool warms (a UUID). The project must have prebuilds enabled. Changing it replaces the pool.",
        ))
        .attribute(uuid_attribute(
            "environment_class_id",
            "The environment class to warm (a UUID). It must be in the project's prebuild configuration. Changing it replaces the pool.",
        ))
        .attribute(
            Attribute::int("min_size")
                .optional_computed()
                .validate(validators::int_between(min_lo, min_hi))
                .describe(&format!(
                    "The fewest warm instances to keep, from {min_lo} to {min_hi}; at most `max_size`. `0` allows scaling down fully. Default: `1`."
                )),
        )
        .attribute(
            Attribute::int("max_size")
                .optional_computed()
                .validate(validators::int_between(max_lo, max_hi))
                .describe(&format!(
                    "The most warm instances to keep, from {max_lo} to {max_hi}; at least `min_size`. Default: `min_size` (or `1` when that is `0` or unset)."
                )),
        )
        .attribute(
            Attribute::bool("wait_for_ready")
                .default(Value::Bool(true))
                .describe("Whether create and update wait until the pool is `READY`. A pool that turns `DEGRADED` ends the wait with its failure message. Default: `true`."),
        )
        .attribute(
            Attribute::string("phase")
                .computed()
                .describe("The pool's lifecycle phase: `PENDING`, `READY`, `DEGRADED`, `DELETING` (or `UNSPECIFIED`)."),
        )
        .attribute(
            Attribute::int("running_instances")
                .computed()
                .describe("How many warm instances are running, ready to be claimed."),
        )
        .attribute(
            Attribute::int("stopped_instances")
                .computed()
                .describe("How many pre-provisioned instances are stopped, used to backfill running ones faster."),
        )
        .attribute(
            Attribute::int("desired_size")
                .computed()
                .describe("The number of instances the autoscaler currently aims for, between `min_size` and `max_size`."),
        )
        .attribute(
            Attribute::string("snapshot_id")
                .computed()
                .describe("The prebuild snapshot the pool warms; null until a prebuild has completed. Ona rotates it when a newer prebuild completes."),
        )
        .attribute(
            Attribute::string("created_at")
                .computed()
                .use_state_for_unknown()
                .describe("When the pool was created (RFC 3339)."),
        )
        .attribute(
            Attribute::string("updated_at")
                .computed()
                .describe("When the pool was last changed (RFC 3339)."),
        )
        .block(timeouts_block(
            &["create", "update", "delete"],
            &[CREATE_TIMEOUT, UPDATE_TIMEOUT, DELETE_TIMEOUT],
        ));
        Schema::new(block)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_size_order(config, diags);
    }

    async fn modify_plan(&self, _ctx: &Ctx, plan: &mut Plan) -> Diagnostics {
        if matches!(plan.planned, Value::Null) {
            return Diagnostics::new();
        }
        let (min, max) = planned_sizes(plan.config("min_size"), plan.config("max_size"));
        plan.set_planned("min_size", min);
        plan.set_planned("max_size", max);
        if plan.is_create() || !plan.requires_replace.is_empty() {
            return Diagnostics::new();
        }
        let resized = ["min_size", "max_size"]
            .iter()
            .any(|name| !plan.planned(name).same_as(plan.prior(name)));
        for name in OBSERVED {
            let value = if resized {
                Value::Unknown(Default::default())
            } else {
                // No API call happens: what the API maintains stays as last read.
                plan.prior(name).clone()
            };
            plan.set_planned(name, value);
        }
        Diagnostics::new()
    }

    async fn create(&self, ctx: &Ctx, planned: WarmPoolModel) -> Applied<WarmPoolModel> {
        let client = match ona(ctx) {
            Ok(c) => c,
            Err(d) => return Applied::failed(None, d),
        };
        let deadline = Instant::now() + Timeouts::of(&planned.timeouts, "create", CREATE_TIMEOUT);
        match self
            .create_pool(client, &planned, deadline, &ctx.stop)
            .await
        {
            Ok(pool) => {
                self.settle(client, planned, pool, deadline, &ctx.stop)
                    .await
            }
            Err(d) => Applied::failed(None, d),
        }
    }

    async fn read(
        &self,
        ctx: &Ctx,
        mut current: WarmPoolModel,
    ) -> Result<Option<WarmPoolModel>, Diagnostics> {
        let client = ona(ctx)?;
        let Some(id) = current.id.clone() else {
            return Ok(None);
        };
        match client.get_warm_pool(&id).await {
            // A pool being deleted outside Terraform is as good as gone: plan to re-create.
            Ok(None) => Ok(None),
            Ok(Some(pool)) if is_going(pool.status.phase) => Ok(None),
            Ok(Some(pool)) => {
                current.observe(&pool);
                Ok(Some(current))
            }
            Err(e) => Err(api_error("Cannot read the warm pool", &e)),
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: WarmPoolModel,
        planned: WarmPoolModel,
    ) -> Applied<WarmPoolModel> {
        let client = match ona(ctx) {
            Ok(c) => c,
            Err(d) => return Applied::failed(Some(prior), d),
        };
        let mut state = planned;
        state.keep_observed(&prior);
        let (min, max) = state.sizes();
        if (Some(min), Some(max)) == (prior.min_size, prior.max_size) {
            // Only Terraform-side settings (wait_for_ready, timeouts) changed.
            return Applied::ok(state);
        }
        let Some(id) = prior.id.clone() else {
            return Applied::failed(
                Some(prior),
                Diagnostic::error(
                    "Warm pool has no id",
                    "The state of this warm pool has no pool id, so there is no pool to update. Remove it from the state (`terraform state rm`) and import the pool by its id.",
                ),
            );
        };
        let sizes = to_i32(min, "min_size").and_then(|min| Ok((min, to_i32(max, "max_size")?)));
        let (min, max) = match sizes {
            Ok(s) => s,
            Err(d) => return Applied::failed(Some(prior), d),
        };
        let deadline = Instant::now() + Timeouts::of(&state.timeouts, "update", UPDATE_TIMEOUT);
        match client.update_warm_pool(&id, min, max).await {
            Ok(pool) => self.settle(client, state, pool, deadline, &ctx.stop).await,
            Err(e) => Applied::failed(Some(prior), api_error("Cannot update the warm pool", &e)),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: WarmPoolModel) -> Diagnostics {
        let client = match ona(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let Some(id) = prior.id.as_deref() else {
            return Diagnostics::new();
        };
        let deadline = Instant::now() + Timeouts::of(&prior.timeouts, "delete", DELETE_TIMEOUT);
        if let Err(e) = client.delete_warm_pool(id).await {
            return api_error("Cannot delete the warm pool", &e);
        }
        match client.wait_warm_pool_gone(id, deadline, &ctx.stop).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => api_error("The warm pool is not gone yet", &e),
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<WarmPoolModel, Diagnostics> {
        let id = id.trim();
        if !validators::is_uuid(id) {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("A warm pool is imported by its id, a UUID like 01234567-89ab-cdef-0123-456789abcdef; got {id:?}."),
            )
            .into());
        }
        let client = ona(ctx)?;
        let pool = match client.get_warm_pool(id).await {
            Ok(Some(pool)) if !is_going(pool.status.phase) => pool,
            Ok(_) => {
                return Err(Diagnostic::error(
                    "Cannot import the warm pool",
                    format!("There is no warm pool with id {id} (or it is being deleted)."),
                )
                .into())
            }
            Err(e) => return Err(api_error("Cannot import the warm pool", &e)),
        };
        let mut model = WarmPoolModel {
            wait_for_ready: Some(true),
            ..WarmPoolModel::default()
        };
        model.observe(&pool);
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::resource::{resource, AnyResource};
    use crate::testing::{id_of, n, s, Harness};
    use pools_sandbox::ona::fixtures::{CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID, SNAPSHOT_ID};
    use pools_sandbox::FaultRule;

    fn config(attrs: &[(&str, Value)]) -> Value {
        let mut all = vec![
            ("project_id", s(PROJECT_ID)),
            ("environment_class_id", s(CLASS_SMALL_ID)),
        ];
        all.extend(attrs.iter().cloned());
        Value::Object(all.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn get<'a>(state: &'a Value, name: &str) -> &'a Value {
        attr(state, name)
    }

    fn errors(diags: &Diagnostics) -> String {
        diags.to_string()
    }

    fn unknown() -> Value {
        Value::Unknown(Default::default())
    }

    fn warm_pool() -> Box<dyn AnyResource> {
        resource(WarmPoolResource)
    }

    #[tokio::test]
    async fn create_waits_for_ready_and_replans_clean() {
        let h = Harness::start().await;
        let r = warm_pool();
        let cfg = config(&[]);
        let plan = h.plan(&*r, &Value::Null, &cfg).await;
        assert!(!plan.diagnostics.has_errors(), "{}", plan.diagnostics);
        assert_eq!(get(&plan.planned, "min_size"), &n(1));
        assert_eq!(get(&plan.planned, "max_size"), &n(1));
        assert_eq!(get(&plan.planned, "wait_for_ready"), &Value::Bool(true));
        assert_eq!(get(&plan.planned, "id"), &unknown());

        let state = h.converge(&*r, &Value::Null, &cfg).await;
        assert!(validators::is_uuid(&id_of(&state)));
        assert_eq!(get(&state, "phase"), &s("READY"));
        assert_eq!(get(&state, "running_instances"), &n(1));
        assert_eq!(get(&state, "snapshot_id"), &s(SNAPSHOT_ID));
        assert_eq!(get(&state, "min_size"), &n(1));
        assert_eq!(get(&state, "max_size"), &n(1));
        assert!(matches!(get(&state, "created_at"), Value::String(_)));
        // Sent explicitly: the create carries both sizes.
        assert_eq!(h.calls("CreateWarmPool"), 1);

        let replan = h.plan(&*r, &state, &cfg).await;
        assert_eq!(replan.planned, state);
        assert!(replan.requires_replace.is_empty());
        let (refreshed, diags) = h.read(&*r, &state).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(refreshed, state);
    }

    #[tokio::test]
    async fn sizes_left_out_are_planned_as_the_api_will_set_them() {
        let h = Harness::start().await;
        let r = warm_pool();
        let cases = [
            (Value::Null, n(3), n(1), n(3)),
            (n(3), Value::Null, n(3), n(3)),
            (n(0), Value::Null, n(0), n(1)),
            (n(0), n(4), n(0), n(4)),
            (unknown(), Value::Null, unknown(), unknown()),
            (Value::Null, unknown(), n(1), unknown()),
        ];
        for (min, max, want_min, want_max) in cases {
            let cfg = config(&[("min_size", min.clone()), ("max_size", max.clone())]);
            let plan = h.plan(&*r, &Value::Null, &cfg).await;
            assert_eq!(get(&plan.planned, "min_size"), &want_min, "{min:?}/{max:?}");
            assert_eq!(get(&plan.planned, "max_size"), &want_max, "{min:?}/{max:?}");
        }
        // Planning alone calls nothing.
        assert!(h.sandbox.requests().routes().is_empty());

        // A planned min 0 reaches the API as 0 (not omitted) and the state matches the plan.
        let cfg = config(&[("min_size", n(0))]);
        let state = h.converge(&*r, &Value::Null, &cfg).await;
        assert_eq!(get(&state, "min_size"), &n(0));
        assert_eq!(get(&state, "max_size"), &n(1));
        assert_eq!(get(&state, "running_instances"), &n(0));
        assert_eq!(h.plan(&*r, &state, &cfg).await.planned, state);
    }

    #[tokio::test]
    async fn resizing_is_one_update_call_and_removing_sizes_returns_to_defaults() {
        let h = Harness::start().await;
        let r = warm_pool();
        let first = config(&[("min_size", n(0)), ("max_size", n(3))]);
        let state = h.converge(&*r, &Value::Null, &first).await;
        let id = id_of(&state);

        let second = config(&[("min_size", n(2)), ("max_size", n(5))]);
        let plan = h.plan(&*r, &state, &second).await;
        assert!(plan.requires_replace.is_empty());
        assert_eq!(get(&plan.planned, "phase"), &unknown());
        assert_eq!(get(&plan.planned, "id"), &s(&id));
        assert_eq!(get(&plan.planned, "created_at"), get(&state, "created_at"));
        h.sandbox.requests().clear();
        let (state, diags) = h.apply(&*r, &state, &plan.planned).await;
        assert!(!diags.has_errors(), "{diags}");
        let routes = h.sandbox.requests().routes();
        assert_eq!(h.calls("UpdateWarmPool"), 1, "{routes:?}");
        assert!(routes
            .iter()
            .all(|r| *r == "UpdateWarmPool" || *r == "GetWarmPool"));
        assert_eq!(id_of(&state), id);
        assert_eq!(get(&state, "min_size"), &n(2));
        assert_eq!(get(&state, "max_size"), &n(5));
        assert_eq!(get(&state, "phase"), &s("READY"));
        assert_eq!(get(&state, "running_instances"), &n(2));
        assert_eq!(h.plan(&*r, &state, &second).await.planned, state);

        // Leaving the sizes out again plans the defaults, not the old values.
        let plan = h.plan(&*r, &state, &config(&[])).await;
        assert_eq!(get(&plan.planned, "min_size"), &n(1));
        assert_eq!(get(&plan.planned, "max_size"), &n(1));
    }

    #[tokio::test]
    async fn terraform_only_settings_change_without_api_calls() {
        let h = Harness::start().await;
        let r = warm_pool();
        let state = h.converge(&*r, &Value::Null, &config(&[])).await;
        let cfg = config(&[("wait_for_ready", Value::Bool(false))]);
        let plan = h.plan(&*r, &state, &cfg).await;
        // Nothing the API maintains can change: the plan keeps it.
        for name in OBSERVED {
            assert_eq!(get(&plan.planned, name), get(&state, name), "{name}");
        }
        h.sandbox.requests().clear();
        let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(after, plan.planned);
        assert!(h.sandbox.requests().routes().is_empty());
    }

    #[tokio::test]
    async fn wait_for_ready_false_returns_while_pending() {
        let h = Harness::start().await;
        let r = warm_pool();
        let cfg = config(&[("wait_for_ready", Value::Bool(false))]);
        let state = h.converge(&*r, &Value::Null, &cfg).await;
        assert_eq!(get(&state, "phase"), &s("PENDING"));
        assert_eq!(h.calls("GetWarmPool"), 0);
    }

    #[tokio::test]
    async fn changing_the_project_or_class_replaces_but_case_does_not() {
        let h = Harness::start().await;
        let r = warm_pool();
        let state = h.converge(&*r, &Value::Null, &config(&[])).await;
        let other = config(&[("environment_class_id", s(CLASS_LARGE_ID))]);
        let plan = h.plan(&*r, &state, &other).await;
        assert_eq!(
            plan.requires_replace,
            vec![AttrPath::attrs(&["environment_class_id"])]
        );
        let moved = config(&[("project_id", s(&PROJECT_ID.replace('c', "C")))]);
        let plan = h.plan(&*r, &state, &moved).await;
        assert!(plan.requires_replace.is_empty());
        assert_eq!(plan.planned, state);
        let other_project = config(&[(
            "project_id",
            s(pools_sandbox::ona::fixtures::PROJECT_NO_PREBUILDS_ID),
        )]);
        let plan = h.plan(&*r, &state, &other_project).await;
        assert_eq!(
            plan.requires_replace,
            vec![AttrPath::attrs(&["project_id"])]
        );
    }

    #[tokio::test]
    async fn degraded_pool_fails_with_its_message_and_stays_in_state() {
        let h = Harness::start().await;
        h.sandbox.faults().add(
            FaultRule::parse("CreateWarmPool=degraded:runner out of capacity").expect("fault"),
        );
        let r = warm_pool();
        let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
        let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
        assert!(diags.has_errors());
        assert!(errors(&diags).contains("runner out of capacity"), "{diags}");
        assert!(errors(&diags).contains("DEGRADED"), "{diags}");
        assert!(validators::is_uuid(&id_of(&state)));
        assert_eq!(get(&state, "phase"), &s("DEGRADED"));
    }

    #[tokio::test]
    async fn an_update_that_degrades_keeps_the_new_sizes_in_state() {
        let h = Harness::start().await;
        let r = warm_pool();
        let state = h.converge(&*r, &Value::Null, &config(&[])).await;
        h.sandbox
            .faults()
            .add(FaultRule::parse("UpdateWarmPool=degraded:quota exceeded").expect("fault"));
        let cfg = config(&[("max_size", n(4))]);
        let plan = h.plan(&*r, &state, &cfg).await;
        let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
        assert!(errors(&diags).contains("quota exceeded"), "{diags}");
        assert_eq!(id_of(&after), id_of(&state));
        assert_eq!(get(&after, "max_size"), &n(4));
        assert_eq!(get(&after, "phase"), &s("DEGRADED"));
    }

    #[tokio::test]
    async fn timeout_names_the_last_phase_and_keeps_the_pool() {
        let h = Harness::with_config(pools_sandbox::Config {
            warm_pool_settle: Duration::from_secs(30),
            ..pools_sandbox::Config::default()
        })
        .await;
        let r = warm_pool();
        let timeouts = Value::Object([("create".to_string(), s("1s"))].into_iter().collect());
        let plan = h
            .plan(&*r, &Value::Null, &config(&[("timeouts", timeouts)]))
            .await;
        let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
        // Polls at least 90 ms apart fit 13 times in 1 s; waiting out the 30 s the pool
        // takes would have needed dozens (and ended READY).
        let polls = h.calls("GetWarmPool");
        assert!((1..=13).contains(&polls), "{polls} polls");
        let text = errors(&diags);
        assert!(text.contains("Timed out"), "{text}");
        assert!(text.contains("last seen: phase PENDING"), "{text}");
        assert!(validators::is_uuid(&id_of(&state)));
        assert_eq!(get(&state, "phase"), &s("PENDING"));
    }

    #[tokio::test]
    async fn an_update_without_an_id_is_refused_without_calling_the_api() {
        let h = Harness::start().await;
        let r = warm_pool();
        let mut state = h.converge(&*r, &Value::Null, &config(&[])).await;
        if let Value::Object(attrs) = &mut state {
            attrs.insert("id".to_string(), Value::Null);
        }
        let plan = h.plan(&*r, &state, &config(&[("max_size", n(4))])).await;
        let (after, diags) = h.apply(&*r, &state, &plan.planned).await;
        let text = errors(&diags);
        assert!(text.contains("Warm pool has no id"), "{text}");
        assert!(text.contains("import the pool"), "{text}");
        assert_eq!(after, state, "the state is kept as it was");
        assert_eq!(h.calls("UpdateWarmPool"), 0);
    }

    #[tokio::test]
    async fn an_existing_pool_is_named_with_the_import_command() {
        let h = Harness::start().await;
        let r = warm_pool();
        let first = h.converge(&*r, &Value::Null, &config(&[])).await;
        let existing = id_of(&first);
        let plan = h.plan(&*r, &Value::Null, &config(&[])).await;
        let (state, diags) = h.apply(&*r, &Value::Null, &plan.planned).await;
        assert_eq!(state, Value::Null);
        let text = errors(&diags);
        assert!(text.contains("Warm pool already exists"), "{text}");
        assert!(text.contains(&format!("(id {existing})")), "{text}");
        assert!(
            text.contains(&format!(
                "terraform import 'pools_warm_pool.NAME' {existing}"
            )),
            "{text}"
        );
        assert!(text.contains(&format!("id = \"{existing}\"")), "{text}");
    }

    #[tokio::test]
    async fn a_pool_being_deleted_is_waited_out_before_creating() {
        let h = Harness::start().await;
        let r = warm_pool();
        let old = h.converge(&*r, &Value::Null, &config(&[])).await;
        let client = ona(&h.ctx).expect("client");
        client.delete_warm_pool(&id_of(&old)).await.expect("delete");
        let new = h.converge(&*r, &Value::Null, &config(&[])).await;
        assert_ne!(id_of(&new), id_of(&old));
        assert_eq!(get(&new, "phase"), &s("READY"));
    }

    #[tokio::test]
    async fn import_by_id_then_plan_is_clean() {
        let h = Harness::start().await;
        let r = warm_pool();
        let client = ona(&h.ctx).expect("client");
        let pool = client
            .create_warm_pool(PROJECT_ID, CLASS_LARGE_ID, 2, 4)
            .await
            .expect("create");
        let (state, diags) = h.import(&*r, &pool.id).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(get(&state, "environment_class_id"), &s(CLASS_LARGE_ID));
        assert_eq!(get(&state, "min_size"), &n(2));
        assert_eq!(get(&state, "snapshot_id"), &Value::Null);
        let cfg = config(&[
            ("environment_class_id", s(CLASS_LARGE_ID)),
            ("min_size", n(2)),
            ("max_size", n(4)),
        ]);
        let plan = h.plan(&*r, &state, &cfg).await;
        assert_eq!(plan.planned, state);

        let (none, diags) = h.import(&*r, "not-a-uuid").await;
        assert_eq!(none, Value::Null);
        assert!(errors(&diags).contains("UUID"), "{diags}");
        let missing = "0f000000-0000-4000-8000-000000000009";
        let (_, diags) = h.import(&*r, missing).await;
        assert!(
            errors(&diags).contains(&format!("no warm pool with id {missing}")),
            "{diags}"
        );
    }

    #[tokio::test]
    async fn delete_waits_until_the_pool_is_gone() {
        let h = Harness::start().await;
        let r = warm_pool();
        let state = h.converge(&*r, &Value::Null, &config(&[])).await;
        assert_eq!(h.sandbox.shared.ona.pool_count(), 1);
        let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(after, Value::Null);
        assert_eq!(h.sandbox.shared.ona.pool_count(), 0);
        assert_eq!(h.calls("DeleteWarmPool"), 1);
    }

    #[tokio::test]
    async fn invalid_sizes_are_refused_at_validate_with_paths() {
        let h = Harness::start().await;
        let r = warm_pool();
        let paths = |diags: &Diagnostics| -> Vec<String> {
            diags
                .0
                .iter()
                .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
                .collect()
        };
        let d = h.validate(&*r, &config(&[("min_size", n(5)), ("max_size", n(2))]));
        assert_eq!(paths(&d), ["min_size", "max_size"]);
        assert!(errors(&d).contains("min_size = 5 and max_size = 2"), "{d}");
        let d = h.validate(&*r, &config(&[("max_size", n(21))]));
        assert_eq!(paths(&d), ["max_size"]);
        assert!(errors(&d).contains("from 1 to 20; got 21"), "{d}");
        let d = h.validate(&*r, &config(&[("min_size", n(-1))]));
        assert_eq!(paths(&d), ["min_size"]);
        assert!(errors(&d).contains("from 0 to 20; got -1"), "{d}");
        let d = h.validate(&*r, &config(&[("project_id", s("sandbox-app"))]));
        assert_eq!(paths(&d), ["project_id"]);
        // Unknown values are checked later, at apply.
        let d = h.validate(&*r, &config(&[("min_size", unknown()), ("max_size", n(2))]));
        assert!(d.is_empty(), "{d}");
        assert!(h.sandbox.requests().routes().is_empty());
    }

    #[tokio::test]
    async fn a_pool_removed_outside_terraform_leaves_state() {
        let h = Harness::start().await;
        let r = warm_pool();
        let state = h.converge(&*r, &Value::Null, &config(&[])).await;
        let client = ona(&h.ctx).expect("client");
        client
            .delete_warm_pool(&id_of(&state))
            .await
            .expect("delete");
        // Still DELETING: already counts as gone.
        let (read, diags) = h.read(&*r, &state).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(read, Value::Null);
        let deadline = Instant::now() + Duration::from_secs(5);
        client
            .wait_warm_pool_gone(&id_of(&state), deadline, &Stop::new())
            .await
            .expect("gone");
        let (read, diags) = h.read(&*r, &state).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(read, Value::Null);
        // Deleting what is already gone succeeds.
        let (after, diags) = h.apply(&*r, &state, &Value::Null).await;
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(after, Value::Null);
    }
}
