//! `pools-sandbox`: runs the emulator until interrupted. `pools-sandbox --help` describes
//! every flag and fault kind; [`FLAGS`] is where they are declared.
//!
//! The first stdout line is the address it listens on (`http://127.0.0.1:PORT`). With
//! `--tls` it serves HTTPS with a certificate from a CA made at start-up, whose PEM it
//! writes to the `--ca-file` path before that line (then `https://127.0.0.1:PORT`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use pools_sandbox::faults::KINDS;
use pools_sandbox::{Config, FaultRule, Sandbox};

/// What the command line asks for.
enum Action {
    Serve,
    Fixtures,
    Help,
    Version,
}

/// The parsed command line.
struct Args {
    action: Action,
    config: Config,
    listen: String,
    /// Where `--tls` writes its CA certificate.
    ca_file: Option<PathBuf>,
}

/// One command-line flag: parsing and `--help` both come from this table.
struct Flag {
    name: &'static str,
    short: Option<&'static str>,
    /// The value's placeholder in the help; `None` for a switch.
    value: Option<&'static str>,
    about: &'static str,
    /// The default, as the help shows it, from the defaults the parser starts with.
    default: Option<fn(&Args) -> String>,
    example: Option<&'static str>,
    set: fn(&mut Args, &str) -> Result<(), String>,
}

const FLAGS: &[Flag] = &[
    Flag {
        name: "--listen",
        short: None,
        value: Some("ADDR"),
        about: "The loopback address and port to listen on; port 0 picks a free one.",
        default: Some(|args| args.listen.clone()),
        example: Some("--listen 127.0.0.1:8080"),
        set: |args, value| {
            args.listen = value.to_string();
            Ok(())
        },
    },
    Flag {
        name: "--operation-ms",
        short: None,
        value: Some("N"),
        about: "How long an Exoscale operation stays pending, in milliseconds; meanwhile the \
                pool shows `creating`, `scaling-up`, `updating` or `destroying`.",
        default: Some(|args| millis(args.config.operation_duration)),
        example: Some("--operation-ms 2000"),
        set: |args, value| {
            args.config.operation_duration = parse_millis("--operation-ms", value)?;
            Ok(())
        },
    },
    Flag {
        name: "--warm-pool-ms",
        short: None,
        value: Some("N"),
        about: "How long an Ona warm pool stays PENDING before READY (and DELETING before \
                it is gone), in milliseconds.",
        default: Some(|args| millis(args.config.warm_pool_settle)),
        example: Some("--warm-pool-ms 2000"),
        set: |args, value| {
            args.config.warm_pool_settle = parse_millis("--warm-pool-ms", value)?;
            Ok(())
        },
    },
    Flag {
        name: "--latency-ms",
        short: None,
        value: Some("N"),
        about: "Serve every API request N milliseconds late, as a remote API's round trip \
                would (the admin endpoints answer at once).",
        default: Some(|args| millis(args.config.latency)),
        example: Some("--latency-ms 50"),
        set: |args, value| {
            args.config.latency = parse_millis("--latency-ms", value)?;
            Ok(())
        },
    },
    Flag {
        name: "--exoscale-key",
        short: None,
        value: Some("KEY"),
        about: "The Exoscale API key the sandbox accepts (EXOSCALE_API_KEY).",
        default: Some(|args| args.config.exoscale_key.clone()),
        example: None,
        set: |args, value| {
            args.config.exoscale_key = value.to_string();
            Ok(())
        },
    },
    Flag {
        name: "--exoscale-secret",
        short: None,
        value: Some("SECRET"),
        about: "The secret of that key (EXOSCALE_API_SECRET).",
        default: Some(|args| args.config.exoscale_secret.clone()),
        example: None,
        set: |args, value| {
            args.config.exoscale_secret = value.to_string();
            Ok(())
        },
    },
    Flag {
        name: "--ona-token",
        short: None,
        value: Some("TOKEN"),
        about: "The Ona bearer token the sandbox accepts (ONA_API_KEY).",
        default: Some(|args| args.config.ona_token.clone()),
        example: None,
        set: |args, value| {
            args.config.ona_token = value.to_string();
            Ok(())
        },
    },
    Flag {
        name: "--state",
        short: None,
        value: Some("FILE"),
        about: "Load the pools from FILE at start (when it exists) and save them there after \
                every change, so they outlive a restart. Without it, pools live in memory and \
                every start begins with the fixtures alone.",
        default: None,
        example: Some("--state sandbox.json"),
        set: |args, value| {
            args.config.state_file = Some(value.into());
            Ok(())
        },
    },
    Flag {
        name: "--tls",
        short: None,
        value: None,
        about: "Serve HTTPS with a certificate (for 127.0.0.1, ::1 and localhost) from a CA \
                made at start-up; needs --ca-file.",
        default: None,
        example: Some("--tls --ca-file ca.pem"),
        set: |args, _| {
            args.config.tls = true;
            Ok(())
        },
    },
    Flag {
        name: "--ca-file",
        short: None,
        value: Some("PATH"),
        about: "With --tls: where to write the CA's certificate (PEM) before the address \
                line, for the provider's `ca_file` setting.",
        default: None,
        example: None,
        set: |args, value| {
            args.ca_file = Some(PathBuf::from(value));
            Ok(())
        },
    },
    Flag {
        name: "--fault",
        short: None,
        value: Some("ROUTE=KIND[:ARG][*N]"),
        about: "Inject a fault (repeatable): requests to ROUTE (a route name below, or `*` for \
                all) get KIND. Without `*N` the rule fires on every such request until the \
                sandbox stops; with `*N`, on the next N.",
        default: None,
        example: Some("--fault 'scale-instance-pool=status:503*2'"),
        set: |args, value| {
            args.config.faults.push(FaultRule::parse(value)?);
            Ok(())
        },
    },
    Flag {
        name: "--fixtures",
        short: None,
        value: None,
        about: "Print the fixed ids (instance types, templates, security groups, the Ona \
                project and its environment classes, ...) as JSON, and exit.",
        default: None,
        example: None,
        set: |args, _| {
            args.action = Action::Fixtures;
            Ok(())
        },
    },
    Flag {
        name: "--help",
        short: Some("-h"),
        value: None,
        about: "Print this help, and exit.",
        default: None,
        example: None,
        set: |args, _| {
            args.action = Action::Help;
            Ok(())
        },
    },
    Flag {
        name: "--version",
        short: Some("-V"),
        value: None,
        about: "Print the version, and exit.",
        default: None,
        example: None,
        set: |args, _| {
            args.action = Action::Version;
            Ok(())
        },
    },
];

