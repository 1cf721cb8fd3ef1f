//! One workflow's runner: polls its source, takes files through the coordinator, writes them
//! to the sink (temp name, then move into place), post-processes the input, notifies.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::config::{FolderRt, NotifyRt, WorkflowRt};
use super::moves::{self, MoveOutcome};
use super::status::{rfc3339, WorkflowState, WorkflowStatus};
use crate::coordinator::{
    Acquire, AcquireRequest, Coordinator, FileKey, FileRecord, Filter, Status,
};
use crate::macros::FileValues;
use crate::model::{InputAfter, Ordering, Polling, SinkExists};
use crate::naming::{decorate, file_name, join, normalize, parent};
use crate::schedule::{Backoff, Throttle};
use crate::storage::Entry;
use crate::{Error, Result};

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Files listed (after filters).
    pub listed: usize,
    /// Files processed successfully.
    pub done: usize,
    /// Files failed.
    pub failed: usize,
    /// Files waiting for clearance.
    pub waiting: usize,
    /// Files not stable yet.
    pub unstable: usize,
    /// Files held by another live node.
    pub busy: usize,
    /// Files resumed after a crash or restart.
    pub recovered: usize,
    /// Streams abandoned because the node is stopping.
    pub abandoned: usize,
    /// New streams are blocked (backoff or throttle) until then.
    pub blocked_until: Option<SystemTime>,
}

impl PollReport {
    /// Nothing happened and nothing is about to: no file processed, none unstable or blocked.
    pub fn idle(&self) -> bool {
        self.done == 0
            && self.failed == 0
            && self.unstable == 0
            && self.recovered == 0
            && self.abandoned == 0
            && self.blocked_until.is_none()
    }

