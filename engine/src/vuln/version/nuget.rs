//! NuGet ordering, as NuGet.Versioning's `VersionComparer.Default`.
//!
//! A version is `major[.minor[.patch[.revision]]][-label.label…][+metadata]`: missing parts are
//! zero (`1.0 = 1.0.0.0`), leading zeros are allowed (`1.0.01 = 1.0.1`), metadata is ignored,
//! and a pre-release sorts before its release. Labels compare as in SemVer 2 — numeric labels
//! by value and before alphanumeric ones, fewer labels first — except that letters compare
//! case-insensitively (`1.0.0-BETA = 1.0.0-beta`). Numbers of any size compare by value, where
//! NuGet stops at `int`.

use std::cmp::Ordering;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub(super) struct NuGetVersion {
    /// Major, minor, patch and revision, as digit runs.
    numbers: [String; 4],
    /// Pre-release labels; empty for a release.
    labels: Vec<String>,
}

impl NuGetVersion {
    /// Parses a NuGet version string.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (version, metadata) = match text.split_once('+') {
            Some((version, metadata)) => (version, Some(metadata)),
            None => (text, None),
        };
        let (release, labels) = match version.split_once('-') {
            Some((release, labels)) => (release, Some(labels)),
            None => (version, None),
        };
        let parts: Vec<&str> = release.split('.').collect();
        if parts.len() > 4 {
            return Err("more than four numeric parts".to_string());
        }
        let mut numbers: [String; 4] = Default::default();
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{part:?} is not a number"));
            }
            *slot = part.to_string();
        }
        let labels = match labels {
            Some(labels) => split_labels(labels)?,
            None => Vec::new(),
        };
        if let Some(metadata) = metadata {
            split_labels(metadata)?;
        }
        Ok(NuGetVersion { numbers, labels })
    }
}

/// Dot-separated labels of ASCII letters, digits and `-`, none empty.
fn split_labels(text: &str) -> Result<Vec<String>, String> {
    text.split('.')
        .map(|label| {
            let ok = !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if ok {
                Ok(label.to_string())
            } else {
                Err(format!("{label:?} is not a valid label"))
            }
        })
        .collect()
}

/// `CompareRelease`: numbers by value before words; words ignoring ASCII case.
fn cmp_label(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => super::cmp_decimal(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        // OrdinalIgnoreCase compares upper-cased characters.
        (false, false) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let numbers = self
            .numbers
            .iter()
            .zip(&other.numbers)
            .map(|(a, b)| super::cmp_decimal(a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal);
        if numbers.is_ne() {
            return numbers;
        }
        match (self.labels.is_empty(), other.labels.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self
                .labels
                .iter()
                .zip(&other.labels)
                .map(|(a, b)| cmp_label(a, b))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| self.labels.len().cmp(&other.labels.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        NuGetVersion::parse(a)
            .unwrap()
            .cmp(&NuGetVersion::parse(b).unwrap())
    }

    #[test]
    fn orders_like_nuget() {
        let ladder = [
            "0.9.9.1",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-Alpha.beta",
            "1.0.0-BETA",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-beta2",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1-alpha",
            "1.0.0.1",
            "1.0.1",
            "1.999.9999",
            "2.1.1",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn equal_spellings() {
        for (a, b) in [
            ("1.0", "1.0.0.0"),
            ("1.0.01", "1.0.1.0"),
            ("1.0.0-BETA+AA", "1.0.0-beta+aa"),
            ("1.0.0", "1.0.0+beta"),
            ("1", "1.0.0"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn rejects_non_versions() {
        for bad in [
            "",
            "1.0.0.0.0",
            "1..0",
            "1.0-",
            "1.0-beta..1",
            "v1.0",
            "1.0-béta",
            "a",
        ] {
            assert!(NuGetVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
