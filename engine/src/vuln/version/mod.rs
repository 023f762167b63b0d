//! Version ordering per ecosystem, for matching installed versions against OSV `ECOSYSTEM` and
//! `SEMVER` ranges.
//!
//! A [`Scheme`] is chosen from an OSV ecosystem name ([`Scheme::for_ecosystem`]) or from our
//! package `type` ([`Scheme::for_package_type`]). [`Scheme::compare`] orders two strings;
//! matching compares one installed version against a few range bounds many times over, so
//! [`Scheme::parse`] gives a [`Version`] that compares without parsing again.
//!
//! Each scheme follows its ecosystem's own tool (dpkg, apk-tools, rpm, `packaging`, Cargo and
//! node-semver, Go's `x/mod/semver`, Maven's `ComparableVersion`, `Gem::Version`, NuGet.Versioning,
//! Composer); the module of each scheme says where it differs.

mod apk;
mod composer;
mod deb;
mod gem;
mod golang;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod semver;

use std::cmp::Ordering;
use std::fmt;

/// A version ordering: one per family of ecosystems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu packages: dpkg's ordering (epoch, `~`, revision).
    Deb,
    /// Alpine, Wolfi and Chainguard packages: apk-tools' ordering.
    Apk,
    /// RPM packages (Red Hat, AlmaLinux, Rocky, SUSE, …): rpm's EVR ordering.
    Rpm,
    /// Python packages: PEP 440.
    Pep440,
    /// npm, crates.io and other SemVer 2.0 ecosystems.
    Semver,
    /// Go modules and the Go toolchain: SemVer after Go's `v` prefix.
    Go,
    /// Maven artifacts: Maven's `ComparableVersion`.
    Maven,
    /// Ruby gems: `Gem::Version`.
    Gem,
    /// NuGet packages: NuGet.Versioning (four-part SemVer, case-insensitive labels).
    NuGet,
    /// Packagist/Composer packages: Composer's normalisation, then PHP's `version_compare`.
    Composer,
}

impl Scheme {
    /// The scheme of an OSV ecosystem such as `Debian:12` or `PyPI`, or `None` if unsupported.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        // OSV qualifies distribution ecosystems with a release after ':' ("Alpine:v3.19",
        // "Red Hat:enterprise_linux:9::appstream"); only the part before it names the ordering.
        let name = ecosystem.split(':').next().unwrap_or(ecosystem).trim();
        let name = name.to_ascii_lowercase();
        let scheme = match name.as_str() {
            "debian" | "ubuntu" => Scheme::Deb,
            "alpine"
            | "wolfi"
            | "chainguard"
            | "alpaquita"
            | "bellsoft hardened containers"
            | "minimos" => Scheme::Apk,
            "red hat" | "almalinux" | "rocky linux" | "suse" | "opensuse" | "mageia"
            | "openeuler" | "photon os" | "azure linux" | "cbl-mariner" | "fedora"
            | "oracle linux" | "amazon linux" => Scheme::Rpm,
            "pypi" => Scheme::Pep440,
            "npm" | "crates.io" | "bitnami" | "kubernetes" | "hex" => Scheme::Semver,
            "go" => Scheme::Go,
            "maven" => Scheme::Maven,
            "rubygems" => Scheme::Gem,
            "nuget" => Scheme::NuGet,
            "packagist" => Scheme::Composer,
            _ => return None,
        };
        Some(scheme)
    }

    /// The scheme of one of our package types (`deb`, `apk`, `rpm`, `pypi`, `npm`, `golang`,
    /// `cargo`, `maven`, `gem`, `composer`, `nuget`), or `None` if it has none.
    pub fn for_package_type(package_type: &str) -> Option<Scheme> {
        let scheme = match package_type {
            "deb" => Scheme::Deb,
            "apk" => Scheme::Apk,
            "rpm" => Scheme::Rpm,
            "pypi" => Scheme::Pep440,
            "npm" | "cargo" => Scheme::Semver,
            "golang" => Scheme::Go,
            "maven" => Scheme::Maven,
            "gem" => Scheme::Gem,
            "composer" => Scheme::Composer,
            "nuget" => Scheme::NuGet,
            _ => return None,
        };
        Some(scheme)
    }

    /// The scheme's name as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Deb => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Pep440 => "PEP 440",
            Scheme::Semver => "SemVer",
            Scheme::Go => "Go",
            Scheme::Maven => "Maven",
            Scheme::Gem => "RubyGems",
            Scheme::NuGet => "NuGet",
            Scheme::Composer => "Composer",
        }
    }

    /// Parses `version` into a form that compares against other versions of this scheme.
    pub fn parse(self, version: &str) -> Result<Version, VersionError> {
        Ok(Version {
            scheme: self,
            text: version.to_string(),
            key: self.key(version)?,
        })
    }

    /// The comparable form of `version`.
    fn key(self, version: &str) -> Result<Key, VersionError> {
        let invalid = |reason: String| VersionError {
            scheme: self,
            version: version.to_string(),
            reason,
        };
        let key = match self {
            Scheme::Deb => Key::Deb(deb::DebVersion::parse(version).map_err(invalid)?),
            Scheme::Apk => Key::Apk(apk::ApkVersion::parse(version)),
            Scheme::Rpm => Key::Rpm(rpm::RpmVersion::parse(version).map_err(invalid)?),
            Scheme::Pep440 => Key::Pep440(pep440::Pep440Version::parse(version).map_err(invalid)?),
            Scheme::Semver => Key::Semver(semver::SemverVersion::parse(version).map_err(invalid)?),
            Scheme::Go => Key::Semver(golang::parse(version).map_err(invalid)?),
            Scheme::Maven => Key::Maven(maven::MavenVersion::parse(version).map_err(invalid)?),
            Scheme::Gem => Key::Gem(gem::GemVersion::parse(version).map_err(invalid)?),
            Scheme::NuGet => Key::NuGet(nuget::NuGetVersion::parse(version).map_err(invalid)?),
            Scheme::Composer => Key::Composer(composer::ComposerVersion::parse(version)),
        };
        Ok(key)
    }

    /// Orders `a` against `b` under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = self.parse(a)?;
        let b = self.parse(b)?;
        Ok(a.key.cmp_same(&b.key))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A version string its scheme cannot order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{scheme} version {version:?} is not valid: {reason}")]
