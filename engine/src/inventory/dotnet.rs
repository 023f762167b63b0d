//! .NET: the `*.deps.json` a published application carries, listing its NuGet packages.

use crate::analyze::{Analyzer, Artifact, Want, whole_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;

/// deps.json files of large applications stay well below this.
const MAX_DEPS: u64 = 32 << 20;

/// Reads .NET dependency manifests.
pub struct DotnetAnalyzer;

impl Analyzer for DotnetAnalyzer {
    fn name(&self) -> &'static str {
        "dotnet"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        entry
            .path
            .ends_with(".deps.json")
            .then_some(Want::Content(MAX_DEPS))
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !whole_file(entry, truncated, MAX_DEPS)? {
            return Ok(Vec::new());
        }
        let packages = parse_deps(content).map_err(|e| format!("/{}: {e}", entry.path))?;
        Ok(vec![Artifact::Packages(packages)])
    }
}

/// The NuGet packages (`"type": "package"` libraries) of a deps.json.
pub fn parse_deps(content: &[u8]) -> Result<Vec<Package>, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(content).map_err(|e| format!("not a deps.json: {e}"))?;
    let libraries = doc["libraries"]
        .as_object()
        .ok_or_else(|| "not a deps.json: no `libraries` object".to_string())?;
    let mut out = Vec::new();
    for (key, lib) in libraries {
        // Projects (the application itself) and reference assemblies are not NuGet packages.
        if lib["type"].as_str() != Some("package") {
            continue;
        }
        let Some((name, version)) = key.split_once('/') else {
            continue;
        };
        out.push(Package::new("nuget", name.to_string(), version.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_not_projects() {
        let deps = br#"{"runtimeTarget":{"name":".NETCoreApp,Version=v8.0"},"libraries":{
            "app/1.0.0":{"type":"project","serviceable":false,"sha512":""},
            "Newtonsoft.Json/13.0.1":{"type":"package","serviceable":true,"sha512":"sha512-x","path":"newtonsoft.json/13.0.1"},
            "System.Text.Json/4.7.0":{"type":"package"}}}"#;
        let p = parse_deps(deps).unwrap();
        let names: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![("Newtonsoft.Json", "13.0.1"), ("System.Text.Json", "4.7.0")]
        );
        assert!(parse_deps(b"[]").is_err());
    }
}
