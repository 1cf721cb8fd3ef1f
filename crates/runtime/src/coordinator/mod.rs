//! The access coordinator: the durable status of every file a workflow sees, so a file is
//! processed once across restarts and across nodes polling the same folder.
//!
//! Life of a file: `WAIT_FOR_CLEARANCE` (optional) → `ACQUIRED` (a node owns it under a lease;
//! `written` records that the output is complete under its temporary name) → `PENDING` (the
//! output is delivered or the failure decided; the source's done/error move is pending) →
//! `DONE` or `FAILURE`. A node that dies leaves `ACQUIRED`/`PENDING` rows whose lease expires;
//! the next owner (the same node after a restart, at once) resumes from the recorded step.

mod sqlite;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use sqlite::SqliteCoordinator;

use crate::model::Reprocessing;
use crate::Result;

/// The status of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// A node is processing it.
    Acquired,
    /// Output delivered (or failure decided); moving the input to done/error is pending.
    Pending,
    /// Processed successfully.
    Done,
    /// Processing failed.
    Failure,
    /// Waiting for an operator's clearance.
    WaitForClearance,
}

impl Status {
    /// The stored name (`ACQUIRED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Acquired => "ACQUIRED",
            Status::Pending => "PENDING",
            Status::Done => "DONE",
            Status::Failure => "FAILURE",
            Status::WaitForClearance => "WAIT_FOR_CLEARANCE",
        }
    }

    /// Parses a stored name (case-insensitive, `-` or `_`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "ACQUIRED" => Some(Status::Acquired),
            "PENDING" => Some(Status::Pending),
            "DONE" => Some(Status::Done),
            "FAILURE" | "FAILED" => Some(Status::Failure),
            "WAIT_FOR_CLEARANCE" | "WAITING" => Some(Status::WaitForClearance),
            _ => None,
        }
    }

    /// Whether a node is (or was, before dying) working on it.
    pub fn in_flight(self) -> bool {
        matches!(self, Status::Acquired | Status::Pending)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies a file for one workflow: its source, folder setup and path in the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileKey {
    /// The workflow.
    pub workflow: String,
    /// The source asset.
    pub source: String,
    /// The folder setup.
    pub folder: String,
    /// Path relative to the folder setup's input directory.
    pub path: String,
}

impl fmt::Display for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}:{}",
            self.workflow, self.source, self.folder, self.path
        )
    }
}

/// What the coordinator knows about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The key.
    pub key: FileKey,
    /// The status.
    pub status: Status,
    /// Content identity when last seen (size+mtime, or hash/etag).
    pub fingerprint: String,
    /// Size when last seen.
    pub size: u64,
    /// The node owning it while in flight.
    pub owner: Option<String>,
    /// Lease expiry (ms since the epoch) while in flight.
    pub lease_until: Option<i64>,
    /// 1 for the first processing, +1 for each reprocessing.
    pub generation: u32,
    /// Processing attempts in this generation.
    pub attempts: u32,
    /// An operator gave clearance (with `WAIT_FOR_CLEARANCE`).
    pub cleared: bool,
    /// The output is complete under its temporary name.
    pub written: bool,
    /// The temporary output path (sink storage).
    pub temp_path: Option<String>,
    /// The final output path (sink storage).
    pub output_path: Option<String>,
    /// `PENDING`/`DONE`/`FAILURE`: whether processing succeeded.
    pub success: Option<bool>,
    /// The failure message.
    pub error: Option<String>,
    /// The input was moved away or deleted.
    pub input_gone: bool,
    /// Last change (ms since the epoch).
    pub updated_at: i64,
}

/// A request to take a file.
#[derive(Debug, Clone)]
pub struct AcquireRequest {
    /// The file.
    pub key: FileKey,
    /// Its current content identity.
    pub fingerprint: String,
    /// Its current size.
    pub size: u64,
    /// The node asking.
    pub owner: String,
    /// How long the node may hold it without renewing.
    pub lease: Duration,
    /// The source's reprocessing mode.
    pub reprocessing: Reprocessing,
    /// The source waits for clearance.
    pub clearance: bool,
}

