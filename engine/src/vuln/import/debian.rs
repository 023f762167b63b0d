//! Debian's security tracker lists (`data/DSA/list`, `data/DLA/list`):
//!
//! ```text
//! [29 Mar 2023] DSA-5380-1 xorg-server - security update
//!     {CVE-2023-1393}
//!     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
//! ```
//!
//! Each release line names the source package and the version that fixed it there.

use super::{Format, Parsed, Record, fixed_range};
use crate::vuln::advisory::{Advisory, Affected};

/// A DSA or DLA list.
pub struct DebianList;

/// Debian's codenames and release numbers (OSV's `Debian:<n>`).
const RELEASES: &[(&str, &str)] = &[
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4.0"),
    ("lenny", "5.0"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
];

/// The release number of a Debian codename.
pub fn release_of(codename: &str) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|(c, _)| *c == codename)
        .map(|(_, n)| *n)
}

fn is_header(line: &str) -> bool {
    line.starts_with('[')
        && ["] DSA-", "] DLA-", "] DTSA-"]
            .iter()
            .any(|k| line.contains(k))
}

impl Format for DebianList {
    fn sniff(&self, _name: &str, bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(512)];
        let first = String::from_utf8_lossy(head);
        first.lines().next().is_some_and(is_header)
    }

    fn parse(&self, _name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let mut out = Vec::new();
        let mut current: Option<(usize, Vec<&str>)> = None;
        for (n, line) in text.lines().enumerate() {
            if !line.starts_with([' ', '\t']) && !line.trim().is_empty() {
                if let Some((at, body)) = current.take() {
                    push(&mut out, entry(at, &body));
                }
                current = Some((n + 1, vec![line]));
            } else if let Some((_, body)) = &mut current {
                body.push(line.trim());
            }
        }
        if let Some((at, body)) = current {
            push(&mut out, entry(at, &body));
        }
        Ok(out)
    }
}

fn push(out: &mut Parsed, entry: Result<Option<Advisory>, String>) {
    match entry {
        Ok(Some(a)) => out.push(Ok(Record::Advisory(Box::new(a)))),
        Ok(None) => {}
        Err(e) => out.push(Err(e)),
    }
}

/// One advisory: its header line (at line `at`) and the indented lines below it. `None` for
/// announcements that name no fixed package (a release's end of life, advice without a fix).
fn entry(at: usize, lines: &[&str]) -> Result<Option<Advisory>, String> {
    let header = lines[0];
    let rest = header
        .split_once("] ")
        .map(|(_, r)| r)
        .ok_or_else(|| format!("line {at}: not an advisory header: {header:?}"))?;
    let (id, rest) = rest
        .split_once(' ')
        .ok_or_else(|| format!("line {at}: no package after the id"))?;
    if !(id.starts_with("DSA-") || id.starts_with("DLA-") || id.starts_with("DTSA-")) {
        return Err(format!("line {at}: {id:?} is not a DSA, DLA or DTSA id"));
    }
    let title = rest.split_once(" - ").map_or(rest, |(_, t)| t).trim();
    let mut aliases = Vec::new();
    let mut affected = Vec::new();
    for line in &lines[1..] {
        if let Some(ids) = line.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
            aliases.extend(ids.split_whitespace().map(str::to_string));
        } else if let Some(release_line) = line.strip_prefix('[') {
            let Some((codename, what)) = release_line.split_once(']') else {
                return Err(format!("line {at}: {id}: malformed release line {line:?}"));
            };
            let Some(release) = release_of(codename) else {
                // A release this list knows and we do not (an older or newer codename).
                continue;
            };
            let mut words = what.trim().trim_start_matches('-').split_whitespace();
            let (Some(package), Some(version)) = (words.next(), words.next()) else {
                return Err(format!(
                    "line {at}: {id}: release line without a version {line:?}"
                ));
            };
            let fixed = match version {
                "<not-affected>" => continue,
                "<unfixed>" | "<end-of-life>" | "<no-dsa>" | "<ignored>" | "<postponed>" => None,
                v if v.starts_with('<') => continue,
                v => Some(v),
            };
            affected.push(Affected {
                ecosystem: format!("Debian:{release}"),
                name: package.to_string(),
                ranges: vec![fixed_range(fixed)],
                versions: Vec::new(),
                severity_label: None,
                requirements: None,
            });
        }
    }
    if affected.is_empty() {
        return Ok(None);
    }
    let kind = if id.starts_with("DLA-") {
        "lts/security"
    } else {
        "security"
    };
    let number = id
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .trim_start_matches('-');
    Ok(Some(Advisory {
        id: id.to_string(),
        aliases,
        summary: Some(format!("{} ({})", title, affected[0].name)),
        details: None,
        withdrawn: false,
        cvss: Vec::new(),
        severity_label: None,
        references: vec![format!(
            "https://www.debian.org/{kind}/{}",
            number.to_ascii_lowercase()
        )],
        affected,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tracker_entries() {
        let text = "[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393}\n\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n\t[buster] - xorg-server <not-affected> (vulnerable code not present)\n[17 Mar 2023] DSA-5356-2 sox - regression update\n\t[bullseye] - sox 14.4.2+git20190427-2+deb11u2\n\tNOTE: regression\n[01 Jan 2000] DSA-1-1 nothing - security update\n";
        let parsed = DebianList.parse("list", text.as_bytes()).unwrap();
        assert_eq!(parsed.len(), 2);
        let Ok(Record::Advisory(a)) = &parsed[0] else {
            panic!("{:?}", parsed[0])
        };
        assert_eq!(a.id, "DSA-5380-1");
        assert_eq!(a.aliases, vec!["CVE-2023-1393"]);
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].ecosystem, "Debian:11");
        assert_eq!(a.affected[0].name, "xorg-server");
        assert!(matches!(&parsed[1], Ok(Record::Advisory(a)) if a.aliases.is_empty()));
        let bad = "[01 Jan 2000] DSA-2-1 pkg - security update\n\t[bullseye] - pkg\n";
        let parsed = DebianList.parse("list", bad.as_bytes()).unwrap();
        assert!(parsed[0].as_ref().unwrap_err().contains("line 1: DSA-2-1"));
        assert!(DebianList.sniff("DSA-list.txt", text.as_bytes()));
        assert!(!DebianList.sniff("README.txt", b"# Debian\n"));
    }
}
