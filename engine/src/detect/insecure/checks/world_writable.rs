//! `world-writable`: files writable by others, and directories writable by others without the
//! sticky bit (symlinks always show 0777 and devices are not content: both are left out).

use super::{Check, Hit};
use crate::analyze::Want;
use crate::layer::walk::{EntryKind, EntryMeta};
use regex::bytes::Regex;

/// See the module doc.
pub struct WorldWritable;

impl Check for WorldWritable {
    fn name(&self) -> &'static str {
        "world-writable"
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        let other_write = entry.mode & 0o002 != 0;
        let hit = match entry.kind {
            EntryKind::File => other_write,
            EntryKind::Dir => other_write && entry.mode & 0o1000 == 0,
            _ => false,
        };
        hit.then_some(Want::Meta)
    }

    fn file(&self, entry: &EntryMeta, _content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        let what = if entry.kind == EntryKind::Dir {
            "directory"
        } else {
            "file"
        };
        vec![Hit::evidence(format!(
            "{what}, mode {:04o}",
            entry.mode & 0o7777
        ))]
    }
}
