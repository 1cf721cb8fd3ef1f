//! Upkeep of a workflow: leftover temporary files and housekeeping.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use super::workflow::Runner;
use crate::coordinator::Filter;
use crate::naming::normalize;
use crate::Result;

impl Runner {
    /// Deletes leftover temporary files of this workflow's sink (interrupted writes).
    pub(super) async fn cleanup_temps(&self) -> Result<usize> {
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
    pub(super) async fn housekeeping(&mut self, force: bool) {
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
