//! Large transfers in fresh processes: the benchmark re-runs itself with the hidden
//! `--transfer-child KIND` flag for each large upload or download, so that the peak resident
//! memory measured is that transfer's alone (no heap kept from an earlier phase, no emulator).
//! The child sets up its connection, resets its high-water mark, times the transfer, and prints
//! one JSON line: `{"secs": .., "peak_rss": .., "rss_before": ..}`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use clap::ValueEnum;
use graphlink_graph::{ConflictBehavior, DriveRef, ItemRef, NoProgress, UploadOptions};
use serde::{Deserialize, Serialize};

use super::raw;
use crate::conn;
use crate::error::{Context, Error, Result};
use crate::memory;
use crate::serve::Endpoint;

/// Drive folder and name of the large file.
pub(crate) const REMOTE_DIR: &str = "/bench";
/// Name of the large file (drive item and raw blob).
pub(crate) const NAME: &str = "large.bin";

/// One large transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Transfer {
    /// `DriveClient::upload_file`.
    ClientUpload,
    /// `DriveClient::download_to_file`.
    ClientDownload,
    /// Streaming PUT to `/_emulator/raw`.
    RawUpload,
    /// Streaming GET from `/_emulator/raw`.
    RawDownload,
    /// The upload session's pattern without Graph: sequential PUTs of whole in-memory
    /// fragments (the client's fragment size) to `/_emulator/raw`.
    RawFragments,
}

impl Transfer {
    fn flag(self) -> &'static str {
        match self {
            Transfer::ClientUpload => "client-upload",
            Transfer::ClientDownload => "client-download",
            Transfer::RawUpload => "raw-upload",
            Transfer::RawDownload => "raw-download",
            Transfer::RawFragments => "raw-fragments",
        }
    }
}

/// What a child measured.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Measured {
    /// Wall time of the transfer.
    pub secs: f64,
    /// Peak resident memory during the transfer (bytes), when measurable.
    pub peak_rss: Option<u64>,
    /// Resident memory just before the transfer (bytes).
    pub rss_before: Option<u64>,
}

/// Parent side: runs `transfer` of `local` (`size` bytes) in a fresh process.
pub(crate) async fn run_child(
    endpoint: &Endpoint,
    transfer: Transfer,
    local: &Path,
    size: u64,
    cache_dir: &Path,
) -> Result<Measured> {
    let exe = std::env::current_exe().context("finding the benchmark program")?;
    let endpoint_json = serde_json::to_string(endpoint).context("passing the endpoint")?;
    let what = format!("the {} child", transfer.flag());
    let out = tokio::process::Command::new(exe)
        .arg("--transfer-child")
        .arg(transfer.flag())
        .arg("--endpoint")
        .arg(endpoint_json)
        .arg("--local")
        .arg(local)
        .arg("--size")
        .arg(size.to_string())
        .arg("--data")
        .arg(cache_dir)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(900), out)
        .await
        .map_err(|_| Error::Check(format!("{what} did not finish within 15 minutes")))?
        .context(&what)?;
    if !out.status.success() {
        return Err(Error::Check(format!("{what} failed ({})", out.status)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).context(format!("reading what {what} measured"))
}

/// Child side: does one transfer and prints what it measured.
pub(crate) async fn child(
    transfer: Transfer,
    endpoint: &str,
    local: &Path,
    size: u64,
    cache_dir: &Path,
) -> Result<()> {
    let endpoint: Endpoint = serde_json::from_str(endpoint).context("reading --endpoint")?;
    let measured = match transfer {
        Transfer::ClientUpload | Transfer::ClientDownload => {
            client(transfer, &endpoint, local, size, cache_dir).await?
        }
        Transfer::RawUpload | Transfer::RawDownload | Transfer::RawFragments => {
            plain(transfer, &endpoint, local, size).await?
        }
    };
    let line = serde_json::to_string(&measured).context("reporting the measurement")?;
    println!("{line}");
    Ok(())
}

async fn client(
    transfer: Transfer,
    endpoint: &Endpoint,
    local: &Path,
    size: u64,
    cache_dir: &Path,
) -> Result<Measured> {
    let product = conn::product(endpoint, cache_dir)?;
    let drive = product
        .graph
        .drive(&DriveRef::User(conn::ADELE.into()))
        .await
        .context("resolving Adele's drive")?;
    measure(async {
        match transfer {
            Transfer::ClientUpload => {
                let options = UploadOptions {
                    conflict: ConflictBehavior::Replace,
                };
                let item = drive
                    .upload_file(
                        &ItemRef::path(REMOTE_DIR),
                        NAME,
                        local,
                        &options,
                        &NoProgress,
                    )
                    .await
                    .context("client upload of the large file")?;
                check_size("uploaded", item.size.unwrap_or(0), size)
            }
            _ => {
                let remote = ItemRef::path(format!("{REMOTE_DIR}/{NAME}"));
                drive
                    .download_to_file(&remote, local, &NoProgress)
                    .await
                    .context("client download of the large file")?;
                let got = tokio::fs::metadata(local)
                    .await
                    .context("reading the downloaded file")?
                    .len();
                check_size("downloaded", got, size)
            }
        }
    })
    .await
}

async fn plain(
    transfer: Transfer,
    endpoint: &Endpoint,
    local: &Path,
    size: u64,
) -> Result<Measured> {
    let http = conn::plain_http(endpoint)?;
    let base = &endpoint.base_url;
    measure(async {
        let got = match transfer {
            Transfer::RawUpload => raw::put_file(&http, base, NAME, local).await?,
            Transfer::RawFragments => {
                let fragment = graphlink_graph::Settings::default().upload_chunk_size;
                raw::put_fragments(&http, base, NAME, local, fragment).await?
            }
            _ => raw::get_to_file(&http, base, NAME, local).await?,
        };
        check_size("transferred (baseline)", got, size)
    })
    .await
}

fn check_size(what: &str, got: u64, size: u64) -> Result<()> {
    if got == size {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "the {what} large file has {got} bytes, expected {size}"
        )))
    }
}

async fn measure(work: impl std::future::Future<Output = Result<()>>) -> Result<Measured> {
    let rss_before = memory::current_rss();
    let start = std::time::Instant::now();
    let (result, peak_rss) = memory::peak_during(work).await;
    let secs = start.elapsed().as_secs_f64();
    result?;
    Ok(Measured {
        secs,
        peak_rss,
        rss_before,
    })
}

/// A scratch path for a child's download.
pub(crate) fn download_path(work: &Path) -> PathBuf {
    work.join("large.down")
}
