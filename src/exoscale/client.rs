//! Exoscale API v2 client for instance pools: signed JSON calls, operations and waiting.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

use super::model::*;
use super::sign::{Signer, VALIDITY_SECS};
use crate::http::{path_segment, ApiError, Call, HttpApi};
use crate::wait::{poll_until, Poll, Stop, WaitError};

/// The public API; `{zone}` is replaced by the zone of each call.
pub const DEFAULT_ENDPOINT: &str = "https://api-{zone}.exoscale.com/v2";
const SERVICE: &str = "Exoscale API";

/// What a delete call achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The delete was accepted: wait for this operation.
    Started(Operation),
    /// The pool was already being destroyed (the API answered 409): wait for it to go.
    AlreadyDestroying,
    /// The pool no longer exists.
    AlreadyGone,
}

/// Why waiting for an operation failed (besides timing out or being stopped).
#[derive(Debug, Clone)]
pub enum OperationError {
    Api(ApiError),
    /// The operation ended in `failure`, `timeout` or another non-success state.
    Unsuccessful(Operation),
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationError::Api(e) => e.fmt(f),
            OperationError::Unsuccessful(op) => {
                write!(f, "{SERVICE}: operation {}", op.id)?;
                if let Some(command) = op.reference.as_ref().and_then(|r| r.command.as_deref()) {
                    write!(f, " ({command})")?;
                }
                write!(f, " ended in {}", op.state.as_str())?;
                if let Some(reason) = &op.reason {
                    write!(f, " (reason: {reason})")?;
                }
                match op.message.as_deref().filter(|m| !m.is_empty()) {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for OperationError {}

/// A client for one Exoscale account, across zones.
pub struct ExoscaleClient {
    http: HttpApi,
    signer: Signer,
    endpoint: String,
}

impl fmt::Debug for ExoscaleClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExoscaleClient")
            .field("endpoint", &self.endpoint)
            .field("credentials", &"<redacted>")
            .finish()
    }
}

impl ExoscaleClient {
    /// `endpoint_template` is a base URL where `{zone}` stands for the zone, e.g.
    /// [`DEFAULT_ENDPOINT`] or `http://127.0.0.1:PORT/{zone}/v2` for the sandbox.
    pub fn new(key: &str, secret: &str, endpoint_template: &str) -> Result<Self, ApiError> {
        let endpoint = endpoint_template.trim().trim_end_matches('/').to_string();
        // Validate the template once with a sample zone, so calls only fail on bad zones.
        Url::parse(&endpoint.replace("{zone}", "ch-gva-2")).map_err(|e| {
            ApiError::config(SERVICE, format!("invalid endpoint {endpoint:?}: {e}"))
        })?;
        if key.is_empty() || secret.is_empty() {
            return Err(ApiError::config(
                SERVICE,
                "the API key and secret must not be empty",
            ));
        }
        Ok(Self {
            http: HttpApi::new(SERVICE)?,
            signer: Signer::new(key, secret),
            endpoint,
        })
    }

    /// Ends in-flight calls and retries when Terraform asks the provider to stop.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.http.set_stop(stop);
        self
    }

    pub async fn create_instance_pool(
        &self,
        zone: &str,
        pool: &CreateInstancePool,
    ) -> Result<Operation, ApiError> {
        // Never retried: a second create could make a second pool.
        self.call(
            zone,
            Method::POST,
            "/instance-pool".into(),
            Some(pool),
            false,
        )
        .await
    }

    /// None when the pool does not exist (404).
    pub async fn get_instance_pool(
        &self,
        zone: &str,
        id: &str,
    ) -> Result<Option<InstancePool>, ApiError> {
        let path = format!("/instance-pool/{}", path_segment(id));
        not_found_as_none(self.call(zone, Method::GET, path, None::<&()>, true).await)
    }

    pub async fn list_instance_pools(&self, zone: &str) -> Result<Vec<InstancePool>, ApiError> {
        let list: InstancePoolList = self
            .call(
                zone,
                Method::GET,
                "/instance-pool".into(),
                None::<&()>,
                true,
            )
            .await?;
        Ok(list.instance_pools)
    }

