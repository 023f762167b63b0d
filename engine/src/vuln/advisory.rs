//! Advisories as we store them: the parts of an OSV record that matching and findings need.
//!
//! Parsed from `serde_json::Value` rather than strict structs: a record with an odd timestamp or
//! an unknown range type must still match by what it does say, and one bad record must not
//! reject the file around it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One vulnerability (or malicious package) record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// `GHSA-…`, `PYSEC-…`, `GO-…`, `DSA-…`, `MAL-…`, `CVE-…`.
    pub id: String,
    /// Other ids of the same vulnerability.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default)]
    pub details: Option<String>,
    /// Set when the record was withdrawn; such records never match.
    #[serde(default)]
    pub withdrawn: bool,
    /// CVSS vectors: `(type, vector)`, e.g. `("CVSS_V3", "CVSS:3.1/AV:N/…")`.
    #[serde(default)]
    pub cvss: Vec<(String, String)>,
    /// A severity word the source gives (`HIGH`, `moderate`, …).
    #[serde(default)]
    pub severity_label: Option<String>,
    /// Links.
    #[serde(default)]
    pub references: Vec<String>,
    /// Which packages and versions it affects.
    #[serde(default)]
    pub affected: Vec<Affected>,
}

/// One affected package of an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The OSV ecosystem with its release, as written (`Debian:12`, `PyPI`, `Alpine:v3.19`).
    pub ecosystem: String,
    /// The package name as written.
    pub name: String,
    /// Version ranges.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// A severity word for this package alone (GHSA, distro ratings).
    #[serde(default)]
    pub severity_label: Option<String>,
    /// Version requirements, for feeds that state them instead of ranges (RustSec, Node.js WG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<crate::vuln::requirements::Requirements>,
}

/// A range of affected versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    pub kind: String,
    /// Events in the order the record gives them.
    pub events: Vec<Event>,
}

/// A range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Vulnerable from this version on (`0`: from the beginning).
    Introduced(String),
    /// Fixed in this version.
    Fixed(String),
    /// The last vulnerable version.
    LastAffected(String),
    /// Upper bound for the range walk (git ranges).
    Limit(String),
}

/// Id prefixes of distribution advisories.
const DISTRO_PREFIXES: &[&str] = &[
    "ALSA-",
    "ALBA-",
    "ALEA-",
    "RLSA-",
    "RHSA-",
    "RHBA-",
    "DSA-",
    "DLA-",
    "DTSA-",
    "USN-",
    "SUSE-",
    "openSUSE-",
    "ELSA-",
    "ALAS",
    "MGASA-",
];

fn str_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string).filter(|s| !s.is_empty())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(str_of).collect())
        .unwrap_or_default()
}

