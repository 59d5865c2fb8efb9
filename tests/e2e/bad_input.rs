//! The bad-input corpus (issue 10 item 3): every way a configuration, an import id or the
//! provider block can be wrong that the provider can tell without changing anything, each
//! run through real Terraform against an in-process sandbox. For every case the error must
//! name the attribute (Terraform quotes the attribute's line when a diagnostic carries its
//! path, or Terraform's own message names it) and say what is allowed; and the sandbox's
//! request log must show that nothing reached the API beyond the read-only lookups the case
//! needs (an unknown instance type may list the zone's types; an import of a missing id may
//! read it). Nothing is ever created, changed or deleted.
//!
//! Cases are batched: Terraform reports every error of a configuration at once, so all
//! `validate` cases share one configuration and one `terraform validate -json`, all `plan`
//! cases one `terraform plan -json`. Each case gets its own block (provider cases their own
//! aliased provider block), and a diagnostic belongs to the case whose lines it points at.
//! Imports take one `terraform import` each. The whole corpus runs with Terraform 1.15.5;
//! Terraform 1.0.3 runs the cases whose errors come from the provider (its own messages
//! for wrong types and the like differ), with the same checks.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use pools_sandbox::{Config, LoggedRequest, Sandbox};
use serde_json::Value as Json;
use tokio::runtime::Runtime;

use crate::harness::{terraforms, Run, Terraform, Workspace, PROVIDER_SOURCE};

/// What a case's HCL goes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// `resource "pools_instance_pool"`
    InstancePool,
    /// `resource "pools_warm_pool"`
    WarmPool,
    /// `data "pools_instance_pool"`
    DataInstancePool,
    /// `data "pools_instance_pools"`
    DataInstancePools,
    /// `data "pools_warm_pool"`
    DataWarmPool,
    /// `data "pools_warm_pools"`
    DataWarmPools,
    /// `provider "pools"` (each case with its own alias)
    Provider,
}

use Target::{
    DataInstancePool as DS_IP, DataInstancePools as DS_IPS, DataWarmPool as DS_WP,
    DataWarmPools as DS_WPS, InstancePool as IP, Provider as PROVIDER, WarmPool as WP,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Validate,
    Plan,
    /// `terraform import <address> <id>`
    Import(&'static str),
}

use Command::{Import, Plan, Validate};

/// Who words the error: the provider, or Terraform itself (wrong types, unknown or
/// read-only arguments), whose wording differs between Terraform versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Provider,
    Terraform,
}

struct Case {
    name: &'static str,
    target: Target,
    command: Command,
    /// Attribute lines, separated by `;`, that replace the target's valid base attributes
    /// of the same name; `-name` drops one.
    hcl: &'static str,
    /// The attribute the error must point at: dotted for nested ones (`timeouts.create`,
    /// `exoscale.zone`), empty for the block as a whole. Imports have no attribute: their
    /// error must quote the id given instead.
    path: &'static str,
    /// A fragment of the error's summary or detail that says what is allowed.
    message: &'static str,
    /// The only API routes (sandbox route names) the case may call: reads.
    reads: &'static [&'static str],
    source: Source,
}

const fn case(
    name: &'static str,
    target: Target,
    command: Command,
    hcl: &'static str,
    path: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        target,
        command,
        hcl,
        path,
        message,
        reads: &[],
        source: Source::Provider,
    }
}

impl Case {
    /// The API routes the case may read.
    const fn reads(self, routes: &'static [&'static str]) -> Case {
        Case {
            reads: routes,
            ..self
        }
    }

    /// Terraform words this error, not the provider.
    const fn tf(self) -> Case {
        Case {
            source: Source::Terraform,
            ..self
        }
    }
}

const LIST_TYPES: &[&str] = &["list-instance-types"];
const GET_POOL: &[&str] = &["get-instance-pool"];
const LIST_POOLS: &[&str] = &["list-instance-pools"];
const GET_WARM_POOL: &[&str] = &["GetWarmPool"];
const LIST_WARM_POOLS: &[&str] = &["ListWarmPools"];

const ZONES: &str = r#"one of "ch-gva-2", "ch-dk-2", "de-fra-1", "de-muc-1", "at-vie-1", "at-vie-2", "bg-sof-1", "hr-zag-1""#;
const UUID: &str = "a UUID (like 01234567-89ab-cdef-0123-456789abcdef)";
const UUIDS: &str = "a collection whose elements are each a UUID";
const DURATION: &str = "units: h, m, s, ms, us";
const URL: &str = "an http:// or https:// URL";
const TYPE: &str = "an instance type as `family.size`";
const NOT_EMPTY: &str = "a non-empty string";
const PRINTABLE: &str = "printable ASCII characters only";
const READ_ONLY: &str = "is read-only: its value comes from the API, so it cannot be set";
const KNOWN_TYPES: &str =
    "Known types: standard.large, standard.medium, standard.micro, standard.small";
