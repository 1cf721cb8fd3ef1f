//! Changing the tree: folders, move/rename, delete, server-side copy.

use std::time::{Duration, Instant};

use graphlink_http::Idempotency;
use reqwest::header::IF_MATCH;
use reqwest::Method;

use crate::drive::DriveClient;
use crate::error::{Error, Result};
use crate::items::is_folder;
use crate::path::{check_name, split_path, ItemRef};
use crate::request::{location, read_json};
use crate::wire::{
    ConflictBehavior, CopyRequest, CopyStatus, CreateFolderRequest, DriveItem, ParentRef,
    UpdateItemRequest,
};

const COPY_MONITOR: &str = "copy monitor";

impl DriveClient {
    /// Creates the folder `name` in `parent`.
    pub async fn create_folder(
        &self,
        parent: &ItemRef,
        name: &str,
        conflict: ConflictBehavior,
    ) -> Result<DriveItem> {
        check_name(name)?;
        let body = CreateFolderRequest {
            name: name.to_string(),
            folder: Default::default(),
            conflict_behavior: conflict,
        };
        let req = self
            .client
            .req(Method::POST, &parent.url_path(self.id(), Some("children"))?)?
            .json(&body)?;
        self.client.send_json(&req).await
    }

    /// Creates the folder at `path` and any missing parents (like `mkdir -p`); returns the
    /// folder. Existing folders are fine; an existing file in the way is an error.
    pub async fn create_folder_all(&self, path: &str) -> Result<DriveItem> {
        if let Some(existing) = self.try_get(&ItemRef::path(path)).await? {
            return folder_or_error(existing, path);
        }
        let mut parent = ItemRef::Root;
        let mut current = None;
        for segment in split_path(path)? {
            let item = self.ensure_folder(&parent, segment).await?;
            parent = ItemRef::id(item.id.clone());
            current = Some(item);
        }
        match current {
            Some(item) => Ok(item),
            None => self.get(&ItemRef::Root).await,
        }
    }

    /// The folder `name` in `parent`, created if missing. Safe to repeat: an existing folder
    /// (also one created by an attempt whose answer was lost) is returned.
    pub async fn ensure_folder(&self, parent: &ItemRef, name: &str) -> Result<DriveItem> {
        let here = parent.join(name);
        let mut attempts = 0;
        loop {
            match self
                .create_folder(parent, name, ConflictBehavior::Fail)
                .await
            {
                Ok(item) => return Ok(item),
                Err(e) if e.is_conflict() => {
                    return folder_or_error(self.get(&here).await?, &here.describe())
                }
                Err(e @ Error::Transport { .. })
                    if attempts < self.client.settings().max_resume_attempts =>
                {
                    attempts += 1;
                    tracing::warn!(error = %e, "folder creation answer lost: checking");
                    if let Some(item) = self.try_get(&here).await? {
                        return folder_or_error(item, &here.describe());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves and/or renames an item. `if_match` (an eTag) makes it fail with 412 if the item
    /// changed meanwhile.
    pub async fn move_item(
        &self,
        item: &ItemRef,
        new_parent: Option<&ItemRef>,
        new_name: Option<&str>,
        if_match: Option<&str>,
    ) -> Result<DriveItem> {
        if let Some(name) = new_name {
            check_name(name)?;
        }
        let parent_reference = match new_parent {
            Some(p) => Some(ParentRef {
                drive_id: None,
                id: self.item_id(p).await?,
            }),
            None => None,
        };
        let body = UpdateItemRequest {
            parent_reference,
            name: new_name.map(str::to_string),
        };
        let mut req = self
            .client
            .req(Method::PATCH, &item.url_path(self.id(), None)?)?
            .json(&body)?;
        if let Some(tag) = if_match {
            req = req.header(IF_MATCH, tag)?;
        }
        self.client.send_json(&req).await
    }

    /// Deletes an item (to the recycle bin). `if_match` as in [`DriveClient::move_item`].
    pub async fn delete(&self, item: &ItemRef, if_match: Option<&str>) -> Result<()> {
        let mut req = self
            .client
            .req(Method::DELETE, &item.url_path(self.id(), None)?)?;
        if let Some(tag) = if_match {
            req = req.header(IF_MATCH, tag)?;
        }
        self.client.send(&req).await?;
        Ok(())
    }

    /// Copies an item into `dest_parent` of `dest` (this drive or another), optionally under a
    /// new name, waits for the copy to finish and returns the new item's id.
    pub async fn copy(
        &self,
        item: &ItemRef,
        dest: &DriveClient,
        dest_parent: &ItemRef,
        new_name: Option<&str>,
        conflict: Option<ConflictBehavior>,
    ) -> Result<String> {
        if let Some(name) = new_name {
            check_name(name)?;
        }
        let body = CopyRequest {
            parent_reference: ParentRef {
                drive_id: Some(dest.id().to_string()),
                id: dest.item_id(dest_parent).await?,
            },
            name: new_name.map(str::to_string),
        };
        let mut req = self
            .client
            .req(Method::POST, &item.url_path(self.id(), Some("copy"))?)?
            .json(&body)?;
        if let Some(c) = conflict {
            req = req.query("@microsoft.graph.conflictBehavior", c.as_str());
        }
        let resp = self.client.send(&req).await?;
        let monitor = location(&resp)
            .ok_or_else(|| Error::protocol(&req.label, "202 without a Location monitor"))?;
        self.wait_for_copy(&monitor, &item.describe()).await
    }

    /// Polls a copy monitor (without `Authorization`) until the copy completes or fails.
    async fn wait_for_copy(&self, monitor: &str, what: &str) -> Result<String> {
        let started = Instant::now();
        let timeout = self.client.settings().copy_timeout;
        let mut delay = Duration::from_millis(100);
        loop {
            let req = self
                .client
                .req_preauth(Method::GET, monitor, COPY_MONITOR)?
                .idempotency(Idempotency::Idempotent);
            let resp = self.client.send_raw(&req).await?;
            let status = resp.status();
            if status.is_redirection() {
                // Some services redirect to the new item when done: `.../items/{id}`.
                let id = location(&resp)
                    .as_deref()
                    .and_then(|l| l.split("/items/").nth(1))
                    .and_then(|rest| rest.split(['/', '?', ':']).next())
                    .filter(|id| !id.is_empty())
                    .map(str::to_string);
                return id
                    .ok_or_else(|| Error::protocol(&req.label, "redirect without an item id"));
            }
            if !status.is_success() {
                return Err(self.client.api_error(resp, &req).await.into());
            }
            let report: CopyStatus = read_json(resp, &req.label).await?;
            match report.status.as_deref() {
                Some("completed") => {
                    return report
                        .resource_id
                        .ok_or_else(|| Error::protocol(&req.label, "completed without resourceId"))
                }
                Some("failed") => {
                    let message = report
                        .error
                        .and_then(|e| e.message.or(e.code))
                        .unwrap_or_else(|| "no reason given".into());
                    return Err(Error::CopyFailed {
                        what: what.to_string(),
                        message,
                    });
                }
                _ => {}
            }
            if started.elapsed() > timeout {
                return Err(Error::CopyFailed {
                    what: what.to_string(),
                    message: format!("not finished after {} s", timeout.as_secs()),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

fn folder_or_error(item: DriveItem, path: &str) -> Result<DriveItem> {
    if is_folder(&item) {
        Ok(item)
    } else {
        Err(Error::invalid(
            "folder",
            format!("{path} exists and is not a folder"),
        ))
    }
}
