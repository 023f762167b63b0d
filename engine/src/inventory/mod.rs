//! The package inventory: per-ecosystem analyzers (one file each) and the merge that turns
//! their per-layer records into the image's installed packages.

pub mod apk;
pub mod composer;
pub mod deb_copyright;
pub mod dotnet;
pub mod dpkg;
pub mod gem;
pub mod gobin;
pub mod java;
pub mod license;
pub mod npm;
pub mod purl;
pub mod python;
pub mod rpm;
pub mod rustbin;
pub mod stanza;

use crate::analyze::Artifact;
use crate::analyze::LayerAnalysis;
use crate::image::LayerRef;
use crate::merge::ViewEntry;
use crate::report::{Os, Package};
use std::collections::BTreeMap;

/// The installed packages of the final view, each attributed to the layer that added it.
///
/// A package's layer is the lowest layer from which the same name and version were present
/// at the same path without interruption (a rebuilt `status` file does not move old packages).
pub fn packages(
    view: &BTreeMap<&str, ViewEntry<'_>>,
    layers: &[LayerAnalysis],
    refs: &[LayerRef],
    os: Option<&Os>,
) -> Vec<Package> {
    let deb_licenses: BTreeMap<&str, &Vec<String>> = view
        .iter()
        .filter_map(|(path, e)| {
            let name = deb_copyright::package_of(path)?;
            e.result.artifacts.iter().find_map(|a| match a {
                Artifact::Licenses(l) => Some((name, l)),
                _ => None,
            })
        })
        .collect();
    let mut out = Vec::new();
    for (path, entry) in view {
        for package in records(&entry.result.artifacts) {
            let mut first = entry.layer;
            while first > 0 && present_at(&layers[first - 1], path, package) {
                first -= 1;
            }
            let mut p = package.clone();
            p.layer = refs.get(first).map(|l| l.diff_id.clone());
            if p.path.is_none() {
                p.path = Some(format!("/{path}"));
            }
            if p.kind == "deb"
                && p.licenses.is_empty()
                && let Some(l) = deb_licenses.get(p.name.as_str())
            {
                p.licenses = (*l).clone();
            }
            p.purl = purl::of(&p, os);
            p.licenses = p
                .licenses
                .iter()
                .filter_map(|l| license::normalize(l))
                .collect();
            out.push(p);
        }
    }
    // An OS package listed by two databases (rpm's `Packages` left behind next to the
    // `rpmdb.sqlite` that `rpm --rebuilddb` wrote) is one installed package.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| {
        !matches!(p.kind.as_str(), "deb" | "apk" | "rpm")
            || seen.insert((
                p.kind.clone(),
                p.name.clone(),
                p.version.clone(),
                p.arch.clone(),
            ))
    });
    out.sort_by(|a, b| {
        (&a.kind, &a.name, &a.version, &a.path).cmp(&(&b.kind, &b.name, &b.version, &b.path))
    });
    out
}

fn records(artifacts: &[Artifact]) -> impl Iterator<Item = &Package> {
    artifacts.iter().flat_map(|a| match a {
        Artifact::Packages(p) => p.as_slice(),
        _ => &[],
    })
}

fn present_at(layer: &LayerAnalysis, path: &str, package: &Package) -> bool {
    layer
        .results
        .iter()
        .filter(|r| r.path == path)
        .flat_map(|r| records(&r.artifacts))
        .any(|p| p.name == package.name && p.version == package.version && p.kind == package.kind)
}
