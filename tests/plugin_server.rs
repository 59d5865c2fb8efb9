//! The plugin server as Terraform meets it: a real process, the go-plugin handshake, and
//! AutoMTLS that admits only the client certificate Terraform offered.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use terraform_provider_pools::plugin::proto::{go_plugin as gp, health as hp, tfplugin6 as pb};
use terraform_provider_pools::plugin::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use terraform_provider_pools::plugin::tls::self_signed_certificate;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-pools");

fn pem(cert: &CertificateDer<'_>) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("pools-test-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Plugin {
    child: Child,
    network: String,
    address: String,
    server_cert: CertificateDer<'static>,
}

async fn start(client_cert: &CertificateDer<'_>, envs: &[(&str, &str)]) -> Plugin {
    let mut child = Command::new(BINARY)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", pem(client_cert))
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line: {line}");
    assert_eq!(&parts[..2], ["1", "6"]);
    assert_eq!(parts[4], "grpc");
    assert!(
        !parts[5].contains('='),
        "the certificate is unpadded base64"
    );
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();
    Plugin {
        child,
        network: parts[2].to_string(),
        address: parts[3].to_string(),
        server_cert: CertificateDer::from(der),
    }
}

/// Trusts exactly the server certificate from the handshake line, as go-plugin does.
#[derive(Debug)]
struct PinnedServer(CertificateDer<'static>, Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        assert_eq!(end_entity.as_ref(), self.0.as_ref());
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

/// A gRPC channel to the plugin over TLS, presenting `identity` if given.
async fn connect(
    plugin: &Plugin,
    identity: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
) -> Result<Channel, tonic::transport::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(
            plugin.server_cert.clone(),
            provider,
        )));
    let mut config = match identity {
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let (network, address) = (plugin.network.clone(), plugin.address.clone());
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let (connector, network, address) =
                (connector.clone(), network.clone(), address.clone());
            async move {
                let name = ServerName::try_from("localhost").unwrap();
                let tls = if network == "unix" {
                    let s = tokio::net::UnixStream::connect(&address).await?;
                    Box::new(connector.connect(name, s).await?) as Box<dyn Io>
                } else {
                    let s = tokio::net::TcpStream::connect(&address).await?;
                    Box::new(connector.connect(name, s).await?) as Box<dyn Io>
                };
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}

async fn health(channel: Channel) -> Result<i32, tonic::Status> {
    let mut client = hp::health_client::HealthClient::new(channel);
    let request = hp::HealthCheckRequest {
        service: "plugin".into(),
    };
    Ok(client.check(request).await?.into_inner().status)
}

async fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("plugin did not exit")
        .unwrap()
}

#[tokio::test]
async fn refuses_to_run_outside_terraform() {
    let out = Command::new(BINARY)
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no handshake line without the cookie"
    );

    let out = Command::new(BINARY)
        .arg("--version")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("terraform-provider-pools "));
}

#[tokio::test]
async fn requires_protocol_6_and_a_client_certificate() {
    let out = Command::new(BINARY)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only protocol 6"));

    let out = Command::new(BINARY)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PLUGIN_CLIENT_CERT"));
}

#[tokio::test]
async fn serves_only_the_client_holding_terraforms_certificate() {
    let sockets = TempDir::new("mtls");
    let (client_cert, client_key) = self_signed_certificate().unwrap();
    let sockets_dir = sockets.0.to_str().unwrap();
    let mut plugin = start(&client_cert, &[("PLUGIN_UNIX_SOCKET_DIR", sockets_dir)]).await;
    assert_eq!(plugin.network, "unix");
    assert!(Path::new(&plugin.address).starts_with(&sockets.0));

    // Without a client certificate: refused before any RPC is served.
    let anonymous = match connect(&plugin, None).await {
        Ok(channel) => health(channel).await.err(),
        Err(e) => Some(tonic::Status::unavailable(e.to_string())),
    };
    assert!(
        anonymous.is_some(),
        "a client without a certificate must be refused"
    );

    // With some other certificate: refused too.
    let stranger = match connect(&plugin, Some(self_signed_certificate().unwrap())).await {
        Ok(channel) => health(channel).await.err(),
        Err(e) => Some(tonic::Status::unavailable(e.to_string())),
    };
    assert!(
        stranger.is_some(),
        "a client with another certificate must be refused"
    );

    // With Terraform's certificate: served.
    let channel = connect(&plugin, Some((client_cert, client_key)))
        .await
        .unwrap();
    assert_eq!(
        health(channel.clone()).await.unwrap(),
        hp::health_check_response::ServingStatus::Serving as i32
    );
    let mut provider = pb::provider_client::ProviderClient::new(channel.clone());
    let schema = provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let block = schema.provider.unwrap().block.unwrap();
    let names: Vec<&str> = block
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    assert_eq!(names, ["exoscale", "ona"]);
    let metadata = provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(metadata.server_capabilities.unwrap().plan_destroy);
    // An RPC this provider does not implement answers UNIMPLEMENTED, not a crash.
    let functions = provider
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap_err();
    assert_eq!(functions.code(), tonic::Code::Unimplemented);

    // Terraform ends the plugin through the controller: it exits cleanly and tidies up.
    let mut controller = gp::grpc_controller_client::GrpcControllerClient::new(channel);
    controller.shutdown(gp::Empty {}).await.unwrap();
    assert!(wait_exit(&mut plugin.child).await.success());
    assert!(
        !Path::new(&plugin.address).exists(),
        "socket removed on exit"
    );
}

#[tokio::test]
async fn falls_back_to_tcp_within_the_port_range() {
    let (client_cert, client_key) = self_signed_certificate().unwrap();
    let missing = std::env::temp_dir().join("pools-test-no-such-dir/deeper");
    let mut plugin = start(
        &client_cert,
        &[
            ("PLUGIN_UNIX_SOCKET_DIR", missing.to_str().unwrap()),
            ("PLUGIN_MIN_PORT", "39100"),
            ("PLUGIN_MAX_PORT", "39199"),
        ],
    )
    .await;
    assert_eq!(plugin.network, "tcp");
    let port: u16 = plugin.address.rsplit(':').next().unwrap().parse().unwrap();
    assert!((39100..=39199).contains(&port), "{}", plugin.address);
    assert!(plugin.address.starts_with("127.0.0.1:"));
    let channel = connect(&plugin, Some((client_cert, client_key)))
        .await
        .unwrap();
    assert_eq!(health(channel.clone()).await.unwrap(), 1);
    gp::grpc_controller_client::GrpcControllerClient::new(channel)
        .shutdown(gp::Empty {})
        .await
        .unwrap();
    assert!(wait_exit(&mut plugin.child).await.success());
}

#[tokio::test]
async fn debug_mode_prints_a_reattach_line() {
    let mut child = Command::new(BINARY)
        .arg("--debug")
        .env_remove(MAGIC_COOKIE_KEY)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let reattach = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                return rest.trim_end_matches('\'').to_string();
            }
        }
        panic!("no reattach line")
    })
    .await
    .unwrap();
    let config: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &config["terraform.local/pools/pools"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], child.id().unwrap());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = entry["Addr"]["String"].as_str().unwrap().to_string();
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                let s = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
            }
        }))
        .await
        .unwrap();
    assert_eq!(health(channel).await.unwrap(), 1);
    child.kill().await.unwrap();
}
