//! The `pools-sandbox` binary as a child process: started on a free loopback port, asked
//! for its request log over plain HTTP, and always stopped, on drop at the latest.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the sandbox may take to print its address, and to stop.
const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request to the admin endpoints may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SandboxProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the sandbox printed it.
    url: String,
}

impl SandboxProcess {
    /// Starts `bin --listen 127.0.0.1:0 <args>` and waits for the address it prints first.
    /// Its stderr goes to `log`, which a failed start quotes.
    pub fn start(bin: &Path, args: &[&str], log: &Path) -> Result<SandboxProcess, String> {
        let stderr =
            File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let first_line = child.stdout.take().map(first_line_in_background);
        let url = first_line.and_then(|line| line.recv_timeout(START_TIMEOUT).ok());
        let mut sandbox = SandboxProcess {
            child,
            url: String::new(),
        };
        match url {
            Some(url) if url.starts_with("http://127.0.0.1:") => {
                sandbox.url = url;
                Ok(sandbox)
            }
            other => {
                sandbox.stop();
                let log = std::fs::read_to_string(log).unwrap_or_default();
                Err(format!(
                    "{} did not print its address within {START_TIMEOUT:?} (printed {other:?}); its stderr:\n{log}",
                    bin.display()
                ))
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The provider's `exoscale.endpoint` for this sandbox (`{zone}` stays a placeholder).
    pub fn exoscale_endpoint(&self) -> String {
        format!("{}/{{zone}}/v2", self.url)
    }

    /// The provider's `ona.endpoint` for this sandbox.
    pub fn ona_endpoint(&self) -> String {
        format!("{}/api", self.url)
    }

    /// The route names of every API request the sandbox has served, in order.
    pub fn routes(&self) -> Result<Vec<String>, String> {
        let host = self.url.trim_start_matches("http://");
        string_values(&http_get(host, "/_sandbox/requests")?, "route")
    }

    /// Interrupts the sandbox (it stops cleanly on SIGINT) and kills it if it lingers.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends the first line of `pipe` (trimmed), then keeps draining it so the sandbox never
/// writes into a closed pipe.
fn first_line_in_background(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        if reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            let _ = tx.send(line.trim().to_string());
        }
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    rx
}

/// A minimal HTTP/1.1 GET (the admin endpoints answer small JSON bodies with a
/// Content-Length), so xtask stays std-only.
pub fn http_get(host: &str, path: &str) -> Result<String, String> {
    let failed = |e: std::io::Error| format!("GET http://{host}{path}: {e}");
    let mut stream = TcpStream::connect(host).map_err(failed)?;
    stream
        .set_read_timeout(Some(HTTP_TIMEOUT))
        .map_err(failed)?;
    stream
        .set_write_timeout(Some(HTTP_TIMEOUT))
        .map_err(failed)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(failed)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(failed)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET http://{host}{path}: no complete HTTP response"))?;
    let status_line = head.lines().next().unwrap_or_default();
    if !status_line.starts_with("HTTP/1.1 200") {
        return Err(format!("GET http://{host}{path} answered {status_line:?}"));
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(format!(
            "GET http://{host}{path}: chunked responses are not supported"
        ));
    }
    Ok(body.to_string())
}

/// Every value of the string field `name` in compact JSON, in order. Enough for the
/// sandbox's request log, whose objects are flat and whose route names are plain words;
/// an escaped quote inside another string can never look like `"name":"`.
pub fn string_values(json: &str, name: &str) -> Result<Vec<String>, String> {
    let key = format!("\"{name}\":\"");
    let mut values = Vec::new();
    let mut rest = json;
    while let Some(start) = rest.find(&key) {
        rest = &rest[start + key.len()..];
        let end = rest
            .find(['"', '\\'])
            .ok_or_else(|| format!("unterminated {name:?} value in {json:?}"))?;
        if rest[end..].starts_with('\\') {
            return Err(format!(
                "escaped {name:?} values are not expected: {json:?}"
            ));
        }
        values.push(rest[..end].to_string());
        rest = &rest[end + 1..];
    }
    Ok(values)
}

/// "create-instance-pool 1, get-operation 3": how often each route was called, in the
/// order each was first called.
pub fn count_routes(routes: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for route in routes {
        match counts.iter_mut().find(|(name, _)| name == route) {
            Some((_, n)) => *n += 1,
            None => counts.push((route, 1)),
        }
    }
    counts
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
