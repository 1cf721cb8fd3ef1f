//! The runtime form of a workflow: assets with their static macros resolved and their
//! storages opened.

use std::sync::Arc;
use std::time::Duration;

use crate::macros::{self, StaticValues, Template};
use crate::model::*;
use crate::notify::Notifier;
use crate::storage::Storage;
use crate::{Error, Result};

/// Parses and resolves the static macros of one setting.
pub(crate) fn resolve(
    values: &StaticValues<'_>,
    asset: &AssetId,
    field: &str,
    text: &str,
) -> Result<Template> {
    let t =
        macros::parse(text).map_err(|e| Error::Config(format!("{asset}, field '{field}': {e}")))?;
    t.resolve_static(values)
        .map_err(|e| Error::Config(format!("{asset}, field '{field}': {}", e.join("; "))))
}

/// Resolves a setting that must not contain per-file macros, to plain text (`date` is
/// evaluated now).
pub(crate) fn resolve_text(
    values: &StaticValues<'_>,
    asset: &AssetId,
    field: &str,
    text: &str,
) -> Result<String> {
    resolve(values, asset, field, text)?
        .render(None)
        .map_err(|e| Error::Config(format!("{asset}, field '{field}': {e}")))
}

/// A done or error directory.
#[derive(Debug, Clone)]
pub(crate) struct TargetRt {
    pub dir: Template,
    pub prefix: Template,
    pub suffix: Template,
    pub policy: ExistsPolicy,
}

/// A folder setup.
#[derive(Debug, Clone)]
pub(crate) struct FolderRt {
    pub setup: FolderSetup,
    pub input: String,
    pub done: Option<TargetRt>,
    pub error: Option<TargetRt>,
}

/// A source.
#[derive(Debug, Clone)]
pub(crate) struct SourceRt {
    pub cfg: Source,
    pub storage: Arc<dyn Storage>,
    pub folders: Vec<FolderRt>,
}

/// A sink.
#[derive(Debug, Clone)]
pub(crate) struct SinkRt {
    pub cfg: Sink,
    pub storage: Arc<dyn Storage>,
    pub directory: Template,
    pub file_name: Template,
    pub prefix: Template,
    pub suffix: Template,
    pub temp_dir: Option<Template>,
    pub archive_dir: Option<Template>,
}

/// A notification.
#[derive(Debug, Clone)]
pub(crate) struct NotifyRt {
    pub service: String,
    pub notifier: Arc<dyn Notifier>,
    pub conversation: String,
    pub message: Template,
}

/// A workflow ready to run.
#[derive(Debug, Clone)]
pub(crate) struct WorkflowRt {
    pub name: String,
    pub source: SourceRt,
    pub sink: SinkRt,
    pub command: Option<(Vec<Template>, Option<Duration>)>,
    pub on_success: Option<NotifyRt>,
    pub on_failure: Option<NotifyRt>,
    /// Files taken through at once.
    pub files_in_flight: usize,
    /// MiB of files in flight together.
    pub mib_in_flight: u32,
    /// The caps of files in flight of the connections the workflow uses (sorted by connection
    /// name, so two workflows never wait for each other's slots in opposite orders).
    pub connection_slots: Vec<Arc<tokio::sync::Semaphore>>,
}

fn target(
    values: &StaticValues<'_>,
    id: &AssetId,
    base: &str,
    which: &str,
    t: &MoveTarget,
) -> Result<TargetRt> {
    Ok(TargetRt {
        dir: resolve(values, id, &format!("{base}.{which}"), &t.dir)?,
        prefix: resolve(values, id, &format!("{base}.{which}_prefix"), &t.prefix)?,
        suffix: resolve(values, id, &format!("{base}.{which}_suffix"), &t.suffix)?,
        policy: t.when_exists,
    })
}

pub(crate) fn source_rt(
    values: &StaticValues<'_>,
    cfg: &Source,
    storage: Arc<dyn Storage>,
) -> Result<SourceRt> {
    let id = &cfg.meta.id;
    let mut folders = Vec::new();
    for f in &cfg.folders {
        let base = format!("folders.{}", f.name);
        let input = resolve_text(values, id, &format!("{base}.input"), &f.input)?;
        let input = crate::naming::normalize(&input)
            .map_err(|e| Error::Config(format!("{id}, field '{base}.input': {e}")))?;
        folders.push(FolderRt {
            setup: f.clone(),
            input,
            done: f
                .done
                .as_ref()
                .map(|t| target(values, id, &base, "done", t))
                .transpose()?,
            error: f
                .error
                .as_ref()
                .map(|t| target(values, id, &base, "error", t))
                .transpose()?,
        });
    }
    Ok(SourceRt {
        cfg: cfg.clone(),
        storage,
        folders,
    })
}

pub(crate) fn sink_rt(
    values: &StaticValues<'_>,
    cfg: &Sink,
    storage: Arc<dyn Storage>,
) -> Result<SinkRt> {
    let id = &cfg.meta.id;
    Ok(SinkRt {
        directory: resolve(values, id, "directory", &cfg.directory)?,
        file_name: resolve(values, id, "file_name", &cfg.file_name)?,
        prefix: resolve(values, id, "prefix", &cfg.prefix)?,
        suffix: resolve(values, id, "suffix", &cfg.suffix)?,
        temp_dir: cfg
            .temp_dir
            .as_ref()
            .map(|t| resolve(values, id, "temp_directory", t))
            .transpose()?,
        archive_dir: cfg
            .archive_dir
            .as_ref()
            .map(|t| resolve(values, id, "archive_directory", t))
            .transpose()?,
        cfg: {
            let mut c = cfg.clone();
            c.temp_prefix = resolve_text(values, id, "temp_prefix", &cfg.temp_prefix)?;
            c.temp_suffix = resolve_text(values, id, "temp_suffix", &cfg.temp_suffix)?;
            c
        },
        storage,
    })
}
