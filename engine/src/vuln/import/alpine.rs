//! Alpine's secdb (`v3.11/main.yaml`): per package, the release that fixed each CVE.

use super::{Format, Parsed, Record, fixed_range};
use crate::vuln::advisory::{Advisory, Affected};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Alpine secdb YAML (or its JSON rendering).
pub struct AlpineSecdb;

#[derive(Deserialize)]
struct Secdb {
    distroversion: String,
    #[serde(default)]
    packages: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<serde_json::Value>>>,
}

impl Format for AlpineSecdb {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(1024)];
        let has = |k: &[u8]| head.windows(k.len()).any(|w| w == k);
        (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
            && has(b"distroversion")
    }

    fn parse(&self, name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let db: Secdb = serde_json::from_value(super::structured(name, bytes)?)
            .map_err(|e| format!("invalid secdb: {e}"))?;
        let release = db.distroversion.trim().to_string();
        if !release.starts_with('v') {
            return Err(format!("distroversion {release:?} is not like v3.19"));
        }
        let mut out: Parsed = Vec::new();
        for p in db.packages {
            let p = match serde_json::from_value::<Entry>(p) {
                Ok(e) => e.pkg,
                Err(e) => {
                    out.push(Err(format!("invalid package entry: {e}")));
                    continue;
                }
            };
            for (fixed, ids) in &p.secfixes {
                for id in ids.iter().flatten() {
                    // Entries are ids, sometimes followed by a note ("CVE-2019-1 (ignored)").
                    let Some(id) = id.as_str().and_then(|s| s.split_whitespace().next()) else {
                        out.push(Err(format!("{}: secfix id is not a string", p.name)));
                        continue;
                    };
                    out.push(Ok(Record::Advisory(Box::new(advisory(
                        &release, &p.name, fixed, id,
                    )))));
                }
            }
        }
        Ok(out)
    }
}

/// One advisory per release, package and id: secdb states a fix per release, and the id alone
/// would let one release's entry replace another's.
fn advisory(release: &str, package: &str, fixed: &str, id: &str) -> Advisory {
    // "0" means the release was never affected.
    let ranges = if fixed == "0" {
        Vec::new()
    } else {
        vec![fixed_range(Some(fixed))]
    };
    Advisory {
        id: format!("ALPINE-{release}-{package}-{id}"),
        aliases: vec![id.to_string()],
        summary: None,
        details: None,
        withdrawn: false,
        cvss: Vec::new(),
        severity_label: None,
        references: vec![format!("https://security.alpinelinux.org/vuln/{id}")],
        affected: vec![Affected {
            ecosystem: format!("Alpine:{release}"),
            name: package.to_string(),
            ranges,
            versions: Vec::new(),
            severity_label: None,
            requirements: None,
        }],
    }
}
