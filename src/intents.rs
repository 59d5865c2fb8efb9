//! Creates in flight, written down: before a create call the provider records, in the
//! working directory, which object it is about to make and when; once the create's outcome
//! is known (whether recorded in state or failed) the note goes. A provider process killed
//! in between (SIGKILL, an out-of-memory kill, a CI runner torn down) leaves its note, and
//! the next create of the same object in the same working directory reads it: it then
//! looks for the object an earlier process made since that moment and adopts it instead of
//! making a second one. The notes live in `.terraform/pools-intents/`, beside Terraform's
//! own files; writing them is best effort, so a read-only directory only loses this net.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::plugin::log;

/// A create in flight; dropping it (the outcome is known) removes its note.
pub struct Intent {
    path: Option<PathBuf>,
}

impl Intent {
    /// Notes that a create of `key` (what identifies the object: backend, zone, name...)
    /// starts now. Also returns when an earlier create of the same key started, in Unix
    /// milliseconds, if its process never finished it.
    pub fn begin(key: &str) -> (Intent, Option<i64>) {
        let Some(path) = note_path(key) else {
            return (Intent { path: None }, None);
        };
        let earlier = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse::<i64>().ok());
        let written = path
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&path, format!("{}\n{key}\n", unix_now_ms())));
        if let Err(e) = written {
            log::debug("cannot note a create in flight", &[("error", &e)]);
            return (Intent { path: None }, earlier);
        }
        (Intent { path: Some(path) }, earlier)
    }
}

impl Drop for Intent {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn note_path(key: &str) -> Option<PathBuf> {
    let dir = std::env::current_dir().ok()?;
    // FNV-1a: a stable file name for the key, not a secret.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Some(
        dir.join(".terraform/pools-intents")
            .join(format!("{hash:016x}")),
    )
}

pub fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_outlives_only_a_process_that_never_finished() {
        let key = format!("test {} {}", std::process::id(), unix_now_ms());
        let (first, earlier) = Intent::begin(&key);
        assert_eq!(earlier, None);
        let path = first
            .path
            .clone()
            .expect("the working directory is writable in tests");
        assert!(path.is_file());
        // A process killed here never drops `first`: the note stays for the next one.
        std::mem::forget(first);
        let (second, earlier) = Intent::begin(&key);
        assert!(earlier.is_some_and(|t| t <= unix_now_ms()));
        drop(second);
        assert!(!path.exists(), "a finished create leaves no note");
        let (_, earlier) = Intent::begin(&key);
        assert_eq!(earlier, None);
    }
}
