//! Start-up benchmark: time from spawn to the go-plugin handshake line, and the resident
//! memory once serving, for this provider and (when given) a Go reference provider built on
//! terraform-plugin-framework. Run it with `cargo xtask bench`, which builds the release
//! binary and fetches the reference; results go to docs/performance.md by hand.
//!
//!     POOLS_PROVIDER_BIN=target/release/terraform-provider-pools \
//!     POOLS_GO_REFERENCE_BIN=.tools/reference/terraform-provider-workato \
//!     cargo bench --bench startup

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use base64::Engine;
use terraform_provider_pools::plugin::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use terraform_provider_pools::plugin::tls::self_signed_certificate;

const RUNS: usize = 50;

struct Sample {
    millis: f64,
    rss_kib: u64,
}

fn client_cert_pem() -> String {
    let (cert, _) = self_signed_certificate().expect("client certificate");
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn run_once(binary: &Path, cert: Option<&str>) -> Sample {
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match cert {
        Some(pem) => command.env("PLUGIN_CLIENT_CERT", pem),
        None => command.env_remove("PLUGIN_CLIENT_CERT"),
    };
    let start = Instant::now();
    let mut child = command.spawn().expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake");
    let millis = start.elapsed().as_secs_f64() * 1000.0;
    assert!(
        line.starts_with("1|"),
        "{} printed no handshake line: {line:?}",
        binary.display()
    );
    let rss_kib = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    Sample { millis, rss_kib }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn measure(label: &str, binary: &Path, cert: Option<&str>) -> f64 {
    run_once(binary, cert); // warm the page cache
    let samples: Vec<Sample> = (0..RUNS).map(|_| run_once(binary, cert)).collect();
    let ms = median(samples.iter().map(|s| s.millis).collect());
    let rss = median(samples.iter().map(|s| s.rss_kib as f64).collect());
    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    println!(
        "{label:<28} handshake median {ms:>6.2} ms   RSS {:>5.1} MiB   binary {:>5.1} MiB",
        rss / 1024.0,
        size as f64 / (1024.0 * 1024.0)
    );
    ms
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ours = std::env::var_os("POOLS_PROVIDER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/terraform-provider-pools"));
    assert!(
        ours.exists(),
        "{} is missing: run `cargo build --release` (or `cargo xtask bench`)",
        ours.display()
    );
    let pem = client_cert_pem();
    println!("start-up to handshake line, {RUNS} runs each (AutoMTLS with a client certificate)");
    let ours_ms = measure("terraform-provider-pools", &ours, Some(&pem));
    match std::env::var_os("POOLS_GO_REFERENCE_BIN").map(PathBuf::from) {
        Some(go) => {
            let go_ms = measure("Go reference (plugin-fw)", &go, Some(&pem));
            measure("Go reference, no client cert", &go, None);
            println!("ratio pools / Go: {:.2}x", ours_ms / go_ms);
        }
        None => println!(
            "Go reference: not measured (set POOLS_GO_REFERENCE_BIN, or run `cargo xtask bench`)"
        ),
    }
}
