//! Matching an inventory against the database: by ecosystem, package and version range — never
//! by CPE guessing. OS packages match by their source package and only against advisories of
//! the image's distribution release.

use crate::error::Result;
use crate::report::{Category, Cvss, Finding, Os, Package, PackageRef, Severity};
use crate::vuln::advisory::{Advisory, Affected, Event};
use crate::vuln::db::VulnDb;
use crate::vuln::version::{Scheme, Version};
use sha2::{Digest as _, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Where to look a package up: ecosystem family, required release, names, version.
struct Lookup {
    ecosystem: &'static str,
    release: Option<String>,
    names: Vec<String>,
    version: String,
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn lookup(p: &Package, os: Option<&Os>) -> Option<Lookup> {
    let source = || p.source_name.clone().unwrap_or_else(|| p.name.clone());
    let os_version = os.and_then(|o| o.version.as_deref()).unwrap_or("");
    let family = os.map(|o| o.family.as_str()).unwrap_or("");
    let language = |ecosystem| {
        Some(Lookup {
            ecosystem,
            release: None,
            names: vec![p.name.clone()],
            version: p.version.clone(),
        })
    };
    match p.kind.as_str() {
        "deb" if family == "debian" => Some(Lookup {
            ecosystem: "debian",
            release: Some(format!("debian:{}", major(os_version))),
            names: vec![source()],
            version: p
                .source_version
                .clone()
                .unwrap_or_else(|| p.version.clone()),
        }),
        "apk" if family == "alpine" => {
            let mut parts = os_version.split('.');
            let release = format!("alpine:v{}.{}", parts.next()?, parts.next()?);
            Some(Lookup {
                ecosystem: "alpine",
                release: Some(release),
                names: vec![source()],
                version: p.version.clone(),
            })
        }
        "rpm" => {
            let (ecosystem, name) = match family {
                "almalinux" => ("almalinux", "almalinux"),
                "rocky" => ("rocky linux", "rocky linux"),
                _ => return None,
            };
            let mut names = vec![p.name.clone()];
            if let Some(s) = &p.source_name
                && s != &p.name
            {
                names.push(s.clone());
            }
            Some(Lookup {
                ecosystem,
                release: Some(format!("{name}:{}", major(os_version))),
                names,
                version: p.version.clone(),
            })
        }
        "pypi" => language("pypi"),
        "npm" => language("npm"),
        "golang" => language("go"),
        "cargo" => language("crates.io"),
        "maven" => language("maven"),
        "gem" => language("rubygems"),
        "composer" => language("packagist"),
        "nuget" => language("nuget"),
        _ => None,
    }
}

/// Whether `v` falls in the affected entry, and the first fixed version above it.
fn affects(scheme: Scheme, v: &Version, raw: &str, a: &Affected) -> (bool, Option<String>) {
    if a.versions.iter().any(|x| x == raw) {
        return (true, first_fix(scheme, v, a));
    }
    for range in &a.ranges {
        if range.kind != "ECOSYSTEM" && range.kind != "SEMVER" {
            continue;
        }
        // OSV's evaluation: walk events in version order; introduced opens, fixed and
        // (past) last_affected close.
        let mut events: Vec<(Option<Version>, &Event)> = range
            .events
            .iter()
            .filter(|e| !matches!(e, Event::Limit(_)))
            .filter_map(|e| {
                let text = match e {
                    Event::Introduced(t)
                    | Event::Fixed(t)
                    | Event::LastAffected(t)
                    | Event::Limit(t) => t,
                };
                if matches!(e, Event::Introduced(t) if t == "0") {
                    return Some((None, e));
                }
                scheme.parse(text).ok().map(|p| (Some(p), e))
            })
            .collect();
        events.sort_by(|a, b| match (&a.0, &b.0) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        });
        let mut affected = false;
        for (at, e) in &events {
            let cmp = at
                .as_ref()
                .map_or(Some(Ordering::Greater), |at| v.partial_cmp(at));
            match e {
                Event::Introduced(_)
                    if matches!(cmp, Some(Ordering::Greater | Ordering::Equal)) =>
                {
                    affected = true
                }
                Event::Fixed(_) if matches!(cmp, Some(Ordering::Greater | Ordering::Equal)) => {
                    affected = false
                }
                Event::LastAffected(_) if matches!(cmp, Some(Ordering::Greater)) => {
                    affected = false
                }
                _ => {}
            }
        }
        if affected {
            return (true, first_fix(scheme, v, a));
        }
    }
    (false, None)
}

fn first_fix(scheme: Scheme, v: &Version, a: &Affected) -> Option<String> {
    a.ranges
        .iter()
        .flat_map(|r| &r.events)
        .filter_map(|e| match e {
            Event::Fixed(f) => scheme.parse(f).ok(),
            _ => None,
        })
        .filter(|f| f.partial_cmp(v) == Some(Ordering::Greater))
        .min_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal))
        .map(|f| f.as_str().to_string())
}

