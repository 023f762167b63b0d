//! Random access to the members of an uncompressed tar archive, without extracting it.
//!
//! OCI and docker archives are plain tars of blobs; one pass records where each member's data
//! starts, and a blob is then read in place with a seek.

use crate::error::{Error, Result};
use crate::layer::path::normalize;
use crate::source::{BlobReader, Files};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Offsets of the regular files of an uncompressed tar archive.
#[derive(Debug)]
pub struct TarIndex {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

/// Archives with more members than this are not image archives.
const MAX_MEMBERS: usize = 1_000_000;

impl TarIndex {
    /// Index the archive at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(|e| Error::io(&name, e))?;
        if n >= 2 && magic[..2] == [0x1f, 0x8b] || n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(Error::invalid(
                &name,
                "compressed image archives are not supported; decompress it first (gunzip / unzstd)",
            ));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&name, e))?;
        let mut archive = tar::Archive::new(BufReader::new(file));
        let mut members = HashMap::new();
        let entries = archive
            .entries()
            .map_err(|e| Error::invalid(&name, format!("not a tar archive: {e}")))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::invalid(&name, format!("corrupt tar archive: {e}")))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let Some(member) = normalize(&entry.path_bytes()) else {
                continue;
            };
            if members.len() >= MAX_MEMBERS {
                return Err(Error::invalid(&name, "more than 1,000,000 members"));
            }
            members.insert(member, (entry.raw_file_position(), entry.size()));
        }
        if members.is_empty() {
            return Err(Error::invalid(&name, "empty or not a tar archive"));
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            members,
        })
    }

    /// Whether the archive has a regular file at `rel`.
    pub fn contains(&self, rel: &str) -> bool {
        self.members.contains_key(rel)
    }
}

impl Files for TarIndex {
    fn open(&self, rel: &str) -> Result<Option<BlobReader<'_>>> {
        let Some(&(offset, size)) = self.members.get(rel) else {
            return Ok(None);
        };
        let name = || format!("{}: {rel}", self.path.display());
        let mut file = File::open(&self.path).map_err(|e| Error::io(name(), e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(name(), e))?;
        Ok(Some(Box::new(
            BufReader::with_capacity(256 << 10, file).take(size),
        )))
    }

    fn size(&self, rel: &str) -> Option<u64> {
        self.members.get(rel).map(|m| m.1)
    }
}
