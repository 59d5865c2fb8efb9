//! Installing the provider as users do, from the release archives in `dist/` (`cargo xtask
//! release`), with every Terraform we test: `terraform init` from a filesystem mirror,
//! after which the installed provider applies against the sandbox; and from a provider
//! registry, where the lock file pins the `zh:` checksums of the signed SHA256SUMS.
//! (Terraform records `zh:` checksums only for packages whose SHA256SUMS it verified
//! against a signature, which a registry provides and a filesystem mirror cannot; from a
//! mirror it records the `h1:` hash of the installed package.)

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use pools_sandbox::{Config, Sandbox};

use crate::harness::{for_each_terraform, TempDir, Workspace, PROVIDER_SOURCE};

/// `$POOLS_DIST_DIR` (set by `cargo xtask test`), else `dist/`; never skipped.
fn dist_dir() -> PathBuf {
    let dir = match std::env::var_os("POOLS_DIST_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"),
    };
    assert!(
        dir.is_dir(),
        "no release archives at {}: run `cargo xtask release` (or `cargo xtask test`, which does it)",
        dir.display()
    );
    dir
}

/// The provider archive's file name and its line in SHA256SUMS.
fn provider_archive(dist: &Path) -> (String, String, String) {
    let version = env!("CARGO_PKG_VERSION");
    let zip = format!("terraform-provider-pools_{version}_linux_amd64.zip");
    let sums_path = dist.join(format!("terraform-provider-pools_{version}_SHA256SUMS"));
    let sums = fs::read_to_string(&sums_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", sums_path.display()));
    let sha = sums
        .lines()
        .find_map(|l| l.strip_suffix(&format!("  {zip}")))
        .unwrap_or_else(|| panic!("{zip} is not in SHA256SUMS:\n{sums}"))
        .to_string();
    (version.to_string(), zip, sha)
}

#[test]
fn terraform_init_installs_from_a_mirror_and_the_provider_applies() {
    let dist = dist_dir();
    let (version, zip, _) = provider_archive(&dist);
    let mirror = TempDir::new("mirror");
    let packed = mirror.path().join("terraform.local/pools/pools");
    fs::create_dir_all(&packed).unwrap_or_else(|e| panic!("mirror: {e}"));
    fs::copy(dist.join(&zip), packed.join(&zip)).unwrap_or_else(|e| panic!("copy {zip}: {e}"));
    let cli_config = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n}}\n",
        mirror.path().display().to_string()
    );
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let config = Config {
        operation_duration: Duration::from_millis(100),
        warm_pool_settle: Duration::from_millis(100),
        ..Config::default()
    };
    let listen = "127.0.0.1:0".parse().expect("a literal socket address");
    let sandbox = rt
        .block_on(Sandbox::start(config, listen))
        .unwrap_or_else(|e| panic!("sandbox: {e}"));

    for_each_terraform(|tf| {
        // The official Ona provider's variables, as a user migrating from it has them set.
        let host = sandbox.ona_endpoint();
        let host = host.strip_suffix("/api").unwrap_or(&host);
        let ws = Workspace::with_cli_config(tf, &cli_config)
            .env("ONA_HOST", host)
            .env("ONA_TOKEN", pools_sandbox::DEFAULT_ONA_TOKEN);
        ws.write(
            "main.tf",
            &format!(
                r#"terraform {{
  required_providers {{
    pools = {{
      source  = "{PROVIDER_SOURCE}"
      version = "{version}"
    }}
  }}
}}

resource "pools_warm_pool" "w" {{
  project_id           = "{}"
  environment_class_id = "{}"
}}
"#,
                pools_sandbox::ona::fixtures::PROJECT_ID,
                pools_sandbox::ona::fixtures::CLASS_SMALL_ID,
            ),
        );
        ws.terraform(&["init", "-input=false", "-no-color"])
            .assert_success()
            .assert_output_contains(&format!("Installed {PROVIDER_SOURCE} v{version}"));
        let lock = fs::read_to_string(ws.path().join(".terraform.lock.hcl"))
            .unwrap_or_else(|e| panic!("no lock file: {e}"));
        assert!(
            lock.contains(&format!("version     = \"{version}\"")) && lock.contains("\"h1:"),
            "the lock file pins the installed package:\n{lock}"
        );
        ws.terraform(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .assert_success()
            .assert_output_contains("1 added");
        let plan = ws.terraform(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(plan.code, Some(0), "{plan}");
        ws.terraform(&["destroy", "-auto-approve", "-input=false", "-no-color"])
            .assert_success();
    });
}

/// A throwaway signing key in its own GNUPGHOME, as a provider author's key would be.
struct SigningKey {
    home: TempDir,
    fingerprint: String,
}

