//! `pools-sandbox`: runs the emulator until interrupted.
//!
//!     pools-sandbox [--listen 127.0.0.1:0] [--operation-ms N] [--warm-pool-ms N]
//!                   [--exoscale-key K --exoscale-secret S] [--ona-token T]
//!                   [--state FILE] [--tls --ca-file PATH]
//!                   [--fault ROUTE=KIND[:ARG][*TIMES]]... | --fixtures
//!
//! The first stdout line is the address it listens on (`http://127.0.0.1:PORT`). With
//! `--tls` it serves HTTPS with a certificate from a CA made at start-up, whose PEM it
//! writes to the `--ca-file` path before that line (then `https://127.0.0.1:PORT`).
//!
//! `--fault` kinds (ROUTE is a route name from the README, or `*`; `*TIMES` bounds the
//! firings): `status:CODE`, `throttle:SECONDS`, `latency:MS`, `reset` (no answer, nothing
//! done), `lost` (the change is made, then no answer), `garbage:FORM` with FORM one of
//! `html`, `truncated`, `empty`, `connect-error`, `wrong-types`, `no-reference`,
//! `unknown-enum`, and the behavioural `operation-failure`, `operation-timeout`,
//! `stuck:STATE`, `degraded[:MESSAGE]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use pools_sandbox::{Config, FaultRule, Sandbox};

const USAGE: &str =
    "usage: pools-sandbox [--listen 127.0.0.1:PORT] [--operation-ms N] [--warm-pool-ms N] \
[--exoscale-key KEY] [--exoscale-secret SECRET] [--ona-token TOKEN] [--state FILE] \
[--tls --ca-file PATH] [--fault ROUTE=KIND[:ARG][*TIMES]]... | --fixtures
fault kinds: status:CODE, throttle:SECONDS, latency:MS, reset, lost, garbage:FORM \
(html, truncated, empty, connect-error, wrong-types, no-reference, unknown-enum), \
operation-failure, operation-timeout, stuck:STATE, degraded[:MESSAGE]";

/// What to run, from the command line.
struct Args {
    config: Config,
    listen: std::net::SocketAddr,
    /// Where `--tls` writes its CA certificate.
    ca_file: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut config = Config::default();
    let mut listen = "127.0.0.1:0".to_string();
    let mut ca_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--fixtures" {
            return Ok(None);
        }
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        if flag == "--tls" {
            config.tls = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let millis = |v: &str| {
            v.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("{flag}: `{v}` is not a number of milliseconds"))
        };
        match flag.as_str() {
            "--listen" => listen = value,
            "--operation-ms" => config.operation_duration = millis(&value)?,
            "--warm-pool-ms" => config.warm_pool_settle = millis(&value)?,
            "--exoscale-key" => config.exoscale_key = value,
            "--exoscale-secret" => config.exoscale_secret = value,
            "--ona-token" => config.ona_token = value,
            "--state" => config.state_file = Some(value.into()),
            "--ca-file" => ca_file = Some(PathBuf::from(value)),
            "--fault" => config.faults.push(FaultRule::parse(&value)?),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    let listen = listen
        .parse()
        .map_err(|_| format!("--listen: `{listen}` is not an address like 127.0.0.1:8080"))?;
    // The CA is made afresh each start: without a file to write it to, no client could
    // trust the server, and a CA file without TLS would be a mistake.
    match (config.tls, &ca_file) {
        (true, None) => return Err(format!("--tls needs --ca-file PATH\n{USAGE}")),
        (false, Some(_)) => return Err(format!("--ca-file is only for --tls\n{USAGE}")),
        _ => {}
    }
    Ok(Some(Args {
        config,
        listen,
        ca_file,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{:#}", pools_sandbox::fixtures());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("pools-sandbox: {message}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(args.config, args.listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pools-sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&args.ca_file, sandbox.ca_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!(
                "pools-sandbox: cannot write the CA certificate to {}: {e}",
                path.display()
            );
            sandbox.stop().await;
            return ExitCode::FAILURE;
        }
    }
    println!("{}", sandbox.url());
    eprintln!(
        "pools-sandbox: Exoscale at {} , Ona at {} ; Ctrl-C to stop",
        sandbox.exoscale_endpoint(),
        sandbox.ona_endpoint()
    );
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop().await;
    ExitCode::SUCCESS
}
