//! pools-sandbox: a local emulator of the two backends the provider manages, the Exoscale
//! Instance Pool API v2 (under `/{zone}/v2/...`) and Ona's `gitpod.v1.PrebuildService`
//! warm pools (under `/api/gitpod.v1.PrebuildService/...`). Tests run it in-process through
//! [`Sandbox::start`]; the demo runs the `pools-sandbox` binary.
//!
//! Shared by both APIs: the request log, fault injection, and the admin endpoints under
//! `/_sandbox/` (`requests`, `faults`, `fixtures`).

mod config;
pub mod exoscale;
pub mod faults;
pub mod garbage;
pub mod ona;
pub mod requests;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

pub use config::{Config, DEFAULT_EXOSCALE_KEY, DEFAULT_EXOSCALE_SECRET, DEFAULT_ONA_TOKEN};
pub use faults::{FaultKind, FaultRule, Faults, Garbage};
pub use requests::{LoggedRequest, RequestLog};

/// Everything the handlers share.
pub struct Shared {
    pub exoscale: Arc<exoscale::ExoscaleApi>,
    pub ona: Arc<ona::OnaApi>,
    pub faults: Faults,
    pub requests: RequestLog,
    latency: Duration,
    state_file: Option<PathBuf>,
}

/// A running sandbox. Dropping it (or calling [`Sandbox::stop`]) shuts the server down.
pub struct Sandbox {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    ca_pem: Option<String>,
}

impl Sandbox {
    /// Starts a sandbox on `listen` (use `127.0.0.1:0` for a free port).
    pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<Sandbox> {
        if !listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the sandbox listens on loopback only, not {listen}"),
            ));
        }
        let faults = Faults::default();
        for rule in &config.faults {
            faults.add(rule.clone());
        }
        let shared = Arc::new(Shared {
            exoscale: exoscale::ExoscaleApi::new(&config, faults.clone()),
            ona: ona::OnaApi::new(&config, faults.clone()),
            faults,
            requests: RequestLog::default(),
            latency: config.latency,
            state_file: config.state_file.clone(),
        });
        if let Some(path) = &shared.state_file {
            shared.load_state(path)?;
        }
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        let stopped = async {
            let _ = rx.await;
        };
        let (server, ca_pem) = if config.tls {
            let identity = tls::identity().map_err(std::io::Error::other)?;
            let listener = tls::TlsListener::new(listener, identity.config)?;
            let server = tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await;
            });
            (server, Some(identity.ca_pem))
        } else {
            let server = tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await;
            });
            (server, None)
        };
        Ok(Sandbox {
            addr,
            shared,
            shutdown: Some(tx),
            server,
            ca_pem,
        })
    }

    /// `http://127.0.0.1:PORT`, or `https://` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// With [`Config::tls`], the PEM certificate of the CA that signed the server's
    /// certificate: what a client must trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The provider's `exoscale.endpoint` for this sandbox.
    pub fn exoscale_endpoint(&self) -> String {
        format!("{}/{{zone}}/v2", self.url())
    }

    /// The provider's `ona.endpoint` for this sandbox.
    pub fn ona_endpoint(&self) -> String {
        format!("{}/api", self.url())
    }

    pub fn requests(&self) -> &RequestLog {
        &self.shared.requests
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.server).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// All fixtures, as `pools-sandbox --fixtures` prints them.
pub fn fixtures() -> serde_json::Value {
    serde_json::json!({ "exoscale": exoscale::fixtures(), "ona": ona::fixtures() })
}

impl Shared {
    fn load_state(&self, path: &std::path::Path) -> std::io::Result<()> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let state: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        self.exoscale.load(&state["exoscale"]).map_err(invalid)?;
        self.ona.load(&state["ona"]).map_err(invalid)?;
        Ok(())
    }

    fn save_state(&self) {
        let Some(path) = &self.state_file else { return };
        let state = serde_json::json!({ "exoscale": self.exoscale.save(), "ona": self.ona.save() });
        // Write then rename, so a crash never leaves half a file.
        let tmp = path.with_extension("tmp");
        let written = serde_json::to_vec_pretty(&state)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            eprintln!(
                "pools-sandbox: cannot save state to {}: {e}",
                path.display()
            );
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let admin = Router::new()
        .route(
            "/_sandbox/requests",
            get(list_requests).delete(clear_requests),
        )
        .route(
            "/_sandbox/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sandbox/fixtures", get(|| async { Json(fixtures()) }))
        .with_state(shared.clone());
    Router::new()
        .merge(shared.exoscale.clone().router())
        .merge(shared.ona.clone().router())
        .merge(admin)
        .layer(middleware::from_fn_with_state(shared, observe))
}

