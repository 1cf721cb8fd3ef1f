//! Local files for uploads: walking a folder, opening a file (small ones read whole), and
//! reading the small files of a folder upload ahead of the uploads.
//!
//! Every file-system call here is blocking; the async callers run them on tokio's blocking pool.
//! A folder upload reads its small files on *one* blocking thread, ahead of the uploads and in
//! batches: a thread handoff per batch instead of one per file (on two cores, the handoffs of a
//! per-file `spawn_blocking` cost as much CPU as the upload's own request).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use futures::stream::{self, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// Files read ahead are at most this long; longer ones are opened by their own upload.
const READ_AHEAD_FILE_MAX: u64 = 1024 * 1024;
/// A batch of files read ahead holds at most this many files...
const BATCH_FILES: usize = 64;
/// ...or is sent once it holds this many bytes (so read-ahead memory stays under a few MiB:
/// one batch queued, one being filled, one being uploaded).
const BATCH_BYTES: u64 = 1024 * 1024;

/// A local file found by [`walk`].
#[derive(Debug)]
pub(crate) struct LocalFile {
    /// Its path relative to the walked folder, as segments.
    pub relative: Vec<String>,
    /// Its path.
    pub path: PathBuf,
}

impl LocalFile {
    /// How the file is named in messages.
    pub(crate) fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// A local file opened for upload.
#[derive(Debug)]
pub(crate) enum Opened {
    /// Up to the simple-upload limit: the content.
    Small(Vec<u8>),
    /// Larger: the open file and its size.
    Large(File, u64),
}

/// Opens a local file (blocking): files up to `small_limit` bytes are read whole at once.
pub(crate) fn open_local(path: &Path, what: &str, small_limit: u64) -> Result<Opened> {
    let mut file = File::open(path).map_err(Error::io(format!("opening {what}")))?;
    let meta = file
        .metadata()
        .map_err(Error::io(format!("reading the size of {what}")))?;
    if !meta.is_file() {
        return Err(Error::invalid(
            "upload source",
            format!("{what} is not a regular file"),
        ));
    }
    if meta.len() > small_limit {
        return Ok(Opened::Large(file, meta.len()));
    }
    let mut content = vec![0u8; meta.len() as usize];
    file.read_exact(&mut content)
        .map_err(|e| changed_or(e, what, meta.len()))?;
    // One more byte would mean the file grew while being read.
    let mut probe = [0u8; 1];
    let extra = file
        .read(&mut probe)
        .map_err(Error::io(format!("reading {what}")))?;
    if extra != 0 {
        return Err(changed_size(what, meta.len()));
    }
    Ok(Opened::Small(content))
}

fn changed_size(what: &str, announced: u64) -> Error {
    Error::invalid(
        "upload source",
        format!("{what} changed size while being read ({announced} bytes announced)"),
    )
}

fn changed_or(e: std::io::Error, what: &str, announced: u64) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        changed_size(what, announced)
    } else {
        Error::io(format!("reading {what}"))(e)
    }
}

/// Lists a local folder recursively (blocking): folders (parents first) and files, as relative
/// segments, each folder's entries in name order. Symbolic links are skipped (no loops).
pub(crate) fn walk(root: &Path) -> Result<(Vec<Vec<String>>, Vec<LocalFile>)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut queue = vec![(root.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, rel)) = queue.pop() {
        let listing = || Error::io(format!("listing {}", dir.display()));
        let mut found = std::fs::read_dir(&dir)
            .map_err(listing())?
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(listing())?;
        found.sort_by_key(std::fs::DirEntry::file_name);
        for entry in found {
            let path = entry.path();
            let name = entry.file_name().into_string().map_err(|n| {
                Error::invalid(
                    "file name",
                    format!("{} is not valid UTF-8", PathBuf::from(n).display()),
                )
            })?;
            // `file_type` does not follow links and, on Linux, needs no extra call.
            let kind = entry
                .file_type()
                .map_err(Error::io(format!("reading {}", path.display())))?;
            let mut child = rel.clone();
            child.push(name);
            if kind.is_dir() {
                dirs.push(child.clone());
                queue.push((path, child));
            } else if kind.is_file() {
                files.push(LocalFile {
                    relative: child,
                    path,
                });
            }
        }
    }
    dirs.sort_by_key(Vec::len);
    Ok((dirs, files))
}

/// A file of a folder upload as the read-ahead hands it over.
pub(crate) type Ahead = (LocalFile, Result<Option<Opened>>);

