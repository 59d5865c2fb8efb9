//! Serving a provider the way go-plugin expects: check the magic cookie, negotiate protocol
//! 6, listen on a unix socket (tcp fallback), set up AutoMTLS, print the handshake line,
//! and serve tfplugin6 plus go-plugin's side services until Terraform shuts us down.

use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, Notify};
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use super::grpc::ProviderService;
use super::log;
use super::proto::go_plugin as gp;
use super::proto::health as hp;
use super::proto::tfplugin6 as pb;
use super::resource::Provider;
use super::stop::Stop;
use super::tls;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const PROTOCOL_VERSION: u32 = 6;
const CORE_PROTOCOL_VERSION: u32 = 1;
/// Terraform sends large states in one message; go-plugin's limit is the default 4 MiB,
/// Terraform raises it, and so do we.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// How the process was started.
pub enum Mode {
    /// Launched by Terraform: mTLS with the offered certificate, handshake on stdout.
    Plugin,
    /// `--debug`: plaintext unix socket for a developer's Terraform, reattach line on stdout.
    Debug,
}

/// Runs the plugin server until Terraform (or Ctrl-C in debug mode) stops it. `address` is
/// what Terraform knows the provider as (`hostname/namespace/type`): the key of the reattach
/// line in debug mode, and the `tf_provider_addr` of every log line.
pub async fn serve(provider: impl Provider, address: &str, mode: Mode) -> Result<(), String> {
    log::set_provider_address(address);
    let tls = match &mode {
        Mode::Plugin => Some(negotiate()?),
        Mode::Debug => None,
    };
    let mut listener = Listener::bind()?;
    let stop = Stop::new();
    let service = ProviderService::new(provider, stop.clone());
    let shutdown = Arc::new(Notify::new());

    match (&mode, &tls) {
        (Mode::Plugin, Some(identity)) => {
            let cert = base64::engine::general_purpose::STANDARD_NO_PAD
                .encode(identity.certificate.as_ref());
            let line = format!(
                "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{}|{}|grpc|{cert}\n",
                listener.network, listener.address
            );
            let mut out = std::io::stdout().lock();
            out.write_all(line.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("writing the handshake: {e}"))?;
        }
        (Mode::Debug, _) => {
            let reattach = serde_json::json!({
                address: {
                    "Protocol": "grpc",
                    "ProtocolVersion": PROTOCOL_VERSION,
                    "Pid": std::process::id(),
                    "Test": true,
                    "Addr": { "Network": listener.network, "String": listener.address },
                }
            });
            println!("Provider server started; to attach Terraform, set in its environment:\n");
            println!("\tTF_REATTACH_PROVIDERS='{reattach}'\n");
            println!("Stop with Ctrl-C.");
        }
        _ => {}
    }
    log::debug(
        "plugin server listening",
        &[
            ("network", &listener.network),
            ("address", &listener.address),
        ],
    );

    let acceptor = tls.map(|identity| tokio_rustls::TlsAcceptor::from(identity.config));
    let incoming = listener.incoming(acceptor);
    watch_signals(&mode, shutdown.clone());

    let result = tonic::transport::Server::builder()
        .add_service(
            pb::provider_server::ProviderServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        )
        .add_service(hp::health_server::HealthServer::new(Health))
        .add_service(gp::grpc_controller_server::GrpcControllerServer::new(
            Controller(shutdown.clone()),
        ))
        .add_service(gp::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add_service(gp::grpc_broker_server::GrpcBrokerServer::new(Broker))
        .serve_with_incoming_shutdown(incoming, async move { shutdown.notified().await })
        .await;
    listener.cleanup();
    result.map_err(|e| format!("serving: {e}"))
}

/// Checks what Terraform passes in the environment and builds the mTLS identity.
fn negotiate() -> Result<tls::ServerIdentity, String> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err("This binary is a plugin for Terraform and OpenTofu; they start it themselves.\n\
             To use it, declare the provider in a configuration and run `terraform init` or use dev_overrides.\n\
             To debug it, run it with --debug."
            .to_string());
    }
    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let offered: Vec<&str> = versions.split(',').map(str::trim).collect();
        if !offered.contains(&"6") {
            return Err(format!(
                "Terraform offered plugin protocol versions {versions}, but this provider speaks only protocol 6 (Terraform 1.0 and later)."
            ));
        }
    }
    let cert = std::env::var("PLUGIN_CLIENT_CERT").map_err(|_| {
        "PLUGIN_CLIENT_CERT is not set: this provider only serves Terraform over mutually authenticated TLS.".to_string()
    })?;
    tls::server_identity(&cert)
}

/// Terraform interrupts plugins through StopProvider, not signals: as a plugin we ignore
/// SIGINT (the terminal sends it to the whole process group). In debug mode it stops us.
fn watch_signals(mode: &Mode, shutdown: Arc<Notify>) {
    let debug = matches!(mode, Mode::Debug);
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if debug {
                shutdown.notify_one();
                return;
            }
            log::debug("ignoring SIGINT; Terraform stops providers over gRPC", &[]);
        }
    });
}

