//! RustSec advisories: Markdown with TOML front matter (`crates/<name>/RUSTSEC-….md`).
//! Advisories about the toolchain itself (`rust/…`) are not about a crate an image ships.

use super::{Format, Parsed, Record};
use crate::vuln::advisory::{Advisory, Affected};
use crate::vuln::requirements::Requirements;
use serde::Deserialize;

/// RustSec's advisory-db.
pub struct RustSec;

#[derive(Deserialize)]
struct Front {
    advisory: Meta,
    #[serde(default)]
    versions: Versions,
}

#[derive(Deserialize)]
struct Meta {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

const FENCE: &str = "```toml";

impl Format for RustSec {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        name.ends_with(".md") && bytes.trim_ascii_start().starts_with(FENCE.as_bytes())
    }

    fn parse(&self, name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let body = text
            .trim_start()
            .strip_prefix(FENCE)
            .ok_or("no TOML front matter")?;
        let (front, markdown) = body
            .split_once("\n```")
            .ok_or("TOML front matter is not closed")?;
        let front: Front =
            toml::from_str(front).map_err(|e| format!("invalid TOML front matter: {e}"))?;
        if name.contains("rust/") && !name.contains("crates/") {
            return Ok(Vec::new());
        }
        Ok(vec![
            advisory(front, markdown).map(|a| Record::Advisory(Box::new(a))),
        ])
    }
}

fn advisory(front: Front, markdown: &str) -> Result<Advisory, String> {
    let m = front.advisory;
    let requirements = Requirements {
        vulnerable: Vec::new(),
        safe: front
            .versions
            .patched
            .into_iter()
            .chain(front.versions.unaffected)
            .collect(),
    };
    requirements.validate()?;
    let markdown = markdown.trim();
    let (summary, details) = match markdown.strip_prefix("# ") {
        Some(rest) => {
            let (title, details) = rest.split_once('\n').unwrap_or((rest, ""));
            (Some(title.trim().to_string()), details.trim().to_string())
        }
        None => (None, markdown.to_string()),
    };
    let informational = m.informational.filter(|i| !i.is_empty());
    let details = match &informational {
        Some(kind) => format!("Informational advisory ({kind}).\n\n{details}"),
        None => details,
    };
    Ok(Advisory {
        aliases: m.aliases.into_iter().chain(m.related).collect(),
        summary,
        details: (!details.trim().is_empty()).then_some(details),
        withdrawn: m.withdrawn.is_some(),
        cvss: m
            .cvss
            .into_iter()
            .map(|v| ("CVSS".to_string(), v))
            .collect(),
        // cargo-audit reports informational advisories as warnings, not vulnerabilities.
        severity_label: informational.map(|_| "low".to_string()),
        references: m.url.into_iter().chain(m.references).collect(),
        affected: vec![Affected {
            ecosystem: "crates.io".into(),
            name: m.package,
            ranges: Vec::new(),
            versions: Vec::new(),
            severity_label: None,
            requirements: Some(requirements),
        }],
        id: m.id,
    })
}
