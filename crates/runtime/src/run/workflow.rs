//! One workflow's runner: polls its source, takes files through the coordinator, writes them
//! to the sink (temp name, then move into place), post-processes the input, notifies.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::stream::{FuturesUnordered, StreamExt};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::config::{FolderRt, WorkflowRt};
use super::status::{rfc3339, WorkflowState, WorkflowStatus};
use crate::coordinator::{Acquire, AcquireRequest, Coordinator, FileKey};
use crate::macros::FileValues;
use crate::model::{Ordering, Polling};
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
pub(super) struct Observation {
    size: u64,
    modified: SystemTime,
    since: SystemTime,
}

#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) folder: usize,
    pub(super) entry: Entry,
    pub(super) rel: String,
}

/// What taking one candidate came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taken {
    /// It went through the workflow (`recovered`: resumed from an earlier run's record).
    Ended { end: StreamEnd, recovered: bool },
    /// Waiting for clearance.
    Waiting,
    /// Another live node holds it.
    Busy,
    /// Already processed.
    Processed,
}

/// Room held for a file in flight: its bytes and a slot of each connection's cap.
#[derive(Debug)]
struct Room {
    _bytes: Option<OwnedSemaphorePermit>,
    _connections: Vec<Option<OwnedSemaphorePermit>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamEnd {
    Done,
    Failed,
    Abandoned,
}

/// Where a stream writes: its final name, and the temporary name it is written under first
/// (the same name when the sink writes directly, see [`Runner::direct_writes`]).
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) output: String,
    pub(super) temp: String,
}

impl Plan {
    /// The output is written under its final name (no temporary name, nothing to move).
    pub(super) fn direct(&self) -> bool {
        self.temp == self.output
    }
}

/// Runs one workflow.
#[derive(Debug)]
pub(crate) struct Runner {
    pub wf: WorkflowRt,
    pub(super) coord: Arc<dyn Coordinator>,
    pub(super) owner: String,
    pub(super) lease: Duration,
    backoff: Mutex<Backoff>,
    throttle: Mutex<Throttle>,
    /// The bytes in flight (`mib_in_flight`), in KiB permits.
    bytes: Arc<Semaphore>,
    bytes_kib: u32,
    seen: HashMap<(usize, String), Observation>,
    started: bool,
    pub(super) folder_hk_next: Vec<Option<SystemTime>>,
    pub(super) sink_hk_next: Option<SystemTime>,
    relist: bool,
    pub status: Arc<Mutex<WorkflowStatus>>,
}

impl Runner {
    pub(super) fn new(
        wf: WorkflowRt,
        coord: Arc<dyn Coordinator>,
        owner: String,
        lease: Duration,
    ) -> Self {
        let backoff = Backoff::new(wf.source.cfg.backoff.clone());
        let throttle = Throttle::new(wf.source.cfg.max_streams, wf.source.cfg.max_streams_period);
        let status = Arc::new(Mutex::new(WorkflowStatus::new(&wf.name)));
        let folders = wf.source.folders.len();
        let bytes_kib = wf.mib_in_flight.max(1).saturating_mul(1024);
        Self {
            wf,
            coord,
            owner,
            lease,
            backoff: Mutex::new(backoff),
            throttle: Mutex::new(throttle),
            bytes: Arc::new(Semaphore::new(bytes_kib as usize)),
            bytes_kib,
            seen: HashMap::new(),
            started: false,
            folder_hk_next: vec![None; folders],
            sink_hk_next: None,
            relist: true,
            status,
        }
    }

    pub(super) fn set_state(&self, state: WorkflowState) {
        self.status.lock().state = state;
    }

