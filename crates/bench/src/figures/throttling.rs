//! Figure 4: the small-file upload again while the emulator throttles 20 % of Graph requests
//! with `Retry-After: 1`.
//!
//! Ideal time = the unthrottled upload time + the waits the server asked for. A throttling pause
//! holds back the whole connection, so concurrent 429s whose waits overlap are one wait: the
//! waits are the union of the intervals `[t, t + Retry-After)` over every 429 the client
//! received (recorded from the transport's throttling events, cross-checked with the emulator's
//! count of injected faults). The naive sum (429s x 1 s) is printed too.

use std::collections::HashMap;

use futures::StreamExt;
use graphlink_graph::quickxorhash::same_hash;
use graphlink_graph::ItemRef;
use serde_json::json;

use super::small::{self, SmallRun};
use super::{timed, Ctx};
use crate::error::{Context, Result};
use crate::report::{Figure, Target};
use crate::throttle_log::union_of_waits;

const PROBABILITY: f64 = 0.2;
const RETRY_AFTER_SECS: f64 = 1.0;

/// Runs the throttling figures; `Err` only when the run could not be made. Lost files are
/// reported as a figure and in the returned count.
pub async fn run(ctx: &Ctx, small: &SmallRun) -> Result<(Vec<Figure>, u64)> {
    let count = small.files.len();
    let remote = "/bench/small-throttled";
    ctx.say(format!(
        "throttling: uploading {count} small files with 20 % of Graph requests answered 429 Retry-After: 1"
    ));
    ctx.admin
        .add_faults(&json!({
            "path": "^/(v1\\.0|beta)/",
            "fault": {"kind": "status", "status": 429, "retry_after": "1"},
            "probability": PROBABILITY,
        }))
        .await?;
    ctx.admin.reset_counters().await?;
    ctx.throttles.clear();
    let (outcome, took) = timed(small::product_upload(ctx, &small.dir, remote, count)).await;
    // Whatever happened, stop throttling before anything else.
    ctx.admin.clear_faults().await?;
    let counters = ctx.admin.counters(None).await?;
    let events = ctx.throttles.events();
    if let Err(e) = &outcome {
        ctx.say(format!("  the throttled upload reported: {e}"));
    }
    let lost = lost_files(ctx, remote, small).await?;
    ctx.say(format!(
        "  {:.1} s, {} requests, {} throttled, {} during pauses, {lost} files lost",
        took.as_secs_f64(),
        counters.total,
        counters.injected,
        counters.during_pause
    ));
    let waits = union_of_waits(&events);
    let ideal = small.upload_time + waits;
    let naive = counters.injected as f64 * RETRY_AFTER_SECS;
    let mut recorded = String::new();
    if events.len() as u64 != counters.injected {
        recorded = format!(
            "; WARNING: the client logged {} throttling answers, the emulator injected {}",
            events.len(),
            counters.injected
        );
    }
    let figures = vec![
        Figure::compared(
            "throttled_upload_time",
            took.as_secs_f64(),
            ideal.as_secs_f64(),
            "s",
            format!(
                "{count} files, {:.0} % of Graph requests 429 Retry-After {RETRY_AFTER_SECS} s; baseline = ideal = unthrottled {:.2} s + {:.2} s of asked waits (union of [t, t+Retry-After) over the {} 429s received; naive sum {naive:.0} s); {} requests ({:.2} per file unthrottled){recorded}",
                PROBABILITY * 100.0,
                small.upload_time.as_secs_f64(),
                waits.as_secs_f64(),
                events.len(),
                counters.total,
                small.upload_requests_per_file,
            ),
        )
        .target(Target::RatioAtMost(1.1)),
        Figure::info(
            "throttled_requests_during_pause",
            counters.during_pause as f64,
            "requests",
            "emulator count of requests that arrived while a Retry-After it sent was running",
        )
        .target(Target::ValueAtMost(0.0)),
        Figure::info(
            "throttled_files_lost",
            lost as f64,
            "files",
            "listing of the target folder compared by name, size and quickXorHash with the local files",
        )
        .target(Target::ValueAtMost(0.0)),
    ];
    Ok((figures, lost))
}

/// Files missing from `remote`, or there with another size or hash.
async fn lost_files(ctx: &Ctx, remote: &str, small: &SmallRun) -> Result<u64> {
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
    for f in &small.files {
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
