//! Where upload bytes come from: a seekable reader (files: any resume possible) or a plain
//! stream (resume only within the fragment in memory). Hashes every byte once, in order.

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
    /// The last fragment read, starting at `buffer_start` (kept to resend without re-reading).
    buffer: Bytes,
    buffer_start: u64,
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
            what,
        }
    }

    /// The QuickXorHash of the whole source, once every byte has been read.
    pub(crate) fn hash(&self) -> Option<String> {
        (self.hashed == self.size).then(|| self.hasher.finish_base64())
    }

    /// Bytes `[start, start + len)`.
    pub(crate) async fn fragment(&mut self, start: u64, len: u64) -> Result<Bytes> {
        let buffered_end = self.buffer_start + self.buffer.len() as u64;
        if start >= self.buffer_start && start + len <= buffered_end {
            let from = (start - self.buffer_start) as usize;
            return Ok(self.buffer.slice(from..from + len as usize));
        }
        self.buffer = Bytes::new();
        if start > self.hashed {
            // Graph skips ahead of what we sent (it had bytes from an earlier attempt): read the
            // gap anyway so the hash covers the whole file.
            self.position(self.hashed).await?;
            self.discard(start - self.hashed).await?;
        }
        self.position(start).await?;
        let mut buf = BytesMut::zeroed(len as usize);
        self.read_exact(&mut buf).await?;
        self.absorb(start, &buf);
        self.pos = start + len;
        self.buffer = buf.freeze();
        self.buffer_start = start;
        Ok(self.buffer.clone())
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
            Reader::Seekable(r) => r.read_exact(buf).await,
            Reader::Stream(r) => r.read_exact(buf).await,
        };
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(Error::invalid(
                "upload source",
                format!(
                    "{} ended before its announced size of {} bytes (did it shrink while uploading?)",
                    self.what, self.size
                ),
            )),
            Err(e) => Err(Error::io(format!("reading {}", self.what))(e)),
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
    async fn short_sources_are_reported() {
        let content = data(10);
        let mut s = Source::stream(&content[..], 20, "pipe".into());
        let err = s.read_all().await.unwrap_err();
        assert!(err.to_string().contains("ended before"), "{err}");
    }
}
