//! Logging the way Terraform collects it: one hclog-style JSON object per stderr line
//! (`@level`, `@message`, `@timestamp`, `@module`, then fields). go-plugin re-logs such lines
//! at their level. The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`; unset means silent,
//! so a normal run spends nothing on logging.
//!
//! Every line also names what it was written for, with the field names of terraform-plugin-go
//! (so one filter reads Go and Rust providers alike): `tf_provider_addr` always, and while an
//! RPC is served, `tf_rpc`, `tf_req_id` and the type name it serves (`tf_resource_type`,
//! `tf_data_source_type`, `tf_list_resource_type` with `tf_resource_type`, or
//! `tf_action_type`). The RPC layer runs each handler inside `serving`, so callers never
//! pass any of it.
//!
//! Callers pass only values that are safe to print: secrets never reach this module.

use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::calendar::civil_from_days;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    /// Terraform's level names; `JSON` means trace, `OFF` or anything unknown means silent.
    pub fn parse(name: &str) -> Option<Level> {
        match name.trim().to_ascii_uppercase().as_str() {
            "TRACE" | "JSON" => Some(Level::Trace),
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARN" => Some(Level::Warn),
            "ERROR" => Some(Level::Error),
            _ => None,
        }
    }
}

fn threshold() -> Option<Level> {
    static LEVEL: OnceLock<Option<Level>> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        ["TF_LOG_PROVIDER", "TF_LOG"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
            .and_then(|v| Level::parse(&v))
    })
}

/// Whether a message at `level` would be written (to skip building costly fields).
pub fn enabled(level: Level) -> bool {
    threshold().is_some_and(|t| level >= t)
}

/// What Terraform knows the provider as (`tf_provider_addr`), set once when serving starts.
static PROVIDER_ADDRESS: OnceLock<String> = OnceLock::new();

pub(in crate::plugin) fn set_provider_address(address: &str) {
    // Set once per process: a second server in the same process keeps the first address.
    let _ = PROVIDER_ADDRESS.set(address.to_string());
}

/// What an RPC serves: the provider itself, or a type of one kind (which names its field).
#[derive(Clone, Copy, Debug)]
pub(in crate::plugin) enum Serves {
    Provider,
    Resource(&'static str),
    DataSource(&'static str),
    ListResource(&'static str),
    Action(&'static str),
}

impl Serves {
    /// The fields that name the type served, as terraform-plugin-go names them, and the type.
    fn type_fields(self) -> (&'static [&'static str], &'static str) {
        match self {
            Serves::Provider => (&[], ""),
            Serves::Resource(name) => (&["tf_resource_type"], name),
            Serves::DataSource(name) => (&["tf_data_source_type"], name),
            // A list resource lists the resource type of the same name: terraform-plugin-go
            // names it by one field or the other depending on the RPC, so both are given.
            Serves::ListResource(name) => (&["tf_resource_type", "tf_list_resource_type"], name),
            Serves::Action(name) => (&["tf_action_type"], name),
        }
    }
}

/// The RPC being served, as every line written for it names it.
#[derive(Clone, Copy, Debug)]
struct Rpc {
    name: &'static str,
    serves: Serves,
    /// The RPC's number in this process: see [`Rpc::request_id`].
    number: u64,
}

impl Rpc {
    /// `tf_req_id`: `<pid>-<n>`, the n-th RPC served by this process while logging. Unique
    /// among the provider processes of a Terraform run (their pids differ, and Terraform
    /// logs each pid as it starts the plugin), ordered within one, and free to make: no
    /// randomness, no clock.
    fn request_id(&self) -> String {
        format!("{}-{}", std::process::id(), self.number)
    }
}

tokio::task_local! {
    static RPC: Rpc;
}

/// Runs `handler`, the handler of RPC `name`: every line it writes, in its task or in tasks
/// it spawns through [`in_this_rpc`], names the RPC, what it serves, and a request id of
/// its own. While logging is off, it only runs `handler`.
pub(in crate::plugin) async fn serving<F: Future>(
    name: &'static str,
    serves: Serves,
    handler: F,
) -> F::Output {
    if threshold().is_none() {
        return handler.await;
    }
    scoped(name, serves, handler).await
}

/// `handler` as the next RPC of this process.
fn scoped<F: Future>(
    name: &'static str,
    serves: Serves,
    handler: F,
) -> impl Future<Output = F::Output> {
    static RPCS: AtomicU64 = AtomicU64::new(0);
    let number = RPCS.fetch_add(1, Ordering::Relaxed) + 1;
    RPC.scope(
        Rpc {
            name,
            serves,
            number,
        },
        handler,
    )
}

/// `work`, to spawn as a task of its own, logging as part of the RPC served here (if any).
pub(in crate::plugin) fn in_this_rpc<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let rpc = RPC.try_with(|rpc| *rpc).ok();
    async move {
        match rpc {
            Some(rpc) => RPC.scope(rpc, work).await,
            None => work.await,
        }
    }
}

/// Writes one log line if `level` is enabled. Fields are (name, value) pairs.
pub fn log(level: Level, message: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    if !enabled(level) {
        return;
    }
    let line = format_line(level, message, fields, SystemTime::now());
    // Logging must never fail the provider: a closed stderr is ignored.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

pub fn trace(message: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Trace, message, fields)
}
pub fn debug(message: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Debug, message, fields)
}
pub fn info(message: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Info, message, fields)
}
pub fn warn(message: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Warn, message, fields)
}
pub fn error(message: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Error, message, fields)
}

