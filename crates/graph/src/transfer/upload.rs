//! Uploads: one `PUT` for small and empty files, resumable upload sessions for the rest.

use std::path::Path;

use bytes::Bytes;
use graphlink_http::Idempotency;
use reqwest::header::CONTENT_RANGE;
use reqwest::Method;
use tokio::io::{AsyncRead, AsyncSeek};

use super::local::{open_local, Opened};
use super::ranges::{content_range, first_expected, next_fragment, Expected};
use super::source::Source;
use crate::drive::DriveClient;
use crate::error::{Error, Result};
use crate::path::{check_name, ItemRef};
use crate::progress::Progress;
use crate::quickxorhash::same_hash;
use crate::request::read_json;
use crate::wire::{
    ConflictBehavior, CreateUploadSessionRequest, DriveItem, UploadSession, UploadSessionItem,
};

const OCTET_STREAM: &str = "application/octet-stream";
const SESSION: &str = "upload session";

/// Options of an upload.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    /// What happens when the name exists (default: fail).
    pub conflict: ConflictBehavior,
}

/// How one upload session ended.
enum SessionEnd {
    /// The session vanished (404): start a new one. `final_sent` when the last fragment had
    /// been sent (the upload may in fact have completed).
    Gone { final_sent: bool },
    /// Final failure (the session is cancelled).
    Failed(Error),
}

/// Progress bookkeeping: report each byte once, as Graph confirms it.
struct Confirmed<'p> {
    progress: &'p dyn Progress,
    reported: u64,
}

impl Confirmed<'_> {
    fn up_to(&mut self, offset: u64) {
        if offset > self.reported {
            self.progress.advance(offset - self.reported);
            self.reported = offset;
        }
    }
}

impl DriveClient {
    /// Uploads a local file as `name` into the folder `parent`.
    pub async fn upload_file(
        &self,
        parent: &ItemRef,
        name: &str,
        path: &Path,
        options: &UploadOptions,
        progress: &dyn Progress,
    ) -> Result<DriveItem> {
        let what = path.display().to_string();
        let limit = self.client.settings().simple_upload_limit;
        let opened = {
            let (path, name) = (path.to_path_buf(), what.clone());
            tokio::task::spawn_blocking(move || open_local(&path, &name, limit))
                .await
                .map_err(|e| Error::io(format!("opening {what}"))(std::io::Error::other(e)))??
        };
        self.upload_opened(parent, name, what, opened, options, progress)
            .await
    }

    /// Uploads a local file already opened (or read, when small) as `name` into `parent`;
    /// `what` names it in messages and progress.
    pub(crate) async fn upload_opened(
        &self,
        parent: &ItemRef,
        name: &str,
        what: String,
        opened: Opened,
        options: &UploadOptions,
        progress: &dyn Progress,
    ) -> Result<DriveItem> {
        let (source, size) = match opened {
            Opened::Small(content) => {
                let size = content.len() as u64;
                let source = Source::seekable(std::io::Cursor::new(content), size, what.clone());
                (source, size)
            }
            Opened::Large(file, size) => (Source::file(file, size, what.clone()), size),
        };
        progress.file_started(&what, Some(size));
        let result = self
            .upload_source(parent, name, source, options, progress)
            .await;
        progress.file_finished(&what, result.is_ok());
        result
    }

    /// Uploads `size` bytes from a seekable reader (any interruption can be resumed).
    pub async fn upload<R: AsyncRead + AsyncSeek + Unpin + Send>(
        &self,
        parent: &ItemRef,
        name: &str,
        reader: R,
        size: u64,
        options: &UploadOptions,
        progress: &dyn Progress,
    ) -> Result<DriveItem> {
        let source = Source::seekable(reader, size, format!("the content of {name}"));
        self.upload_source(parent, name, source, options, progress)
            .await
    }

    /// Uploads `size` bytes from a plain stream (stdin, a pipe). Interruptions are resumed only
    /// within the fragment held in memory; a lost session fails the upload.
    pub async fn upload_stream<R: AsyncRead + Unpin + Send>(
        &self,
        parent: &ItemRef,
        name: &str,
        reader: R,
        size: u64,
        options: &UploadOptions,
        progress: &dyn Progress,
    ) -> Result<DriveItem> {
        let source = Source::stream(reader, size, format!("the stream for {name}"));
        self.upload_source(parent, name, source, options, progress)
            .await
    }

