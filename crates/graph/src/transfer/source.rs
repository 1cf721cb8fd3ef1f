//! Where upload bytes come from: a seekable reader (files: any resume possible) or a plain
//! stream (resume only within the fragments in memory). Hashes every byte once, in order.
//!
//! Two fragments are held at most: the one being sent (kept to resend without re-reading) and
//! the next one, read ahead while the first is on the wire.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

use crate::error::{Error, Result};
use crate::quickxorhash::QuickXorHash;

/// A reader that can also seek.
pub trait ReadSeek: AsyncRead + AsyncSeek + Unpin + Send {}
impl<T: AsyncRead + AsyncSeek + Unpin + Send> ReadSeek for T {}

enum Reader<'a> {
    /// A local file, read at offsets on the blocking pool straight into the fragment buffer.
    File(Arc<std::fs::File>),
    Seekable(Box<dyn ReadSeek + 'a>),
    Stream(Box<dyn AsyncRead + Unpin + Send + 'a>),
}

pub(crate) struct Source<'a> {
    reader: Reader<'a>,
    /// Position of the reader.
    pos: u64,
    /// Total size announced for the upload.
    pub(crate) size: u64,
    /// Bytes `[0, hashed)` went through the hasher.
    hashed: u64,
    hasher: QuickXorHash,
    /// The last fragment handed out, starting at `buffer_start` (kept to resend without
    /// re-reading).
    buffer: Bytes,
    buffer_start: u64,
    /// The fragment read ahead, starting at `ahead_start`.
    ahead: Bytes,
    ahead_start: u64,
    /// A fragment buffer no longer used, kept to read the next fragment into (fresh memory
    /// costs a page fault per 4 KiB).
    spare: Option<BytesMut>,
    /// What the source is, for messages.
    what: String,
}

const DISCARD_PIECE: usize = 64 * 1024;

impl<'a> Source<'a> {
    /// A local file of `size` bytes.
    pub(crate) fn file(file: std::fs::File, size: u64, what: String) -> Self {
        Self::new(Reader::File(Arc::new(file)), size, what)
    }

    pub(crate) fn seekable(reader: impl ReadSeek + 'a, size: u64, what: String) -> Self {
        Self::new(Reader::Seekable(Box::new(reader)), size, what)
    }

    pub(crate) fn stream(
        reader: impl AsyncRead + Unpin + Send + 'a,
        size: u64,
        what: String,
    ) -> Self {
        Self::new(Reader::Stream(Box::new(reader)), size, what)
    }

    fn new(reader: Reader<'a>, size: u64, what: String) -> Self {
        Self {
            reader,
            pos: 0,
            size,
            hashed: 0,
            hasher: QuickXorHash::new(),
            buffer: Bytes::new(),
            buffer_start: 0,
            ahead: Bytes::new(),
            ahead_start: 0,
            spare: None,
            what,
        }
    }

    /// The QuickXorHash of the whole source, once every byte has been read.
    pub(crate) fn hash(&self) -> Option<String> {
        (self.hashed == self.size).then(|| self.hasher.finish_base64())
    }

    /// Bytes `[start, start + len)`.
    pub(crate) async fn fragment(&mut self, start: u64, len: u64) -> Result<Bytes> {
        if let Some(bytes) = slice_of(&self.buffer, self.buffer_start, start, len) {
            return Ok(bytes);
        }
        if let Some(bytes) = slice_of(&self.ahead, self.ahead_start, start, len) {
            let old = std::mem::replace(&mut self.buffer, std::mem::take(&mut self.ahead));
            self.recycle(old);
            self.buffer_start = self.ahead_start;
            return Ok(bytes);
        }
        if let Some(bytes) = self.spanning(start, len) {
            // A resume from inside the fragment sent: the rest of it plus the start of the one
            // read ahead (a stream cannot read them again).
            self.buffer = bytes.clone();
            self.buffer_start = start;
            return Ok(bytes);
        }
        let (old_ahead, old) = (
            std::mem::take(&mut self.ahead),
            std::mem::take(&mut self.buffer),
        );
        self.recycle(old_ahead);
        self.recycle(old);
        self.buffer = self.read(start, len).await?;
        self.buffer_start = start;
        Ok(self.buffer.clone())
    }

