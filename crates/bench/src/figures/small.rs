//! Figure 2: many small files up and down with the default concurrency, against the same number
//! of plain `PUT`/`GET` requests with the same concurrency; requests sent per file.

use std::path::Path;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};
use graphlink_graph::{ItemRef, NoProgress, TreeOptions};

use super::{median, raw, timed, warmup_note, Ctx};
use crate::cpu::CpuMark;
use crate::data::{self, SmallFile};
use crate::error::{Context, Error, Result};
use crate::report::{Figure, Target};

/// What the throttling figure reuses.
#[derive(Debug)]
pub(crate) struct SmallRun {
    /// The local files.
    pub files: Vec<SmallFile>,
    /// The folder holding them.
    pub dir: std::path::PathBuf,
    /// The best unthrottled client upload time.
    pub upload_time: Duration,
}

/// Runs the small-file figures.
pub(crate) async fn run(ctx: &Ctx) -> Result<(Vec<Figure>, SmallRun)> {
    let sizes = &ctx.sizes;
    let count = sizes.small_count;
    let dir = ctx.work.join("small");
    ctx.say(format!(
        "small files: {count} x {} KiB, concurrency {}",
        sizes.small_size / 1024,
        TreeOptions::default().concurrency
    ));
    let files = {
        let dir = dir.clone();
        let size = sizes.small_size;
        tokio::task::spawn_blocking(move || data::write_small_files(&dir, count, size))
            .await
            .context("writing the small files")??
    };
    let concurrency = TreeOptions::default().concurrency;
    // Rates of every round (the figures are their medians); the best upload time is the
    // throttling figure's unthrottled reference.
    let mut up = Duration::MAX;
    let (mut up_rates, mut base_up_rates, mut down_rates, mut base_down_rates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut up_requests, mut down_requests) = (0u64, 0u64);
    // CPU microseconds per file of each upload step: (client, emulator).
    let (mut up_cpu, mut base_up_cpu) = (Vec::new(), Vec::new());
    let downloads = ctx.work.join("small-down");
    let per_file_us = |d: Duration| d.as_secs_f64() * 1e6 / count as f64;
    for (round, counted) in sizes.rounds_of(sizes.rounds) {
        let remote = format!("/bench/small-{round}");
        let product_first = round % 2 == 0;
        for product in [product_first, !product_first] {
            if product {
                ctx.admin.reset_counters().await?;
                let mark = CpuMark::now(ctx.emulator_pid);
                let took = product_upload(ctx, &dir, &remote, count, concurrency).await?;
                let cpu = mark.since(ctx.emulator_pid);
                up_requests = ctx.admin.counters(None).await?.total;
                if counted {
                    up_cpu.extend(cpu.map(|(c, e)| (per_file_us(c), per_file_us(e))));
                    up = up.min(took);
                    up_rates.push(rate(count, took));
                }
                ctx.say(format!(
                    "  client upload: {:.0} files/s{}",
                    rate(count, took),
                    warmup_note(counted)
                ));
            } else {
                let mark = CpuMark::now(ctx.emulator_pid);
                let (result, took) = timed(
                    stream::iter(files.iter().map(|f| async move {
                        let name = format!("r{round}-{}", f.name);
                        raw::put_small(&ctx.plain, &ctx.endpoint.base_url, &name, &f.path).await
                    }))
                    .buffer_unordered(concurrency)
                    .try_collect::<Vec<u64>>(),
                )
                .await;
                let cpu = mark.since(ctx.emulator_pid);
                result?;
                if counted {
                    base_up_cpu.extend(cpu.map(|(c, e)| (per_file_us(c), per_file_us(e))));
                    base_up_rates.push(rate(count, took));
                }
                ctx.say(format!(
                    "  baseline upload: {:.0} files/s{}",
                    rate(count, took),
                    warmup_note(counted)
                ));
            }
        }
        for product in [product_first, !product_first] {
            // Each download gets its own folder, left for the scratch folder's removal at the end
            // of the run: ext4 without a journal skips inodes freed in the last seconds when it
            // allocates new ones, so removing 2,000 files just before a timed step (this one's
            // next round, or the throttling figure) would slow that step down.
            let side = if product { "client" } else { "baseline" };
            let dest = downloads.join(format!("{round}-{side}"));
            tokio::fs::create_dir_all(&dest)
                .await
                .context("creating the download folder")?;
            if product {
                ctx.admin.reset_counters().await?;
                let took = product_download(ctx, &remote, &dest, &files).await?;
                down_requests = ctx.admin.counters(None).await?.total;
                if counted {
                    down_rates.push(rate(count, took));
                }
                ctx.say(format!(
                    "  client download: {:.0} files/s{}",
                    rate(count, took),
                    warmup_note(counted)
                ));
            } else {
                let (result, took) = timed(
                    stream::iter(files.iter().map(|f| {
                        let dest = &dest;
                        async move {
                            let name = format!("r{round}-{}", f.name);
                            let to = dest.join(&f.name);
                            raw::get_to_file(&ctx.plain, &ctx.endpoint.base_url, &name, &to).await
                        }
                    }))
                    .buffer_unordered(concurrency)
                    .try_collect::<Vec<u64>>(),
                )
                .await;
                let sizes = result?;
                if sizes.iter().any(|n| *n != files[0].size) {
                    return Err(Error::Check("a baseline download is incomplete".into()));
                }
                if counted {
                    base_down_rates.push(rate(count, took));
                }
                ctx.say(format!(
                    "  baseline download: {:.0} files/s{}",
                    rate(count, took),
                    warmup_note(counted)
                ));
            }
        }
    }
    let per_file = |n: u64| n as f64 / count as f64;
    let medians = sizes.median_of(sizes.rounds);
    let figures = vec![
        Figure::compared(
            "small_upload_rate",
            median(&up_rates),
            median(&base_up_rates),
            "files/s",
            format!("{count} files of {} KiB, concurrency {concurrency} (TreeOptions default), {medians}; client: upload_dir; baseline: one PUT per file to /_emulator/raw", sizes.small_size / 1024),
        )
        .target(Target::RatioAtLeast(0.8)),
        Figure::compared(
            "small_download_rate",
            median(&down_rates),
            median(&base_down_rates),
            "files/s",
            format!("client: download_dir (listing, then each file from the download link its listing carried, hash checked); baseline: one GET per file, concurrency {concurrency}"),
        )
        .target(Target::RatioAtLeast(0.8)),
        cpu_figure(&up_cpu, &base_up_cpu),
        Figure::compared(
            "small_upload_requests_per_file",
            per_file(up_requests),
            1.0,
            "requests",
            "emulator count of all requests (folder creation included) / files; baseline sends 1",
        ),
        Figure::compared(
            "small_download_requests_per_file",
            per_file(down_requests),
            1.0,
            "requests",
            "emulator count of all requests (listing included) / files; baseline sends 1",
        ),
    ];
    Ok((
        figures,
        SmallRun {
            files,
            dir,
            upload_time: up,
        },
    ))
}

