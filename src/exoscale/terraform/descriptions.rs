//! The words of the `pools_instance_pool` schema: the resource's description and each
//! attribute's (they become its documentation), kept out of the schema's builder chain in
//! resource.rs so that the chain reads as a declaration.

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

pub const LABELS: &str =
    "Labels of the pool, as a map of strings. Removing them resets the pool's labels.";

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

pub const STATE: &str = "The pool's state: `creating`, `running`, `scaling-up`, `scaling-down`, `updating`, `destroying` or `suspended`.";

pub const INSTANCE_IDS: &str = "The ids of the pool's instances.";

pub const MANAGER_ID: &str = "The id of the service managing the pool (such as an SKS nodepool), if any. A managed pool cannot be changed or deleted here.";

pub const MANAGER_TYPE: &str =
    "The kind of service managing the pool (such as `sks-nodepool`), if any.";

/// The resource's "Refreshing many pools" section: when a refresh reads from zone-wide lists.
pub fn refreshing_many_pools() -> String {
    format!(
        "A refresh (`terraform plan`, `apply`, `refresh`) reads a pool with two calls: the pool, then its instances. Once a Terraform command has read {READS_BEFORE_LISTING} pools of a zone, it reads that zone's further pools from two zone-wide lists, `GET /instance-pool` and `GET /instance?manager-type=instance-pool`, taken once and shared by every read in flight (the first reads take their instances from them too, when they are under way by then). A refresh of 1,000 pools in two zones costs about 4 calls per zone instead of 2,000, and a configuration with one or two pools in a zone lists nothing, however many pools the zone holds. The lists only ever confirm what the state holds:\n\n\
- a pool they show exactly as the state records it is read from them;\n\
- a pool they show otherwise (changed outside Terraform), or do not show, is read with its own `GET` before any change or removal is planned, so drift shows as it always did;\n\
- lists serve reads for {} seconds after they were requested, and each pool once: a second read of a pool in the same command, and a read of a pool that the command changed after the lists were requested, make the pool's own calls;\n\
- should the lists fail, each read makes its own calls.\n\n\
Imports, the reads that end a create or an update, and the data sources make their own calls.",
        LISTING_TTL.as_secs()
    )
}
