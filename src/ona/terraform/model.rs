//! The Terraform model of a `pools_warm_pool` and its mapping to and from the API's messages:
//! a pool read into the model, sizes as the API settles them and as its 32-bit fields carry
//! them.

use crate::ona::api::wire::{WarmPool, WarmPoolPhase};
use crate::plugin::{AttrPath, Diagnostic, Diagnostics, Number, Timeouts, Tri, Value};

/// The sizes the API accepts (inclusive).
pub const MIN_SIZE_RANGE: (i64, i64) = (0, 20);
pub const MAX_SIZE_RANGE: (i64, i64) = (1, 20);

crate::model! {
    /// The state of one `pools_warm_pool`. `Tri` fields are computed: a plan may leave
    /// them unknown, which never means "removed".
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct WarmPoolModel {
        pub id: Tri<String>,
        pub project_id: String,
        pub environment_class_id: String,
        pub min_size: Option<i64>,
        pub max_size: Option<i64>,
        pub wait_for_ready: Option<bool>,
        pub phase: Tri<String>,
        pub running_instances: Tri<i64>,
        pub stopped_instances: Tri<i64>,
        pub desired_size: Tri<i64>,
        pub snapshot_id: Tri<String>,
        pub created_at: Tri<String>,
        pub updated_at: Tri<String>,
        pub timeouts: Option<Timeouts>,
    }
}

impl WarmPoolModel {
    /// Takes everything the API reports. Ids the user spelled in another case keep the
    /// user's spelling, so a re-plan shows no change.
    pub fn observe(&mut self, pool: &WarmPool) {
        self.id = Tri::Known(pool.id.clone());
        keep_spelling(&mut self.project_id, &pool.metadata.project_id);
        keep_spelling(
            &mut self.environment_class_id,
            &pool.metadata.environment_class_id,
        );
        if let Some((min, max)) = pool_sizes(pool) {
            self.min_size = Some(min);
            self.max_size = Some(max);
        }
        self.phase = Tri::Known(phase_name(&pool.status.phase).to_string());
        self.running_instances = Tri::Known(pool.status.running_instances.into());
        self.stopped_instances = Tri::Known(pool.status.stopped_instances.into());
        self.desired_size = Tri::Known(pool.status.desired_size.into());
        self.snapshot_id = pool
            .spec
            .snapshot_id
            .clone()
            .filter(|s| !s.is_empty())
            .into();
        self.created_at = pool.metadata.created_at.clone().into();
        self.updated_at = pool.metadata.updated_at.clone().into();
    }

    /// Copies the API-maintained values of `other` (an update that changes no size).
    pub fn keep_observed(&mut self, other: &WarmPoolModel) {
        self.id.clone_from(&other.id);
        self.phase.clone_from(&other.phase);
        self.running_instances.clone_from(&other.running_instances);
        self.stopped_instances.clone_from(&other.stopped_instances);
        self.desired_size.clone_from(&other.desired_size);
        self.snapshot_id.clone_from(&other.snapshot_id);
        self.created_at.clone_from(&other.created_at);
        self.updated_at.clone_from(&other.updated_at);
    }

    /// A pool as an import shows it: all the API reports, and `wait_for_ready` at its default.
    pub fn imported(pool: &WarmPool) -> Self {
        let mut model = WarmPoolModel {
            wait_for_ready: Some(true),
            ..WarmPoolModel::default()
        };
        model.observe(pool);
        model
    }

    pub fn sizes(&self) -> (i64, i64) {
        effective_sizes(self.min_size, self.max_size)
    }

    /// The sizes as the API's 32-bit fields carry them; out of their range is an error on the
    /// attribute.
    pub fn wire_sizes(&self) -> Result<(i32, i32), Diagnostics> {
        let (min, max) = self.sizes();
        Ok((to_i32(min, "min_size")?, to_i32(max, "max_size")?))
    }
}

fn keep_spelling(mine: &mut String, api: &str) {
    if !api.is_empty() && !mine.eq_ignore_ascii_case(api) {
        *mine = api.to_string();
    }
}

/// (min, max) as the pool reports them; pools created with the deprecated `desiredSize`
/// only may report that instead (the API migrates them to min = max = desired).
pub fn pool_sizes(pool: &WarmPool) -> Option<(i64, i64)> {
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
pub fn phase_name(phase: &WarmPoolPhase) -> &str {
    let full = phase.as_str();
    full.strip_prefix("WARM_POOL_PHASE_").unwrap_or(full)
}

pub fn is_going(phase: &WarmPoolPhase) -> bool {
    matches!(phase, WarmPoolPhase::Deleting | WarmPoolPhase::Deleted)
}

fn number(n: i64) -> Value {
    Value::Number(Number::from_i64(n))
}

/// The planned `min_size` when the configuration leaves it out: as the API will set it.
pub fn default_min_size(config: &Value) -> Value {
    planned_sizes(config.attr("min_size"), config.attr("max_size")).0
}

/// The planned `max_size` when the configuration leaves it out (unknown while `min_size` is).
pub fn default_max_size(config: &Value) -> Value {
    planned_sizes(config.attr("min_size"), config.attr("max_size")).1
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

/// The sizes a pool reports, as sent.
pub fn has_sizes(pool: &WarmPool, min: i32, max: i32) -> bool {
    pool_sizes(pool) == Some((min.into(), max.into()))
}
