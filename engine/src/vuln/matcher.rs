//! Matching an inventory against the database: by ecosystem, package and version range — never
//! by CPE guessing. OS packages match by their source package and only against advisories of
//! the image's distribution release.

use crate::error::Result;
use crate::report::{Category, Cvss, Finding, KnownExploited, Os, Package, PackageRef, Severity};
use crate::vuln::db::{ExploitedIds, Snapshot, VulnDb, package_key};
use crate::vuln::index::{AdvisoryRecord, AffectedRef, Bound, Candidate, Candidates};
use crate::vuln::version::{Scheme, Version};
use sha2::{Digest as _, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::rc::Rc;

/// Where to look a package up: ecosystem family, required release, names, version.
struct Lookup<'p> {
    ecosystem: &'static str,
    release: Option<String>,
    /// The package's name, and for RPMs its source package's when that differs.
    names: [Option<&'p str>; 2],
    version: &'p str,
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn lookup<'p>(p: &'p Package, os: Option<&Os>) -> Option<Lookup<'p>> {
    let source = || Some(p.source_name.as_deref().unwrap_or(&p.name));
    let os_version = os.and_then(|o| o.version.as_deref()).unwrap_or("");
    let family = os.map(|o| o.family.as_str()).unwrap_or("");
    let language = |ecosystem| {
        Some(Lookup {
            ecosystem,
            release: None,
            names: [Some(&p.name), None],
            version: &p.version,
        })
    };
    match p.kind.as_str() {
        "deb" if family == "debian" => Some(Lookup {
            ecosystem: "debian",
            release: Some(format!("debian:{}", major(os_version))),
            names: [source(), None],
            version: p.source_version.as_deref().unwrap_or(&p.version),
        }),
        "apk" if family == "alpine" => {
            let mut parts = os_version.split('.');
            let release = format!("alpine:v{}.{}", parts.next()?, parts.next()?);
            Some(Lookup {
                ecosystem: "alpine",
                release: Some(release),
                names: [source(), None],
                version: &p.version,
            })
        }
        "rpm" => {
            let (ecosystem, name) = match family {
                "almalinux" => ("almalinux", "almalinux"),
                "rocky" => ("rocky linux", "rocky linux"),
                _ => return None,
            };
            let source = p.source_name.as_deref().filter(|s| *s != p.name);
            Some(Lookup {
                ecosystem,
                release: Some(format!("{name}:{}", major(os_version))),
                names: [Some(&p.name), source],
                version: &p.version,
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
fn affects(scheme: Scheme, v: &Version, raw: &str, a: &AffectedRef<'_>) -> (bool, Option<String>) {
    if a.ordered_by() != Some(scheme) {
        return affects_unordered(scheme, v, raw, a);
    }
    if a.lists(raw) {
        return (true, first_fix(v, a, None));
    }
    for range in a.ranges() {
        // OSV's evaluation: walk events in version order; introduced opens, fixed and
        // (past) last_affected close. The index holds them in that order, so the walk stops
        // at the first event above `v`: none after it can apply.
        let mut affected = false;
        let mut above = None;
        for e in range.ordered() {
            let cmp = if e.bound == Bound::Introduced && e.text == "0" {
                Ordering::Greater
            } else {
                // The import parsed every ordered event with this scheme.
                let Some(cmp) = v.cmp_to(e.text) else {
                    continue;
                };
                cmp
            };
            match (e.bound, cmp) {
                (_, Ordering::Less) => {
                    above = Some(e.text);
                    break;
                }
                (Bound::Introduced, _) => affected = true,
                (Bound::Fixed, _) => affected = false,
                (Bound::LastAffected, Ordering::Greater) => affected = false,
                (Bound::LastAffected, _) => {}
            }
        }
        if affected {
            return (true, first_fix(v, a, above));
        }
    }
    (false, None)
}

/// The lowest fixed version above `v`; the first of equal ones as the record lists them.
/// `above`: a version already known to be above `v`, which need not be parsed again.
fn first_fix(v: &Version, a: &AffectedRef<'_>, above: Option<&str>) -> Option<String> {
    a.fixes()
        .ordered()
        .find(|e| Some(e.text) == above || v.cmp_to(e.text) == Some(Ordering::Less))
        .map(|e| e.text.to_string())
}

/// [`affects`] for an entry stored in another ordering than `scheme`'s: every event parsed
/// and sorted here, in the record's order first.
fn affects_unordered(
    scheme: Scheme,
    v: &Version,
    raw: &str,
    a: &AffectedRef<'_>,
) -> (bool, Option<String>) {
    let first_fix = || {
        a.fixes()
            .in_record_order()
            .into_iter()
            .filter_map(|e| scheme.parse(e.text).ok())
            .filter(|f| f.partial_cmp(v) == Some(Ordering::Greater))
            .min_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal))
            .map(|f| f.as_str().to_string())
    };
    if a.lists(raw) {
        return (true, first_fix());
    }
    for range in a.ranges() {
        let mut events: Vec<(Option<Version>, Bound)> = range
            .in_record_order()
            .into_iter()
            .filter_map(|e| {
                if e.bound == Bound::Introduced && e.text == "0" {
                    return Some((None, e.bound));
                }
                scheme.parse(e.text).ok().map(|p| (Some(p), e.bound))
            })
            .collect();
        events.sort_by(|a, b| match (&a.0, &b.0) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        });
        let mut affected = false;
        for (at, bound) in &events {
            let cmp = at
                .as_ref()
                .map_or(Some(Ordering::Greater), |at| v.partial_cmp(at));
            match bound {
                Bound::Introduced if matches!(cmp, Some(Ordering::Greater | Ordering::Equal)) => {
                    affected = true
                }
                Bound::Fixed if matches!(cmp, Some(Ordering::Greater | Ordering::Equal)) => {
                    affected = false
                }
                Bound::LastAffected if matches!(cmp, Some(Ordering::Greater)) => affected = false,
                _ => {}
            }
        }
        if affected {
            return (true, first_fix());
        }
    }
    (false, None)
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
    match db.snapshot()? {
        Some(snap) => Matcher::new(&snap).match_packages(packages, os),
        None => Ok(Vec::new()),
    }
}

/// Matches inventories against one database snapshot, remembering what it looked up: images
/// share most of their packages, so re-matching many of them reads each name's advisories once.
pub struct Matcher<'a> {
    snap: &'a Snapshot,
    candidates: HashMap<String, Candidates>,
    /// Advisory records by id (short ids are held inline, without an allocation).
    advisories: HashMap<sled::IVec, Option<Rc<AdvisoryRecord>>>,
    exploited: HashMap<String, Option<KnownExploited>>,
    /// The known-exploited CVE ids, read once on first use (`Some(None)`: the database does
    /// not list them, each CVE is looked up).
    exploited_ids: Option<Option<ExploitedIds>>,
}

impl<'a> Matcher<'a> {
    /// A matcher over `snap` with nothing looked up yet.
    pub fn new(snap: &'a Snapshot) -> Self {
        Matcher {
            snap,
            candidates: HashMap::new(),
            advisories: HashMap::new(),
            exploited: HashMap::new(),
            exploited_ids: None,
        }
    }

    /// The database version the findings come from.
    pub fn info(&self) -> &crate::vuln::db::DbInfo {
        &self.snap.info
    }

    fn candidates(&mut self, ecosystem: &str, name: &str) -> Result<Candidates> {
        let key = package_key(ecosystem, name);
        if let Some(c) = self.candidates.get(&key) {
            // A clone shares the stored value.
            return Ok(c.clone());
        }
        let c = self.snap.candidates_at(&key)?;
        self.candidates.insert(key, c.clone());
        Ok(c)
    }

    fn advisory(&mut self, c: &Candidate<'_>) -> Result<Option<Rc<AdvisoryRecord>>> {
        if let Some(a) = self.advisories.get(c.id.as_bytes()) {
            return Ok(a.clone());
        }
        // Most advisories are about one package and kept with it.
        let kept = c.advisory().map_err(|_| self.snap.malformed_record(c.id))?;
        let a = match kept {
            Some(a) => Some(a),
            None => self.snap.advisory_record(c.id)?,
        }
        .map(Rc::new);
        self.advisories.insert(c.id.as_bytes().into(), a.clone());
        Ok(a)
    }

    fn exploited(&mut self, cve: &str) -> Result<Option<KnownExploited>> {
        if let Some(e) = self.exploited.get(cve) {
            return Ok(e.clone());
        }
        let listed = match &self.exploited_ids {
            Some(ids) => ids,
            None => self.exploited_ids.insert(self.snap.exploited_ids()?),
        };
        if listed.as_ref().is_some_and(|ids| !ids.contains(cve)) {
            return Ok(None);
        }
        let e = self.snap.exploited(cve)?.map(|e| KnownExploited {
            source: e.source,
            date_added: e.date_added,
            ransomware: e.ransomware,
        });
        self.exploited.insert(cve.to_string(), e.clone());
        Ok(e)
    }

    /// The findings of `packages` on an image of `os`, one per (vulnerability, package).
    pub fn match_packages(
        &mut self,
        packages: &[Package],
        os: Option<&Os>,
    ) -> Result<Vec<Finding>> {
        let mut findings = Findings::default();
        for p in packages {
            let Some(l) = lookup(p, os) else { continue };
            let Some(scheme) = Scheme::for_package_type(&p.kind) else {
                continue;
            };
            let Ok(v) = scheme.parse(l.version) else {
                continue;
            };
            for name in l.names.into_iter().flatten() {
                let candidates = self.candidates(l.ecosystem, name)?;
                for c in candidates.iter() {
                    for a in c.affected() {
                        let a = a.map_err(|_| self.snap.malformed(l.ecosystem, name))?;
                        if let Some(release) = &l.release
                            && !a.ecosystem.eq_ignore_ascii_case(release)
                        {
                            continue;
                        }
                        let (hit, fixed) = match a.requirements() {
                            Some(r) => r.affects(l.version).unwrap_or((false, None)),
                            None => affects(scheme, &v, l.version, &a),
                        };
                        if !hit {
                            continue;
                        }
                        match self.advisory(&c)? {
                            Some(advisory) if !advisory.withdrawn() => {
                                add(&mut findings, p, &advisory, a.severity_label, fixed)
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        let mut findings = findings.into_sorted();
        self.mark_exploited(&mut findings)?;
        Ok(findings)
    }

    /// Mark findings whose vulnerability is in a known-exploited catalog.
    fn mark_exploited(&mut self, findings: &mut [Finding]) -> Result<()> {
        for f in findings.iter_mut().filter(|f| f.category == Category::Cve) {
            let mut exploited = None;
            for id in std::iter::once(&f.title)
                .chain(&f.aliases)
                .filter(|i| i.starts_with("CVE-"))
            {
                exploited = self.exploited(id)?;
                if exploited.is_some() {
                    break;
                }
            }
            if exploited.is_some() {
                f.exploited = exploited;
            }
        }
        Ok(())
    }
}

/// Findings by their identity (category, title, package name, version and path), boxed: a
/// finding is large, and a map of them would move it as its nodes fill and split.
#[derive(Default)]
struct Findings(BTreeMap<String, Box<Finding>>);

impl Findings {
    fn get_mut(&mut self, key: &str) -> Option<&mut Finding> {
        self.0.get_mut(key).map(|f| &mut **f)
    }

    fn insert(&mut self, key: String, finding: Finding) {
        self.0.insert(key, Box::new(finding));
    }

    /// The findings in the order of their identities.
    fn into_sorted(self) -> Vec<Finding> {
        let mut out = Vec::with_capacity(self.0.len());
        out.extend(self.0.into_values().map(|f| *f));
        out
    }
}

/// The name of a category in a finding's identity: its `Debug` name, without formatting
/// (the name reports use, but for `Cve`).
fn category_key(category: Category) -> &'static str {
    match category {
        Category::Cve => "Cve",
        other => other.as_str(),
    }
}

/// Add the findings of one advisory for one package: one per CVE it names (a DSA or an ALSA
/// often fixes several), or one under the advisory's own id when it names none.
fn add(
    findings: &mut Findings,
    p: &Package,
    advisory: &AdvisoryRecord,
    label: Option<&str>,
    fixed: Option<String>,
) {
    let all = || std::iter::once(advisory.id()).chain(advisory.aliases());
    let mut cves: Vec<&str> = all().filter(|i| i.starts_with("CVE-")).collect();
    cves.sort_unstable();
    cves.dedup();
    // Without a CVE the advisory's own id is the title, not an alias.
    let ids =
        || all().filter(|i| !i.starts_with("CVE-") && (!cves.is_empty() || *i != advisory.id()));
    if cves.is_empty() {
        add_one(findings, p, advisory, label, fixed, advisory.id(), ids());
    } else {
        for cve in &cves {
            add_one(findings, p, advisory, label, fixed.clone(), cve, ids());
        }
    }
}

/// Add or merge the finding of vulnerability `title` in package `p`, with `ids` as aliases.
fn add_one<'a>(
    findings: &mut Findings,
    p: &Package,
    advisory: &'a AdvisoryRecord,
    label: Option<&str>,
    fixed: Option<String>,
    title: &str,
    ids: impl Iterator<Item = &'a str>,
) {
    let category = if advisory.is_malicious() {
        Category::MaliciousFile
    } else {
        Category::Cve
    };
    let path = p.path.as_deref().unwrap_or("");
    let parts = [category_key(category), title, &p.name, &p.version, path];
    let mut key = String::with_capacity(parts.iter().map(|s| s.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push('\0');
        }
        key.push_str(part);
    }
    let severity = match advisory.cvss() {
        Some((_, score)) => crate::vuln::cvss::rating(score),
        None => label
            .or(advisory.severity_label())
            .map_or(Severity::Unknown, severity_from_label),
    };
    let severity = if advisory.is_malicious() {
        Severity::Critical
    } else {
        severity
    };
    let cvss = || {
        advisory.cvss().map(|(vector, score)| Cvss {
            vector: vector.to_string(),
            score,
        })
    };
    if let Some(f) = findings.get_mut(&key) {
        // The same vulnerability from another database: one finding, every id as an alias.
        for i in ids {
            if !f.aliases.iter().any(|a| a == i) {
                f.aliases.push(i.to_string());
            }
        }
        if f.cvss.is_none() && advisory.cvss().is_some() {
            f.severity = severity;
            f.cvss = cvss();
        } else if f.severity == Severity::Unknown {
            f.severity = severity;
        }
        if f.fixed_version.is_none() {
            f.fixed_version = fixed;
        }
        if f.description.is_none() {
            f.description = description(advisory.summary(), advisory.details());
        }
        for r in advisory.references() {
            if !f.references.iter().any(|x| x == r) {
                f.references.push(r.to_string());
            }
        }
        return;
    }
    let id = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
    let finding = Finding {
        description: description(advisory.summary(), advisory.details()),
        rule_id: Some(advisory.id().to_string()),
        package: Some(PackageRef {
            name: p.name.clone(),
            version: p.version.clone(),
            kind: Some(p.kind.clone()),
            purl: p.purl.clone(),
        }),
        fixed_version: fixed,
        path: p.path.clone(),
        layer: p.layer.clone(),
        cvss: cvss(),
        aliases: ids.map(str::to_string).collect(),
        references: advisory.references().map(str::to_string).collect(),
        ..Finding::new(id, category, title, severity)
    };
    findings.insert(key, finding);
}

/// An advisory's summary and details as one description.
fn description(summary: Option<&str>, details: Option<&str>) -> Option<String> {
    match (summary, details) {
        (Some(s), Some(d)) if d != s => Some(format!("{s}\n\n{d}")),
        (Some(s), _) => Some(s.to_string()),
        (None, d) => d.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_keys_are_the_debug_names() {
        // The categories matching produces.
        for c in [Category::Cve, Category::MaliciousFile] {
            assert_eq!(category_key(c), format!("{c:?}"));
        }
    }
}
