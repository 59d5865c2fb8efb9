//! Ona (Gitpod) PrebuildService client: Connect unary calls with JSON bodies and a bearer
//! token, one method per call. It makes calls and says how to pace polls
//! ([`OnaClient::pacing`]); waiting, and what an error means to Terraform, are the Terraform
//! side's.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::OnaErrors;
use super::wire::*;
use crate::http::{ApiError, Call, ErrorKind, HttpApi};
use crate::plugin::Stop;
use crate::trust::Trust;
use crate::wait::{Endpoint, Pacing};

/// The public API base, as the official SDK uses it.
pub const DEFAULT_BASE_URL: &str = "https://app.ona.com/api";
pub const SERVICE: &str = "Ona API";
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
        Self::with_trust(token, base, &Trust::system())
    }

    /// Like [`OnaClient::new`], with TLS trusting `trust`'s authorities.
    pub fn with_trust(token: &str, base: &str, trust: &Trust) -> Result<Self, ApiError> {
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
            http: HttpApi::with_trust(SERVICE, &OnaErrors, trust)?,
            authorization,
            base,
        })
    }

    /// Ends in-flight calls and retries when Terraform asks the provider to stop.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.http.set_stop(stop);
        self
    }

    /// How long one HTTP attempt may take before it counts as a timeout.
    pub fn with_attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.http = self.http.with_attempt_timeout(timeout);
        self
    }

    /// Creates a pool. Sent once: a lost answer must not turn into a duplicate (what to do
    /// after a failure is for the create step to decide).
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

    /// Sets a pool's sizes. Sent once: whether to send it again after a lost answer is for
    /// the caller to decide, after reading the pool (see [`crate::wait::send_change`]).
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
        let response: WarmPoolResponse = self.call("UpdateWarmPool", &request, false).await?;
        self.pool_in(response, "UpdateWarmPool")
    }

    /// Starts deleting a pool; a pool that is already gone is not an error. Sent once, like
    /// every change: the caller reads the pool before sending it again.
    pub async fn delete_warm_pool(&self, id: &str) -> Result<(), ApiError> {
        let request = WarmPoolIdRequest {
            warm_pool_id: id.to_string(),
        };
        // The answer is an empty message: any success body will do.
        let call = self.request("DeleteWarmPool", &request, false)?;
        match self.http.send(&call, &|_| Ok(self.headers())).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// How waits poll the API: against the budget of its origin, shared by every wait of
    /// the process (see [`crate::wait::poll_paced`]).
    pub fn pacing(&self) -> Pacing {
        match Url::parse(&self.base) {
            Ok(url) => Pacing::new(Endpoint::shared(&url.origin().ascii_serialization())),
            Err(_) => Pacing::unbounded(),
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
        let call = self.request(method, request, idempotent)?;
        self.http.json(&call, &|_| Ok(self.headers())).await
    }

    fn request(
        &self,
        method: &str,
        request: &impl Serialize,
        idempotent: bool,
    ) -> Result<Call, ApiError> {
        let body = serde_json::to_vec(request)
            .map_err(|e| ApiError::config(SERVICE, format!("cannot encode request: {e}")))?;
        let url = format!("{}{PREFIX}{method}", self.base);
        Ok(Call {
            url: Url::parse(&url)
                .map_err(|e| ApiError::config(SERVICE, format!("invalid URL {url}: {e}")))?,
            label: format!("POST {PREFIX}{method}"),
            method: Method::POST,
            body: Some(body),
            idempotent,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::http_server::{reply, TestServer};
    use serde_json::json;

    const POOL: &str = r#"{"warmPool":{"id":"wp1","metadata":{"projectId":"prj","environmentClassId":"ec"},
        "spec":{"minSize":0,"maxSize":2,"specVersion":"1"},"status":{"phase":"WARM_POOL_PHASE_PENDING"}}}"#;

    async fn client(script: Vec<crate::testing::http_server::Reply>) -> (TestServer, OnaClient) {
        let server = TestServer::start(script).await;
        let client = OnaClient::new("sandboxtoken", &format!("{}/api", server.base)).unwrap();
        (server, client)
    }

    #[tokio::test]
    async fn create_is_a_connect_unary_json_call() {
        let (server, client) = client(vec![reply(200, POOL)]).await;
        let pool = client.create_warm_pool("prj", "ec", 0, 2).await.unwrap();
        assert_eq!(pool.id, "wp1");
        assert_eq!(pool.status.phase, WarmPoolPhase::Pending);
        let request = &server.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.target,
            "/api/gitpod.v1.PrebuildService/CreateWarmPool"
        );
        assert_eq!(request.header("authorization"), Some("Bearer sandboxtoken"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("connect-protocol-version"), Some("1"));
        // min_size is proto3 `optional`: 0 is sent, not omitted.
        assert_eq!(
            request.json(),
            json!({"projectId": "prj", "environmentClassId": "ec", "minSize": 0, "maxSize": 2})
        );
    }

    #[tokio::test]
    async fn create_is_never_retried() {
        let unavailable = r#"{"code":"unavailable","message":"runner offline"}"#;
        let (server, client) = client(vec![reply(503, unavailable), reply(200, POOL)]).await;
        let err = client
            .create_warm_pool("prj", "ec", 1, 2)
            .await
            .unwrap_err();
        assert_eq!(server.requests().len(), 1);
        assert_eq!(
            err.to_string(),
            "Ona API: POST /gitpod.v1.PrebuildService/CreateWarmPool answered 503 Service Unavailable (unavailable): runner offline"
        );
    }

    #[tokio::test]
    async fn changes_are_sent_once_and_reads_retried() {
        // Whether to send a change again is decided above the transport, after reading the
        // pool (the change steps): a lost answer may hide a change that landed.
        let unavailable = r#"{"code":"unavailable","message":"later"}"#;
        let script = vec![
            reply(503, unavailable),
            reply(503, unavailable),
            reply(
                429,
                r#"{"code":"resource_exhausted","message":"slow down"}"#,
            ),
            reply(200, POOL),
        ];
        let (server, client) = client(script).await;
        let err = client.update_warm_pool("wp1", 0, 2).await.unwrap_err();
        assert_eq!((err.kind, err.attempts), (ErrorKind::Server, 1));
        let err = client.delete_warm_pool("wp1").await.unwrap_err();
        assert_eq!((err.kind, err.attempts), (ErrorKind::Server, 1));
        let pool = client.get_warm_pool("wp1").await.unwrap().unwrap();
        assert_eq!(pool.spec.max_size, Some(2));
        let requests = server.requests();
        let targets: Vec<&str> = requests.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "/api/gitpod.v1.PrebuildService/UpdateWarmPool",
                "/api/gitpod.v1.PrebuildService/DeleteWarmPool",
                "/api/gitpod.v1.PrebuildService/GetWarmPool",
                "/api/gitpod.v1.PrebuildService/GetWarmPool",
            ]
        );
        assert_eq!(
            requests[0].json(),
            json!({"warmPoolId": "wp1", "minSize": 0, "maxSize": 2})
        );
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let invalid = r#"{"code":"failed_precondition","message":"prebuilds are not enabled for this environment class"}"#;
        let (server, client) = client(vec![reply(400, invalid), reply(200, POOL)]).await;
        let err = client.update_warm_pool("wp1", 3, 2).await.unwrap_err();
        assert_eq!(server.requests().len(), 1);
        assert_eq!(err.code.as_deref(), Some("failed_precondition"));
    }

    #[tokio::test]
    async fn not_found_means_none_on_get_and_ok_on_delete() {
        let not_found = r#"{"code":"not_found","message":"warm pool not found"}"#;
        let (server, client) = client(vec![
            reply(404, not_found),
            reply(404, not_found),
            reply(200, "{}"),
        ])
        .await;
        assert_eq!(client.get_warm_pool("wp9").await.unwrap(), None);
        client.delete_warm_pool("wp9").await.unwrap();
        client.delete_warm_pool("wp1").await.unwrap();
        let requests = server.requests();
        assert_eq!(requests[0].json(), json!({"warmPoolId": "wp9"}));
        assert_eq!(
            requests[2].target,
            "/api/gitpod.v1.PrebuildService/DeleteWarmPool"
        );
    }

    #[tokio::test]
    async fn list_follows_pagination() {
        let page1 = r#"{"warmPools":[{"id":"a"},{"id":"b"}],"pagination":{"nextToken":"t2"}}"#;
        let page2 = r#"{"warmPools":[{"id":"c"}],"pagination":{}}"#;
        let (server, client) = client(vec![reply(200, page1), reply(200, page2)]).await;
        let filter = WarmPoolFilter {
            project_ids: vec!["prj".into()],
            environment_class_ids: vec![],
        };
        let pools = client.list_warm_pools(&filter).await.unwrap();
        let ids: Vec<&str> = pools.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let requests = server.requests();
        assert_eq!(
            requests[0].json(),
            json!({"pagination": {"pageSize": 100}, "filter": {"projectIds": ["prj"]}})
        );
        assert_eq!(
            requests[1].json(),
            json!({"pagination": {"token": "t2", "pageSize": 100}, "filter": {"projectIds": ["prj"]}})
        );
    }

    #[tokio::test]
    async fn connection_errors_on_create_fail_at_once() {
        // Bind then drop a listener so the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = OnaClient::new("tok", &format!("http://127.0.0.1:{port}/api")).unwrap();
        let err = client
            .create_warm_pool("prj", "ec", 0, 1)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Connection);
        assert_eq!(err.attempts, 1);
        assert!(
            err.to_string()
                .starts_with("Ona API: POST /gitpod.v1.PrebuildService/CreateWarmPool failed: "),
            "{err}"
        );
        // Refused before connecting: nothing can have been acted on.
        assert!(!err.message.contains("may have reached the API"), "{err}");
    }

    #[tokio::test]
    async fn stop_cancels_retries() {
        let stop = Stop::new();
        let script = vec![
            reply(503, r#"{"code":"unavailable","message":"later"}"#),
            reply(200, POOL),
        ];
        let server = TestServer::start(script).await;
        let client = OnaClient::new("tok", &format!("{}/api", server.base))
            .unwrap()
            .with_stop(stop.clone());
        stop.trigger();
        let err = client.get_warm_pool("wp1").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Stopped);
        assert!(server.requests().is_empty());
    }

    #[tokio::test]
    async fn stop_ends_a_retry_backoff() {
        let stop = Stop::new();
        let limited = crate::testing::http_server::Reply {
            status: 429,
            headers: vec![("retry-after", "3".into())],
            body: r#"{"code":"resource_exhausted","message":"slow down"}"#.into(),
        };
        let server = TestServer::start(vec![limited, reply(200, POOL)]).await;
        let client = OnaClient::new("tok", &format!("{}/api", server.base))
            .unwrap()
            .with_stop(stop.clone());
        let trigger = async {
            // Once the 429 is answered, the client pauses 3 s before its retry.
            while server.requests().is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            stop.trigger();
        };
        let (result, ()) = tokio::join!(client.get_warm_pool("wp1"), trigger);
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Stopped);
        // Stopped during the first attempt's pause: had the pause run out, the stop would
        // have been noticed at attempt 2.
        assert_eq!(err.attempts, 1);
        assert_eq!(server.requests().len(), 1);
        assert_eq!(
            err.to_string(),
            "Ona API: POST /gitpod.v1.PrebuildService/GetWarmPool cancelled: Terraform asked the provider to stop"
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let client = OnaClient::new("secret-token-123", DEFAULT_BASE_URL).unwrap();
        assert!(!format!("{client:?}").contains("secret-token-123"));
        assert!(OnaClient::new(" ", DEFAULT_BASE_URL).is_err());
    }

    /// The protocol layer runs calls on a multi-threaded runtime: client futures must be Send.
    #[allow(dead_code)]
    fn client_futures_are_send(ona: &OnaClient, exo: &crate::exoscale::api::ExoscaleClient) {
        fn send<T: Send>(_: T) {}
        send(ona.list_warm_pools(&WarmPoolFilter::default()));
        send(exo.delete_instance_pool("ch-gva-2", "id"));
    }

    /// The client against the sandbox's malformed and lost answers: each is a clear error
    /// (or, for a newer phase, kept as it is), never a panic or a hang.
    mod against_the_sandbox {
        use super::*;
        use pools_sandbox::ona::fixtures::{CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID};
        use pools_sandbox::{Config, FaultRule, Sandbox};

        async fn sandbox() -> (Sandbox, OnaClient) {
            // Pools keep their phase for the whole test.
            let config = Config {
                warm_pool_settle: std::time::Duration::from_secs(600),
                ..Config::default()
            };
            let sandbox = Sandbox::start(config.clone(), "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let client = OnaClient::new(&config.ona_token, &sandbox.ona_endpoint()).unwrap();
            (sandbox, client)
        }

        fn fault(sandbox: &Sandbox, spec: &str) {
            sandbox.faults().add(FaultRule::parse(spec).unwrap());
        }

        fn calls(sandbox: &Sandbox, route: &str) -> usize {
            sandbox
                .requests()
                .routes()
                .iter()
                .filter(|r| **r == route)
                .count()
        }

        #[tokio::test]
        async fn an_html_page_from_a_proxy() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "CreateWarmPool=garbage:html");
            let err = client
                .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 1, 2)
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind, err.status, err.attempts),
                (ErrorKind::Server, Some(502), 1)
            );
            assert!(
                err.to_string().starts_with(
                    "Ona API: POST /gitpod.v1.PrebuildService/CreateWarmPool answered 502 Bad Gateway: the API answered with an HTML page (status 502), not JSON"
                ),
                "{err}"
            );
            assert_eq!(sandbox.shared.ona.pool_count(), 0);
        }

        #[tokio::test]
        async fn a_connect_error_in_a_success_answer() {
            let (sandbox, client) = sandbox().await;
            let pool = client
                .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 1, 2)
                .await
                .unwrap();
            fault(&sandbox, "GetWarmPool=garbage:connect-error*1");
            let err = client.get_warm_pool(&pool.id).await.unwrap_err();
            assert_eq!(err.code.as_deref(), Some("internal"));
            assert_eq!((err.kind, err.status), (ErrorKind::Client, Some(200)));
            assert!(
                err.to_string().starts_with(
                    "Ona API: POST /gitpod.v1.PrebuildService/GetWarmPool answered 200 OK (internal): the API answered success with a Connect error object: "
                ),
                "{err}"
            );
            // A delete that answers so did not happen: it is not taken for done.
            fault(&sandbox, "DeleteWarmPool=garbage:connect-error*1");
            let err = client.delete_warm_pool(&pool.id).await.unwrap_err();
            assert_eq!(err.code.as_deref(), Some("internal"));
        }

        #[tokio::test]
        async fn truncated_empty_and_mistyped_answers() {
            let (sandbox, client) = sandbox().await;
            let pool = client
                .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 1, 2)
                .await
                .unwrap();

            fault(&sandbox, "GetWarmPool=garbage:truncated*1");
            let err = client.get_warm_pool(&pool.id).await.unwrap_err();
            assert_eq!(
                (err.kind, err.status, err.attempts),
                (ErrorKind::Decode, Some(200), 1)
            );
            assert!(
                err.to_string().starts_with(
                    "Ona API: POST /gitpod.v1.PrebuildService/GetWarmPool answered 200 OK with an unexpected body: truncated JSON: the body stops after "
                ),
                "{err}"
            );

            fault(&sandbox, "UpdateWarmPool=garbage:empty*1");
            let err = client.update_warm_pool(&pool.id, 1, 3).await.unwrap_err();
            assert_eq!((err.kind, err.status), (ErrorKind::Decode, Some(200)));
            assert_eq!(err.message, "the body is empty, where JSON was expected");

            fault(&sandbox, "ListWarmPools=garbage:wrong-types*1");
            let err = client
                .list_warm_pools(&WarmPoolFilter::default())
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::Decode);
            assert!(
                err.message.starts_with(
                    "JSON that does not match the API's documented shape, at `warmPools[0]."
                ) && err.message.contains("invalid type: "),
                "{err}"
            );
            assert_eq!(calls(&sandbox, "GetWarmPool"), 1);
            assert_eq!(calls(&sandbox, "ListWarmPools"), 1);

            // A delete's answer carries nothing: an empty one is as good as `{}`.
            fault(&sandbox, "DeleteWarmPool=garbage:empty*1");
            client.delete_warm_pool(&pool.id).await.unwrap();
            let deleting = client.get_warm_pool(&pool.id).await.unwrap().unwrap();
            assert_eq!(deleting.status.phase, WarmPoolPhase::Deleting);
        }

        #[tokio::test]
        async fn a_phase_from_a_newer_api_is_kept() {
            let (sandbox, client) = sandbox().await;
            let pool = client
                .create_warm_pool(PROJECT_ID, CLASS_SMALL_ID, 1, 2)
                .await
                .unwrap();
            fault(&sandbox, "GetWarmPool=garbage:unknown-enum*1");
            let read = client.get_warm_pool(&pool.id).await.unwrap().unwrap();
            assert_eq!(
                read.status.phase,
                WarmPoolPhase::Other("WARM_POOL_PHASE_HIBERNATING".into())
            );
            assert_eq!(read.status.phase.to_string(), "WARM_POOL_PHASE_HIBERNATING");
            assert_eq!(read.spec, pool.spec);
        }

        #[tokio::test]
        async fn a_lost_create_is_a_connection_error_sent_once() {
            let (sandbox, client) = sandbox().await;
            fault(&sandbox, "CreateWarmPool=lost*1");
            let err = client
                .create_warm_pool(PROJECT_ID, CLASS_LARGE_ID, 1, 2)
                .await
                .unwrap_err();
            assert_eq!(
                (err.kind, err.status, err.attempts),
                (ErrorKind::Connection, None, 1)
            );
            assert!(
                err.message
                    .ends_with("(the request may have reached the API and taken effect)"),
                "{err}"
            );
            assert_eq!(calls(&sandbox, "CreateWarmPool"), 1);
            // The pool was made all the same: a second create conflicts with it.
            let pools = client
                .list_warm_pools(&WarmPoolFilter::default())
                .await
                .unwrap();
            assert_eq!(pools.len(), 1);
            let again = client
                .create_warm_pool(PROJECT_ID, CLASS_LARGE_ID, 1, 2)
                .await
                .unwrap_err();
            assert_eq!(again.code.as_deref(), Some("already_exists"));
        }
    }
}
