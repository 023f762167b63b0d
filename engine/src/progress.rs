//! What a scan reports while it reads layers: the CLI draws a bar from it, the agent may log it.

use std::io::{self, Read};

/// Receives a scan's progress; every method has a do-nothing default.
pub trait Progress: Send + Sync {
    /// Reading starts: `layers` layers not served from the cache, `bytes` bytes of blobs in all
    /// (0 when the sizes are unknown).
    fn start(&self, _layers: usize, _bytes: u64) {}
    /// `n` more bytes of a layer blob were read.
    fn advance(&self, _n: u64) {}
    /// One more layer is done.
    fn layer_done(&self) {}
}

/// A reader that reports every byte it hands over.
pub(crate) struct Counting<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
}

impl<'a, R> Counting<'a, R> {
    pub(crate) fn new(inner: R, progress: &'a dyn Progress) -> Self {
        Counting { inner, progress }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}