struct Listener {
    source: Source,
    /// The socket file and its private directory, removed on exit.
    socket: Option<(PathBuf, PathBuf)>,
    network: &'static str,
    address: String,
}

enum Source {
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
    Taken,
}

impl Listener {
    fn bind() -> Result<Listener, String> {
        match Self::bind_unix() {
            Ok(l) => Ok(l),
            Err(unix_error) => {
                log::debug(
                    "unix socket unavailable, falling back to tcp",
                    &[("error", &unix_error)],
                );
                Self::bind_tcp()
            }
        }
    }

    fn bind_unix() -> Result<Listener, String> {
        let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("plugin-pools-{}-{:x}", std::process::id(), nonce()));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        let path = dir.join("plugin.sock");
        match tokio::net::UnixListener::bind(&path) {
            Ok(listener) => Ok(Listener {
                source: Source::Unix(listener),
                network: "unix",
                address: path.display().to_string(),
                socket: Some((dir, path)),
            }),
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                Err(format!("{}: {e}", path.display()))
            }
        }
    }

    fn bind_tcp() -> Result<Listener, String> {
        let port = |var: &str| std::env::var(var).ok().and_then(|v| v.parse::<u16>().ok());
        let (min, max) = match (port("PLUGIN_MIN_PORT"), port("PLUGIN_MAX_PORT")) {
            (Some(min), Some(max)) if min <= max => (min, max),
            _ => (0, 0),
        };
        for p in min..=max {
            if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", p)) {
                l.set_nonblocking(true).map_err(|e| e.to_string())?;
                let address = l
                    .local_addr()
                    .map(|a| a.to_string())
                    .map_err(|e| e.to_string())?;
                let listener = tokio::net::TcpListener::from_std(l).map_err(|e| e.to_string())?;
                return Ok(Listener {
                    source: Source::Tcp(listener),
                    socket: None,
                    network: "tcp",
                    address,
                });
            }
        }
        Err(format!("no free tcp port on 127.0.0.1 in {min}..={max}"))
    }

    fn cleanup(&self) {
        if let Some((dir, path)) = &self.socket {
            let _ = std::fs::remove_file(path);
            let _ = std::fs::remove_dir(dir);
        }
    }

    /// Accepted connections, TLS-wrapped when an acceptor is given. Handshakes run in their
    /// own tasks so a slow or hostile client cannot hold up the others; a client without
    /// the expected certificate never reaches gRPC.
    fn incoming(
        &mut self,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
    ) -> tokio_stream::wrappers::ReceiverStream<Result<Conn, std::io::Error>> {
        let (tx, rx) = mpsc::channel(16);
        let source = std::mem::replace(&mut self.source, Source::Taken);
        tokio::spawn(async move {
            loop {
                let accepted: std::io::Result<Box<dyn Io>> = match &source {
                    Source::Unix(l) => l.accept().await.map(|(s, _)| Box::new(s) as Box<dyn Io>),
                    Source::Tcp(l) => l.accept().await.map(|(s, _)| Box::new(s) as Box<dyn Io>),
                    Source::Taken => return,
                };
                let stream = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        log::warn("accepting a connection failed", &[("error", &e)]);
                        // E.g. out of file descriptors: back off instead of spinning.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let (tx, acceptor) = (tx.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let conn = match acceptor {
                        None => Conn(stream),
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(tls) => Conn(Box::new(tls)),
                            Err(e) => {
                                log::warn(
                                    "refused a connection: TLS handshake failed",
                                    &[("error", &e)],
                                );
                                return;
                            }
                        },
                    };
                    let _ = tx.send(Ok(conn)).await;
                });
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(rx)
    }
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One accepted (and possibly TLS-wrapped) connection.
pub struct Conn(Box<dyn Io>);

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

fn nonce() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    t.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)
}

struct Health;

#[tonic::async_trait]
impl hp::health_server::Health for Health {
    async fn check(
        &self,
        _: Request<hp::HealthCheckRequest>,
    ) -> Result<Response<hp::HealthCheckResponse>, Status> {
        Ok(Response::new(hp::HealthCheckResponse {
            status: hp::health_check_response::ServingStatus::Serving as i32,
        }))
    }
}

struct Controller(Arc<Notify>);

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<gp::Empty>) -> Result<Response<gp::Empty>, Status> {
        log::debug("shutdown requested by Terraform", &[]);
        // notify_one stores a permit, so the server sees it even if it is not waiting yet.
        self.0.notify_one();
        Ok(Response::new(gp::Empty {}))
    }
}

/// Logs go straight to stderr, which go-plugin reads, so this stream stays idle.
struct Stdio;

#[tonic::async_trait]
impl gp::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<tonic::codegen::BoxStream<gp::StdioData>>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// Terraform providers never open extra connections; the broker answers and stays idle.
struct Broker;

#[tonic::async_trait]
impl gp::grpc_broker_server::GrpcBroker for Broker {
    async fn start_stream(
        &self,
        _: Request<tonic::Streaming<gp::ConnInfo>>,
    ) -> Result<Response<tonic::codegen::BoxStream<gp::ConnInfo>>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}
