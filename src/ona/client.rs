//! Ona (Gitpod) PrebuildService client: Connect unary calls with JSON bodies and a bearer
//! token.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::model::*;
use crate::http::{ApiError, Call, ErrorKind, HttpApi};
use crate::wait::Stop;

/// The public API base, as the official SDK uses it.
pub const DEFAULT_BASE_URL: &str = "https://app.ona.com/api";
const SERVICE: &str = "Ona API";
const PREFIX: &str = "/gitpod.v1.PrebuildService/";
/// The largest page the API serves.
pub const PAGE_SIZE: i32 = 100;
/// Bounds pagination against a server that keeps answering the same token.
const MAX_PAGES: usize = 1000;

pub struct OnaClient {
    http: HttpApi,
    authorization: HeaderValue,
    base: String,
}

impl fmt::Debug for OnaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnaClient")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl OnaClient {
    /// `base` is the API base URL, e.g. [`DEFAULT_BASE_URL`] or `http://127.0.0.1:PORT/api`.
    pub fn new(token: &str, base: &str) -> Result<Self, ApiError> {
        let base = base.trim().trim_end_matches('/').to_string();
        Url::parse(&base)
            .map_err(|e| ApiError::config(SERVICE, format!("invalid endpoint {base:?}: {e}")))?;
        if token.trim().is_empty() {
            return Err(ApiError::config(SERVICE, "the API token must not be empty"));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| {
                ApiError::config(
                    SERVICE,
                    "the API token contains characters not allowed in a header",
                )
            })?;
        authorization.set_sensitive(true);
        Ok(Self {
            http: HttpApi::new(SERVICE)?,
            authorization,
            base,
        })
    }

    /// Ends in-flight calls and retries when Terraform asks the provider to stop.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.http.set_stop(stop);
        self
    }

    /// Creates a pool. Never retried: a lost answer must not turn into a duplicate.
    pub async fn create_warm_pool(
        &self,
        project_id: &str,
        environment_class_id: &str,
        min_size: i32,
        max_size: i32,
    ) -> Result<WarmPool, ApiError> {
        let request = CreateWarmPoolRequest {
            project_id: project_id.to_string(),
            environment_class_id: environment_class_id.to_string(),
            min_size: Some(min_size),
            max_size: Some(max_size),
        };
        let response: WarmPoolResponse = self.call("CreateWarmPool", &request, false).await?;
        self.pool_in(response, "CreateWarmPool")
    }

    /// None when the pool does not exist.
    pub async fn get_warm_pool(&self, id: &str) -> Result<Option<WarmPool>, ApiError> {
        let request = WarmPoolIdRequest {
            warm_pool_id: id.to_string(),
        };
        match self
            .call::<WarmPoolResponse>("GetWarmPool", &request, true)
            .await
        {
            Ok(response) => self.pool_in(response, "GetWarmPool").map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn update_warm_pool(
        &self,
        id: &str,
        min_size: i32,
        max_size: i32,
    ) -> Result<WarmPool, ApiError> {
        let request = UpdateWarmPoolRequest {
            warm_pool_id: id.to_string(),
            min_size: Some(min_size),
            max_size: Some(max_size),
        };
        let response: WarmPoolResponse = self.call("UpdateWarmPool", &request, true).await?;
        self.pool_in(response, "UpdateWarmPool")
    }

    /// Starts deleting a pool; a pool that is already gone is not an error.
    pub async fn delete_warm_pool(&self, id: &str) -> Result<(), ApiError> {
        let request = WarmPoolIdRequest {
            warm_pool_id: id.to_string(),
        };
        match self
            .call::<serde_json::Value>("DeleteWarmPool", &request, true)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Lists every pool matching `filter`, following pagination to the end.
    pub async fn list_warm_pools(
        &self,
        filter: &WarmPoolFilter,
    ) -> Result<Vec<WarmPool>, ApiError> {
        let mut pools = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let request = ListWarmPoolsRequest {
                pagination: PaginationRequest {
                    token: token.clone(),
                    page_size: PAGE_SIZE,
                },
                filter: filter.clone(),
            };
            let page: ListWarmPoolsResponse = self.call("ListWarmPools", &request, true).await?;
            pools.extend(page.warm_pools);
            let next = page.pagination.next_token;
            if next.is_empty() {
                return Ok(pools);
            }
            if next == token {
                return Err(
                    self.protocol_error("ListWarmPools", "the server repeated a page token")
                );
            }
            token = next;
        }
        Err(self.protocol_error("ListWarmPools", "too many pages"))
    }

    fn pool_in(&self, response: WarmPoolResponse, method: &str) -> Result<WarmPool, ApiError> {
        response
            .warm_pool
            .ok_or_else(|| self.protocol_error(method, "the answer has no warmPool"))
    }

    fn protocol_error(&self, method: &str, message: &str) -> ApiError {
        ApiError {
            request: format!("POST {PREFIX}{method}"),
            kind: ErrorKind::Decode,
            status: Some(200),
            ..ApiError::config(SERVICE, message)
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        request: &impl Serialize,
        idempotent: bool,
    ) -> Result<T, ApiError> {
        let body = serde_json::to_vec(request)
            .map_err(|e| ApiError::config(SERVICE, format!("cannot encode request: {e}")))?;
        let url = format!("{}{PREFIX}{method}", self.base);
        let call = Call {
            url: Url::parse(&url)
                .map_err(|e| ApiError::config(SERVICE, format!("invalid URL {url}: {e}")))?,
            label: format!("POST {PREFIX}{method}"),
            method: Method::POST,
            body: Some(body),
            idempotent,
        };
        self.http.json(&call, &|_| Ok(self.headers())).await
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, self.authorization.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            HeaderName::from_static("connect-protocol-version"),
            HeaderValue::from_static("1"),
        );
        headers
    }
}
