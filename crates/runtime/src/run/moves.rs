//! Moving files into place under the when-exists policies (done/error folders, sink outputs,
//! archives), with free counter/timestamp names.

use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::model::{ArchiveExists, ExistsPolicy};
use crate::naming::{file_name, join, parent, with_counter, with_timestamp};
use crate::storage::Storage;
use crate::{Error, Result};

/// The first `name_N.ext` next to `path` that does not exist.
pub(crate) async fn free_counter(storage: &dyn Storage, path: &str) -> Result<String> {
    let dir = parent(path);
    let name = file_name(path);
    for n in 1..100_000u32 {
        let candidate = join(dir, &with_counter(name, n));
        if !storage.exists(&candidate).await? {
            return Ok(candidate);
        }
    }
    Err(Error::Exists(path.to_string()))
}

/// `name_TIMESTAMP.ext` next to `path` (with a counter if that exists too).
pub(crate) async fn free_timestamp(storage: &dyn Storage, path: &str) -> Result<String> {
    let candidate = join(
        parent(path),
        &with_timestamp(file_name(path), SystemTime::now()),
    );
    if storage.exists(&candidate).await? {
        free_counter(storage, &candidate).await
    } else {
        Ok(candidate)
    }
}

/// What happened to a source input moved under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MoveOutcome {
    /// Moved to the given path.
    Moved(String),
    /// The target existed: the policy failed the stream and kept the input.
    FailedKept(String),
    /// The target existed: the policy failed the stream and deleted the input.
    FailedDeleted(String),
}

/// Moves `from` to `to` under `policy` (`to`'s directory must exist).
pub(crate) async fn move_with_policy(
    storage: &dyn Storage,
    from: &str,
    to: &str,
    policy: ExistsPolicy,
) -> Result<MoveOutcome> {
    // No look before the move: the storage refuses a taken name itself (one request on Graph).
    match storage.rename(from, to, false).await {
        Ok(()) => return Ok(MoveOutcome::Moved(to.to_string())),
        Err(Error::Exists(_)) => {}
        Err(e) => return Err(e),
    }
    match policy {
        ExistsPolicy::FailLeave => Ok(MoveOutcome::FailedKept(to.to_string())),
        ExistsPolicy::FailDelete => {
            storage.delete(from).await?;
            Ok(MoveOutcome::FailedDeleted(to.to_string()))
        }
        ExistsPolicy::Replace => {
            storage.rename(from, to, true).await?;
            Ok(MoveOutcome::Moved(to.to_string()))
        }
        ExistsPolicy::RenameExistingCounter | ExistsPolicy::RenameExistingTimestamp => {
            // Other streams may take the free name, or the freed one, first: try again.
            for attempt in 0..RACE_ATTEMPTS {
                if attempt > 0 {
                    super::stream::contention_pause(attempt).await;
                }
                let aside =
                    free_name(storage, to, policy == ExistsPolicy::RenameExistingCounter).await?;
                match storage.rename(to, &aside, false).await {
                    Ok(()) | Err(Error::Missing(_)) => {}
                    Err(Error::Exists(_)) => continue,
                    Err(e) => return Err(e),
                }
                match storage.rename(from, to, false).await {
                    Ok(()) => return Ok(MoveOutcome::Moved(to.to_string())),
                    Err(Error::Exists(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Exists(to.to_string()))
        }
        ExistsPolicy::MoveWithCounter | ExistsPolicy::MoveWithTimestamp => {
            for attempt in 0..RACE_ATTEMPTS {
                if attempt > 0 {
                    super::stream::contention_pause(attempt).await;
                }
                let dest = free_name(storage, to, policy == ExistsPolicy::MoveWithCounter).await?;
                match storage.rename(from, &dest, false).await {
                    Ok(()) => return Ok(MoveOutcome::Moved(dest)),
                    Err(Error::Exists(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Exists(to.to_string()))
        }
    }
}

/// How often a move under a renaming policy looks for a free name again after another stream
/// took the one it found.
const RACE_ATTEMPTS: usize = 16;

/// A free counter (`counter`) or timestamp name next to `path`.
async fn free_name(storage: &dyn Storage, path: &str, counter: bool) -> Result<String> {
    if counter {
        free_counter(storage, path).await
    } else {
        free_timestamp(storage, path).await
    }
}

/// Moves an existing file into the archive directory under the archive policy.
pub(crate) async fn archive(
    storage: &dyn Storage,
    existing: &str,
    archive_dir: &str,
    policy: ArchiveExists,
) -> Result<String> {
    storage.mkdirs(archive_dir).await?;
    let dest = join(archive_dir, file_name(existing));
    let policy = match policy {
        ArchiveExists::Replace => ExistsPolicy::Replace,
        ArchiveExists::Counter => ExistsPolicy::MoveWithCounter,
        ArchiveExists::Timestamp => ExistsPolicy::MoveWithTimestamp,
    };
    match move_with_policy(storage, existing, &dest, policy).await? {
        MoveOutcome::Moved(p) => Ok(p),
        MoveOutcome::FailedKept(p) | MoveOutcome::FailedDeleted(p) => Err(Error::Exists(p)),
    }
}

/// Runs `op` up to `1 + retries` times, waiting `delay` before each attempt. `Exists` and
/// `Missing` errors are final (a policy decision or a fact, not a transient failure).
pub(crate) async fn with_retries<T, F, Fut>(retries: u32, delay: Duration, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match op().await {
            Ok(v) => return Ok(v),
            Err(e @ (Error::Exists(_) | Error::Missing(_))) => return Err(e),
            Err(e) if attempt >= retries => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, attempt = attempt + 1, "post-processing step failed; retrying");
                attempt += 1;
                if delay.is_zero() {
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                }
            }
        }
    }
}
