//! dpkg: `/var/lib/dpkg/status`, and `status.d/*` as distroless images ship it.

use crate::analyze::{Analyzer, Artifact, Want, whole_file};
use crate::inventory::stanza;
use crate::layer::walk::EntryMeta;
use crate::report::Package;

/// A status file larger than this is not a dpkg database.
const MAX_STATUS: u64 = 64 << 20;

/// Reads the dpkg database.
pub struct DpkgAnalyzer;

fn is_status(path: &str) -> bool {
    path == "var/lib/dpkg/status"
        || path
            .strip_prefix("var/lib/dpkg/status.d/")
            .is_some_and(|name| !name.contains('/') && !name.ends_with(".md5sums"))
}

impl Analyzer for DpkgAnalyzer {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        is_status(&entry.path).then_some(Want::Content(MAX_STATUS))
    }

    fn may_want_below(&self, dir: &str) -> bool {
        crate::analyze::below_any(dir, &["var/lib/dpkg/status.d/x"])
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !whole_file(entry, truncated, MAX_STATUS)? {
            return Ok(Vec::new());
        }
        let (packages, problems) = parse_status(&String::from_utf8_lossy(content));
        let mut out = vec![Artifact::Packages(packages)];
        if !problems.is_empty() {
            // Keep what parsed; say what did not.
            out.push(Artifact::Warning(format!(
                "{} malformed lines or stanzas skipped (first: {})",
                problems.len(),
                problems[0]
            )));
        }
        Ok(out)
    }
}

/// The installed packages of a dpkg status file, and what could not be parsed.
pub fn parse_status(text: &str) -> (Vec<Package>, Vec<String>) {
    let (stanzas, mut problems) = stanza::parse(text);
    let mut packages = Vec::new();
    for s in stanzas {
        let (Some(name), Some(version)) = (s.get("Package"), s.get("Version")) else {
            if s.get("Package").is_some() {
                // Purged packages keep a stanza without a version; nothing is installed.
                if !s
                    .get("Status")
                    .is_some_and(|st| st.ends_with("not-installed"))
                {
                    problems.push(format!("line {}: package without a Version", s.line));
                }
            } else {
                problems.push(format!("line {}: stanza without a Package field", s.line));
            }
            continue;
        };
        // distroless status.d entries carry no Status; dpkg's own entries must be installed.
        let state = s.get("Status").and_then(|st| st.split_whitespace().nth(2));
        if matches!(state, Some("not-installed" | "config-files")) {
            continue;
        }
        let (source_name, source_version) = match s.get("Source") {
            Some(src) => match src.split_once(' ') {
                Some((n, v)) => (
                    n.to_string(),
                    v.trim()
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .to_string(),
                ),
                None => (src.to_string(), version.to_string()),
            },
            None => (name.to_string(), version.to_string()),
        };
        packages.push(Package {
            source_name: Some(source_name),
            source_version: Some(source_version),
            arch: s.get("Architecture").map(str::to_string),
            ..Package::new("deb", name.to_string(), version.to_string())
        });
    }
    (packages, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_installed_packages_with_sources() {
        let status = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2+b1\n\n\
                      Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
                      Package: purged\nStatus: purge ok not-installed\n\n\
                      Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n";
        let (p, problems) = parse_status(status);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source_name.as_deref(), Some("openssl"));
        assert_eq!(p[0].source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(p[1].source_name.as_deref(), Some("bash"));
        assert_eq!(p[1].source_version.as_deref(), Some("5.2.15-2+b2"));
    }

    #[test]
    fn broken_stanzas_are_reported_not_fatal() {
        let (p, problems) = parse_status("Package: a\nVersion: 1\n\nVersion: 2\n\ngarbage\n");
        assert_eq!(p.len(), 1);
        assert_eq!(problems.len(), 2);
    }
}
