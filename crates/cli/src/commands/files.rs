//! File commands: `ls | stat | get | put | cat | mkdir | mv | rm | cp` on drive locations.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use futures::StreamExt;
use graphlink_graph::{
    is_folder, ConflictBehavior, DriveClient, DriveItem, GraphClient, ItemRef, NoProgress,
    TreeOptions, TreeReport, UploadOptions,
};
use serde_json::json;

use crate::args::FileCommand;
use crate::connection::Connection;
use crate::exit;
use crate::location::Location;
use crate::output::Output;
use crate::progress::Bars;

/// Runs a file command.
pub(super) async fn run(
    command: FileCommand,
    conn: Connection,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let graph = conn.graph()?;
    match command {
        FileCommand::Ls {
            location,
            recursive,
        } => ls(&graph, &location, recursive, out).await,
        FileCommand::Stat { location } => {
            let (drive, path) = remote(&graph, &location).await?;
            let item = drive.get(&ItemRef::path(&path)).await?;
            out.result(&item_json(&item, &path), || describe(&item, &path));
            Ok(ExitCode::SUCCESS)
        }
        FileCommand::Cat { location } => {
            let (drive, path) = remote(&graph, &location).await?;
            let mut stdout = tokio::io::stdout();
            drive
                .download(&ItemRef::path(&path), &mut stdout, &NoProgress)
                .await?;
            Ok(ExitCode::SUCCESS)
        }
        FileCommand::Mkdir { location } => {
            let (drive, path) = remote(&graph, &location).await?;
            let item = drive.create_folder_all(&path).await?;
            out.result(&item_json(&item, &path), || format!("created {path}/"));
            Ok(ExitCode::SUCCESS)
        }
        FileCommand::Rm {
            location,
            recursive,
        } => {
            let (drive, path) = remote(&graph, &location).await?;
            if path.is_empty() {
                bail!("refusing to delete the root of a drive");
            }
            let item = drive.get(&ItemRef::path(&path)).await?;
            if is_folder(&item) && !recursive {
                bail!("{path} is a folder: pass -r to delete it with everything in it");
            }
            drive.delete(&ItemRef::id(item.id.clone()), None).await?;
            out.result(&json!({"deleted": path}), || format!("deleted {path}"));
            Ok(ExitCode::SUCCESS)
        }
        FileCommand::Mv { source, dest } => {
            let (drive, from) = remote(&graph, &source).await?;
            let (dest_drive, to) = remote(&graph, &dest).await?;
            if dest_drive.id() != drive.id() {
                bail!("mv works inside one drive: use cp, then rm, to move across drives");
            }
            let (parent, name) = target_in(&drive, &to, file_name(&from)).await?;
            let item = drive
                .move_item(&ItemRef::path(&from), Some(&parent), Some(&name), None)
                .await?;
            out.result(&item_json(&item, &to), || format!("moved {from} -> {to}"));
            Ok(ExitCode::SUCCESS)
        }
        FileCommand::Cp { source, dest } => {
            let (drive, from) = remote(&graph, &source).await?;
            let (dest_drive, to) = remote(&graph, &dest).await?;
            let (parent, name) = target_in(&dest_drive, &to, file_name(&from)).await?;
            let new_id = drive
                .copy(
                    &ItemRef::path(&from),
                    &dest_drive,
                    &parent,
                    Some(&name),
                    None,
                )
                .await?;
            out.result(&json!({"copied": from, "to": to, "id": new_id}), || {
                format!("copied {from} -> {to}")
            });
            Ok(ExitCode::SUCCESS)
        }
        FileCommand::Get {
            source,
            dest,
            recursive,
            transfers,
        } => get(&graph, &source, &dest, recursive, transfers, out).await,
        FileCommand::Put {
            source,
            dest,
            recursive,
            transfers,
            conflict,
        } => {
            put(
                &graph,
                &source,
                &dest,
                recursive,
                transfers,
                conflict.into(),
                out,
            )
            .await
        }
    }
}