/// A severity word from an advisory as ours.
pub fn severity_from_label(label: &str) -> Severity {
    match label.trim().to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" | "important" => Severity::High,
        "medium" | "moderate" => Severity::Medium,
        "low" => Severity::Low,
        "negligible" | "unimportant" => Severity::Negligible,
        _ => Severity::Unknown,
    }
}

/// The findings of `packages` against the database, one per (vulnerability, package).
pub fn match_packages(db: &VulnDb, packages: &[Package], os: Option<&Os>) -> Result<Vec<Finding>> {
    let mut findings: BTreeMap<String, Finding> = BTreeMap::new();
    for p in packages {
        let Some(l) = lookup(p, os) else { continue };
        let Some(scheme) = Scheme::for_package_type(&p.kind) else {
            continue;
        };
        let Ok(v) = scheme.parse(&l.version) else {
            continue;
        };
        for name in &l.names {
            for (advisory, affected) in db.candidates(l.ecosystem, name)? {
                if advisory.withdrawn {
                    continue;
                }
                for a in &affected {
                    if let Some(release) = &l.release
                        && !a.ecosystem.eq_ignore_ascii_case(release)
                    {
                        continue;
                    }
                    let (hit, fixed) = affects(scheme, &v, &l.version, a);
                    if hit {
                        add(&mut findings, p, &advisory, a, fixed);
                    }
                }
            }
        }
    }
    Ok(findings.into_values().collect())
}

fn add(
    findings: &mut BTreeMap<String, Finding>,
    p: &Package,
    advisory: &Advisory,
    a: &Affected,
    fixed: Option<String>,
) {
    let title = std::iter::once(&advisory.id)
        .chain(&advisory.aliases)
        .find(|i| i.starts_with("CVE-"))
        .unwrap_or(&advisory.id)
        .clone();
    let category = if advisory.is_malicious() {
        Category::MaliciousFile
    } else {
        Category::Cve
    };
    let key = format!(
        "{category:?}\0{title}\0{}\0{}\0{}",
        p.name,
        p.version,
        p.path.as_deref().unwrap_or("")
    );
    // A vector is scored; a label is the fallback; nothing is unknown.
    let cvss = advisory.cvss.iter().find_map(|(_, vector)| {
        crate::vuln::cvss::v3_base_score(vector).map(|s| (vector.clone(), s))
    });
    let severity = match &cvss {
        Some((_, score)) => crate::vuln::cvss::rating(*score),
        None => a
            .severity_label
            .as_deref()
            .or(advisory.severity_label.as_deref())
            .map_or(Severity::Unknown, severity_from_label),
    };
    let severity = if advisory.is_malicious() {
        Severity::Critical
    } else {
        severity
    };
    let ids: Vec<String> = std::iter::once(advisory.id.clone())
        .chain(advisory.aliases.iter().cloned())
        .filter(|i| *i != title)
        .collect();
    if let Some(f) = findings.get_mut(&key) {
        // The same vulnerability from another database: one finding, every id as an alias.
        for i in ids {
            if !f.aliases.contains(&i) {
                f.aliases.push(i);
            }
        }
        if f.severity == Severity::Unknown {
            f.severity = severity;
        }
        if f.fixed_version.is_none() {
            f.fixed_version = fixed;
        }
        for r in &advisory.references {
            if !f.references.contains(r) {
                f.references.push(r.clone());
            }
        }
        return;
    }
    let description = match (&advisory.summary, &advisory.details) {
        (Some(s), Some(d)) if d != s => Some(format!("{s}\n\n{d}")),
        (Some(s), _) => Some(s.clone()),
        (None, d) => d.clone(),
    };
    let id = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
    findings.insert(
        key,
        Finding {
            id,
            category,
            title,
            description,
            severity,
            environment: None,
            ruleset: None,
            rule_id: Some(advisory.id.clone()),
            package: Some(PackageRef {
                name: p.name.clone(),
                version: p.version.clone(),
                kind: Some(p.kind.clone()),
                purl: p.purl.clone(),
            }),
            fixed_version: fixed,
            path: p.path.clone(),
            layer: p.layer.clone(),
            evidence: None,
            cvss: cvss.map(|(vector, score)| Cvss { vector, score }),
            aliases: ids,
            references: advisory.references.clone(),
            suppression: None,
        },
    );
}
