//! Python: installed distributions' core metadata (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
//! a single-file `*.egg-info`, `*.egg/EGG-INFO/PKG-INFO`).

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::inventory::license;
use crate::layer::walk::{EntryKind, EntryMeta};
use crate::report::Package;

/// Core metadata is a few KiB of headers; the long description after them is never read.
const MAX_METADATA: u64 = 1 << 20;

/// A name or version longer than this is not one.
const MAX_FIELD: usize = 256;

/// A `License` value longer than this (or spanning lines) is pasted licence text, not a name.
const MAX_SHORT_LICENSE: usize = 100;

/// Licences kept per package; more are metadata noise.
const MAX_LICENSES: usize = 16;

/// Reads the metadata of installed Python distributions.
pub struct PythonAnalyzer;

/// The last path component of `dir`.
fn base(dir: &str) -> &str {
    dir.rsplit('/').next().unwrap_or(dir)
}

/// Whether `name` is `<something>.<ext>`.
fn has_ext(name: &str, ext: &str) -> bool {
    name.len() > ext.len() && name.ends_with(ext)
}

/// Whether `path` holds a distribution's core metadata.
fn is_metadata(path: &str) -> bool {
    if let Some(dir) = path.strip_suffix("/METADATA") {
        return has_ext(base(dir), ".dist-info");
    }
    if let Some(dir) = path.strip_suffix("/PKG-INFO") {
        if has_ext(base(dir), ".egg-info") {
            return true;
        }
        return dir
            .strip_suffix("/EGG-INFO")
            .is_some_and(|egg| has_ext(base(egg), ".egg"));
    }
    false
}

impl Analyzer for PythonAnalyzer {
    fn name(&self) -> &'static str {
        "python"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        // Every entry at a metadata path is wanted, whatever its type, so that replacing the
        // file in an upper layer hides what a lower layer recorded there. A `.egg-info`
        // directory is not metadata itself, only its `PKG-INFO` is.
        let single_file = entry.kind != EntryKind::Dir && has_ext(base(&entry.path), ".egg-info");
        (single_file || is_metadata(&entry.path)).then_some(Want::Content(MAX_METADATA))
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
        Ok(
            match parse_metadata(&String::from_utf8_lossy(content), truncated) {
                Ok(p) => vec![Artifact::Packages(vec![p])],
                Err(e) => vec![Artifact::Warning(e)],
            },
        )
    }
}