    /// Polls until stopped.
    pub(super) async fn run(&mut self, shutdown: &CancellationToken) {
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
    pub(super) async fn poll(&mut self, shutdown: &CancellationToken) -> Result<PollReport> {
        let mut report = PollReport::default();
        if !self.started {
            self.resume_owned(shutdown, &mut report).await?;
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
        self.take_all(candidates, shutdown, &mut report).await?;
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

    pub(super) fn key(&self, cand: &Candidate) -> FileKey {
        FileKey {
            workflow: self.wf.name.clone(),
            source: self.wf.source.cfg.meta.id.name.clone(),
            folder: self.wf.source.folders[cand.folder].setup.name.clone(),
            path: cand.rel.clone(),
        }
    }

    /// Takes the candidates through the workflow, up to `files_in_flight` at once (and as many
    /// bytes as `mib_in_flight` allows, and as the connections' caps allow). Files start in the
    /// source's order; with more than one in flight they may finish in another. New files stop
    /// starting on backoff, throttle, shutdown or an abandoned stream; those in flight finish.
    async fn take_all(
        &self,
        candidates: Vec<Candidate>,
        shutdown: &CancellationToken,
        report: &mut PollReport,
    ) -> Result<()> {
        let limit = self.wf.files_in_flight.max(1);
        let mut pending = candidates.into_iter();
        let mut running = FuturesUnordered::new();
        let mut stop = false;
        let mut error = None;
        loop {
            while !stop && running.len() < limit {
                let Some(cand) = pending.next() else { break };
                if shutdown.is_cancelled() {
                    stop = true;
                    break;
                }
                let now = SystemTime::now();
                if let Some(until) = self.backoff.lock().blocked_until(now) {
                    report.blocked_until = Some(until);
                    self.set_state(WorkflowState::BackingOff(rfc3339(until)));
                    stop = true;
                    break;
                }
                {
                    let mut throttle = self.throttle.lock();
                    if let Err(until) = throttle.check(now) {
                        report.blocked_until = Some(until);
                        self.set_state(WorkflowState::Throttled(rfc3339(until)));
                        stop = true;
                        break;
                    }
                    // Reserved now, so files in flight cannot overrun the throttle; taken back
                    // if the file does not start.
                    throttle.record(now);
                }
                running.push(self.take(cand, now, shutdown));
            }
            let Some(taken) = running.next().await else {
                break;
            };
            let now = SystemTime::now();
            match taken {
                Ok(Taken::Waiting) => report.waiting += 1,
                Ok(Taken::Busy) => report.busy += 1,
                Ok(Taken::Processed) => {}
                Ok(Taken::Ended { end, recovered }) => {
                    report.recovered += usize::from(recovered);
                    match end {
                        StreamEnd::Done => {
                            report.done += 1;
                            self.backoff.lock().success(now);
                            self.status.lock().files_done += 1;
                        }
                        StreamEnd::Failed => {
                            report.failed += 1;
                            let delay = self.backoff.lock().failure(now);
                            tracing::info!(workflow = %self.wf.name, delay = %humantime::format_duration(delay), "backing off after a failure");
                            self.status.lock().files_failed += 1;
                            if let Some(until) = self.backoff.lock().blocked_until(now) {
                                report.blocked_until = Some(until);
                                self.set_state(WorkflowState::BackingOff(rfc3339(until)));
                                stop = true;
                            }
                        }
                        StreamEnd::Abandoned => {
                            report.abandoned += 1;
                            stop = true;
                        }
                    }
                }
                Err(e) => {
                    stop = true;
                    error.get_or_insert(e);
                }
            }
        }
        error.map_or(Ok(()), Err)
    }

    /// One candidate: waits for room (bytes, connection caps), asks the coordinator, and takes
    /// the file through the workflow if it is this node's to take. `reserved` is the time of
    /// its throttle reservation.
    async fn take(
        &self,
        cand: Candidate,
        reserved: SystemTime,
        shutdown: &CancellationToken,
    ) -> Result<Taken> {
        let unreserve = || self.throttle.lock().unrecord(reserved);
        let _room = self.room(cand.entry.size).await;
        let request = AcquireRequest {
            key: self.key(&cand),
            fingerprint: cand.entry.fingerprint(),
            size: cand.entry.size,
            owner: self.owner.clone(),
            lease: self.lease,
            reprocessing: self.wf.source.cfg.reprocessing,
            clearance: self.wf.source.cfg.wait_for_clearance,
        };
        let acquired = match self.coord.acquire(&request).await {
            Ok(a) => a,
            Err(e) => {
                unreserve();
                return Err(e);
            }
        };
        let (end, recovered) = match acquired {
            Acquire::Acquired(rec) => (
                self.tracked(self.stream(&cand, &rec, shutdown)).await?,
                false,
            ),
            Acquire::Resume(rec) => (self.tracked(self.resume(&rec, shutdown)).await?, true),
            other => {
                unreserve();
                return Ok(match other {
                    Acquire::WaitingForClearance => Taken::Waiting,
                    Acquire::Busy => Taken::Busy,
                    _ => Taken::Processed,
                });
            }
        };
        Ok(Taken::Ended { end, recovered })
    }

    /// Runs a stream, counted in the status's files in flight.
    async fn tracked(
        &self,
        stream: impl std::future::Future<Output = Result<StreamEnd>>,
    ) -> Result<StreamEnd> {
        self.status.lock().files_in_flight += 1;
        let r = stream.await;
        self.status.lock().files_in_flight -= 1;
        r
    }

    /// Waits until a file of `size` bytes fits in the bytes in flight and in the caps of the
    /// workflow's connections; the room is held as long as the returned value lives.
    async fn room(&self, size: u64) -> Room {
        let kib = u32::try_from(size.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.bytes_kib);
        let bytes = self.bytes.clone().acquire_many_owned(kib).await.ok();
        let mut connections = Vec::with_capacity(self.wf.connection_slots.len());
        for slots in &self.wf.connection_slots {
            connections.push(slots.clone().acquire_owned().await.ok());
        }
        Room {
            _bytes: bytes,
            _connections: connections,
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

    pub(super) fn values(
        &self,
        folder: &FolderRt,
        rel: &str,
        entry: Option<&Entry>,
        size: u64,
    ) -> FileValues {
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

    pub(super) fn plan(
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
        if self.direct_writes() {
            return Ok(Plan {
                temp: output.clone(),
                output,
            });
        }
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

    /// Whether the sink writes outputs under their final names: its storage commits writes
    /// atomically (a Graph drive), `direct_writes` is on, no temporary directory is set and
    /// there is no command (whose exit status is only known once its output is written).
    pub(super) fn direct_writes(&self) -> bool {
        let sink = &self.wf.sink;
        sink.storage.atomic_writes()
            && sink.cfg.direct_writes
            && sink.temp_dir.is_none()
            && self.wf.command.is_none()
    }

    /// Finishes the files this node left in flight (after a crash or a stop).
    async fn resume_owned(
        &self,
        shutdown: &CancellationToken,
        report: &mut PollReport,
    ) -> Result<()> {
        let owned = self.coord.owned(&self.owner).await?;
        for rec in owned.iter().filter(|r| r.key.workflow == self.wf.name) {
            if shutdown.is_cancelled() {
                break;
            }
            report.recovered += 1;
            match self.resume(rec, shutdown).await? {
                StreamEnd::Done => {
                    report.done += 1;
                    self.status.lock().files_done += 1;
                }
                StreamEnd::Failed => {
                    report.failed += 1;
                    self.status.lock().files_failed += 1;
                }
                StreamEnd::Abandoned => {
                    report.abandoned += 1;
                    break;
                }
            }
        }
        Ok(())
    }
}
