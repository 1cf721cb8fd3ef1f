//! Delta: `GET .../root/delta` — full enumeration, `token=latest`, changes since a token, paged
//! with `@odata.nextLink` and closed with `@odata.deltaLink` (`?token=X`).
//!
//! A token is the drive's change sequence, sealed with the emulator's key. A request computes
//! the list of ids to report (full: parents before children; changes: deletions first, then
//! changed items by depth, so parents come first) and, if it needs several pages, keeps the list
//! as a cursor that `$skiptoken` pages through. Unknown, expired or foreign tokens and cursors
//! answer 410 `resyncRequired` with a `Location` to a fresh enumeration.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::http::header::LOCATION;
use axum::http::StatusCode;

use super::context::Ctx;
use super::ids;
use super::model::Drive;
use super::path::{DriveSel, ItemAddr};
use super::render;
use super::reply::{json, Outcome};
use super::wire::{DriveItem, Page};
use crate::web::GraphError;

const MAX_CURSORS: usize = 256;
const CURSOR_LIFETIME: Duration = Duration::from_secs(3600);

/// A paged enumeration in progress.
#[derive(Debug)]
pub struct Cursor {
    drive: String,
    ids: Vec<String>,
    end_seq: u64,
    created: Instant,
}

/// Cursors by id, oldest first.
#[derive(Debug, Default)]
pub struct Cursors {
    map: HashMap<String, Cursor>,
    order: VecDeque<String>,
}

impl Cursors {
    fn insert(&mut self, cursor: Cursor) -> String {
        let id = ids::random_token(12);
        while self.order.len() >= MAX_CURSORS
            || self
                .order
                .front()
                .and_then(|f| self.map.get(f))
                .is_some_and(|c| c.created.elapsed() > CURSOR_LIFETIME)
        {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            } else {
                break;
            }
        }
        self.map.insert(id.clone(), cursor);
        self.order.push_back(id.clone());
        id
    }
}

fn resync(ctx: &Ctx, drive_id: &str, why: &str) -> GraphError {
    GraphError::new(
        StatusCode::GONE,
        "resyncRequired",
        format!("Resync required: {why}. Replace local items with a fresh enumeration from the Location URL."),
    )
    .inner("resyncChangesApplyDifferences")
    .header(LOCATION, ctx.url(&format!("/drives/{drive_id}/root/delta")))
}

fn seal_token(ctx: &Ctx, drive_id: &str, seq: u64) -> String {
    ctx.graph().signer().seal(&format!("dt|{drive_id}|{seq}"))
}

fn delta_link(ctx: &Ctx, drive_id: &str, seq: u64) -> String {
    ctx.url(&format!(
        "/drives/{drive_id}/root/delta?token={}",
        seal_token(ctx, drive_id, seq)
    ))
}

fn render_ids(ctx: &Ctx, d: &Drive, list: &[String]) -> Vec<DriveItem> {
    let r = ctx.render();
    list.iter()
        .filter_map(|id| {
            if let Some(item) = d.items.get(id) {
                Some(render::item(&r, d, item, true))
            } else {
                d.tombstones.get(id).map(|t| render::tombstone(d, t))
            }
        })
        .collect()
}

/// `GET .../root/delta`.
pub fn get(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr, fn_token: Option<String>) -> Outcome {
    let store = ctx.graph().read();
    let drive_id = ctx.drive_id(&store, drive, false)?;
    let d = store.drive(&drive_id)?;
    let item = super::items::resolve(d, addr)?;
    if item.parent.is_some() {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Delta is only supported on the root folder of a drive.",
        ));
    }
    let page = match ctx.q("$top") {
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| GraphError::bad_request(format!("Invalid $top '{t}'.")))?,
        None => ctx.state.settings().page_size.max(1),
    };
    if let Some(skip) = ctx.q("$skiptoken") {
        let (cursor_id, offset) = skip
            .rsplit_once('.')
            .and_then(|(c, o)| Some((c.to_string(), o.parse::<usize>().ok()?)))
            .ok_or_else(|| resync(ctx, &drive_id, "the page token is not valid"))?;
        let cursors = ctx.graph().cursors.lock();
        let Some(cursor) = cursors.map.get(&cursor_id).filter(|c| c.drive == drive_id) else {
            return Err(resync(ctx, &drive_id, "the page token has expired"));
        };
        let end = offset.saturating_add(page).min(cursor.ids.len());
        let slice = cursor.ids.get(offset.min(end)..end).unwrap_or_default();
        let value = render_ids(ctx, d, slice);
        let (next_link, delta_link) = if end < cursor.ids.len() {
            (
                Some(ctx.url(&format!(
                    "/drives/{drive_id}/root/delta?$top={page}&$skiptoken={cursor_id}.{end}"
                ))),
                None,
            )
        } else {
            // The cursor stays (until evicted) so a retried last page answers the same.
            (None, Some(delta_link(ctx, &drive_id, cursor.end_seq)))
        };
        return Ok(json(
            StatusCode::OK,
            &Page {
                value,
                next_link,
                delta_link,
            },
        ));
    }
    let token = fn_token
        .or_else(|| ctx.q("token").map(str::to_string))
        .or_else(|| ctx.q("$deltatoken").map(str::to_string));
    let list: Vec<String> = match token.as_deref() {
        Some("latest") => {
            return Ok(json(
                StatusCode::OK,
                &Page::<DriveItem> {
                    value: Vec::new(),
                    next_link: None,
                    delta_link: Some(delta_link(ctx, &drive_id, d.seq)),
                },
            ))
        }
        Some(t) => {
            let seq = ctx
                .graph()
                .signer()
                .open(t)
                .and_then(|p| {
                    let rest = p.strip_prefix("dt|")?;
                    let (drive, seq) = rest.rsplit_once('|')?;
                    (drive == drive_id)
                        .then(|| seq.parse::<u64>().ok())
                        .flatten()
                })
                .ok_or_else(|| {
                    resync(
                        ctx,
                        &drive_id,
                        "the delta token is not valid for this drive",
                    )
                })?;
            if seq < d.min_token_seq || seq > d.seq {
                return Err(resync(ctx, &drive_id, "the delta token has expired"));
            }
            changes_since(d, seq)
        }
        None => d.pre_order(),
    };
    let end_seq = d.seq;
    if list.len() <= page {
        let value = render_ids(ctx, d, &list);
        return Ok(json(
            StatusCode::OK,
            &Page {
                value,
                next_link: None,
                delta_link: Some(delta_link(ctx, &drive_id, end_seq)),
            },
        ));
    }
    let value = render_ids(ctx, d, &list[..page]);
    let cursor_id = ctx.graph().cursors.lock().insert(Cursor {
        drive: drive_id.clone(),
        ids: list,
        end_seq,
        created: Instant::now(),
    });
    Ok(json(
        StatusCode::OK,
        &Page {
            value,
            next_link: Some(ctx.url(&format!(
                "/drives/{drive_id}/root/delta?$top={page}&$skiptoken={cursor_id}.{page}"
            ))),
            delta_link: None,
        },
    ))
}

/// Ids changed after `seq`: deletions (in order), then live items by depth.
fn changes_since(d: &Drive, seq: u64) -> Vec<String> {
    let mut deleted = Vec::new();
    let mut live = Vec::new();
    for (s, id) in d.changes.range(seq + 1..) {
        if d.items.contains_key(id) {
            live.push((d.depth(id), *s, id.clone()));
        } else {
            deleted.push(id.clone());
        }
    }
    live.sort();
    deleted.extend(live.into_iter().map(|(_, _, id)| id));
    deleted
}