    pub(crate) fn add(&mut self, o: &PollReport) {
        self.listed += o.listed;
        self.done += o.done;
        self.failed += o.failed;
        self.waiting += o.waiting;
        self.unstable += o.unstable;
        self.busy += o.busy;
        self.recovered += o.recovered;
        self.abandoned += o.abandoned;
        self.blocked_until = match (self.blocked_until, o.blocked_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

#[derive(Debug, Clone, Copy)]
struct Observation {
    size: u64,
    modified: SystemTime,
    since: SystemTime,
}

#[derive(Debug, Clone)]
struct Candidate {
    folder: usize,
    entry: Entry,
    rel: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamEnd {
    Done,
    Failed,
    Abandoned,
}

#[derive(Debug, Clone)]
struct Plan {
    output: String,
    temp: String,
}

/// Runs one workflow.
#[derive(Debug)]
pub(crate) struct Runner {
    pub wf: WorkflowRt,
    coord: Arc<dyn Coordinator>,
    owner: String,
    lease: Duration,
    backoff: Backoff,
    throttle: Throttle,
    seen: HashMap<(usize, String), Observation>,
    started: bool,
    folder_hk_next: Vec<Option<SystemTime>>,
    sink_hk_next: Option<SystemTime>,
    relist: bool,
    pub status: Arc<Mutex<WorkflowStatus>>,
}

impl Runner {
    pub fn new(
        wf: WorkflowRt,
        coord: Arc<dyn Coordinator>,
        owner: String,
        lease: Duration,
    ) -> Self {
        let backoff = Backoff::new(wf.source.cfg.backoff.clone());
        let throttle = Throttle::new(wf.source.cfg.max_streams, wf.source.cfg.max_streams_period);
        let status = Arc::new(Mutex::new(WorkflowStatus::new(&wf.name)));
        let folders = wf.source.folders.len();
        Self {
            wf,
            coord,
            owner,
            lease,
            backoff,
            throttle,
            seen: HashMap::new(),
            started: false,
            folder_hk_next: vec![None; folders],
            sink_hk_next: None,
            relist: true,
            status,
        }
    }

    fn set_state(&self, state: WorkflowState) {
        self.status.lock().state = state;
    }

    /// Polls until stopped.
    pub async fn run(&mut self, shutdown: &CancellationToken) {
        loop {
            let report = match self.poll(shutdown).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(workflow = %self.wf.name, error = %e, "poll failed");
                    let mut s = self.status.lock();
                    s.state = WorkflowState::Error(e.to_string());
                    s.last_error = Some(e.to_string());
                    PollReport::default()
                }
            };
            if shutdown.is_cancelled() {
                break;
            }
            let now = SystemTime::now();
            let mut next = match &self.wf.source.cfg.polling {
                Polling::Interval(d) => now + *d,
                Polling::Cron(c) => c.next_after(now).unwrap_or(now + Duration::from_secs(3600)),
            };
            if let Some(b) = report.blocked_until {
                next = next.min(b.max(now));
            }
            for t in self
                .folder_hk_next
                .iter()
                .chain(std::iter::once(&self.sink_hk_next))
                .flatten()
            {
                next = next.min(*t);
            }
            {
                let mut s = self.status.lock();
                s.next_poll = Some(next);
                if !matches!(
                    s.state,
                    WorkflowState::Error(_)
                        | WorkflowState::BackingOff(_)
                        | WorkflowState::Throttled(_)
                ) {
                    s.state = WorkflowState::Idle;
                }
            }
            let wait = next.duration_since(SystemTime::now()).unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        self.set_state(WorkflowState::Stopped);
    }

    /// One poll: resume own unfinished files (first poll), housekeeping when due, list the
    /// source, take every eligible file in order.
    pub async fn poll(&mut self, shutdown: &CancellationToken) -> Result<PollReport> {
        let mut report = PollReport::default();
        if !self.started {
            report.recovered = self.resume_owned(shutdown).await?;
            if let Err(e) = self.cleanup_temps().await {
                tracing::warn!(workflow = %self.wf.name, error = %e, "cleaning up temporary files failed");
            }
            let now = SystemTime::now();
            for (i, f) in self.wf.source.folders.iter().enumerate() {
                self.folder_hk_next[i] = f
                    .setup
                    .housekeeping
                    .as_ref()
                    .and_then(|h| h.schedule.next_after(now));
            }
            self.sink_hk_next = self
                .wf
                .sink
                .cfg
                .housekeeping
                .as_ref()
                .and_then(|h| h.schedule.next_after(now));
            self.started = true;
        }
        self.housekeeping(false).await;
        self.set_state(WorkflowState::Polling);
        let candidates = match self.wf.source.cfg.poll_timeout {
            Some(t) => tokio::time::timeout(t, self.candidates(&mut report))
                .await
                .map_err(|_| {
                    Error::Config(format!(
                        "listing the source took longer than the polling timeout ({})",
                        humantime::format_duration(t)
                    ))
                })??,
            None => self.candidates(&mut report).await?,
        };
        self.status.lock().last_poll = Some(SystemTime::now());
        let clearance = self.wf.source.cfg.wait_for_clearance;
        for cand in candidates {
            if shutdown.is_cancelled() {
                break;
            }
            let now = SystemTime::now();
            if let Some(until) = self.backoff.blocked_until(now) {
                report.blocked_until = Some(until);
                self.set_state(WorkflowState::BackingOff(rfc3339(until)));
                break;
            }
            if let Err(until) = self.throttle.check(now) {
                report.blocked_until = Some(until);
                self.set_state(WorkflowState::Throttled(rfc3339(until)));
                break;
            }
            let key = self.key(&cand);
            let request = AcquireRequest {
                key,
                fingerprint: cand.entry.fingerprint(),
                size: cand.entry.size,
                owner: self.owner.clone(),
                lease: self.lease,
                reprocessing: self.wf.source.cfg.reprocessing,
                clearance,
            };
            let end = match self.coord.acquire(&request).await? {
                Acquire::Acquired(rec) => {
                    self.throttle.record(now);
                    self.stream(&cand, &rec, shutdown).await?
                }
                Acquire::Resume(rec) => {
                    self.throttle.record(now);
                    report.recovered += 1;
                    self.resume(&rec, shutdown).await?
                }
                Acquire::WaitingForClearance => {
                    report.waiting += 1;
                    continue;
                }
                Acquire::Busy => {
                    report.busy += 1;
                    continue;
                }
                Acquire::Processed(_) => continue,
            };
            let now = SystemTime::now();
            match end {
                StreamEnd::Done => {
                    report.done += 1;
                    self.backoff.success(now);
                    self.status.lock().files_done += 1;
                }
                StreamEnd::Failed => {
                    report.failed += 1;
                    let delay = self.backoff.failure(now);
                    tracing::info!(workflow = %self.wf.name, delay = %humantime::format_duration(delay), "backing off after a failure");
                    self.status.lock().files_failed += 1;
                }
                StreamEnd::Abandoned => {
                    report.abandoned += 1;
                    break;
                }
            }
        }
        self.relist = report.unstable > 0
            || report.waiting > 0
            || report.busy > 0
            || report.abandoned > 0
            || report.blocked_until.is_some();
        self.status.lock().files_waiting = report.waiting as u64;
        if report.blocked_until.is_none() {
            self.set_state(WorkflowState::Idle);
        }
        Ok(report)
    }

    fn key(&self, cand: &Candidate) -> FileKey {
        FileKey {
            workflow: self.wf.name.clone(),
            source: self.wf.source.cfg.meta.id.name.clone(),
            folder: self.wf.source.folders[cand.folder].setup.name.clone(),
            path: cand.rel.clone(),
        }
    }

    async fn candidates(&mut self, report: &mut PollReport) -> Result<Vec<Candidate>> {
        let source = &self.wf.source;
        let now = SystemTime::now();
        let stable = source.cfg.stable_time;
        let mut out = Vec::new();
        let mut present = HashSet::new();
        for (i, f) in source.folders.iter().enumerate() {
            // Delta-capable storages say cheaply whether anything changed; list only then,
            // or when the previous poll left files unstable, waiting or blocked.
            let changed = source.storage.may_have_changed(&f.input).await?;
            if !changed && !self.relist {
                continue;
            }
            let entries = source
                .storage
                .list(&f.input, f.setup.include_subdirs)
                .await?;
            for entry in entries {
                let rel = match f.input.as_str() {
                    "" => entry.path.clone(),
                    dir => match entry
                        .path
                        .strip_prefix(dir)
                        .and_then(|r| r.strip_prefix('/'))
                    {
                        Some(r) => r.to_string(),
                        None => continue,
                    },
                };
                let name = entry.name();
                let s = &f.setup;
                if s.filter.as_ref().is_some_and(|r| !r.is_match(name))
                    || s.prefix.as_ref().is_some_and(|r| !r.is_match(name))
                    || s.suffix.as_ref().is_some_and(|r| !r.is_match(name))
                {
                    continue;
                }
                report.listed += 1;
                if !stable.is_zero() {
                    let key = (i, rel.clone());
                    present.insert(key.clone());
                    let obs = self.seen.entry(key).or_insert(Observation {
                        size: entry.size,
                        modified: entry.modified,
                        since: now,
                    });
                    if obs.size != entry.size || obs.modified != entry.modified {
                        *obs = Observation {
                            size: entry.size,
                            modified: entry.modified,
                            since: now,
                        };
                    }
                    let unchanged_for = now.duration_since(obs.since).unwrap_or_default();
                    let age = now.duration_since(entry.modified).unwrap_or_default();
                    if unchanged_for < stable && age < stable {
                        report.unstable += 1;
                        continue;
                    }
                }
                out.push(Candidate {
                    folder: i,
                    entry,
                    rel,
                });
            }
        }
        self.seen.retain(|k, _| present.contains(k));
        match source.cfg.order {
            Ordering::NameAsc => out.sort_by(|a, b| a.rel.cmp(&b.rel)),
            Ordering::NameDesc => out.sort_by(|a, b| b.rel.cmp(&a.rel)),
            Ordering::ModifiedAsc => out.sort_by(|a, b| {
                a.entry
                    .modified
                    .cmp(&b.entry.modified)
                    .then(a.rel.cmp(&b.rel))
            }),
            Ordering::ModifiedDesc => out.sort_by(|a, b| {
                b.entry
                    .modified
                    .cmp(&a.entry.modified)
                    .then(a.rel.cmp(&b.rel))
            }),
        }
        Ok(out)
    }

    fn values(&self, folder: &FolderRt, rel: &str, entry: Option<&Entry>, size: u64) -> FileValues {
        FileValues {
            name: file_name(rel).to_string(),
            path: rel.to_string(),
            size: entry.map(|e| e.size).unwrap_or(size),
            folder: folder.setup.name.clone(),
            modified: entry.map(|e| e.modified),
            workflow: self.wf.name.clone(),
            error: None,
        }
    }

    fn plan(
        &self,
        fv: &FileValues,
        key: &FileKey,
        generation: u32,
    ) -> std::result::Result<Plan, String> {
        let sink = &self.wf.sink;
        let dir = normalize(&sink.directory.render(Some(fv))?)?;
        let name = normalize(&sink.file_name.render(Some(fv))?)?;
        if name.is_empty() {
            return Err("the output file name is empty".into());
        }
        let base = decorate(
            file_name(&name),
            &sink.prefix.render(Some(fv))?,
            &sink.suffix.render(Some(fv))?,
        );
        let output = join(&dir, &join(parent(&name), &base));
        let temp_dir = match &sink.temp_dir {
            Some(t) => normalize(&t.render(Some(fv))?)?,
            None => parent(&output).to_string(),
        };
        let mut h = Sha256::new();
        h.update(format!("{key}#{generation}").as_bytes());
        let digest = h.finalize();
        let tag: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let temp = join(
            &temp_dir,
            &format!(
                "{}{}.{}{}",
                sink.cfg.temp_prefix, base, tag, sink.cfg.temp_suffix
            ),
        );
        Ok(Plan { output, temp })
    }

    async fn stream(
        &self,
        cand: &Candidate,
        rec: &FileRecord,
        shutdown: &CancellationToken,
    ) -> Result<StreamEnd> {
        let folder = &self.wf.source.folders[cand.folder];
        let fv = self.values(folder, &cand.rel, Some(&cand.entry), cand.entry.size);
        self.set_state(WorkflowState::Processing(cand.rel.clone()));
        tracing::info!(workflow = %self.wf.name, file = %cand.rel, folder = %folder.setup.name, size = cand.entry.size, "processing");
        let plan = match self.plan(&fv, &rec.key, rec.generation) {
            Ok(p) => p,
            Err(e) => {
                return self
                    .finish(cand.folder, &cand.entry.path, fv, &rec.key, Err(e))
                    .await
            }
        };
        let written = tokio::select! {
            r = self.write_output(&cand.entry.path, &fv, &plan) => Some(r),
            _ = shutdown.cancelled() => None,
        };
        let sink = self.wf.sink.storage.clone();
        match written {
            None => {
                let _ = sink.delete(&plan.temp).await;
                self.coord.release(&rec.key, &self.owner).await?;
                tracing::info!(workflow = %self.wf.name, file = %cand.rel, "abandoned (stopping)");
                Ok(StreamEnd::Abandoned)
            }
            Some(Ok(_)) => {
                self.coord
                    .mark_written(&rec.key, &self.owner, &plan.temp, &plan.output)
                    .await?;
                self.commit_and_finish(cand.folder, &cand.entry.path, fv, &rec.key, &plan)
                    .await
            }
            Some(Err(e)) => {
                let _ = sink.delete(&plan.temp).await;
                self.finish(
                    cand.folder,
                    &cand.entry.path,
                    fv,
                    &rec.key,
                    Err(e.to_string()),
                )
                .await
            }
        }
    }

    async fn write_output(&self, input: &str, fv: &FileValues, plan: &Plan) -> Result<u64> {
        let sink = &self.wf.sink;
        let out_dir = parent(&plan.output);
        let temp_dir = parent(&plan.temp);
        if sink.cfg.create_dirs {
            sink.storage.mkdirs(out_dir).await?;
            if temp_dir != out_dir {
                sink.storage.mkdirs(temp_dir).await?;
            }
        } else {
            for d in [out_dir, temp_dir] {
                if !d.is_empty() && !sink.storage.dir_exists(d).await? {
                    return Err(Error::Config(format!(
                        "directory '{d}' does not exist and create_dirs is off"
                    )));
                }
            }
        }
        let mut reader = self.wf.source.storage.read(input).await?;
        match &self.wf.command {
            Some((argv, timeout)) => {
                let argv: Vec<String> = argv
                    .iter()
                    .map(|t| t.render(Some(fv)))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(Error::Command)?;
                crate::process::run_into(&argv, *timeout, reader, sink.storage.as_ref(), &plan.temp)
                    .await
            }
            None => sink.storage.write(&plan.temp, &mut reader).await,
        }
    }

    /// Moves the temporary output into place under the sink's policy. Idempotent: a missing
    /// temporary file with the output present means a previous run already did it.
    async fn commit(&self, plan: &Plan, fv: &FileValues) -> Result<()> {
        let sink = &self.wf.sink;
        let storage = sink.storage.as_ref();
        if !storage.exists(&plan.temp).await? {
            return if storage.exists(&plan.output).await? {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "the temporary output '{}' vanished",
                    plan.temp
                )))
            };
        }
        if storage.exists(&plan.output).await? {
            match sink.cfg.when_exists {
                SinkExists::Rollback => {
                    storage.delete(&plan.temp).await?;
                    return Err(Error::Exists(plan.output.clone()));
                }
                SinkExists::Replace => return storage.rename(&plan.temp, &plan.output, true).await,
                SinkExists::Counter => {
                    let aside = moves::free_counter(storage, &plan.output).await?;
                    storage.rename(&plan.output, &aside, false).await?;
                }
                SinkExists::Timestamp => {
                    let aside = moves::free_timestamp(storage, &plan.output).await?;
                    storage.rename(&plan.output, &aside, false).await?;
                }
                SinkExists::Archive => {
                    let dir = match &sink.archive_dir {
                        Some(t) => normalize(&t.render(Some(fv)).map_err(Error::Config)?)
                            .map_err(Error::Config)?,
                        None => {
                            return Err(Error::Config(
                                "when_exists = archive needs archive_directory".into(),
                            ))
                        }
                    };
                    moves::archive(storage, &plan.output, &dir, sink.cfg.archive_exists).await?;
                }
            }
        }
        storage.rename(&plan.temp, &plan.output, false).await
    }

