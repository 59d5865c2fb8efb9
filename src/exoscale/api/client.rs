//! The Exoscale API v2 client: one signed JSON call per method, for instance pools, their
//! operations, instances and instance types, the load balancers that use a pool, how
//! waits on a zone are paced ([`ExoscaleClient::pacing`]), and each zone's shared lists of
//! pools and members ([`ExoscaleClient::zone_listing`]). It never waits for an operation:
//! that is the caller's step.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::catalogue::{find_instance_type, Catalogue};
use super::errors::{load_balancer_lock, ExoscaleErrors};
use super::sign::{Signer, VALIDITY_SECS};
use super::wire::*;
use super::zone_lists::{Changing, Listing, ZoneLists};
use crate::http::{path_segment, ApiError, Call, ErrorKind, HttpApi};
use crate::plugin::Stop;
use crate::trust::Trust;
use crate::wait::{Endpoint, Pacing};

/// The public API; `{zone}` is replaced by the zone of each call.
pub const DEFAULT_ENDPOINT: &str = "https://api-{zone}.exoscale.com/v2";
/// How messages name the API.
pub const SERVICE: &str = "Exoscale API";

/// What a delete call came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The delete was accepted: wait for this operation.
    Started(Operation),
    /// The pool was already being destroyed (the API answered 409): wait for it to go.
    AlreadyDestroying,
    /// The pool no longer exists.
    AlreadyGone,
    /// Refused: a Network Load Balancer service uses the pool. `load_balancer_id` is the
    /// load balancer the API named, if it named one; `message` is the API's own words.
    LockedByLoadBalancer {
        load_balancer_id: Option<String>,
        message: String,
    },
}

