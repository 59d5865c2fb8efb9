//! The sandbox over HTTPS (`Config::tls`, `pools-sandbox --tls --ca-file PATH`): trusted by
//! a client given its CA, refused by one that is not.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use pools_sandbox::{Config, Sandbox};

fn client(ca_pem: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = ca_pem {
        builder =
            builder.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

/// The error and its causes, on one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[tokio::test]
async fn serves_https_to_clients_that_trust_its_ca() {
    let config = Config {
        tls: true,
        ..Config::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = sandbox.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca = sandbox
        .ca_pem()
        .expect("a TLS sandbox has a CA")
        .to_string();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----\n"), "{ca}");

    let trusting = client(Some(&ca));
    let zones = trusting
        .get(format!("{url}/ch-gva-2/v2/zone"))
        .send()
        .await
        .unwrap();
    assert_eq!(zones.status(), 200);
    // The certificate names localhost too.
    let by_name = format!("https://localhost:{}/ch-gva-2/v2/zone", sandbox.addr.port());
    assert_eq!(trusting.get(by_name).send().await.unwrap().status(), 200);
    assert_eq!(sandbox.requests().routes(), ["list-zones", "list-zones"]);

    let err = client(None)
        .get(format!("{url}/ch-gva-2/v2/zone"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(chain(&err).contains("UnknownIssuer"), "{}", chain(&err));
    // A refused handshake never reaches the API.
    assert_eq!(sandbox.requests().routes().len(), 2);
    sandbox.stop().await;
}

#[tokio::test]
async fn plain_http_has_no_ca() {
    let sandbox = Sandbox::start(Config::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert!(sandbox.url().starts_with("http://"));
    assert!(sandbox.ca_pem().is_none());
}

/// Kills the child on drop, so a failed assertion leaves no server behind.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_writes_its_ca_before_printing_the_https_address() {
    let dir = std::env::temp_dir().join(format!("pools-sandbox-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pools-sandbox"))
        .args(["--tls", "--ca-file"])
        .arg(&ca_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let url = first.trim();
    assert!(url.starts_with("https://127.0.0.1:"), "{first:?}");
    let ca = std::fs::read_to_string(&ca_file).unwrap();
    let answer = client(Some(&ca))
        .get(format!("{url}/ch-gva-2/v2/zone"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_and_ca_file_go_together() {
    for args in [&["--tls"][..], &["--ca-file", "/tmp/x.pem"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_pools-sandbox"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("pools-sandbox: --tls needs --ca-file PATH")
                || stderr.starts_with("pools-sandbox: --ca-file is only for --tls"),
            "{stderr}"
        );
    }
}
