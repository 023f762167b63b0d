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

/// One key per identifier (title and aliases) of a vulnerability finding, with its package and
/// path; `None` for findings whose id cannot change.
fn names(f: &Finding) -> Option<impl Iterator<Item = String> + '_> {
    let p = f.package.as_ref().filter(|_| renamable(f))?;
    let place = format!(
        "{}\0{}\0{}\0",
        p.name,
        p.version,
        f.path.as_deref().unwrap_or("")
    );
    Some(
        std::iter::once(&f.title)
            .chain(&f.aliases)
            .map(move |id| format!("{place}{id}")),
    )
}

/// The ids a report's vulnerability findings had, by what they were called: taken before a
/// re-match replaces them, so the whole report need not be kept.
#[derive(Debug, Default)]
pub struct EarlierIds {
    by_name: HashMap<String, String>,
}

impl EarlierIds {
    /// The ids of `report`'s vulnerability findings, suppressed ones included.
    pub fn of(report: &Report) -> EarlierIds {
        let mut by_name = HashMap::new();
        for f in report.findings.iter().chain(&report.suppressed) {
            for name in names(f).into_iter().flatten() {
                by_name.insert(name, f.id.clone());
            }
        }
        EarlierIds { by_name }
    }

    /// Give `new`'s vulnerability findings the ids they had: the same package at the same path,
    /// and one identifier (title or alias) in common. Each earlier id is given once.
    pub fn carry(&self, new: &mut Report) {
        if self.by_name.is_empty() {
            return;
        }
        let earlier_ids: HashSet<&str> = self.by_name.values().map(String::as_str).collect();
        let taken: HashSet<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        let mut given: HashSet<&str> = HashSet::new();
        let mut renamed: Vec<(usize, &str)> = Vec::new();
        for (i, f) in new.findings.iter().enumerate() {
            if earlier_ids.contains(f.id.as_str()) {
                continue;
            }
            let Some(mut names) = names(f) else {
                continue;
            };
            if let Some(earlier) = names.find_map(|n| self.by_name.get(&n))
                && !taken.contains(earlier.as_str())
                && given.insert(earlier)
            {
                renamed.push((i, earlier));
            }
        }
        for (i, id) in renamed {
            new.findings[i].id = id.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ImageInfo, PackageRef, Severity, Status};

    fn report(findings: Vec<Finding>) -> Report {
        let mut r = Report::new(Status::Scanned, ImageInfo::new("app:1", "sha256:00"));
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
        EarlierIds::of(&old).carry(&mut new);
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
        EarlierIds::of(&old).carry(&mut new);
        let ids: Vec<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "cccc"]);

        // The finding kept its id: nothing moves.
        let old = report(vec![vuln("aaaa", "CVE-1", &["CVE-1"], "x")]);
        let mut new = report(vec![
            vuln("aaaa", "CVE-1", &["CVE-1"], "x"),
            vuln("eeee", "CVE-9", &["CVE-9", "CVE-1"], "x"),
        ]);
        EarlierIds::of(&old).carry(&mut new);
        let ids: Vec<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "eeee"]);
    }
}
