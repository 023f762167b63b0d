//! PHP Composer: `vendor/composer/installed.json` (Composer 1's array and Composer 2's
//! `{"packages": […]}`).

use crate::analyze::{Analyzer, Artifact, Want, whole_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;
use serde::Deserialize;

/// installed.json of even very large projects stays well below this.
const MAX_INSTALLED: u64 = 32 << 20;

/// Reads Composer's record of installed packages.
pub struct ComposerAnalyzer;

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V2 { packages: Vec<serde_json::Value> },
    V1(Vec<serde_json::Value>),
}

impl Analyzer for ComposerAnalyzer {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        let p = &entry.path;
        (p == "vendor/composer/installed.json" || p.ends_with("/vendor/composer/installed.json"))
            .then_some(Want::Content(MAX_INSTALLED))
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !whole_file(entry, truncated, MAX_INSTALLED)? {
            return Ok(Vec::new());
        }
        let (packages, skipped) =
            parse_installed(content).map_err(|e| format!("/{}: {e}", entry.path))?;
        let mut out = vec![Artifact::Packages(packages)];
        if skipped > 0 {
            out.push(Artifact::Warning(format!(
                "{skipped} entries without a name or version skipped"
            )));
        }
        Ok(out)
    }
}

/// The packages of an installed.json, and how many entries were unusable.
pub fn parse_installed(content: &[u8]) -> Result<(Vec<Package>, usize), String> {
    let installed: Installed = serde_json::from_slice(content)
        .map_err(|e| format!("not Composer's installed.json: {e}"))?;
    let entries = match installed {
        Installed::V2 { packages } | Installed::V1(packages) => packages,
    };
    let mut skipped = 0;
    let mut out = Vec::new();
    for e in entries {
        let (Some(name), Some(version)) = (e["name"].as_str(), e["version"].as_str()) else {
            skipped += 1;
            continue;
        };
        let licenses = match &e["license"] {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        out.push(Package {
            licenses,
            ..Package::new("composer", name.to_string(), version.to_string())
        });
    }
    Ok((out, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats() {
        let v2 = br#"{"packages":[{"name":"monolog/monolog","version":"2.9.1","license":["MIT"]},{"name":"broken"}],"dev":true}"#;
        let (p, skipped) = parse_installed(v2).unwrap();
        assert_eq!((p.len(), skipped), (1, 1));
        assert_eq!(
            (
                p[0].name.as_str(),
                p[0].version.as_str(),
                p[0].licenses[0].as_str()
            ),
            ("monolog/monolog", "2.9.1", "MIT")
        );
        let v1 = br#"[{"name":"psr/log","version":"1.1.4","license":"MIT"}]"#;
        assert_eq!(parse_installed(v1).unwrap().0[0].name, "psr/log");
        assert!(parse_installed(b"{\"nope\": 1}").is_err());
        assert!(parse_installed(b"\x00garbage").is_err());
    }
}