    /// Reads `[start, start + len)` ahead of need (while the fragment before it is being sent),
    /// so that the next [`Source::fragment`] finds it in memory. A failure is not reported here:
    /// the next `fragment` call reads again and reports it.
    pub(crate) async fn read_ahead(&mut self, start: u64, len: u64) {
        if len == 0
            || slice_of(&self.buffer, self.buffer_start, start, len).is_some()
            || slice_of(&self.ahead, self.ahead_start, start, len).is_some()
        {
            return;
        }
        let old = std::mem::take(&mut self.ahead);
        self.recycle(old);
        match self.read(start, len).await {
            Ok(bytes) => {
                self.ahead = bytes;
                self.ahead_start = start;
            }
            Err(e) => {
                tracing::debug!(error = %e, "reading ahead failed: the next fragment reads again");
            }
        }
    }

    /// Keeps a buffer nobody else holds any more as the spare.
    fn recycle(&mut self, old: Bytes) {
        if let Ok(buf) = old.try_into_mut() {
            if self
                .spare
                .as_ref()
                .is_none_or(|s| s.capacity() < buf.capacity())
            {
                self.spare = Some(buf);
            }
        }
    }

    /// An empty buffer with room for `len` bytes: the spare when it is big enough.
    fn buffer_for(&mut self, len: usize) -> BytesMut {
        match self.spare.take() {
            Some(mut buf) if buf.capacity() >= len => {
                buf.clear();
                buf
            }
            _ => BytesMut::with_capacity(len),
        }
    }

    /// `[start, start + len)` when it begins in the held fragment and ends in the one read
    /// ahead right after it.
    fn spanning(&self, start: u64, len: u64) -> Option<Bytes> {
        let buffer_end = self.buffer_start + self.buffer.len() as u64;
        let ahead_end = self.ahead_start + self.ahead.len() as u64;
        let contiguous =
            !self.buffer.is_empty() && !self.ahead.is_empty() && self.ahead_start == buffer_end;
        if !contiguous
            || start < self.buffer_start
            || start >= buffer_end
            || start + len > ahead_end
        {
            return None;
        }
        let mut out = BytesMut::with_capacity(len as usize);
        out.extend_from_slice(&self.buffer[(start - self.buffer_start) as usize..]);
        out.extend_from_slice(&self.ahead[..(start + len - buffer_end) as usize]);
        Some(out.freeze())
    }

    /// Reads `[start, start + len)` from the reader, hashing what was not hashed yet.
    async fn read(&mut self, start: u64, len: u64) -> Result<Bytes> {
        if start > self.hashed {
            // Graph skips ahead of what we sent (it had bytes from an earlier attempt): read the
            // gap anyway so the hash covers the whole file.
            self.position(self.hashed).await?;
            self.discard(start - self.hashed).await?;
        }
        self.position(start).await?;
        let buf = self.read_new(len as usize).await?;
        self.absorb(start, &buf);
        self.pos = start + len;
        Ok(buf.freeze())
    }

    /// The whole content (small files).
    pub(crate) async fn read_all(&mut self) -> Result<Bytes> {
        self.fragment(0, self.size).await
    }

    async fn position(&mut self, to: u64) -> Result<()> {
        if self.pos == to {
            return Ok(());
        }
        match &mut self.reader {
            Reader::File(_) => {
                self.pos = to;
                Ok(())
            }
            Reader::Seekable(r) => {
                r.seek(std::io::SeekFrom::Start(to))
                    .await
                    .map_err(Error::io(format!("seeking in {}", self.what)))?;
                self.pos = to;
                Ok(())
            }
            Reader::Stream(_) if to > self.pos => self.discard(to - self.pos).await,
            Reader::Stream(_) => Err(Error::invalid(
                "upload source",
                format!(
                    "{} cannot be rewound to byte {to} to resume (it is not seekable); retry from a file",
                    self.what
                ),
            )),
        }
    }

