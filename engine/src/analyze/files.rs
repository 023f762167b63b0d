//! File records: type, mode, link target and content digest of selected files.
//!
//! Not in the default list; used where a file listing is wanted (known-bad hashes, file-level
//! SBOMs, comparing our view of an image with another tool's).

use crate::analyze::{Analyzer, Artifact, Want};
use crate::layer::walk::{EntryKind, EntryMeta};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// One file as the image holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Entry type.
    pub kind: EntryKind,
    /// Permission bits.
    pub mode: u32,
    /// Content size (files only).
    pub size: u64,
    /// Link target (symlinks as written; hardlinks normalised).
    pub link: Option<String>,
    /// `sha256:<hex>` of the content, for files read whole.
    pub sha256: Option<String>,
}

/// Records every entry whose path `select` accepts.
pub struct FileDigests {
    select: fn(&str) -> bool,
}

impl FileDigests {
    /// Record every entry.
    pub fn all() -> Self {
        FileDigests { select: |_| true }
    }

    /// Record the entries whose path `select` accepts.
    pub fn matching(select: fn(&str) -> bool) -> Self {
        FileDigests { select }
    }
}

impl Analyzer for FileDigests {
    fn name(&self) -> &'static str {
        "files"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (self.select)(&entry.path).then_some(if entry.kind == EntryKind::File {
            Want::Content(u64::MAX)
        } else {
            Want::Meta
        })
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        let sha256 = (entry.kind == EntryKind::File && !truncated)
            .then(|| format!("sha256:{}", hex::encode(Sha256::digest(content))));
        Ok(vec![Artifact::File(FileRecord {
            kind: entry.kind,
            mode: entry.mode,
            size: entry.size,
            link: entry.link.clone(),
            sha256,
        })])
    }
}