    /// Uploads in-memory content (small payloads).
    pub async fn upload_bytes(
        &self,
        parent: &ItemRef,
        name: &str,
        content: Bytes,
        options: &UploadOptions,
    ) -> Result<DriveItem> {
        let size = content.len() as u64;
        let source = Source::seekable(
            std::io::Cursor::new(content),
            size,
            format!("the content of {name}"),
        );
        self.upload_source(parent, name, source, options, &crate::progress::NoProgress)
            .await
    }

    async fn upload_source(
        &self,
        parent: &ItemRef,
        name: &str,
        mut source: Source<'_>,
        options: &UploadOptions,
        progress: &dyn Progress,
    ) -> Result<DriveItem> {
        check_name(name)?;
        let target = parent.join(name);
        let mut confirmed = Confirmed {
            progress,
            reported: 0,
        };
        let item = if source.size <= self.client.settings().simple_upload_limit || source.size == 0
        {
            self.simple_upload(&target, &mut source, options.conflict)
                .await?
        } else {
            self.session_upload(
                parent,
                name,
                &target,
                &mut source,
                options.conflict,
                &mut confirmed,
            )
            .await?
        };
        confirmed.up_to(source.size);
        verify(&item, &source, &target)?;
        Ok(item)
    }

    async fn simple_upload(
        &self,
        target: &ItemRef,
        source: &mut Source<'_>,
        conflict: ConflictBehavior,
    ) -> Result<DriveItem> {
        let body = source.read_all().await?;
        let idempotency = if conflict == ConflictBehavior::Replace {
            Idempotency::Idempotent
        } else {
            Idempotency::NonIdempotent
        };
        let path = target.url_path(self.id(), Some("content"))?;
        let mut attempts = 0;
        loop {
            let req = self
                .client
                .req(Method::PUT, &path)?
                .query("@microsoft.graph.conflictBehavior", conflict.as_str())
                .bytes(body.clone(), OCTET_STREAM)
                .idempotency(idempotency);
            match self.client.send_json(&req).await {
                // The connection broke: the PUT may or may not have landed. If the file is there
                // with our content, it did; if it is absent, send again.
                Err(e @ Error::Transport { .. })
                    if attempts < self.client.settings().max_resume_attempts =>
                {
                    attempts += 1;
                    tracing::warn!(error = %e, "upload answer lost: checking whether it landed");
                    tokio::time::sleep(self.client.sender().policy.backoff(attempts - 1)).await;
                    match self.try_get(target).await? {
                        Some(item) if matches_source(&item, source) => return Ok(item),
                        Some(_) if conflict == ConflictBehavior::Fail => return Err(e),
                        _ => continue,
                    }
                }
                other => return other,
            }
        }
    }

    async fn session_upload(
        &self,
        parent: &ItemRef,
        name: &str,
        target: &ItemRef,
        source: &mut Source<'_>,
        conflict: ConflictBehavior,
        confirmed: &mut Confirmed<'_>,
    ) -> Result<DriveItem> {
        let max_restarts = self.client.settings().max_session_restarts;
        let mut restarts = 0;
        loop {
            let (url, session) = self.create_session(parent, name, conflict).await?;
            match self.send_fragments(&url, &session, source, confirmed).await {
                Ok(item) => return Ok(item),
                Err(SessionEnd::Failed(err)) => {
                    self.cancel_session(&url).await;
                    return Err(err);
                }
                Err(SessionEnd::Gone { final_sent }) => {
                    if final_sent {
                        // The last fragment may have landed and its answer been lost.
                        if let Some(item) = self.try_get(target).await? {
                            if matches_source(&item, source) {
                                return Ok(item);
                            }
                        }
                    }
                    restarts += 1;
                    if restarts > max_restarts {
                        return Err(Error::protocol(
                            format!("upload of {}", target.describe()),
                            format!("the upload session vanished {restarts} times"),
                        ));
                    }
                    tracing::warn!(target = %target.describe(), "upload session gone: starting a new one");
                }
            }
        }
    }