    /// Reads and drops `n` bytes (hashing those not hashed yet).
    async fn discard(&mut self, mut n: u64) -> Result<()> {
        let mut piece = vec![0u8; DISCARD_PIECE];
        while n > 0 {
            let take = n.min(DISCARD_PIECE as u64) as usize;
            self.read_exact(&mut piece[..take]).await?;
            let at = self.pos;
            self.absorb(at, &piece[..take]);
            self.pos += take as u64;
            n -= take as u64;
        }
        Ok(())
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let result = match &mut self.reader {
            Reader::File(f) => {
                let (f, at, len) = (f.clone(), self.pos, buf.len());
                let mut piece = vec![0u8; len];
                match tokio::task::spawn_blocking(move || {
                    read_full_at(&f, &mut piece, at).map(|()| piece)
                })
                .await
                {
                    Ok(Ok(piece)) => {
                        buf.copy_from_slice(&piece);
                        Ok(())
                    }
                    Ok(Err(e)) => Err(e),
                    Err(e) => Err(std::io::Error::other(e)),
                }
            }
            Reader::Seekable(r) => r.read_exact(buf).await.map(drop),
            Reader::Stream(r) => r.read_exact(buf).await.map(drop),
        };
        result.map_err(|e| self.read_failed(e))
    }

    /// Reads exactly `len` bytes into a buffer (the spare, or fresh memory).
    async fn read_new(&mut self, len: usize) -> Result<BytesMut> {
        let mut buf = self.buffer_for(len);
        if let Reader::File(f) = &self.reader {
            let (f, at) = (f.clone(), self.pos);
            let read = tokio::task::spawn_blocking(move || {
                buf.resize(len, 0);
                read_full_at(&f, &mut buf, at).map(|()| buf)
            })
            .await;
            return match read {
                Ok(Ok(buf)) => Ok(buf),
                Ok(Err(e)) => Err(self.read_failed(e)),
                Err(e) => Err(self.read_failed(std::io::Error::other(e))),
            };
        }
        let filled = match &mut self.reader {
            Reader::Seekable(r) => fill(r, &mut buf, len).await,
            Reader::Stream(r) => fill(r, &mut buf, len).await,
            Reader::File(_) => Err(std::io::Error::other("file sources are read at offsets")),
        };
        if let Err(e) = filled {
            return Err(self.read_failed(e));
        }
        Ok(buf)
    }

    fn read_failed(&mut self, e: std::io::Error) -> Error {
        // Where the reader stopped is unknown: seek before the next read.
        self.pos = u64::MAX;
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::invalid(
                "upload source",
                format!(
                    "{} ended before its announced size of {} bytes (did it shrink while uploading?)",
                    self.what, self.size
                ),
            )
        } else {
            Error::io(format!("reading {}", self.what))(e)
        }
    }

    /// Feeds the hasher with the part of `data` (which starts at `at`) not hashed yet.
    fn absorb(&mut self, at: u64, data: &[u8]) {
        let end = at + data.len() as u64;
        if at <= self.hashed && end > self.hashed {
            self.hasher.update(&data[(self.hashed - at) as usize..]);
            self.hashed = end;
        }
    }
}