const INTRO: &str = "\
pools-sandbox: a local emulator of the Exoscale Instance Pool API v2 and of Ona's prebuild
warm pools, for running Terraform configurations of the `pools` provider offline.

Usage: pools-sandbox [FLAGS]

It listens on loopback only, prints its address (http://127.0.0.1:PORT) as the first line
of stdout, then serves until interrupted (Ctrl-C). Pools live in memory unless --state is
given. Point the provider at it through the environment, with the default credentials:

  export EXOSCALE_API_ENDPOINT='http://127.0.0.1:PORT/{zone}/v2'  # ch-gva-2, de-fra-1
  export EXOSCALE_API_KEY=EXOsandboxkey EXOSCALE_API_SECRET=sandboxsecret
  export ONA_BASE_URL=http://127.0.0.1:PORT/api ONA_API_KEY=sandboxtoken
";

const OUTRO: &str = "\
Routes (the names --fault and the request log use):
  Exoscale: list-zones, list-instance-pools, create-instance-pool, get-instance-pool,
    update-instance-pool, delete-instance-pool, scale-instance-pool,
    evict-instance-pool-members, reset-instance-pool-field, get-operation, list-instances,
    and list-/get- of instance-type(s), template(s), security-group(s),
    private-network(s), anti-affinity-group(s), elastic-ip(s), ssh-key(s),
    deploy-target(s)
  Ona: CreateWarmPool, GetWarmPool, UpdateWarmPool, DeleteWarmPool, ListWarmPools

Admin endpoints (no credentials):
  GET /_sandbox/requests              every API request served, in order; DELETE clears it
  GET, POST, DELETE /_sandbox/faults  the fault rules, as JSON; POST adds one
  GET /_sandbox/fixtures              what --fixtures prints

Examples:
  pools-sandbox --listen 127.0.0.1:8080 --operation-ms 2000
  pools-sandbox --latency-ms 50 --fault 'GetWarmPool=status:503*1'
  pools-sandbox --state sandbox.json > sandbox.url &
";

fn help() -> String {
    let defaults = Args::new();
    let mut out = format!("{INTRO}\nFlags:\n");
    for flag in FLAGS {
        let short = flag.short.map(|s| format!("{s}, ")).unwrap_or_default();
        let value = flag.value.map(|v| format!(" {v}")).unwrap_or_default();
        out.push_str(&format!("  {short}{}{value}\n", flag.name));
        let mut text = flag.about.to_string();
        if let Some(default) = flag.default {
            text.push_str(&format!(" Default: {}.", default(&defaults)));
        }
        if let Some(example) = flag.example {
            text.push_str(&format!(" Example: {example}"));
        }
        out.push_str(&wrap(&text, 6));
    }
    out.push_str("\nFault kinds (--fault ROUTE=KIND):\n");
    for kind in KINDS {
        out.push_str(&format!("  {}\n", kind.syntax));
        out.push_str(&wrap(&format!("{}.", kind.about), 6));
    }
    out.push('\n');
    out.push_str(OUTRO);
    out.trim_end().to_string()
}

/// `text` as lines of at most 90 columns (longer words stay whole), each indented.
fn wrap(text: &str, indent: usize) -> String {
    const WIDTH: usize = 90;
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > WIDTH {
            out.push_str(&format!("{:indent$}{line}\n", ""));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{:indent$}{line}\n", ""));
    }
    out
}

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

fn parse_millis(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("{flag}: `{value}` is not a number of milliseconds"))
}

