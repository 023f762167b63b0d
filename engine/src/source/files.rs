//! Named files inside a local image container: a directory, or an uncompressed tar archive.

use crate::error::{Error, Result};
use crate::source::BlobReader;
use std::fs::File;
use std::io;
use std::path::PathBuf;

/// Read access to files by relative path (`blobs/sha256/<hex>`, `index.json`).
pub trait Files: Send + Sync {
    /// Open a file; `Ok(None)` when it does not exist.
    fn open(&self, rel: &str) -> Result<Option<BlobReader<'_>>>;
    /// A file's size, if it exists.
    fn size(&self, rel: &str) -> Option<u64>;
}

/// Files of a directory.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    /// Files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirFiles { root: root.into() }
    }

    fn path(&self, rel: &str) -> Option<PathBuf> {
        // Names come from manifests we have not verified yet: refuse anything but plain components.
        if rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return None;
        }
        Some(self.root.join(rel))
    }
}

impl Files for DirFiles {
    fn open(&self, rel: &str) -> Result<Option<BlobReader<'_>>> {
        let Some(path) = self.path(rel) else {
            return Ok(None);
        };
        match File::open(&path) {
            Ok(f) => Ok(Some(Box::new(io::BufReader::with_capacity(256 << 10, f)))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display().to_string(), e)),
        }
    }

    fn size(&self, rel: &str) -> Option<u64> {
        std::fs::metadata(self.path(rel)?).ok().map(|m| m.len())
    }
}