fn format_line(
    level: Level,
    message: &str,
    fields: &[(&str, &dyn std::fmt::Display)],
    now: SystemTime,
) -> String {
    let mut object = serde_json::Map::new();
    object.insert("@level".into(), level.as_str().into());
    object.insert("@message".into(), message.into());
    object.insert("@timestamp".into(), timestamp(now).into());
    object.insert("@module".into(), "pools".into());
    if let Some(address) = PROVIDER_ADDRESS.get() {
        object.insert("tf_provider_addr".into(), address.as_str().into());
    }
    if let Ok(rpc) = RPC.try_with(|rpc| *rpc) {
        object.insert("tf_rpc".into(), rpc.name.into());
        object.insert("tf_req_id".into(), rpc.request_id().into());
        let (names, type_name) = rpc.serves.type_fields();
        for name in names {
            object.insert((*name).into(), type_name.into());
        }
    }
    for (name, value) in fields {
        object.insert((*name).to_string(), value.to_string().into());
    }
    let mut line = serde_json::Value::Object(object).to_string();
    line.push('\n');
    line
}

/// `2006-01-02T15:04:05.000000Z`: the layout go-plugin parses (microseconds, UTC).
fn timestamp(now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn line_is_hclog_json() {
        let at = UNIX_EPOCH + Duration::from_micros(1_764_043_200_123_456);
        let line = format_line(Level::Warn, "scaled", &[("pool", &"p-1"), ("size", &3)], at);
        assert!(line.ends_with('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "warn");
        assert_eq!(v["@message"], "scaled");
        assert_eq!(v["@module"], "pools");
        assert_eq!(v["@timestamp"], "2025-11-25T04:00:00.123456Z");
        assert_eq!(v["pool"], "p-1");
        assert_eq!(v["size"], "3");
    }

    /// A line as it is written where this is called (in an RPC or not), as JSON.
    fn line() -> serde_json::Value {
        let at = UNIX_EPOCH + Duration::from_secs(1_764_043_200);
        let line = format_line(Level::Debug, "HTTP attempt", &[("attempt", &1)], at);
        serde_json::from_str(&line).unwrap()
    }

    fn named(v: &serde_json::Value, field: &str) -> String {
        v[field].as_str().unwrap_or("(absent)").to_string()
    }

    #[tokio::test]
    async fn a_line_names_the_rpc_it_is_written_for() {
        set_provider_address("terraform.local/pools/pools");
        let outside = line();
        assert_eq!(
            named(&outside, "tf_provider_addr"),
            "terraform.local/pools/pools"
        );
        assert_eq!(named(&outside, "tf_rpc"), "(absent)");

        let read = Serves::Resource("pools_instance_pool");
        let (first, second) = (
            scoped("ReadResource", read, async { line() }).await,
            scoped("ReadResource", read, async { line() }).await,
        );
        for v in [&first, &second] {
            assert_eq!(named(v, "tf_rpc"), "ReadResource");
            assert_eq!(named(v, "tf_resource_type"), "pools_instance_pool");
            assert_eq!(named(v, "tf_provider_addr"), "terraform.local/pools/pools");
            assert_eq!(named(v, "attempt"), "1");
            assert_eq!(named(v, "tf_data_source_type"), "(absent)");
        }
        let pid = format!("{}-", std::process::id());
        let (a, b) = (named(&first, "tf_req_id"), named(&second, "tf_req_id"));
        assert!(a.starts_with(&pid) && b.starts_with(&pid), "{a} {b}");
        assert_ne!(a, b, "each RPC has an id of its own");
    }

    #[tokio::test]
    async fn each_kind_is_named_by_its_field() {
        let kinds = [
            (
                Serves::DataSource("pools_warm_pools"),
                "tf_data_source_type",
            ),
            (
                Serves::Action("pools_instance_pool_evict"),
                "tf_action_type",
            ),
            (
                Serves::ListResource("pools_warm_pool"),
                "tf_list_resource_type",
            ),
            (Serves::ListResource("pools_warm_pool"), "tf_resource_type"),
        ];
        for (serves, field) in kinds {
            let v = scoped("Some", serves, async { line() }).await;
            assert_eq!(named(&v, field), serves.type_fields().1, "{serves:?}");
        }
        let configure = scoped("ConfigureProvider", Serves::Provider, async { line() }).await;
        assert_eq!(named(&configure, "tf_rpc"), "ConfigureProvider");
        assert!(!named(&configure, "tf_req_id").is_empty());
        assert_eq!(named(&configure, "tf_resource_type"), "(absent)");
    }

    /// Two RPCs whose handlers take turns on one thread (as the provider's runtime runs
    /// them) each name their own id on every line, and work they spawn names theirs too.
    #[tokio::test]
    async fn concurrent_rpcs_keep_their_own_ids() {
        let handler = || async {
            let mut lines = vec![line()];
            tokio::task::yield_now().await;
            lines.push(line());
            let spawned = tokio::spawn(in_this_rpc(async { line() }));
            lines.push(spawned.await.unwrap());
            lines
        };
        let served = |n| {
            Serves::Resource(if n == 1 {
                "pools_instance_pool"
            } else {
                "pools_warm_pool"
            })
        };
        let (one, two) = tokio::join!(
            scoped("ApplyResourceChange", served(1), handler()),
            scoped("ApplyResourceChange", served(2), handler()),
        );
        for (lines, type_name) in [(&one, "pools_instance_pool"), (&two, "pools_warm_pool")] {
            let ids: std::collections::BTreeSet<String> =
                lines.iter().map(|v| named(v, "tf_req_id")).collect();
            assert_eq!(ids.len(), 1, "{lines:?}");
            assert!(lines
                .iter()
                .all(|v| named(v, "tf_resource_type") == type_name));
        }
        assert_ne!(named(&one[0], "tf_req_id"), named(&two[0], "tf_req_id"));
        // Outside any RPC, spawned work names none.
        let alone = tokio::spawn(in_this_rpc(async { line() })).await.unwrap();
        assert_eq!(named(&alone, "tf_rpc"), "(absent)");
    }

    #[test]
    fn levels_parse_like_terraform() {
        assert_eq!(Level::parse("json"), Some(Level::Trace));
        assert_eq!(Level::parse("DEBUG"), Some(Level::Debug));
        assert_eq!(Level::parse("off"), None);
        assert!(Level::Error > Level::Info);
    }
}
