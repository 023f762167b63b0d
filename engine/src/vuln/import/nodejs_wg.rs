//! The Node.js security working group's advisories (`vuln/npm/*.json`, node-semver ranges;
//! `vuln/core/*.json` concern the runtime, which is not in a package inventory).

use super::{Format, Parsed, Record, json_has_keys};
use crate::vuln::advisory::{Advisory, Affected};
use crate::vuln::requirements::{Requirements, from_node_range};
use serde::Deserialize;

/// Node.js security WG JSON.
pub struct NodejsWg;

#[derive(Deserialize)]
struct NpmAdvisory {
    id: serde_json::Value,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    overview: Option<String>,
    #[serde(default)]
    recommendation: Option<String>,
    module_name: String,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    vulnerable_versions: Option<String>,
    #[serde(default)]
    patched_versions: Option<String>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
    #[serde(default)]
    cvss_vector: Option<String>,
}

impl Format for NodejsWg {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        json_has_keys(name, bytes, &["module_name", "vulnerable_versions"])
            || (name.contains("core/") && json_has_keys(name, bytes, &["vulnerable", "patched"]))
    }

    fn parse(&self, _name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
        if v.get("module_name").is_none() {
            return Ok(Vec::new());
        }
        Ok(vec![advisory(v).map(|a| Record::Advisory(Box::new(a)))])
    }
}

fn advisory(v: serde_json::Value) -> Result<Advisory, String> {
    let a: NpmAdvisory =
        serde_json::from_value(v).map_err(|e| format!("invalid Node.js WG advisory: {e}"))?;
    let number = match &a.id {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        _ => return Err("no `id`".into()),
    };
    let vulnerable = a.vulnerable_versions.as_deref().unwrap_or("*");
    let requirements = Requirements {
        vulnerable: from_node_range(vulnerable)?,
        safe: match a.patched_versions.as_deref().map(str::trim) {
            None | Some("") | Some("<0.0.0") => Vec::new(),
            Some(p) => from_node_range(p)?,
        },
    };
    let details = [a.overview, a.recommendation]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    Ok(Advisory {
        id: format!("NSWG-ECO-{number}"),
        aliases: a.cves.into_iter().filter(|c| !c.is_empty()).collect(),
        summary: a.title,
        details: (!details.is_empty()).then_some(details),
        withdrawn: false,
        cvss: a
            .cvss_vector
            .into_iter()
            .map(|v| ("CVSS".to_string(), v))
            .collect(),
        severity_label: None,
        references: a
            .references
            .iter()
            .filter_map(|r| r.as_str().map(str::to_string))
            .collect(),
        affected: vec![Affected {
            ecosystem: "npm".into(),
            name: a.module_name,
            ranges: Vec::new(),
            versions: Vec::new(),
            severity_label: None,
            requirements: Some(requirements),
        }],
    })
}
