//! The SQLite access coordinator: one database file (WAL) in the node's state folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{now_ms, Acquire, AcquireRequest, Coordinator, FileKey, FileRecord, Filter, Status};
use crate::model::Reprocessing;
use crate::{Error, Result};

/// The database file name inside a state folder.
pub(super) const DB_FILE: &str = "coordinator.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS files (
    workflow     TEXT NOT NULL,
    source       TEXT NOT NULL,
    folder       TEXT NOT NULL,
    path         TEXT NOT NULL,
    status       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    size         INTEGER NOT NULL DEFAULT 0,
    owner        TEXT,
    lease_until  INTEGER,
    generation   INTEGER NOT NULL DEFAULT 1,
    attempts     INTEGER NOT NULL DEFAULT 0,
    cleared      INTEGER NOT NULL DEFAULT 0,
    written      INTEGER NOT NULL DEFAULT 0,
    temp_path    TEXT,
    output_path  TEXT,
    success      INTEGER,
    error        TEXT,
    input_gone   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workflow, source, folder, path)
);
CREATE INDEX IF NOT EXISTS files_owner ON files(owner, status);
";

const COLUMNS: &str =
    "workflow, source, folder, path, status, fingerprint, size, owner, lease_until, generation, \
     attempts, cleared, written, temp_path, output_path, success, error, input_gone, updated_at";

/// An access coordinator in a SQLite database. Several handles (threads, processes) on the
/// same file are safe: acquiring is one immediate transaction.
pub struct SqliteCoordinator {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCoordinator")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteCoordinator {
    /// Opens (creating) `coordinator.sqlite` in `state_dir`.
    pub fn open_in(state_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| Error::io("creating the state folder", state_dir, e))?;
        Self::open(&state_dir.join(DB_FILE))
    }

    /// Opens (creating) the database file `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let err = |e: rusqlite::Error| Error::Coordinator {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        Error::Coordinator {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn update(
        &self,
        sql: &str,
        key: &FileKey,
        owner: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<()> {
        let conn = self.conn.lock();
        let mut all: Vec<&dyn rusqlite::ToSql> = values.to_vec();
        let now = now_ms();
        all.push(&now);
        all.push(&key.workflow);
        all.push(&key.source);
        all.push(&key.folder);
        all.push(&key.path);
        all.push(&owner);
        let n = conn.execute(sql, all.as_slice()).map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(Error::Coordinator {
                path: self.path.clone(),
                message: format!("{key} is no longer held by this node (lease lost?)"),
            });
        }
        Ok(())
    }
}

fn record(row: &Row<'_>) -> rusqlite::Result<FileRecord> {
    let status: String = row.get(4)?;
    Ok(FileRecord {
        key: FileKey {
            workflow: row.get(0)?,
            source: row.get(1)?,
            folder: row.get(2)?,
            path: row.get(3)?,
        },
        status: Status::parse(&status).unwrap_or(Status::Failure),
        fingerprint: row.get(5)?,
        size: row.get::<_, i64>(6)?.max(0) as u64,
        owner: row.get(7)?,
        lease_until: row.get(8)?,
        generation: row.get::<_, i64>(9)?.max(0) as u32,
        attempts: row.get::<_, i64>(10)?.max(0) as u32,
        cleared: row.get::<_, i64>(11)? != 0,
        written: row.get::<_, i64>(12)? != 0,
        temp_path: row.get(13)?,
        output_path: row.get(14)?,
        success: row.get::<_, Option<i64>>(15)?.map(|v| v != 0),
        error: row.get(16)?,
        input_gone: row.get::<_, i64>(17)? != 0,
        updated_at: row.get(18)?,
    })
}

const WHERE_KEY: &str = "workflow = ? AND source = ? AND folder = ? AND path = ?";

