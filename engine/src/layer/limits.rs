//! Image-wide limits shared by the layers being read in parallel.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Configurable limits of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum uncompressed size of all layers together (`maxImageSizeMb`).
    pub max_image_bytes: u64,
    /// Maximum number of tar entries in all layers together.
    pub max_entries: u64,
    /// Maximum bytes of one file handed to analyzers.
    pub max_file_read: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_image_bytes: 2048 << 20,
            max_entries: 2_000_000,
            max_file_read: 64 << 20,
        }
    }
}

/// Which limit an image went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// More uncompressed bytes than allowed were read.
    Size { read: u64, limit: u64 },
    /// More entries than allowed were seen.
    Entries { seen: u64, limit: u64 },
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::Size { read, limit } => write!(
                f,
                "uncompressed size exceeds the limit of {} MiB ({limit} bytes): {read} bytes read before stopping",
                limit >> 20
            ),
            Exceeded::Entries { seen, limit } => {
                write!(
                    f,
                    "more than {limit} files and directories (stopped at {seen})"
                )
            }
        }
    }
}

/// File contents up to this size are read without a reservation: workers × this is small.
pub const SMALL_READ: u64 = 1 << 20;

/// Counters shared by every layer of one scan, and the flag that stops them all.
#[derive(Debug, Default)]
pub struct Budget {
    limits: Limits,
    bytes: AtomicU64,
    entries: AtomicU64,
    exceeded: std::sync::Mutex<Option<Exceeded>>,
    stop: AtomicBool,
    /// Bytes of large file contents held by all workers together.
    content_held: std::sync::Mutex<u64>,
    content_freed: std::sync::Condvar,
}

/// A reservation of content bytes; released when dropped.
#[derive(Debug)]
pub struct ContentPermit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Drop for ContentPermit<'_> {
    fn drop(&mut self) {
        let mut held = self
            .budget
            .content_held
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *held = held.saturating_sub(self.bytes);
        self.budget.content_freed.notify_all();
    }
}

impl Budget {
    /// A fresh budget for one scan.
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits,
            ..Default::default()
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Count `n` uncompressed bytes; `Err` once over the limit.
    pub fn add_bytes(&self, n: u64) -> Result<(), Exceeded> {
        let read = self.bytes.fetch_add(n, Ordering::Relaxed) + n;
        if read > self.limits.max_image_bytes {
            return Err(self.exceed(Exceeded::Size {
                read,
                limit: self.limits.max_image_bytes,
            }));
        }
        Ok(())
    }

    /// Count one entry; `Err` once over the limit.
    pub fn add_entry(&self) -> Result<(), Exceeded> {
        let seen = self.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if seen > self.limits.max_entries {
            return Err(self.exceed(Exceeded::Entries {
                seen,
                limit: self.limits.max_entries,
            }));
        }
        Ok(())
    }

    fn exceed(&self, e: Exceeded) -> Exceeded {
        let mut first = self.exceeded.lock().unwrap_or_else(|p| p.into_inner());
        self.stop.store(true, Ordering::Relaxed);
        *first.get_or_insert(e)
    }

    /// Reserve `bytes` for one file's content. Large reads of all workers together stay within
    /// the per-file limit, so peak memory does not grow with the number of workers; a worker
    /// waits while others hold the budget (each holds at most one permit, so this cannot
    /// deadlock).
    pub fn reserve_content(&self, bytes: u64) -> ContentPermit<'_> {
        let limit = self.limits.max_file_read.max(SMALL_READ);
        let mut held = self.content_held.lock().unwrap_or_else(|p| p.into_inner());
        while *held > 0 && *held + bytes > limit {
            held = self
                .content_freed
                .wait(held)
                .unwrap_or_else(|p| p.into_inner());
        }
        *held += bytes;
        ContentPermit {
            budget: self,
            bytes,
        }
    }

    /// The first limit exceeded, if any.
    pub fn exceeded(&self) -> Option<Exceeded> {
        *self.exceeded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ask every layer to stop (another layer failed).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether layers should stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Counts decompressed bytes against the image-wide size limit.
pub struct Metered<'a, R> {
    inner: R,
    budget: &'a Budget,
}

impl<'a, R> Metered<'a, R> {
    /// Meter `inner` against `budget`.
    pub fn new(inner: R, budget: &'a Budget) -> Self {
        Metered { inner, budget }
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.stopped() {
            return Err(io::Error::other("scan stopped"));
        }
        let n = self.inner.read(buf)?;
        self.budget
            .add_bytes(n as u64)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_reservations_share_one_budget() {
        let b = Budget::new(Limits {
            max_file_read: 10 << 20,
            ..Limits::default()
        });
        let first = b.reserve_content(8 << 20);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _second = b.reserve_content(8 << 20);
                tx.send(()).unwrap();
            });
            // The second reservation waits while the first holds the budget.
            assert!(
                rx.recv_timeout(std::time::Duration::from_millis(200))
                    .is_err()
            );
            drop(first);
            rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        });
        assert_eq!(*b.content_held.lock().unwrap(), 0);
    }

    #[test]
    fn size_limit_trips_once_and_stops_all() {
        let b = Budget::new(Limits {
            max_image_bytes: 10,
            ..Limits::default()
        });
        assert!(b.add_bytes(10).is_ok());
        assert!(matches!(
            b.add_bytes(1),
            Err(Exceeded::Size {
                read: 11,
                limit: 10
            })
        ));
        assert!(b.stopped());
        let mut m = Metered::new(&b"abc"[..], &b);
        assert!(m.read(&mut [0; 3]).is_err());
        assert_eq!(
            b.exceeded(),
            Some(Exceeded::Size {
                read: 11,
                limit: 10
            })
        );
    }
}
