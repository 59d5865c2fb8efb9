//! Creates in flight, written down: before a create call the provider notes, in the working
//! directory, which object it is about to make and when; once the create's outcome is known
//! (whether recorded in state or failed) the note is closed. A provider process killed in
//! between (SIGKILL, an out-of-memory kill, a CI runner torn down) leaves its note open, and
//! the next create of the same object in the same working directory claims it: it then
//! looks for the object the dead process made since that moment and adopts it instead of
//! making a second one. A create that ends without knowing whether the object was made
//! (stopped in flight, its answer lost and the object not found) leaves its note open too.
//!
//! Each process that creates something keeps one journal in `.terraform/pools-intents/`,
//! named `<pid>-<start ms>`, and appends a `begin` line before a create and an `end` line
//! after it: one write each, where a file per create cost a create, a write and an unlink
//! (a tenth of the provider's CPU in an apply of 1,000 pools, docs/performance.md). The
//! first create of a process takes over the journals of processes that are gone, renaming
//! each into its own name so no other process takes it too. Their open notes wait there,
//! oldest first, for a create of the same key; a claimed note is closed when that create
//! ends, so a claimer killed in turn leaves it open with its first moment. Journals with
//! nothing open are removed. Writing them is best effort: a read-only directory only loses
//! this net.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::plugin::{log, Diagnostics};

/// A create in flight; dropping it (the outcome is known) closes its note.
pub struct Intent {
    journal: &'static Mutex<Journal>,
    /// (sheet, sequence number) of the note; None when it could not be written.
    note: Option<(usize, u64)>,
}

impl Intent {
    /// Notes that a create of `key` (what identifies the object: backend, zone, name...)
    /// starts now. Also returns when a create of the same key by a process that died
    /// before finishing it started, in Unix milliseconds (claiming that note).
    pub fn begin(key: &str) -> (Intent, Option<i64>) {
        Intent::begin_in(process_journal(), key)
    }

    fn begin_in(journal: &'static Mutex<Journal>, key: &str) -> (Intent, Option<i64>) {
        let (note, earlier) = lock(journal).begin(key);
        (Intent { journal, note }, earlier)
    }

    /// The create ends without knowing whether the object was made (its answer was lost,
    /// or it was stopped in flight): the note stays open, as if this process had been
    /// killed, so the next create of the same key in a later process looks for it first.
    fn keep_open(mut self) {
        self.note = None;
    }

    /// Ends a create that made nothing to record: its note stays open when the object may
    /// have been made all the same.
    pub fn failed(self, unmade: Unmade) -> Diagnostics {
        if unmade.unsettled {
            self.keep_open();
        }
        unmade.diagnostics
    }
}

/// A create that ended without an object to record.
pub struct Unmade {
    pub diagnostics: Diagnostics,
    /// Whether the API may have made the object all the same (the create was stopped or
    /// timed out in flight, its answer was lost and the object not found, or the look for
    /// it failed).
    pub unsettled: bool,
}

impl Unmade {
    pub fn unsettled(diagnostics: Diagnostics) -> Unmade {
        Unmade {
            diagnostics,
            unsettled: true,
        }
    }
}

/// An error before or beside the create call: nothing can have been made.
impl From<Diagnostics> for Unmade {
    fn from(diagnostics: Diagnostics) -> Unmade {
        Unmade {
            diagnostics,
            unsettled: false,
        }
    }
}

impl Drop for Intent {
    fn drop(&mut self) {
        if let Some((sheet, seq)) = self.note.take() {
            lock(self.journal).end(sheet, seq);
        }
    }
}

/// Removes this process's journals that hold no open note, and keeps every note still open
/// (a create cut short by the process ending has no known outcome). Called once serving
/// is over.
pub fn close() {
    if let Some(journal) = JOURNAL.get() {
        lock(journal).close();
    }
}

/// How many notes whose key contains `part` this process's own journal holds open.
#[cfg(test)]
pub fn open_in_this_process(part: &str) -> usize {
    let journal = lock(process_journal());
    let Some(own) = journal.sheets.first() else {
        return 0;
    };
    let text = std::fs::read_to_string(&own.path).unwrap_or_default();
    open_notes(&text)
        .values()
        .filter(|(_, key)| key.contains(part))
        .count()
}

static JOURNAL: OnceLock<Mutex<Journal>> = OnceLock::new();

fn process_journal() -> &'static Mutex<Journal> {
    JOURNAL.get_or_init(|| {
        let name = format!("{}-{}", std::process::id(), unix_now_ms());
        // A journal named with our pid is a dead process's: ours is not written yet.
        let gone = |pid: u32| pid == std::process::id() || !alive(pid);
        Mutex::new(match notes_dir() {
            Some(dir) => Journal::new(dir, name, gone),
            None => Journal::disabled(),
        })
    })
}

