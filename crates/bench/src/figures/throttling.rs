//! Figure 4: the small-file upload again while the emulator throttles 20 % of Graph requests
//! with `Retry-After: 1`.
//!
//! Ideal time = the unthrottled upload time + the waits the server asked for. A throttling pause
//! holds back the whole connection, so concurrent 429s whose waits overlap are one wait: the
//! waits are the union of the intervals `[t, t + Retry-After)` over every 429 the client
//! received (recorded from the transport's throttling events, cross-checked with the emulator's
//! count of injected faults). The naive sum (429s x 1 s) is printed too.
//!
//! Requests sent during a pause (the goal: 0) are counted on the client side: the
//! transport's pause gate logs every attempt it lets through, and a send counts when it falls
//! inside some `[t, t + Retry-After)`, i.e. after the client handled a 429 and before that wait
//! ended. The emulator's count of requests *arriving* while a `Retry-After` it sent was running
//! is kept as information: it also counts requests that were already on their way when the server
//! refused another one, which the client cannot avoid.
//!
//! A second, smaller run with one file at a time has nothing in flight when a request is
//! refused, so there the emulator's arrival count must be 0 too.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use graphlink_graph::quickxorhash::same_hash;
use graphlink_graph::{ItemRef, TreeOptions};
use serde_json::json;

use super::small::{self, SmallRun};
use super::{timed, Ctx};
use crate::admin::Counters;
use crate::data::SmallFile;
use crate::error::{Context, Result};
use crate::report::{Figure, Target};
use crate::throttle_log::{sends_during_waits, union_of_waits, Throttle};

const PROBABILITY: f64 = 0.2;
const RETRY_AFTER_SECS: f64 = 1.0;

/// What one throttled upload did.
struct Throttled {
    took: Duration,
    counters: Counters,
    events: Vec<Throttle>,
    /// Attempts the client sent while a wait it had been told of was in force.
    sent_during_pause: u64,
    lost: u64,
}

/// Runs the throttling figures. Lost files are reported as a figure and returned.
pub(crate) async fn run(ctx: &Ctx, small: &SmallRun) -> Result<(Vec<Figure>, u64)> {
    let count = small.files.len();
    let concurrency = TreeOptions::default().concurrency;
    ctx.say(format!(
        "throttling: uploading {count} small files, concurrency {concurrency}, with 20 % of Graph requests answered 429 Retry-After: 1"
    ));
    let main = throttled_upload(
        ctx,
        &small.dir,
        "/bench/small-throttled",
        &small.files,
        concurrency,
    )
    .await?;

    // The same with one request in flight: no request can be on its way when another is refused.
    let few = ctx
        .sizes
        .small_count
        .min(if ctx.sizes.rounds > 1 { 50 } else { 30 });
    let seq_dir = ctx.work.join("small-sequential");
    let seq_files = copy_files(&small.files[..few], &seq_dir).await?;
    ctx.say(format!(
        "throttling: the same with {few} files, one at a time"
    ));
    let seq = throttled_upload(ctx, &seq_dir, "/bench/small-throttled-seq", &seq_files, 1).await?;

    let waits = union_of_waits(&main.events);
    let ideal = small.upload_time + waits;
    let naive = main.counters.injected as f64 * RETRY_AFTER_SECS;
    let mut mismatch = String::new();
    if main.events.len() as u64 != main.counters.injected {
        mismatch = format!(
            "; WARNING: the client logged {} throttling answers, the emulator injected {}",
            main.events.len(),
            main.counters.injected
        );
    }
    let lost = main.lost + seq.lost;
    let figures = vec![
        Figure::compared(
            "throttled_upload_time",
            main.took.as_secs_f64(),
            ideal.as_secs_f64(),
            "s",
            format!(
                "{count} files, concurrency {concurrency}, {:.0} % of Graph requests 429 Retry-After {RETRY_AFTER_SECS} s; baseline = ideal = unthrottled {:.2} s + {:.2} s of asked waits (union of [t, t+Retry-After) over the {} 429s received, overlapping waits counted once; naive sum {naive:.0} s); {} requests sent{mismatch}",
                PROBABILITY * 100.0,
                small.upload_time.as_secs_f64(),
                waits.as_secs_f64(),
                main.events.len(),
                main.counters.total,
            ),
        )
        .target(Target::RatioAtMost(1.1)),
        Figure::info(
            "throttled_requests_during_pause",
            main.sent_during_pause as f64,
            "requests",
            format!(
                "requests the client sent while a pause it had been told of was in force (send logged by the transport inside some [t, t+Retry-After) of the {} 429s it handled; concurrency {concurrency})",
                main.events.len()
            ),
        )
        .target(Target::ValueAtMost(0.0)),
        Figure::info(
            "throttled_requests_arriving_during_pause",
            main.counters.during_pause as f64,
            "requests",
            format!(
                "emulator count of requests arriving while a Retry-After it sent was running ({} 429s, concurrency {concurrency}); includes requests already in flight when another request was refused",
                main.counters.injected
            ),
        ),
        Figure::info(
            "throttled_requests_during_pause_sequential",
            seq.counters.during_pause as f64,
            "requests",
            format!(
                "emulator count of requests arriving during a pause, same with {few} files one at a time ({} 429s, {:.1} s; client count {}): nothing can be in flight, so any count here is a request sent during a pause",
                seq.counters.injected,
                seq.took.as_secs_f64(),
                seq.sent_during_pause
            ),
        )
        .target(Target::ValueAtMost(0.0)),
        Figure::info(
            "throttled_files_lost",
            lost as f64,
            "files",
            "listings of the target folders compared by name, size and quickXorHash with the local files (both throttled runs)",
        )
        .target(Target::ValueAtMost(0.0)),
    ];
    Ok((figures, lost))
}

