//! Every example folder, as a user copies it beside the provider example: it validates on
//! its own with every Terraform we test, and with the newest it plans (applies, for the
//! resources; queries, for the list resources) against the sandbox, with the environment
//! pointing at the sandbox and a proxy that refuses everything standing in for the
//! internet: an example (or the provider example) that sends a call anywhere else fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{newest_terraform, quick_sandbox, terraforms, Workspace};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every folder under examples/ that holds Terraform files, sorted.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap_or_else(|e| panic!("{e}")).path())
            .collect();
        entries.sort();
        if entries.iter().any(|p| terraform_file(p)) {
            found.push(dir.to_path_buf());
        }
        for sub in entries.iter().filter(|p| p.is_dir()) {
            walk(sub, found);
        }
    }
    let mut found = Vec::new();
    walk(&examples(), &mut found);
    found
}

fn terraform_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".tf") || name.ends_with(".tfquery.hcl") || name.ends_with(".tftest.hcl")
}

fn relative(dir: &Path) -> String {
    dir.strip_prefix(examples())
        .unwrap_or(dir)
        .display()
        .to_string()
}

/// What a user runs in a folder, with the newest Terraform.
enum Use {
    /// Resources: applied, so the data sources after them find what they look up.
    Apply,
    Plan,
    Query,
    /// A `terraform test` suite (run verbatim by the testing guide's test): validated.
    Validate,
}

fn use_of(dir: &Path) -> Use {
    let rel = relative(dir);
    if rel.starts_with("resources/") {
        Use::Apply
    } else if rel.starts_with("list-resources/") {
        Use::Query
    } else if rel == "testing" {
        Use::Validate
    } else {
        Use::Plan
    }
}

/// Whether Terraform 1.0 knows the folder's language (actions, list resources and
/// `terraform test` came later).
fn for_terraform_1_0(dir: &Path) -> bool {
    let rel = relative(dir);
    !(rel.starts_with("actions/") || rel.starts_with("list-resources/") || rel == "testing")
}

/// A workspace holding the folder's files, and the provider example's unless the folder
/// declares the provider itself (as `provider`, `demo` and `testing` do).
fn workspace_for(dir: &Path, ws: Workspace) -> Workspace {
    let mut declares_provider = false;
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if terraform_file(&path) {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            declares_provider |= text.contains("required_providers");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            ws.write(name, &text);
        }
    }
    if !declares_provider {
        let provider = std::fs::read_to_string(examples().join("provider/provider.tf"))
            .unwrap_or_else(|e| panic!("examples/provider/provider.tf: {e}"));
        ws.write("provider.tf", &provider);
    }
    ws
}

#[test]
fn every_example_folder_validates_on_its_own() {
    let dirs = example_dirs();
    assert!(dirs.len() >= 12, "examples missing: {dirs:?}");
    for tf in terraforms() {
        for dir in dirs
            .iter()
            .filter(|d| tf.version != "1.0.3" || for_terraform_1_0(d))
        {
            let ws = workspace_for(dir, Workspace::new(&tf));
            let run = ws.terraform(&["validate", "-no-color"]);
            assert!(
                run.success(),
                "examples/{} does not validate with Terraform {}:\n{run}",
                relative(dir),
                tf.version
            );
        }
    }
}

#[test]
fn the_examples_run_against_the_sandbox_and_call_nothing_else() {
    let tf = newest_terraform();
    let (sandbox, _rt) = quick_sandbox();
    let internet = RefusingProxy::start();
    let mut dirs = example_dirs();
    // Resources first: the data sources, list resources and the action look them up.
    dirs.sort_by_key(|dir| !matches!(use_of(dir), Use::Apply));
    for dir in &dirs {
        let before = sandbox.requests().all().len();
        let ws = workspace_for(dir, internet.around(Workspace::new(&tf).against(&sandbox)))
            .timeout(Duration::from_secs(60));
        let args: &[&str] = match use_of(dir) {
            Use::Apply => &["apply", "-auto-approve", "-input=false", "-no-color"],
            Use::Plan => &["plan", "-input=false", "-no-color"],
            Use::Query => &["query", "-no-color"],
            Use::Validate => &["validate", "-no-color"],
        };
        let run = ws.terraform(args);
        let outside = internet.seen();
        assert!(
            outside.is_empty(),
            "examples/{} sent requests outside the sandbox: {outside:?}\n{run}",
            relative(dir)
        );
        assert!(run.success(), "examples/{}:\n{run}", relative(dir));
        let calls = sandbox.requests().all().len() - before;
        if !matches!(use_of(dir), Use::Validate) && relative(dir) != "provider" {
            assert!(
                calls > 0,
                "examples/{} called no API:\n{run}",
                relative(dir)
            );
        }
    }
}

/// An HTTP proxy on loopback that answers every request with 403 and remembers its first
/// line (`CONNECT api-ch-gva-2.exoscale.com:443 HTTP/1.1`): through `HTTPS_PROXY` and
/// `HTTP_PROXY`, with `NO_PROXY` for loopback, it sees whatever would have gone beyond the
/// machine. It stops when dropped.
pub struct RefusingProxy {
    pub address: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RefusingProxy {
    pub fn start() -> RefusingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let address = format!(
            "http://{}",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seeing, stopping) = (seen.clone(), stop.clone());
        let thread = thread::spawn(move || {
            // Bounded: no test runs this long or sends this many requests.
            let until = Instant::now() + Duration::from_secs(900);
            let mut served = 0;
            while !stopping.load(Ordering::Relaxed) && served < 1000 && Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let line = refuse(stream);
                        seeing.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        RefusingProxy {
            address,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// The first line of every request it refused so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `ws` with the proxy variables (both cases, as clients read either) pointing here.
    pub fn around(&self, ws: Workspace) -> Workspace {
        ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"]
            .iter()
            .fold(ws, |ws, key| ws.env(key, &self.address))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
    }

    /// The proxy variables alone, for commands run without a [`Workspace`].
    pub fn variables(&self) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> =
            ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"]
                .iter()
                .map(|key| (key.to_string(), self.address.clone()))
                .collect();
        for key in ["NO_PROXY", "no_proxy"] {
            vars.push((key.to_string(), "127.0.0.1,localhost".to_string()));
        }
        vars
    }
}

impl Drop for RefusingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a request's head, answers 403, and returns its first line.
fn refuse(mut stream: TcpStream) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream
        .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let text = String::from_utf8_lossy(&head);
    text.lines()
        .next()
        .unwrap_or("(no request line)")
        .to_string()
}
