//! Persistence of the Graph store: a JSON snapshot (`DATA/graph/store.json`) plus an append-only
//! journal of changes since it (`DATA/graph/journal-{gen}.jsonl`, one JSON record per line).
//!
//! Every change appends one short line (no fsync: the page cache outlives the process), so the
//! state survives restarts and crashes without rewriting a 100,000-item tree per request. A
//! background thread folds the journal into a new snapshot once it has grown (and once more
//! when the store is dropped); loading replays the journals at or after the snapshot's
//! generation, ignoring a torn last line.

use std::fs::File;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{Drive, DriveMeta, Grant, Item, Tombstone, UploadSession};
use crate::Error;

/// A journal record, as written.
#[derive(Debug, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum RecordRef<'a> {
    /// A drive was created.
    Drive {
        /// Its description.
        meta: &'a DriveMeta,
    },
    /// An item was created or changed.
    Item {
        /// Drive id.
        drive: &'a str,
        /// The item's new state.
        item: &'a Item,
    },
    /// An item was deleted.
    Removed {
        /// Drive id.
        drive: &'a str,
        /// What is left of it.
        tombstone: &'a Tombstone,
    },
    /// Delta tokens before `seq` were expired.
    MinToken {
        /// Drive id.
        drive: &'a str,
        /// New minimum.
        seq: u64,
    },
    /// A site permission was granted.
    Grant {
        /// The grant.
        grant: &'a Grant,
    },
    /// A site permission was removed.
    Revoke {
        /// Permission id.
        id: &'a str,
    },
    /// An upload session was created or progressed.
    Session {
        /// Its state.
        session: &'a UploadSession,
    },
    /// An upload session ended.
    SessionGone {
        /// Session id.
        id: &'a str,
    },
}

/// A journal record, as read back.
#[derive(Debug, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Record {
    /// See [`RecordRef::Drive`].
    Drive {
        /// Description.
        meta: DriveMeta,
    },
    /// See [`RecordRef::Item`].
    Item {
        /// Drive id.
        drive: String,
        /// Item.
        item: Item,
    },
    /// See [`RecordRef::Removed`].
    Removed {
        /// Drive id.
        drive: String,
        /// Tombstone.
        tombstone: Tombstone,
    },
    /// See [`RecordRef::MinToken`].
    MinToken {
        /// Drive id.
        drive: String,
        /// Minimum.
        seq: u64,
    },
    /// See [`RecordRef::Grant`].
    Grant {
        /// Grant.
        grant: Grant,
    },
    /// See [`RecordRef::Revoke`].
    Revoke {
        /// Permission id.
        id: String,
    },
    /// See [`RecordRef::Session`].
    Session {
        /// Session.
        session: UploadSession,
    },
    /// See [`RecordRef::SessionGone`].
    SessionGone {
        /// Session id.
        id: String,
    },
}

/// The snapshot, as written.
#[derive(Debug, Serialize)]
pub struct SnapshotRef<'a> {
    /// Journal generation that continues this snapshot.
    pub gen: u64,
    /// Drives.
    pub drives: Vec<&'a Drive>,
    /// Site grants.
    pub grants: &'a [Grant],
    /// Upload sessions.
    pub sessions: Vec<&'a UploadSession>,
}

/// The snapshot, as read back.
#[derive(Debug, Deserialize, Default)]
pub struct Snapshot {
    /// Journal generation that continues this snapshot.
    pub gen: u64,
    /// Drives.
    pub drives: Vec<Drive>,
    /// Site grants.
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Upload sessions.
    #[serde(default)]
    pub sessions: Vec<UploadSession>,
}

/// The open journal file.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    gen: u64,
    file: Option<File>,
    records: u64,
}

impl Journal {
    /// A journal in `dir` that writes nothing until [`Journal::switch`].
    pub fn closed(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            gen: 0,
            file: None,
            records: 0,
        }
    }

    /// Records appended since the last snapshot.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Sets the generation the next [`Journal::switch`] counts from.
    pub fn set_gen(&mut self, gen: u64) {
        self.gen = gen;
    }

    /// The current generation.
    pub fn gen(&self) -> u64 {
        self.gen
    }

    /// Appends one record. A failure is logged, not returned: the in-memory state stays right
    /// and the next snapshot persists it.
    pub fn append(&mut self, record: &RecordRef<'_>) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        match serde_json::to_vec(record) {
            Ok(mut line) => {
                line.push(b'\n');
                if let Err(e) = file.write_all(&line) {
                    tracing::warn!(error = %e, "appending to the Graph journal failed");
                }
                self.records += 1;
            }
            Err(e) => tracing::warn!(error = %e, "encoding a Graph journal record failed"),
        }
    }

    /// Starts generation `gen` (a new, empty journal file).
    pub fn switch(&mut self, gen: u64) -> Result<(), Error> {
        let path = journal_path(&self.dir, gen);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io("opening", &path))?;
        self.file = Some(file);
        self.gen = gen;
        self.records = 0;
        Ok(())
    }
}

/// `DATA/graph/journal-{gen}.jsonl`.
pub fn journal_path(dir: &Path, gen: u64) -> PathBuf {
    dir.join(format!("journal-{gen}.jsonl"))
}

/// `DATA/graph/store.json`.
pub fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join("store.json")
}

/// Journal generations present in `dir`, ascending.
pub fn journal_gens(dir: &Path) -> Vec<u64> {
    let mut gens: Vec<u64> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("journal-")?
                .strip_suffix(".jsonl")?
                .parse()
                .ok()
        })
        .collect();
    gens.sort_unstable();
    gens
}

/// Reads the records of one journal file, stopping at the first torn or corrupt line.
pub fn read_journal(path: &Path) -> Result<Vec<Record>, Error> {
    let file = File::open(path).map_err(Error::io("opening", path))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(Error::io("reading", path))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(r) => out.push(r),
            Err(e) => {
                tracing::warn!(path = %path.display(), line = n + 1, error = %e,
                    "ignoring the rest of a torn Graph journal");
                break;
            }
        }
    }
    Ok(out)
}

/// Deletes journal files older than `gen`.
pub fn remove_journals_before(dir: &Path, gen: u64) {
    for g in journal_gens(dir) {
        if g < gen {
            let _ = std::fs::remove_file(journal_path(dir, g));
        }
    }
}
