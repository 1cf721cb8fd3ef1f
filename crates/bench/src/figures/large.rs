//! Figure 1: one large file up and down through the product's client, against plain streaming
//! HTTP of the same bytes; the client's peak resident memory during each transfer. Every
//! transfer runs in a fresh process (see [`super::transfer_child`]).

use super::transfer_child::{download_path, run_child, Measured, Transfer, NAME, REMOTE_DIR};
use super::{mb_per_s, median, mib, Ctx};
use crate::data;
use crate::error::{Context, Result};
use crate::report::{Figure, Target};

/// Speeds of every round and largest peaks over the rounds.
#[derive(Debug, Default)]
struct Best {
    speeds: [Vec<f64>; 5],
    peak: [Option<u64>; 5],
    rss_before: [Option<u64>; 5],
    upload_requests: u64,
    download_requests: u64,
}

const ORDER: [Transfer; 5] = [
    Transfer::ClientUpload,
    Transfer::RawUpload,
    Transfer::ClientDownload,
    Transfer::RawDownload,
    Transfer::RawFragments,
];

fn slot(t: Transfer) -> usize {
    ORDER.iter().position(|o| *o == t).unwrap_or(0)
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Runs the large-file figures.
pub(crate) async fn run(ctx: &Ctx) -> Result<Vec<Figure>> {
    let size = ctx.sizes.large;
    let local = ctx.work.join(NAME);
    ctx.say(format!(
        "large file: writing {:.0} MiB of test data",
        mib(size)
    ));
    {
        let local = local.clone();
        tokio::task::spawn_blocking(move || data::write_file(&local, size, 42))
            .await
            .context("writing the large file")??;
    }
    ctx.drive
        .create_folder_all(REMOTE_DIR)
        .await
        .context("creating /bench")?;
    let down = download_path(&ctx.work);
    let mut best = Best::default();
    for (round, counted) in ctx.sizes.rounds_of(ctx.sizes.large_rounds) {
        // Alternate who goes first, so that neither always finds the warmer disk cache.
        let sequence = if round % 2 == 0 {
            [
                Transfer::RawUpload,
                Transfer::ClientUpload,
                Transfer::RawFragments,
                Transfer::RawDownload,
                Transfer::ClientDownload,
            ]
        } else {
            [
                Transfer::RawFragments,
                Transfer::ClientUpload,
                Transfer::RawUpload,
                Transfer::ClientDownload,
                Transfer::RawDownload,
            ]
        };
        for transfer in sequence {
            let client = matches!(transfer, Transfer::ClientUpload | Transfer::ClientDownload);
            let path = match transfer {
                Transfer::ClientDownload | Transfer::RawDownload => &down,
                _ => &local,
            };
            // Start every transfer with no dirty pages waiting for the disk, so that none pays
            // for the writeback of the one before.
            flush_disk_cache().await;
            if client {
                ctx.admin.reset_counters().await?;
            }
            let m: Measured =
                run_child(&ctx.endpoint, transfer, path, size, &ctx.cache_dir).await?;
            if client {
                // Minus the child's drive lookup and token request.
                let requests = ctx.admin.counters(None).await?.total.saturating_sub(2);
                match transfer {
                    Transfer::ClientUpload => best.upload_requests = requests,
                    _ => best.download_requests = requests,
                }
            }
            let i = slot(transfer);
            let speed = mb_per_s(size, std::time::Duration::from_secs_f64(m.secs));
            if counted {
                best.speeds[i].push(speed);
                best.peak[i] = max_opt(best.peak[i], m.peak_rss);
                best.rss_before[i] = max_opt(best.rss_before[i], m.rss_before);
            }
            ctx.say(format!(
                "  {transfer:?}: {speed:.0} MB/s, peak RSS {}{}",
                m.peak_rss
                    .map(|p| format!("{:.1} MiB", mib(p)))
                    .unwrap_or_else(|| "n/a".into()),
                super::warmup_note(counted)
            ));
            if matches!(transfer, Transfer::ClientDownload | Transfer::RawDownload) {
                let _ = tokio::fs::remove_file(&down).await;
            }
        }
    }
    let _ = tokio::fs::remove_file(&local).await;
    Ok(figures(ctx, &best))
}

/// Runs `sync` (best effort): writes dirty pages out before the next measurement.
async fn flush_disk_cache() {
    let _ = tokio::process::Command::new("sync")
        .stdin(std::process::Stdio::null())
        .status()
        .await;
}

fn figures(ctx: &Ctx, b: &Best) -> Vec<Figure> {
    let size_mib = mib(ctx.sizes.large);
    let rounds = ctx.sizes.large_rounds;
    let medians = ctx.sizes.median_of(rounds);
    let chunk_mib = mib(ctx.product.graph.settings().upload_chunk_size);
    let s = |t| median(&b.speeds[slot(t)]);
    let mut out = vec![
        Figure::compared(
            "large_upload_throughput",
            s(Transfer::ClientUpload),
            s(Transfer::RawUpload),
            "MB/s",
            format!(
                "{size_mib:.0} MiB file, {medians} (each transfer in a fresh process); client: upload_file, upload session with {chunk_mib:.2} MiB fragments, {} requests; baseline: one streaming PUT to /_emulator/raw",
                b.upload_requests
            ),
        )
        .target(Target::RatioAtLeast(0.9)),
        Figure::compared(
            "large_download_throughput",
            s(Transfer::ClientDownload),
            s(Transfer::RawDownload),
            "MB/s",
            format!(
                "{size_mib:.0} MiB file, {medians}; client: download_to_file (metadata with its download link, then that link, quickXorHash check), {} requests; baseline: one streaming GET to a file",
                b.download_requests
            ),
        )
        .target(Target::RatioAtLeast(0.9)),
        Figure::compared(
            "large_upload_fragmented_baseline",
            s(Transfer::RawFragments),
            s(Transfer::RawUpload),
            "MB/s",
            format!(
                "diagnostic: the upload session's request pattern without Graph: sequential PUTs of whole {chunk_mib:.2} MiB in-memory fragments to /_emulator/raw; baseline: the one streaming PUT"
            ),
        ),
    ];
    for (name, client, plain) in [
        (
            "large_upload_peak_rss",
            Transfer::ClientUpload,
            Transfer::RawUpload,
        ),
        (
            "large_download_peak_rss",
            Transfer::ClientDownload,
            Transfer::RawDownload,
        ),
    ] {
        let before = b.rss_before[slot(client)]
            .map(|r| {
                format!(
                    "; the process had {:.1} MiB resident before the transfer",
                    mib(r)
                )
            })
            .unwrap_or_default();
        let note = format!(
            "VmHWM of a fresh client process (the emulator runs in another), reset after connecting, largest of {rounds}; baseline: the same for the plain HTTP transfer{before}"
        );
        match (b.peak[slot(client)], b.peak[slot(plain)]) {
            (Some(p), Some(q)) => out.push(
                Figure::compared(name, mib(p), mib(q), "MiB", note)
                    .target(Target::ValueAtMost(64.0)),
            ),
            (Some(p), None) => {
                out.push(Figure::info(name, mib(p), "MiB", note).target(Target::ValueAtMost(64.0)));
            }
            _ => out.push(Figure::info(
                name,
                f64::NAN,
                "MiB",
                "not measurable here: /proc/self/clear_refs is not writable",
            )),
        }
    }
    out
}
