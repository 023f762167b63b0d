//! Go module ordering (`golang.org/x/mod/semver`): SemVer precedence once Go's conventions are
//! read away.
//!
//! Go writes `v1.2.3` where OSV writes `1.2.3`; both are accepted. `+incompatible` is build
//! metadata and so does not order. Pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//! `v1.2.4-0.20191109021931-daa7c04131f5`) are pre-releases whose SemVer precedence is exactly
//! Go's ordering: before the release they lead up to, by commit time.

use super::semver::SemverVersion;

/// Parses a Go module version into the SemVer key shared with [`super::Scheme::Semver`].
pub(super) fn parse(text: &str) -> Result<SemverVersion, String> {
    SemverVersion::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().cmp(&parse(b).unwrap())
    }

    #[test]
    fn orders_pseudo_versions_and_incompatible_modules() {
        let ladder = [
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20210405180319-a5a99cb37ef4",
            "v0.1.0",
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4-pre",
            "1.2.4",
            "v2.0.0+incompatible",
            "v2.1.0",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(cmp("v2.0.0+incompatible", "2.0.0"), Ordering::Equal);
        assert_eq!(cmp("v1.19.8", "1.19.8"), Ordering::Equal);
    }

    #[test]
    fn rejects_non_semver() {
        assert!(parse("v1.2.3.4").is_err());
        assert!(parse("devel").is_err());
    }
}