    /// Creates a session; returns its URL (a secret) and the session.
    async fn create_session(
        &self,
        parent: &ItemRef,
        name: &str,
        conflict: ConflictBehavior,
    ) -> Result<(String, UploadSession)> {
        let body = CreateUploadSessionRequest {
            item: UploadSessionItem {
                conflict_behavior: conflict,
                name: Some(name.to_string()),
            },
            defer_commit: None,
        };
        // A duplicate session is harmless (it expires unused), so this POST may be repeated.
        let req = self
            .client
            .req(
                Method::POST,
                &parent
                    .join(name)
                    .url_path(self.id(), Some("createUploadSession"))?,
            )?
            .json(&body)?
            .idempotency(Idempotency::Idempotent);
        let mut session: UploadSession = self.client.send_json(&req).await?;
        let url = session
            .upload_url
            .take()
            .ok_or_else(|| Error::protocol(&req.label, "the session has no uploadUrl"))?;
        Ok((url, session))
    }

    async fn send_fragments(
        &self,
        url: &str,
        session: &UploadSession,
        source: &mut Source<'_>,
        confirmed: &mut Confirmed<'_>,
    ) -> std::result::Result<DriveItem, SessionEnd> {
        let settings = self.client.settings();
        let (chunk, total) = (settings.upload_chunk_size, source.size);
        let mut expected = first_expected(&session.next_expected_ranges).unwrap_or(Expected {
            start: 0,
            end: None,
        });
        let mut failures = 0u32;
        let mut best = expected.start;
        let mut final_sent = false;
        loop {
            let (start, len) = next_fragment(expected, chunk, total);
            let failure: Error = if len == 0 {
                Error::protocol(
                    format!("PUT {SESSION}"),
                    format!("Graph expects bytes from {start} of a {total}-byte file"),
                )
            } else {
                let body = source
                    .fragment(start, len)
                    .await
                    .map_err(SessionEnd::Failed)?;
                final_sent |= start + len == total;
                let req = self
                    .client
                    .req_preauth(Method::PUT, url, SESSION)
                    .map_err(SessionEnd::Failed)?
                    .bytes(body, OCTET_STREAM)
                    .header(CONTENT_RANGE, &content_range(start, len, total))
                    .map_err(SessionEnd::Failed)?
                    .idempotency(Idempotency::NonIdempotent)
                    .timeout(settings.fragment_timeout);
                // While this fragment is on the wire, read the next one (the usual answer asks
                // for the bytes right after it).
                let (ahead, ahead_len) = next_fragment(
                    Expected {
                        start: start + len,
                        end: None,
                    },
                    chunk,
                    total,
                );
                let (sent, ()) = tokio::join!(
                    self.client.send_raw(&req),
                    source.read_ahead(ahead, ahead_len)
                );
                match sent {
                    Ok(resp) => match resp.status().as_u16() {
                        200 | 201 => match read_json::<DriveItem>(resp, &req.label).await {
                            Ok(item) => return Ok(item),
                            Err(e) => e,
                        },
                        202 => match read_json::<UploadSession>(resp, &req.label).await {
                            Ok(next) => match first_expected(&next.next_expected_ranges) {
                                Some(e) => {
                                    expected = e;
                                    if e.start > best {
                                        best = e.start;
                                        failures = 0;
                                    }
                                    confirmed.up_to(e.start);
                                    continue;
                                }
                                None => {
                                    Error::protocol(&req.label, "202 without nextExpectedRanges")
                                }
                            },
                            Err(e) => e,
                        },
                        404 => return Err(SessionEnd::Gone { final_sent }),
                        416 | 500..=599 => self.client.api_error(resp, &req).await.into(),
                        _ => {
                            return Err(SessionEnd::Failed(
                                self.client.api_error(resp, &req).await.into(),
                            ))
                        }
                    },
                    Err(e @ Error::Transport { .. }) => e,
                    Err(e) => return Err(SessionEnd::Failed(e)),
                }
            };
            // Recover: ask the session what it has, and continue from there.
            failures += 1;
            if failures > settings.max_resume_attempts {
                return Err(SessionEnd::Failed(failure));
            }
            tracing::warn!(error = %failure, attempt = failures, "upload fragment failed: asking the session where to resume");
            tokio::time::sleep(self.client.sender().policy.backoff(failures - 1)).await;
            match self.session_status(url).await {
                Ok(Some(status)) => match first_expected(&status.next_expected_ranges) {
                    Some(e) => {
                        expected = e;
                        if e.start > best {
                            best = e.start;
                            failures = 0;
                        }
                        confirmed.up_to(e.start);
                    }
                    // Nothing expected: the upload completed but its answer was lost.
                    None => return Err(SessionEnd::Gone { final_sent: true }),
                },
                Ok(None) => return Err(SessionEnd::Gone { final_sent }),
                Err(e) => tracing::warn!(error = %e, "could not read the upload session status"),
            }
        }
    }

