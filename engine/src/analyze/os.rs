//! OS identification: `os-release` and the older per-distribution release files.

use crate::analyze::{Analyzer, Artifact, Want};
use crate::layer::walk::EntryMeta;
use serde::{Deserialize, Serialize};

/// What a release file says about the OS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// The file it came from (`etc/os-release`, `etc/alpine-release`, …).
    pub file: String,
    /// `ID` (`debian`, `alpine`, `rhel`, …).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.19.1`).
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (`bookworm`).
    pub codename: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

/// Release files, most authoritative first.
pub const RELEASE_FILES: [&str; 6] = [
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/debian_version",
    "etc/redhat-release",
    "etc/system-release",
];

/// Reads the release files.
pub struct OsAnalyzer;

impl Analyzer for OsAnalyzer {
    fn name(&self) -> &'static str {
        "os"
    }

    fn version(&self) -> u32 {
        2
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        RELEASE_FILES
            .contains(&entry.path.as_str())
            .then_some(Want::Content(64 << 10))
    }

    fn may_want_below(&self, dir: &str) -> bool {
        crate::analyze::below_any(dir, &RELEASE_FILES)
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !crate::analyze::is_file(entry) {
            return Ok(Vec::new());
        }
        let text = String::from_utf8_lossy(content);
        let parsed = match entry.path.as_str() {
            "etc/os-release" | "usr/lib/os-release" => parse_os_release(&text),
            "etc/alpine-release" => first_line(&text).map(|v| OsRelease {
                id: "alpine".into(),
                version_id: Some(v),
                ..Default::default()
            }),
            "etc/debian_version" => first_line(&text).map(|v| OsRelease {
                id: "debian".into(),
                version_id: Some(v),
                ..Default::default()
            }),
            _ => parse_redhat_release(&text),
        };
        let mut os = parsed.ok_or_else(|| format!("{}: no OS identification found", entry.path))?;
        os.file = entry.path.clone();
        Ok(vec![Artifact::OsRelease(os)])
    }
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Parse the `KEY=value` lines of os-release(5), with shell-style quotes.
pub fn parse_os_release(text: &str) -> Option<OsRelease> {
    let mut os = OsRelease::default();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(v)
            .replace("\\\"", "\"");
        match k.trim() {
            "ID" => os.id = v.to_ascii_lowercase(),
            "VERSION_ID" => os.version_id = Some(v),
            "VERSION_CODENAME" => os.codename = Some(v),
            "PRETTY_NAME" => os.pretty_name = Some(v),
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

/// `CentOS Linux release 7.9.2009 (Core)` → id `centos`, version `7.9.2009`.
fn parse_redhat_release(text: &str) -> Option<OsRelease> {
    let line = first_line(text)?;
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    let lower = name.to_ascii_lowercase();
    let id = [
        ("centos", "centos"),
        ("red hat", "rhel"),
        ("rocky", "rocky"),
        ("alma", "almalinux"),
        ("oracle", "ol"),
        ("fedora", "fedora"),
        ("amazon", "amzn"),
    ]
    .iter()
    .find(|(k, _)| lower.contains(k))
    .map_or_else(|| lower.replace(' ', "-"), |(_, id)| id.to_string());
    Some(OsRelease {
        id,
        version_id: Some(version),
        pretty_name: Some(line),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_os_release() {
        let os = parse_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        )
        .unwrap();
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.codename.as_deref(), Some("bookworm"));
    }

    #[test]
    fn redhat_release() {
        let os = parse_redhat_release("CentOS Linux release 7.9.2009 (Core)\n").unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("centos", Some("7.9.2009"))
        );
        assert!(parse_os_release("garbage\n").is_none());
    }
}
