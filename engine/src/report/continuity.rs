//! Keeping finding ids stable when a finding is renamed: an advisory that gains a CVE alias
//! after the first scan changes the finding's title (and so its hashed id) from the GHSA or
//! OSV id to the CVE id. Carrying the earlier id over keeps dashboards, ignores by finding id
//! and the history of the finding attached to it across re-matches and re-scans.

use crate::report::{Category, Finding, Report};
use std::collections::{HashMap, HashSet};

/// Whether a finding's id hashes an advisory id that can change.
fn renamable(f: &Finding) -> bool {
    f.package.is_some() && matches!(f.category, Category::Cve | Category::MaliciousFile)
}

/// The package and path a vulnerability finding is about.
fn place(f: &Finding) -> Option<(&str, &str, &str)> {
    let p = f.package.as_ref()?;
    Some((
        p.name.as_str(),
        p.version.as_str(),
        f.path.as_deref().unwrap_or(""),
    ))
}

/// Give `new`'s vulnerability findings the ids they had in `old`: the same package at the same
/// path, and one identifier (title or alias) in common. Each earlier id is given once.
pub fn carry_ids(old: &Report, new: &mut Report) {
    let mut by_name: HashMap<(&str, &str, &str, &str), &str> = HashMap::new();
    for f in old
        .findings
        .iter()
        .chain(&old.suppressed)
        .filter(|f| renamable(f))
    {
        let Some((name, version, path)) = place(f) else {
            continue;
        };
        for id in std::iter::once(&f.title).chain(&f.aliases) {
            by_name.insert((name, version, path, id.as_str()), f.id.as_str());
        }
    }
    if by_name.is_empty() {
        return;
    }
    let earlier_ids: HashSet<&str> = by_name.values().copied().collect();
    let taken: HashSet<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
    let mut given: HashSet<String> = HashSet::new();
    let mut renamed: Vec<(usize, String)> = Vec::new();
    for (i, f) in new.findings.iter().enumerate() {
        if !renamable(f) || earlier_ids.contains(f.id.as_str()) {
            continue;
        }
        let Some((name, version, path)) = place(f) else {
            continue;
        };
        let earlier = std::iter::once(&f.title)
            .chain(&f.aliases)
            .find_map(|id| by_name.get(&(name, version, path, id.as_str())));
        if let Some(&earlier) = earlier
            && !taken.contains(earlier)
            && given.insert(earlier.to_string())
        {
            renamed.push((i, earlier.to_string()));
        }
    }
    for (i, id) in renamed {
        new.findings[i].id = id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ImageInfo, PackageRef, Severity, Status};

    fn report(findings: Vec<Finding>) -> Report {
        let mut r = Report::new(
            Status::Scanned,
            ImageInfo {
                reference: "app:1".into(),
                digest: "sha256:00".into(),
                id: None,
                platform: None,
                os: None,
                layers: Vec::new(),
            },
        );
        r.findings = findings;
        r
    }

    fn vuln(id: &str, title: &str, aliases: &[&str], package: &str) -> Finding {
        let mut f = Finding::new(id, Category::Cve, title, Severity::High);
        f.aliases = aliases.iter().map(|a| a.to_string()).collect();
        f.package = Some(PackageRef {
            name: package.into(),
            version: "1.0".into(),
            kind: Some("npm".into()),
            purl: None,
        });
        f.path = Some("/app/package-lock.json".into());
        f
    }

    #[test]
    fn a_finding_renamed_to_its_new_cve_keeps_its_id() {
        let old = report(vec![vuln("aaaa", "GHSA-1", &["GHSA-1"], "left-pad")]);
        let mut new = report(vec![
            vuln("bbbb", "CVE-2026-1", &["CVE-2026-1", "GHSA-1"], "left-pad"),
            // Another package with the same advisory is another finding.
            vuln("cccc", "CVE-2026-1", &["CVE-2026-1", "GHSA-1"], "right-pad"),
            // A new finding with nothing in common keeps its own id.
            vuln("dddd", "CVE-2026-2", &["CVE-2026-2"], "left-pad"),
        ]);
        carry_ids(&old, &mut new);
        let ids: Vec<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "cccc", "dddd"]);
    }

    #[test]
    fn an_earlier_id_is_given_once_and_never_over_a_live_one() {
        let old = report(vec![vuln("aaaa", "GHSA-1", &["GHSA-1", "GHSA-2"], "x")]);
        let mut new = report(vec![
            vuln("bbbb", "CVE-1", &["CVE-1", "GHSA-1"], "x"),
            vuln("cccc", "CVE-2", &["CVE-2", "GHSA-2"], "x"),
        ]);
        carry_ids(&old, &mut new);
        let ids: Vec<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "cccc"]);

        // The finding kept its id: nothing moves.
        let old = report(vec![vuln("aaaa", "CVE-1", &["CVE-1"], "x")]);
        let mut new = report(vec![
            vuln("aaaa", "CVE-1", &["CVE-1"], "x"),
            vuln("eeee", "CVE-9", &["CVE-9", "CVE-1"], "x"),
        ]);
        carry_ids(&old, &mut new);
        let ids: Vec<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "eeee"]);
    }
}