/// Uploads `files` (all of `dir`) to `remote` under 20 % throttling and checks what landed.
async fn throttled_upload(
    ctx: &Ctx,
    dir: &Path,
    remote: &str,
    files: &[SmallFile],
    concurrency: usize,
) -> Result<Throttled> {
    ctx.admin
        .add_faults(&json!({
            "path": "^/(v1\\.0|beta)/",
            "fault": {"kind": "status", "status": 429, "retry_after": "1"},
            "probability": PROBABILITY,
        }))
        .await?;
    ctx.admin.reset_counters().await?;
    ctx.throttles.clear();
    let (outcome, took) = timed(small::product_upload(
        ctx,
        dir,
        remote,
        files.len(),
        concurrency,
    ))
    .await;
    // Whatever happened, stop throttling before anything else.
    ctx.admin.clear_faults().await?;
    let counters = ctx.admin.counters(None).await?;
    let events = ctx.throttles.events();
    let sends = ctx.throttles.sends();
    let sent_during_pause = sends_during_waits(&events, &sends);
    if let Err(e) = &outcome {
        ctx.say(format!("  the throttled upload reported: {e}"));
    }
    let lost = lost_files(ctx, remote, files).await?;
    ctx.say(format!(
        "  {:.1} s, {} requests ({} sent by the client), {} throttled, {sent_during_pause} sent during pauses (client), {} arriving during pauses (emulator), {lost} files lost",
        took.as_secs_f64(),
        counters.total,
        sends.len(),
        counters.injected,
        counters.during_pause
    ));
    Ok(Throttled {
        took,
        counters,
        events,
        sent_during_pause,
        lost,
    })
}

async fn copy_files(files: &[SmallFile], dir: &Path) -> Result<Vec<SmallFile>> {
    tokio::fs::create_dir_all(dir)
        .await
        .context(format!("creating {}", dir.display()))?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let path = dir.join(&f.name);
        tokio::fs::copy(&f.path, &path)
            .await
            .context(format!("copying {}", f.path.display()))?;
        out.push(SmallFile { path, ..f.clone() });
    }
    Ok(out)
}

/// Files missing from `remote`, or there with another size or hash.
async fn lost_files(ctx: &Ctx, remote: &str, files: &[SmallFile]) -> Result<u64> {
    let mut listed = HashMap::new();
    let mut children = ctx.drive.children(&ItemRef::path(remote));
    while let Some(item) = children.next().await {
        let item = match item {
            Ok(item) => item,
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e).context("listing the throttled upload"),
        };
        if let Some(name) = item.name.clone() {
            listed.insert(name, item);
        }
    }
    let mut lost = 0;
    for f in files {
        let ok = listed.get(&f.name).is_some_and(|item| {
            let hash = item
                .file
                .as_ref()
                .and_then(|x| x.hashes.as_ref())
                .and_then(|h| h.quick_xor_hash.as_deref());
            item.size == Some(f.size) && hash.is_some_and(|h| same_hash(h, &f.hash))
        });
        if !ok {
            lost += 1;
        }
    }
    Ok(lost)
}
