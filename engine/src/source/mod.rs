//! Image sources: where manifests, configs and layer blobs come from.
//!
//! Every source is a blob store behind [`BlobSource`]. This module holds the local ones (OCI
//! layout directory, OCI archive, docker-archive) and [`open_local`], which picks one from a
//! `SOURCE` argument. Remote sources (containerd, registries) live with their clients.

mod docker_archive;
mod files;
mod oci_layout;
mod tar_index;

pub use docker_archive::DockerArchive;
pub use files::{DirFiles, Files};
pub use oci_layout::OciLayout;
pub use tar_index::TarIndex;

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// A blob stream as it comes from the source, before verification.
pub type BlobReader<'a> = Box<dyn Read + Send + 'a>;

/// A descriptor of a manifest or index that the source points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// Media type, when the source knows it.
    pub media_type: Option<String>,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes, when the source knows it.
    pub size: Option<u64>,
}

/// Where resolution of an image starts.
#[derive(Debug, Clone)]
pub enum Root {
    /// A manifest or an index, stored as a blob in the source.
    Blob(BlobRef),
    /// An index that is not itself a blob (an OCI layout's `index.json`), already narrowed
    /// to the entries the reference names.
    Index {
        /// Where the index came from, for messages.
        name: String,
        /// Its entries.
        manifests: Vec<oci_spec::image::Descriptor>,
    },
    /// A docker-archive image: no manifest; the config blob, and layers stored uncompressed
    /// under their diffIDs.
    Docker {
        /// `sha256:<hex>` of the config blob.
        config: String,
    },
}

/// A store of an image's blobs.
pub trait BlobSource: Send + Sync {
    /// What the source is, for messages (`oci-archive:/tmp/x.tar`).
    fn name(&self) -> &str;
    /// The image reference to put in reports.
    fn reference(&self) -> &str;
    /// The manifest, index or config the reference points at.
    fn root(&self) -> Result<Root>;
    /// Open a blob by digest. The stream is verified by the caller.
    fn open_blob(&self, digest: &str) -> Result<BlobReader<'_>>;
    /// A blob's size when the source knows it without a descriptor (docker-archive layers).
    fn blob_size(&self, _digest: &str) -> Option<u64> {
        None
    }
}

/// Open a local source from a `SOURCE` argument: `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]`,
/// `docker-archive:PATH[:REF]`, or a bare path whose kind is detected.
pub fn open_local(spec: &str) -> Result<Box<dyn BlobSource>> {
    if let Some(rest) = spec.strip_prefix("oci:") {
        let (path, tag) = split_tag(rest);
        return Ok(Box::new(OciLayout::open_dir(spec, path, tag)?));
    }
    if let Some(rest) = spec.strip_prefix("oci-archive:") {
        let (path, tag) = split_tag(rest);
        return Ok(Box::new(OciLayout::open_archive(spec, path, tag)?));
    }
    if let Some(rest) = spec.strip_prefix("docker-archive:") {
        let (path, tag) = split_tag(rest);
        return Ok(Box::new(DockerArchive::open(spec, path, tag)?));
    }
    if let Some((scheme, _)) = spec.split_once(':')
        && !Path::new(spec).exists()
        && matches!(
            scheme,
            "containerd" | "registry" | "docker" | "docker-daemon"
        )
    {
        return Err(Error::invalid(
            spec,
            format!("source type `{scheme}:` is not handled by the local engine sources"),
        ));
    }
    let path = Path::new(spec);
    let meta = std::fs::metadata(path).map_err(|e| Error::io(spec, e))?;
    if meta.is_dir() {
        if path.join("oci-layout").exists() || path.join("index.json").exists() {
            return Ok(Box::new(OciLayout::open_dir(spec, spec, None)?));
        }
        return Err(Error::invalid(
            spec,
            "directory is not an OCI image layout (no oci-layout or index.json)",
        ));
    }
    let index = TarIndex::open(path)?;
    if index.contains("index.json") {
        Ok(Box::new(OciLayout::from_files(spec, index, None)?))
    } else if index.contains("manifest.json") {
        Ok(Box::new(DockerArchive::from_index(spec, index, None)?))
    } else {
        Err(Error::invalid(
            spec,
            "tar archive is neither an OCI archive (no index.json) nor a docker-archive (no manifest.json)",
        ))
    }
}

/// Split `PATH[:TAG]`: the tag is what follows the last `:` unless the whole string names an
/// existing file or the part after the colon contains a `/`.
fn split_tag(s: &str) -> (&str, Option<&str>) {
    if Path::new(s).exists() {
        return (s, None);
    }
    // A reference has colons of its own (`localhost:5000/app:1.0`): the path is the longest
    // prefix that exists.
    if let Some((i, _)) = s
        .rmatch_indices(':')
        .find(|(i, _)| Path::new(&s[..*i]).exists())
    {
        let tag = &s[i + 1..];
        return (&s[..i], (!tag.is_empty()).then_some(tag));
    }
    match s.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') && !tag.is_empty() => (path, Some(tag)),
        _ => (s, None),
    }
}

/// Read a whole small file from `r`, refusing more than `cap` bytes.
pub(crate) fn read_capped(mut r: impl Read, cap: u64, input: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    (&mut r)
        .take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(input, e))?;
    if buf.len() as u64 > cap {
        return Err(Error::invalid(
            input,
            format!("larger than the {cap}-byte limit"),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn splits_tags() {
        assert_eq!(split_tag("/no/such/dir:1"), ("/no/such/dir", Some("1")));
        assert_eq!(split_tag("/no/such/dir"), ("/no/such/dir", None));
        assert_eq!(split_tag("rel/x.tar:latest"), ("rel/x.tar", Some("latest")));
        assert_eq!(split_tag("/tmp"), ("/tmp", None));
    }
}