impl SigningKey {
    fn generate() -> SigningKey {
        let home = TempDir::new("gnupg");
        let gpg = |args: &[&str]| {
            let out = Command::new("gpg")
                .env("GNUPGHOME", home.path())
                .args(["--batch", "--quiet", "--no-tty"])
                .args(args)
                .output()
                .unwrap_or_else(|e| {
                    panic!("gpg is required (cargo xtask install-tools installs it): {e}")
                });
            assert!(
                out.status.success(),
                "gpg {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "pools release test <release@example.invalid>",
            "rsa2048",
            "sign",
            "never",
        ]);
        let listing = gpg(&["--list-keys", "--with-colons"]);
        let fingerprint = listing
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_string())
            })
            .unwrap_or_else(|| panic!("no fingerprint in {listing}"));
        SigningKey { home, fingerprint }
    }

    fn gpg(&self, args: &[&str]) -> String {
        let out = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--quiet", "--no-tty"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("gpg: {e}"));
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Serves `root` over HTTP on loopback, as a provider registry and its download host would,
/// until dropped; each connection gets one answer.
struct StaticServer {
    address: String,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl StaticServer {
    fn start(root: PathBuf) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let address = format!(
            "http://{}",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        );
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            // Bounded: a test never needs more than a few hundred requests or two minutes.
            let until = std::time::Instant::now() + Duration::from_secs(120);
            let mut served = 0;
            while !stopping.load(Ordering::Relaxed)
                && served < 500
                && std::time::Instant::now() < until
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        answer(stream, &root);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        StaticServer {
            address,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(mut stream: TcpStream, root: &Path) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/');
    let file = root.join(path);
    let (status, body) = match (path.contains(".."), fs::read(&file)) {
        (false, Ok(body)) => ("200 OK", body),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// The registry path: Terraform installs from a provider registry (the Provider Registry
/// Protocol, found through a `host` block instead of DNS), verifies the signature of
/// SHA256SUMS, and records the `zh:` checksums from it in the lock file.
#[test]
fn terraform_init_from_a_registry_pins_the_signed_checksums() {
    let dist = dist_dir();
    let (version, zip, sha) = provider_archive(&dist);
    let key = SigningKey::generate();
    let root = TempDir::new("registry");
    for entry in fs::read_dir(&dist)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        fs::copy(entry.path(), root.path().join(entry.file_name()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let sums = format!("terraform-provider-pools_{version}_SHA256SUMS");
    // The same detached signature `cargo xtask release` makes with GPG_FINGERPRINT.
    let signature = root.path().join(format!("{sums}.sig"));
    key.gpg(&[
        "--local-user",
        &key.fingerprint,
        "--detach-sign",
        "--output",
        &signature.display().to_string(),
        &root.path().join(&sums).display().to_string(),
    ]);
    let server = StaticServer::start(root.path().to_path_buf());
    let base = &server.address;
    let api = root.path().join("v1/providers/pools/pools");
    fs::create_dir_all(api.join(format!("{version}/download/linux")))
        .unwrap_or_else(|e| panic!("{e}"));
    let versions = serde_json::json!({"versions": [{"version": version, "protocols": ["6.0"], "platforms": [{"os": "linux", "arch": "amd64"}]}]});
    fs::write(api.join("versions"), versions.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let armor = key.gpg(&["--armor", "--export", &key.fingerprint]);
    let key_id = &key.fingerprint[key.fingerprint.len() - 16..];
    let download = serde_json::json!({
        "protocols": ["6.0"], "os": "linux", "arch": "amd64", "filename": zip,
        "download_url": format!("{base}/{zip}"),
        "shasums_url": format!("{base}/{sums}"),
        "shasums_signature_url": format!("{base}/{sums}.sig"),
        "shasum": sha,
        "signing_keys": {"gpg_public_keys": [{"key_id": key_id, "ascii_armor": armor}]},
    });
    fs::write(
        api.join(format!("{version}/download/linux/amd64")),
        download.to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cli_config = format!("host \"terraform.local\" {{\n  services = {{\n    \"providers.v1\" = \"{base}/v1/providers/\"\n  }}\n}}\n");

    for_each_terraform(|tf| {
        let ws = Workspace::with_cli_config(tf, &cli_config);
        ws.write(
            "main.tf",
            &format!("terraform {{\n  required_providers {{\n    pools = {{\n      source  = \"{PROVIDER_SOURCE}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n"),
        );
        ws.terraform(&["init", "-input=false", "-no-color"])
            .assert_success()
            .assert_output_contains(&format!(
                "Installed {PROVIDER_SOURCE} v{version} (self-signed, key ID"
            ));
        let lock = fs::read_to_string(ws.path().join(".terraform.lock.hcl"))
            .unwrap_or_else(|e| panic!("no lock file: {e}"));
        assert!(
            lock.contains(&format!("\"zh:{sha}\"")),
            "the lock file pins the archive's checksum from SHA256SUMS, zh:{sha}:\n{lock}"
        );
        ws.terraform(&["providers", "schema", "-json"])
            .assert_success()
            .assert_output_contains("pools_instance_pool");
    });
}
