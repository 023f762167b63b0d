//! RPM EVR ordering: `[epoch:]version[-release]` as rpm 4.18's `rpm.vercmp` orders it.
//!
//! Segment comparison (`rpmvercmp`: digits vs letters, `~` before everything, `^` after the
//! end but before anything else) is the `rpm-version` crate's. The split into epoch, version
//! and release is rpm's own `parseEVR`, which the crate does not follow: an epoch is only a
//! leading run of digits before `:` (`a:1` and `1.m+e2:1` have none), the release starts after
//! the *last* `-`, and a version without a release is older than the same version with any
//! release (`1 < 1-` and `1 < 1-~`).

use rpm_version::Evr;
use std::cmp::Ordering;

/// A version split the way rpm splits it.
#[derive(Debug, Clone)]
pub(super) struct RpmVersion {
    epoch: String,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    /// Splits `text` into epoch, version and release like rpm's `parseEVR`.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        // rpm refuses only the empty string ("invalid version").
        if text.is_empty() {
            return Err("empty version".to_string());
        }
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        // `digits` counts ASCII bytes, so it is a character boundary.
        let (leading, after) = text.split_at(digits);
        let (epoch, rest) = match after.strip_prefix(':') {
            Some(rest) => (leading, rest),
            None => ("", text),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release.to_string())),
            None => (rest, None),
        };
        Ok(RpmVersion {
            // rpm treats both a missing and an empty epoch as 0.
            epoch: if epoch.is_empty() { "0" } else { epoch }.to_string(),
            version: version.to_string(),
            release,
        })
    }
}

/// `rpmvercmp` on one field, through the crate (which compares the version field first).
fn vercmp(a: &str, b: &str) -> Ordering {
    Evr::new("0", a, "").cmp(&Evr::new("0", b, ""))
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        vercmp(&self.epoch, &other.epoch)
            .then_with(|| vercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => vercmp(a, b),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        RpmVersion::parse(a)
            .unwrap()
            .cmp(&RpmVersion::parse(b).unwrap())
    }

    #[test]
    fn orders_like_rpm_vercmp() {
        use Ordering::*;
        // Each expectation was checked against `rpm.vercmp` of rpm 4.18.
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p10", Less),
            ("xyz.4", "8", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.01", Less),
            ("1.0^git1~pre", "1.0^git1", Less),
            ("10.0001", "10.1", Equal),
            ("2_0", "2.0", Equal),
            ("1:1.0", "2.0", Greater),
            ("01:2", "1:2", Equal),
            (":1", "1", Equal),
            ("1:", "1", Greater),
            ("0:1~1", "1:2", Less),
            ("a:1", "b:1", Less),
            ("1.m+e2:1", "4.m+e1:1", Less),
            ("1", "1-1", Less),
            ("1", "1-", Less),
            ("1", "1-~", Less),
            ("1-", "1-0", Less),
            ("1-1", "1-1-1", Less),
            ("a-b-c", "a-b", Greater),
            ("-1", "1", Less),
            ("1-1.", "1-1", Equal),
            ("0:3.10.0-229.el7", "0:3.10.0-229.1.2.ael7b", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn splits_like_parse_evr() {
        let v = RpmVersion::parse("2:1.0-1-3.el9").unwrap();
        assert_eq!(
            (v.epoch.as_str(), v.version.as_str(), v.release.as_deref()),
            ("2", "1.0-1", Some("3.el9"))
        );
        let v = RpmVersion::parse("x1:2").unwrap();
        assert_eq!((v.epoch.as_str(), v.version.as_str()), ("0", "x1:2"));
    }

    #[test]
    fn only_the_empty_string_is_invalid() {
        assert!(RpmVersion::parse("").is_err());
        assert!(RpmVersion::parse("-").is_ok());
    }
}