pub struct VersionError {
    /// The scheme that rejected the version.
    pub scheme: Scheme,
    /// The version as given.
    pub version: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A version parsed under one [`Scheme`].
///
/// Versions of the same scheme are totally ordered; versions of different schemes are not
/// comparable (`partial_cmp` is `None`). Equality is the scheme's: Maven's `1.0` equals `1`.
#[derive(Debug, Clone)]
pub struct Version {
    scheme: Scheme,
    text: String,
    key: Key,
}

impl Version {
    /// The scheme this version was parsed under.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Orders this version against `other` parsed under the same scheme, or `None` when
    /// `other` does not parse: [`Scheme::parse`] and a comparison, without keeping `other`.
    pub fn cmp_to(&self, other: &str) -> Option<Ordering> {
        let key = self.scheme.key(other).ok()?;
        Some(self.key.cmp_same(&key))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        // Go and SemVer share a key type but not a meaning: keep schemes apart.
        (self.scheme == other.scheme).then(|| self.key.cmp_same(&other.key))
    }
}

/// The parsed form of each scheme.
#[derive(Debug, Clone)]
enum Key {
    Deb(deb::DebVersion),
    Apk(apk::ApkVersion),
    Rpm(rpm::RpmVersion),
    Pep440(pep440::Pep440Version),
    Semver(semver::SemverVersion),
    Maven(maven::MavenVersion),
    Gem(gem::GemVersion),
    NuGet(nuget::NuGetVersion),
    Composer(composer::ComposerVersion),
}

impl Key {
    /// Orders two keys of the same scheme; [`Version`] never pairs keys of different schemes.
    fn cmp_same(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Deb(a), Key::Deb(b)) => a.cmp(b),
            (Key::Apk(a), Key::Apk(b)) => a.cmp(b),
            (Key::Rpm(a), Key::Rpm(b)) => a.cmp(b),
            (Key::Pep440(a), Key::Pep440(b)) => a.cmp(b),
            (Key::Semver(a), Key::Semver(b)) => a.cmp(b),
            (Key::Maven(a), Key::Maven(b)) => a.cmp(b),
            (Key::Gem(a), Key::Gem(b)) => a.cmp(b),
            (Key::NuGet(a), Key::NuGet(b)) => a.cmp(b),
            (Key::Composer(a), Key::Composer(b)) => a.cmp(b),
            // Unreachable through the public API; any fixed answer keeps this total.
            _ => Ordering::Equal,
        }
    }
}

