//! Malicious URLs and IPs: indicators extracted from the files of every layer
//! ([`extract::IndicatorAnalyzer`]), matched at report time against threat feeds imported into
//! the database (Feodo, URLhaus, IPsum, plain IP/CIDR/URL/host lists), so a feed update applies
//! to every stored scan without reading an image again.

pub mod extract;
pub mod indicator;

use crate::analyze::{Artifact, LayerAnalysis};
use crate::detect::Detection;
use crate::error::Result;
use crate::report::{Category, Report, Severity, Summary};
use crate::vuln::db::Snapshot;
use indicator::Indicator;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a feed says about one indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatEntry {
    /// The indicator's key ([`Indicator::key`]).
    pub key: String,
    /// What it is: `botnet C2`, `malware distribution`, `attacker`…
    pub classification: String,
    /// Which feed lists it.
    pub source: String,
    /// More from the feed: malware family, tags, how many lists carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How bad the feed makes it.
    pub severity: Severity,
}

/// Rule id prefix of threat-feed findings.
pub const RULE_PREFIX: &str = "threat:";

/// An indicator found in a file of a layer: kept with the stored report, so a feed update
/// applies to a scanned image without reading it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Sighting {
    /// What was found.
    pub indicator: Indicator,
    /// The file it was found in.
    pub path: String,
    /// The blob digest of the layer holding the file.
    pub layer: String,
}

/// Every indicator found in `layers` (bottom first; `digests` are their blob digests), once
/// per file.
pub fn sightings(layers: &[LayerAnalysis], digests: &[&str]) -> Vec<Sighting> {
    let mut all = std::collections::BTreeSet::new();
    for (layer, digest) in layers.iter().zip(digests) {
        for r in &layer.results {
            for a in &r.artifacts {
                if let Artifact::Indicators(found) = a {
                    all.extend(found.iter().map(|ind| Sighting {
                        indicator: ind.clone(),
                        path: r.path.clone(),
                        layer: digest.to_string(),
                    }));
                }
            }
        }
    }
    all.into_iter().collect()
}

/// Replace the report's malicious URL and IP findings with those of the `sightings` that
/// `snap` lists.
pub fn apply(report: &mut Report, sightings: &[Sighting], snap: &Snapshot) -> Result<()> {
    report.findings.retain(|f| {
        !f.rule_id
            .as_deref()
            .is_some_and(|r| r.starts_with(RULE_PREFIX))
    });
    let mut known: HashMap<&Indicator, Option<ThreatEntry>> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for s in sightings {
        let entry = match known.get(&s.indicator) {
            Some(e) => e.clone(),
            None => {
                let e = lookup(snap, &s.indicator)?;
                known.insert(&s.indicator, e.clone());
                e
            }
        };
        let Some(entry) = entry else { continue };
        let mut f = detection(&s.indicator, &entry).into_finding(Some(&s.path), Some(&s.layer));
        // The indicator itself names the finding too: ignores and VEX statements use it.
        f.aliases.extend(f.evidence.clone());
        if seen.insert(f.id.clone()) {
            report.findings.push(f);
        }
    }
    report.summary = Summary::of(&report.findings);
    Ok(())
}

fn lookup(snap: &Snapshot, ind: &Indicator) -> Result<Option<ThreatEntry>> {
    for key in ind.lookup_keys() {
        if let Some(e) = snap.indicator(&key)? {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

fn detection(ind: &Indicator, entry: &ThreatEntry) -> Detection {
    let (category, shown) = match ind {
        Indicator::Ip(ip) => (Category::MaliciousIP, ip.to_string()),
        Indicator::Net(ip, len) => (Category::MaliciousIP, format!("{ip}/{len}")),
        Indicator::Url(u) => (Category::MaliciousURL, u.clone()),
        Indicator::Host(h) => (Category::MaliciousURL, h.clone()),
    };
    let slug: String = entry
        .source
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut d = Detection::new(
        category,
        format!("{RULE_PREFIX}{slug}"),
        format!("{shown} ({})", entry.classification),
        entry.severity,
    );
    let matched = entry
        .key
        .split_once(':')
        .map_or(entry.key.as_str(), |(_, v)| v);
    d.description = Some(format!(
        "{shown} is listed by {} as {}{}{}. Find out why the image contains it and remove it; \
         a process that contacts it may be compromised.",
        entry.source,
        entry.classification,
        entry
            .detail
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default(),
        if matched != shown {
            format!(", through the listed entry {matched}")
        } else {
            String::new()
        }
    ));
    d.evidence = Some(shown);
    d
}
