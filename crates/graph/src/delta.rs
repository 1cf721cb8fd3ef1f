//! Change tracking: `root/delta` as a stream of pages, with a cursor that can be stored and
//! resumed, and `410 Gone` reported as a resync.

use futures::stream::{self, BoxStream, StreamExt};
use reqwest::Method;

use crate::drive::DriveClient;
use crate::error::{Error, Result};
use crate::request::{location, read_json};
use crate::wire::{Collection, DriveItem};

/// Where a delta round resumes: a `@odata.deltaLink` (or a `@odata.nextLink` mid-round), kept
/// verbatim. Store it with [`DeltaCursor::as_str`], restore it with [`DeltaCursor::new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeltaCursor(String);

impl DeltaCursor {
    /// Wraps a stored link.
    pub fn new(link: impl Into<String>) -> Self {
        Self(link.into())
    }

    /// The link, for storing.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DeltaCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a delta stream starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaStart {
    /// Enumerate the whole drive, then get a cursor.
    Full,
    /// Skip everything up to now: one empty round that only yields the current cursor
    /// (`token=latest`).
    Latest,
    /// Continue from a stored cursor.
    Resume(DeltaCursor),
}

/// One event of a delta stream.
#[derive(Debug, Clone)]
pub enum DeltaEvent {
    /// A page of changes. An item may appear several times (the last one wins); deleted items
    /// carry `deleted`; track items by id (`parentReference.path` is not filled in delta).
    Page {
        /// The changed items.
        items: Vec<DriveItem>,
        /// Where to resume if the stream stops before the round ends (`None` on the last page).
        next: Option<DeltaCursor>,
    },
    /// The cursor expired (`410 Gone`): the stream starts over with a full enumeration from
    /// `restart`. The caller must reconcile: anything it knows that the new enumeration does not
    /// list may be gone. `code` is Graph's (`resyncChangesApplyDifferences`, ...).
    Resync {
        /// Graph's error code(s).
        code: Option<String>,
        /// The link the enumeration restarts from.
        restart: DeltaCursor,
    },
    /// The round is complete: store this cursor and resume from it next time. Last event.
    Done(DeltaCursor),
}

/// Resyncs tolerated within one stream before giving up (a server that keeps answering 410).
const MAX_RESYNCS: u32 = 3;

impl DriveClient {
    /// Streams a delta round of the whole drive.
    pub fn delta(&self, start: DeltaStart) -> BoxStream<'static, Result<DeltaEvent>> {
        let base = format!(
            "{}/drives/{}/root/delta",
            self.client.base_url(),
            crate::path::encode_id(self.id())
        );
        let first = match start {
            DeltaStart::Full => base.clone(),
            DeltaStart::Latest => format!("{base}?token=latest"),
            DeltaStart::Resume(c) => c.0,
        };
        let state = DeltaState {
            drive: self.clone(),
            base,
            next: Some(first),
            resyncs: 0,
            pending: None,
        };
        stream::unfold(state, |mut st| async move {
            if let Some(event) = st.pending.take() {
                return Some((Ok(event), st));
            }
            let link = st.next.take()?;
            let outcome = st.step(&link).await;
            Some((outcome, st))
        })
        .boxed()
    }
}

struct DeltaState {
    drive: DriveClient,
    /// Full-enumeration link, used when a 410 gives no `Location`.
    base: String,
    next: Option<String>,
    resyncs: u32,
    /// An event to yield before fetching more (the `Done` after the last page).
    pending: Option<DeltaEvent>,
}

impl DeltaState {
    /// Fetches one page; sets `next`/`pending` for what follows.
    async fn step(&mut self, link: &str) -> Result<DeltaEvent> {
        let client = &self.drive.client;
        let req = client.req_link(Method::GET, link)?;
        let response = client.send_raw(&req).await?;
        if response.status().as_u16() == 410 {
            self.resyncs += 1;
            let location = location(&response);
            let err = client.api_error(response, &req).await;
            if self.resyncs > MAX_RESYNCS {
                return Err(err.into());
            }
            let restart = location.unwrap_or_else(|| self.base.clone());
            tracing::info!(code = ?err.codes, "delta cursor expired: resync");
            self.next = Some(restart.clone());
            let code = (!err.codes.is_empty()).then(|| err.codes.join("/"));
            return Ok(DeltaEvent::Resync {
                code,
                restart: DeltaCursor(restart),
            });
        }
        if !response.status().is_success() {
            return Err(client.api_error(response, &req).await.into());
        }
        let page: Collection<DriveItem> = read_json(response, &req.label).await?;
        match (page.next_link, page.delta_link) {
            (Some(next), _) => {
                self.next = Some(next.clone());
                Ok(DeltaEvent::Page {
                    items: page.value,
                    next: Some(DeltaCursor(next)),
                })
            }
            (None, Some(delta)) => {
                self.pending = Some(DeltaEvent::Done(DeltaCursor(delta)));
                Ok(DeltaEvent::Page {
                    items: page.value,
                    next: None,
                })
            }
            (None, None) => Err(Error::protocol(
                &req.label,
                "a delta page has neither @odata.nextLink nor @odata.deltaLink",
            )),
        }
    }
}