impl Args {
    fn new() -> Args {
        Args {
            action: Action::Serve,
            config: Config::default(),
            listen: "127.0.0.1:0".to_string(),
            ca_file: None,
        }
    }

    fn parse(mut words: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut args = Args::new();
        let usage = "(pools-sandbox --help lists them all)";
        while let Some(word) = words.next() {
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
                _ => (word.as_str(), None),
            };
            let flag = FLAGS
                .iter()
                .find(|f| f.name == name || f.short == Some(name))
                .ok_or_else(|| format!("unknown flag `{name}` {usage}"))?;
            let value = match (flag.value, inline) {
                (None, None) => String::new(),
                (None, Some(_)) => return Err(format!("{} takes no value", flag.name)),
                (Some(_), Some(value)) => value,
                (Some(placeholder), None) => words.next().ok_or_else(|| {
                    format!("{} needs a value: {} {placeholder}", flag.name, flag.name)
                })?,
            };
            (flag.set)(&mut args, &value)?;
            if matches!(args.action, Action::Help | Action::Version) {
                return Ok(args);
            }
        }
        // The CA is made afresh each start: without a file to write it to, no client could
        // trust the server, and a CA file without TLS would be a mistake.
        match (args.config.tls, &args.ca_file) {
            (true, None) => return Err("--tls needs --ca-file PATH".to_string()),
            (false, Some(_)) => return Err("--ca-file is only for --tls".to_string()),
            _ => {}
        }
        Ok(args)
    }
}

/// Writes `text` and a newline to stdout; a reader that went away (`| head -1`) shows as
/// `BrokenPipe`, on which callers stop quietly.
fn print(text: &str) -> Result<(), std::io::Error> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// Prints to stdout, then exits: quietly (0) when the reader has gone.
fn print_and_exit(text: &str) -> ExitCode {
    match print(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write to stdout: {e}"), ExitCode::FAILURE),
    }
}

