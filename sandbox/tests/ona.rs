//! The Ona side of the sandbox over plain HTTP: Connect envelope, validation, phases,
//! listing, auth, faults and `--state` persistence.

use std::time::Duration;

use pools_sandbox::ona::fixtures::{
    CLASS_GPU_ID, CLASS_LARGE_ID, CLASS_SMALL_ID, PROJECT_ID, PROJECT_NO_PREBUILDS_ID, SNAPSHOT_ID,
};
use pools_sandbox::{Config, FaultRule, Sandbox};
use serde_json::{json, Value};

const SETTLE: Duration = Duration::from_millis(200);

async fn start(config: Config) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn sandbox() -> Sandbox {
    start(Config {
        warm_pool_settle: SETTLE,
        ..Config::default()
    })
    .await
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn new(sandbox: &Sandbox) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: sandbox.ona_endpoint(),
            token: pools_sandbox::DEFAULT_ONA_TOKEN.into(),
        }
    }

    async fn call(&self, procedure: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!(
                "{}/gitpod.v1.PrebuildService/{procedure}",
                self.base
            ))
            .header("content-type", "application/json")
            .header("connect-protocol-version", "1")
            .bearer_auth(&self.token)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{procedure} answers JSON, errors included"
        );
        (status, response.json().await.unwrap())
    }

    async fn ok(&self, procedure: &str, body: Value) -> Value {
        let (status, answer) = self.call(procedure, body).await;
        assert_eq!(status, 200, "{procedure}: {answer}");
        answer
    }

    /// Asserts a Connect error: its HTTP status, code, and returns its message.
    async fn err(&self, procedure: &str, body: Value, status: u16, code: &str) -> String {
        let (got, answer) = self.call(procedure, body).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
        assert_eq!(
            answer.as_object().unwrap().len(),
            2,
            "only code and message: {answer}"
        );
        answer["message"].as_str().unwrap().to_string()
    }

    async fn create(&self, class: &str, sizes: Value) -> Value {
        let mut body = json!({"projectId": PROJECT_ID, "environmentClassId": class});
        body.as_object_mut()
            .unwrap()
            .extend(sizes.as_object().unwrap().clone());
        self.ok("CreateWarmPool", body).await["warmPool"].clone()
    }

    async fn get(&self, id: &str) -> Value {
        self.ok("GetWarmPool", json!({"warmPoolId": id})).await["warmPool"].clone()
    }
}

async fn settle() {
    tokio::time::sleep(SETTLE + Duration::from_millis(100)).await;
}