    async fn commit_and_finish(
        &self,
        folder: usize,
        input: &str,
        fv: FileValues,
        key: &FileKey,
        plan: &Plan,
    ) -> Result<StreamEnd> {
        let sink = &self.wf.sink;
        let r = moves::with_retries(sink.cfg.post_retries, sink.cfg.post_delay, || {
            self.commit(plan, &fv)
        })
        .await;
        match r {
            Ok(()) => {
                tracing::info!(workflow = %self.wf.name, output = %plan.output, "delivered");
                self.finish(folder, input, fv, key, Ok(())).await
            }
            Err(e) => {
                let _ = sink.storage.delete(&plan.temp).await;
                let msg = match e {
                    Error::Exists(p) => {
                        format!("output '{p}' already exists (when_exists = rollback)")
                    }
                    other => other.to_string(),
                };
                self.finish(folder, input, fv, key, Err(msg)).await
            }
        }
    }

    async fn finish(
        &self,
        folder: usize,
        input: &str,
        fv: FileValues,
        key: &FileKey,
        outcome: std::result::Result<(), String>,
    ) -> Result<StreamEnd> {
        self.coord
            .mark_pending(key, &self.owner, outcome.clone())
            .await?;
        self.complete(folder, input, fv, key, outcome).await
    }

    /// Post-processes the input and records the final status.
    async fn complete(
        &self,
        folder: usize,
        input: &str,
        mut fv: FileValues,
        key: &FileKey,
        outcome: std::result::Result<(), String>,
    ) -> Result<StreamEnd> {
        let (ok, error, gone) = self.post_input(folder, input, &fv, outcome).await;
        if ok {
            self.coord.mark_done(key, &self.owner, gone).await?;
            self.notify(&self.wf.on_success, &fv).await;
            Ok(StreamEnd::Done)
        } else {
            let msg = error.unwrap_or_else(|| "failed".into());
            tracing::warn!(workflow = %self.wf.name, file = %key.path, error = %msg, "stream failed");
            self.coord
                .mark_failure(key, &self.owner, &msg, gone)
                .await?;
            self.status.lock().last_error = Some(format!("{}: {msg}", key.path));
            fv.error = Some(msg);
            self.notify(&self.wf.on_failure, &fv).await;
            Ok(StreamEnd::Failed)
        }
    }

