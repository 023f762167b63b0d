//! apk: `/lib/apk/db/installed` (Alpine, Wolfi, Chainguard).
//!
//! Not RFC 822: one `X:value` line per field, single-letter keys, records separated by blank
//! lines, no continuation lines.

use crate::analyze::{Analyzer, Artifact, Want, whole_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;

/// An installed database larger than this is not an apk database.
const MAX_INSTALLED: u64 = 128 << 20;

/// Reads the apk database.
pub struct ApkAnalyzer;

impl Analyzer for ApkAnalyzer {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        (entry.path == "lib/apk/db/installed").then_some(Want::Content(MAX_INSTALLED))
    }

    fn may_want_below(&self, dir: &str) -> bool {
        crate::analyze::below_any(dir, &["lib/apk/db/installed"])
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
        let (packages, problems) = parse_installed(&String::from_utf8_lossy(content));
        let mut out = vec![Artifact::Packages(packages)];
        if let Some(first) = problems.first() {
            out.push(Artifact::Warning(format!(
                "{} malformed records or lines skipped (first: {first})",
                problems.len()
            )));
        }
        Ok(out)
    }
}

#[derive(Default)]
struct Record {
    line: usize,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    license: Option<String>,
    origin: Option<String>,
}

fn finish(r: Record, packages: &mut Vec<Package>, problems: &mut Vec<String>) {
    match (r.name, r.version) {
        (Some(name), Some(version)) => packages.push(Package {
            source_name: Some(r.origin.unwrap_or_else(|| name.clone())),
            source_version: Some(version.clone()),
            licenses: r.license.into_iter().collect(),
            arch: r.arch,
            ..Package::new("apk", name, version)
        }),
        (None, None) => {}
        _ => problems.push(format!("record at line {}: needs both P: and V:", r.line)),
    }
}

/// The packages of an apk `installed` database, and what could not be parsed.
pub fn parse_installed(text: &str) -> (Vec<Package>, Vec<String>) {
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    let mut cur = Record::default();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            finish(std::mem::take(&mut cur), &mut packages, &mut problems);
            continue;
        }
        if cur.line == 0 {
            cur.line = i + 1;
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            problems.push(format!("line {}: not a `X:value` line", i + 1));
            continue;
        };
        let value = Some(value.to_string());
        match key {
            "P" => cur.name = value,
            "V" => cur.version = value,
            "A" => cur.arch = value,
            "L" => cur.license = value.filter(|l| !l.is_empty()),
            "o" => cur.origin = value,
            _ => {}
        }
    }
    finish(cur, &mut packages, &mut problems);
    (packages, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALLED: &str = "C:Q1xLl0ZGjvyGiCmAm2W0LLhQtTVAk=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\n\
T:the musl c library (libc) implementation\nU:https://musl.libc.org/\nL:MIT\no:musl\n\
m:Natanael Copa <ncopa@alpinelinux.org>\nt:1698696591\nF:lib\nR:ld-musl-x86_64.so.1\na:0:0:755\n\n\
C:Q1abc=\nP:libcrypto3\nV:3.1.4-r1\nA:x86_64\nL:Apache-2.0\no:openssl\n\n";

    #[test]
    fn parses_records_with_origin_and_licence() {
        let (p, problems) = parse_installed(INSTALLED);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("musl", "1.2.4-r2")
        );
        assert_eq!(p[1].source_name.as_deref(), Some("openssl"));
        assert_eq!(p[1].licenses, vec!["Apache-2.0"]);
        assert_eq!(p[1].arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn broken_records_are_reported_and_the_rest_kept() {
        let (p, problems) = parse_installed("P:a\nV:1\n\nP:noversion\n\ngarbage line\nP:b\nV:2");
        assert_eq!(
            p.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
