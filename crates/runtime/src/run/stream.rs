//! One stream: read the input, process it, write the output under a temporary name, move it
//! into place, post-process the input, record the outcome, notify; and resuming a stream a
//! previous run left in flight.

use tokio_util::sync::CancellationToken;

use super::config::NotifyRt;
use super::moves::{self, MoveOutcome};
use super::status::WorkflowState;
use super::workflow::{Candidate, Plan, Runner, StreamEnd};
use crate::coordinator::{FileKey, FileRecord, Status};
use crate::macros::FileValues;
use crate::model::{InputAfter, SinkExists};
use crate::naming::{decorate, join, normalize, parent};
use crate::storage::Entry;
use crate::{Error, Result};

/// How often an existing output is set aside before a stream gives up (other streams may
/// take the freed or the free name meanwhile).
const SET_ASIDE_ATTEMPTS: usize = 16;

/// A random pause before attempt `n` at a contended name, so streams racing for it spread out.
pub(super) async fn contention_pause(n: usize) {
    let ms = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=20 * n as u64);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

impl Runner {
    pub(super) async fn stream(
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
            r = self.write_placed(&cand.entry, &fv, &plan) => Some(r),
            _ = shutdown.cancelled() => None,
        };
        let sink = self.wf.sink.storage.clone();
        // A direct write leaves nothing behind when it fails or stops (an upload commits only
        // once complete), and what is under the output name may be another file's.
        let direct = plan.direct();
        match written {
            None => {
                if !direct {
                    let _ = sink.delete(&plan.temp).await;
                }
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
                if !direct {
                    let _ = sink.delete(&plan.temp).await;
                }
                let msg = self.write_error(e);
                self.finish(cand.folder, &cand.entry.path, fv, &rec.key, Err(msg))
                    .await
            }
        }
    }

    /// The message of a failed write or commit.
    fn write_error(&self, e: Error) -> String {
        match e {
            Error::Exists(p) if self.wf.sink.cfg.when_exists == SinkExists::Rollback => {
                format!("output '{p}' already exists (when_exists = rollback)")
            }
            Error::Exists(p) => format!(
                "output '{p}' was still taken after {SET_ASIDE_ATTEMPTS} attempts to set the existing file aside \
                 (files in flight kept taking the name: make the output names unique, or lower files_in_flight)"
            ),
            other => other.to_string(),
        }
    }

    /// Writes the output: under its temporary name, or (direct writes) under its final name
    /// with the sink's when-exists policy applied to a file already there.
    async fn write_placed(&self, input: &Entry, fv: &FileValues, plan: &Plan) -> Result<u64> {
        if !plan.direct() {
            return self.write_output(input, fv, plan, false).await;
        }
        let sink = &self.wf.sink;
        if sink.cfg.when_exists == SinkExists::Replace {
            return self.write_output(input, fv, plan, false).await;
        }
        let mut attempts = 0;
        loop {
            match self.write_output(input, fv, plan, true).await {
                Err(Error::Exists(p)) if sink.cfg.when_exists != SinkExists::Rollback => {
                    attempts += 1;
                    if attempts > SET_ASIDE_ATTEMPTS {
                        return Err(Error::Exists(p));
                    }
                    self.set_aside(&plan.output, fv).await?;
                    contention_pause(attempts).await;
                }
                other => return other,
            }
        }
    }

    /// Writes the input (through the command, if any, which never writes directly) to the
    /// plan's temporary name; `new` refuses an existing file
    /// ([`crate::storage::Storage::write_new`]).
    async fn write_output(
        &self,
        input: &Entry,
        fv: &FileValues,
        plan: &Plan,
        new: bool,
    ) -> Result<u64> {
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
        let mut reader = self.wf.source.storage.open(input).await?;
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
            None if new => sink.storage.write_new(&plan.temp, &mut reader).await,
            None => sink.storage.write(&plan.temp, &mut reader).await,
        }
    }

    /// Moves an existing output out of the way under the counter, timestamp or archive
    /// policy.
    async fn set_aside(&self, output: &str, fv: &FileValues) -> Result<()> {
        let sink = &self.wf.sink;
        let storage = sink.storage.as_ref();
        match sink.cfg.when_exists {
            SinkExists::Rollback | SinkExists::Replace => Err(Error::Exists(output.to_string())),
            SinkExists::Counter | SinkExists::Timestamp => {
                // Another stream may take the free name first: look for the next one then.
                for attempt in 0..SET_ASIDE_ATTEMPTS {
                    if attempt > 0 {
                        contention_pause(attempt).await;
                    }
                    let aside = if sink.cfg.when_exists == SinkExists::Counter {
                        moves::free_counter(storage, output).await?
                    } else {
                        moves::free_timestamp(storage, output).await?
                    };
                    match storage.rename(output, &aside, false).await {
                        Err(Error::Exists(_)) => continue,
                        // Someone else moved it away already: the name is free.
                        Err(Error::Missing(_)) => return Ok(()),
                        other => return other,
                    }
                }
                Err(Error::Exists(output.to_string()))
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
                match moves::archive(storage, output, &dir, sink.cfg.archive_exists).await {
                    Err(Error::Missing(_)) => Ok(()),
                    other => other.map(|_| ()),
                }
            }
        }
    }

    /// Moves the temporary output into place under the sink's policy. Idempotent: a missing
    /// temporary file with the output present means a previous run already did it. A direct
    /// write is already in place.
    async fn commit(&self, plan: &Plan, fv: &FileValues) -> Result<()> {
        if plan.direct() {
            return Ok(());
        }
        let sink = &self.wf.sink;
        let storage = sink.storage.as_ref();
        // Try the move first: it refuses a taken name itself, so the usual case costs one
        // request and a race with another stream is never lost.
        for attempt in 0..=SET_ASIDE_ATTEMPTS {
            if attempt > 0 {
                contention_pause(attempt).await;
            }
            match storage.rename(&plan.temp, &plan.output, false).await {
                Ok(()) => return Ok(()),
                Err(Error::Missing(_)) => {
                    return if storage.exists(&plan.output).await? {
                        Ok(())
                    } else {
                        Err(Error::Config(format!(
                            "the temporary output '{}' vanished",
                            plan.temp
                        )))
                    };
                }
                Err(Error::Exists(_)) => {}
                Err(e) => return Err(e),
            }
            match sink.cfg.when_exists {
                SinkExists::Rollback => {
                    storage.delete(&plan.temp).await?;
                    return Err(Error::Exists(plan.output.clone()));
                }
                SinkExists::Replace => return storage.rename(&plan.temp, &plan.output, true).await,
                _ => self.set_aside(&plan.output, fv).await?,
            }
        }
        Err(Error::Exists(plan.output.clone()))
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
                if !plan.direct() {
                    let _ = sink.storage.delete(&plan.temp).await;
                }
                let msg = self.write_error(e);
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
            // No look before: a move or delete of an input that is gone says so itself.
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
                    Err(Error::Missing(_)) => (success, err, true),
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

    pub(super) async fn resume(
        &self,
        rec: &FileRecord,
        shutdown: &CancellationToken,
    ) -> Result<StreamEnd> {
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
            // A direct write is not deleted: the name may hold another file's output (the
            // repeated write recognises its own content).
            if !plan.direct() {
                self.wf.sink.storage.delete(&plan.temp).await?;
            }
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
}