    /// Moves/deletes/keeps the input. Returns (success, error, input gone).
    async fn post_input(
        &self,
        folder: usize,
        input: &str,
        fv: &FileValues,
        outcome: std::result::Result<(), String>,
    ) -> (bool, Option<String>, bool) {
        let source = &self.wf.source;
        let storage = source.storage.as_ref();
        let f = &source.folders[folder];
        let success = outcome.is_ok();
        let err = outcome.err();
        match storage.exists(input).await {
            Ok(false) => return (success, err, true),
            Ok(true) => {}
            Err(e) => {
                return (
                    false,
                    Some(format!(
                        "{}checking the input: {e}",
                        err.map(|m| m + "; ").unwrap_or_default()
                    )),
                    false,
                )
            }
        }
        let (target, after, which) = if success {
            (&f.done, f.setup.on_success, "done")
        } else {
            (&f.error, f.setup.on_failure, "error")
        };
        let retries = source.cfg.post_retries;
        let delay = source.cfg.post_delay;
        let join_err = |m: String| {
            Some(match &err {
                Some(e) => format!("{e}; {m}"),
                None => m,
            })
        };
        match (after, target) {
            (InputAfter::Keep, _) => (success, err, false),
            (InputAfter::Delete, _) | (InputAfter::Move, None) => {
                match moves::with_retries(retries, delay, || storage.delete(input)).await {
                    Ok(()) => (success, err, true),
                    Err(e) => (false, join_err(format!("deleting the input: {e}")), false),
                }
            }
            (InputAfter::Move, Some(t)) => {
                let dest = (|| -> std::result::Result<String, String> {
                    let dir = normalize(&t.dir.render(Some(fv))?)?;
                    let name = decorate(
                        &fv.name,
                        &t.prefix.render(Some(fv))?,
                        &t.suffix.render(Some(fv))?,
                    );
                    Ok(join(&dir, &join(parent(&fv.path), &name)))
                })();
                let dest = match dest {
                    Ok(d) => d,
                    Err(e) => return (false, join_err(format!("{which} directory: {e}")), false),
                };
                let r = moves::with_retries(retries, delay, || async {
                    storage.mkdirs(parent(&dest)).await?;
                    moves::move_with_policy(storage, input, &dest, t.policy).await
                })
                .await;
                match r {
                    Ok(MoveOutcome::Moved(_)) => (success, err, true),
                    Ok(MoveOutcome::FailedKept(p)) => (false, join_err(format!("'{p}' already exists in the {which} directory; the input was left in place")), false),
                    Ok(MoveOutcome::FailedDeleted(p)) => (false, join_err(format!("'{p}' already exists in the {which} directory; the input was deleted")), true),
                    Err(e) => (false, join_err(format!("moving the input to the {which} directory: {e}")), false),
                }
            }
        }
    }

