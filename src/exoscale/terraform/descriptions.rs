//! The words of the Exoscale schemas: the `pools_instance_pool` resource's description and
//! each attribute's (they become its documentation), then those of the data sources, the
//! list resource and the evict action, kept out of the schemas' builder chains so that
//! each chain reads as a declaration.

use super::model::USER_DATA_MAX;
use super::read::READS_BEFORE_LISTING;
use super::settings::ZONES;
use crate::exoscale::api::zone_lists::LISTING_TTL;

pub const RESOURCE: &str = "An [Exoscale Instance Pool](https://community.exoscale.com/product/compute/instances/how-to/instance-pools/): a managed group of identical Compute instances. A change of `size` alone scales the pool; other changes update it in place; changing `zone` creates a new pool. Every change is waited for, within `timeouts`.";

pub const ID: &str = "The pool's id (a UUID).";

pub fn zone() -> String {
    let zones = ZONES
        .iter()
        .map(|z| format!("`{z}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "The zone of the pool, one of {zones}. Default: the provider's `exoscale.zone` (unknown until apply while that is). Changing this forces a new pool."
    )
}

pub const NAME: &str = "The pool's name (1 to 255 characters).";

pub const DESCRIPTION: &str =
    "A description of the pool (at most 255 characters). Removing it resets the description.";

pub const SIZE: &str = "How many instances the pool runs (at least 0). A change of `size` alone is a scale operation. The API creates a pool with at least 1 instance: a new pool (or a replacement) of size 0 is created with 1 and scaled to 0 in the same apply, and its plan says so.";

/// The plan's warning for a new pool of size 0.
pub const CREATED_THEN_SCALED: &str = "The Exoscale API creates a pool with at least 1 instance: this apply creates it with 1, then scales it to 0, and waits for both.";

pub const INSTANCE_TYPE: &str = "The instances' type, as `family.size` (like `standard.medium`, any case) or as an instance type id. State keeps the spelling of the create, or of the last change of type: another spelling of the same type (another case, or its id) is no change. An import records the API's name (like `standard.medium`).";

pub const INSTANCE_TYPE_ID: &str = "The id of the instance type `instance_type` names.";

pub const TEMPLATE_ID: &str = "The id (UUID) of the template the instances boot from.";

pub const DISK_SIZE: &str = "The instances' disk size in GiB, from 10 to 51200.";

pub const INSTANCE_PREFIX: &str =
    "The prefix of the instances' names (1 to 30 characters). Default: `pool`.";

pub const LABELS: &str = "The pool's own labels, as a map of strings. The provider's `exoscale.default_labels` are added to them (on a key clash this map's value wins) and never show here: see `labels_all`. Removing them leaves the pool with the default labels only, or none.";

pub const LABELS_ALL: &str = "Every label the pool carries, as the API holds them: `labels` merged over the provider's `exoscale.default_labels`. Unknown in a plan while the default labels are. A pool another service manages (see `manager_id`) does not get the default labels.";

/// A set of ids of `what` (such as "security groups").
pub fn ids(what: &str) -> String {
    format!(
        "Ids (UUIDs) of the {what} for the pool's instances. Removing the attribute resets the pool's list."
    )
}

pub const SSH_KEYS: &str = "Names of the SSH keys installed on the instances.";

pub fn user_data() -> String {
    format!(
        "Cloud-init user data for the instances, as plain text (sent base64-encoded) or already base64-encoded (sent as is); at most {USER_DATA_MAX} characters once encoded. A value counts as already encoded only when it is padded standard base64 of a cloud-init document (gzip data, or text starting with `#` or `Content-Type:`), so plain text such as `test` is always encoded. Removing it resets the user data."
    )
}

pub const PUBLIC_IP_ASSIGNMENT: &str = "How instances get public IPs: `inet4`, `dual` (IPv4 and IPv6) or `none`. Default: the API's (`inet4`). `none` is final: changing to or from `none` forces a new pool.";

pub const IPV6_ENABLED: &str = "Whether instances get an IPv6 address. **Deprecated**: use `public_ip_assignment`. When left out, it follows `public_ip_assignment`.";

/// Why `ipv6_enabled` is deprecated, as Terraform warns about it.
pub const IPV6_ENABLED_DEPRECATED: &str =
    "Deprecated by the Exoscale API: use `public_ip_assignment = \"dual\"` instead.";

pub const MIN_AVAILABLE: &str = "The minimum number of running instances during operations (at least 0, at most `size`). Default: `0`.";

pub const DEPLOY_TARGET_ID: &str = "The id (UUID) of a deploy target (dedicated hypervisors) for the instances. Removing it resets the deploy target.";

pub const APPLICATION_CONSISTENT_SNAPSHOT_ENABLED: &str =
    "Whether application-consistent snapshots are enabled. Default: `false`.";

pub const WAIT_FOR_INSTANCES: &str = "After create and scale, also wait until the pool is `running` with `size` instances. Default: `false` (wait for the API operation only).";

pub const STATE: &str = "The pool's state: `creating`, `running`, `scaling-up`, `scaling-down`, `updating`, `destroying`, `suspended` or `degraded`; a state from an API newer than this provider is shown as the API sends it (see Pool states below).";

pub const INSTANCE_IDS: &str = "The ids of the pool's instances.";

pub const MANAGER_ID: &str = "The id of the service managing the pool (such as an SKS nodepool), if any. A managed pool cannot be changed or deleted here.";

pub const MANAGER_TYPE: &str =
    "The kind of service managing the pool (such as `sks-nodepool`), if any.";

/// `include_managed` of `list "pools_instance_pool"`.
pub const INCLUDE_MANAGED: &str = "Also list pools another service manages (such as an SKS nodepool's pool, with `manager_id` set). Default: `false`, as such a pool must not be changed behind its manager's back: an imported one refuses every change and its destroy.";

// ---- sections of the resource's page ----------------------------------------------

pub const DEFAULT_LABELS_SECTION: (&str, &str) = (
    "Default labels",
    r#"Labels every pool should carry (a team, a cost centre) can be set once, in the provider's `exoscale` block:

```terraform
provider "pools" {
  exoscale {
    default_labels = {
      team = "platform"
    }
  }
}
```

Every pool this provider creates or changes carries them beside its own `labels`; on a key clash the pool's own value wins. `labels` holds the pool's own labels only, so a default label never shows as a change there; `labels_all` shows every label the API holds. Changing the defaults plans an update of exactly the pools whose labels change (a pool that sets the key itself has nothing to do). Default labels known only after apply (from another resource) plan `labels_all` as `(known after apply)`. An import, a `moved` block from the official provider and `terraform query` put in `labels` the labels that are not default labels (a label counts as a default when its key and value are a default label's). Pools another service manages (see below) do not get the default labels. The data sources show `labels` as the API holds them, default labels included."#,
);

pub const MANAGED_POOLS_SECTION: (&str, &str) = (
    "Pools another service manages",
    "A pool that another service made and manages, such as the pool of an SKS nodepool, has `manager_id` and `manager_type` set (also on both `pools_instance_pool` data sources). Such a pool must not be changed behind its manager's back: importing it warns so, and a plan that would change it, and any plan to destroy it, fails naming its manager; change it through the manager (or stop managing it here with `terraform state rm`). `list \"pools_instance_pool\"` leaves managed pools out unless its `config` sets `include_managed = true`.",
);

pub const LOAD_BALANCER_SECTION: (&str, &str) = (
    "Pools a load balancer uses",
    r#"The Exoscale API refuses to delete a pool that a Network Load Balancer service forwards traffic to. The destroy then fails with an error that names the load balancer (its name and id, and the services that use the pool) and leaves the pool in state. Either detach the pool from the service first (point the service at another pool, or delete the service), or destroy the service first: when the service is in the same configuration but does not refer to the pool, make it depend on the pool, so that Terraform destroys it before the pool:

```terraform
resource "exoscale_nlb_service" "http" {
  # ...
  depends_on = [pools_instance_pool.web]
}
```

When the pool is replaced (a change of `zone`, say), the old pool's delete meets the same refusal while the service still uses it: give the pool `lifecycle { create_before_destroy = true }` and let the service take the new pool's id, so that the old pool is free by the time it is deleted."#,
);

pub const STATES_SECTION: (&str, &str) = (
    "Pool states",
    "A wait for a change ends as soon as the API reports the pool `degraded`, or gives a reason why it fails (newer API versions add an `error_reason`, such as `quota-exceeded` with its cause): the error quotes the state and the reason, instead of waiting until the timeout. A state this provider does not know (from a newer API) is kept as the API sends it in `state`; a wait that sees it goes on waiting (it may be a new transitional state), logs it at WARN once, and names it if the timeout runs out.",
);

// ---- data sources (data_source.rs) ----------------------------------------------------

pub const POOL_DATA_SOURCE: &str =
    "Looks up one Exoscale Instance Pool by `id` or by `name` (set exactly one).";

pub const POOL_DATA_SOURCE_ID: &str = "The pool's id. Set this or `name`.";

pub const POOL_DATA_SOURCE_NAME: &str =
    "The pool's exact name; it must name exactly one pool of the zone. Set this or `id`.";

pub const POOLS_DATA_SOURCE: &str =
    "Lists the Exoscale Instance Pools of a zone, optionally filtered by name and labels.";

pub const POOLS_NAME_FILTER: &str = "Only pools with exactly this name.";

pub const POOLS_LABELS_FILTER: &str = "Only pools carrying all of these labels with these values.";

pub const POOLS_IDS: &str = "The ids of the matching pools.";

pub const POOLS_POOLS: &str =
    "The matching pools, with the attributes of the `pools_instance_pool` data source.";

pub const VIEW_LABELS: &str =
    "The pool's labels, as the API holds them (the provider's default labels included).";

pub const VIEW_STATE: &str = "The pool's state (`running`, `scaling-up`, `degraded`, ...; a state from a newer API as it is sent).";

pub const VIEW_MANAGER_ID: &str =
    "The id of the managing service (such as an SKS nodepool), if any.";

pub const VIEW_MANAGER_TYPE: &str =
    "The kind of managing service (such as `sks-nodepool`), if any.";

// ---- the evict action (evict.rs) ------------------------------------------------------

pub const EVICT: &str = "Evicts instances from an Exoscale Instance Pool: the API destroys them and lowers the pool's size by their number. A `pools_instance_pool` that still configures the old size plans to scale back up (with new instances) on its next apply; add `lifecycle { ignore_changes = [size] }` to keep the smaller size.";

// ---- refreshing many pools (read.rs) ------------------------------------------------

/// The resource's "Refreshing many pools" section: when a refresh reads from zone-wide lists.
pub fn refreshing_many_pools() -> String {
    format!(
        "A refresh (`terraform plan`, `apply`, `refresh`) reads a pool with two calls: the pool, then its instances. Once a Terraform command has read {READS_BEFORE_LISTING} pools of a zone, it reads that zone's further pools from two zone-wide lists, `GET /instance-pool` and `GET /instance?manager-type=instance-pool`, taken once and shared by every read in flight (the first reads take their instances from them too, when they are under way by then). A refresh of 1,000 pools in two zones costs about 4 calls per zone instead of 2,000, and a configuration with one or two pools in a zone lists nothing, however many pools the zone holds. The lists only ever confirm what the state holds:\n\n\
- a pool they show exactly as the state records it, with every field a pool's own `GET` carries, is read from them;\n\
- a pool they show otherwise (changed outside Terraform), or do not show, is read with its own `GET` before any change or removal is planned, so drift shows as it always did;\n\
- lists serve the reads that waited for them, then later reads for {} seconds after they were requested, and each pool once: a second read of a pool in the same command, and a read of a pool that the command changed after the lists were requested, make the pool's own calls;\n\
- should the lists fail, each read makes its own calls.\n\n\
An import's own read, the reads that end a create or an update, and the data sources make their own calls.",
        LISTING_TTL.as_secs()
    )
}