/// A client for one Exoscale account, across zones.
pub struct ExoscaleClient {
    http: HttpApi,
    signer: Signer,
    endpoint: String,
    catalogue: Catalogue,
    zone_lists: ZoneLists,
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
        Self::with_trust(key, secret, endpoint_template, &Trust::system())
    }

    /// Like [`ExoscaleClient::new`], with TLS trusting `trust`'s authorities.
    pub fn with_trust(
        key: &str,
        secret: &str,
        endpoint_template: &str,
        trust: &Trust,
    ) -> Result<Self, ApiError> {
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
            http: HttpApi::with_trust(SERVICE, &ExoscaleErrors, trust)?,
            signer: Signer::new(key, secret),
            endpoint,
            catalogue: Catalogue::default(),
            zone_lists: ZoneLists::default(),
        })
    }

    /// Ends in-flight calls and retries when Terraform asks the provider to stop.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.http.set_stop(stop);
        self
    }

    /// How long one HTTP attempt may take before it counts as a timeout.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.with_attempt_timeout(timeout);
        self
    }

    pub async fn create_instance_pool(
        &self,
        zone: &str,
        pool: &CreateInstancePool,
    ) -> Result<Operation, ApiError> {
        // Never retried: a second create could make a second pool.
        let op: Operation = self
            .call(
                zone,
                Method::POST,
                "/instance-pool".into(),
                Some(pool),
                false,
            )
            .await?;
        if op.reference_id().is_some() || op.id.is_empty() {
            return Ok(op);
        }
        // Without its reference the answer does not name the new pool; the operation,
        // read again, does. Should that fail too, the caller reports the unnamed pool.
        match self.get_operation(zone, &op.id).await {
            Ok(read) if read.reference_id().is_some() => Ok(read),
            _ => Ok(op),
        }
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

    /// The instances pool `pool_id` manages, in one call.
    pub async fn list_pool_instances(
        &self,
        zone: &str,
        pool_id: &str,
    ) -> Result<Vec<Instance>, ApiError> {
        let path = format!(
            "/instance?manager-id={}&manager-type=instance-pool",
            path_segment(pool_id)
        );
        let list: InstanceList = self
            .call(zone, Method::GET, path, None::<&()>, true)
            .await?;
        Ok(list.instances)
    }

    /// Every instance that an instance pool manages in `zone`, in one call.
    pub async fn list_zone_pool_members(&self, zone: &str) -> Result<Vec<Instance>, ApiError> {
        let path = "/instance?manager-type=instance-pool".to_string();
        let list: InstanceList = self
            .call(zone, Method::GET, path, None::<&()>, true)
            .await?;
        Ok(list.instances)
    }

    /// `zone`'s pools and pool members, listed by two concurrent calls at most once at a
    /// time and kept for a while (see [`ZoneLists::listing`]).
    pub async fn zone_listing(&self, zone: &str) -> Result<Arc<Listing>, ApiError> {
        let fetch = || async {
            let (pools, members) = tokio::join!(
                self.list_instance_pools(zone),
                self.list_zone_pool_members(zone)
            );
            Ok((pools?, members?))
        };
        self.zone_lists.listing(zone, fetch).await
    }

    /// The ledger of reads and changes that decides when a listing may serve a read.
    pub fn zone_lists(&self) -> &ZoneLists {
        &self.zone_lists
    }

    /// Marks pool `id` as changing until the guard drops, so that no listing requested
    /// before then stands for it.
    pub fn changing(&self, zone: &str, id: &str) -> Changing<'_> {
        self.zone_lists.changing(zone, id)
    }

    // Updates, scales, resets and deletes are sent once each: after a lost answer the first
    // request may already be running an operation, and a blind repeat would start another
    // on top of it or be refused as a conflict. The caller reads the pool first and sends
    // again only when the change did not land (see `crate::wait::send_change`).
    pub async fn update_instance_pool(
        &self,
        zone: &str,
        id: &str,
        update: &UpdateInstancePool,
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}", path_segment(id));
        self.call(zone, Method::PUT, path, Some(update), false)
            .await
    }

    pub async fn scale_instance_pool(
        &self,
        zone: &str,
        id: &str,
        size: i64,
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}:scale", path_segment(id));
        let body = ScaleInstancePool { size };
        self.call(zone, Method::PUT, path, Some(&body), false).await
    }

    pub async fn reset_instance_pool_field(
        &self,
        zone: &str,
        id: &str,
        field: ResettableField,
    ) -> Result<Operation, ApiError> {
        let path = format!("/instance-pool/{}/{}", path_segment(id), field.path_name());
        self.call(zone, Method::DELETE, path, None::<&()>, false)
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

    /// Deletes a pool. A pool already being destroyed or already gone is not an error, nor
    /// is a refusal because a load balancer uses the pool: the caller says what to do.
    pub async fn delete_instance_pool(&self, zone: &str, id: &str) -> Result<Deletion, ApiError> {
        let path = format!("/instance-pool/{}", path_segment(id));
        match self
            .call(zone, Method::DELETE, path, None::<&()>, false)
            .await
        {
            Ok(op) => Ok(Deletion::Started(op)),
            Err(e) if e.is_not_found() => Ok(Deletion::AlreadyGone),
            Err(e) if e.kind == ErrorKind::Client => match load_balancer_lock(&e.message) {
                Some(load_balancer_id) => Ok(Deletion::LockedByLoadBalancer {
                    load_balancer_id,
                    message: e.message,
                }),
                None if e.is_conflict() => self.conflicting_delete(zone, id, e).await,
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// A delete answered 409: only a pool seen destroying (or gone) counts as deleted.
    async fn conflicting_delete(
        &self,
        zone: &str,
        id: &str,
        e: ApiError,
    ) -> Result<Deletion, ApiError> {
        match self.get_instance_pool(zone, id).await? {
            None => Ok(Deletion::AlreadyGone),
            Some(pool) if pool.state == Some(PoolState::Destroying) => {
                Ok(Deletion::AlreadyDestroying)
            }
            Some(_) => Err(e),
        }
    }

    /// None when there is no such load balancer (404).
    pub async fn get_load_balancer(
        &self,
        zone: &str,
        id: &str,
    ) -> Result<Option<LoadBalancer>, ApiError> {
        let path = format!("/load-balancer/{}", path_segment(id));
        not_found_as_none(self.call(zone, Method::GET, path, None::<&()>, true).await)
    }

    pub async fn get_operation(&self, zone: &str, id: &str) -> Result<Operation, ApiError> {
        let path = format!("/operation/{}", path_segment(id));
        self.call(zone, Method::GET, path, None::<&()>, true).await
    }

    /// How waits poll `zone`'s endpoint: against the budget of its origin (each zone has its
    /// own host), shared by every wait of the process (see [`crate::wait::poll_paced`]).
    pub fn pacing(&self, zone: &str) -> Pacing {
        match self.url(zone, "") {
            Ok(url) => Pacing::new(Endpoint::shared(&url.origin().ascii_serialization())),
            // The checks fail on the zone themselves.
            Err(_) => Pacing::unbounded(),
        }
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

    /// `zone`'s instance types, fetched once per process (see [`Catalogue`]).
    pub async fn instance_types(&self, zone: &str) -> Result<Arc<Vec<InstanceType>>, ApiError> {
        self.catalogue
            .get(zone, || self.list_instance_types(zone))
            .await
    }

    /// The instance type with this id: from the catalogue, else asked for (a type the
    /// catalogue does not list); None when there is none.
    pub async fn instance_type_by_id(
        &self,
        zone: &str,
        id: &str,
    ) -> Result<Option<InstanceType>, ApiError> {
        let types = self.instance_types(zone).await?;
        match types.iter().find(|t| t.id == id) {
            Some(found) => Ok(Some(found.clone())),
            None => self.get_instance_type(zone, id).await,
        }
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
        let types = self.instance_types(zone).await?;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::http::ErrorKind;
    use crate::testing::http_server::{reply, Reply, TestServer};

    const KEY: &str = "EXOsandboxkey";
    const SECRET: &str = "sandboxsecret";
    const POOL: &str =
        r#"{"id":"p1","name":"web","size":2,"state":"running","instance-type":{"id":"t1"}}"#;
    const PENDING: &str =
        r#"{"id":"o1","state":"pending","reference":{"id":"p1","command":"create-instance-pool"}}"#;

    async fn client(script: Vec<Reply>) -> (TestServer, ExoscaleClient) {
        let server = TestServer::start(script).await;
        let template = format!("{}/{{zone}}/v2", server.base);
        let client = ExoscaleClient::new(KEY, SECRET, &template).unwrap();
        (server, client)
    }

    /// Checks the Authorization header with our own signer over what the server received.
    fn assert_signed(request: &crate::testing::http_server::Captured) {
        let header = request.header("authorization").unwrap();
        let expires: u64 = header
            .split(',')
            .find_map(|p| p.strip_prefix("expires="))
            .unwrap()
            .parse()
            .unwrap();
        let url = Url::parse(&format!("http://h{}", request.target)).unwrap();
        let expected =
            Signer::new(KEY, SECRET).authorization(&request.method, &url, &request.body, expires);
        assert_eq!(header, expected);
        assert!(header.starts_with("EXO2-HMAC-SHA256 credential=EXOsandboxkey,"));
    }

    fn create_body() -> CreateInstancePool {
        serde_json::from_value(serde_json::json!({
            "name": "web", "size": 2, "instance-type": {"id": "t1"}, "template": {"id": "tpl"},
            "disk-size": 20, "labels": {"env": "test"}
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn create_sends_a_signed_kebab_case_post() {
        let (server, client) = client(vec![reply(200, PENDING)]).await;
        let op = client
            .create_instance_pool("ch-gva-2", &create_body())
            .await
            .unwrap();
        assert_eq!(op.reference_id(), Some("p1"));
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/ch-gva-2/v2/instance-pool");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.json()["instance-type"]["id"], "t1");
        assert_eq!(request.json()["disk-size"], 20);
        assert_signed(request);
    }

    #[tokio::test]
    async fn scale_update_reset_and_evict_hit_the_documented_paths() {
        let script = (0..4).map(|_| reply(200, PENDING)).collect();
        let (server, client) = client(script).await;
        client
            .scale_instance_pool("de-fra-1", "p1", 5)
            .await
            .unwrap();
        let update = UpdateInstancePool {
            description: Some("d".into()),
            ..Default::default()
        };
        client
            .update_instance_pool("de-fra-1", "p1", &update)
            .await
            .unwrap();
        client
            .reset_instance_pool_field("de-fra-1", "p1", ResettableField::SshKey)
            .await
            .unwrap();
        client
            .evict_instance_pool_members("de-fra-1", "p1", &["i1".to_string()])
            .await
            .unwrap();
        let seen: Vec<(String, String, Vec<u8>)> = server
            .requests()
            .into_iter()
            .inspect(assert_signed)
            .map(|r| (r.method, r.target, r.body))
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    "PUT".into(),
                    "/de-fra-1/v2/instance-pool/p1:scale".into(),
                    br#"{"size":5}"#.to_vec()
                ),
                (
                    "PUT".into(),
                    "/de-fra-1/v2/instance-pool/p1".into(),
                    br#"{"description":"d"}"#.to_vec()
                ),
                (
                    "DELETE".into(),
                    "/de-fra-1/v2/instance-pool/p1/ssh-key".into(),
                    Vec::new()
                ),
                (
                    "PUT".into(),
                    "/de-fra-1/v2/instance-pool/p1:evict".into(),
                    br#"{"instances":["i1"]}"#.to_vec()
                ),
            ]
        );
    }

    #[tokio::test]
    async fn get_retries_once_after_503() {
        let (server, client) = client(vec![reply(503, "upstream down"), reply(200, POOL)]).await;
        let pool = client
            .get_instance_pool("ch-gva-2", "p1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pool.size, Some(2));
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn create_is_never_retried() {
        let (server, client) = client(vec![
            reply(503, r#"{"message":"busy"}"#),
            reply(200, PENDING),
        ])
        .await;
        let err = client
            .create_instance_pool("ch-gva-2", &create_body())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Server);
        assert_eq!(server.requests().len(), 1);
        assert_eq!(
            err.to_string(),
            "Exoscale API: POST /instance-pool answered 503 Service Unavailable: busy"
        );
    }

    /// Changes are sent once too: after a failure the caller reads the pool before sending
    /// again (`crate::wait::send_change`), which a retry here would skip.
    #[tokio::test]
    async fn changes_are_never_retried_by_the_transport() {
        let mut script: Vec<Reply> = (0..4)
            .map(|_| reply(503, r#"{"message":"busy"}"#))
            .collect();
        script.extend((0..4).map(|_| reply(200, PENDING)));
        let (server, client) = client(script).await;
        let zone = "ch-gva-2";
        let update = UpdateInstancePool {
            description: Some("d".into()),
            ..Default::default()
        };
        let results = [
            client.scale_instance_pool(zone, "p1", 3).await.err(),
            client.update_instance_pool(zone, "p1", &update).await.err(),
            client
                .reset_instance_pool_field(zone, "p1", ResettableField::Labels)
                .await
                .err(),
            client.delete_instance_pool(zone, "p1").await.err(),
        ];
        for err in results {
            let err = err.expect("the 503 is the answer");
            assert_eq!((err.kind, err.attempts), (ErrorKind::Server, 1), "{err}");
        }
        // One request per call: a retry would have used up a 503 meant for the next call.
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let limited = |seconds: &str| Reply {
            status: 429,
            headers: vec![("retry-after", seconds.into())],
            body: r#"{"error":"rate limited"}"#.into(),
        };
        let empty = r#"{"instance-pools":[]}"#;
        // A pause within the retry budget: retried once, after it (`backoff` takes the
        // longer of its own pause and the server's), and the call succeeds.
        let (server, patient) = client(vec![limited("1"), reply(200, empty)]).await;
        let pools = patient.list_instance_pools("ch-gva-2").await.unwrap();
        assert!(pools.is_empty());
        assert_eq!(server.requests().len(), 2);
        // A pause beyond the budget: the client gives up at once rather than retry early.
        let (server, refused) = client(vec![limited("3600"), reply(200, empty)]).await;
        let err = refused.list_instance_pools("ch-gva-2").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(3600)));
        assert_eq!(err.attempts, 1);
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn missing_pool_and_type_are_none() {
        let not_found = r#"{"message":"not found"}"#;
        let (_server, client) = client(vec![reply(404, not_found), reply(404, not_found)]).await;
        assert_eq!(
            client.get_instance_pool("ch-gva-2", "gone").await.unwrap(),
            None
        );
        assert_eq!(
            client.get_instance_type("ch-gva-2", "gone").await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn delete_outcomes() {
        let destroying = r#"{"id":"p1","state":"destroying"}"#;
        let conflict = r#"{"message":"pool is being destroyed"}"#;
        let script = vec![
            reply(200, PENDING),
            reply(409, conflict),
            reply(200, destroying),
            reply(404, "{}"),
            reply(409, r#"{"message":"managed by SKS"}"#),
            reply(200, POOL),
        ];
        let (_server, client) = client(script).await;
        assert!(matches!(
            client.delete_instance_pool("ch-gva-2", "p1").await,
            Ok(Deletion::Started(_))
        ));
        assert_eq!(
            client.delete_instance_pool("ch-gva-2", "p1").await.unwrap(),
            Deletion::AlreadyDestroying
        );
        assert_eq!(
            client.delete_instance_pool("ch-gva-2", "p1").await.unwrap(),
            Deletion::AlreadyGone
        );
        let other = client
            .delete_instance_pool("ch-gva-2", "p1")
            .await
            .unwrap_err();
        assert_eq!(
            other.to_string(),
            "Exoscale API: DELETE /instance-pool/p1 answered 409 Conflict: managed by SKS"
        );
    }

    /// A refusal that names a load balancer is an outcome the caller explains, with no
    /// second look at the pool; a 403 that does not is an error as it stands.
    #[tokio::test]
    async fn a_delete_a_load_balancer_holds_back_is_recognised() {
        let nlb = "9a8b7c6d-0000-4000-8000-00000000abcd";
        let locked = format!(r#"{{"message":"Forbidden: Locked by NLB {nlb}"}}"#);
        let script = vec![
            reply(403, &locked),
            reply(
                403,
                r#"{"message":"managed Instance Pool is locked by NLB"}"#,
            ),
            reply(403, r#"{"message":"Forbidden"}"#),
        ];
        let (server, client) = client(script).await;
        assert_eq!(
            client.delete_instance_pool("ch-gva-2", "p1").await.unwrap(),
            Deletion::LockedByLoadBalancer {
                load_balancer_id: Some(nlb.to_string()),
                message: format!("Forbidden: Locked by NLB {nlb}"),
            }
        );
        assert!(matches!(
            client.delete_instance_pool("ch-gva-2", "p1").await.unwrap(),
            Deletion::LockedByLoadBalancer {
                load_balancer_id: None,
                ..
            }
        ));
        let other = client
            .delete_instance_pool("ch-gva-2", "p1")
            .await
            .unwrap_err();
        assert_eq!(other.status, Some(403));
        assert_eq!(server.requests().len(), 3, "one call each");
    }

    #[tokio::test]
    async fn instance_types_resolve_by_name() {
        let types = r#"{"instance-types":[{"id":"t1","family":"standard","size":"medium"},{"id":"t2","family":"standard","size":"small"}]}"#;
        let (_server, client) = client(vec![reply(200, types)]).await;
        let found = client
            .find_instance_type_by_name("ch-gva-2", "STANDARD.Small")
            .await
            .unwrap();
        assert_eq!(found.map(|t| t.id), Some("t2".to_string()));
    }

    const TYPES: &str = r#"{"instance-types":[{"id":"t1","family":"standard","size":"medium"},{"id":"t2","family":"standard","size":"small"}]}"#;

    fn catalogue_calls(server: &TestServer) -> usize {
        server
            .requests()
            .iter()
            .filter(|r| r.target.ends_with("/instance-type"))
            .count()
    }

    /// A failed fetch is the outcome of every caller that waited for it, and is not kept:
    /// the next caller asks again. (The fetch's first attempt is answered 503, so the ten
    /// callers are all waiting during its retry pause; the retry is refused for good.)
    #[tokio::test]
    async fn a_failure_is_shared_by_its_waiters_then_forgotten() {
        let refused = r#"{"message":"forbidden"}"#;
        let script = vec![
            reply(503, r#"{"message":"try later"}"#),
            reply(403, refused),
            reply(200, TYPES),
        ];
        let (server, client) = client(script).await;
        let client = Arc::new(client);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let client = client.clone();
            set.spawn(async move { client.instance_types("ch-gva-2").await.map(|t| t.len()) });
        }
        while let Some(outcome) = set.join_next().await {
            let err = outcome.unwrap().unwrap_err();
            assert_eq!(err.status, Some(403));
        }
        // One fetch, of two attempts.
        assert_eq!(catalogue_calls(&server), 2);
        // Later: fetched again, then kept.
        assert_eq!(client.instance_types("ch-gva-2").await.unwrap().len(), 2);
        assert_eq!(client.instance_types("ch-gva-2").await.unwrap().len(), 2);
        assert_eq!(catalogue_calls(&server), 3);
    }

    #[tokio::test]
    async fn bad_inputs_fail_before_sending() {
        let (server, client) = client(vec![]).await;
        let err = client.get_instance_pool("../x", "p1").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Config);
        assert!(server.requests().is_empty());
        assert!(ExoscaleClient::new(KEY, SECRET, "not a url/{zone}").is_err());
        assert!(ExoscaleClient::new("", SECRET, DEFAULT_ENDPOINT).is_err());
    }

    #[test]
    fn debug_never_shows_credentials() {
        let client = ExoscaleClient::new("EXOsecretkey", "verysecret", DEFAULT_ENDPOINT).unwrap();
        let text = format!("{client:?}");
        assert!(
            !text.contains("EXOsecretkey") && !text.contains("verysecret"),
            "{text}"
        );
    }

    /// The client against the sandbox's malformed and lost answers: each is a clear error
    /// (or, for a missing reference and a newer state, handled), never a panic or a hang.
    mod against_the_sandbox {
        use super::*;
        use pools_sandbox::exoscale::fixtures as fx;
        use pools_sandbox::{Config, FaultRule, Sandbox};

        const ZONE: &str = "ch-gva-2";

        async fn sandbox() -> (Sandbox, ExoscaleClient) {
            // Operations outlast the tests: nothing changes behind the assertions' back.
            let config = Config {
                operation_duration: Duration::from_secs(600),
                ..Config::default()
            };
            let sandbox = Sandbox::start(config.clone(), "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let client = ExoscaleClient::new(
                &config.exoscale_key,
                &config.exoscale_secret,
                &sandbox.exoscale_endpoint(),
            )
            .unwrap();
            (sandbox, client)
        }

        fn fault(sandbox: &Sandbox, spec: &str) {
            sandbox.faults().add(FaultRule::parse(spec).unwrap());
        }

        fn pool_body(name: &str) -> CreateInstancePool {
            serde_json::from_value(serde_json::json!({
                "name": name, "size": 1, "disk-size": 10,
                "instance-type": {"id": fx::INSTANCE_TYPE_MICRO},
                "template": {"id": fx::TEMPLATE_DEBIAN}
            }))
            .unwrap()
        }

        #[tokio::test]
        async fn an_html_page_from_a_proxy() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "create-instance-pool=garbage:html");
            let err = client
                .create_instance_pool(ZONE, &pool_body("html"))
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind, err.status, err.attempts),
                (ErrorKind::Server, Some(502), 1)
            );
            assert!(
                err.to_string().starts_with(
                    "Exoscale API: POST /instance-pool answered 502 Bad Gateway: the API answered with an HTML page (status 502), not JSON"
                ),
                "{err}"
            );
            // A read rides it out.
            fault(&sandbox, "get-instance-pool=garbage:html*1");
            let pool = client
                .get_instance_pool(ZONE, fx::MANAGED_POOL)
                .await
                .unwrap();
            assert_eq!(pool.and_then(|p| p.id).as_deref(), Some(fx::MANAGED_POOL));
        }

        #[tokio::test]
        async fn truncated_empty_and_mistyped_answers() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "get-instance-pool=garbage:truncated*1");
            let err = client
                .get_instance_pool(ZONE, fx::MANAGED_POOL)
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind, err.status, err.attempts),
                (ErrorKind::Decode, Some(200), 1)
            );
            assert!(
                err.to_string().starts_with(&format!(
                    "Exoscale API: GET /instance-pool/{} answered 200 OK with an unexpected body: truncated JSON: the body stops after ",
                    fx::MANAGED_POOL
                )),
                "{err}"
            );

            let op = client
                .create_instance_pool(ZONE, &pool_body("target"))
                .await
                .unwrap();
            let pool = op.reference_id().unwrap();
            fault(&sandbox, "scale-instance-pool=garbage:empty*1");
            let err = client.scale_instance_pool(ZONE, pool, 2).await.unwrap_err();
            assert_eq!((err.kind, err.status), (ErrorKind::Decode, Some(200)));
            assert_eq!(err.message, "the body is empty, where JSON was expected");

            fault(&sandbox, "list-instance-pools=garbage:wrong-types*1");
            let err = client.list_instance_pools(ZONE).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Decode);
            assert!(
                err.message.starts_with(
                    "JSON that does not match the API's documented shape, at `instance-pools[0]."
                ) && err.message.contains("invalid type: "),
                "{err}"
            );
            // Each error came from one attempt: the reads were not retried.
            let reads = sandbox.requests().routes();
            assert_eq!(
                reads
                    .iter()
                    .filter(|r| **r == "list-instance-pools")
                    .count(),
                1
            );
        }

        #[tokio::test]
        async fn a_create_answer_without_reference_is_completed_from_its_operation() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "create-instance-pool=garbage:no-reference*1");
            let op = client
                .create_instance_pool(ZONE, &pool_body("noref"))
                .await
                .unwrap();
            let id = op.reference_id().expect("the operation names the pool");
            let pool = client.get_instance_pool(ZONE, id).await.unwrap().unwrap();
            assert_eq!(pool.name.as_deref(), Some("noref"));
            assert_eq!(
                sandbox.requests().routes(),
                ["create-instance-pool", "get-operation", "get-instance-pool"]
            );
        }

        #[tokio::test]
        async fn a_state_from_a_newer_api_is_kept() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "get-instance-pool=garbage:unknown-enum*1");
            let pool = client
                .get_instance_pool(ZONE, fx::MANAGED_POOL)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(pool.state, Some(PoolState::Other("hibernating".into())));
            assert_eq!(
                pool.state.map(|s| s.to_string()).as_deref(),
                Some("hibernating")
            );
            fault(&sandbox, "list-instance-pools=garbage:unknown-enum*1");
            let pools = client.list_instance_pools(ZONE).await.unwrap();
            assert!(pools
                .iter()
                .all(|p| p.state.as_ref().map(PoolState::as_str) == Some("hibernating")));
        }

        #[tokio::test]
        async fn pool_members_are_listed_in_one_call() {
            let (sandbox, client) = sandbox().await;
            let op = client
                .create_instance_pool(ZONE, &pool_body("members"))
                .await
                .unwrap();
            let pool = op.reference_id().unwrap();
            sandbox.requests().clear();
            let members = client.list_pool_instances(ZONE, pool).await.unwrap();
            assert_eq!(sandbox.requests().routes(), ["list-instances"]);
            assert_eq!(members.len(), 1);
            let member = &members[0];
            assert_eq!(
                member.manager,
                Some(Manager {
                    id: Some(pool.to_string()),
                    kind: Some("instance-pool".into())
                })
            );
            assert_eq!(
                member
                    .instance_type
                    .as_ref()
                    .map(InstanceType::name)
                    .as_deref(),
                Some("standard.micro")
            );
            assert!(member
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("pool-")));
            let created = member.created_at_unix_ms().expect("a creation time");
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis();
            assert!(i128::from(created) <= now as i128, "{created} {now}");
            // The SKS-managed pool's members, not ours.
            let others = client
                .list_pool_instances(ZONE, fx::MANAGED_POOL)
                .await
                .unwrap();
            assert_eq!(others.len(), 3);
            assert!(others.iter().all(|m| m.id != member.id));
        }

        #[tokio::test]
        async fn a_lost_create_is_a_connection_error_sent_once() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "create-instance-pool=lost");
            let before = sandbox.shared.exoscale.pool_count();
            let err = client
                .create_instance_pool(ZONE, &pool_body("lost"))
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind, err.status, err.attempts),
                (ErrorKind::Connection, None, 1)
            );
            let text = err.to_string();
            assert!(
                text.starts_with("Exoscale API: POST /instance-pool failed: "),
                "{text}"
            );
            assert!(
                text.ends_with("(the request may have reached the API and taken effect)"),
                "{text}"
            );
            // The pool was made all the same: finding it is the caller's job.
            assert_eq!(sandbox.shared.exoscale.pool_count(), before + 1);
            assert_eq!(sandbox.requests().routes(), ["create-instance-pool"]);
        }
    }
}
