//! Rust binaries built with `cargo auditable`: the dependency list it embeds in a `.dep-v0`
//! section (zlib-compressed JSON).
//!
//! Only runtime dependencies are reported: build dependencies and proc-macros are not linked
//! into the binary. The root package is reported only when it came from a registry (a binary
//! installed with `cargo install`); a local root is the application itself, whose name may
//! collide with an unrelated crate on crates.io.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;
use auditable_info::Error;
use serde::Deserialize;

/// Executables larger than this are not read.
const MAX_BINARY: u64 = 256 << 20;

/// The decompressed JSON larger than this is not believed (cargo-auditable's own default).
const MAX_JSON: usize = 8 << 20;

/// The first bytes of every ELF file.
const ELF_MAGIC: &[u8] = b"\x7fELF";

/// Crate names are at most 64 characters on crates.io; versions are short.
const MAX_FIELD: usize = 256;

/// Reads the embedded dependency list of Rust executables.
pub struct RustBinaryAnalyzer;

impl Analyzer for RustBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "rust-binary"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        crate::analyze::wants_executable(entry, MAX_BINARY)
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !is_file(entry) || !content.starts_with(ELF_MAGIC) {
            return Ok(Vec::new());
        }
        match audit_packages(content) {
            Ok(Some(packages)) => Ok(vec![Artifact::Packages(packages)]),
            Ok(None) => Ok(Vec::new()),
            // The section table is at the end of the file; the cut is already noted.
            Err(_) if truncated => Ok(Vec::new()),
            Err(e) => Err(format!("/{}: {e}", entry.path)),
        }
    }
}

/// One package of the embedded list; the other fields (dependency edges) are not needed.
#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

#[derive(Deserialize)]
struct AuditInfo {
    packages: Vec<AuditPackage>,
}

/// The packages of an executable's embedded dependency list; `Ok(None)` when it has none.
pub fn audit_packages(binary: &[u8]) -> Result<Option<Vec<Package>>, String> {
    let json = match auditable_info::json_from_slice(binary, MAX_JSON) {
        Ok(json) => json,
        Err(Error::NoAuditData) => return Ok(None),
        Err(e) => return Err(format!("cargo-auditable data unreadable: {e}")),
    };
    let info: AuditInfo = serde_json::from_str(&json)
        .map_err(|e| format!("cargo-auditable data is not the expected JSON: {e}"))?;
    Ok(Some(runtime_packages(info)))
}

fn runtime_packages(info: AuditInfo) -> Vec<Package> {
    info.packages
        .into_iter()
        .filter(|p| p.kind.as_deref().is_none_or(|k| k == "runtime"))
        .filter(|p| !p.root || matches!(p.source.as_str(), "crates.io" | "registry"))
        .filter(|p| !p.name.is_empty() && p.name.len() <= MAX_FIELD && p.version.len() <= MAX_FIELD)
        .map(|p| Package::new("cargo", p.name, p.version))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(json: &str) -> Vec<(String, String)> {
        runtime_packages(serde_json::from_str(json).unwrap())
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect()
    }

    #[test]
    fn keeps_runtime_dependencies_and_registry_roots() {
        let json = r#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"itoa","version":"1.0.11","source":"crates.io"},
            {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"},
            {"name":"semver","version":"1.0.23","source":"crates.io","kind":"runtime"}
        ]}"#;
        assert_eq!(
            listed(json),
            vec![
                ("itoa".to_string(), "1.0.11".to_string()),
                ("semver".to_string(), "1.0.23".to_string())
            ]
        );
        let installed = r#"{"packages":[{"name":"ripgrep","version":"14.1.0","source":"crates.io","root":true}]}"#;
        assert_eq!(listed(installed).len(), 1);
    }

    #[test]
    fn binaries_without_audit_data_have_no_packages() {
        assert!(audit_packages(b"not a binary at all").is_err());
        let Ok(true_bin) = std::fs::read("/bin/true") else {
            return;
        };
        assert_eq!(audit_packages(&true_bin), Ok(None));
    }

    #[test]
    fn garbage_elf_is_an_error_not_a_panic() {
        let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
        elf.resize(200, 0xff);
        assert!(audit_packages(&elf).is_err());
        for n in 0..elf.len() {
            let _ = audit_packages(&elf[..n]);
        }
    }
}