#[tokio::test]
async fn create_then_ready_with_versions_and_defaults() {
    let sandbox = sandbox().await;
    let client = Client::new(&sandbox);
    let pool = client.create(CLASS_SMALL_ID, json!({})).await;
    let id = pool["id"].as_str().unwrap().to_string();
    assert_eq!(pool["status"]["phase"], "WARM_POOL_PHASE_PENDING");
    assert_eq!(pool["spec"]["desiredPhase"], "WARM_POOL_PHASE_READY");
    // Documented defaults: one warm instance.
    assert_eq!(
        (&pool["spec"]["minSize"], &pool["spec"]["maxSize"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(pool["spec"]["specVersion"], "1");
    assert_eq!(pool["status"]["statusVersion"], "1");
    assert_eq!(pool["spec"]["snapshotId"], SNAPSHOT_ID);
    assert!(
        pool["spec"].get("desiredSize").is_none(),
        "zero values are omitted"
    );
    let created_at = pool["metadata"]["createdAt"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() >= 20,
        "{created_at}"
    );

    settle().await;
    let ready = client.get(&id).await;
    assert_eq!(ready["status"]["phase"], "WARM_POOL_PHASE_READY");
    assert_eq!(ready["status"]["runningInstances"], 1);
    assert_eq!(ready["status"]["desiredSize"], 1);
    assert_eq!(ready["status"]["statusVersion"], "2");
    // Reads do not move versions.
    assert_eq!(client.get(&id).await["status"]["statusVersion"], "2");

    // min_size 0 is a real value: present in the output even though it is zero.
    let large = client
        .create(CLASS_LARGE_ID, json!({"min_size": 0, "max_size": "3"}))
        .await;
    assert_eq!(large["spec"]["minSize"], 0);
    assert_eq!(large["spec"]["maxSize"], 3);
    assert!(large["spec"].get("snapshotId").is_none(), "no prebuild yet");
    settle().await;
    let large = client.get(large["id"].as_str().unwrap()).await;
    assert_eq!(large["status"]["phase"], "WARM_POOL_PHASE_READY");
    assert!(large["status"].get("runningInstances").is_none());
}

#[tokio::test]
async fn create_is_validated_like_the_real_api() {
    let sandbox = sandbox().await;
    let client = Client::new(&sandbox);
    let message = client
        .err("CreateWarmPool", json!({}), 400, "invalid_argument")
        .await;
    assert_eq!(
        message,
        "validation error:\n - project_id: value is required [required]\n - environment_class_id: value is required [required]"
    );
    let message = client
        .err(
            "CreateWarmPool",
            json!({"projectId": "abc", "environmentClassId": CLASS_SMALL_ID, "minSize": 21, "maxSize": 0}),
            400,
            "invalid_argument",
        )
        .await;
    assert!(
        message.contains(" - project_id: value must be a valid UUID [string.uuid]"),
        "{message}"
    );
    assert!(message.contains(" - min_size: value must be greater than or equal to 0 and less than or equal to 20 [int32.gte_lte]"), "{message}");
    assert!(message.contains(" - max_size: value must be greater than or equal to 1 and less than or equal to 20 [int32.gte_lte]"), "{message}");
    let body = |class: &str, extra: Value| {
        let mut b = json!({"projectId": PROJECT_ID, "environmentClassId": class});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let message = client
        .err(
            "CreateWarmPool",
            body(CLASS_SMALL_ID, json!({"desiredSize": 21})),
            400,
            "invalid_argument",
        )
        .await;
    assert!(message.contains("desired_size"), "{message}");
    let message = client
        .err(
            "CreateWarmPool",
            body(CLASS_SMALL_ID, json!({"minSize": 5, "maxSize": 2})),
            400,
            "invalid_argument",
        )
        .await;
    assert_eq!(
        message,
        "min_size (5) must be less than or equal to max_size (2)"
    );
    client
        .err(
            "CreateWarmPool",
            body("0d000000-0000-4000-8000-0000000000ff", json!({})),
            404,
            "not_found",
        )
        .await;
    let message = client
        .err(
            "CreateWarmPool",
            body(CLASS_GPU_ID, json!({})),
            400,
            "failed_precondition",
        )
        .await;
    assert!(message.contains("prebuild configuration"), "{message}");
    client
        .err(
            "CreateWarmPool",
            json!({"projectId": PROJECT_NO_PREBUILDS_ID, "environmentClassId": CLASS_SMALL_ID}),
            400,
            "failed_precondition",
        )
        .await;
    let message = client
        .err(
            "CreateWarmPool",
            body(CLASS_SMALL_ID, json!({"surprise": 1})),
            400,
            "invalid_argument",
        )
        .await;
    assert!(message.contains("unknown field \"surprise\""), "{message}");
    client
        .err(
            "CreateWarmPool",
            body(CLASS_SMALL_ID, json!({"minSize": 1.5})),
            400,
            "invalid_argument",
        )
        .await;
    client
        .err(
            "CreateWarmPool",
            body(CLASS_SMALL_ID, json!({"minSize": 99999999999u64})),
            400,
            "invalid_argument",
        )
        .await;
    assert_eq!(sandbox.shared.ona.pool_count(), 0, "nothing was created");

    // One pool per pair, and the refusal names the pool that holds it.
    let pool = client
        .create(CLASS_SMALL_ID, json!({"desiredSize": 3}))
        .await;
    assert_eq!(
        (&pool["spec"]["minSize"], &pool["spec"]["maxSize"]),
        (&json!(3), &json!(3))
    );
    assert_eq!(pool["spec"]["desiredSize"], 3);
    let message = client
        .err(
            "CreateWarmPool",
            body(CLASS_SMALL_ID, json!({})),
            409,
            "already_exists",
        )
        .await;
    assert!(message.contains(pool["id"].as_str().unwrap()), "{message}");
}

#[tokio::test]
async fn update_goes_pending_again_and_validates() {
    let sandbox = sandbox().await;
    let client = Client::new(&sandbox);
    let id = client
        .create(CLASS_SMALL_ID, json!({"minSize": 1, "maxSize": 2}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    settle().await;
    let before = client.get(&id).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let updated = client
        .ok(
            "UpdateWarmPool",
            json!({"warm_pool_id": id, "maxSize": 4, "minSize": 3}),
        )
        .await["warmPool"]
        .clone();
    assert_eq!(updated["spec"]["specVersion"], "2");
    assert_eq!(updated["status"]["phase"], "WARM_POOL_PHASE_PENDING");
    assert_eq!(updated["status"]["statusVersion"], "3");
    assert_ne!(
        updated["metadata"]["updatedAt"],
        before["metadata"]["updatedAt"]
    );
    assert_eq!(
        updated["metadata"]["createdAt"],
        before["metadata"]["createdAt"]
    );
    settle().await;
    let ready = client.get(&id).await;
    assert_eq!(ready["status"]["phase"], "WARM_POOL_PHASE_READY");
    assert_eq!(ready["status"]["runningInstances"], 3);

    // Only one bound given: the other is kept, and the pair must still be ordered.
    let message = client
        .err(
            "UpdateWarmPool",
            json!({"warmPoolId": id, "minSize": 5}),
            400,
            "invalid_argument",
        )
        .await;
    assert_eq!(
        message,
        "min_size (5) must be less than or equal to max_size (4)"
    );
    let message = client
        .err(
            "UpdateWarmPool",
            json!({"warmPoolId": id, "maxSize": 21}),
            400,
            "invalid_argument",
        )
        .await;
    assert!(
        message.contains(
            "max_size: value must be greater than or equal to 1 and less than or equal to 20"
        ),
        "{message}"
    );
    client
        .err(
            "UpdateWarmPool",
            json!({"warmPoolId": "not-a-uuid", "minSize": 1}),
            400,
            "invalid_argument",
        )
        .await;
    client
        .err(
            "UpdateWarmPool",
            json!({"warmPoolId": "11111111-1111-4111-8111-111111111111", "minSize": 1}),
            404,
            "not_found",
        )
        .await;
    assert_eq!(
        client.get(&id).await["spec"]["specVersion"],
        "2",
        "refused updates change nothing"
    );
}

#[tokio::test]
async fn delete_goes_through_deleting_then_gone() {
    let sandbox = sandbox().await;
    let client = Client::new(&sandbox);
    let id = client.create(CLASS_SMALL_ID, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    settle().await;
    assert_eq!(
        client.ok("DeleteWarmPool", json!({"warmPoolId": id})).await,
        json!({})
    );
    let deleting = client.get(&id).await;
    assert_eq!(deleting["status"]["phase"], "WARM_POOL_PHASE_DELETING");
    assert_eq!(deleting["spec"]["desiredPhase"], "WARM_POOL_PHASE_DELETED");
    // Deleting again while it goes is fine; changing it is not; its pair stays taken.
    client.ok("DeleteWarmPool", json!({"warmPoolId": id})).await;
    client
        .err(
            "UpdateWarmPool",
            json!({"warmPoolId": id, "minSize": 1}),
            400,
            "failed_precondition",
        )
        .await;
    client
        .err(
            "CreateWarmPool",
            json!({"projectId": PROJECT_ID, "environmentClassId": CLASS_SMALL_ID}),
            409,
            "already_exists",
        )
        .await;
    settle().await;
    client
        .err("GetWarmPool", json!({"warmPoolId": id}), 404, "not_found")
        .await;
    client
        .err(
            "DeleteWarmPool",
            json!({"warmPoolId": id}),
            404,
            "not_found",
        )
        .await;
    assert_eq!(sandbox.shared.ona.pool_count(), 0);
    // The pair is free again.
    client.create(CLASS_SMALL_ID, json!({})).await;
}

#[tokio::test]
async fn list_filters_and_pages() {
    let sandbox = start(Config {
        warm_pool_settle: Duration::from_secs(60),
        ..Config::default()
    })
    .await;
    let client = Client::new(&sandbox);
    let small = client.create(CLASS_SMALL_ID, json!({})).await["id"].clone();
    let large = client.create(CLASS_LARGE_ID, json!({})).await["id"].clone();

    let all = client.ok("ListWarmPools", json!({})).await;
    let ids: Vec<&Value> = all["warmPools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert_eq!(ids, [&small, &large]);
    assert_eq!(
        all["pagination"],
        json!({}),
        "no next token on the last page"
    );

    let filtered = client
        .ok(
            "ListWarmPools",
            json!({"filter": {"environmentClassIds": [CLASS_LARGE_ID]}}),
        )
        .await;
    assert_eq!(filtered["warmPools"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["warmPools"][0]["id"], large);
    let none = client
        .ok(
            "ListWarmPools",
            json!({"filter": {"project_ids": [PROJECT_NO_PREBUILDS_ID]}}),
        )
        .await;
    assert!(none.get("warmPools").is_none(), "{none}");

    let first = client
        .ok("ListWarmPools", json!({"pagination": {"pageSize": 1}}))
        .await;
    assert_eq!(first["warmPools"][0]["id"], small);
    let token = first["pagination"]["nextToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!token.is_empty());
    let second = client
        .ok(
            "ListWarmPools",
            json!({"pagination": {"pageSize": 1, "token": token}}),
        )
        .await;
    assert_eq!(second["warmPools"][0]["id"], large);
    assert_eq!(second["pagination"], json!({}));

    let message = client
        .err(
            "ListWarmPools",
            json!({"pagination": {"pageSize": 101}}),
            400,
            "invalid_argument",
        )
        .await;
    assert!(message.contains("pagination.page_size"), "{message}");
    client
        .err(
            "ListWarmPools",
            json!({"pagination": {"token": "garbage"}}),
            400,
            "invalid_argument",
        )
        .await;
    let message = client
        .err(
            "ListWarmPools",
            json!({"filter": {"projectIds": ["nope"]}}),
            400,
            "invalid_argument",
        )
        .await;
    assert!(
        message.contains("filter.project_ids[0]: value must be a valid UUID"),
        "{message}"
    );
    let many: Vec<String> = (0..26)
        .map(|i| format!("0c000000-0000-4000-8000-{i:012}"))
        .collect();
    let message = client
        .err(
            "ListWarmPools",
            json!({"filter": {"projectIds": many}}),
            400,
            "invalid_argument",
        )
        .await;
    assert!(message.contains("no more than 25 item(s)"), "{message}");
}

#[tokio::test]
async fn bearer_auth_is_required() {
    let sandbox = sandbox().await;
    let mut client = Client::new(&sandbox);
    client.token = "wrong".into();
    let message = client
        .err("ListWarmPools", json!({}), 401, "unauthenticated")
        .await;
    assert!(
        !message.contains("sandboxtoken"),
        "the real token never leaks: {message}"
    );
    let response = reqwest::Client::new()
        .post(format!(
            "{}/gitpod.v1.PrebuildService/ListWarmPools",
            client.base
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated");
}

#[tokio::test]
async fn degraded_fault_reports_failure_message() {
    let sandbox = sandbox().await;
    sandbox
        .faults()
        .add(FaultRule::parse("CreateWarmPool=degraded:no capacity on runner*1").unwrap());
    let client = Client::new(&sandbox);
    let id = client
        .create(CLASS_SMALL_ID, json!({"minSize": 2, "maxSize": 2}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    settle().await;
    let pool = client.get(&id).await;
    assert_eq!(pool["status"]["phase"], "WARM_POOL_PHASE_DEGRADED");
    assert_eq!(pool["status"]["failureMessage"], "no capacity on runner");
    assert!(pool["status"].get("runningInstances").is_none());
    // An update without a fault recovers it.
    client
        .ok("UpdateWarmPool", json!({"warmPoolId": id, "minSize": 1}))
        .await;
    settle().await;
    let pool = client.get(&id).await;
    assert_eq!(pool["status"]["phase"], "WARM_POOL_PHASE_READY");
    assert!(pool["status"].get("failureMessage").is_none());
    assert!(
        sandbox.faults().list().is_empty(),
        "the bounded fault was used up"
    );
}

#[tokio::test]
async fn connect_envelope_answers() {
    let sandbox = sandbox().await;
    let client = Client::new(&sandbox);
    let url = format!("{}/gitpod.v1.PrebuildService/ListWarmPools", client.base);
    let http = reqwest::Client::new();

    let r = http
        .get(&url)
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = http
        .post(&url)
        .bearer_auth(&client.token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(r.headers().contains_key("accept-post"));

    let post = |body: Vec<u8>, encoding: Option<&str>| {
        let mut request = http
            .post(&url)
            .bearer_auth(&client.token)
            .header("content-type", "application/json; charset=utf-8")
            .body(body);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        request.send()
    };
    let r = post(b"{not json".to_vec(), None).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_argument");
    let r = post(Vec::new(), None).await.unwrap();
    assert_eq!(r.status(), 400);

    // gzip request bodies, as the generated clients send by default.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, br#"{"pagination":{"pageSize":5}}"#).unwrap();
    let r = post(gz.finish().unwrap(), Some("gzip")).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = post(b"{}".to_vec(), Some("br")).await.unwrap();
    assert_eq!(r.status(), 501);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unimplemented");

    let r = http
        .post(&url)
        .bearer_auth(&client.token)
        .header("content-type", "application/json")
        .header("connect-protocol-version", "2")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Procedures of the service the sandbox does not emulate, and ones that do not exist.
    let (status, body) = client.call("ListPrebuilds", json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (501, Some("unimplemented"))
    );
    let r = http
        .post(format!("{}/gitpod.v1.PrebuildService/Nope", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Injected HTTP faults keep the Connect error shape.
    sandbox
        .faults()
        .add(FaultRule::parse("ListWarmPools=status:503*1").unwrap());
    let (status, body) = client.call("ListWarmPools", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("unavailable")));
    let routes = sandbox.requests().routes();
    assert!(routes.iter().all(|r| *r == "ListWarmPools"), "{routes:?}");
}

#[tokio::test]
async fn state_file_round_trip() {
    let dir = std::env::temp_dir().join(format!("pools-sandbox-ona-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let _ = std::fs::remove_file(&path);
    let config = Config {
        warm_pool_settle: SETTLE,
        state_file: Some(path.clone()),
        ..Config::default()
    };
    let first = start(config.clone()).await;
    let client = Client::new(&first);
    let created = client
        .create(CLASS_LARGE_ID, json!({"minSize": 2, "maxSize": 5}))
        .await;
    first.stop().await;

    let second = start(config).await;
    let client = Client::new(&second);
    let id = created["id"].as_str().unwrap();
    let loaded = client.get(id).await;
    assert_eq!(loaded["metadata"], created["metadata"]);
    assert_eq!(loaded["spec"], created["spec"]);
    settle().await;
    assert_eq!(
        client.get(id).await["status"]["phase"],
        "WARM_POOL_PHASE_READY"
    );
    second.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

impl Client {
    /// One call as raw HTTP: the status, content type and body bytes, or the transport error.
    async fn raw(
        &self,
        procedure: &str,
        body: Value,
    ) -> Result<(u16, String, Vec<u8>), reqwest::Error> {
        let response = self
            .http
            .post(format!(
                "{}/gitpod.v1.PrebuildService/{procedure}",
                self.base
            ))
            .header("content-type", "application/json")
            .header("connect-protocol-version", "1")
            .bearer_auth(&self.token)
            .body(body.to_string())
            .send()
            .await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Ok((status, content_type, response.bytes().await?.to_vec()))
    }
}

/// Pools that stay in their phase for the whole test.
async fn frozen() -> Sandbox {
    start(Config {
        warm_pool_settle: Duration::from_secs(600),
        ..Config::default()
    })
    .await
}

#[tokio::test]
async fn lost_create_leaves_the_pool() {
    let sandbox = sandbox().await;
    let client = Client::new(&sandbox);
    sandbox
        .faults()
        .add(FaultRule::parse("CreateWarmPool=lost*1").unwrap());
    let create = json!({"projectId": PROJECT_ID, "environmentClassId": CLASS_SMALL_ID});
    let err = client
        .raw("CreateWarmPool", create.clone())
        .await
        .expect_err("no answer to a lost call");
    assert!(!err.is_status() && !err.is_decode(), "{err:?}");

    // The pool exists: listing finds it, Get reads it, and creating it again conflicts.
    let list = client
        .ok(
            "ListWarmPools",
            json!({"filter": {"projectIds": [PROJECT_ID]}}),
        )
        .await;
    let pools = list["warmPools"].as_array().unwrap();
    assert_eq!(pools.len(), 1, "{list}");
    assert_eq!(pools[0]["metadata"]["environmentClassId"], CLASS_SMALL_ID);
    let id = pools[0]["id"].as_str().unwrap();
    assert_eq!(client.get(id).await["id"], id);
    let conflict = client
        .err("CreateWarmPool", create, 409, "already_exists")
        .await;
    assert!(conflict.contains(id), "{conflict}");
    assert_eq!(sandbox.requests().all()[0].status, 200);

    // `*1`: only the first create was lost.
    let large = client.create(CLASS_LARGE_ID, json!({})).await;
    assert!(large["id"].is_string());
    assert!(sandbox.faults().list().is_empty());
}

#[tokio::test]
async fn garbage_answers() {
    let sandbox = frozen().await;
    let client = Client::new(&sandbox);
    let fault = |spec: &str| sandbox.faults().add(FaultRule::parse(spec).unwrap());
    let pool = client
        .create(CLASS_SMALL_ID, json!({"minSize": 1, "maxSize": 2}))
        .await;
    let id = pool["id"].as_str().unwrap().to_string();
    let get = json!({ "warmPoolId": id });
    let (_, _, real) = client.raw("GetWarmPool", get.clone()).await.unwrap();
    let real_json: Value = serde_json::from_slice(&real).unwrap();

    // A proxy's HTML page.
    fault("GetWarmPool=garbage:html*1");
    let (status, content_type, body) = client.raw("GetWarmPool", get.clone()).await.unwrap();
    assert_eq!((status, content_type.as_str()), (502, "text/html"));
    assert!(String::from_utf8_lossy(&body).contains("<h1>502 Bad Gateway</h1>"));

    // A Connect error object in a 200 answer.
    fault("GetWarmPool=garbage:connect-error*1");
    let (status, content_type, body) = client.raw("GetWarmPool", get.clone()).await.unwrap();
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["code"], "internal");
    assert!(error["message"].is_string());

    // Half of the real answer.
    fault("GetWarmPool=garbage:truncated*1");
    let (status, content_type, body) = client.raw("GetWarmPool", get.clone()).await.unwrap();
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(body, real[..real.len() / 2]);

    // Numbers become "x", strings their length.
    fault("ListWarmPools=garbage:wrong-types*1");
    let (_, _, body) = client.raw("ListWarmPools", json!({})).await.unwrap();
    let listed: Value = serde_json::from_slice(&body).unwrap();
    let first = &listed["warmPools"][0];
    assert_eq!(first["id"], id.len());
    assert_eq!(first["spec"]["minSize"], "x");
    assert_eq!(
        first["spec"]["specVersion"], 1,
        "the string \"1\" has one character"
    );

    // A phase from a newer API; the rest as it was.
    fault("GetWarmPool=garbage:unknown-enum*1");
    let (_, _, body) = client.raw("GetWarmPool", get.clone()).await.unwrap();
    let mut expected = real_json.clone();
    expected["warmPool"]["status"]["phase"] = json!("WARM_POOL_PHASE_HIBERNATING");
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), expected);

    // The handler runs under the forms that spoil its answer: the update happened.
    fault("UpdateWarmPool=garbage:truncated*1");
    let (status, _, body) = client
        .raw("UpdateWarmPool", json!({"warmPoolId": id, "maxSize": 5}))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    assert_eq!(client.get(&id).await["spec"]["maxSize"], 5);

    // An empty answer to a delete that did happen. A `*` rule for Exoscale's Operation
    // answers never fires here.
    fault("*=garbage:no-reference*1");
    fault("DeleteWarmPool=garbage:empty*1");
    let (status, content_type, body) = client.raw("DeleteWarmPool", get.clone()).await.unwrap();
    assert_eq!(
        (status, content_type.as_str(), body.len()),
        (200, "application/json", 0)
    );
    assert_eq!(
        client.get(&id).await["status"]["phase"],
        "WARM_POOL_PHASE_DELETING"
    );
    let left = sandbox.faults().list();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].route, "*");
}
