//! Figure 1: one large file up and down through the product's client, against plain streaming
//! HTTP of the same bytes; the client process's peak resident memory during each transfer.

use std::path::Path;
use std::time::Duration;

use graphlink_graph::{ConflictBehavior, ItemRef, NoProgress, UploadOptions};

use super::{mb_per_s, mib, raw, timed, Ctx};
use crate::data;
use crate::error::{Context, Error, Result};
use crate::memory;
use crate::report::{Figure, Target};

const REMOTE_DIR: &str = "/bench";
const NAME: &str = "large.bin";

/// Best speeds and largest peaks over the rounds.
#[derive(Debug, Default)]
struct Best {
    product_up: f64,
    base_up: f64,
    product_down: f64,
    base_down: f64,
    mem_product_up: Option<u64>,
    mem_base_up: Option<u64>,
    mem_product_down: Option<u64>,
    mem_base_down: Option<u64>,
    upload_requests: u64,
    download_requests: u64,
}

fn max_mem(slot: &mut Option<u64>, peak: Option<u64>) {
    *slot = match (*slot, peak) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}

/// Runs the large-file figures.
pub async fn run(ctx: &Ctx) -> Result<Vec<Figure>> {
    let size = ctx.sizes.large;
    let local = ctx.work.join(NAME);
    ctx.say(format!("large file: writing {:.0} MiB of test data", mib(size)));
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
    let rss_before = memory::current_rss();
    let mut best = Best::default();
    for round in 0..ctx.sizes.rounds {
        // Alternate who goes first, so that neither always finds a warm disk cache.
        let product_first = round % 2 == 1;
        for product in [product_first, !product_first] {
            if product {
                ctx.admin.reset_counters().await?;
                let (took, peak) = product_upload(ctx, &local, size).await?;
                best.upload_requests = ctx.admin.counters(None).await?.total;
                best.product_up = best.product_up.max(mb_per_s(size, took));
                max_mem(&mut best.mem_product_up, peak);
                ctx.say(format!("  client upload: {:.0} MB/s", mb_per_s(size, took)));
            } else {
                let (result, peak) = memory::peak_during(timed(raw::put_file(
                    &ctx.plain,
                    &ctx.endpoint.base_url,
                    NAME,
                    &local,
                )))
                .await;
                let (sent, took) = result;
                sent?;
                best.base_up = best.base_up.max(mb_per_s(size, took));
                max_mem(&mut best.mem_base_up, peak);
                ctx.say(format!("  baseline upload: {:.0} MB/s", mb_per_s(size, took)));
            }
        }
        for product in [product_first, !product_first] {
            let dest = ctx.work.join("large.down");
            if product {
                ctx.admin.reset_counters().await?;
                let (took, peak) = product_download(ctx, &dest, size).await?;
                best.download_requests = ctx.admin.counters(None).await?.total;
                best.product_down = best.product_down.max(mb_per_s(size, took));
                max_mem(&mut best.mem_product_down, peak);
                ctx.say(format!("  client download: {:.0} MB/s", mb_per_s(size, took)));
            } else {
                let (result, peak) = memory::peak_during(timed(raw::get_to_file(
                    &ctx.plain,
                    &ctx.endpoint.base_url,
                    NAME,
                    &dest,
                )))
                .await;
                let (got, took) = result;
                if got? != size {
                    return Err(Error::Check("the baseline download is incomplete".into()));
                }
                best.base_down = best.base_down.max(mb_per_s(size, took));
                max_mem(&mut best.mem_base_down, peak);
                ctx.say(format!("  baseline download: {:.0} MB/s", mb_per_s(size, took)));
            }
            let _ = tokio::fs::remove_file(&dest).await;
        }
    }
    let _ = tokio::fs::remove_file(&local).await;
    Ok(figures(ctx, &best, rss_before))
}

async fn product_upload(
    ctx: &Ctx,
    local: &Path,
    size: u64,
) -> Result<(Duration, Option<u64>)> {
    let options = UploadOptions {
        conflict: ConflictBehavior::Replace,
    };
    let parent = ItemRef::path(REMOTE_DIR);
    let (result, peak) = memory::peak_during(timed(ctx.drive.upload_file(
        &parent,
        NAME,
        local,
        &options,
        &NoProgress,
    )))
    .await;
    let (item, took) = result;
    let item = item.context("client upload of the large file")?;
    if item.size != Some(size) {
        return Err(Error::Check(format!(
            "the uploaded large file has {:?} bytes, expected {size}",
            item.size
        )));
    }
    Ok((took, peak))
}

async fn product_download(ctx: &Ctx, dest: &Path, size: u64) -> Result<(Duration, Option<u64>)> {
    let item = ItemRef::path(format!("{REMOTE_DIR}/{NAME}"));
    let (result, peak) =
        memory::peak_during(timed(ctx.drive.download_to_file(&item, dest, &NoProgress))).await;
    let (meta, took) = result;
    meta.context("client download of the large file")?;
    let got = tokio::fs::metadata(dest)
        .await
        .context("reading the downloaded file")?
        .len();
    if got != size {
        return Err(Error::Check(format!(
            "the downloaded large file has {got} bytes, expected {size}"
        )));
    }
    Ok((took, peak))
}

fn figures(ctx: &Ctx, b: &Best, rss_before: Option<u64>) -> Vec<Figure> {
    let size_mib = mib(ctx.sizes.large);
    let rounds = ctx.sizes.rounds;
    let chunk_mib = mib(ctx.product.graph.settings().upload_chunk_size);
    let mut out = vec![
        Figure::compared(
            "large_upload_throughput",
            b.product_up,
            b.base_up,
            "MB/s",
            format!(
                "{size_mib:.0} MiB file, best of {rounds}; client: upload session, {chunk_mib:.2} MiB fragments, {} requests; baseline: one streaming PUT to /_emulator/raw",
                b.upload_requests
            ),
        )
        .target(Target::RatioAtLeast(0.9)),
        Figure::compared(
            "large_download_throughput",
            b.product_down,
            b.base_down,
            "MB/s",
            format!(
                "{size_mib:.0} MiB file, best of {rounds}; client: metadata + /content 302 + download URL with hash check, {} requests; baseline: one streaming GET",
                b.download_requests
            ),
        )
        .target(Target::RatioAtLeast(0.9)),
    ];
    let base = rss_before
        .map(|r| format!("; process RSS before the transfers {:.1} MiB", mib(r)))
        .unwrap_or_default();
    for (name, product, baseline) in [
        ("large_upload_peak_rss", b.mem_product_up, b.mem_base_up),
        ("large_download_peak_rss", b.mem_product_down, b.mem_base_down),
    ] {
        let note = format!(
            "VmHWM of the benchmark process (emulator in a separate process), reset before each transfer; baseline = same for the plain HTTP transfer{base}"
        );
        match (product, baseline) {
            (Some(p), Some(q)) => out.push(
                Figure::compared(name, mib(p), mib(q), "MiB", note)
                    .target(Target::ValueAtMost(64.0)),
            ),
            (Some(p), None) => out.push(
                Figure::info(name, mib(p), "MiB", note).target(Target::ValueAtMost(64.0)),
            ),
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