/// Reads `files` ahead of the uploads, in order, on one blocking thread: each comes with its
/// content (`Some(Opened::Small)`) when it is at most `small_limit` and at most 1 MiB long, with
/// the error that opening or reading it gave, or with `None` for larger files (their upload
/// opens them itself, so no more than a few open files wait here).
///
/// The returned handle ends with `Err` if the reading thread died: files it held were then
/// not handed over, and the caller must say so.
pub(crate) fn read_ahead(
    files: Vec<LocalFile>,
    small_limit: u64,
) -> (impl Stream<Item = Ahead>, JoinHandle<()>) {
    let limit = small_limit.min(READ_AHEAD_FILE_MAX);
    let (tx, rx) = mpsc::channel::<Vec<Ahead>>(1);
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH_FILES);
        let mut bytes = 0u64;
        for file in files {
            let opened = match open_local(&file.path, &file.describe(), limit) {
                Ok(Opened::Small(content)) => {
                    bytes += content.len() as u64;
                    Ok(Some(Opened::Small(content)))
                }
                // Closed again: its upload opens it when its turn comes.
                Ok(Opened::Large(..)) => Ok(None),
                Err(e) => Err(e),
            };
            batch.push((file, opened));
            if batch.len() >= BATCH_FILES || bytes >= BATCH_BYTES {
                // The uploads stopped listening: nothing more to read.
                if tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                    return;
                }
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
    });
    let files = stream::unfold(rx, |mut rx| async move {
        let batch = rx.recv().await?;
        Some((stream::iter(batch), rx))
    })
    .flatten();
    (files, reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_files(dir: &Path, sizes: &[usize]) -> Vec<LocalFile> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, size)| {
                let path = dir.join(format!("f{i:04}"));
                std::fs::write(&path, vec![i as u8; *size]).unwrap();
                LocalFile {
                    relative: vec![format!("f{i:04}")],
                    path,
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn read_ahead_hands_over_every_file_in_order_with_its_content() {
        let dir = tempfile::tempdir().unwrap();
        // Enough files for several batches, one over the read-ahead size, one missing.
        let mut sizes = vec![16 * 1024; 300];
        sizes[7] = 2 * 1024 * 1024;
        let mut files = write_files(dir.path(), &sizes);
        std::fs::remove_file(&files[9].path).unwrap();
        files.push(LocalFile {
            relative: vec!["gone".into()],
            path: dir.path().join("gone"),
        });
        let count = files.len();
        let (stream, reader) = read_ahead(files, 4 * 1024 * 1024);
        let got: Vec<Ahead> = stream.collect().await;
        reader.await.unwrap();
        assert_eq!(got.len(), count);
        for (i, (file, opened)) in got.iter().enumerate() {
            if i < 300 {
                assert_eq!(file.relative, vec![format!("f{i:04}")]);
            }
            match (i, opened) {
                (7, Ok(None)) => {}
                (9 | 300, Err(e)) => assert!(e.to_string().contains("opening")),
                (_, Ok(Some(Opened::Small(content)))) => {
                    assert_eq!(content.len(), 16 * 1024);
                    assert!(content.iter().all(|b| *b == i as u8));
                }
                (_, other) => panic!("file {i}: unexpected {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn read_ahead_stops_when_the_uploads_stop_listening() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(dir.path(), &[1024; 500]);
        let (stream, reader) = read_ahead(files, 4 * 1024 * 1024);
        let first: Vec<Ahead> = stream.take(3).collect().await;
        assert_eq!(first.len(), 3);
        // The stream (and its receiver) is gone: the reader returns instead of blocking.
        tokio::time::timeout(std::time::Duration::from_secs(10), reader)
            .await
            .expect("the reader stopped")
            .unwrap();
    }

    #[test]
    fn open_local_reads_small_files_whole_and_leaves_large_ones_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").unwrap();
        assert!(matches!(open_local(&path, "f", 5), Ok(Opened::Small(c)) if c == b"hello"));
        assert!(matches!(open_local(&path, "f", 4), Ok(Opened::Large(_, 5))));
        let err = open_local(dir.path(), "the folder", 5).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn walk_lists_folders_parents_first_and_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("z"), b"").unwrap();
        std::fs::write(dir.path().join("a"), b"").unwrap();
        std::fs::write(dir.path().join("b/c/d"), b"").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("z"), dir.path().join("link")).unwrap();
        let (dirs, files) = walk(dir.path()).unwrap();
        assert_eq!(
            dirs,
            vec![vec!["b".to_string()], vec!["b".into(), "c".into()]]
        );
        let names: Vec<String> = files.iter().map(|f| f.relative.join("/")).collect();
        assert_eq!(names, ["a", "z", "b/c/d"]);
    }
}