/// Reads from `reader` until `buf` holds `len` bytes (a short source is `UnexpectedEof`).
async fn fill<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    buf: &mut BytesMut,
    len: usize,
) -> std::io::Result<()> {
    while buf.len() < len {
        let want = (len - buf.len()) as u64;
        if (&mut *reader).take(want).read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// Fills `buf` from `file` at offset `at` (blocking).
fn read_full_at(file: &std::fs::File, buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt;
    #[cfg(windows)]
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        #[cfg(unix)]
        let n = file.read_at(&mut buf[done..], at);
        #[cfg(windows)]
        let n = file.seek_read(&mut buf[done..], at);
        match n {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                done += n;
                at += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `[start, start + len)` out of `buf` (which starts at `buf_start`), if it holds all of it.
fn slice_of(buf: &Bytes, buf_start: u64, start: u64, len: u64) -> Option<Bytes> {
    let end = buf_start + buf.len() as u64;
    (start >= buf_start && start + len <= end && !buf.is_empty()).then(|| {
        let from = (start - buf_start) as usize;
        buf.slice(from..from + len as usize)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[tokio::test]
    async fn rereads_and_skips_still_hash_each_byte_once() {
        let content = data(5000);
        let mut s = Source::seekable(std::io::Cursor::new(content.clone()), 5000, "test".into());
        assert_eq!(&s.fragment(0, 1000).await.unwrap()[..], &content[..1000]);
        assert_eq!(
            &s.fragment(1000, 1000).await.unwrap()[..],
            &content[1000..2000]
        );
        // Resume inside the buffer, then rewind before it.
        assert_eq!(
            &s.fragment(1500, 500).await.unwrap()[..],
            &content[1500..2000]
        );
        assert_eq!(
            &s.fragment(500, 1000).await.unwrap()[..],
            &content[500..1500]
        );
        // Skip ahead of everything read so far.
        assert_eq!(&s.fragment(3000, 2000).await.unwrap()[..], &content[3000..]);
        assert_eq!(s.hash().unwrap(), QuickXorHash::hash_base64(&content));
    }

    #[tokio::test]
    async fn streams_resume_forward_only() {
        let content = data(3000);
        let mut s = Source::stream(&content[..], 3000, "stdin".into());
        s.fragment(0, 1000).await.unwrap();
        s.fragment(1000, 1000).await.unwrap();
        assert_eq!(
            &s.fragment(1200, 800).await.unwrap()[..],
            &content[1200..2000]
        );
        let err = s.fragment(100, 100).await.unwrap_err();
        assert!(err.to_string().contains("not seekable"), "{err}");
        s.fragment(2000, 1000).await.unwrap();
        assert_eq!(s.hash().unwrap(), QuickXorHash::hash_base64(&content));
    }

    #[tokio::test]
    async fn read_ahead_serves_the_next_fragment_and_resumes_across_both() {
        let content = data(4000);
        let mut s = Source::stream(&content[..], 4000, "pipe".into());
        assert_eq!(&s.fragment(0, 1000).await.unwrap()[..], &content[..1000]);
        s.read_ahead(1000, 1000).await;
        // A resume from inside the fragment sent spans into the one read ahead: a stream
        // cannot read it again, so both come from memory.
        assert_eq!(
            &s.fragment(600, 1000).await.unwrap()[..],
            &content[600..1600]
        );
        assert_eq!(
            &s.fragment(1600, 400).await.unwrap()[..],
            &content[1600..2000]
        );
        s.read_ahead(2000, 1000).await;
        assert_eq!(
            &s.fragment(2000, 1000).await.unwrap()[..],
            &content[2000..3000]
        );
        s.read_ahead(3000, 1000).await;
        s.read_ahead(3000, 1000).await; // already held: no second read
        assert_eq!(&s.fragment(3000, 1000).await.unwrap()[..], &content[3000..]);
        assert_eq!(s.hash().unwrap(), QuickXorHash::hash_base64(&content));
    }

    #[tokio::test]
    async fn a_failed_read_ahead_is_reported_by_the_next_fragment() {
        let content = data(1500);
        let mut s = Source::seekable(std::io::Cursor::new(content.clone()), 2000, "short".into());
        s.fragment(0, 1000).await.unwrap();
        s.read_ahead(1000, 1000).await;
        let err = s.fragment(1000, 1000).await.unwrap_err();
        assert!(err.to_string().contains("ended before"), "{err}");
        // The reader's position is re-established before the next read.
        assert_eq!(&s.fragment(0, 1000).await.unwrap()[..], &content[..1000]);
    }

    #[tokio::test]
    async fn files_are_read_at_offsets_and_hashed_once() {
        let content = data(5000);
        let mut tmp = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut tmp, &content).unwrap();
        let mut s = Source::file(tmp.try_clone().unwrap(), 5000, "file".into());
        assert_eq!(&s.fragment(0, 1000).await.unwrap()[..], &content[..1000]);
        s.read_ahead(1000, 1000).await;
        assert_eq!(
            &s.fragment(1000, 1000).await.unwrap()[..],
            &content[1000..2000]
        );
        // Rewind, then skip ahead: the skipped bytes are read for the hash.
        assert_eq!(&s.fragment(200, 300).await.unwrap()[..], &content[200..500]);
        assert_eq!(&s.fragment(4000, 1000).await.unwrap()[..], &content[4000..]);
        assert_eq!(s.hash().unwrap(), QuickXorHash::hash_base64(&content));
        // The file shrinks: reported, not padded.
        tmp.set_len(3000).unwrap();
        let mut s = Source::file(tmp, 5000, "file".into());
        let err = s.fragment(2000, 3000).await.unwrap_err();
        assert!(err.to_string().contains("ended before"), "{err}");
    }

    #[tokio::test]
    async fn short_sources_are_reported() {
        let content = data(10);
        let mut s = Source::stream(&content[..], 20, "pipe".into());
        let err = s.read_all().await.unwrap_err();
        assert!(err.to_string().contains("ended before"), "{err}");
    }
}
