//! SemVer 2.0 ordering (npm, crates.io, Bitnami, Kubernetes), by the `semver` crate.
//!
//! Precedence is SemVer's: build metadata is ignored (`1.2.3+a = 1.2.3+b`), unlike the crate's
//! own `Ord`. Accepted beyond strict SemVer, as node-semver and OSV data need: a leading `v`,
//! surrounding whitespace, and a shortened core that is padded with zeros (`0` — OSV's usual
//! `introduced` — is `0.0.0`; `1.2-rc.1` is `1.2.0-rc.1`).

use std::cmp::Ordering;

/// A parsed SemVer version, ordered by precedence.
#[derive(Debug, Clone)]
pub(super) struct SemverVersion(::semver::Version);

impl SemverVersion {
    /// Parses a SemVer version, allowing a `v` prefix and a shortened core.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let core_end = text.find(['-', '+']).unwrap_or(text.len());
        let (core, suffix) = text.split_at(core_end);
        let padding = match core.split('.').count() {
            1 => ".0.0",
            2 => ".0",
            _ => "",
        };
        let full = format!("{core}{padding}{suffix}");
        ::semver::Version::parse(&full)
            .map(SemverVersion)
            .map_err(|e| e.to_string())
    }
}

impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemverVersion {}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        SemverVersion::parse(a)
            .unwrap()
            .cmp(&SemverVersion::parse(b).unwrap())
    }

    #[test]
    fn orders_by_precedence() {
        let ladder = [
            "0.0.0",
            "1.0.0-0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "2.0.0",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn ignores_build_metadata_and_prefixes() {
        for (a, b) in [
            ("1.2.3+build", "1.2.3+other"),
            ("v1.2.3", "1.2.3"),
            (" 1.2.3 ", "1.2.3"),
            ("0", "0.0.0"),
            ("1.2", "1.2.0"),
            ("1.2-rc.1", "1.2.0-rc.1"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
        }
        // Case matters in pre-release identifiers: ASCII order puts upper case first.
        assert_eq!(cmp("1.2.3-R2", "1.2.3-r100"), Ordering::Less);
    }

    #[test]
    fn rejects_non_semver() {
        for bad in [
            "",
            "=1.2.3",
            "v 1.2.3",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-01",
            "latest",
            "1.x",
            "99999999999999999999.0.0",
        ] {
            assert!(SemverVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
