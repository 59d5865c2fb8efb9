//! What the benchmarks share: a provider started in `--debug` mode for Terraform (or a
//! gRPC client) to attach to, and process CPU time from /proc.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// utime + stime of a process (a pid, or `self`), in seconds. Linux counts 100 ticks a
/// second (sysconf(_SC_CLK_TCK)) on every architecture this project builds for.
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    ticks / 100.0
}

/// The provider in `--debug` mode; killed when dropped.
pub struct DebugProvider {
    pub child: Child,
    /// The `TF_REATTACH_PROVIDERS` value it printed.
    pub reattach: String,
}

impl DebugProvider {
    /// Starts `provider` (a command with its environment set) with `--debug` and reads the
    /// reattach line it prints.
    pub fn start(mut provider: Command) -> DebugProvider {
        let mut child = provider
            .arg("--debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("provider starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let reattach = loop {
            let line = lines.next().expect("a reattach line").expect("stdout");
            if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                break rest.trim_end_matches('\'').to_string();
            }
        };
        // Keep draining stdout so the provider never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        DebugProvider { child, reattach }
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// The Unix socket the provider listens on, from the reattach line.
    #[allow(dead_code)] // Each benchmark compiles this module; only some attach by hand.
    pub fn socket(&self) -> PathBuf {
        let json: serde_json::Value = serde_json::from_str(&self.reattach).expect("reattach JSON");
        let addr = json
            .as_object()
            .and_then(|o| o.values().next())
            .map(|p| &p["Addr"])
            .expect("an address");
        assert_eq!(addr["Network"], "unix", "reattach: {}", self.reattach);
        PathBuf::from(addr["String"].as_str().expect("a socket path"))
    }
}

impl Drop for DebugProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