async fn remote(graph: &GraphClient, location: &str) -> anyhow::Result<(DriveClient, String)> {
    match Location::parse(location)? {
        Location::Remote { drive, path } => {
            let client = graph
                .drive(&drive)
                .await
                .with_context(|| format!("resolving {drive}"))?;
            Ok((client, path))
        }
        Location::Local(_) => bail!(
            "`{location}` is a local path; this argument needs a drive location such as onedrive:/path or \
             sharepoint://host/sites/Site/Library/path"
        ),
    }
}

/// Where `dest` puts an item: inside `dest` when it is an existing folder (keeping `name`),
/// else at `dest` itself.
async fn target_in(
    drive: &DriveClient,
    dest: &str,
    name: &str,
) -> anyhow::Result<(ItemRef, String)> {
    if dest.is_empty() {
        return Ok((ItemRef::Root, name.to_string()));
    }
    if let Some(existing) = drive.try_get(&ItemRef::path(dest)).await? {
        if is_folder(&existing) {
            return Ok((ItemRef::id(existing.id), name.to_string()));
        }
    }
    let (parent, leaf) = match dest.rsplit_once('/') {
        Some((p, l)) => (ItemRef::path(p), l.to_string()),
        None => (ItemRef::Root, dest.to_string()),
    };
    Ok((parent, leaf))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

async fn ls(
    graph: &GraphClient,
    location: &str,
    recursive: bool,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let (drive, path) = remote(graph, location).await?;
    let here = ItemRef::path(&path);
    let item = drive.get(&here).await?;
    if !is_folder(&item) {
        out.result(&item_json(&item, &path), || line(&item, &path));
        return Ok(ExitCode::SUCCESS);
    }
    let folder = ItemRef::id(item.id.clone());
    if recursive {
        let mut walk = drive.walk(&folder);
        while let Some(entry) = walk.next().await {
            let entry = entry?;
            let shown = join(&path, &entry.relative_path);
            out.result(&item_json(&entry.item, &shown), || {
                line(&entry.item, &entry.relative_path)
            });
        }
    } else {
        let mut children = drive.children(&folder);
        while let Some(child) = children.next().await {
            let child = child?;
            let shown = join(&path, name_of(&child));
            out.result(&item_json(&child, &shown), || line(&child, name_of(&child)));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn join(base: &str, rel: &str) -> String {
    if base.is_empty() {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    }
}

async fn get(
    graph: &GraphClient,
    source: &str,
    dest: &Path,
    recursive: bool,
    transfers: usize,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let (drive, path) = remote(graph, source).await?;
    let item = drive.get(&ItemRef::path(&path)).await?;
    if is_folder(&item) {
        if !recursive {
            bail!("{path} is a folder: pass -r to download it with everything in it");
        }
        let bars = Bars::new(out.progress_bars(), None);
        let options = TreeOptions {
            concurrency: transfers.max(1),
            ..TreeOptions::default()
        };
        let report = drive
            .download_dir(&ItemRef::id(item.id.clone()), dest, &options, &bars)
            .await;
        bars.finish();
        return tree_result(report?, &path, &dest.display().to_string(), out);
    }
    let target = if dest.is_dir() {
        dest.join(name_of(&item))
    } else {
        dest.to_path_buf()
    };
    let bars = Bars::new(out.progress_bars(), item.size);
    let result = drive.download_item_to_file(&item, &target, &bars).await;
    bars.finish();
    result?;
    out.result(
        &json!({"downloaded": path, "to": target, "size": item.size, "quickXorHash": quick_xor(&item)}),
        || format!("downloaded {path} -> {} ({} bytes, hash verified)", target.display(), item.size.unwrap_or(0)),
    );
    Ok(ExitCode::SUCCESS)
}

async fn put(
    graph: &GraphClient,
    source: &Path,
    dest: &str,
    recursive: bool,
    transfers: usize,
    conflict: ConflictBehavior,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let (drive, path) = remote(graph, dest).await?;
    let meta = tokio::fs::metadata(source)
        .await
        .with_context(|| format!("reading {}", source.display()))?;
    if meta.is_dir() {
        if !recursive {
            bail!(
                "{} is a folder: pass -r to upload it with everything in it",
                source.display()
            );
        }
        let bars = Bars::new(out.progress_bars(), None);
        let options = TreeOptions {
            concurrency: transfers.max(1),
            conflict,
        };
        let report = drive.upload_dir(source, &path, &options, &bars).await;
        bars.finish();
        return tree_result(report?, &source.display().to_string(), &path, out);
    }
    let name = source
        .file_name()
        .and_then(|n| n.to_str())
        .context("the file name is not valid UTF-8")?;
    let (parent, leaf) = if dest.ends_with('/') || path.is_empty() {
        let parent = if path.is_empty() {
            ItemRef::Root
        } else {
            ItemRef::path(&path)
        };
        (parent, name.to_string())
    } else {
        target_in(&drive, &path, name).await?
    };
    // Like `cp` to a new folder: missing parent folders are created.
    let parent = match parent {
        ItemRef::Path(p) => ItemRef::id(drive.create_folder_all(&p).await?.id),
        other => other,
    };
    let bars = Bars::new(out.progress_bars(), Some(meta.len()));
    let result = drive
        .upload_file(&parent, &leaf, source, &UploadOptions { conflict }, &bars)
        .await;
    bars.finish();
    let item = result?;
    let shown = item_path(&item);
    out.result(&item_json(&item, &shown), || {
        format!(
            "uploaded {} -> {shown} ({} bytes, hash verified)",
            source.display(),
            meta.len()
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn tree_result(report: TreeReport, from: &str, to: &str, out: Output) -> anyhow::Result<ExitCode> {
    let failures: Vec<_> = report
        .failures
        .iter()
        .map(|(p, e)| json!({"path": p, "error": format!("{e:#}")}))
        .collect();
    out.result(
        &json!({"from": from, "to": to, "files": report.files, "folders": report.folders, "bytes": report.bytes, "failures": failures}),
        || {
            let mut text = format!(
                "{from} -> {to}: {} files, {} folders, {} bytes",
                report.files, report.folders, report.bytes
            );
            for (p, e) in &report.failures {
                text.push_str(&format!("\n  FAILED {p}: {e}"));
            }
            text
        },
    );
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::PARTIAL)
    })
}

fn quick_xor(item: &DriveItem) -> Option<String> {
    item.file.as_ref()?.hashes.as_ref()?.quick_xor_hash.clone()
}

fn item_path(item: &DriveItem) -> String {
    let parent = item
        .parent_reference
        .as_ref()
        .and_then(|p| p.path.as_deref())
        .and_then(graphlink_graph::drive_path_from_parent_path)
        .unwrap_or_default();
    join(parent.trim_matches('/'), name_of(item))
}

fn item_json(item: &DriveItem, path: &str) -> serde_json::Value {
    json!({
        "path": path,
        "name": name_of(item),
        "id": item.id,
        "folder": is_folder(item),
        "size": item.size,
        "lastModifiedDateTime": modified(item),
        "eTag": item.e_tag,
        "quickXorHash": quick_xor(item),
    })
}

fn line(item: &DriveItem, shown: &str) -> String {
    let modified = modified(item).unwrap_or_default();
    if is_folder(item) {
        format!("{:>14}  {modified:<20}  {shown}/", "-")
    } else {
        format!("{:>14}  {modified:<20}  {shown}", item.size.unwrap_or(0))
    }
}

fn describe(item: &DriveItem, path: &str) -> String {
    let mut text = format!("path:     {path}\nid:       {}\n", item.id);
    if is_folder(item) {
        text.push_str("type:     folder\n");
    } else {
        text.push_str(&format!(
            "type:     file\nsize:     {}\n",
            item.size.unwrap_or(0)
        ));
    }
    if let Some(m) = modified(item) {
        text.push_str(&format!("modified: {m}\n"));
    }
    if let Some(h) = quick_xor(item) {
        text.push_str(&format!("quickXorHash: {h}\n"));
    }
    text.trim_end().to_string()
}

fn name_of(item: &DriveItem) -> &str {
    item.name.as_deref().unwrap_or("")
}

fn modified(item: &DriveItem) -> Option<String> {
    item.last_modified_date_time.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
}
