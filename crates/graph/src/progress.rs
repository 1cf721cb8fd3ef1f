//! Progress reporting for transfers (for progress bars).

/// Receives transfer progress. Bytes are reported once each, as they are confirmed (written
/// locally for downloads, acknowledged by Graph for uploads); a resume never reports twice.
/// Implementations must be cheap: they are called for every received chunk.
pub trait Progress: Send + Sync {
    /// `bytes` more bytes were transferred.
    fn advance(&self, bytes: u64);

    /// A file transfer starts; `size` is its length when known.
    fn file_started(&self, _path: &str, _size: Option<u64>) {}

    /// A file transfer ended (successfully or not).
    fn file_finished(&self, _path: &str, _ok: bool) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&self, _bytes: u64) {}
}

impl<F: Fn(u64) + Send + Sync> Progress for F {
    fn advance(&self, bytes: u64) {
        self(bytes);
    }
}
