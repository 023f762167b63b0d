//! Which files the image's packages installed, from dpkg's per-package file lists
//! (`/var/lib/dpkg/info/*.list`): findings about a distribution's own files (its setuid
//! binaries) are dropped, findings about files nobody packaged are kept.

use crate::analyze::Artifact;
use crate::layer::walk::{EntryKind, EntryMeta};
use crate::merge::ViewEntry;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// Where dpkg keeps its per-package lists.
const DPKG_INFO: &str = "var/lib/dpkg/info/";

/// A file list longer than this is not one dpkg wrote; it is read only this far.
pub const MAX_READ: u64 = 16 << 20;

/// Where setuid files are expected when no package database says who installed them.
const SYSTEM_DIRS: &[&str] = &["usr/bin/", "usr/sbin/", "usr/lib/"];

/// Whether the entry is a dpkg file list.
pub fn is_list(entry: &EntryMeta) -> bool {
    entry.kind == EntryKind::File
        && entry
            .path
            .strip_prefix(DPKG_INFO)
            .is_some_and(|name| !name.contains('/') && name.ends_with(".list"))
}

/// The paths of a file list, without the leading `/`.
pub fn parse_list(content: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(content)
        .lines()
        .map(|l| l.trim().trim_start_matches('/'))
        .filter(|l| !l.is_empty() && *l != ".")
        .map(str::to_string)
        .collect()
}

/// On merged-/usr systems (Debian 12 and later, Ubuntu, Fedora) `/bin` is a link to
/// `/usr/bin` and dpkg records the unmerged path; compare both sides in the merged form.
fn merged_usr(path: &str) -> Cow<'_, str> {
    for dir in ["bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/"] {
        if path.starts_with(dir) {
            return Cow::Owned(format!("usr/{path}"));
        }
    }
    Cow::Borrowed(path)
}

/// The files the image's package databases list.
#[derive(Debug, Default)]
pub struct PackagedFiles {
    paths: HashSet<String>,
    known: bool,
}

impl PackagedFiles {
    /// From the file lists in the final view of an image.
    pub fn from_view(view: &BTreeMap<&str, ViewEntry<'_>>) -> PackagedFiles {
        let mut out = PackagedFiles::default();
        for entry in view.values() {
            for a in &entry.result.artifacts {
                if let Artifact::PackagedPaths(paths) = a {
                    out.known = true;
                    out.paths
                        .extend(paths.iter().map(|p| merged_usr(p).into_owned()));
                }
            }
        }
        out
    }

    /// Whether a finding at `path` (no leading `/`) about an unpackaged file is excused:
    /// a package installed it, or, with no file lists to ask, it lies in a system directory.
    pub fn excuses(&self, path: &str) -> bool {
        let path = merged_usr(path.trim_start_matches('/'));
        if self.known {
            self.paths.contains(path.as_ref())
        } else {
            SYSTEM_DIRS.iter().any(|d| path.starts_with(d))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::PathResult;

    fn view_of(results: &[PathResult]) -> BTreeMap<&str, ViewEntry<'_>> {
        results
            .iter()
            .map(|r| {
                (
                    r.path.as_str(),
                    ViewEntry {
                        layer: 0,
                        result: r,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn listed_files_are_excused_across_the_usr_merge() {
        let list = b"/.\n/bin\n/bin/su\n/usr/bin/passwd\n\n";
        let results = [PathResult {
            path: "var/lib/dpkg/info/login.list".into(),
            kind: EntryKind::File,
            artifacts: vec![Artifact::PackagedPaths(parse_list(list))],
        }];
        let packaged = PackagedFiles::from_view(&view_of(&results));
        assert!(packaged.excuses("usr/bin/su"));
        assert!(packaged.excuses("/usr/bin/passwd"));
        assert!(!packaged.excuses("usr/bin/sudo"));
        assert!(!packaged.excuses("opt/tool"));
    }

    #[test]
    fn without_file_lists_only_system_directories_are_excused() {
        let packaged = PackagedFiles::from_view(&BTreeMap::new());
        assert!(packaged.excuses("bin/busybox"));
        assert!(packaged.excuses("usr/lib/dbus-1.0/helper"));
        assert!(!packaged.excuses("opt/app/tool"));
        assert!(!packaged.excuses("usr/local/bin/tool"));
    }

    #[test]
    fn only_dpkg_lists_are_file_lists() {
        let entry = |path: &str| EntryMeta::file(path, 0o644, 1);
        assert!(is_list(&entry("var/lib/dpkg/info/bash.list")));
        assert!(is_list(&entry("var/lib/dpkg/info/libc6:amd64.list")));
        assert!(!is_list(&entry("var/lib/dpkg/info/bash.md5sums")));
        assert!(!is_list(&entry("var/lib/dpkg/info/x/y.list")));
    }
}