    pub async fn update_instance_pool(
        &self,
        zone: &str,
        id: &str,
        update: &UpdateInstancePool,
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}", path_segment(id));
        self.call(zone, Method::PUT, path, Some(update), true).await
    }

    pub async fn scale_instance_pool(
        &self,
        zone: &str,
        id: &str,
        size: i64,
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}:scale", path_segment(id));
        let body = ScaleInstancePool { size };
        self.call(zone, Method::PUT, path, Some(&body), true).await
    }

    pub async fn reset_instance_pool_field(
        &self,
        zone: &str,
        id: &str,
        field: ResettableField,
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}/{}", path_segment(id), field.path_name());
        self.call(zone, Method::DELETE, path, None::<&()>, true)
            .await
    }

    pub async fn evict_instance_pool_members(
        &self,
        zone: &str,
        id: &str,
        instance_ids: &[String],
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}:evict", path_segment(id));
        let body = EvictInstancePoolMembers {
            instances: instance_ids.to_vec(),
        };
        // Not retried: a repeated eviction would shrink the pool again.
        self.call(zone, Method::PUT, path, Some(&body), false).await
    }

    /// Deletes a pool. A pool already being destroyed or already gone is not an error.
    pub async fn delete_instance_pool(&self, zone: &str, id: &str) -> Result<Deletion, ApiError> {
        let path = format!("/instance-pool/{}", path_segment(id));
        match self
            .call(zone, Method::DELETE, path, None::<&()>, true)
            .await
        {
            Ok(op) => Ok(Deletion::Started(op)),
            Err(e) if e.is_not_found() => Ok(Deletion::AlreadyGone),
            // 409 also covers other conflicts: only a pool seen destroying (or gone) counts.
            Err(e) if e.is_conflict() => match self.get_instance_pool(zone, id).await? {
                None => Ok(Deletion::AlreadyGone),
                Some(pool) if pool.state == Some(PoolState::Destroying) => {
                    Ok(Deletion::AlreadyDestroying)
                }
                Some(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub async fn get_operation(&self, zone: &str, id: &str) -> Result<Operation, ApiError> {
        let path = format!("/operation/{}", path_segment(id));
        self.call(zone, Method::GET, path, None::<&()>, true).await
    }

    /// Polls `op` until it leaves `pending`. Success returns the final operation; failure,
    /// timeout (of the operation or of our deadline) and stop return an error.
    pub async fn wait_operation(
        &self,
        zone: &str,
        op: Operation,
        deadline: Instant,
        stop: &Stop,
    ) -> Result<Operation, WaitError<OperationError>> {
        let what = match op.reference.as_ref().and_then(|r| r.command.as_deref()) {
            Some(command) => format!("{SERVICE} operation {} ({command})", op.id),
            None => format!("{SERVICE} operation {}", op.id),
        };
        let id = op.id.clone();
        let id = id.as_str();
        let mut first = Some(op);
        poll_until(deadline, stop, &what, || {
            // The operation we were given counts as the first look.
            let known = first.take();
            async move {
                let current = match known {
                    Some(op) => op,
                    None => self
                        .get_operation(zone, id)
                        .await
                        .map_err(OperationError::Api)?,
                };
                match current.state {
                    OperationState::Success => Ok(Poll::Ready(current)),
                    // Unknown states are treated as still running, until the deadline.
                    OperationState::Pending | OperationState::Unknown => {
                        Ok(Poll::pending(format!("state {}", current.state.as_str())))
                    }
                    OperationState::Failure | OperationState::Timeout => {
                        Err(OperationError::Unsuccessful(current))
                    }
                }
            }
        })
        .await
    }

    /// Polls until the pool no longer exists (after a delete).
    pub async fn wait_instance_pool_gone(
        &self,
        zone: &str,
        id: &str,
        deadline: Instant,
        stop: &Stop,
    ) -> Result<(), WaitError<ApiError>> {
        let what = format!("instance pool {id} in {zone} to be deleted");
        poll_until(deadline, stop, &what, || async {
            Ok(match self.get_instance_pool(zone, id).await? {
                None => Poll::Ready(()),
                Some(pool) => Poll::pending(format!(
                    "state {}",
                    pool.state.map_or("unknown", PoolState::as_str)
                )),
            })
        })
        .await
    }

    pub async fn list_instance_types(&self, zone: &str) -> Result<Vec<InstanceType>, ApiError> {
        let list: InstanceTypeList = self
            .call(
                zone,
                Method::GET,
                "/instance-type".into(),
                None::<&()>,
                true,
            )
            .await?;
        Ok(list.instance_types)
    }

    /// None when no instance type has this id.
    pub async fn get_instance_type(
        &self,
        zone: &str,
        id: &str,
    ) -> Result<Option<InstanceType>, ApiError> {
        let path = format!("/instance-type/{}", path_segment(id));
        not_found_as_none(self.call(zone, Method::GET, path, None::<&()>, true).await)
    }

    /// Resolves a `family.size` name (any case) to the instance type; None when unknown.
    pub async fn find_instance_type_by_name(
        &self,
        zone: &str,
        name: &str,
    ) -> Result<Option<InstanceType>, ApiError> {
        let types = self.list_instance_types(zone).await?;
        Ok(find_instance_type(&types, name).cloned())
    }

    fn url(&self, zone: &str, path: &str) -> Result<Url, ApiError> {
        let valid_zone = !zone.is_empty()
            && zone
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_zone {
            return Err(ApiError::config(
                SERVICE,
                format!("invalid zone {zone:?}: expected a zone name such as ch-gva-2"),
            ));
        }
        let url = format!("{}{path}", self.endpoint.replace("{zone}", zone));
        Url::parse(&url).map_err(|e| ApiError::config(SERVICE, format!("invalid URL {url}: {e}")))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        zone: &str,
        method: Method,
        path: String,
        body: Option<&impl Serialize>,
        idempotent: bool,
    ) -> Result<T, ApiError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ApiError::config(SERVICE, format!("cannot encode request: {e}")))?;
        let call = Call {
            label: format!("{method} {path}"),
            url: self.url(zone, &path)?,
            method,
            body,
            idempotent,
        };
        self.http.json(&call, &|call| self.headers(call)).await
    }

    /// Signs each attempt afresh, over the URL path exactly as sent.
    fn headers(&self, call: &Call) -> Result<HeaderMap, ApiError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let authorization = self.signer.authorization(
            call.method.as_str(),
            &call.url,
            call.body_bytes(),
            now + VALIDITY_SECS,
        );
        let mut value = HeaderValue::from_str(&authorization).map_err(|_| {
            ApiError::config(
                SERVICE,
                "the API key contains characters not allowed in a header",
            )
        })?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if call.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        Ok(headers)
    }
}

fn not_found_as_none<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
