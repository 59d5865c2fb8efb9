//! What the warm pool schemas say about themselves (the docs and editors show it): the
//! resource, the data sources and the provider's `ona` block. The texts live here rather
//! than in the schema chains, which stay short enough for rustfmt to format.

use super::model::{MAX_SIZE_RANGE, MIN_SIZE_RANGE};
use crate::ona::api::DEFAULT_BASE_URL;

// ---- the `pools_warm_pool` resource ---------------------------------------------------------

pub const RESOURCE: &str = "An Ona (formerly Gitpod) prebuild warm pool: environments pre-created from the latest prebuild of a project for one environment class, so new environments start near-instantly. There is at most one warm pool per project and environment class. Every change is waited for, within `timeouts`.";

pub const ID: &str = "The warm pool's id (a UUID).";

pub const PROJECT_ID: &str = "The project whose prebuilds the pool warms (a UUID). The project must have prebuilds enabled. Changing it replaces the pool.";

pub const ENVIRONMENT_CLASS_ID: &str = "The environment class to warm (a UUID). It must be in the project's prebuild configuration. Changing it replaces the pool.";

pub fn min_size() -> String {
    let (lo, hi) = MIN_SIZE_RANGE;
    format!("The fewest warm instances to keep, from {lo} to {hi}; at most `max_size`. `0` allows scaling down fully.")
}

pub fn max_size() -> String {
    let (lo, hi) = MAX_SIZE_RANGE;
    format!("The most warm instances to keep, from {lo} to {hi}; at least `min_size`.")
}

pub const MAX_SIZE_DEFAULT: &str = "`min_size` (or `1` when that is `0` or unset)";

pub const WAIT_FOR_READY: &str = "Whether create and update wait until the pool is `READY`. A pool that turns `DEGRADED` ends the wait with its failure message. Default: `true`.";

pub const DESIRED_SIZE: &str =
    "The number of instances the autoscaler currently aims for, between `min_size` and `max_size`.";

pub const SNAPSHOT_ID: &str = "The prebuild snapshot the pool warms; null until a prebuild has completed. Ona rotates it when a newer prebuild completes.";

// ---- what the resource and the data sources both show ---------------------------------------

pub const PHASE: &str =
    "The pool's lifecycle phase: `PENDING`, `READY`, `DEGRADED`, `DELETING` (or `UNSPECIFIED`).";

pub const RUNNING_INSTANCES: &str = "How many warm instances are running, ready to be claimed.";

pub const STOPPED_INSTANCES: &str =
    "How many pre-provisioned instances are stopped, used to backfill running ones faster.";

pub const CREATED_AT: &str = "When the pool was created (RFC 3339).";

pub const UPDATED_AT: &str = "When the pool was last changed (RFC 3339).";

// ---- the `pools_warm_pool` and `pools_warm_pools` data sources ------------------------------

pub const ONE_POOL: &str = "Looks up one Ona prebuild warm pool, either by `id` or by `project_id` and `environment_class_id` (there is at most one pool per pair).";

pub const LOOKUP_ID: &str = "The warm pool's id (a UUID). Set it to look the pool up by id.";

pub const LOOKUP_PROJECT_ID: &str = "The project the pool belongs to (a UUID). Set it together with `environment_class_id` to look the pool up by that pair.";

pub const LOOKUP_ENVIRONMENT_CLASS_ID: &str = "The environment class the pool warms (a UUID). Set it together with `project_id` to look the pool up by that pair.";

pub const SEEN_MIN_SIZE: &str = "The fewest warm instances the pool keeps.";

pub const SEEN_MAX_SIZE: &str = "The most warm instances the pool keeps.";

pub const FAILURE_MESSAGE: &str = "Why the pool is `DEGRADED`; null otherwise.";

pub const SEEN_DESIRED_SIZE: &str = "The number of instances the autoscaler currently aims for.";

pub const SEEN_SNAPSHOT_ID: &str =
    "The prebuild snapshot the pool warms; null until a prebuild has completed.";

pub const POOLS: &str = "Lists Ona prebuild warm pools, optionally only those of some projects and environment classes. Every page of results is read.";

pub const FILTER_PROJECT_IDS: &str = "Only pools of these projects (UUIDs). Default: any project.";

pub const FILTER_ENVIRONMENT_CLASS_IDS: &str =
    "Only pools of these environment classes (UUIDs). Default: any class.";

pub const IDS: &str =
    "The ids of the matching pools, in the order the API lists them (creation order).";

pub const WARM_POOLS: &str = "The matching pools, each with `id`, `project_id`, `environment_class_id`, `min_size`, `max_size`, `phase`, `failure_message`, `running_instances`, `stopped_instances`, `desired_size`, `snapshot_id`, `created_at` and `updated_at`.";

// ---- the provider's `ona` block -------------------------------------------------------------

pub const TOKEN: &str = "Ona personal access token. Default: the `ONA_API_KEY` environment variable, else `GITPOD_API_KEY` or `ONA_TOKEN` (the official Ona provider's).";

pub fn endpoint() -> String {
    format!("API base URL. Default: the `ONA_BASE_URL` environment variable, else `ONA_HOST` (the official Ona provider's: the application host, such as `https://app.gitpod.io`) followed by `/api`, else `{DEFAULT_BASE_URL}`.")
}
