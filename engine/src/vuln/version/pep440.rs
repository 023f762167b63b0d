//! PEP 440 ordering for Python packages, by the `pep440_rs` crate.
//!
//! Normalisation is PEP 440's: `1.0-1` is `1.0.post1`, `1.0c1` is `1.0rc1`, `1.0.DEV2` is
//! `1.0.dev2`, a leading `v` and surrounding whitespace are dropped. Local versions sort after
//! the public version they extend (`1.0+local > 1.0`). Pre-PEP 440 "legacy" versions
//! (`0.1-bulbasaur`), which `packaging` stopped accepting in 22.0, are errors.

use std::cmp::Ordering;
use std::str::FromStr;

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub(super) struct Pep440Version(pep440_rs::Version);

impl Pep440Version {
    /// Parses a PEP 440 version, normalising its spelling.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        pep440_rs::Version::from_str(text.trim())
            .map(Pep440Version)
            .map_err(|e| e.to_string())
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Pep440Version::parse(a)
            .unwrap()
            .cmp(&Pep440Version::parse(b).unwrap())
    }

    #[test]
    fn orders_per_pep_440() {
        let ladder = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.1.dev1",
            "1!0.1",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn normalises_spellings() {
        for (a, b) in [
            ("1.0-1", "1.0.post1"),
            ("1.0c1", "1.0rc1"),
            ("1.0.PREVIEW2", "1.0rc2"),
            ("1.0.DEV2", "1.0.dev2"),
            ("v1.0", "1.0"),
            (" 1.0 ", "1.0"),
            ("1.0", "1.0.0"),
            ("1.0-r", "1.0.post0"),
            ("0!1.0", "1.0"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn rejects_legacy_versions() {
        for bad in ["0.1-bulbasaur", "1.0-foo", "", "1..0", "latest"] {
            assert!(Pep440Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
