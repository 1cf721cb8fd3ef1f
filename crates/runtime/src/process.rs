//! The optional processing command of a workflow: the file on stdin, the output on stdout,
//! a non-zero exit status fails the stream.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::storage::{ReadStream, Storage};
use crate::{Error, Result};

/// Runs `argv` with `input` on stdin and writes its stdout to `path` in `sink`.
pub(crate) async fn run_into(
    argv: &[String],
    timeout: Option<Duration>,
    mut input: ReadStream,
    sink: &dyn Storage,
    path: &str,
) -> Result<u64> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::Command("the command is empty".into()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::Command(format!("cannot start '{program}': {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Command("no stdin".into()))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Command("no stdout".into()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| Error::Command("no stderr".into()))?;
    let feed = async move {
        let r = tokio::io::copy(&mut input, &mut stdin).await;
        drop(stdin);
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(Error::Command(format!("feeding the input: {e}"))),
            Ok(_) => Ok(()),
        }
    };
    let collect_err = async move {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf).await;
        let mut rest = [0u8; 8192];
        while matches!(stderr.read(&mut rest).await, Ok(n) if n > 0) {}
        buf
    };
    let work = async {
        let (fed, written, err_text) =
            tokio::join!(feed, sink.write(path, &mut stdout), collect_err);
        let status = child
            .wait()
            .await
            .map_err(|e| Error::Command(format!("waiting for '{program}': {e}")))?;
        if !status.success() {
            let text = String::from_utf8_lossy(&err_text);
            let tail: String = text
                .trim()
                .chars()
                .rev()
                .take(500)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(Error::Command(format!(
                "'{program}' failed ({status}){}",
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {tail}")
                }
            )));
        }
        fed?;
        written
    };
    match timeout {
        Some(t) => tokio::time::timeout(t, work).await.map_err(|_| {
            Error::Command(format!(
                "'{program}' did not finish within {}",
                humantime::format_duration(t)
            ))
        })?,
        None => work.await,
    }
}