impl Advisory {
    /// Keep the affected entries whose ecosystem we can order; fail, naming the problem, when
    /// none is left or a range bound does not parse as a version of its ecosystem (a range we
    /// cannot evaluate must not silently match nothing).
    pub fn validate(mut self) -> Result<Advisory, String> {
        use crate::vuln::version::Scheme;
        let mut unknown = Vec::new();
        let mut kept = Vec::new();
        for a in std::mem::take(&mut self.affected) {
            let Some(scheme) = Scheme::for_ecosystem(&a.ecosystem) else {
                unknown.push(a.ecosystem);
                continue;
            };
            for r in a.ranges.iter().filter(|r| r.kind != "GIT") {
                for e in &r.events {
                    let (Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v)) = e
                    else {
                        continue;
                    };
                    if v != "0" && scheme.parse(v).is_err() {
                        return Err(format!(
                            "{}: {} {}: unparsable version {v:?} in a range",
                            self.id, a.ecosystem, a.name
                        ));
                    }
                }
            }
            kept.push(a);
        }
        if kept.is_empty() {
            unknown.dedup();
            return Err(format!(
                "{}: unknown ecosystem {}",
                self.id,
                unknown.join(", ")
            ));
        }
        self.affected = kept;
        Ok(self)
    }

    /// Whether this is a malicious-package record (OpenSSF `MAL-…`).
    pub fn is_malicious(&self) -> bool {
        self.id.starts_with("MAL-")
    }

    /// Read an OSV record; `Err` says what makes it unusable.
    pub fn from_osv(v: &Value) -> Result<Advisory, String> {
        let id = str_of(&v["id"]).ok_or("no `id`")?;
        let mut affected = Vec::new();
        for a in v["affected"].as_array().into_iter().flatten() {
            let (Some(ecosystem), Some(name)) = (
                str_of(&a["package"]["ecosystem"]),
                str_of(&a["package"]["name"]),
            ) else {
                continue;
            };
            let ranges = a["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let kind = str_of(&r["type"])?;
                    let events = r["events"]
                        .as_array()?
                        .iter()
                        .filter_map(|e| {
                            let o = e.as_object()?;
                            let (k, val) = o.iter().next()?;
                            let val = str_of(val)?;
                            Some(match k.as_str() {
                                "introduced" => Event::Introduced(val),
                                "fixed" => Event::Fixed(val),
                                "last_affected" => Event::LastAffected(val),
                                "limit" => Event::Limit(val),
                                _ => return None,
                            })
                        })
                        .collect();
                    Some(Range { kind, events })
                })
                .collect();
            let severity_label = str_of(&a["ecosystem_specific"]["severity"])
                .or_else(|| str_of(&a["database_specific"]["severity"]));
            affected.push(Affected {
                ecosystem,
                name,
                ranges,
                versions: strings(&a["versions"]),
                severity_label,
                requirements: None,
            });
        }
        if affected.is_empty() {
            return Err("no affected package with an ecosystem and a name".into());
        }
        let cvss = v["severity"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| Some((str_of(&s["type"])?, str_of(&s["score"])?)))
            .collect();
        // Distribution advisories (ALSA, RHSA, DSA, USN…) fix the CVEs they list as `related`
        // or `upstream`; elsewhere `related` means a different vulnerability.
        let distro = DISTRO_PREFIXES.iter().any(|p| id.starts_with(p));
        let mut aliases: Vec<String> = strings(&v["aliases"])
            .into_iter()
            .chain(strings(&v["upstream"]))
            .chain(if distro {
                strings(&v["related"])
            } else {
                Vec::new()
            })
            .filter(|a| *a != id)
            .collect();
        aliases.dedup();
        let summary = str_of(&v["summary"]);
        // Red Hat style summaries start with the rating: "Moderate: bash security update".
        let summary_rating = summary
            .as_deref()
            .and_then(|s| s.split_once(": "))
            .map(|(r, _)| r)
            .filter(|r| ["Critical", "Important", "Moderate", "Low"].contains(r))
            .map(str::to_string);
        Ok(Advisory {
            aliases,
            summary,
            details: str_of(&v["details"]),
            withdrawn: str_of(&v["withdrawn"]).is_some(),
            cvss,
            severity_label: str_of(&v["database_specific"]["severity"]).or(summary_rating),
            references: v["references"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| str_of(&r["url"]))
                .collect(),
            affected,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_osv() {
        let v: Value = serde_json::from_str(
            r#"{"id":"GHSA-x","aliases":["CVE-2020-8203"],"summary":"Prototype pollution","withdrawn":null,
               "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
               "database_specific":{"severity":"HIGH"},
               "references":[{"type":"WEB","url":"https://example.org/a"}],
               "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.19"}]}]},
                 {"package":{"ecosystem":"npm"}}]}"#,
        )
        .unwrap();
        let a = Advisory::from_osv(&v).unwrap();
        assert_eq!(a.aliases, vec!["CVE-2020-8203"]);
        assert_eq!(a.affected.len(), 1);
        assert_eq!(
            a.affected[0].ranges[0].events[1],
            Event::Fixed("4.17.19".into())
        );
        assert_eq!(a.severity_label.as_deref(), Some("HIGH"));
        assert!(!a.withdrawn);
        assert!(Advisory::from_osv(&serde_json::json!({"id": "X"})).is_err());
        assert!(Advisory::from_osv(&serde_json::json!([1, 2])).is_err());
    }
}
