//! OCI image layout (a directory, or an OCI archive: the same layout in a tar).

use crate::error::{Error, Result};
use crate::source::{BlobReader, BlobSource, DirFiles, Files, Root, TarIndex, read_capped};
use oci_spec::image::{Descriptor, ImageIndex};
use std::path::Path;

/// Annotation holding a manifest's tag (or full reference) in `index.json`.
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Annotation containerd and skopeo add with the full image name.
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// An OCI image layout read through [`Files`].
pub struct OciLayout<F> {
    name: String,
    reference: String,
    files: F,
    manifests: Vec<Descriptor>,
}

impl OciLayout<DirFiles> {
    /// A layout directory; `tag` selects a manifest of `index.json`.
    pub fn open_dir(name: &str, dir: &str, tag: Option<&str>) -> Result<Self> {
        let meta = std::fs::metadata(dir).map_err(|e| Error::io(name, e))?;
        if !meta.is_dir() {
            return Err(Error::invalid(name, "not a directory"));
        }
        Self::from_files(name, DirFiles::new(dir), tag)
    }
}

impl OciLayout<TarIndex> {
    /// An OCI archive (a layout in an uncompressed tar).
    pub fn open_archive(name: &str, path: &str, tag: Option<&str>) -> Result<Self> {
        Self::from_files(name, TarIndex::open(Path::new(path))?, tag)
    }
}

impl<F: Files> OciLayout<F> {
    /// A layout over `files`; `tag` selects a manifest of `index.json`.
    pub fn from_files(name: &str, files: F, tag: Option<&str>) -> Result<Self> {
        let input = format!("{name}: index.json");
        let reader = files
            .open("index.json")?
            .ok_or_else(|| Error::invalid(name, "no index.json: not an OCI image layout"))?;
        let bytes = read_capped(reader, 16 << 20, &input)?;
        let index: ImageIndex = serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(&input, format!("malformed image index: {e}")))?;
        let all = index.manifests().clone();
        if all.is_empty() {
            return Err(Error::invalid(&input, "the index lists no manifests"));
        }
        let (manifests, reference) = match tag {
            Some(tag) => {
                let chosen: Vec<Descriptor> = all
                    .iter()
                    .filter(|d| names_of(d).iter().any(|n| n == tag || tag_of(n) == tag))
                    .cloned()
                    .collect();
                if chosen.is_empty() {
                    let known: Vec<String> = all.iter().flat_map(names_of).collect();
                    return Err(Error::invalid(
                        &input,
                        format!(
                            "no manifest tagged `{tag}`; tags present: {}",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                let reference = chosen
                    .iter()
                    .flat_map(names_of)
                    .find(|n| n.contains('/') || n.contains(':'))
                    .unwrap_or_else(|| name.to_string());
                (chosen, reference)
            }
            None => {
                let reference = all
                    .iter()
                    .flat_map(names_of)
                    .find(|n| n.contains('/'))
                    .unwrap_or_else(|| name.to_string());
                (all, reference)
            }
        };
        Ok(OciLayout {
            name: name.to_string(),
            reference,
            files,
            manifests,
        })
    }
}

/// The names an index entry carries (tag and full reference annotations).
fn names_of(d: &Descriptor) -> Vec<String> {
    let Some(ann) = d.annotations() else {
        return Vec::new();
    };
    [CONTAINERD_NAME, REF_NAME]
        .iter()
        .filter_map(|k| ann.get(*k).cloned())
        .collect()
}

/// The tag part of `name:tag` (or the name itself when it has no tag).
fn tag_of(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((_, t)) if !t.contains('/') => t,
        _ => name,
    }
}

/// `blobs/<algorithm>/<hex>` for a digest, refusing anything that is not a plain digest.
pub(crate) fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (plain(alg) && plain(hex)).then(|| format!("blobs/{alg}/{hex}"))
}

impl<F: Files> BlobSource for OciLayout<F> {
    fn name(&self) -> &str {
        &self.name
    }

    fn reference(&self) -> &str {
        &self.reference
    }

    fn root(&self) -> Result<Root> {
        Ok(Root::Index {
            name: format!("{}: index.json", self.name),
            manifests: self.manifests.clone(),
        })
    }

    fn open_blob(&self, digest: &str) -> Result<BlobReader<'_>> {
        let not_found = || Error::BlobNotFound {
            source_name: self.name.clone(),
            digest: digest.to_string(),
            hint: String::new(),
        };
        let path = blob_path(digest).ok_or_else(not_found)?;
        self.files.open(&path)?.ok_or_else(not_found)
    }
}
