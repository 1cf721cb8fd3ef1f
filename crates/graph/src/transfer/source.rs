//! Where upload bytes come from: a seekable reader (files: any resume possible) or a plain
//! stream (resume only within the fragments in memory). Hashes every byte once, in order.
//!
//! Two fragments are held at most: the one being sent (kept to resend without re-reading) and
//! the next one, read ahead while the first is on the wire.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

use crate::error::{Error, Result};
use crate::quickxorhash::QuickXorHash;

/// A reader that can also seek.
pub trait ReadSeek: AsyncRead + AsyncSeek + Unpin + Send {}
impl<T: AsyncRead + AsyncSeek + Unpin + Send> ReadSeek for T {}

enum Reader<'a> {
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
    /// What the source is, for messages.
    what: String,
}

const DISCARD_PIECE: usize = 64 * 1024;

impl<'a> Source<'a> {
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
            self.buffer = std::mem::take(&mut self.ahead);
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
        self.ahead = Bytes::new();
        self.buffer = Bytes::new();
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
        self.ahead = Bytes::new();
        match self.read(start, len).await {
            Ok(bytes) => {
                self.ahead = bytes;
                self.ahead_start = start;
            }
            Err(e) => {
                tracing::debug!(error = %e, "reading ahead failed: the next fragment reads again")
            }
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
            Reader::Seekable(r) => r.read_exact(buf).await.map(drop),
            Reader::Stream(r) => r.read_exact(buf).await.map(drop),
        };
        result.map_err(|e| self.read_failed(e))
    }

    /// Reads exactly `len` bytes into fresh memory (not zeroed first: every byte is read over).
    async fn read_new(&mut self, len: usize) -> Result<BytesMut> {
        let mut buf = BytesMut::with_capacity(len);
        while buf.len() < len {
            let want = (len - buf.len()) as u64;
            let got = match &mut self.reader {
                Reader::Seekable(r) => r.take(want).read_buf(&mut buf).await,
                Reader::Stream(r) => r.take(want).read_buf(&mut buf).await,
            };
            match got {
                Ok(0) => return Err(self.read_failed(std::io::ErrorKind::UnexpectedEof.into())),
                Ok(_) => {}
                Err(e) => return Err(self.read_failed(e)),
            }
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
    async fn short_sources_are_reported() {
        let content = data(10);
        let mut s = Source::stream(&content[..], 20, "pipe".into());
        let err = s.read_all().await.unwrap_err();
        assert!(err.to_string().contains("ended before"), "{err}");
    }
}
