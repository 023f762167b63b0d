//! dpkg version ordering (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`, with `~`
//! sorting before everything, even the end of the string.
//!
//! The ordering itself is the `debversion` crate's; this module only decides what counts as a
//! version. Besides what dpkg refuses (an empty or non-numeric epoch, nothing after it, an
//! empty revision), the characters dpkg merely warns about (an upstream version not starting
//! with a digit, `_` and other punctuation) are refused too, so that a garbled string fails
//! loudly instead of sorting somewhere arbitrary.

use std::cmp::Ordering;

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub(super) struct DebVersion(debversion::Version);

impl DebVersion {
    /// Parses `[epoch:]upstream[-revision]`.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        // dpkg reads everything before the first ':' as the epoch; the crate would instead
        // take a malformed epoch as part of the upstream version.
        if let Some((epoch, rest)) = text.split_once(':') {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err("the epoch is not a number".to_string());
            }
            if rest.is_empty() {
                return Err("nothing after the epoch".to_string());
            }
        }
        if text.ends_with('-') {
            return Err("the revision is empty".to_string());
        }
        let version: debversion::Version = text.parse().map_err(|e| format!("{e}"))?;
        if !version
            .upstream_version
            .starts_with(|c: char| c.is_ascii_digit())
        {
            return Err("the upstream version must start with a digit".to_string());
        }
        Ok(DebVersion(version))
    }
}

impl PartialEq for DebVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebVersion {}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        DebVersion::parse(a)
            .unwrap()
            .cmp(&DebVersion::parse(b).unwrap())
    }

    #[test]
    fn orders_like_dpkg() {
        use Ordering::*;
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "1.1", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0-1", "1.0-1~deb12u1", Greater),
            ("1.2.3-1~deb7u1", "1.2.3-1", Less),
            ("1:0.1", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            ("1.0-0", "1.0", Equal),
            ("1.0a", "1.0+", Less),
            ("1.0.9", "1.0.10", Less),
            (
                "2.7.4+reloaded2-13ubuntu1",
                "2.7.4+reloaded2-13+deb9u1",
                Less,
            ),
            ("3.0.11-1~deb12u2", "3.0.11-1~deb12u1", Greater),
            ("1.0-1.1", "1.0-1", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn the_revision_is_after_the_last_hyphen() {
        let v = DebVersion::parse("1.2-3-4").unwrap();
        assert_eq!(v.0.upstream_version, "1.2-3");
        assert_eq!(v.0.debian_revision.as_deref(), Some("4"));
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "", "abc", "1.0 beta", "x:1.0", ":1.0", "1:", "1.0-", "1.0_1", "é1",
        ] {
            assert!(DebVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
