//! Both resources under the sandbox's faults, end to end (issue 9): the fault matrix
//! (`matrix.rs`, rendered into docs/reliability.md), a provider killed in the middle of a
//! create or giving up on one in flight (`kill.rs`), and a hundred pools applied in parallel against a sandbox that
//! faults one request in ten (`concurrency.rs`).
//!
//! This file holds what they share: a `Rig` (an in-process sandbox plus a Terraform 1.15.5
//! working directory wired to it), the state file as Terraform wrote it, the pools the
//! sandbox holds, and the calls that changed something.

use std::time::Duration;

use pools_sandbox::{Config, LoggedRequest, Sandbox};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::harness::{terraforms, Run, Terraform, Workspace, PROVIDER_SOURCE};

mod concurrency;
mod kill;
mod matrix;

/// The Terraform these tests drive.
const TERRAFORM: &str = "1.15.5";

const UBUNTU: &str = pools_sandbox::exoscale::fixtures::TEMPLATE_UBUNTU;
const MANAGED_POOL: &str = pools_sandbox::exoscale::fixtures::MANAGED_POOL;

/// The two resources under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    InstancePool,
    WarmPool,
}

impl Kind {
    fn resource_type(self) -> &'static str {
        match self {
            Kind::InstancePool => "pools_instance_pool",
            Kind::WarmPool => "pools_warm_pool",
        }
    }

    /// Whether a logged request of this kind's API changed something. Ona's procedures are
    /// all POSTs, so reads are told by name there.
    fn mutates(self, request: &LoggedRequest) -> bool {
        match self {
            Kind::InstancePool => request.api == "exoscale" && request.method != "GET",
            Kind::WarmPool => {
                request.api == "ona"
                    && !request.route.starts_with("Get")
                    && !request.route.starts_with("List")
            }
        }
    }
}

fn terraform() -> Terraform {
    terraforms()
        .into_iter()
        .find(|tf| tf.version == TERRAFORM)
        .unwrap_or_else(|| panic!("Terraform {TERRAFORM} is not among the tested versions"))
}

/// A sandbox with short operation and settle times, unless `config` says otherwise.
fn fast_config() -> Config {
    Config {
        operation_duration: Duration::from_millis(200),
        warm_pool_settle: Duration::from_millis(200),
        ..Config::default()
    }
}

/// One pool's record in the state file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Recorded {
    /// `type.name`, with the index for `count` (`type.name[3]`).
    address: String,
    id: String,
    tainted: bool,
}

/// An in-process sandbox and a Terraform working directory whose provider talks to it.
/// Fields drop in order: the sandbox stops before its runtime.
struct Rig {
    sandbox: Sandbox,
    ws: Workspace,
    _runtime: Runtime,
}

impl Rig {
    fn start(config: Config) -> Rig {
        // One worker is plenty for the sandbox, and many rigs run side by side.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
        let listen = "127.0.0.1:0".parse().expect("a literal socket address");
        let sandbox = runtime
            .block_on(Sandbox::start(config, listen))
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        let ws = Workspace::new(&terraform()).against(&sandbox);
        Rig {
            sandbox,
            ws,
            _runtime: runtime,
        }
    }

    /// Writes `main.tf`: the provider requirement plus `body`.
    fn config(&self, body: &str) {
        let header = format!(
            "terraform {{\n  required_providers {{\n    pools = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\n"
        );
        self.ws.write("main.tf", &(header + body));
    }

    fn terraform(&self, args: &[&str]) -> Run {
        self.ws.terraform(args)
    }

    /// The managed pools in the state file Terraform wrote (none before the first apply).
    fn recorded(&self) -> Vec<Recorded> {
        let path = self.ws.path().join("terraform.tfstate");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        };
        let state: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the state is not JSON ({e}):\n{text}"));
        let mut recorded = Vec::new();
        for resource in state["resources"].as_array().into_iter().flatten() {
            if resource["mode"] != "managed" {
                continue;
            }
            let kind = resource["type"].as_str().unwrap_or_default();
            let name = resource["name"].as_str().unwrap_or_default();
            for instance in resource["instances"].as_array().into_iter().flatten() {
                let address = match &instance["index_key"] {
                    Value::Null => format!("{kind}.{name}"),
                    key => format!("{kind}.{name}[{key}]"),
                };
                let id = instance["attributes"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{address} has no id in the state:\n{text}"))
                    .to_string();
                recorded.push(Recorded {
                    address,
                    id,
                    tainted: instance["status"] == "tainted",
                });
            }
        }
        recorded
    }

    /// The pools of `kind` the sandbox holds, besides its fixtures, with their JSON as the
    /// sandbox stores them (in any state: creating, destroying, PENDING, DELETING, ...).
    fn held(&self, kind: Kind) -> Vec<(String, Value)> {
        match kind {
            Kind::InstancePool => {
                // pool_count() finishes the operations that are due first.
                self.sandbox.shared.exoscale.pool_count();
                let saved = self.sandbox.shared.exoscale.save();
                saved["pools"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(id, _)| id.as_str() != MANAGED_POOL)
                    .map(|(id, pool)| (id.clone(), pool.clone()))
                    .collect()
            }
            Kind::WarmPool => {
                self.sandbox.shared.ona.pool_count();
                let saved = self.sandbox.shared.ona.save();
                saved["pools"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|pool| {
                        (
                            pool["id"].as_str().unwrap_or_default().to_string(),
                            pool.clone(),
                        )
                    })
                    .collect()
            }
        }
    }

    /// No orphan, no duplicate, no lost pool: the sandbox holds exactly the pools the state
    /// records, each recorded once. Returns the ids.
    fn assert_agree(&self, kind: Kind, label: &str) -> Vec<String> {
        let recorded: Vec<String> = self.recorded().into_iter().map(|r| r.id).collect();
        let mut unique = recorded.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            recorded.len(),
            "{label}: a pool is recorded twice: {recorded:?}"
        );
        let mut held: Vec<String> = self.held(kind).into_iter().map(|(id, _)| id).collect();
        held.sort();
        assert_eq!(
            held, unique,
            "{label}: the pools the sandbox holds (left) and the state records (right)"
        );
        unique
    }

    /// The requests of `kind`'s API that changed something, in order.
    fn mutations(&self, kind: Kind) -> Vec<LoggedRequest> {
        self.sandbox
            .requests()
            .all()
            .into_iter()
            .filter(|r| kind.mutates(r))
            .collect()
    }
}

/// The summary of each diagnostic of `severity` ("Error" or "Warning") in Terraform's
/// output, in order.
fn summaries(run: &Run, severity: &str) -> Vec<String> {
    let marker = format!("{severity}: ");
    run.output()
        .lines()
        .filter_map(|line| {
            let at = line.find(&marker)?;
            // Only diagnostics: Terraform draws them in a box (`│ Error: ...`).
            line[..at]
                .chars()
                .all(|c| c == '│' || c.is_whitespace())
                .then(|| line[at + marker.len()..].trim().to_string())
        })
        .collect()
}

/// Terraform wraps diagnostics at 78 columns: compare with runs of whitespace (and the
/// box's edge) as one space.
fn says(run: &Run, phrase: &str) -> bool {
    let flat = |s: &str| {
        s.split(|c: char| c.is_whitespace() || c == '│')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    flat(&run.output()).contains(&flat(phrase))
}
