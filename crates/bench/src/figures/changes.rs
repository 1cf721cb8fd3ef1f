//! Figure 3: change detection in a large library.
//!
//! Measured through the product's source: a `graphlink_runtime` `GraphStorage` over the
//! library drive, polled as a workflow polls it (`may_have_changed`, then `list` when that
//! says yes). Its first `list` of the library root walks the library and builds the folder
//! mirror; later polls apply the drive's delta to the mirror. Figures: requests per idle poll,
//! and the requests and seconds from the arrival of new files to the poll that hands them all
//! over. For comparison, the requests of the first delta round (a full enumeration, with
//! `DriveClient::delta`) and of one listing-based poll (a recursive walk).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use graphlink_graph::{
    ConflictBehavior, DeltaEvent, DeltaStart, DriveClient, DriveRef, ItemRef, UploadOptions,
};
use graphlink_runtime::storage::{GraphStorage, Storage};

use super::{timed, Ctx};
use crate::conn::LIBRARY_SITE;
use crate::error::{Context, Error, Result};
use crate::report::{Figure, Target};

const FOLDER_SIZE: usize = 1_000;
const POPULATE_CONCURRENCY: usize = 32;
const IDLE_POLLS: u32 = 3;

/// Runs the change-detection figures.
pub(crate) async fn run(ctx: &Ctx) -> Result<Vec<Figure>> {
    let drive = ctx
        .product
        .graph
        .drive(&DriveRef::Site {
            site: LIBRARY_SITE.into(),
            library: None,
        })
        .await
        .context("resolving the library")?;
    let total = ctx.sizes.library;
    ctx.say(format!(
        "change detection: populating a library of {total} items"
    ));
    let (populated, populate_time) = timed(populate(&drive, total)).await;
    let items = populated?;
    ctx.say(format!(
        "  {items} items in {:.1} s ({:.0} items/s)",
        populate_time.as_secs_f64(),
        items as f64 / populate_time.as_secs_f64()
    ));

    // What a delta client's first run costs: a full enumeration of the drive.
    ctx.admin.reset_counters().await?;
    let (round, full_time) = timed(delta_round(&drive, DeltaStart::Full)).await;
    let full = round?;
    let full_requests = ctx.admin.counters(None).await?.total;
    ctx.say(format!(
        "  full enumeration: {} items, {full_requests} requests, {:.1} s",
        full.items,
        full_time.as_secs_f64()
    ));

    // The product's source: its first listing of the library root builds the mirror.
    let source = GraphStorage::new(drive.clone(), "sharepoint library");
    ctx.admin.reset_counters().await?;
    let (first, first_time) = timed(source.list("", true)).await;
    let first = first.context("listing the library through GraphStorage")?;
    let first_requests = ctx.admin.counters(None).await?.total;
    ctx.say(format!(
        "  source's first listing: {} files, {first_requests} requests, {:.1} s",
        first.len(),
        first_time.as_secs_f64()
    ));

    // Idle polls: nothing changed.
    let mut idle_requests = 0u64;
    let mut idle_time = Duration::ZERO;
    for _ in 0..IDLE_POLLS {
        ctx.admin.reset_counters().await?;
        let (polled, took) = timed(poll(&source)).await;
        polled?;
        idle_requests = idle_requests.max(ctx.admin.counters(None).await?.total);
        idle_time += took;
    }

    // New files arrive (uploaded by someone else: a second connection).
    let new = ctx.sizes.new_files;
    let other = crate::conn::product(&ctx.endpoint, &ctx.cache_dir)?;
    let other_drive = other.graph.drive_by_id(drive.id());
    let names: Vec<String> = (0..new).map(|i| format!("arrival-{i:04}.txt")).collect();
    other_drive
        .create_folder_all("/library/incoming")
        .await
        .context("creating the incoming folder")?;
    stream::iter(names.iter().map(|name| {
        let drive = &other_drive;
        async move {
            drive
                .upload_bytes(
                    &ItemRef::path("/library/incoming"),
                    name,
                    Bytes::from(format!("new file {name}\n")),
                    &UploadOptions::default(),
                )
                .await
                .context("uploading a new file")
        }
    }))
    .buffer_unordered(8)
    .try_collect::<Vec<_>>()
    .await?;
    let arrived = Instant::now();
    ctx.admin.reset_counters().await?;
    // Poll until every new file has been handed over.
    let mut wanted: HashSet<String> = names
        .iter()
        .map(|n| format!("library/incoming/{n}"))
        .collect();
    let mut polls = 0;
    while !wanted.is_empty() {
        polls += 1;
        if polls > 10 {
            return Err(Error::Check(format!(
                "{} new files still not handed over after 10 polls",
                wanted.len()
            )));
        }
        for entry in poll(&source).await? {
            wanted.remove(&entry.path);
        }
    }
    let detect_time = arrived.elapsed();
    let detect_requests = ctx.admin.counters(None).await?.total;
    ctx.say(format!(
        "  {new} new files seen after {detect_requests} requests, {:.3} s",
        detect_time.as_secs_f64()
    ));

    // What a listing-based poll costs (a source without delta lists on every poll).
    ctx.admin.reset_counters().await?;
    let (listed, list_time) = timed(async {
        let mut walk = drive.walk(&ItemRef::path("/library"));
        let mut files = 0u64;
        while let Some(entry) = walk.next().await {
            if entry.context("listing the library")?.item.file.is_some() {
                files += 1;
            }
        }
        Ok::<u64, Error>(files)
    })
    .await;
    let listed = listed?;
    let list_requests = ctx.admin.counters(None).await?.total;
    ctx.say(format!(
        "  listing poll: {listed} files, {list_requests} requests, {:.1} s",
        list_time.as_secs_f64()
    ));

    let via = format!("measured through graphlink_runtime's GraphStorage over the library (a poll = may_have_changed(\"\"), then list(\"\", recursive) when it says yes; its first listing built the mirror with {first_requests} requests)");
    Ok(vec![
        Figure::info(
            "library_populate_rate",
            items as f64 / populate_time.as_secs_f64(),
            "items/s",
            format!("{items} zero-byte files in folders of {FOLDER_SIZE}, simple PUTs with concurrency {POPULATE_CONCURRENCY} (setup, not a target)"),
        ),
        Figure::info(
            "delta_full_enumeration_requests",
            full_requests as f64,
            "requests",
            format!("first delta round over {} items ({:.1} s), page size 200, with DriveClient::delta directly (the source starts from token=latest and a walk of the folder instead)", full.items, full_time.as_secs_f64()),
        ),
        Figure::info(
            "delta_idle_poll_requests",
            idle_requests as f64,
            "requests",
            format!("most of {IDLE_POLLS} polls with no change, {:.2} ms each; {via}", idle_time.as_secs_f64() * 1000.0 / IDLE_POLLS as f64),
        )
        .target(Target::ValueAtMost(2.0)),
        Figure::info(
            "delta_new_files_requests",
            detect_requests as f64,
            "requests",
            format!("{new} files arriving among {items}: requests from their arrival until the source's polls handed all of them over ({polls} poll(s)); {via}"),
        ),
        Figure::info(
            "delta_new_files_seconds",
            detect_time.as_secs_f64(),
            "s",
            "from the last upload's answer to the poll that handed all new files over (excludes the polling interval)",
        ),
        Figure::info(
            "listing_poll_requests",
            list_requests as f64,
            "requests",
            format!("one recursive listing of the library ({listed} files, {:.1} s): what a poll costs when the source lists instead of using delta", list_time.as_secs_f64()),
        ),
    ])
}

