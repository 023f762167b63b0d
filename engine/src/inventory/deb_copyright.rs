//! Debian package licences, from `/usr/share/doc/<package>/copyright`: the `License:` fields
//! of machine-readable (DEP-5) files, or the `/usr/share/common-licenses/` references of
//! free-form ones. dpkg's database records no licence, so this is where Debian keeps it.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::inventory::license;
use crate::layer::walk::EntryMeta;

/// Copyright files are read up to this size; licence fields come early.
const MAX_COPYRIGHT: u64 = 1 << 20;

/// Reads Debian copyright files.
pub struct DebCopyrightAnalyzer;

/// The package a copyright path belongs to.
pub fn package_of(path: &str) -> Option<&str> {
    let name = path
        .strip_prefix("usr/share/doc/")?
        .strip_suffix("/copyright")?;
    (!name.contains('/')).then_some(name)
}

impl Analyzer for DebCopyrightAnalyzer {
    fn name(&self) -> &'static str {
        "deb-copyright"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        package_of(&entry.path).map(|_| Want::Content(MAX_COPYRIGHT))
    }

    fn may_want_below(&self, dir: &str) -> bool {
        crate::analyze::below_any(dir, &["usr/share/doc/x/copyright"])
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !is_file(entry) {
            return Ok(Vec::new());
        }
        let licenses = parse(&String::from_utf8_lossy(content));
        Ok(if licenses.is_empty() {
            Vec::new()
        } else {
            vec![Artifact::Licenses(licenses)]
        })
    }
}

/// The distinct licences of a copyright file, as SPDX expressions, in order of appearance.
pub fn parse(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |l: Option<String>| {
        if let Some(l) = l
            && !out.contains(&l)
        {
            out.push(l);
        }
    };
    let dep5 = text
        .lines()
        .next()
        .is_some_and(|l| l.starts_with("Format:") && l.contains("copyright-format"));
    if dep5 {
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("License:") {
                push(to_spdx(v.trim()));
            }
        }
    } else {
        for (i, _) in text.match_indices("/usr/share/common-licenses/") {
            let rest = &text[i + "/usr/share/common-licenses/".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+'))
                .collect();
            push(to_spdx(name.trim_end_matches('.')));
        }
    }
    out
}

/// A Debian licence short name or expression (`GPL-2+`, `LGPL-3+ or GPL-2+`, `Expat`) as SPDX.
pub fn to_spdx(debian: &str) -> Option<String> {
    if debian.is_empty() {
        return None;
    }
    // `A or B`, `A and B`, `A, and B`; exceptions only add permissions, so the base licence stands.
    let lower = debian.to_ascii_lowercase();
    let base = match lower.find(" with ") {
        Some(i) => &debian[..i],
        None => debian,
    };
    let mut parts = Vec::new();
    for token in base.split_whitespace() {
        let t = token.trim_end_matches(',');
        match t.to_ascii_lowercase().as_str() {
            "or" => parts.push("OR".to_string()),
            "and" => parts.push("AND".to_string()),
            "" => {}
            _ => parts.push(short_name(t)),
        }
    }
    let expression = parts.join(" ");
    license::normalize(&expression)
}

fn short_name(t: &str) -> String {
    let (name, plus) = match t.strip_suffix('+') {
        Some(n) => (n, true),
        None => (t, false),
    };
    let lower = name
        .to_ascii_lowercase()
        .replace("v", "-")
        .replace("--", "-");
    let versioned = |family: &str, v: &str| {
        let v = if v.contains('.') {
            v.to_string()
        } else {
            format!("{v}.0")
        };
        format!("{family}-{v}-{}", if plus { "or-later" } else { "only" })
    };
    for family in ["lgpl", "gpl", "agpl", "gfdl"] {
        if let Some(v) = lower.strip_prefix(&format!("{family}-"))
            && v.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !v.is_empty()
        {
            return versioned(&family.to_ascii_uppercase(), v);
        }
    }
    let mapped = match lower.as_str() {
        "expat" | "mit/x11" => "MIT",
        "bsd-2-clause" => "BSD-2-Clause",
        "bsd-3-clause" => "BSD-3-Clause",
        "bsd-4-clause" => "BSD-4-Clause",
        "apache-2" | "apache-2.0" => "Apache-2.0",
        "artistic" => "Artistic-1.0-Perl",
        "artistic-2" | "artistic-2.0" => "Artistic-2.0",
        "zlib" => "Zlib",
        "isc" => "ISC",
        "x11" => "X11",
        "mpl-2.0" | "mpl-2" => "MPL-2.0",
        "cc0-1.0" | "cc0" => "CC0-1.0",
        "public-domain" | "pd" => "LicenseRef-public-domain",
        _ => {
            // Keep the expression valid: a real SPDX id as is, anything else as a LicenseRef.
            return match spdx::license_id(name) {
                Some(id) if !plus => id.name.to_string(),
                Some(id) => format!("{}+", id.name),
                None => license::license_ref(t),
            };
        }
    };
    mapped.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_names_to_spdx() {
        assert_eq!(to_spdx("GPL-2+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(to_spdx("GPL-2").as_deref(), Some("GPL-2.0-only"));
        assert_eq!(to_spdx("GPLv3+").as_deref(), Some("GPL-3.0-or-later"));
        assert_eq!(to_spdx("LGPL-2.1+").as_deref(), Some("LGPL-2.1-or-later"));
        assert_eq!(
            to_spdx("LGPL-3+ or GPL-2+").as_deref(),
            Some("LGPL-3.0-or-later OR GPL-2.0-or-later")
        );
        assert_eq!(
            to_spdx("GPL-1+ or Artistic").as_deref(),
            Some("GPL-1.0-or-later OR Artistic-1.0-Perl")
        );
        assert_eq!(to_spdx("Expat").as_deref(), Some("MIT"));
        assert_eq!(
            to_spdx("GPL-3+ with Bison exception").as_deref(),
            Some("GPL-3.0-or-later")
        );
        assert_eq!(to_spdx("BSD-3-clause").as_deref(), Some("BSD-3-Clause"));
        assert_eq!(
            to_spdx("public-domain").as_deref(),
            Some("LicenseRef-public-domain")
        );
        assert!(
            to_spdx("Kazlib").unwrap().starts_with("LicenseRef-")
                || to_spdx("Kazlib").as_deref() == Some("Kazlib")
        );
    }

    #[test]
    fn dep5_and_free_form_files() {
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-3+\n\nFiles: lib/*\nLicense: Expat\n Permission is hereby granted\n\nLicense: GPL-3+\n text\n";
        assert_eq!(parse(dep5), vec!["GPL-3.0-or-later", "MIT"]);
        let free = "This is free software; see /usr/share/common-licenses/GPL-2.\nAlso /usr/share/common-licenses/LGPL-2.1 applies.";
        assert_eq!(parse(free), vec!["GPL-2.0-only", "LGPL-2.1-only"]);
        assert_eq!(package_of("usr/share/doc/bash/copyright"), Some("bash"));
        assert_eq!(package_of("usr/share/doc/bash/x/copyright"), None);
    }
}