/// Orders two runs of ASCII digits by value, without overflow.
///
/// Several schemes put no bound on numeric components, so comparing digit strings (leading
/// zeros dropped, then length, then bytes) is both exact and cheap.
fn cmp_decimal(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_map_by_the_name_before_the_colon() {
        let cases = [
            ("Debian:12", Some(Scheme::Deb)),
            ("Ubuntu:Pro:22.04:LTS", Some(Scheme::Deb)),
            ("Alpine:v3.19", Some(Scheme::Apk)),
            ("Wolfi", Some(Scheme::Apk)),
            ("AlmaLinux:9", Some(Scheme::Rpm)),
            ("Rocky Linux:8", Some(Scheme::Rpm)),
            ("Red Hat:enterprise_linux:9::appstream", Some(Scheme::Rpm)),
            ("SUSE:Linux Enterprise Server 15 SP5", Some(Scheme::Rpm)),
            ("openSUSE:Leap 15.5", Some(Scheme::Rpm)),
            ("PyPI", Some(Scheme::Pep440)),
            ("pypi", Some(Scheme::Pep440)),
            ("npm", Some(Scheme::Semver)),
            ("crates.io", Some(Scheme::Semver)),
            ("Bitnami", Some(Scheme::Semver)),
            ("Kubernetes", Some(Scheme::Semver)),
            ("Go", Some(Scheme::Go)),
            ("Maven", Some(Scheme::Maven)),
            ("RubyGems", Some(Scheme::Gem)),
            ("NuGet", Some(Scheme::NuGet)),
            ("Packagist", Some(Scheme::Composer)),
            ("CRAN", None),
            ("Pub", None),
            ("Hackage", None),
            ("", None),
        ];
        for (ecosystem, want) in cases {
            assert_eq!(Scheme::for_ecosystem(ecosystem), want, "{ecosystem}");
        }
    }

    #[test]
    fn package_types_map_to_schemes() {
        for (ty, want) in [
            ("deb", Scheme::Deb),
            ("apk", Scheme::Apk),
            ("rpm", Scheme::Rpm),
            ("pypi", Scheme::Pep440),
            ("npm", Scheme::Semver),
            ("cargo", Scheme::Semver),
            ("golang", Scheme::Go),
            ("maven", Scheme::Maven),
            ("gem", Scheme::Gem),
            ("composer", Scheme::Composer),
            ("nuget", Scheme::NuGet),
        ] {
            assert_eq!(Scheme::for_package_type(ty), Some(want), "{ty}");
        }
        assert_eq!(Scheme::for_package_type("binary"), None);
    }

    #[test]
    fn parsed_versions_compare_within_a_scheme_only() {
        let a = Scheme::Semver.parse("1.2.3").unwrap();
        let b = Scheme::Semver.parse("v1.10.0").unwrap();
        assert!(a < b);
        assert_eq!(b.as_str(), "v1.10.0");
        let go = Scheme::Go.parse("v1.2.3").unwrap();
        assert_eq!(a.partial_cmp(&go), None);
        assert_ne!(a, go);
        let m1 = Scheme::Maven.parse("1.0").unwrap();
        let m2 = Scheme::Maven.parse("1").unwrap();
        assert_eq!(m1, m2);
    }

    #[test]
    fn comparing_to_text_is_comparing_to_its_parse() {
        for (scheme, a, b) in [
            (Scheme::Deb, "1:1.0-1", "1.0-1"),
            (Scheme::Pep440, "1.0", "1.0.0"),
            (Scheme::Semver, "1.2.3", "1.10.0"),
            (Scheme::Maven, "1.0", "1"),
        ] {
            let v = scheme.parse(a).unwrap();
            let w = scheme.parse(b).unwrap();
            assert_eq!(v.cmp_to(b), v.partial_cmp(&w), "{scheme} {a} {b}");
        }
        assert_eq!(Scheme::Pep440.parse("1.0").unwrap().cmp_to("x y"), None);
    }

    #[test]
    fn errors_name_the_scheme_and_the_version() {
        let err = Scheme::Pep440.compare("1.0", "not a version").unwrap_err();
        assert_eq!(err.scheme, Scheme::Pep440);
        assert_eq!(err.version, "not a version");
        assert!(
            err.to_string()
                .starts_with("PEP 440 version \"not a version\"")
        );
    }

    #[test]
    fn decimal_runs_compare_by_value() {
        assert_eq!(cmp_decimal("10", "9"), Ordering::Greater);
        assert_eq!(cmp_decimal("007", "7"), Ordering::Equal);
        assert_eq!(cmp_decimal("0", ""), Ordering::Equal);
        assert_eq!(
            cmp_decimal(
                "999999999999999999999999999991",
                "999999999999999999999999999999"
            ),
            Ordering::Less
        );
    }
}
