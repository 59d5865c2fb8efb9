//! The Exoscale emulation over real HTTP: signatures, pool lifecycle and operation timing,
//! validation, 404s, every fault kind, and `--state` persistence. A tiny HTTP/1.1 client
//! keeps the sandbox free of an HTTP client dependency.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pools_sandbox::exoscale::fixtures as fx;
use pools_sandbox::exoscale::sign;
use pools_sandbox::{
    Config, FaultKind, FaultRule, Garbage, Sandbox, DEFAULT_EXOSCALE_KEY, DEFAULT_EXOSCALE_SECRET,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OP: Duration = Duration::from_millis(200);
const GVA: &str = "/ch-gva-2/v2";

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Sends one request; `auth` is the Authorization header (None = unsigned).
async fn send_raw(
    addr: SocketAddr,
    method: &str,
    target: &str,
    body: &[u8],
    auth: Option<&str>,
) -> std::io::Result<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(auth) = auth {
        head.push_str(&format!("Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .map_err(|_| std::io::Error::other("timed out"))??;
    Ok(out)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("complete head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

struct Api {
    addr: SocketAddr,
    secret: String,
}

impl Api {
    fn new(sandbox: &Sandbox) -> Api {
        Api {
            addr: sandbox.addr,
            secret: DEFAULT_EXOSCALE_SECRET.into(),
        }
    }

    /// A correctly signed request to `path` (which may carry a query).
    async fn call(&self, method: &str, target: &str, body: Option<Value>) -> Reply {
        let raw = self.call_raw(method, target, body).await.expect("request");
        parse_reply(&raw)
    }

    /// Like [`Api::call`], but returns the raw bytes (or the error) the connection gave.
    async fn call_raw(
        &self,
        method: &str,
        target: &str,
        body: Option<Value>,
    ) -> std::io::Result<Vec<u8>> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let auth = sign::authorization(
            DEFAULT_EXOSCALE_KEY,
            &self.secret,
            method,
            path,
            query,
            body.as_bytes(),
            now() + 600,
        );
        send_raw(self.addr, method, target, body.as_bytes(), Some(&auth)).await
    }

    async fn create(&self, size: u64) -> (String, String) {
        let r = self
            .call(
                "POST",
                &format!("{GVA}/instance-pool"),
                Some(json!({"name": "t", "size": size, "disk-size": 10,
                           "instance-type": {"id": fx::INSTANCE_TYPE_MICRO},
                           "template": {"id": fx::TEMPLATE_DEBIAN}})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        let op = r.body["id"].as_str().unwrap().to_string();
        let pool = r.body["reference"]["id"].as_str().unwrap().to_string();
        (pool, op)
    }

    async fn pool(&self, id: &str) -> Reply {
        self.call("GET", &format!("{GVA}/instance-pool/{id}"), None)
            .await
    }

    async fn operation(&self, id: &str) -> Value {
        let r = self
            .call("GET", &format!("{GVA}/operation/{id}"), None)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    async fn add_fault(&self, rule: Value) {
        let raw = send_raw(
            self.addr,
            "POST",
            "/_sandbox/faults",
            rule.to_string().as_bytes(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(parse_reply(&raw).status, 204);
    }
}

async fn start(config: Config) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn quick() -> Config {
    Config {
        operation_duration: OP,
        ..Config::default()
    }
}

#[tokio::test]
async fn signatures_are_checked() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    let path = format!("{GVA}/instance-pool");
    assert_eq!(api.call("GET", &path, None).await.status, 200);

    let sign_with = |secret: &str, expires: u64| {
        sign::authorization(
            DEFAULT_EXOSCALE_KEY,
            secret,
            "GET",
            &path,
            None,
            b"",
            expires,
        )
    };
    let refused = |raw: Vec<u8>| {
        let r = parse_reply(&raw);
        assert_eq!(r.status, 403, "{r:?}");
        r.body["message"].as_str().unwrap().to_string()
    };
    let get = |auth: Option<String>, target: String| async move {
        send_raw(sandbox.addr, "GET", &target, b"", auth.as_deref())
            .await
            .unwrap()
    };
    let wrong = refused(get(Some(sign_with("wrong", now() + 60)), path.clone()).await);
    assert!(wrong.contains("signature"), "{wrong}");
    assert!(!wrong.contains(DEFAULT_EXOSCALE_SECRET));
    let expired = refused(
        get(
            Some(sign_with(DEFAULT_EXOSCALE_SECRET, now() - 5)),
            path.clone(),
        )
        .await,
    );
    assert!(expired.contains("expired"), "{expired}");
    refused(get(None, path.clone()).await);
    refused(get(Some("EXO2-HMAC-SHA256 nonsense".into()), path.clone()).await);
    let other_key = sign::authorization(
        "EXOother",
        DEFAULT_EXOSCALE_SECRET,
        "GET",
        &path,
        None,
        b"",
        now() + 60,
    );
    refused(get(Some(other_key), path.clone()).await);
    // Signed query arguments: tampering with a value breaks the signature.
    let template_path = format!("{GVA}/template?visibility=public");
    let ok = sign::authorization(
        DEFAULT_EXOSCALE_KEY,
        DEFAULT_EXOSCALE_SECRET,
        "GET",
        &format!("{GVA}/template"),
        Some("visibility=public"),
        b"",
        now() + 60,
    );
    assert_eq!(
        parse_reply(&get(Some(ok.clone()), template_path).await).status,
        200
    );
    refused(get(Some(ok), format!("{GVA}/template?visibility=private")).await);
    // The path signed includes the zone prefix: the same request signed for another zone fails.
    let fra = sign::authorization(
        DEFAULT_EXOSCALE_KEY,
        DEFAULT_EXOSCALE_SECRET,
        "GET",
        "/de-fra-1/v2/instance-pool",
        None,
        b"",
        now() + 60,
    );
    refused(get(Some(fra), path.clone()).await);
    // list-zones is public.
    let zones = parse_reply(&get(None, format!("{GVA}/zone")).await);
    assert_eq!(zones.status, 200);
    assert_eq!(zones.body["zones"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn pool_lifecycle_follows_operations() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    let (pool, op) = api.create(2).await;
    assert_eq!(api.pool(&pool).await.body["state"], "creating");
    assert_eq!(api.operation(&op).await["state"], "pending");
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    let done = api.operation(&op).await;
    assert_eq!(done["state"], "success");
    assert_eq!(done["reference"]["id"], pool.as_str());
    assert_eq!(
        done["reference"]["link"],
        format!("/v2/instance-pool/{pool}")
    );
    let body = api.pool(&pool).await.body;
    assert_eq!(body["state"], "running");
    assert_eq!(body["size"], 2);
    assert_eq!(body["instances"].as_array().unwrap().len(), 2);
    assert_eq!(body["instance-prefix"], "pool");

    // Scale down, then check the transitional state and the operation timing.
    let r = api
        .call(
            "PUT",
            &format!("{GVA}/instance-pool/{pool}:scale"),
            Some(json!({"size": 1})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(api.pool(&pool).await.body["state"], "scaling-down");
    tokio::time::sleep(OP / 2).await;
    assert_eq!(
        api.operation(r.body["id"].as_str().unwrap()).await["state"],
        "pending"
    );
    tokio::time::sleep(OP).await;
    let body = api.pool(&pool).await.body;
    assert_eq!(
        (body["state"].as_str(), body["size"].as_u64()),
        (Some("running"), Some(1))
    );

    // Scale to zero is allowed.
    let r = api
        .call(
            "PUT",
            &format!("{GVA}/instance-pool/{pool}:scale"),
            Some(json!({"size": 0})),
        )
        .await;
    assert_eq!(r.status, 200);

    // Delete: destroying, a second delete conflicts, then the pool is gone.
    let r = api
        .call("DELETE", &format!("{GVA}/instance-pool/{pool}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(api.pool(&pool).await.body["state"], "destroying");
    let again = api
        .call("DELETE", &format!("{GVA}/instance-pool/{pool}"), None)
        .await;
    assert_eq!(again.status, 409, "{again:?}");
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    assert_eq!(api.pool(&pool).await.status, 404);
    assert_eq!(
        api.operation(r.body["id"].as_str().unwrap()).await["state"],
        "success"
    );
    assert_eq!(sandbox.shared.exoscale.pool_count(), 1);
}

#[tokio::test]
async fn invalid_requests_and_unknown_ids() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    let (pool, _) = api.create(2).await;
    let unknown = "12345678-0000-4000-8000-000000000000";
    let base = json!({"name": "x", "size": 1, "disk-size": 10,
                      "instance-type": {"id": fx::INSTANCE_TYPE_SMALL},
                      "template": {"id": fx::TEMPLATE_UBUNTU}});
    let with = |key: &str, value: Value| {
        let mut b = base.clone();
        b[key] = value;
        b
    };
    let create = format!("{GVA}/instance-pool");
    for (body, status) in [
        (with("disk-size", json!(51201)), 400),
        (with("disk-size", json!(99999999999999999999.0)), 400),
        (with("instance-prefix", json!("a".repeat(31))), 400),
        (with("size", json!(-1)), 400),
        (with("template", json!({"id": unknown})), 404),
        (with("security-groups", json!([{"id": unknown}])), 404),
        (with("ssh-key", json!({"name": "nobody"})), 404),
        (json!({"name": "x"}), 400),
    ] {
        let r = api.call("POST", &create, Some(body.clone())).await;
        assert_eq!(r.status, status, "{body} -> {r:?}");
        assert!(r.body["message"].is_string(), "{r:?}");
    }
    let raw = {
        let body = b"{not json";
        let auth = sign::authorization(
            DEFAULT_EXOSCALE_KEY,
            DEFAULT_EXOSCALE_SECRET,
            "POST",
            &create,
            None,
            body,
            now() + 60,
        );
        parse_reply(
            &send_raw(sandbox.addr, "POST", &create, body, Some(&auth))
                .await
                .unwrap(),
        )
    };
    assert_eq!(raw.status, 400);

    let gets = [
        (format!("{GVA}/instance-pool/{unknown}"), 404),
        (format!("{GVA}/instance-pool/not-a-uuid"), 400),
        (format!("{GVA}/operation/{unknown}"), 404),
        (format!("{GVA}/instance-type/{unknown}"), 404),
        (
            format!("{GVA}/instance-type/{}", fx::INSTANCE_TYPE_LARGE),
            200,
        ),
        (format!("{GVA}/template/{}", fx::TEMPLATE_DEBIAN), 200),
        (
            format!("{GVA}/security-group/{}", fx::SECURITY_GROUP_DEFAULT),
            200,
        ),
        (
            format!("{GVA}/private-network/{}", fx::PRIVATE_NETWORK),
            200,
        ),
        (
            format!("{GVA}/anti-affinity-group/{}", fx::ANTI_AFFINITY_GROUP),
            200,
        ),
        (format!("{GVA}/elastic-ip/{}", fx::ELASTIC_IP), 200),
        (format!("{GVA}/deploy-target/{}", fx::DEPLOY_TARGET), 200),
        (format!("{GVA}/ssh-key/sandbox"), 200),
        (format!("{GVA}/ssh-key/nobody"), 404),
        ("/de-fra-1/v2/instance-type".to_string(), 200),
        (format!("/de-fra-1/v2/instance-pool/{pool}"), 404),
        ("/xx-nowhere-1/v2/instance-pool".to_string(), 404),
    ];
    for (target, status) in gets {
        let r = api.call("GET", &target, None).await;
        assert_eq!(r.status, status, "{target} -> {r:?}");
    }
    let types = api
        .call("GET", &format!("{GVA}/instance-type"), None)
        .await
        .body;
    let names: Vec<String> = types["instance-types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}.{}",
                t["family"].as_str().unwrap(),
                t["size"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "standard.micro",
            "standard.small",
            "standard.medium",
            "standard.large"
        ]
    );

    let pool_path = format!("{GVA}/instance-pool/{pool}");
    let r = api.call("DELETE", &format!("{pool_path}/name"), None).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("anti-affinity-groups"));
    let r = api
        .call(
            "PUT",
            &format!("{pool_path}:evict"),
            Some(json!({"instances": [unknown]})),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    let r = api
        .call(
            "PUT",
            &format!("{pool_path}:scale"),
            Some(json!({"size": "3"})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .call("PUT", &pool_path, Some(json!({"disk-size": 9})))
        .await;
    assert_eq!(r.status, 400);

    // The SKS-managed pool refuses every change, and says why.
    let managed = format!("{GVA}/instance-pool/{}", fx::MANAGED_POOL);
    let body = api.call("GET", &managed, None).await.body;
    assert_eq!(body["manager"]["type"], "sks-nodepool");
    for (method, target, body) in [
        ("PUT", format!("{managed}:scale"), Some(json!({"size": 9}))),
        ("PUT", managed.clone(), Some(json!({"name": "mine"}))),
        ("DELETE", format!("{managed}/labels"), None),
        ("DELETE", managed.clone(), None),
    ] {
        let r = api.call(method, &target, body).await;
        assert_eq!(r.status, 403, "{method} {target}");
        assert!(r.body["message"].as_str().unwrap().contains("sks-nodepool"));
    }
}

#[tokio::test]
async fn evict_and_reset_fields() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    let (pool, _) = api.create(3).await;
    let path = format!("{GVA}/instance-pool/{pool}");
    let r = api
        .call("PUT", &path, Some(json!({"labels": {"a": "b"}, "description": "d",
                                        "anti-affinity-groups": [{"id": fx::ANTI_AFFINITY_GROUP}]})))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(api.pool(&pool).await.body["state"], "updating");
    let body = api.pool(&pool).await.body;
    let victims = [
        body["instances"][0]["id"].clone(),
        body["instances"][2]["id"].clone(),
    ];
    let r = api
        .call(
            "PUT",
            &format!("{path}:evict"),
            Some(json!({"instances": victims})),
        )
        .await;
    assert_eq!(r.status, 200);
    for field in ["labels", "description", "anti-affinity-groups"] {
        assert_eq!(
            api.call("DELETE", &format!("{path}/{field}"), None)
                .await
                .status,
            200
        );
    }
    let body = api.pool(&pool).await.body;
    assert_eq!(body["size"], 1);
    assert_ne!(body["instances"][0]["id"], victims[0]);
    for field in ["labels", "description", "anti-affinity-groups"] {
        assert!(body.get(field).is_none(), "{field} still in {body}");
    }
}

#[tokio::test]
async fn faults_of_every_kind() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    let list = format!("{GVA}/instance-pool");

    api.add_fault(
        json!({"route": "list-instance-pools", "kind": "status", "status": 503, "times": 1}),
    )
    .await;
    assert_eq!(api.call("GET", &list, None).await.status, 503);
    assert_eq!(api.call("GET", &list, None).await.status, 200);

    api.add_fault(
        json!({"route": "list-instance-pools", "kind": "status", "status": 429,
                         "retry_after": 2, "times": 1}),
    )
    .await;
    let r = api.call("GET", &list, None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.body["retry_after"], 2);

    api.add_fault(
        json!({"route": "list-instance-pools", "kind": "latency", "ms": 300, "times": 1}),
    )
    .await;
    let t = Instant::now();
    assert_eq!(api.call("GET", &list, None).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    api.add_fault(json!({"route": "list-instance-pools", "kind": "reset", "times": 1}))
        .await;
    let auth = sign::authorization(
        DEFAULT_EXOSCALE_KEY,
        DEFAULT_EXOSCALE_SECRET,
        "GET",
        &list,
        None,
        b"",
        now() + 60,
    );
    match send_raw(sandbox.addr, "GET", &list, b"", Some(&auth)).await {
        Err(_) => {}
        Ok(raw) => {
            let text = String::from_utf8_lossy(&raw);
            assert!(
                !text.ends_with("0\r\n\r\n"),
                "a complete answer despite reset: {text}"
            );
            assert!(!text.contains("instance-pools"), "{text}");
        }
    }

    // Behavioural faults: failed and timed-out operations, a pool stuck in a state.
    api.add_fault(
        json!({"route": "create-instance-pool", "kind": "operation-failure", "times": 1}),
    )
    .await;
    let (failed_pool, op) = api.create(1).await;
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    let op = api.operation(&op).await;
    assert_eq!(op["state"], "failure");
    assert!(
        op["reason"].is_string() && op["message"].is_string(),
        "{op}"
    );

    api.add_fault(json!({"route": "scale-instance-pool", "kind": "operation-timeout", "times": 1}))
        .await;
    let r = api
        .call(
            "PUT",
            &format!("{GVA}/instance-pool/{failed_pool}:scale"),
            Some(json!({"size": 2})),
        )
        .await;
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    assert_eq!(
        api.operation(r.body["id"].as_str().unwrap()).await["state"],
        "timeout"
    );

    api.add_fault(
        json!({"route": "scale-instance-pool", "kind": "stuck", "state": "scaling-up", "times": 1}),
    )
    .await;
    let r = api
        .call(
            "PUT",
            &format!("{GVA}/instance-pool/{failed_pool}:scale"),
            Some(json!({"size": 3})),
        )
        .await;
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    assert_eq!(
        api.operation(r.body["id"].as_str().unwrap()).await["state"],
        "success"
    );
    assert_eq!(api.pool(&failed_pool).await.body["state"], "scaling-up");
    tokio::time::sleep(OP).await;
    assert_eq!(api.pool(&failed_pool).await.body["state"], "scaling-up");

    let routes = sandbox.requests().routes();
    assert!(
        routes
            .iter()
            .filter(|r| **r == "list-instance-pools")
            .count()
            >= 5
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let file = std::env::temp_dir().join(format!(
        "pools-sandbox-exoscale-state-{}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    let config = Config {
        state_file: Some(file.clone()),
        ..quick()
    };
    let sandbox = start(config.clone()).await;
    let api = Api::new(&sandbox);
    let (pool, op) = api.create(2).await;
    let before = api.pool(&pool).await.body;
    sandbox.stop().await;
    assert!(file.exists(), "state file written");

    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    let sandbox = start(config).await;
    let api = Api::new(&sandbox);
    let after = api.pool(&pool).await.body;
    assert_eq!(after["instances"], before["instances"]);
    assert_eq!(
        after["state"], "running",
        "the pending operation finished while stopped"
    );
    assert_eq!(api.operation(&op).await["state"], "success");
    assert_eq!(sandbox.shared.exoscale.pool_count(), 2);
    sandbox.stop().await;
    let _ = std::fs::remove_file(&file);
}

/// A connection that carried no HTTP answer: closed with nothing, or reset.
fn assert_no_answer(raw: std::io::Result<Vec<u8>>) {
    match raw {
        Ok(bytes) => assert!(
            bytes.is_empty(),
            "expected no answer, got {}",
            String::from_utf8_lossy(&bytes)
        ),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

fn create_body(name: &str) -> Value {
    json!({"name": name, "size": 1, "disk-size": 10,
           "instance-type": {"id": fx::INSTANCE_TYPE_MICRO},
           "template": {"id": fx::TEMPLATE_DEBIAN}})
}

#[tokio::test]
async fn lost_create_leaves_the_pool_and_its_operation() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    sandbox
        .faults()
        .add(FaultRule::parse("create-instance-pool=lost*1").unwrap());
    let before = sandbox.shared.exoscale.pool_count();
    let path = format!("{GVA}/instance-pool");
    assert_no_answer(api.call_raw("POST", &path, Some(create_body("lost"))).await);
    assert_eq!(sandbox.shared.exoscale.pool_count(), before + 1);

    // The pool is there for anyone who looks, and so is the operation that made it.
    let list = api.call("GET", &path, None).await.body;
    let pool = list["instance-pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "lost")
        .expect("the lost create made its pool")
        .clone();
    let id = pool["id"].as_str().unwrap();
    let op_id = sandbox.shared.exoscale.save()["pools"][id]["last_operation"]
        .as_str()
        .expect("the pool has the operation of its create")
        .to_string();
    let op = api.operation(&op_id).await;
    assert_eq!(op["reference"]["id"], id);
    // The log says what the handler answered, although the client got nothing.
    let logged = sandbox.requests().all();
    assert_eq!(logged[0].route, "create-instance-pool");
    assert_eq!(logged[0].status, 200);

    // `*1`: the next create is answered as usual, and the rule is gone.
    let (other, _) = api.create(1).await;
    assert_ne!(other, id);
    assert!(sandbox.faults().list().is_empty());
}

#[tokio::test]
async fn lost_answers_of_other_routes_still_change_the_pool() {
    // Operations that outlast the test: nothing settles behind the assertions' back.
    let sandbox = start(Config {
        operation_duration: Duration::from_secs(600),
        ..Config::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let (pool, _) = api.create(1).await;
    sandbox.faults().add(FaultRule::parse("*=lost*2").unwrap());
    let scale = format!("{GVA}/instance-pool/{pool}:scale");
    assert_no_answer(api.call_raw("PUT", &scale, Some(json!({"size": 3}))).await);
    let delete = format!("{GVA}/instance-pool/{pool}");
    assert_no_answer(api.call_raw("DELETE", &delete, None).await);
    // Both took effect: the pool was scaled, then set destroying.
    let state = sandbox.shared.exoscale.save();
    assert_eq!(
        state["pools"][&pool]["instances"].as_array().unwrap().len(),
        3
    );
    assert_eq!(state["pools"][&pool]["state"], "destroying");
    // Two firings only: reads are answered again.
    assert_eq!(api.pool(&pool).await.status, 200);
    assert!(sandbox.faults().list().is_empty());
}

#[tokio::test]
async fn a_client_that_gives_up_does_not_stop_its_request() {
    let sandbox = start(Config {
        operation_duration: Duration::from_secs(600),
        ..Config::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let (pool, _) = api.create(1).await;
    sandbox
        .faults()
        .add(FaultRule::parse("scale-instance-pool=latency:300*1").unwrap());
    let scale = format!("{GVA}/instance-pool/{pool}:scale");
    // The client hangs up long before the answer would come.
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        api.call_raw("PUT", &scale, Some(json!({"size": 3}))),
    )
    .await;
    assert!(gave_up.is_err());
    // The request carries on all the same: logged and applied once the sandbox is done.
    for _ in 0..200 {
        if sandbox.requests().routes().contains(&"scale-instance-pool") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        sandbox.requests().routes(),
        ["create-instance-pool", "scale-instance-pool"]
    );
    let state = sandbox.shared.exoscale.save();
    assert_eq!(
        state["pools"][&pool]["instances"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn garbage_answers() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    let fault = |spec: &str| sandbox.faults().add(FaultRule::parse(spec).unwrap());
    let list = format!("{GVA}/instance-pool");
    // The SKS fixture pool never changes by itself: a stable real answer to compare with.
    let fixed = format!("{GVA}/instance-pool/{}", fx::MANAGED_POOL);
    let real = api.call("GET", &fixed, None).await;
    assert_eq!(real.status, 200);
    let real_text = real.body.to_string();

    // A proxy's HTML error page; the handler does not run.
    fault("create-instance-pool=garbage:html*1");
    let before = sandbox.shared.exoscale.pool_count();
    let r = api.call("POST", &list, Some(create_body("html"))).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("text/html"));
    let page = r.body.as_str().unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("502 Bad Gateway"),
        "{page}"
    );
    assert_eq!(sandbox.shared.exoscale.pool_count(), before);

    // Half of the real body, with a matching Content-Length.
    fault("get-instance-pool=garbage:truncated*1");
    let r = api.call("GET", &fixed, None).await;
    assert_eq!(r.status, 200);
    let cut = r.body.as_str().expect("not JSON any more");
    assert_eq!(cut, &real_text[..real_text.len() / 2]);
    assert_eq!(
        r.header("content-length"),
        Some(cut.len().to_string().as_str())
    );
    assert_eq!(r.header("content-type"), Some("application/json"));

    // Empty body; the handler runs (the create happens).
    fault("create-instance-pool=garbage:empty*1");
    let r = api.call("POST", &list, Some(create_body("empty"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, Value::String(String::new()));
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(sandbox.shared.exoscale.pool_count(), before + 1);

    // Numbers become "x", strings their length.
    fault("get-instance-pool=garbage:wrong-types*1");
    let r = api.call("GET", &fixed, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["size"], "x");
    assert_eq!(r.body["disk-size"], "x");
    assert_eq!(r.body["id"], fx::MANAGED_POOL.len());
    assert_eq!(r.body["name"], real.body["name"].as_str().unwrap().len());
    assert_eq!(r.body["ipv6-enabled"], real.body["ipv6-enabled"]);

    // A newer pool state; everything else as it is.
    fault("get-instance-pool=garbage:unknown-enum*1");
    let r = api.call("GET", &fixed, None).await;
    let mut expected = real.body.clone();
    expected["state"] = json!("hibernating");
    assert_eq!(r.body, expected);
    fault("list-instance-pools=garbage:unknown-enum*1");
    let pools = api.call("GET", &list, None).await.body["instance-pools"].clone();
    assert!(pools.as_array().unwrap().len() >= 2);
    assert!(
        pools
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "hibernating"),
        "{pools}"
    );

    // An Operation without its reference; a `*` rule waits for an Operation answer and
    // the handler runs. Connect errors are Ona's: such a rule never fires here.
    fault("*=garbage:no-reference*1");
    fault("*=garbage:connect-error*1");
    assert_eq!(api.call("GET", &fixed, None).await.body, real.body);
    let r = api.call("POST", &list, Some(create_body("no-ref"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "pending");
    assert!(r.body["id"].is_string());
    assert!(r.body.get("reference").is_none(), "{}", r.body);
    assert_eq!(sandbox.shared.exoscale.pool_count(), before + 2);
    let left = sandbox.faults().list();
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].kind,
        FaultKind::Garbage {
            form: Garbage::ConnectError
        }
    );
}

/// Unix seconds of an RFC 3339 UTC timestamp (`2025-01-01T00:00:00[.fff]Z`).
fn unix_seconds(text: &str) -> u64 {
    assert!(text.ends_with('Z') && text.len() >= 20, "{text}");
    let field = |range: std::ops::Range<usize>| -> i64 { text[range].parse().unwrap() };
    let (year, month, day) = (field(0..4), field(5..7), field(8..10));
    // Days from civil, counting years from March.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + field(11..13) * 3600 + field(14..16) * 60 + field(17..19);
    u64::try_from(secs).unwrap()
}

/// `GET /instance` filtered to one pool's members.
async fn members(api: &Api, pool: &str) -> Vec<Value> {
    let r = api
        .call(
            "GET",
            &format!("{GVA}/instance?manager-id={pool}&manager-type=instance-pool"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["instances"].as_array().unwrap().clone()
}

fn ids(instances: &[Value]) -> Vec<&str> {
    instances
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn pool_members_are_listed_as_instances() {
    let sandbox = start(quick()).await;
    let api = Api::new(&sandbox);
    assert_eq!(unix_seconds("2025-01-01T00:00:00Z"), 1_735_689_600);
    let before = now();
    let r = api
        .call(
            "POST",
            &format!("{GVA}/instance-pool"),
            Some(
                json!({"name": "web", "size": 2, "disk-size": 10, "instance-prefix": "web",
                        "public-ip-assignment": "dual",
                        "instance-type": {"id": fx::INSTANCE_TYPE_SMALL},
                        "template": {"id": fx::TEMPLATE_UBUNTU}}),
            ),
        )
        .await;
    let pool = r.body["reference"]["id"].as_str().unwrap().to_string();
    let after = now();

    // Members exist from the create on, starting until its operation ends.
    let made = members(&api, &pool).await;
    assert_eq!(made.len(), 2);
    let pool_body = api.pool(&pool).await.body;
    assert_eq!(ids(&made), ids(pool_body["instances"].as_array().unwrap()));
    for member in &made {
        assert_eq!(member["state"], "starting");
        let name = member["name"].as_str().unwrap();
        let suffix = name.strip_prefix("web-").expect("named after the prefix");
        assert!(
            !suffix.is_empty() && suffix.len() <= 8,
            "a short suffix: {name}"
        );
        let created = unix_seconds(member["created-at"].as_str().unwrap());
        assert!((before..=after).contains(&created), "{member}");
        assert_eq!(
            member["manager"],
            json!({"id": pool, "type": "instance-pool"})
        );
        assert_eq!(member["instance-type"]["id"], fx::INSTANCE_TYPE_SMALL);
        assert_eq!(member["instance-type"]["family"], "standard");
        assert_eq!(member["instance-type"]["size"], "small");
        assert_eq!(member["template"]["id"], fx::TEMPLATE_UBUNTU);
        assert_eq!(member["template"]["name"], "Linux Ubuntu 24.04 LTS 64-bit");
        assert_eq!(member["public-ip-assignment"], "dual");
        let ip: std::net::Ipv4Addr = member["public-ip"].as_str().unwrap().parse().unwrap();
        let ipv6: std::net::Ipv6Addr = member["ipv6-address"].as_str().unwrap().parse().unwrap();
        assert_eq!(ip.octets()[0], 198);
        assert_eq!(ipv6.segments()[..2], [0x2001, 0xdb8]);
    }
    assert_ne!(made[0]["public-ip"], made[1]["public-ip"]);
    assert_ne!(made[0]["ipv6-address"], made[1]["ipv6-address"]);
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    assert!(members(&api, &pool)
        .await
        .iter()
        .all(|m| m["state"] == "running"));

    // Scale up adds members, scale down removes the newest, evict the named ones.
    let path = format!("{GVA}/instance-pool/{pool}");
    api.call("PUT", &format!("{path}:scale"), Some(json!({"size": 3})))
        .await;
    let grown = members(&api, &pool).await;
    assert_eq!(ids(&grown)[..2], ids(&made)[..]);
    assert_eq!(grown[2]["state"], "starting");
    assert!(
        unix_seconds(grown[2]["created-at"].as_str().unwrap())
            >= unix_seconds(made[0]["created-at"].as_str().unwrap())
    );
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    api.call("PUT", &format!("{path}:scale"), Some(json!({"size": 1})))
        .await;
    assert_eq!(ids(&members(&api, &pool).await), ids(&made)[..1]);
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    api.call(
        "PUT",
        &format!("{path}:evict"),
        Some(json!({"instances": [made[0]["id"]]})),
    )
    .await;
    assert!(members(&api, &pool).await.is_empty());

    // An IPv4-only pool's members have no IPv6 address; delete takes them along.
    let (other, _) = api.create(1).await;
    let only = members(&api, &other).await;
    assert_eq!(only.len(), 1);
    assert_eq!(
        only[0]["name"].as_str().unwrap().split('-').next(),
        Some("pool")
    );
    assert!(only[0]["public-ip"].is_string());
    assert!(only[0].get("ipv6-address").is_none(), "{}", only[0]);
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    api.call("DELETE", &format!("{GVA}/instance-pool/{other}"), None)
        .await;
    assert_eq!(members(&api, &other).await[0]["state"], "destroying");
    tokio::time::sleep(OP + Duration::from_millis(50)).await;
    assert!(members(&api, &other).await.is_empty());

    // Unfiltered: every member in the zone, the SKS-managed pool's too; none elsewhere.
    api.create(2).await;
    let all = api.call("GET", &format!("{GVA}/instance"), None).await.body["instances"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 2 + 3);
    let managed = members(&api, fx::MANAGED_POOL).await;
    assert_eq!(managed.len(), 3);
    assert_eq!(managed[0]["created-at"], "2025-01-01T00:00:00Z");
    assert_eq!(managed[0]["manager"]["id"], fx::MANAGED_POOL);
    let ip = managed[0]["public-ip"].as_str().unwrap();
    let by_ip = api
        .call("GET", &format!("{GVA}/instance?ip-address={ip}"), None)
        .await;
    assert_eq!(
        ids(by_ip.body["instances"].as_array().unwrap()),
        ids(&managed)[..1]
    );
    let fra = api.call("GET", "/de-fra-1/v2/instance", None).await;
    assert_eq!(fra.body["instances"], json!([]));
    let unknown = format!("{GVA}/instance?manager-id=01234567-89ab-4def-8123-456789abcdef");
    assert_eq!(
        api.call("GET", &unknown, None).await.body["instances"],
        json!([])
    );

    // The filters' documented values only.
    let bad_type = api
        .call(
            "GET",
            &format!("{GVA}/instance?manager-type=sks-nodepool"),
            None,
        )
        .await;
    assert_eq!(bad_type.status, 400);
    assert!(bad_type.body["message"]
        .as_str()
        .unwrap()
        .contains("manager-type"));
    let bad_id = api
        .call("GET", &format!("{GVA}/instance?manager-id=web"), None)
        .await;
    assert_eq!(bad_id.status, 400);
    let routes = sandbox.requests().routes();
    assert!(routes.contains(&"list-instances"), "{routes:?}");
}
