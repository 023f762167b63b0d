//! `Package` findings: one per vulnerable package, with its CVEs, the version that fixes them
//! all, its licences and purl — the per-package view of the CVE findings.

use crate::report::{Category, Finding, Package, Severity};
use crate::vuln::version::Scheme;
use sha2::{Digest as _, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The rule id of these findings.
pub const RULE: &str = "package-vulnerabilities";

/// Roll CVE findings up per package.
pub fn package_findings(findings: &[Finding], packages: &[Package]) -> Vec<Finding> {
    let mut groups: BTreeMap<(String, String, String), Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.category == Category::Cve) {
        let Some(p) = &f.package else { continue };
        let key = (
            p.name.clone(),
            p.version.clone(),
            f.path.clone().unwrap_or_default(),
        );
        groups.entry(key).or_default().push(f);
    }
    let mut out = Vec::new();
    for ((name, version, path), group) in groups {
        let package = packages.iter().find(|p| {
            p.name == name && p.version == version && p.path.as_deref().unwrap_or("") == path
        });
        let kind = group[0].package.as_ref().and_then(|p| p.kind.clone());
        let scheme = kind.as_deref().and_then(Scheme::for_package_type);
        let severity = group
            .iter()
            .map(|f| f.severity)
            .min()
            .unwrap_or(Severity::Unknown);
        // The lowest version that fixes every finding, when each has a fix.
        let fixed = if group.iter().all(|f| f.fixed_version.is_some()) {
            group
                .iter()
                .filter_map(|f| f.fixed_version.clone())
                .max_by(|a, b| {
                    scheme
                        .and_then(|s| s.compare(a, b).ok())
                        .unwrap_or(Ordering::Equal)
                })
        } else {
            None
        };
        let mut ids: Vec<String> = group.iter().map(|f| f.title.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut description = format!(
            "{name} {version} has {} known {}: {}.",
            ids.len(),
            if ids.len() == 1 {
                "vulnerability"
            } else {
                "vulnerabilities"
            },
            ids.join(", ")
        );
        match &fixed {
            Some(v) => description.push_str(&format!(" Upgrading to {v} fixes all of them.")),
            None => description.push_str(" Not all of them have a fix."),
        }
        if let Some(p) = package {
            if !p.licenses.is_empty() {
                description.push_str(&format!(" Licences: {}.", p.licenses.join(", ")));
            }
            if let Some(purl) = &p.purl {
                description.push_str(&format!(" Package URL: {purl}."));
            }
        }
        let id = hex::encode(&Sha256::digest(format!("Package\0{name}\0{version}\0{path}"))[..8]);
        out.push(Finding {
            id,
            category: Category::Package,
            title: format!("{name} {version}"),
            description: Some(description),
            severity,
            environment: None,
            ruleset: None,
            rule_id: Some(RULE.into()),
            package: group[0].package.clone(),
            fixed_version: fixed,
            path: (!path.is_empty()).then_some(path),
            layer: group[0].layer.clone(),
            evidence: None,
            cvss: None,
            aliases: ids,
            references: Vec::new(),
            suppression: None,
        });
    }
    out
}