/// A poisoned lock only means a panic elsewhere; the journal itself stays consistent.
fn lock(journal: &Mutex<Journal>) -> MutexGuard<'_, Journal> {
    journal.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where journals go: the working directory Terraform started the provider in. Unit tests,
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

/// One journal file: ours (sheet 0) or one taken over from a dead process.
struct Sheet {
    path: PathBuf,
    file: File,
    /// Notes begun and not ended.
    open: usize,
}

/// This process's journals. Opened on the first create, not at start: a plan never writes.
struct Journal {
    dir: PathBuf,
    /// File name of our own journal, `<pid>-<start ms>`; taken-over ones add `.<n>`.
    name: String,
    sheets: Vec<Sheet>,
    /// Open notes of taken-over journals, by key: (started, sheet, seq), oldest last.
    stale: HashMap<String, Vec<(i64, usize, u64)>>,
    next_seq: u64,
    /// No more writes: serving is over (notes still open stay open), or the directory
    /// cannot be written.
    closed: bool,
    /// Whether `start` has run (at the first create).
    started: bool,
    gone: Box<dyn Fn(u32) -> bool + Send>,
}

impl Journal {
    fn new(dir: PathBuf, name: String, gone: impl Fn(u32) -> bool + Send + 'static) -> Journal {
        Journal {
            dir,
            name,
            sheets: Vec::new(),
            stale: HashMap::new(),
            next_seq: 0,
            closed: false,
            started: false,
            gone: Box::new(gone),
        }
    }

    fn disabled() -> Journal {
        let mut journal = Journal::new(PathBuf::new(), String::new(), |_| false);
        journal.closed = true;
        journal
    }

    fn begin(&mut self, key: &str) -> (Option<(usize, u64)>, Option<i64>) {
        if self.closed {
            return (None, None);
        }
        if !self.started {
            self.started = true;
            if let Err(e) = self.start() {
                log::debug("cannot note creates in flight", &[("error", &e)]);
                self.closed = true;
                return (None, None);
            }
        }
        if let Some((started, sheet, seq)) = self.stale.get_mut(key).and_then(Vec::pop) {
            return (Some((sheet, seq)), Some(started));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key_json = serde_json::Value::from(key);
        match self.append(0, &format!("begin {seq} {} {key_json}\n", unix_now_ms())) {
            Ok(()) => {
                self.sheets[0].open += 1;
                (Some((0, seq)), None)
            }
            Err(e) => {
                log::debug("cannot note a create in flight", &[("error", &e)]);
                (None, None)
            }
        }
    }

    fn end(&mut self, sheet: usize, seq: u64) {
        if self.closed {
            return;
        }
        if self.append(sheet, &format!("end {seq}\n")).is_ok() {
            self.sheets[sheet].open = self.sheets[sheet].open.saturating_sub(1);
        }
        // A taken-over journal never gets new notes: gone once its last one is closed.
        if sheet > 0 && self.sheets[sheet].open == 0 {
            let _ = std::fs::remove_file(&self.sheets[sheet].path);
        }
    }

    fn close(&mut self) {
        self.closed = true;
        for sheet in &self.sheets {
            if sheet.open == 0 {
                let _ = std::fs::remove_file(&sheet.path);
            }
        }
    }

    fn append(&mut self, sheet: usize, line: &str) -> std::io::Result<()> {
        // One write of the whole line, appended: a kill never leaves half a note.
        self.sheets[sheet].file.write_all(line.as_bytes())
    }

    /// Creates our journal and takes over those of processes that are gone.
    fn start(&mut self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)?
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let own = self.dir.join(&self.name);
        self.sheets.push(Sheet {
            file: appending(&own)?,
            path: own,
            open: 0,
        });
        for name in names {
            let pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| (self.gone)(pid)) {
                self.take_over(&name);
            }
        }
        for notes in self.stale.values_mut() {
            // Oldest last, for `pop`.
            notes.sort_by_key(|note| std::cmp::Reverse(note.0));
        }
        Ok(())
    }

    /// Moves a dead process's journal under our name (only one process wins the rename)
    /// and lists its open notes; removes it when it has none.
    fn take_over(&mut self, name: &str) {
        let path = self
            .dir
            .join(format!("{}.{}", self.name, self.sheets.len()));
        if std::fs::rename(self.dir.join(name), &path).is_err() {
            return;
        }
        let open = std::fs::read_to_string(&path)
            .map(|text| open_notes(&text))
            .unwrap_or_default();
        let file = if open.is_empty() {
            None
        } else {
            appending(&path).ok()
        };
        let Some(file) = file else {
            let _ = std::fs::remove_file(&path);
            return;
        };
        let sheet = self.sheets.len();
        self.sheets.push(Sheet {
            path,
            file,
            open: open.len(),
        });
        for (seq, (started, key)) in open {
            self.stale
                .entry(key)
                .or_default()
                .push((started, sheet, seq));
        }
    }
}

