//! `extra-root-user`: accounts other than root with uid 0 in /etc/passwd.

use super::{ACCOUNTS_MAX_READ, Check, Hit, account_lines, user_name};
use crate::analyze::Want;
use crate::layer::walk::{EntryKind, EntryMeta};
use regex::bytes::Regex;

/// See the module doc.
pub struct ExtraRootUser;

impl Check for ExtraRootUser {
    fn name(&self) -> &'static str {
        "extra-root-user"
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (entry.kind == EntryKind::File && entry.path == "etc/passwd")
            .then_some(Want::Content(ACCOUNTS_MAX_READ))
    }

    fn file(&self, _entry: &EntryMeta, content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        account_lines(content)
            .filter(|(_, f)| f.len() >= 3 && f[0] != b"root" && f[2].trim_ascii() == b"0")
            .map(|(line, f)| Hit {
                line: Some(line),
                ..Hit::evidence(format!("user {} has uid 0", user_name(f[0])))
            })
            .collect()
    }
}