/// The email-style header fields of core metadata, in order; the body is not parsed.
///
/// When `truncated`, the last line may be cut short and is dropped.
fn headers(text: &str, truncated: bool) -> Vec<(String, String)> {
    let text = match (truncated, text.rfind('\n')) {
        (true, Some(end)) => &text[..end],
        (true, None) => "",
        (false, _) => text,
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            // The end of the headers: what follows is the long description.
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

/// The first value of header `name` (case-insensitive, as in email).
fn first<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Whether a name or version is plausible: present, bounded, one token.
fn plausible(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_FIELD
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The distribution described by core metadata (`METADATA` or `PKG-INFO`), or why there is none.
pub fn parse_metadata(text: &str, truncated: bool) -> Result<Package, String> {
    let h = headers(text, truncated);
    let name = first(&h, "Name").unwrap_or_default();
    let version = first(&h, "Version").unwrap_or_default();
    if !plausible(name) {
        return Err("Python metadata without a usable Name, skipped".into());
    }
    if !plausible(version) {
        return Err(format!(
            "Python metadata of {name} without a usable Version, skipped"
        ));
    }
    Ok(Package {
        licenses: licenses(&h),
        ..Package::new("pypi", name.to_string(), version.to_string())
    })
}

/// A project name normalised per PEP 503: lowercase, runs of `-`, `_` and `.` as one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The longest licence text handed to the SPDX parser.
const MAX_EXPRESSION: usize = 512;

/// An SPDX expression for licence text (see [`license::normalize`]), bounded in length.
fn normalize_license(text: &str) -> Option<String> {
    if text.len() > MAX_EXPRESSION {
        return Some(license::license_ref(text));
    }
    license::normalize(text)
}

/// The licences declared by core metadata, most authoritative field first.
fn licenses(h: &[(String, String)]) -> Vec<String> {
    // PEP 639: already an SPDX expression.
    if let Some(expr) = first(h, "License-Expression").and_then(normalize_license) {
        return vec![expr];
    }
    let text = first(h, "License").filter(|t| !t.trim().is_empty());
    if let Some(id) = text
        .filter(|t| t.len() <= MAX_SHORT_LICENSE && !t.contains('\n'))
        .and_then(normalize_license)
    {
        return vec![id];
    }
    let mut out: Vec<String> = Vec::new();
    for (n, v) in h {
        if !n.eq_ignore_ascii_case("Classifier") {
            continue;
        }
        let Some(rest) = v.strip_prefix("License ::") else {
            continue;
        };
        let leaf = rest.rsplit("::").next().unwrap_or(rest).trim();
        // "License :: OSI Approved" alone names no licence.
        if leaf.is_empty() || leaf == "OSI Approved" {
            continue;
        }
        let id = classifier_license(leaf);
        if !out.contains(&id) && out.len() < MAX_LICENSES {
            out.push(id);
        }
    }
    if out.is_empty()
        && let Some(t) = text.filter(|t| !t.eq_ignore_ascii_case("UNKNOWN"))
    {
        // Pasted licence text and no classifier: its first line still says something.
        out.push(license::license_ref(t.lines().next().unwrap_or(t)));
    }
    out
}

/// Trove licence classifiers (the part after the last `::`) and their SPDX ids.
///
/// "BSD License" and "Apache Software License" leave the variant open; the one most Python
/// projects use is reported.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("MIT License", "MIT"),
    ("MIT No Attribution License (MIT-0)", "MIT-0"),
    ("BSD License", "BSD-3-Clause"),
    ("Apache Software License", "Apache-2.0"),
    ("GNU General Public License v2 (GPLv2)", "GPL-2.0-only"),
    (
        "GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    ("GNU General Public License v3 (GPLv3)", "GPL-3.0-only"),
    (
        "GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "GNU Lesser General Public License v2 (LGPLv2)",
        "LGPL-2.0-only",
    ),
    (
        "GNU Lesser General Public License v2 or later (LGPLv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "GNU Lesser General Public License v3 (LGPLv3)",
        "LGPL-3.0-only",
    ),
    (
        "GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    ("GNU Affero General Public License v3", "AGPL-3.0-only"),
    (
        "GNU Affero General Public License v3 or later (AGPLv3+)",
        "AGPL-3.0-or-later",
    ),
    ("Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("ISC License (ISCL)", "ISC"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("The Unlicense (Unlicense)", "Unlicense"),
    ("Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
    ("Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0"),
    ("Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
    ("European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2"),
    ("Universal Permissive License (UPL)", "UPL-1.0"),
    ("zlib/libpng License", "Zlib"),
    (
        "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication",
        "CC0-1.0",
    ),
    ("Historical Permission Notice and Disclaimer (HPND)", "HPND"),
];

/// The SPDX id of a trove licence classifier; others stay visible as `LicenseRef-`.
fn classifier_license(leaf: &str) -> String {
    CLASSIFIERS
        .iter()
        .find(|(name, _)| *name == leaf)
        .map_or_else(|| license::license_ref(leaf), |(_, id)| (*id).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str, kind: EntryKind) -> EntryMeta {
        EntryMeta {
            path: path.into(),
            kind,
            mode: 0o644,
            size: 0,
            link: None,
        }
    }

    #[test]
    fn wants_metadata_files_only() {
        let a = PythonAnalyzer;
        for path in [
            "usr/lib/python3/dist-packages/Jinja2-2.10.dist-info/METADATA",
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
            "usr/lib/python3/dist-packages/pycairo-1.20.1.egg-info",
            "usr/lib/python2.7/site-packages/foo-1.0-py2.7.egg/EGG-INFO/PKG-INFO",
        ] {
            assert_eq!(
                a.wants(&meta(path, EntryKind::File)),
                Some(Want::Content(MAX_METADATA)),
                "{path}"
            );
        }
        for path in [
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info/top_level.txt",
            "usr/lib/python3/dist-packages/x.dist-info/RECORD",
            "usr/lib/python3/dist-packages/.dist-info/METADATA",
            "METADATA",
            "src/foo/PKG-INFO",
            "usr/share/doc/EGG-INFO/PKG-INFO",
        ] {
            assert!(a.wants(&meta(path, EntryKind::File)).is_none(), "{path}");
        }
        assert!(
            a.wants(&meta("x/six-1.16.0.egg-info", EntryKind::Dir))
                .is_none()
        );
        // A symlink over a lower layer's METADATA still takes its place.
        assert!(
            a.wants(&meta("x/a-1.dist-info/METADATA", EntryKind::Symlink))
                .is_some()
        );
    }

    #[test]
    fn parses_headers_and_stops_at_the_body() {
        let text = "Metadata-Version: 2.1\r\nName: Jinja2\r\nVersion: 2.10\r\n\r\nLicense: MIT\r\nClassifier: License :: OSI Approved :: MIT License\r\n";
        let p = parse_metadata(text, false).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("Jinja2", "2.10"));
        assert_eq!(p.kind, "pypi");
        // Header-like lines in the description are not headers.
        assert!(p.licenses.is_empty(), "{:?}", p.licenses);
        let p = parse_metadata("Name: a\nVersion: 1\nLicense: MIT\n\n", false).unwrap();
        assert_eq!(p.licenses, ["MIT"]);
    }

    #[test]
    fn whitespace_only_lines_continue_a_header() {
        // Metadata 1.x keeps the description in a header, with indented "blank" lines.
        let text = "Name: pycairo\nDescription: one\n        \n        two\nVersion: 1.20.1\nLicense: LGPL-2.1-only OR MPL-1.1\n";
        let p = parse_metadata(text, false).unwrap();
        assert_eq!(p.version, "1.20.1");
        assert_eq!(p.licenses, ["LGPL-2.1-only OR MPL-1.1"]);
    }

    #[test]
    fn missing_or_odd_name_and_version_are_reported() {
        assert!(
            parse_metadata("Name: a\n\nVersion: 1\n", false)
                .unwrap_err()
                .contains("Version")
        );
        assert!(
            parse_metadata("Version: 1\n", false)
                .unwrap_err()
                .contains("Name")
        );
        assert!(parse_metadata("Name: a b\nVersion: 1\n", false).is_err());
        let long = format!("Name: a\nVersion: {}\n", "1".repeat(MAX_FIELD + 1));
        assert!(parse_metadata(&long, false).is_err());
        assert!(parse_metadata("", false).is_err());
        assert!(parse_metadata("\u{0}\u{ff}garbage", false).is_err());
    }

    #[test]
    fn huge_metadata_truncated_keeps_its_headers() {
        let mut text = "Name: big\nVersion: 1.0\nLicense: MIT\n\n".to_string();
        text.push_str(&"x".repeat(2 << 20));
        let cut = &text[..MAX_METADATA as usize];
        let p = parse_metadata(cut, true).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("big", "1.0"));
        assert_eq!(p.licenses, ["MIT"]);
    }

    #[test]
    fn truncation_inside_the_headers_drops_the_partial_line() {
        let p = parse_metadata("Name: cut\nVersion: 1.0\nLicense: Apache Soft", true).unwrap();
        assert_eq!(p.version, "1.0");
        assert!(p.licenses.is_empty(), "{:?}", p.licenses);
        // A version cut short is not reported as a shorter version.
        assert!(parse_metadata("Name: cut\nVersion: 1.0", true).is_err());
    }

    #[test]
    fn analyzer_warns_instead_of_failing() {
        let a = PythonAnalyzer;
        let entry = meta("x/a-1.dist-info/METADATA", EntryKind::File);
        let out = a.analyze(&entry, b"Summary: nothing\n", false).unwrap();
        assert!(matches!(out.as_slice(), [Artifact::Warning(_)]), "{out:?}");
        let out = a.analyze(&entry, b"Name: a\nVersion: 1\n", false).unwrap();
        assert!(
            matches!(out.as_slice(), [Artifact::Packages(p)] if p.len() == 1),
            "{out:?}"
        );
    }

    #[test]
    fn license_sources_in_order_of_authority() {
        let lic = |text: &str| parse_metadata(text, false).unwrap().licenses;
        let base = "Name: a\nVersion: 1\n";
        assert_eq!(
            lic(&format!(
                "{base}License-Expression: MIT OR Apache-2.0\nLicense: GPL\nClassifier: License :: OSI Approved :: BSD License\n"
            )),
            ["MIT OR Apache-2.0"]
        );
        assert_eq!(
            lic(&format!(
                "{base}License: Apache 2.0\nClassifier: License :: OSI Approved :: MIT License\n"
            )),
            ["Apache-2.0"]
        );
        assert_eq!(
            lic(&format!(
                "{base}License: UNKNOWN\nClassifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved :: BSD License\nClassifier: License :: OSI Approved :: BSD License\nClassifier: Programming Language :: Python\n"
            )),
            ["Apache-2.0", "BSD-3-Clause"]
        );
        // Pasted licence text is not a licence name: the classifiers say more.
        assert_eq!(
            lic(&format!(
                "{base}License: Copyright (c) 2020 Someone\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\n"
            )),
            ["GPL-2.0-or-later"]
        );
        // ... but is still shown when nothing else is there.
        assert_eq!(
            lic(&format!(
                "{base}License: Copyright (c) 2020 Someone\n        Permission is hereby granted\n"
            )),
            ["LicenseRef-Copyright-c-2020-Someone"]
        );
        assert_eq!(
            lic(&format!("{base}License: Expat (MIT/X11)\n")),
            ["LicenseRef-Expat-MIT-X11"]
        );
        assert_eq!(
            lic(&format!(
                "{base}Classifier: License :: OSI Approved\nClassifier: License :: Other/Proprietary License\n"
            )),
            ["LicenseRef-Other-Proprietary-License"]
        );
        assert!(lic(base).is_empty());
    }

    #[test]
    fn classifiers_map_to_spdx() {
        for (leaf, id) in CLASSIFIERS {
            assert!(spdx::license_id(id).is_some(), "{id}");
            assert_eq!(classifier_license(leaf), *id);
        }
        assert_eq!(
            classifier_license("GNU General Public License (GPL)"),
            "LicenseRef-GNU-General-Public-License-GPL"
        );
    }

    #[test]
    fn huge_license_expression_is_bounded() {
        let text = format!(
            "Name: a\nVersion: 1\nLicense-Expression: {}\n",
            vec!["MIT"; 100_000].join(" OR ")
        );
        let l = parse_metadata(&text, false).unwrap().licenses;
        assert_eq!(l.len(), 1);
        assert!(l[0].starts_with("LicenseRef-") && l[0].len() < 100, "{l:?}");
    }

    #[test]
    fn pep503_names() {
        assert_eq!(normalize_name("Jinja2"), "jinja2");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("Foo__Bar-._baz"), "foo-bar-baz");
        assert_eq!(normalize_name("charset_normalizer"), "charset-normalizer");
        assert_eq!(normalize_name("PyYAML"), "pyyaml");
    }
}