fn appending(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// The notes of a journal that were begun and not ended: seq -> (started, key). Lines that
/// do not parse (a journal cut by a full disk) are skipped.
fn open_notes(text: &str) -> HashMap<u64, (i64, String)> {
    let mut open = HashMap::new();
    for line in text.lines() {
        let mut words = line.splitn(4, ' ');
        match (words.next(), words.next().and_then(|s| s.parse().ok())) {
            (Some("begin"), Some(seq)) => {
                let started = words.next().and_then(|s| s.parse().ok());
                let key = words.next().and_then(|k| serde_json::from_str(k).ok());
                if let (Some(started), Some(key)) = (started, key) {
                    open.insert(seq, (started, key));
                }
            }
            (Some("end"), Some(seq)) => {
                open.remove(&seq);
            }
            _ => {}
        }
    }
    open
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

pub fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pools-intents-{label}-{}-{}",
            std::process::id(),
            unix_now_ms()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A journal for process `pid` in `dir`, where pids 1 and 2 are alive and others gone.
    fn journal(dir: &Path, pid: u32) -> &'static Mutex<Journal> {
        let gone = |pid: u32| !matches!(pid, 1 | 2);
        let journal = Journal::new(dir.to_path_buf(), format!("{pid}-100"), gone);
        Box::leak(Box::new(Mutex::new(journal)))
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn only_a_dead_process_note_counts_and_only_once() {
        let dir = scratch("once");
        let live = journal(&dir, 1);
        let (first, earlier) = Intent::begin_in(live, "k");
        assert_eq!(earlier, None);
        // A sibling create in this live process is not an earlier, dead one...
        let (second, earlier) = Intent::begin_in(live, "k");
        assert_eq!(earlier, None);
        // ...nor is a create of another live process.
        let (other, earlier) = Intent::begin_in(journal(&dir, 2), "k");
        assert_eq!(earlier, None);
        drop((first, second, other));

        // A process that is gone (pid 7) left one note open and one closed.
        std::fs::write(
            dir.join("7-50"),
            "begin 0 1234 \"k\"\nbegin 1 1300 \"k\"\nend 1\nbegin 2 1400 \"an \\\"odd\\\"\\nkey\"\n",
        )
        .unwrap();
        let next = journal(&dir, 3);
        let (third, earlier) = Intent::begin_in(next, "k");
        assert_eq!(earlier, Some(1234));
        assert_eq!(files(&dir), ["1-100", "2-100", "3-100", "3-100.1"]);
        let (_fourth, earlier) = Intent::begin_in(next, "k");
        assert_eq!(earlier, None, "a stale note is claimed once");
        let (odd, earlier) = Intent::begin_in(next, "an \"odd\"\nkey");
        assert_eq!(earlier, Some(1400), "any key survives the journal");
        drop((third, odd));
        assert_eq!(
            files(&dir),
            ["1-100", "2-100", "3-100"],
            "a taken-over journal goes with its last note"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_claimed_note_stays_open_until_its_create_ends() {
        let dir = scratch("claim");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("7-50"), "begin 0 1234 \"k\"\nbegin 1 1500 \"j\"\n").unwrap();
        // Process 3 claims note "k" and is killed before its create ends (no drop)...
        let (claimed, earlier) = Intent::begin_in(journal(&dir, 3), "k");
        assert_eq!(earlier, Some(1234));
        std::mem::forget(claimed);
        // ...so process 4 (3 is gone) finds it with its first moment, and "j" unclaimed.
        let next = journal(&dir, 4);
        let (k, earlier) = Intent::begin_in(next, "k");
        assert_eq!(earlier, Some(1234));
        let (j, earlier) = Intent::begin_in(next, "j");
        assert_eq!(earlier, Some(1500));
        drop((k, j));
        lock(next).close();
        assert!(files(&dir).is_empty(), "left: {:?}", files(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closing_keeps_the_notes_of_creates_cut_short() {
        let dir = scratch("close");
        let journal = journal(&dir, 1);
        let (done, _) = Intent::begin_in(journal, "done");
        drop(done);
        let (cut, _) = Intent::begin_in(journal, "cut short");
        lock(journal).close();
        drop(cut);
        let text = std::fs::read_to_string(dir.join("1-100")).unwrap();
        let open: Vec<String> = open_notes(&text).into_values().map(|n| n.1).collect();
        assert_eq!(open, ["cut short"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
