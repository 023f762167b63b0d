//! npm: the `package.json` of every package installed in a `node_modules` directory.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::inventory::license;
use crate::layer::walk::EntryMeta;
use crate::report::Package;
use serde::Deserialize;
use serde_json::Value;

/// A `package.json` larger than this is not a package manifest.
const MAX_PACKAGE_JSON: u64 = 4 << 20;

/// npm's own limit on a name is 214 characters; versions are shorter still.
const MAX_FIELD: usize = 256;

/// Licences kept per package.
const MAX_LICENSES: usize = 16;

/// The longest licence text handed to the SPDX parser.
const MAX_EXPRESSION: usize = 512;

/// Reads the manifests of installed npm packages.
pub struct NpmAnalyzer;

/// Whether `dir` is a `node_modules` directory.
fn is_node_modules(dir: &str) -> bool {
    dir == "node_modules" || dir.ends_with("/node_modules")
}

/// Whether a path component can be a package directory name (not `.bin`, `.pnpm`, …).
fn is_package_dir(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.starts_with('@')
}

/// Whether `path` is the manifest of a package installed as `node_modules/<name>` or
/// `node_modules/@scope/<name>`; other `package.json` files (an application's own, or those
/// inside a package's subdirectories) describe no installed package.
fn is_installed_manifest(path: &str) -> bool {
    let Some((parent, name)) = path
        .strip_suffix("/package.json")
        .and_then(|dir| dir.rsplit_once('/'))
    else {
        return false;
    };
    if !is_package_dir(name) {
        return false;
    }
    if is_node_modules(parent) {
        return true;
    }
    let (above, scope) = parent.rsplit_once('/').unwrap_or(("", parent));
    scope.len() > 1 && scope.starts_with('@') && is_node_modules(above)
}

impl Analyzer for NpmAnalyzer {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        is_installed_manifest(&entry.path).then_some(Want::Content(MAX_PACKAGE_JSON))
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !is_file(entry) {
            return Ok(Vec::new());
        }
        if truncated {
            return Ok(vec![Artifact::Warning(format!(
                "package.json larger than {MAX_PACKAGE_JSON} bytes, not read"
            ))]);
        }
        Ok(match parse_manifest(content) {
            Ok(p) => vec![Artifact::Packages(vec![p])],
            Err(e) => vec![Artifact::Warning(e)],
        })
    }
}

/// The fields of `package.json` that matter here; any type is accepted and checked after.
#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    name: Value,
    #[serde(default)]
    version: Value,
    #[serde(default)]
    license: Value,
    #[serde(default)]
    licenses: Value,
}

/// A name or version: a string, present, bounded, one token.
fn field(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| {
        !s.is_empty()
            && s.len() <= MAX_FIELD
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// The installed package a `package.json` describes, or why it describes none.
pub fn parse_manifest(content: &[u8]) -> Result<Package, String> {
    // npm itself reads manifests written with a byte-order mark.
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let m: Manifest =
        serde_json::from_slice(content).map_err(|e| format!("package.json is not valid: {e}"))?;
    let name = field(&m.name).ok_or("package.json without a usable name, skipped")?;
    let version = field(&m.version)
        .ok_or_else(|| format!("package.json of {name} without a usable version, skipped"))?;
    Ok(Package {
        licenses: licenses(&m),
        ..Package::new("npm", name.to_string(), version.to_string())
    })
}

/// One licence as `package.json` writes it: `"MIT"` or, in old manifests, `{"type": "MIT"}`.
fn license_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("type")?.as_str()?,
        _ => return None,
    }
    .trim();
    if text.len() > MAX_EXPRESSION {
        return Some(license::license_ref(text));
    }
    license::normalize(text)
}

