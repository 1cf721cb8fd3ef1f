//! Reading items: get by path or id, list children (paged), walk a tree.

use std::collections::VecDeque;

use futures::stream::{self, BoxStream, StreamExt};
use reqwest::Method;

use crate::drive::DriveClient;
use crate::error::{Error, Result};
use crate::path::{join_path, ItemRef};
use crate::request::Req;
use crate::wire::{Collection, DriveItem};

/// Options for listing children.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Page size (`$top`); Graph's default is 200.
    pub page_size: Option<u32>,
    /// `$orderby`, e.g. `name asc`.
    pub order_by: Option<String>,
}

/// An entry found by [`DriveClient::walk`].
#[derive(Debug, Clone)]
pub struct WalkEntry {
    /// Path relative to the walked folder, `/`-separated, no leading slash (`sub/file.txt`).
    pub relative_path: String,
    /// The item.
    pub item: DriveItem,
}

impl DriveClient {
    /// Gets an item's metadata.
    pub async fn get(&self, item: &ItemRef) -> Result<DriveItem> {
        let req = self
            .client
            .req(Method::GET, &item.url_path(self.id(), None)?)?;
        self.client.send_json(&req).await
    }

    /// Gets an item's metadata, or `None` when it does not exist.
    pub async fn try_get(&self, item: &ItemRef) -> Result<Option<DriveItem>> {
        match self.get(item).await {
            Ok(i) => Ok(Some(i)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The id of an item (asks Graph unless `item` is already an id).
    pub async fn item_id(&self, item: &ItemRef) -> Result<String> {
        match item {
            ItemRef::Id(id) => Ok(id.clone()),
            other => Ok(self.get(other).await?.id),
        }
    }

    /// Lists a folder's children, following `@odata.nextLink` verbatim page after page.
    pub fn children(&self, folder: &ItemRef) -> BoxStream<'static, Result<DriveItem>> {
        self.children_with(folder, &ListOptions::default())
    }

    /// Lists a folder's children with options.
    pub fn children_with(
        &self,
        folder: &ItemRef,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<DriveItem>> {
        let first = folder
            .url_path(self.id(), Some("children"))
            .and_then(|p| self.client.req(Method::GET, &p))
            .map(|mut req| {
                if let Some(top) = options.page_size {
                    req = req.query("$top", &top.to_string());
                }
                if let Some(order) = &options.order_by {
                    req = req.query("$orderby", order);
                }
                req
            });
        self.paged(first)
    }

    /// Streams the items of a paged collection starting with `first`.
    pub(crate) fn paged(&self, first: Result<Req>) -> BoxStream<'static, Result<DriveItem>> {
        struct State {
            next: Option<Result<Req>>,
            buffered: VecDeque<DriveItem>,
        }
        let client = self.client.clone();
        let state = State {
            next: Some(first),
            buffered: VecDeque::new(),
        };
        stream::unfold(state, move |mut st| {
            let client = client.clone();
            async move {
                loop {
                    if let Some(item) = st.buffered.pop_front() {
                        return Some((Ok(item), st));
                    }
                    let req = match st.next.take()? {
                        Ok(r) => r,
                        Err(e) => return Some((Err(e), st)),
                    };
                    let page: Collection<DriveItem> = match client.send_json(&req).await {
                        Ok(p) => p,
                        Err(e) => return Some((Err(e), st)),
                    };
                    st.buffered.extend(page.value);
                    st.next = page.next_link.map(|l| client.req_link(Method::GET, &l));
                }
            }
        })
        .boxed()
    }

    /// Collects a folder's children into a vector.
    pub async fn list(&self, folder: &ItemRef) -> Result<Vec<DriveItem>> {
        let mut out = Vec::new();
        let mut s = self.children(folder);
        while let Some(item) = s.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// Walks a folder recursively (breadth first), yielding every file and folder below it
    /// with its path relative to `folder`. Folders come before their content.
    pub fn walk(&self, folder: &ItemRef) -> BoxStream<'static, Result<WalkEntry>> {
        struct State {
            drive: DriveClient,
            pending: VecDeque<(ItemRef, String)>,
            current: Option<(BoxStream<'static, Result<DriveItem>>, String)>,
        }
        let state = State {
            drive: self.clone(),
            pending: VecDeque::from([(folder.clone(), String::new())]),
            current: None,
        };
        stream::unfold(state, |mut st| async move {
            loop {
                if let Some((listing, prefix)) = st.current.as_mut() {
                    match listing.next().await {
                        Some(Ok(item)) => {
                            let name = item.name.clone().unwrap_or_else(|| item.id.clone());
                            let relative_path = if prefix.is_empty() {
                                name
                            } else {
                                join_path(prefix, &name).trim_start_matches('/').to_string()
                            };
                            if item.folder.is_some() {
                                st.pending.push_back((
                                    ItemRef::id(item.id.clone()),
                                    relative_path.clone(),
                                ));
                            }
                            return Some((
                                Ok(WalkEntry {
                                    relative_path,
                                    item,
                                }),
                                st,
                            ));
                        }
                        Some(Err(e)) => {
                            st.current = None;
                            st.pending.clear();
                            return Some((Err(e), st));
                        }
                        None => st.current = None,
                    }
                }
                let (next, prefix) = st.pending.pop_front()?;
                st.current = Some((st.drive.children(&next), prefix));
            }
        })
        .boxed()
    }
}

/// Whether `item` is a folder (or the root).
pub fn is_folder(item: &DriveItem) -> bool {
    item.folder.is_some() || item.root.is_some()
}

pub(crate) fn require_file(item: &DriveItem, what: &ItemRef) -> Result<()> {
    if is_folder(item) {
        return Err(Error::invalid(
            "item",
            format!("{} is a folder, not a file", what.describe()),
        ));
    }
    Ok(())
}