    /// `GET uploadUrl`: `None` when the session is gone (404).
    async fn session_status(&self, url: &str) -> Result<Option<UploadSession>> {
        let req = self.client.req_preauth(Method::GET, url, SESSION)?;
        let resp = self.client.send_raw(&req).await?;
        match resp.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => Ok(Some(read_json(resp, &req.label).await?)),
            _ => Err(self.client.api_error(resp, &req).await.into()),
        }
    }

    /// `DELETE uploadUrl`, best effort.
    async fn cancel_session(&self, url: &str) {
        let outcome = match self.client.req_preauth(Method::DELETE, url, SESSION) {
            Ok(req) => self
                .client
                .send_raw(&req)
                .await
                .map(|r| r.status().as_u16()),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(status) => tracing::debug!(status, "upload session cancelled"),
            Err(e) => tracing::debug!(error = %e, "could not cancel the upload session"),
        }
    }
}

fn matches_source(item: &DriveItem, source: &Source<'_>) -> bool {
    let size_ok = item.size == Some(source.size);
    let hash_ok = match (item.quick_xor_hash(), source.hash()) {
        (Some(remote), Some(local)) => same_hash(remote, &local),
        _ => false,
    };
    size_ok && hash_ok
}

/// Checks the returned item against what was sent.
fn verify(item: &DriveItem, source: &Source<'_>, target: &ItemRef) -> Result<()> {
    if let Some(size) = item.size {
        if size != source.size {
            return Err(Error::Integrity {
                what: target.describe(),
                detail: format!("sent {} bytes, the drive has {size}", source.size),
            });
        }
    }
    if let (Some(remote), Some(local)) = (item.quick_xor_hash(), source.hash()) {
        if !same_hash(remote, &local) {
            return Err(Error::Integrity {
                what: target.describe(),
                detail: format!("quickXorHash sent {local}, the drive has {remote}"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickxorhash::QuickXorHash;
    use crate::wire::{FileFacet, Hashes};

    fn item(size: u64, hash: &str) -> DriveItem {
        DriveItem {
            id: "x".into(),
            size: Some(size),
            file: Some(FileFacet {
                mime_type: None,
                hashes: Some(Hashes {
                    quick_xor_hash: Some(hash.into()),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn the_returned_item_must_match_what_was_sent() {
        let data = b"some content".to_vec();
        let mut source = Source::seekable(std::io::Cursor::new(data.clone()), 12, "t".into());
        source.read_all().await.unwrap();
        let target = ItemRef::path("/t.txt");
        let good = QuickXorHash::hash_base64(&data);
        assert!(verify(&item(12, &good), &source, &target).is_ok());
        assert!(matches_source(&item(12, &good), &source));
        let other = QuickXorHash::hash_base64(b"other content");
        let err = verify(&item(12, &other), &source, &target).unwrap_err();
        assert!(matches!(err, Error::Integrity { .. }), "{err}");
        assert!(err.to_string().contains("/t.txt"), "{err}");
        let err = verify(&item(11, &good), &source, &target).unwrap_err();
        assert!(err.to_string().contains("12 bytes"), "{err}");
        assert!(!matches_source(&item(11, &good), &source));
        // No hash reported: the size check alone.
        let mut bare = item(12, &good);
        bare.file = None;
        assert!(verify(&bare, &source, &target).is_ok());
    }
}
