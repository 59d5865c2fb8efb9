//! Creates in flight, written down: before a create call the provider records, in the
//! working directory, which object it is about to make and when; once the create's outcome
//! is known (whether recorded in state or failed) the note goes. A provider process killed
//! in between (SIGKILL, an out-of-memory kill, a CI runner torn down) leaves its note, and
//! the next create of the same object in the same working directory claims it: it then
//! looks for the object the dead process made since that moment and adopts it instead of
//! making a second one.
//!
//! Notes live in `.terraform/pools-intents/`, beside Terraform's own files, one per create:
//! `<hash of the key>-<pid>-<sequence>`. Only notes of processes that are gone count, so
//! creates of alike objects running side by side in one process never mistake each other
//! for a dead one; a stale note is claimed by deleting it, so each is used once. Writing
//! them is best effort: a read-only directory only loses this net.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::plugin::log;

/// A create in flight; dropping it (the outcome is known) removes its note.
pub struct Intent {
    path: Option<PathBuf>,
}

impl Intent {
    /// Notes that a create of `key` (what identifies the object: backend, zone, name...)
    /// starts now. Also returns when a create of the same key by a process that died
    /// before finishing it started, in Unix milliseconds (claiming that note).
    pub fn begin(key: &str) -> (Intent, Option<i64>) {
        match notes_dir() {
            Some(dir) => Intent::begin_in(&dir, key),
            None => (Intent { path: None }, None),
        }
    }

    fn begin_in(dir: &Path, key: &str) -> (Intent, Option<i64>) {
        let prefix = format!("{:016x}-", fnv1a(key));
        let earlier = claim_stale(dir, &prefix);
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{prefix}{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, format!("{}\n{key}\n", unix_now_ms())));
        match written {
            Ok(()) => (Intent { path: Some(path) }, earlier),
            Err(e) => {
                log::debug("cannot note a create in flight", &[("error", &e)]);
                (Intent { path: None }, earlier)
            }
        }
    }
}

impl Drop for Intent {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Where notes go: the working directory Terraform started the provider in. Unit tests,
/// which share the repository as their working directory across runs, get a directory of
/// their own process instead.
fn notes_dir() -> Option<PathBuf> {
    if cfg!(test) {
        return Some(
            std::env::temp_dir().join(format!("pools-intents-test-{}", std::process::id())),
        );
    }
    Some(
        std::env::current_dir()
            .ok()?
            .join(".terraform/pools-intents"),
    )
}

/// The start of the oldest note with `prefix` left by a process that is gone; claimed by
/// deleting it, so no other create uses it too.
fn claim_stale(dir: &Path, prefix: &str) -> Option<i64> {
    let mut stale: Vec<(i64, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid: u32 = name.strip_prefix(prefix)?.split('-').next()?.parse().ok()?;
            if alive(pid) {
                return None;
            }
            let text = std::fs::read_to_string(entry.path()).ok()?;
            Some((text.lines().next()?.trim().parse().ok()?, entry.path()))
        })
        .collect();
    stale.sort();
    stale
        .into_iter()
        .find(|(_, path)| std::fs::remove_file(path).is_ok())
        .map(|(started, _)| started)
}

/// Whether `pid` is a live process running this same program.
fn alive(pid: u32) -> bool {
    let theirs = std::fs::read_link(format!("/proc/{pid}/exe"));
    match (theirs, std::env::current_exe()) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        (Ok(_), Err(_)) => true,
        (Err(_), _) => false,
    }
}

/// FNV-1a: a stable file name for a key; not a secret.
fn fnv1a(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pools-intents-{}-{}",
            std::process::id(),
            unix_now_ms()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn only_a_dead_process_note_counts_and_only_once() {
        let dir = scratch();
        let (first, earlier) = Intent::begin_in(&dir, "k");
        assert_eq!(earlier, None);
        // A sibling create in this (live) process is not an earlier, dead one.
        let (second, earlier) = Intent::begin_in(&dir, "k");
        assert_eq!(earlier, None);
        drop((first, second));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "finished creates leave no note"
        );

        // A note left by a process that is gone (pid 0 is never a user process).
        let prefix = format!("{:016x}-", fnv1a("k"));
        std::fs::write(dir.join(format!("{prefix}0-7")), "1234\nk\n").unwrap();
        let (third, earlier) = Intent::begin_in(&dir, "k");
        assert_eq!(earlier, Some(1234));
        let (_fourth, earlier) = Intent::begin_in(&dir, "k");
        assert_eq!(earlier, None, "a stale note is claimed once");
        let (_other, earlier) = Intent::begin_in(&dir, "another key");
        assert_eq!(earlier, None);
        drop(third);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
