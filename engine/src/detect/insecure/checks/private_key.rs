//! `private-key-readable`: private key files readable by group or others. Only files named
//! like keys are read, and only when their mode is loose, so the check costs nothing on most
//! images; the content must hold a PEM private key, so certificates in *.pem stay quiet.

use super::{Check, Hit};
use crate::analyze::Want;
use crate::layer::path::file_name;
use crate::layer::walk::{EntryKind, EntryMeta};
use regex::bytes::Regex;

/// See the module doc.
pub struct PrivateKeyReadable;

/// PEM headers sit at the start; a key file is small.
const MAX_READ: u64 = 64 << 10;

/// The marker every PEM private key carries (`RSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`, ...).
const MARKER: &[u8] = b"PRIVATE KEY-----";

fn is_key_name(name: &str) -> bool {
    matches!(
        name,
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk"
    ) || (name.starts_with("ssh_host_") && name.ends_with("_key"))
        || name.ends_with(".key")
        || name.ends_with(".pem")
}

impl Check for PrivateKeyReadable {
    fn name(&self) -> &'static str {
        "private-key-readable"
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (entry.kind == EntryKind::File
            && entry.mode & 0o044 != 0
            && is_key_name(file_name(&entry.path)))
        .then_some(Want::Content(MAX_READ))
    }

    fn file(&self, entry: &EntryMeta, content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        if !content.windows(MARKER.len()).any(|w| w == MARKER) {
            return Vec::new();
        }
        vec![Hit::evidence(format!(
            "private key, mode {:04o}",
            entry.mode & 0o7777
        ))]
    }
}