/// The licences of a manifest: `license`, else the legacy `licenses` array.
fn licenses(m: &Manifest) -> Vec<String> {
    if let Some(l) = license_of(&m.license) {
        return vec![l];
    }
    let mut out: Vec<String> = Vec::new();
    for l in m
        .licenses
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(license_of)
    {
        if !out.contains(&l) && out.len() < MAX_LICENSES {
            out.push(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> EntryMeta {
        EntryMeta::file(path, 0o644, 0)
    }

    #[test]
    fn only_installed_package_manifests_are_wanted() {
        for path in [
            "app/node_modules/lodash/package.json",
            "node_modules/lodash/package.json",
            "app/node_modules/@types/lodash/package.json",
            "app/node_modules/mkdirp/node_modules/minimist/package.json",
            "app/node_modules/a/node_modules/@s/b/package.json",
            "usr/lib/node_modules/npm/node_modules/semver/package.json",
            "app/node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json",
        ] {
            assert!(is_installed_manifest(path), "{path}");
        }
        for path in [
            "app/package.json",
            "package.json",
            "node_modules/package.json",
            "app/node_modules/.bin/package.json",
            "app/node_modules/.package-lock.json",
            "app/node_modules/@types/package.json",
            "app/node_modules/@/x/package.json",
            "app/node_modules/lodash/fp/package.json",
            "app/node_modules/x/test/fixtures/y/package.json",
            "app/my_node_modules/x/package.json",
            "app/node_modules/@s/b/c/package.json",
            "app/node_modules/lodash/package.json.bak",
        ] {
            assert!(!is_installed_manifest(path), "{path}");
        }
    }

    #[test]
    fn parses_name_version_and_licence() {
        let p = parse_manifest(
            br#"{"name":"@types/lodash","version":"4.14.150","license":"MIT","dependencies":{"x":"1"}}"#,
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.kind.as_str()),
            ("@types/lodash", "4.14.150", "npm")
        );
        assert_eq!(p.licenses, ["MIT"]);
    }

    #[test]
    fn malformed_manifests_are_reported() {
        for (bad, why) in [
            (&b"{\"name\": \"a\", \"version\": "[..], "not valid"),
            (b"[1, 2]", "name"),
            (b"", "not valid"),
            (b"\xff\xfe{}", "not valid"),
            (br#"{"name":"a"}"#, "version"),
            (br#"{"name":"a","version":1.2}"#, "version"),
            (br#"{"name":"a","version":""}"#, "version"),
            (br#"{"name":"a","version":"1 .0"}"#, "version"),
            (br#"{"version":"1.0.0"}"#, "name"),
            (br#"{"name":{"x":1},"version":"1.0.0"}"#, "name"),
        ] {
            let e = parse_manifest(bad).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let long = format!(
            r#"{{"name":"{}","version":"1.0.0"}}"#,
            "a".repeat(MAX_FIELD + 1)
        );
        assert!(parse_manifest(long.as_bytes()).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_manifest(deep.as_bytes()).is_err());
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let p = parse_manifest(b"\xEF\xBB\xBF{\"name\":\"a\",\"version\":\"1.0.0\"}").unwrap();
        assert_eq!(p.name, "a");
    }

    #[test]
    fn licence_forms() {
        let lic = |json: &str| parse_manifest(json.as_bytes()).unwrap().licenses;
        let base = r#""name":"a","version":"1.0.0""#;
        assert_eq!(
            lic(&format!(r#"{{{base},"license":"(MIT OR Apache-2.0)"}}"#)),
            ["(MIT OR Apache-2.0)"]
        );
        assert_eq!(
            lic(&format!(
                r#"{{{base},"license":{{"type":"ISC","url":"x"}}}}"#
            )),
            ["ISC"]
        );
        assert_eq!(
            lic(&format!(
                r#"{{{base},"licenses":[{{"type":"MIT"}},"Apache 2.0",{{"type":"MIT"}},7,{{"url":"x"}}]}}"#
            )),
            ["MIT", "Apache-2.0"]
        );
        // `license` wins over the legacy array.
        assert_eq!(
            lic(&format!(
                r#"{{{base},"license":"ISC","licenses":[{{"type":"MIT"}}]}}"#
            )),
            ["ISC"]
        );
        assert_eq!(
            lic(&format!(
                r#"{{{base},"license":"SEE LICENSE IN LICENSE.txt"}}"#
            )),
            ["LicenseRef-SEE-LICENSE-IN-LICENSE.txt"]
        );
        assert_eq!(
            lic(&format!(r#"{{{base},"license":"UNLICENSED"}}"#)),
            ["LicenseRef-UNLICENSED"]
        );
        assert!(lic(&format!(r#"{{{base},"license":["MIT"]}}"#)).is_empty());
        assert!(lic(&format!(r#"{{{base},"license":"  "}}"#)).is_empty());
        let many: Vec<String> = (0..100).map(|i| format!(r#"{{"type":"L-{i}"}}"#)).collect();
        let l = lic(&format!(r#"{{{base},"licenses":[{}]}}"#, many.join(",")));
        assert_eq!(l.len(), MAX_LICENSES);
    }

    #[test]
    fn analyzer_warns_instead_of_failing() {
        let a = NpmAnalyzer;
        let e = entry("app/node_modules/a/package.json");
        let out = a.analyze(&e, b"{oops", false).unwrap();
        assert!(matches!(out.as_slice(), [Artifact::Warning(_)]), "{out:?}");
        let out = a
            .analyze(&e, br#"{"name":"a","version":"1.0.0"}"#, true)
            .unwrap();
        assert!(matches!(out.as_slice(), [Artifact::Warning(_)]), "{out:?}");
        let out = a
            .analyze(&e, br#"{"name":"a","version":"1.0.0"}"#, false)
            .unwrap();
        assert!(
            matches!(out.as_slice(), [Artifact::Packages(p)] if p[0].name == "a"),
            "{out:?}"
        );
    }
}
