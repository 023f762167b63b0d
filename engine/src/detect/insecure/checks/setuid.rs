//! `setuid`: regular files with the setuid or setgid bit. Whether a package installed the file
//! is only known once all layers are merged, so hits are marked and the report drops the ones a
//! package database lists (see `packaged`).

use super::{Check, Hit};
use crate::analyze::Want;
use crate::layer::walk::{EntryKind, EntryMeta};
use regex::bytes::Regex;

/// See the module doc.
pub struct Setuid;

impl Check for Setuid {
    fn name(&self) -> &'static str {
        "setuid"
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (entry.kind == EntryKind::File && entry.mode & 0o6000 != 0).then_some(Want::Meta)
    }

    fn file(&self, entry: &EntryMeta, _content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        let bits = match (entry.mode & 0o4000 != 0, entry.mode & 0o2000 != 0) {
            (true, true) => "setuid+setgid",
            (true, false) => "setuid",
            _ => "setgid",
        };
        vec![Hit {
            unless_packaged: true,
            ..Hit::evidence(format!("{bits}, mode {:04o}", entry.mode & 0o7777))
        }]
    }
}
