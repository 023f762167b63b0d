//! Built-in checks: logic a regex cannot express (file modes, account databases, the image
//! config). A rule names one with `check = "<name>"`; adding a check is one file and one line
//! in [`CHECKS`].

mod empty_password;
mod env_secret;
mod extra_root_user;
mod private_key;
mod root_user;
mod setuid;
mod ssh_server;
mod world_writable;

use crate::analyze::Want;
use crate::layer::walk::EntryMeta;
use oci_spec::image::ImageConfiguration;
use regex::bytes::Regex;

/// What one check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hit {
    /// 1-based line, for text files.
    pub line: Option<u32>,
    /// What was seen (redacted where it could be a secret).
    pub evidence: Option<String>,
    /// Not reported when a package database lists the file.
    pub unless_packaged: bool,
}

impl Hit {
    /// A hit with this evidence.
    pub fn evidence(evidence: impl Into<String>) -> Hit {
        Hit {
            evidence: Some(evidence.into()),
            ..Hit::default()
        }
    }
}

/// One built-in check.
pub trait Check: Send + Sync {
    /// The name rules use.
    fn name(&self) -> &'static str;
    /// What the check needs of a layer entry, if anything.
    fn wants(&self, _entry: &EntryMeta) -> Option<Want> {
        None
    }
    /// Problems in a wanted entry (with the first bytes of its content).
    fn file(&self, _entry: &EntryMeta, _content: &[u8], _param: Option<&Regex>) -> Vec<Hit> {
        Vec::new()
    }
    /// Problems in the image configuration.
    fn config(&self, _config: &ImageConfiguration, _param: Option<&Regex>) -> Vec<Hit> {
        Vec::new()
    }
}

/// Every built-in check.
static CHECKS: &[&dyn Check] = &[
    &root_user::RootUser,
    &env_secret::EnvSecret,
    &ssh_server::SshServer,
    &setuid::Setuid,
    &world_writable::WorldWritable,
    &empty_password::EmptyPassword,
    &extra_root_user::ExtraRootUser,
    &private_key::PrivateKeyReadable,
];

/// The check called `name`.
pub fn find(name: &str) -> Option<&'static dyn Check> {
    CHECKS.iter().copied().find(|c| c.name() == name)
}

/// The names of all checks, for error messages.
pub fn names() -> Vec<&'static str> {
    CHECKS.iter().map(|c| c.name()).collect()
}

/// Account databases are small; more than this is not an account database.
const ACCOUNTS_MAX_READ: u64 = 4 << 20;

/// Lines of an account database (`name:field:...`), 1-based, skipping comments and blanks.
fn account_lines(content: &[u8]) -> impl Iterator<Item = (u32, Vec<&[u8]>)> {
    content
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with(b"#"))
        .map(|(i, l)| {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            (line, l.split(|&b| b == b':').collect())
        })
}

/// A user name as evidence, shortened: account files may be garbage.
fn user_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).chars().take(64).collect()
}