const IMPORT_FORMAT: &str = "Expected `<pool id>` or `<pool id>@<zone>`";
const IMPORT_ZONES: &str = "ch-gva-2, ch-dk-2, de-fra-1, de-muc-1, at-vie-1";

/// The corpus. Columns: name, target, command, HCL (replacing the target's valid base
/// attributes), the attribute path the error points at, what the error says is allowed.
#[rustfmt::skip]
const CORPUS: &[Case] = &[
    // pools_instance_pool: strings, their lengths and formats
    case("ip_name_empty",              IP, Validate, r#"name = """#,                                 "name",  "a string of 1 to 255 characters"),
    case("ip_name_huge",               IP, Validate, r#"name = format("%0300d", 0)"#,                "name",  "a string of 1 to 255 characters"),
    case("ip_description_huge",        IP, Validate, r#"description = format("%0256d", 0)"#,         "description", "a string of 0 to 255 characters"),
    case("ip_prefix_empty",            IP, Validate, r#"instance_prefix = """#,                      "instance_prefix", "a string of 1 to 30 characters"),
    case("ip_prefix_long",             IP, Validate, r#"instance_prefix = format("%031d", 0)"#,      "instance_prefix", "a string of 1 to 30 characters"),
    case("ip_type_empty",              IP, Validate, r#"instance_type = """#,                        "instance_type", TYPE),
    case("ip_type_no_size",            IP, Validate, r#"instance_type = "standard""#,                "instance_type", TYPE),
    case("ip_type_two_dots",           IP, Validate, r#"instance_type = "standard.small.x""#,        "instance_type", TYPE),
    case("ip_template_not_uuid",       IP, Validate, r#"template_id = "ubuntu-24.04""#,              "template_id", UUID),
    case("ip_template_empty",          IP, Validate, r#"template_id = """#,                          "template_id", UUID),
    case("ip_template_short_uuid",     IP, Validate, r#"template_id = "22222222-0000-4000-8000-00000000001""#, "template_id", UUID),
    case("ip_template_braced_uuid",    IP, Validate, r#"template_id = "{22222222-0000-4000-8000-000000000001}""#, "template_id", UUID),
    case("ip_deploy_target_not_uuid",  IP, Validate, r#"deploy_target_id = "dedicated""#,            "deploy_target_id", UUID),
    case("ip_user_data_empty",         IP, Validate, r#"user_data = """#,                            "user_data", "a non-empty cloud-init document of at most 32768 characters once base64-encoded"),
    case("ip_user_data_huge",          IP, Validate, r##"user_data = format("#cloud-config\n%040000d", 0)"##, "user_data", "at most 32768 characters once base64-encoded"),
    // pools_instance_pool: numbers, ranges and their relations
    case("ip_size_negative",           IP, Validate, "size = -1",                                    "size",  "a whole number of at least 0"),
    case("ip_size_fraction",           IP, Validate, "size = 1.5",                                   "size",  "a whole number of at least 0"),
    case("ip_size_huge",               IP, Validate, "size = 1e30",                                  "size",  "a whole number of at least 0"),
    case("ip_size_text",               IP, Validate, r#"size = "three""#,                            "size",  "a number is required").tf(),
    case("ip_disk_small",              IP, Validate, "disk_size = 9",                                "disk_size", "a whole number from 10 to 51200"),
    case("ip_disk_large",              IP, Validate, "disk_size = 51201",                            "disk_size", "a whole number from 10 to 51200"),
    case("ip_disk_huge",               IP, Validate, "disk_size = 99999999999999999999999999",       "disk_size", "a whole number from 10 to 51200"),
    case("ip_disk_negative_zero",      IP, Validate, "disk_size = -0",                               "disk_size", "a whole number from 10 to 51200"),
    case("ip_min_available_negative",  IP, Validate, "min_available = -1",                           "min_available", "a whole number of at least 0"),
    case("ip_min_available_over_size", IP, Validate, "size = 2; min_available = 3",                  "min_available", "at most size (2)"),
    // pools_instance_pool: enums, zones, sets
    case("ip_zone_unknown",            IP, Validate, r#"zone = "mars-1""#,                           "zone",  ZONES),
    case("ip_zone_upper_case",         IP, Validate, r#"zone = "CH-GVA-2""#,                         "zone",  ZONES),
    case("ip_zone_empty",              IP, Validate, r#"zone = """#,                                 "zone",  ZONES),
    case("ip_public_ip_unknown",       IP, Validate, r#"public_ip_assignment = "ipv6""#,             "public_ip_assignment", r#"one of "inet4", "dual", "none""#),
    case("ip_public_ip_upper_case",    IP, Validate, r#"public_ip_assignment = "INET4""#,            "public_ip_assignment", r#"one of "inet4", "dual", "none""#),
    case("ip_security_group_name",     IP, Validate, r#"security_group_ids = ["default"]"#,          "security_group_ids", UUIDS),
    case("ip_private_network_empty",   IP, Validate, r#"private_network_ids = [""]"#,                "private_network_ids", UUIDS),
    case("ip_anti_affinity_one_bad",   IP, Validate, r#"anti_affinity_group_ids = ["55555555-0000-4000-8000-000000000001", "x"]"#, "anti_affinity_group_ids", UUIDS),
    case("ip_elastic_ip_address",      IP, Validate, r#"elastic_ip_ids = ["198.51.100.7"]"#,         "elastic_ip_ids", UUIDS),
    case("ip_ssh_key_blank",           IP, Validate, r#"ssh_keys = ["  "]"#,                         "ssh_keys", "elements are each a non-empty string"),
    // pools_instance_pool: wrong types, unknown and read-only arguments
    case("ip_labels_list",             IP, Validate, r#"labels = ["web"]"#,                          "labels", "map of string required").tf(),
    case("ip_ipv6_text",               IP, Validate, r#"ipv6_enabled = "maybe""#,                    "ipv6_enabled", "a bool is required").tf(),
    case("ip_wait_text",               IP, Validate, r#"wait_for_instances = "yes""#,                "wait_for_instances", "a bool is required").tf(),
    case("ip_security_groups_string",  IP, Validate, r#"security_group_ids = "33333333-0000-4000-8000-000000000001""#, "security_group_ids", "set of string required").tf(),
    case("ip_unknown_argument",        IP, Validate, r#"colour = "blue""#,                           "colour", r#"An argument named "colour" is not expected here"#).tf(),
    case("ip_missing_disk_size",       IP, Validate, "-disk_size",                                   "disk_size", r#"The argument "disk_size" is required"#).tf(),
    case("ip_state_set",               IP, Validate, r#"state = "running""#,                         "state", READ_ONLY),
    // pools_instance_pool: timeouts
    case("ip_timeout_words",           IP, Validate, r#"timeouts { create = "5 minutes" }"#,         "timeouts.create", DURATION),
    case("ip_timeout_no_unit",         IP, Validate, r#"timeouts { read = "10" }"#,                  "timeouts.read", DURATION),
    case("ip_timeout_negative",        IP, Validate, r#"timeouts { update = "-5m" }"#,               "timeouts.update", DURATION),
    case("ip_timeout_zero",            IP, Validate, r#"timeouts { delete = "0s" }"#,                "timeouts.delete", DURATION),
    case("ip_timeout_days",            IP, Validate, r#"timeouts { create = "2d" }"#,                "timeouts.create", DURATION),
    case("ip_timeout_huge",            IP, Validate, r#"timeouts { create = "300000h" }"#,           "timeouts.create", "a positive duration of at most 277777h"),
    case("ip_timeout_empty",           IP, Validate, r#"timeouts { update = "" }"#,                  "timeouts.update", DURATION),
    case("ip_timeout_unknown_op",      IP, Validate, r#"timeouts { apply = "5m" }"#,                 "timeouts.apply", r#"An argument named "apply" is not expected here"#).tf(),
    // pools_instance_pool: what only the API's catalogue or a new pool tells (at plan)
    case("ip_plan_type_unknown",       IP, Plan,     r#"instance_type = "standard.huge""#,           "instance_type", KNOWN_TYPES).reads(LIST_TYPES),
    case("ip_plan_type_case",          IP, Plan,     r#"instance_type = "Standard.Mega""#,           "instance_type", KNOWN_TYPES).reads(LIST_TYPES),
    case("ip_plan_type_id_unknown",    IP, Plan,     r#"instance_type = "11111111-0000-4000-8000-0000000000ff""#, "instance_type", KNOWN_TYPES).reads(LIST_TYPES),
    case("ip_plan_type_other_zone",    IP, Plan,     r#"zone = "de-fra-1"; instance_type = "gpu3.huge""#, "instance_type", KNOWN_TYPES).reads(LIST_TYPES),
    // pools_instance_pool: imports
    case("ip_import_not_uuid",         IP, Import("web"),                                       "", "", IMPORT_FORMAT),
    case("ip_import_unknown_zone",     IP, Import("88888888-0000-4000-8000-000000000001@mars-1"), "", "", IMPORT_ZONES),
    case("ip_import_empty_zone",       IP, Import("88888888-0000-4000-8000-000000000001@"),     "", "", IMPORT_FORMAT),
    case("ip_import_zone_only",        IP, Import("@ch-gva-2"),                                 "", "", IMPORT_FORMAT),
    case("ip_import_reversed",         IP, Import("ch-gva-2@88888888-0000-4000-8000-000000000001"), "", "", IMPORT_FORMAT),
    case("ip_import_missing",          IP, Import("88888888-0000-4000-8000-00000000dead@ch-gva-2"), "", "", "There is no instance pool 88888888-0000-4000-8000-00000000dead in zone ch-gva-2").reads(GET_POOL),

    // pools_warm_pool
    case("wp_min_negative",            WP, Validate, "min_size = -1",                                "min_size", "a whole number from 0 to 20"),
    case("wp_min_over_limit",          WP, Validate, "min_size = 21; max_size = 20",                 "min_size", "a whole number from 0 to 20"),
    case("wp_max_zero",                WP, Validate, "min_size = 0; max_size = 0",                   "max_size", "a whole number from 1 to 20"),
    case("wp_max_huge",                WP, Validate, "max_size = 100000000000000000000",             "max_size", "a whole number from 1 to 20"),
    case("wp_min_fraction",            WP, Validate, "min_size = 0.5",                               "min_size", "a whole number from 0 to 20"),
    case("wp_min_above_max",           WP, Validate, "min_size = 5; max_size = 2",                   "min_size", "min_size must be less than or equal to max_size"),
    case("wp_min_text",                WP, Validate, r#"min_size = "two""#,                          "min_size", "a number is required").tf(),
    case("wp_project_not_uuid",        WP, Validate, r#"project_id = "sandbox-app""#,                "project_id", UUID),
    case("wp_project_empty",           WP, Validate, r#"project_id = """#,                           "project_id", UUID),
    case("wp_class_short",             WP, Validate, r#"environment_class_id = "0d000000-0000-4000-8000-00000000001""#, "environment_class_id", UUID),
    case("wp_class_not_hex",           WP, Validate, r#"environment_class_id = "0d000000-0000-4000-8000-00000000000g""#, "environment_class_id", UUID),
    case("wp_wait_text",               WP, Validate, r#"wait_for_ready = "sometimes""#,              "wait_for_ready", "a bool is required").tf(),
    case("wp_id_set",                  WP, Validate, r#"id = "0f000000-0000-4000-8000-000000000001""#, "id", READ_ONLY),
    case("wp_missing_project",         WP, Validate, "-project_id",                                  "project_id", r#"The argument "project_id" is required"#).tf(),
    case("wp_timeout_words",           WP, Validate, r#"timeouts { create = "ten minutes" }"#,       "timeouts.create", DURATION),
    case("wp_timeout_fraction_only",   WP, Validate, r#"timeouts { delete = ".m" }"#,                "timeouts.delete", DURATION),
    case("wp_timeout_read",            WP, Validate, r#"timeouts { read = "1m" }"#,                  "timeouts.read", r#"An argument named "read" is not expected here"#).tf(),
    case("wp_import_not_uuid",         WP, Import("wp-1"),                                      "", "", "a UUID like 01234567-89ab-cdef-0123-456789abcdef"),
    case("wp_import_missing",          WP, Import("0f000000-0000-4000-8000-00000000dead"),      "", "", "There is no warm pool with id 0f000000-0000-4000-8000-00000000dead").reads(GET_WARM_POOL),

    // data "pools_instance_pool"
    case("dsip_id_and_name",           DS_IP, Validate, r#"id = "88888888-0000-4000-8000-000000000001""#, "name", "Set exactly one of `id` and `name`"),
    case("dsip_neither",               DS_IP, Validate, "-name",                                  "",    "Set exactly one of `id` and `name`"),
    case("dsip_id_not_uuid",           DS_IP, Validate, r#"-name; id = "web""#,                   "id",  UUID),
    case("dsip_name_empty",            DS_IP, Validate, r#"name = """#,                           "name", NOT_EMPTY),
    case("dsip_zone_unknown",          DS_IP, Validate, r#"zone = "eu-west-1""#,                  "zone", ZONES),
    case("dsip_size_set",              DS_IP, Validate, "size = 3",                               "size", READ_ONLY),
    case("dsip_plan_missing_id",       DS_IP, Plan,     r#"-name; id = "88888888-0000-4000-8000-00000000dead""#, "id", "There is no instance pool 88888888-0000-4000-8000-00000000dead in zone ch-gva-2").reads(GET_POOL),
    case("dsip_plan_missing_name",     DS_IP, Plan,     r#"name = "no-such-pool""#,                "name", r#"There is no instance pool named "no-such-pool" in zone ch-gva-2"#).reads(LIST_POOLS),

    // data "pools_instance_pools"
    case("dsips_zone_unknown",         DS_IPS, Validate, r#"zone = "ch-gva-3""#,                  "zone", ZONES),
    case("dsips_name_empty",           DS_IPS, Validate, r#"name = """#,                          "name", NOT_EMPTY),
    case("dsips_labels_string",        DS_IPS, Validate, r#"labels = "team=web""#,                "labels", "map of string required").tf(),
    case("dsips_ids_set",              DS_IPS, Validate, "ids = []",                              "ids",  READ_ONLY),

    // data "pools_warm_pool"
    case("dswp_id_and_project",        DS_WP, Validate, r#"project_id = "0c000000-0000-4000-8000-000000000001""#, "id", "`id` cannot be combined with `project_id` or `environment_class_id`"),
    case("dswp_project_alone",         DS_WP, Validate, r#"-id; project_id = "0c000000-0000-4000-8000-000000000001""#, "environment_class_id", "`project_id` alone does not identify a warm pool"),
    case("dswp_class_alone",           DS_WP, Validate, r#"-id; environment_class_id = "0d000000-0000-4000-8000-000000000001""#, "project_id", "`environment_class_id` alone does not identify a warm pool"),
    case("dswp_nothing",               DS_WP, Validate, "-id",                                    "",   "Set either `id`, or both `project_id` and `environment_class_id`"),
    case("dswp_id_not_uuid",           DS_WP, Validate, r#"id = "wp-1""#,                         "id", UUID),
    case("dswp_pair_bad_class",        DS_WP, Validate, r#"-id; project_id = "0c000000-0000-4000-8000-000000000001"; environment_class_id = "small""#, "environment_class_id", UUID),
    case("dswp_phase_set",             DS_WP, Validate, r#"phase = "READY""#,                     "phase", READ_ONLY),
    case("dswp_plan_missing_id",       DS_WP, Plan,     r#"id = "0f000000-0000-4000-8000-00000000dead""#, "id", "There is no warm pool with id 0f000000-0000-4000-8000-00000000dead").reads(GET_WARM_POOL),
    case("dswp_plan_missing_pair",     DS_WP, Plan,     r#"-id; project_id = "0c000000-0000-4000-8000-000000000002"; environment_class_id = "0d000000-0000-4000-8000-000000000001""#, "", "There is no warm pool for project 0c000000-0000-4000-8000-000000000002").reads(LIST_WARM_POOLS),

    // data "pools_warm_pools"
    case("dswps_project_not_uuid",     DS_WPS, Validate, r#"project_ids = ["sandbox-app"]"#,      "project_ids", UUIDS),
    case("dswps_class_empty",          DS_WPS, Validate, r#"environment_class_ids = [""]"#,       "environment_class_ids", UUIDS),
    case("dswps_project_string",       DS_WPS, Validate, r#"project_ids = "0c000000-0000-4000-8000-000000000001""#, "project_ids", "set of string required").tf(),
    case("dswps_warm_pools_set",       DS_WPS, Validate, "warm_pools = []",                       "warm_pools", READ_ONLY),

    // provider "pools"
    case("prov_zone_unknown",          PROVIDER, Validate, r#"exoscale { zone = "mars-1" }"#,     "exoscale.zone", ZONES),
    case("prov_zone_empty",            PROVIDER, Validate, r#"exoscale { zone = "" }"#,           "exoscale.zone", ZONES),
    case("prov_key_empty",             PROVIDER, Validate, r#"exoscale { key = "" }"#,            "exoscale.key", NOT_EMPTY),
    case("prov_secret_blank",          PROVIDER, Validate, r#"exoscale { secret = "   " }"#,      "exoscale.secret", NOT_EMPTY),
    case("prov_exoscale_endpoint_ftp", PROVIDER, Validate, r#"exoscale { endpoint = "ftp://api.example.com/{zone}/v2" }"#, "exoscale.endpoint", URL),
    case("prov_exoscale_endpoint_bare", PROVIDER, Validate, r#"exoscale { endpoint = "api-{zone}.exoscale.com/v2" }"#, "exoscale.endpoint", URL),
    case("prov_exoscale_endpoint_host_only", PROVIDER, Validate, r#"exoscale { endpoint = "https://" }"#, "exoscale.endpoint", URL),
    case("prov_exoscale_endpoint_space", PROVIDER, Validate, r#"exoscale { endpoint = "https://api {zone}.example.com/v2" }"#, "exoscale.endpoint", URL),
    case("prov_ona_token_empty",       PROVIDER, Validate, r#"ona { token = "" }"#,               "ona.token", NOT_EMPTY),
    case("prov_key_line_break",        PROVIDER, Validate, r#"exoscale { key = "EXOabc\ndef" }"#, "exoscale.key", PRINTABLE),
    case("prov_ona_token_space",       PROVIDER, Validate, r#"ona { token = "secret token" }"#,   "ona.token", PRINTABLE),
    case("prov_ona_endpoint_bare",     PROVIDER, Validate, r#"ona { endpoint = "localhost:8080/api" }"#, "ona.endpoint", URL),
    case("prov_ona_endpoint_bracket",  PROVIDER, Validate, r#"ona { endpoint = "http://[::1/api" }"#, "ona.endpoint", URL),
    case("prov_ona_endpoint_port",     PROVIDER, Validate, r#"ona { endpoint = "https://app.ona.com:99999/api" }"#, "ona.endpoint", URL),
    case("prov_exoscale_unknown_arg",  PROVIDER, Validate, r#"exoscale { region = "ch-gva-2" }"#, "exoscale.region", r#"An argument named "region" is not expected here"#).tf(),
];

const UBUNTU: &str = "22222222-0000-4000-8000-000000000001";
const PROJECT: &str = "0c000000-0000-4000-8000-000000000001";
const CLASS_SMALL: &str = "0d000000-0000-4000-8000-000000000001";

impl Target {
    /// The block's opening line, and the valid attributes a case starts from.
    fn block(self, name: &str) -> (String, Vec<(&'static str, String)>) {
        let quoted = |v: &str| format!("{v:?}");
        match self {
            IP => (
                format!("resource \"pools_instance_pool\" \"{name}\" {{"),
                vec![
                    ("name", quoted("web")),
                    ("size", "1".into()),
                    ("instance_type", quoted("standard.small")),
                    ("template_id", quoted(UBUNTU)),
                    ("disk_size", "10".into()),
                ],
            ),
            WP => (
                format!("resource \"pools_warm_pool\" \"{name}\" {{"),
                vec![
                    ("project_id", quoted(PROJECT)),
                    ("environment_class_id", quoted(CLASS_SMALL)),
                ],
            ),
            DS_IP => (
                format!("data \"pools_instance_pool\" \"{name}\" {{"),
                vec![("name", quoted("web"))],
            ),
            DS_IPS => (
                format!("data \"pools_instance_pools\" \"{name}\" {{"),
                vec![],
            ),
            DS_WP => (
                format!("data \"pools_warm_pool\" \"{name}\" {{"),
                vec![("id", quoted("0f000000-0000-4000-8000-000000000001"))],
            ),
            DS_WPS => (format!("data \"pools_warm_pools\" \"{name}\" {{"), vec![]),
            PROVIDER => (
                "provider \"pools\" {".to_string(),
                vec![("alias", quoted(name))],
            ),
        }
    }

    /// The address `terraform import` takes for a resource case.
    fn address(self, name: &str) -> String {
        match self {
            IP => format!("pools_instance_pool.{name}"),
            WP => format!("pools_warm_pool.{name}"),
            other => panic!("{other:?} cannot be imported"),
        }
    }
}

/// Splits `a = 1; b = "x;y"` at the semicolons outside strings.
fn hcl_lines(hcl: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let (mut quoted, mut escaped) = (false, false);
    for c in hcl.chars() {
        match c {
            ';' if !quoted => lines.push(String::new()),
            _ => {
                if let Some(line) = lines.last_mut() {
                    line.push(c);
                }
                match (c, escaped) {
                    ('\\', false) => escaped = true,
                    ('"', false) => quoted = !quoted,
                    _ => escaped = false,
                }
            }
        }
    }
    lines
        .into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The case's block: the base attributes it does not replace or drop, then its own lines.
fn render(case: &Case) -> String {
    let (open, base) = case.target.block(case.name);
    let lines = hcl_lines(case.hcl);
    let dropped: BTreeSet<&str> = lines.iter().filter_map(|l| l.strip_prefix('-')).collect();
    let replaced: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| is_identifier(name))
        .collect();
    let mut out = vec![open];
    for (name, value) in base {
        if !dropped.contains(name) && !replaced.contains(name) {
            out.push(format!("  {name} = {value}"));
        }
    }
    for line in lines.iter().filter(|l| !l.starts_with('-')) {
        out.push(format!("  {line}"));
    }
    out.push("}".to_string());
    if case.target == PROVIDER {
        // Terraform validates a provider configuration only when something uses it.
        out.push(format!(
            "data \"pools_warm_pools\" \"{0}\" {{\n  provider = pools.{0}\n}}",
            case.name
        ));
    }
    out.join("\n") + "\n"
}

const HEADER_LINES: usize = 6;

fn header() -> String {
    let header = format!(
        "terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\n"
    );
    assert_eq!(header.lines().count(), HEADER_LINES);
    header
}

/// A configuration holding `cases`, and the lines (1-based, inclusive) each case's block
/// takes in it.
fn configuration(cases: &[&Case]) -> (String, Vec<(usize, usize)>) {
    let mut text = header();
    let mut spans = Vec::new();
    for case in cases {
        let block = render(case);
        let first = text.lines().count() + 1;
        spans.push((first, first + block.lines().count() - 1));
        text.push_str(&block);
        text.push('\n');
    }
    (text, spans)
}

/// One diagnostic as `-json` output gives it.
#[derive(Debug)]
struct Diag {
    error: bool,
    summary: String,
    detail: String,
    /// The line the diagnostic points at, if it points at one.
    line: Option<usize>,
    /// The source line(s) Terraform quotes.
    code: String,
}

impl Diag {
    fn from_json(d: &Json) -> Diag {
        let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
        Diag {
            error: d["severity"] == "error",
            summary: text(&d["summary"]),
            detail: text(&d["detail"]),
            line: d["range"]["start"]["line"]
                .as_u64()
                .and_then(|l| usize::try_from(l).ok()),
            code: text(&d["snippet"]["code"]),
        }
    }

    fn text(&self) -> String {
        format!("{}: {}", self.summary, self.detail)
    }

    /// Whether it names `path`. An attribute the case's block sets must be the line
    /// Terraform quotes (it quotes the attribute's own line for a provider diagnostic only
    /// when the diagnostic carries the attribute's path); one the block leaves out must be
    /// named in the text. An empty path is the block: Terraform quotes its first line.
    fn names(&self, path: &str, case: &str, block: &str) -> bool {
        if path.is_empty() {
            return self.code.contains(&format!("\"{case}\""));
        }
        let last = path.rsplit('.').next().unwrap_or(path);
        if block.lines().any(|line| assigns(line, last)) {
            self.code.lines().any(|line| assigns(line, last))
        } else {
            names_word(&self.text(), last)
        }
    }
}

/// Whether `line` sets `name` (`name = ...`, or `name {` for a block), also inside a
/// one-line block such as `timeouts { create = "5m" }`.
fn assigns(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let rest = line[at + name.len()..].trim_start();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"')
            && (rest.starts_with('=') && !rest.starts_with("==") || rest.starts_with('{'))
    })
}

/// Whether `text` names `word` as a word of its own.
fn names_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + word.len()..].chars().next().is_some_and(ident)
    })
}

/// The diagnostics of `terraform validate -json`.
fn validate_diagnostics(run: &Run) -> Vec<Diag> {
    let json: Json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("validate -json printed no JSON ({e}):\n{run}"));
    json["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnostics in:\n{run}"))
        .iter()
        .map(Diag::from_json)
        .collect()
}

/// The diagnostics of `terraform plan -json` (one JSON message per line).
fn plan_diagnostics(run: &Run) -> Vec<Diag> {
    run.stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|message| message["type"] == "diagnostic")
        .map(|message| Diag::from_json(&message["diagnostic"]))
        .collect()
}

/// Checks one batch: every error belongs to a case, names its path, and each case has one
/// that says what is allowed. Returns what is wrong, one line per problem.
fn check_batch(cases: &[&Case], spans: &[(usize, usize)], diags: &[Diag]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut per_case: BTreeMap<usize, Vec<&Diag>> = BTreeMap::new();
    for d in diags.iter().filter(|d| d.error) {
        let owner = d
            .line
            .and_then(|line| spans.iter().position(|(a, b)| (*a..=*b).contains(&line)));
        match owner {
            Some(i) => per_case.entry(i).or_default().push(d),
            None => problems.push(format!("an error of no case: {d:?}")),
        }
    }
    for (i, case) in cases.iter().enumerate() {
        let found = per_case.remove(&i).unwrap_or_default();
        let block = render(case);
        let fits =
            |d: &&Diag| d.names(case.path, case.name, &block) && d.text().contains(case.message);
        if !found.iter().any(fits) {
            let got: Vec<String> = found
                .iter()
                .map(|d| format!("{} [quoting {:?}]", d.text(), d.code))
                .collect();
            problems.push(format!(
                "{}: no error names `{}` and says {:?}; got {got:?}",
                case.name, case.path, case.message
            ));
        }
    }
    problems
}

/// Every request must be a read one of `cases` may make.
fn check_requests(what: &str, cases: &[&Case], requests: &[LoggedRequest]) -> Vec<String> {
    let allowed: BTreeSet<&str> = cases.iter().flat_map(|c| c.reads.iter().copied()).collect();
    requests
        .iter()
        .filter(|r| {
            let read = match r.api {
                "exoscale" => r.method == "GET",
                _ => true,
            };
            !read || !allowed.contains(r.route)
        })
        .map(|r| {
            format!(
                "{what}: an API call no case may make: {} {} {} ({})",
                r.api, r.method, r.path, r.route
            )
        })
        .collect()
}

/// A sandbox with the provider pointed at it through the environment.
struct Bed {
    sandbox: Sandbox,
    ws: Workspace,
    _rt: Runtime,
}

impl Bed {
    fn new(tf: &Terraform) -> Bed {
        let rt = Runtime::new().unwrap_or_else(|e| panic!("tokio runtime: {e}"));
        let listen = "127.0.0.1:0".parse().expect("a literal socket address");
        let sandbox = rt
            .block_on(Sandbox::start(Config::default(), listen))
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        let ws = Workspace::new(tf).against(&sandbox);
        Bed {
            sandbox,
            ws,
            _rt: rt,
        }
    }

    fn run(&self, config: &str, args: &[&str]) -> (Run, Vec<LoggedRequest>) {
        self.ws.write("main.tf", config);
        self.sandbox.requests().clear();
        let run = self.ws.terraform(args);
        (run, self.sandbox.requests().all())
    }

    /// What the sandbox holds beyond its fixtures: must stay nothing.
    fn pools(&self) -> (usize, usize) {
        (
            self.sandbox.shared.exoscale.pool_count(),
            self.sandbox.shared.ona.pool_count(),
        )
    }
}

/// Runs `cases` with `tf` and returns every problem found, with the time each step took.
fn run_corpus(tf: &Terraform, cases: &[&Case]) -> (Vec<String>, Vec<String>) {
    let bed = Bed::new(tf);
    let before = bed.pools();
    let mut problems = Vec::new();
    let mut timings = Vec::new();
    for (command, args, parse) in [
        (
            Validate,
            &["validate", "-json", "-no-color"][..],
            validate_diagnostics as fn(&Run) -> Vec<Diag>,
        ),
        (
            Plan,
            &["plan", "-json", "-input=false", "-no-color"][..],
            plan_diagnostics,
        ),
    ] {
        let batch: Vec<&Case> = cases
            .iter()
            .copied()
            .filter(|c| c.command == command)
            .collect();
        if batch.is_empty() {
            continue;
        }
        let (config, spans) = configuration(&batch);
        let started = Instant::now();
        let (run, requests) = bed.run(&config, args);
        timings.push(format!(
            "{command:?} ({} cases): {:.1} s, {} API reads",
            batch.len(),
            started.elapsed().as_secs_f64(),
            requests.len()
        ));
        if run.code != Some(1) {
            problems.push(format!("{command:?}: expected exit code 1:\n{run}"));
            continue;
        }
        let found = check_batch(&batch, &spans, &parse(&run));
        if !found.is_empty() {
            problems.extend(found);
            problems.push(format!("({command:?} output, for the above:)\n{run}"));
        }
        problems.extend(check_requests(&format!("{command:?}"), &batch, &requests));
        if command == Validate && !requests.is_empty() {
            problems.push(format!("validate made API calls: {requests:?}"));
        }
    }
    let started = Instant::now();
    let imports: Vec<&Case> = cases
        .iter()
        .copied()
        .filter(|c| matches!(c.command, Import(_)))
        .collect();
    for case in &imports {
        let Import(id) = case.command else {
            continue;
        };
        let config = header() + &render(case);
        let address = case.target.address(case.name);
        let (run, requests) = bed.run(
            &config,
            &["import", "-input=false", "-no-color", &address, id],
        );
        // Terraform wraps the error's lines.
        let error = run.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        let quoted = match id.split_once('@') {
            Some((pool, _)) if !pool.is_empty() => pool,
            _ => id,
        };
        if run.code != Some(1) {
            problems.push(format!("{}: expected exit code 1:\n{run}", case.name));
        } else if !error.contains(case.message) || !error.contains(quoted) {
            problems.push(format!(
                "{}: the error must quote {quoted:?} and say {:?}:\n{run}",
                case.name, case.message
            ));
        }
        problems.extend(check_requests(case.name, &[case], &requests));
    }
    if !imports.is_empty() {
        timings.push(format!(
            "Import ({} cases, one run each): {:.1} s",
            imports.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    if bed.pools() != before {
        problems.push(format!(
            "the sandbox's pools changed: {before:?} -> {:?}",
            bed.pools()
        ));
    }
    (problems, timings)
}

fn terraform(version: &str) -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == version)
        .unwrap_or_else(|| panic!("Terraform {version} is not among the tested versions"))
}

fn assert_corpus(version: &str, cases: &[&Case]) {
    let started = Instant::now();
    let (problems, timings) = run_corpus(&terraform(version), cases);
    eprintln!(
        "bad-input corpus, Terraform {version}: {} cases in {:.1} s ({})",
        cases.len(),
        started.elapsed().as_secs_f64(),
        timings.join("; ")
    );
    assert!(
        problems.is_empty(),
        "Terraform {version}: {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_bad_input_fails_with_its_path_and_rule_and_reaches_no_api_terraform_1_15() {
    let all: Vec<&Case> = CORPUS.iter().collect();
    assert_corpus("1.15.5", &all);
}

#[test]
fn provider_worded_bad_inputs_fail_the_same_with_terraform_1_0() {
    let ours: Vec<&Case> = CORPUS
        .iter()
        .filter(|c| c.source == Source::Provider)
        .collect();
    assert_corpus("1.0.3", &ours);
}

/// The corpus itself: big enough, every target and command covered, names usable as
/// block labels and unique, paths and messages given.
#[test]
fn the_corpus_covers_every_target_and_command() {
    assert!(CORPUS.len() >= 60, "{} cases", CORPUS.len());
    let mut names = BTreeSet::new();
    let mut per_target: BTreeMap<Target, usize> = BTreeMap::new();
    for case in CORPUS {
        assert!(is_identifier(case.name), "{}", case.name);
        assert!(names.insert(case.name), "duplicate case {}", case.name);
        assert!(!case.message.is_empty(), "{}", case.name);
        *per_target.entry(case.target).or_default() += 1;
        match case.command {
            Validate => assert!(case.reads.is_empty(), "{}: validate reads", case.name),
            Plan => {}
            Import(_) => assert!(matches!(case.target, IP | WP), "{}", case.name),
        }
    }
    eprintln!("bad-input cases per target: {per_target:?}");
    assert_eq!(per_target.len(), 7, "{per_target:?}");
    for command in [Validate, Plan] {
        assert!(CORPUS.iter().any(|c| c.command == command));
    }
    assert!(CORPUS.iter().any(|c| matches!(c.command, Import(_))));
    // A case's HCL replaces base attributes and keeps the rest.
    let block = render(&case(
        "x",
        IP,
        Validate,
        r#"size = 2; -disk_size; labels = { a = "b;c" }"#,
        "size",
        "m",
    ));
    assert!(block.contains("  size = 2\n") && !block.contains("size = 1"));
    assert!(!block.contains("disk_size") && block.contains(r#"labels = { a = "b;c" }"#));
    assert!(block.contains("  name = \"web\"\n"), "{block}");
}