/// One poll as a workflow makes it: whether anything changed, then the listing if so.
async fn poll(source: &GraphStorage) -> Result<Vec<graphlink_runtime::storage::Entry>> {
    if !source
        .may_have_changed("")
        .await
        .context("polling the library")?
    {
        return Ok(Vec::new());
    }
    source.list("", true).await.context("listing the library")
}

/// What one delta round returned.
struct Round {
    items: u64,
}

async fn delta_round(drive: &DriveClient, start: DeltaStart) -> Result<Round> {
    let mut events = drive.delta(start);
    let mut items = 0u64;
    while let Some(event) = events.next().await {
        match event.context("delta")? {
            DeltaEvent::Page { items: page, .. } => items += page.len() as u64,
            DeltaEvent::Resync { .. } => {
                return Err(Error::Check(
                    "the delta cursor expired during the benchmark".into(),
                ))
            }
            DeltaEvent::Done(_) => return Ok(Round { items }),
        }
    }
    Err(Error::Check(
        "the delta round ended without a cursor".into(),
    ))
}

/// Creates `total` zero-byte files under `/library` in folders of [`FOLDER_SIZE`].
async fn populate(drive: &DriveClient, total: usize) -> Result<usize> {
    let folders = total.div_ceil(FOLDER_SIZE);
    drive
        .create_folder_all("/library")
        .await
        .context("creating the library folder")?;
    stream::iter((0..folders).map(|f| async move {
        drive
            .create_folder_all(&format!("/library/d{f:03}"))
            .await
            .context("creating a library folder")
    }))
    .buffer_unordered(4)
    .try_collect::<Vec<_>>()
    .await?;
    let options = UploadOptions {
        conflict: ConflictBehavior::Replace,
    };
    let options = &options;
    stream::iter((0..total).map(|i| async move {
        let folder = ItemRef::path(format!("/library/d{:03}", i / FOLDER_SIZE));
        drive
            .upload_bytes(&folder, &format!("f{i:06}.txt"), Bytes::new(), options)
            .await
            .context("creating a library item")
    }))
    .buffer_unordered(POPULATE_CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(total + folders + 1)
}
