//! Logging the way Terraform collects it: one hclog-style JSON object per stderr line
//! (`@level`, `@message`, `@timestamp`, `@module`, then fields). go-plugin re-logs such lines
//! at their level. The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`; unset means silent,
//! so a normal run spends nothing on logging.
//!
//! Callers pass only values that are safe to print: secrets never reach this module.

use std::io::Write;
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

    #[test]
    fn levels_parse_like_terraform() {
        assert_eq!(Level::parse("json"), Some(Level::Trace));
        assert_eq!(Level::parse("DEBUG"), Some(Level::Debug));
        assert_eq!(Level::parse("off"), None);
        assert!(Level::Error > Level::Info);
    }
}