/// Reports `message` on stderr (if it is still there) and returns `code`.
fn fail(message: &str, code: ExitCode) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "pools-sandbox: {message}");
    code
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => return fail(&message, ExitCode::from(2)),
    };
    match args.action {
        Action::Help => return print_and_exit(&help()),
        Action::Version => {
            return print_and_exit(&format!("pools-sandbox {}", env!("CARGO_PKG_VERSION")))
        }
        Action::Fixtures => return print_and_exit(&format!("{:#}", pools_sandbox::fixtures())),
        Action::Serve => {}
    }
    let Ok(listen) = args.listen.parse() else {
        let message = format!(
            "--listen: `{}` is not an address like 127.0.0.1:8080",
            args.listen
        );
        return fail(&message, ExitCode::from(2));
    };
    let sandbox = match Sandbox::start(args.config, listen).await {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string(), ExitCode::FAILURE),
    };
    if let (Some(path), Some(pem)) = (&args.ca_file, sandbox.ca_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            sandbox.stop().await;
            let message = format!("cannot write the CA certificate to {}: {e}", path.display());
            return fail(&message, ExitCode::FAILURE);
        }
    }
    // Nobody can learn the address from a closed stdout: stop quietly.
    if let Err(e) = print(&sandbox.url()) {
        sandbox.stop().await;
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
        return fail(&format!("cannot write to stdout: {e}"), ExitCode::FAILURE);
    }
    let _ = writeln!(
        std::io::stderr(),
        "pools-sandbox: Exoscale at {} , Ona at {} ; Ctrl-C to stop",
        sandbox.exoscale_endpoint(),
        sandbox.ona_endpoint()
    );
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Args, String> {
        Args::parse(words.iter().map(|w| w.to_string()))
    }

    #[test]
    fn flags_take_values_separately_or_after_an_equals_sign() {
        let args = parse(&[
            "--operation-ms",
            "20",
            "--latency-ms=50",
            "--state",
            "s.json",
        ])
        .unwrap();
        assert_eq!(args.config.operation_duration, Duration::from_millis(20));
        assert_eq!(args.config.latency, Duration::from_millis(50));
        assert_eq!(args.config.state_file, Some(PathBuf::from("s.json")));
        assert!(matches!(args.action, Action::Serve));
        let err = parse(&["--latency-ms", "soon"]).err().unwrap();
        assert!(err.contains("--latency-ms: `soon`"), "{err}");
        let err = parse(&["--latency-ms"]).err().unwrap();
        assert_eq!(err, "--latency-ms needs a value: --latency-ms N");
        let err = parse(&["--tls=yes"]).err().unwrap();
        assert_eq!(err, "--tls takes no value");
        let err = parse(&["--bogus"]).err().unwrap();
        assert!(err.contains("unknown flag `--bogus`"), "{err}");
        assert!(parse(&["--tls"]).is_err());
        assert!(parse(&["--ca-file", "ca.pem"]).is_err());
    }

    #[test]
    fn help_and_version_win_over_everything_else() {
        assert!(matches!(
            parse(&["--tls", "-h"]).unwrap().action,
            Action::Help
        ));
        assert!(matches!(parse(&["-V"]).unwrap().action, Action::Version));
        assert!(matches!(
            parse(&["--fixtures"]).unwrap().action,
            Action::Fixtures
        ));
    }

    #[test]
    fn help_describes_every_flag_with_its_default() {
        let text = help();
        for flag in FLAGS {
            assert!(
                text.contains(&format!(
                    "\n  {}",
                    flag.short
                        .map_or(flag.name.to_string(), |s| format!("{s}, {}", flag.name))
                )),
                "{}",
                flag.name
            );
            assert!(!flag.about.is_empty(), "{}", flag.name);
        }
        let defaults = Config::default();
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let ms = defaults.operation_duration.as_millis();
        assert!(words.contains(&format!("Default: {ms}. Example: --operation-ms")));
        assert!(words.contains("Default: 127.0.0.1:0."), "{text}");
        assert!(words.contains(&format!("Default: {}.", defaults.exoscale_key)));
        for kind in KINDS {
            assert!(
                text.contains(&format!("\n  {}\n", kind.syntax)),
                "{}",
                kind.syntax
            );
        }
        assert!(text.lines().all(|l| l.chars().count() <= 90), "{text}");
    }

    #[test]
    fn wrap_breaks_between_words() {
        let long = "word ".repeat(30);
        let wrapped = wrap(&long, 4);
        assert!(wrapped.lines().count() > 1);
        assert!(wrapped
            .lines()
            .all(|l| l.starts_with("    word") && l.len() <= 90));
        assert_eq!(wrapped.split_whitespace().count(), 30);
    }
}