#[async_trait::async_trait]
impl Coordinator for SqliteCoordinator {
    async fn acquire(&self, req: &AcquireRequest) -> Result<Acquire> {
        let mut conn = self.conn.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let k = &req.key;
        let now = now_ms();
        let lease_until = now + req.lease.as_millis().min(i64::MAX as u128) as i64;
        let existing = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM files WHERE {WHERE_KEY}"),
                params![k.workflow, k.source, k.folder, k.path],
                record,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let size = req.size.min(i64::MAX as u64) as i64;
        let outcome = match existing {
            None => {
                let status = if req.clearance {
                    Status::WaitForClearance
                } else {
                    Status::Acquired
                };
                let (owner, lease, attempts) = if req.clearance {
                    (None, None, 0)
                } else {
                    (Some(req.owner.as_str()), Some(lease_until), 1)
                };
                tx.execute(
                    "INSERT INTO files (workflow, source, folder, path, status, fingerprint, size, owner, lease_until, \
                     generation, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                    params![k.workflow, k.source, k.folder, k.path, status.as_str(), req.fingerprint, size, owner, lease, attempts, now, now],
                )
                .map_err(|e| self.err(e))?;
                if req.clearance {
                    Acquire::WaitingForClearance
                } else {
                    let r = tx
                        .query_row(
                            &format!("SELECT {COLUMNS} FROM files WHERE {WHERE_KEY}"),
                            params![k.workflow, k.source, k.folder, k.path],
                            record,
                        )
                        .map_err(|e| self.err(e))?;
                    Acquire::Acquired(r)
                }
            }
            Some(r) => match r.status {
                Status::WaitForClearance => {
                    if r.cleared {
                        tx.execute(
                            &format!("UPDATE files SET status = 'ACQUIRED', owner = ?, lease_until = ?, attempts = attempts + 1, fingerprint = ?, size = ?, updated_at = ? WHERE {WHERE_KEY}"),
                            params![req.owner, lease_until, req.fingerprint, size, now, k.workflow, k.source, k.folder, k.path],
                        )
                        .map_err(|e| self.err(e))?;
                        let r = tx
                            .query_row(
                                &format!("SELECT {COLUMNS} FROM files WHERE {WHERE_KEY}"),
                                params![k.workflow, k.source, k.folder, k.path],
                                record,
                            )
                            .map_err(|e| self.err(e))?;
                        Acquire::Acquired(r)
                    } else {
                        tx.execute(
                            &format!(
                                "UPDATE files SET fingerprint = ?, size = ? WHERE {WHERE_KEY}"
                            ),
                            params![
                                req.fingerprint,
                                size,
                                k.workflow,
                                k.source,
                                k.folder,
                                k.path
                            ],
                        )
                        .map_err(|e| self.err(e))?;
                        Acquire::WaitingForClearance
                    }
                }
                Status::Acquired | Status::Pending => {
                    let live = r.lease_until.is_some_and(|l| l > now);
                    let mine = r.owner.as_deref() == Some(req.owner.as_str());
                    if live && !mine {
                        Acquire::Busy
                    } else {
                        tx.execute(
                            &format!("UPDATE files SET owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE {WHERE_KEY}"),
                            params![req.owner, lease_until, now, k.workflow, k.source, k.folder, k.path],
                        )
                        .map_err(|e| self.err(e))?;
                        let r = tx
                            .query_row(
                                &format!("SELECT {COLUMNS} FROM files WHERE {WHERE_KEY}"),
                                params![k.workflow, k.source, k.folder, k.path],
                                record,
                            )
                            .map_err(|e| self.err(e))?;
                        Acquire::Resume(r)
                    }
                }
                Status::Done | Status::Failure => {
                    let again = match req.reprocessing {
                        Reprocessing::Manual => false,
                        Reprocessing::Automatic => r.input_gone,
                        Reprocessing::WhenChanged => r.fingerprint != req.fingerprint,
                    };
                    if !again {
                        Acquire::Processed(r.status)
                    } else {
                        let (status, owner, lease, attempts) = if req.clearance {
                            (Status::WaitForClearance, None, None, 0)
                        } else {
                            (
                                Status::Acquired,
                                Some(req.owner.as_str()),
                                Some(lease_until),
                                1,
                            )
                        };
                        tx.execute(
                            &format!(
                                "UPDATE files SET status = ?, fingerprint = ?, size = ?, owner = ?, lease_until = ?, generation = generation + 1, \
                                 attempts = ?, cleared = 0, written = 0, temp_path = NULL, output_path = NULL, success = NULL, error = NULL, \
                                 input_gone = 0, updated_at = ? WHERE {WHERE_KEY}"
                            ),
                            params![status.as_str(), req.fingerprint, size, owner, lease, attempts, now, k.workflow, k.source, k.folder, k.path],
                        )
                        .map_err(|e| self.err(e))?;
                        if req.clearance {
                            Acquire::WaitingForClearance
                        } else {
                            let r = tx
                                .query_row(
                                    &format!("SELECT {COLUMNS} FROM files WHERE {WHERE_KEY}"),
                                    params![k.workflow, k.source, k.folder, k.path],
                                    record,
                                )
                                .map_err(|e| self.err(e))?;
                            Acquire::Acquired(r)
                        }
                    }
                }
            },
        };
        tx.commit().map_err(|e| self.err(e))?;
        Ok(outcome)
    }

