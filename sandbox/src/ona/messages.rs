//! The request messages of the warm pool procedures, decoded from proto3 JSON and checked
//! against the buf.validate rules `gitpod/v1/prebuild.proto` declares (sizes, UUIDs,
//! list limits). Ids are lowercased so lookups do not depend on the caller's case.

use serde_json::Value;

use super::connect::ConnectError;
use super::proto_json::{Field, Fields, Violations};

pub const MAX_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;
const MAX_FILTER_ITEMS: usize = 25;

pub struct CreateWarmPool {
    pub project_id: String,
    pub environment_class_id: String,
    /// Deprecated; 0 = unset (the field has no presence on create).
    pub desired_size: i32,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
}

pub struct UpdateWarmPool {
    pub warm_pool_id: String,
    pub desired_size: Option<i32>,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
}

/// Get and Delete both name one pool.
pub struct WarmPoolId {
    pub warm_pool_id: String,
}

pub struct ListWarmPools {
    pub page_size: i32,
    pub token: String,
    pub project_ids: Vec<String>,
    pub environment_class_ids: Vec<String>,
}

const CREATE_FIELDS: &[Field] = &[
    ("project_id", "projectId"),
    ("environment_class_id", "environmentClassId"),
    ("desired_size", "desiredSize"),
    ("min_size", "minSize"),
    ("max_size", "maxSize"),
];
const UPDATE_FIELDS: &[Field] = &[
    ("warm_pool_id", "warmPoolId"),
    ("desired_size", "desiredSize"),
    ("min_size", "minSize"),
    ("max_size", "maxSize"),
];
const ID_FIELDS: &[Field] = &[("warm_pool_id", "warmPoolId")];
const LIST_FIELDS: &[Field] = &[("pagination", "pagination"), ("filter", "filter")];
const PAGINATION_FIELDS: &[Field] = &[("page_size", "pageSize"), ("token", "token")];
const FILTER_FIELDS: &[Field] = &[
    ("project_ids", "projectIds"),
    ("environment_class_ids", "environmentClassIds"),
];

/// The range rules shared by create and update.
fn check_sizes(v: &mut Violations, desired: Option<i32>, min: Option<i32>, max: Option<i32>) {
    v.range("desired_size", desired, 1, MAX_SIZE);
    v.range("min_size", min, 0, MAX_SIZE);
    v.range("max_size", max, 1, MAX_SIZE);
}

impl CreateWarmPool {
    pub fn decode(body: &Value) -> Result<Self, ConnectError> {
        let f = Fields::parse("gitpod.v1.CreateWarmPoolRequest", body, CREATE_FIELDS)?;
        let request = CreateWarmPool {
            project_id: f.string("project_id")?.to_ascii_lowercase(),
            environment_class_id: f.string("environment_class_id")?.to_ascii_lowercase(),
            desired_size: f.int32("desired_size")?.unwrap_or(0),
            min_size: f.int32("min_size")?,
            max_size: f.int32("max_size")?,
        };
        let mut v = Violations::default();
        v.required_uuid("project_id", &request.project_id);
        v.required_uuid("environment_class_id", &request.environment_class_id);
        let desired = Some(request.desired_size).filter(|d| *d != 0);
        check_sizes(&mut v, desired, request.min_size, request.max_size);
        v.into_result()?;
        Ok(request)
    }
}

impl UpdateWarmPool {
    pub fn decode(body: &Value) -> Result<Self, ConnectError> {
        let f = Fields::parse("gitpod.v1.UpdateWarmPoolRequest", body, UPDATE_FIELDS)?;
        let request = UpdateWarmPool {
            warm_pool_id: f.string("warm_pool_id")?.to_ascii_lowercase(),
            desired_size: f.int32("desired_size")?,
            min_size: f.int32("min_size")?,
            max_size: f.int32("max_size")?,
        };
        let mut v = Violations::default();
        v.required_uuid("warm_pool_id", &request.warm_pool_id);
        check_sizes(
            &mut v,
            request.desired_size,
            request.min_size,
            request.max_size,
        );
        v.into_result()?;
        Ok(request)
    }
}

impl WarmPoolId {
    pub fn decode(message: &'static str, body: &Value) -> Result<Self, ConnectError> {
        let f = Fields::parse(message, body, ID_FIELDS)?;
        let warm_pool_id = f.string("warm_pool_id")?.to_ascii_lowercase();
        let mut v = Violations::default();
        v.required_uuid("warm_pool_id", &warm_pool_id);
        v.into_result()?;
        Ok(WarmPoolId { warm_pool_id })
    }
}

impl ListWarmPools {
    pub fn decode(body: &Value) -> Result<Self, ConnectError> {
        let f = Fields::parse("gitpod.v1.ListWarmPoolsRequest", body, LIST_FIELDS)?;
        let pagination = f.message(
            "pagination",
            "gitpod.v1.PaginationRequest",
            PAGINATION_FIELDS,
        )?;
        let filter = f.message(
            "filter",
            "gitpod.v1.ListWarmPoolsRequest.Filter",
            FILTER_FIELDS,
        )?;
        let lower = |ids: Vec<String>| ids.into_iter().map(|s| s.to_ascii_lowercase()).collect();
        let (page_size, token) = match &pagination {
            Some(p) => (p.int32("page_size")?.unwrap_or(0), p.string("token")?),
            None => (0, String::new()),
        };
        let (project_ids, environment_class_ids) = match &filter {
            Some(p) => (
                lower(p.strings("project_ids")?),
                lower(p.strings("environment_class_ids")?),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let mut v = Violations::default();
        v.range("pagination.page_size", Some(page_size), 0, MAX_PAGE_SIZE);
        for (name, ids) in [
            ("filter.project_ids", &project_ids),
            ("filter.environment_class_ids", &environment_class_ids),
        ] {
            v.max_items(name, ids.len(), MAX_FILTER_ITEMS);
            for (i, id) in ids.iter().enumerate() {
                v.uuid(&format!("{name}[{i}]"), id);
            }
        }
        v.into_result()?;
        Ok(ListWarmPools {
            page_size,
            token,
            project_ids,
            environment_class_ids,
        })
    }
}