/// The answer to an [`AcquireRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    /// Taken, fresh: process it.
    Acquired(FileRecord),
    /// Taken over from a dead owner, or handed back to the same owner (a previous run of this
    /// node, or a stream it abandoned after an error): resume from the record.
    Resume(FileRecord),
    /// Recorded as waiting for clearance.
    WaitingForClearance,
    /// Another live node holds it.
    Busy,
    /// Already processed (DONE/FAILURE) and the reprocessing mode says no.
    Processed(Status),
}

/// A selection of records for operators.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this source.
    pub source: Option<String>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only paths matching (`*` wildcards).
    pub path: Option<String>,
}

impl Filter {
    pub(crate) fn matches(&self, r: &FileRecord) -> bool {
        self.workflow.as_ref().is_none_or(|w| *w == r.key.workflow)
            && self.source.as_ref().is_none_or(|s| *s == r.key.source)
            && self.status.is_none_or(|s| s == r.status)
            && self.path.as_ref().is_none_or(|p| wildcard(p, &r.key.path))
    }
}

fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The durable store of file statuses. The SQLite implementation serves one machine (one or
/// several nodes sharing a state folder); a shared database can implement it for many.
#[async_trait::async_trait]
pub trait Coordinator: Send + Sync + fmt::Debug {
    /// Atomically takes a file, or says why not.
    async fn acquire(&self, request: &AcquireRequest) -> Result<Acquire>;
    /// Records that the output is complete under `temp` and will be moved to `output`.
    async fn mark_written(
        &self,
        key: &FileKey,
        owner: &str,
        temp: &str,
        output: &str,
    ) -> Result<()>;
    /// Records the outcome (output delivered, or the failure) before the input is moved.
    async fn mark_pending(
        &self,
        key: &FileKey,
        owner: &str,
        outcome: std::result::Result<(), String>,
    ) -> Result<()>;
    /// Final: processed successfully.
    async fn mark_done(&self, key: &FileKey, owner: &str, input_gone: bool) -> Result<()>;
    /// Final: failed.
    async fn mark_failure(
        &self,
        key: &FileKey,
        owner: &str,
        error: &str,
        input_gone: bool,
    ) -> Result<()>;
    /// Gives up an in-flight file without finishing it (its lease ends now).
    async fn release(&self, key: &FileKey, owner: &str) -> Result<()>;
    /// Extends the lease of every in-flight file of `owner`; returns how many.
    async fn renew(&self, owner: &str, lease: Duration) -> Result<usize>;
    /// The in-flight files of `owner` (to resume after a restart).
    async fn owned(&self, owner: &str) -> Result<Vec<FileRecord>>;
    /// One file's record.
    async fn get(&self, key: &FileKey) -> Result<Option<FileRecord>>;
    /// Records matching a filter.
    async fn list(&self, filter: &Filter) -> Result<Vec<FileRecord>>;
    /// Forgets matching records (not in-flight ones with a live lease) so their files are taken
    /// again; returns how many.
    async fn reset(&self, filter: &Filter) -> Result<usize>;
    /// Gives clearance to matching `WAIT_FOR_CLEARANCE` files; returns how many.
    async fn clearance(&self, filter: &Filter) -> Result<usize>;
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    to_ms(SystemTime::now())
}

/// A time as milliseconds since the epoch.
pub fn to_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis().min(i64::MAX as u128) as i64,
        Err(e) => -(e.duration().as_millis().min(i64::MAX as u128) as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("*.pdf", "a/b.pdf"));
        assert!(wildcard("a/*", "a/b.pdf"));
        assert!(wildcard("a*c*e", "abcde"));
        assert!(!wildcard("a*c*e", "abcd"));
        assert!(wildcard("x", "x"));
        assert!(!wildcard("x", "xy"));
    }
}