    async fn mark_written(
        &self,
        key: &FileKey,
        owner: &str,
        temp: &str,
        output: &str,
    ) -> Result<()> {
        self.update(
            &format!("UPDATE files SET written = 1, temp_path = ?, output_path = ?, updated_at = ? WHERE {WHERE_KEY} AND owner = ? AND status = 'ACQUIRED'"),
            key,
            owner,
            &[&temp, &output],
        )
    }

    async fn mark_pending(
        &self,
        key: &FileKey,
        owner: &str,
        outcome: std::result::Result<(), String>,
    ) -> Result<()> {
        let (success, error) = match outcome {
            Ok(()) => (1i64, None),
            Err(e) => (0i64, Some(e)),
        };
        self.update(
            &format!("UPDATE files SET status = 'PENDING', success = ?, error = ?, updated_at = ? WHERE {WHERE_KEY} AND owner = ? AND status IN ('ACQUIRED', 'PENDING')"),
            key,
            owner,
            &[&success, &error],
        )
    }

    async fn mark_done(&self, key: &FileKey, owner: &str, input_gone: bool) -> Result<()> {
        let gone = input_gone as i64;
        self.update(
            &format!("UPDATE files SET status = 'DONE', success = 1, input_gone = ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE {WHERE_KEY} AND owner = ? AND status IN ('ACQUIRED', 'PENDING')"),
            key,
            owner,
            &[&gone],
        )
    }

    async fn mark_failure(
        &self,
        key: &FileKey,
        owner: &str,
        error: &str,
        input_gone: bool,
    ) -> Result<()> {
        let gone = input_gone as i64;
        self.update(
            &format!("UPDATE files SET status = 'FAILURE', success = 0, error = ?, input_gone = ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE {WHERE_KEY} AND owner = ? AND status IN ('ACQUIRED', 'PENDING')"),
            key,
            owner,
            &[&error, &gone],
        )
    }

    async fn release(&self, key: &FileKey, owner: &str) -> Result<()> {
        let zero = 0i64;
        self.update(
            &format!(
                "UPDATE files SET lease_until = ?, updated_at = ? WHERE {WHERE_KEY} AND owner = ?"
            ),
            key,
            owner,
            &[&zero],
        )
    }

    async fn renew(&self, owner: &str, lease: Duration) -> Result<usize> {
        let conn = self.conn.lock();
        let until = now_ms() + lease.as_millis().min(i64::MAX as u128) as i64;
        conn.execute(
            "UPDATE files SET lease_until = ? WHERE owner = ? AND status IN ('ACQUIRED', 'PENDING')",
            params![until, owner],
        )
        .map_err(|e| self.err(e))
    }

    async fn owned(&self, owner: &str) -> Result<Vec<FileRecord>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare(&format!("SELECT {COLUMNS} FROM files WHERE owner = ? AND status IN ('ACQUIRED', 'PENDING') ORDER BY path"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![owner], record)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    async fn get(&self, key: &FileKey) -> Result<Option<FileRecord>> {
        let conn = self.conn.lock();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM files WHERE {WHERE_KEY}"),
            params![key.workflow, key.source, key.folder, key.path],
            record,
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    async fn list(&self, filter: &Filter) -> Result<Vec<FileRecord>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM files ORDER BY workflow, source, folder, path"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], record).map_err(|e| self.err(e))?;
        let all = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(all.into_iter().filter(|r| filter.matches(r)).collect())
    }

    async fn reset(&self, filter: &Filter) -> Result<usize> {
        let now = now_ms();
        let selected = self.list(filter).await?;
        let conn = self.conn.lock();
        let mut n = 0;
        for r in selected {
            if r.status.in_flight() && r.lease_until.is_some_and(|l| l > now) {
                continue;
            }
            let k = &r.key;
            n += conn
                .execute(
                    &format!("DELETE FROM files WHERE {WHERE_KEY} AND updated_at = ?"),
                    params![k.workflow, k.source, k.folder, k.path, r.updated_at],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(n)
    }

    async fn clearance(&self, filter: &Filter) -> Result<usize> {
        let selected = self.list(filter).await?;
        let conn = self.conn.lock();
        let mut n = 0;
        for r in selected
            .iter()
            .filter(|r| r.status == Status::WaitForClearance && !r.cleared)
        {
            let k = &r.key;
            n += conn
                .execute(
                    &format!("UPDATE files SET cleared = 1, updated_at = ? WHERE {WHERE_KEY} AND status = 'WAIT_FOR_CLEARANCE'"),
                    params![now_ms(), k.workflow, k.source, k.folder, k.path],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(n)
    }
}
