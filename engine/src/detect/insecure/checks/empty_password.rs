//! `empty-password`: accounts whose password field is empty in /etc/shadow or /etc/passwd
//! (an empty field means "no password"; `*`, `!` and `x` lock or defer the account).

use super::{ACCOUNTS_MAX_READ, Check, Hit, account_lines, user_name};
use crate::analyze::Want;
use crate::layer::walk::{EntryKind, EntryMeta};
use regex::bytes::Regex;

/// See the module doc.
pub struct EmptyPassword;

impl Check for EmptyPassword {
    fn name(&self) -> &'static str {
        "empty-password"
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (entry.kind == EntryKind::File
            && matches!(entry.path.as_str(), "etc/shadow" | "etc/passwd"))
        .then_some(Want::Content(ACCOUNTS_MAX_READ))
    }

    fn file(&self, _entry: &EntryMeta, content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        account_lines(content)
            .filter(|(_, f)| f.len() >= 2 && !f[0].is_empty() && f[1].is_empty())
            .map(|(line, f)| Hit {
                line: Some(line),
                ..Hit::evidence(format!("user {} has an empty password", user_name(f[0])))
            })
            .collect()
    }
}