/// CPU per uploaded file, client + emulator (medians of the rounds), against the baseline's; the
/// note splits it between the two processes. 10 ms resolution per step (`/proc` ticks).
fn cpu_figure(product: &[(f64, f64)], baseline: &[(f64, f64)]) -> Figure {
    let split = |v: &[(f64, f64)]| {
        let client = median(&v.iter().map(|c| c.0).collect::<Vec<_>>());
        let emulator = median(&v.iter().map(|c| c.1).collect::<Vec<_>>());
        (client, emulator)
    };
    let (pc, pe) = split(product);
    let (bc, be) = split(baseline);
    Figure::compared(
        "small_upload_cpu_per_file",
        pc + pe,
        bc + be,
        "us",
        format!("diagnostic: CPU time (user + system) per uploaded file, medians of the rounds; client {pc:.0} us + emulator {pe:.0} us, baseline client {bc:.0} us + emulator {be:.0} us"),
    )
}

fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64().max(1e-9)
}

/// Uploads the folder through the client with `concurrency` files at a time; checks every
/// file landed.
pub(crate) async fn product_upload(
    ctx: &Ctx,
    dir: &Path,
    remote: &str,
    count: usize,
    concurrency: usize,
) -> Result<Duration> {
    let options = TreeOptions {
        concurrency,
        ..TreeOptions::default()
    };
    let (report, took) = timed(ctx.drive.upload_dir(dir, remote, &options, &NoProgress)).await;
    let report = report.context("client upload of the small files")?;
    if let Some((path, err)) = report.failures.first() {
        return Err(Error::Check(format!(
            "{} of {count} small files failed to upload; first: {path}: {err}",
            report.failures.len()
        )));
    }
    if report.files as usize != count {
        return Err(Error::Check(format!(
            "uploaded {} small files, expected {count}",
            report.files
        )));
    }
    Ok(took)
}

async fn product_download(
    ctx: &Ctx,
    remote: &str,
    dest: &Path,
    files: &[SmallFile],
) -> Result<Duration> {
    let (report, took) = timed(ctx.drive.download_dir(
        &ItemRef::path(remote),
        dest,
        &TreeOptions::default(),
        &NoProgress,
    ))
    .await;
    let report = report.context("client download of the small files")?;
    if let Some((path, err)) = report.failures.first() {
        return Err(Error::Check(format!(
            "{} small files failed to download; first: {path}: {err}",
            report.failures.len()
        )));
    }
    if report.files as usize != files.len() {
        return Err(Error::Check(format!(
            "downloaded {} small files, expected {}",
            report.files,
            files.len()
        )));
    }
    Ok(took)
}
