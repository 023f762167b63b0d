//! Package URLs (purl spec) for every ecosystem.

use crate::report::{Os, Package};
use packageurl::PackageUrl;

/// The purl of `p`, with the distribution as a qualifier for OS packages.
pub fn of(p: &Package, os: Option<&Os>) -> Option<String> {
    let (ty, namespace, name) = match p.kind.as_str() {
        "deb" | "apk" | "rpm" => (
            p.kind.as_str(),
            os.map(|o| o.family.clone()),
            p.name.clone(),
        ),
        "npm" => match p.name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, name)) => ("npm", Some(format!("@{scope}")), name.to_string()),
            None => ("npm", None, p.name.clone()),
        },
        "maven" => match p.name.split_once(':') {
            Some((group, artifact)) => ("maven", Some(group.to_string()), artifact.to_string()),
            None => ("maven", None, p.name.clone()),
        },
        "golang" | "composer" => match p.name.rsplit_once('/') {
            Some((ns, name)) => (p.kind.as_str(), Some(ns.to_string()), name.to_string()),
            None => (p.kind.as_str(), None, p.name.clone()),
        },
        "pypi" => ("pypi", None, p.name.to_ascii_lowercase().replace('_', "-")),
        other => (other, None, p.name.clone()),
    };
    let mut purl = PackageUrl::new(ty, name).ok()?;
    if let Some(ns) = namespace {
        purl.with_namespace(ns).ok()?;
    }
    // The rpm purl type carries the epoch as a qualifier, not in the version.
    let (version, epoch) = match (ty, p.version.split_once(':')) {
        ("rpm", Some((e, v))) if e.bytes().all(|b| b.is_ascii_digit()) => {
            (v.to_string(), Some(e.to_string()))
        }
        _ => (p.version.clone(), None),
    };
    purl.with_version(version).ok()?;
    if let Some(e) = epoch {
        purl.add_qualifier("epoch", e).ok()?;
    }
    if let Some(arch) = &p.arch {
        purl.add_qualifier("arch", arch.clone()).ok()?;
    }
    if matches!(ty, "deb" | "apk" | "rpm")
        && let Some(os) = os
    {
        let distro = match &os.version {
            Some(v) => format!("{}-{v}", os.family),
            None => os.family.clone(),
        };
        purl.add_qualifier("distro", distro).ok()?;
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(kind: &str, name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            kind: kind.into(),
            purl: None,
            licenses: vec![],
            source_name: None,
            source_version: None,
            arch: None,
            layer: None,
            path: None,
        }
    }

    #[test]
    fn purls() {
        let os = Os {
            family: "debian".into(),
            version: Some("12".into()),
            codename: None,
            name: None,
        };
        let mut deb = pkg("deb", "libssl3", "3.0.11-1~deb12u2");
        deb.arch = Some("amd64".into());
        assert_eq!(
            of(&deb, Some(&os)).unwrap(),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            of(&pkg("npm", "@babel/core", "7.0.0"), None).unwrap(),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            of(&pkg("golang", "golang.org/x/net", "v0.1.0"), None).unwrap(),
            "pkg:golang/golang.org/x/net@v0.1.0"
        );
        assert_eq!(
            of(
                &pkg("maven", "org.apache.commons:commons-lang3", "3.12.0"),
                None
            )
            .unwrap(),
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0"
        );
        assert_eq!(
            of(&pkg("pypi", "Jinja2", "2.10"), None).unwrap(),
            "pkg:pypi/jinja2@2.10"
        );
    }
}