/// Runs [`serve`] on its own task: a client that gives up (say, an attempt timeout during
/// `latency`) closes the connection, which would cancel the request midway; a real API
/// carries on with it, and so does the sandbox.
async fn observe(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    tokio::spawn(serve(shared, request, next))
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Names the route, applies the latency and HTTP-level faults, logs the request, persists
/// state after mutations.
async fn serve(shared: Arc<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let named = exoscale::route_name(&method, &path)
        .map(|r| ("exoscale", r))
        .or_else(|| ona::route_name(&method, &path).map(|r| ("ona", r)));
    let Some((api, route)) = named else {
        return next.run(request).await;
    };
    // The round trip, plus one delay from each latency rule for this route.
    let injected: Duration = shared
        .faults
        .take_each(route, |kind| matches!(kind, FaultKind::Latency { .. }))
        .iter()
        .map(|kind| match kind {
            FaultKind::Latency { ms } => Duration::from_millis(*ms),
            _ => Duration::ZERO,
        })
        .sum();
    let delay = shared.latency + injected;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // An answer that replaces the handler's, or a fault that spoils the handler's answer.
    let mut response = None;
    let mut after = None;
    let fires = |kind: &FaultKind| {
        kind.is_http_level()
            && kind.applies_to(api, route)
            && !matches!(kind, FaultKind::Latency { .. })
    };
    match shared.faults.take(route, fires) {
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => response = Some(fault_status(api, status, retry_after)),
        Some(FaultKind::Reset) => response = Some(broken_response()),
        Some(FaultKind::Garbage { form }) if !form.runs_handler() => {
            response = Some(garbage::replacement(form));
        }
        Some(fault @ (FaultKind::Lost | FaultKind::Garbage { .. })) => after = Some(fault),
        _ => {}
    }
    let response = match response {
        Some(r) => r,
        None => next.run(request).await,
    };
    // A lost answer is logged with the status the handler gave: the change did happen.
    let handler_status = response.status().as_u16();
    let response = match after {
        Some(FaultKind::Lost) => broken_response(),
        Some(FaultKind::Garbage { form }) => garbage::spoil(api, form, response).await,
        _ => response,
    };
    let status = match after {
        Some(FaultKind::Lost) => handler_status,
        _ => response.status().as_u16(),
    };
    shared.requests.push(LoggedRequest {
        api,
        route,
        method: method.to_string(),
        path,
        status,
    });
    if method != axum::http::Method::GET && !route.starts_with("Get") && !route.starts_with("List")
    {
        shared.save_state();
    }
    response
}

/// An injected error status, in the body shape of the API it stands for.
fn fault_status(api: &str, status: u16, retry_after: Option<u64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if api == "ona" {
        let connect_code = match status {
            429 => "resource_exhausted",
            503 => "unavailable",
            504 => "deadline_exceeded",
            _ => "internal",
        };
        (
            code,
            Json(serde_json::json!({"code": connect_code, "message": "injected fault"})),
        )
            .into_response()
    } else {
        let mut body = serde_json::json!({"message": "injected fault"});
        if let Some(seconds) = retry_after {
            body["retry_after"] = seconds.into();
        }
        (code, Json(body)).into_response()
    };
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(seconds));
    }
    response
}

/// A response whose body fails before its first byte: the server drops the connection
/// without writing anything, so the client sees the connection close with no answer.
fn broken_response() -> Response {
    let stream = failing_stream();
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn failing_stream(
) -> impl futures_core::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    struct Broken(bool);
    impl futures_core::Stream for Broken {
        type Item = Result<axum::body::Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if self.0 {
                return std::task::Poll::Ready(None);
            }
            self.0 = true;
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected connection reset",
            ))))
        }
    }
    Broken(false)
}

async fn list_requests(State(shared): State<Arc<Shared>>) -> Json<Vec<LoggedRequest>> {
    Json(shared.requests.all())
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.requests.clear();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Vec<FaultRule>> {
    Json(shared.faults.list())
}

async fn add_fault(State(shared): State<Arc<Shared>>, Json(rule): Json<FaultRule>) -> StatusCode {
    shared.faults.add(rule);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}