    async fn notify(&self, n: &Option<NotifyRt>, fv: &FileValues) {
        let Some(n) = n else { return };
        let text = match n.message.render(Some(fv)) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(workflow = %self.wf.name, service = %n.service, error = %e, "notification message");
                return;
            }
        };
        if let Err(e) = n.notifier.send(&n.conversation, &text).await {
            tracing::warn!(workflow = %self.wf.name, service = %n.service, error = %e, "notification failed");
        }
    }

    /// Finishes the files this node left in flight (after a crash or a stop).
    async fn resume_owned(&self, shutdown: &CancellationToken) -> Result<usize> {
        let owned = self.coord.owned(&self.owner).await?;
        let mut n = 0;
        for rec in owned.iter().filter(|r| r.key.workflow == self.wf.name) {
            if shutdown.is_cancelled() {
                break;
            }
            n += 1;
            match self.resume(rec, shutdown).await? {
                StreamEnd::Done => self.status.lock().files_done += 1,
                StreamEnd::Failed => self.status.lock().files_failed += 1,
                StreamEnd::Abandoned => break,
            }
        }
        Ok(n)
    }

    async fn resume(&self, rec: &FileRecord, shutdown: &CancellationToken) -> Result<StreamEnd> {
        let Some(folder) = self
            .wf
            .source
            .folders
            .iter()
            .position(|f| f.setup.name == rec.key.folder)
        else {
            self.coord
                .mark_failure(
                    &rec.key,
                    &self.owner,
                    "its folder setup no longer exists",
                    false,
                )
                .await?;
            return Ok(StreamEnd::Failed);
        };
        let f = &self.wf.source.folders[folder];
        let input = join(&f.input, &rec.key.path);
        let entry = self.wf.source.storage.stat(&input).await?;
        let fv = self.values(f, &rec.key.path, entry.as_ref(), rec.size);
        tracing::info!(workflow = %self.wf.name, file = %rec.key.path, status = %rec.status, written = rec.written, "resuming");
        if rec.status == Status::Pending {
            let outcome = match rec.success {
                Some(true) => Ok(()),
                _ => Err(rec.error.clone().unwrap_or_else(|| "failed".into())),
            };
            return self.complete(folder, &input, fv, &rec.key, outcome).await;
        }
        if rec.written {
            if let (Some(temp), Some(output)) = (&rec.temp_path, &rec.output_path) {
                let plan = Plan {
                    output: output.clone(),
                    temp: temp.clone(),
                };
                return self
                    .commit_and_finish(folder, &input, fv, &rec.key, &plan)
                    .await;
            }
        }
        if let Ok(plan) = self.plan(&fv, &rec.key, rec.generation) {
            self.wf.sink.storage.delete(&plan.temp).await?;
        }
        match entry {
            Some(entry) => {
                let cand = Candidate {
                    folder,
                    entry,
                    rel: rec.key.path.clone(),
                };
                self.stream(&cand, rec, shutdown).await
            }
            None => {
                self.coord
                    .mark_failure(
                        &rec.key,
                        &self.owner,
                        "the input disappeared before it was processed",
                        true,
                    )
                    .await?;
                Ok(StreamEnd::Failed)
            }
        }
    }

    /// Deletes leftover temporary files of this workflow's sink (interrupted writes).
    pub async fn cleanup_temps(&self) -> Result<usize> {
        let sink = &self.wf.sink;
        let dir = match &sink.temp_dir {
            Some(t) => t.render(None),
            None => sink.directory.render(None),
        };
        let Ok(dir) = dir.and_then(|d| normalize(&d)) else {
            return Ok(0);
        };
        let (prefix, suffix) = (&sink.cfg.temp_prefix, &sink.cfg.temp_suffix);
        let records = self
            .coord
            .list(&Filter {
                workflow: Some(self.wf.name.clone()),
                ..Default::default()
            })
            .await?;
        let now = crate::coordinator::now_ms();
        let referenced: HashSet<&str> = records
            .iter()
            .filter(|r| r.status.in_flight())
            .filter_map(|r| r.temp_path.as_deref())
            .collect();
        let others_live = records.iter().any(|r| {
            r.status.in_flight()
                && r.owner.as_deref() != Some(self.owner.as_str())
                && r.lease_until.is_some_and(|l| l > now)
        });
        let mut n = 0;
        for e in sink.storage.list(&dir, false).await? {
            let name = e.name();
            if name.len() <= prefix.len() + suffix.len()
                || !name.starts_with(prefix.as_str())
                || !name.ends_with(suffix.as_str())
            {
                continue;
            }
            if referenced.contains(e.path.as_str()) {
                continue;
            }
            let old = SystemTime::now()
                .duration_since(e.modified)
                .unwrap_or_default()
                > self.lease;
            if others_live && !old {
                continue;
            }
            tracing::info!(workflow = %self.wf.name, temp = %e.path, "removing a leftover temporary file");
            sink.storage.delete(&e.path).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Runs housekeeping that is due (or all of it with `force`).
    pub async fn housekeeping(&mut self, force: bool) {
        let now = SystemTime::now();
        for i in 0..self.wf.source.folders.len() {
            let f = &self.wf.source.folders[i];
            let Some(h) = &f.setup.housekeeping else {
                continue;
            };
            if !force && self.folder_hk_next[i].is_none_or(|t| t > now) {
                continue;
            }
            let storage = self.wf.source.storage.clone();
            let mut dirs = vec![(Some(f.input.clone()), h.input)];
            for (t, age) in [(&f.done, h.done), (&f.error, h.error)] {
                dirs.push((
                    t.as_ref()
                        .and_then(|t| t.dir.render(None).ok())
                        .and_then(|d| normalize(&d).ok()),
                    age,
                ));
            }
            for (dir, age) in dirs {
                if let (Some(dir), Some(age)) = (dir, age) {
                    delete_older(storage.as_ref(), &dir, age, &self.wf.name).await;
                }
            }
            self.folder_hk_next[i] = h.schedule.next_after(now);
        }
        if let Some(h) = &self.wf.sink.cfg.housekeeping {
            if force || self.sink_hk_next.is_some_and(|t| t <= now) {
                let sink = &self.wf.sink;
                let out = sink
                    .directory
                    .render(None)
                    .ok()
                    .and_then(|d| normalize(&d).ok());
                let arch = sink
                    .archive_dir
                    .as_ref()
                    .and_then(|t| t.render(None).ok())
                    .and_then(|d| normalize(&d).ok());
                for (dir, age) in [(out, h.output), (arch, h.archive)] {
                    if let (Some(dir), Some(age)) = (dir, age) {
                        delete_older(sink.storage.as_ref(), &dir, age, &self.wf.name).await;
                    }
                }
                self.sink_hk_next = h.schedule.next_after(now);
            }
        }
    }
}

async fn delete_older(
    storage: &dyn crate::storage::Storage,
    dir: &str,
    age: Duration,
    workflow: &str,
) {
    let now = SystemTime::now();
    match storage.list(dir, true).await {
        Ok(entries) => {
            for e in entries {
                if now.duration_since(e.modified).unwrap_or_default() > age {
                    tracing::info!(workflow, file = %e.path, "housekeeping: deleting");
                    if let Err(err) = storage.delete(&e.path).await {
                        tracing::warn!(workflow, file = %e.path, error = %err, "housekeeping: delete failed");
                    }
                }
            }
        }
        Err(err) => tracing::warn!(workflow, dir, error = %err, "housekeeping: listing failed"),
    }
}
