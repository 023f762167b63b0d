//! Resolving an image: index → manifest (by platform) → config → layers.

use crate::digest::{Verify, sha256_hex};
use crate::error::{Error, Result};
use crate::source::{BlobRef, BlobSource, Root, read_capped};
use oci_spec::image::{Descriptor, ImageConfiguration};
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// Manifests, indexes and configs larger than this are refused.
const MAX_JSON_BLOB: u64 = 8 << 20;
/// Nested indexes deeper than this are refused.
const MAX_INDEX_DEPTH: usize = 4;

/// An OS/architecture\[/variant\] pair, as in `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: String,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `v7`, `v8`, … when it matters.
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(format!(
                "invalid platform `{s}`: expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/amd64"
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// Whether an image built for `other` runs on `self` as requested.
    fn accepts(&self, other: &Platform) -> bool {
        let norm = |p: &Platform| match (p.architecture.as_str(), p.variant.as_deref()) {
            ("arm64", None) => Some("v8".to_string()),
            _ => p.variant.clone(),
        };
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || norm(self) == norm(other))
    }

    fn of(d: &Descriptor) -> Option<Platform> {
        let p = d.platform().as_ref()?;
        Some(Platform {
            os: p.os().to_string(),
            architecture: p.architecture().to_string(),
            variant: p.variant().clone(),
        })
    }
}

/// One layer of a resolved image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRef {
    /// Digest of the blob as stored (compressed).
    pub digest: String,
    /// Digest of the uncompressed tar, from the config.
    pub diff_id: String,
    /// Size of the blob in bytes.
    pub size: u64,
    /// Media type from the manifest.
    pub media_type: String,
}

/// An image located in a source: its identity, config and layers.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// The reference the user gave (or the source's name for it).
    pub reference: String,
    /// Manifest digest (for a docker-archive, which has none: the config digest).
    pub digest: String,
    /// Config digest, the image ID.
    pub config_digest: String,
    /// Platform from the config.
    pub platform: Platform,
    /// The parsed config.
    pub config: ImageConfiguration,
    /// Layers, bottom first.
    pub layers: Vec<LayerRef>,
}

/// Just enough of a manifest or index to tell which it is.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    layers: Option<serde_json::Value>,
    #[serde(default)]
    fs_layers: Option<serde_json::Value>,
}

/// Read a small blob, verifying its digest (and size when known).
pub fn read_blob(source: &dyn BlobSource, digest: &str, size: Option<u64>) -> Result<Vec<u8>> {
    let input = format!("{}: blob {digest}", source.name());
    if sha256_hex(digest).is_none() {
        return Err(Error::invalid(
            &input,
            "unsupported or malformed digest (only sha256 is supported)",
        ));
    }
    if let Some(s) = size
        && s > MAX_JSON_BLOB
    {
        return Err(Error::invalid(
            &input,
            format!("{s} bytes is too large for a manifest or config"),
        ));
    }
    let reader = source.open_blob(digest)?;
    read_capped(
        Verify::new(reader, "blob", digest, size),
        MAX_JSON_BLOB,
        &input,
    )
}

/// Resolve the image `source` points at, choosing `platform` from multi-platform indexes.
pub fn resolve(source: &dyn BlobSource, platform: &Platform) -> Result<ResolvedImage> {
    let mut next = source.root()?;
    for _ in 0..=MAX_INDEX_DEPTH {
        match next {
            Root::Docker { config } => return resolve_docker(source, &config),
            Root::Index { name, manifests } => {
                next = Root::Blob(select(&name, &manifests, platform)?);
            }
            Root::Blob(blob) => {
                let bytes = read_blob(source, &blob.digest, blob.size)?;
                let input = format!("{}: manifest {}", source.name(), blob.digest);
                let probe: Probe = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::invalid(&input, format!("malformed JSON: {e}")))?;
                if probe.fs_layers.is_some() {
                    return Err(Error::invalid(
                        &input,
                        "Docker schema 1 manifests are not supported",
                    ));
                }
                if probe.manifests.is_some() {
                    let index: oci_spec::image::ImageIndex = serde_json::from_slice(&bytes)
                        .map_err(|e| {
                            Error::invalid(&input, format!("malformed image index: {e}"))
                        })?;
                    next = Root::Blob(select(&input, index.manifests(), platform)?);
                } else if probe.layers.is_some() {
                    return resolve_manifest(source, &blob.digest, &bytes, &input);
                } else {
                    return Err(Error::invalid(
                        &input,
                        format!(
                            "neither an image manifest nor an index (mediaType {})",
                            probe.media_type.as_deref().unwrap_or("absent")
                        ),
                    ));
                }
            }
        }
    }
    Err(Error::invalid(
        source.name(),
        format!("indexes nested deeper than {MAX_INDEX_DEPTH}"),
    ))
}

/// Pick the entry of an index for `platform`.
fn select(input: &str, manifests: &[Descriptor], platform: &Platform) -> Result<BlobRef> {
    let to_ref = |d: &Descriptor| BlobRef {
        media_type: Some(d.media_type().to_string()),
        digest: d.digest().to_string(),
        size: Some(d.size()),
    };
    // Attestations and other artifacts carry platform unknown/unknown.
    let mut candidates: Vec<&Descriptor> = manifests
        .iter()
        .filter(|d| Platform::of(d).is_none_or(|p| p.os != "unknown"))
        .collect();
    // Several tags of one image (skopeo and umoci add an entry per tag) are one candidate.
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|d| {
        seen.insert((
            d.digest().to_string(),
            Platform::of(d).map(|p| p.to_string()),
        ))
    });
    if let [only] = candidates.as_slice()
        && Platform::of(only).is_none()
    {
        return Ok(to_ref(only));
    }
    if let Some(d) = candidates
        .iter()
        .find(|d| Platform::of(d).is_some_and(|p| platform.accepts(&p)))
    {
        return Ok(to_ref(d));
    }
    let available: Vec<String> = candidates
        .iter()
        .map(|d| {
            Platform::of(d).map_or_else(
                || format!("{} (no platform)", d.digest()),
                |p| p.to_string(),
            )
        })
        .collect();
    if candidates.len() > 1 && candidates.iter().all(|d| Platform::of(d).is_none()) {
        return Err(Error::invalid(
            input,
            format!(
                "holds {} images and no platforms; name one by tag",
                candidates.len()
            ),
        ));
    }
    Err(Error::NoPlatform {
        input: input.to_string(),
        wanted: platform.to_string(),
        available: if available.is_empty() {
            "none".into()
        } else {
            available.join(", ")
        },
    })
}

fn resolve_manifest(
    source: &dyn BlobSource,
    digest: &str,
    bytes: &[u8],
    input: &str,
) -> Result<ResolvedImage> {
    let manifest: oci_spec::image::ImageManifest = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(input, format!("malformed image manifest: {e}")))?;
    let config_desc = manifest.config();
    let config_digest = config_desc.digest().to_string();
    let (config, platform) = read_config(source, &config_digest, Some(config_desc.size()))?;
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(Error::invalid(
            input,
            format!(
                "lists {} layers but its config has {} diff_ids",
                manifest.layers().len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::with_capacity(diff_ids.len());
    for (d, diff_id) in manifest.layers().iter().zip(diff_ids) {
        check_digest(input, diff_id)?;
        layers.push(LayerRef {
            digest: d.digest().to_string(),
            diff_id: diff_id.clone(),
            size: d.size(),
            media_type: d.media_type().to_string(),
        });
    }
    Ok(ResolvedImage {
        reference: source.reference().to_string(),
        digest: digest.to_string(),
        config_digest,
        platform,
        config,
        layers,
    })
}

fn resolve_docker(source: &dyn BlobSource, config_digest: &str) -> Result<ResolvedImage> {
    let (config, platform) = read_config(source, config_digest, None)?;
    let mut layers = Vec::new();
    for diff_id in config.rootfs().diff_ids() {
        check_digest(source.name(), diff_id)?;
        layers.push(LayerRef {
            digest: diff_id.clone(),
            diff_id: diff_id.clone(),
            size: source.blob_size(diff_id).unwrap_or(0),
            media_type: "application/vnd.docker.image.rootfs.diff.tar".into(),
        });
    }
    Ok(ResolvedImage {
        reference: source.reference().to_string(),
        digest: config_digest.to_string(),
        config_digest: config_digest.to_string(),
        platform,
        config,
        layers,
    })
}

fn check_digest(input: &str, d: &str) -> Result<()> {
    sha256_hex(d).map(|_| ()).ok_or_else(|| {
        Error::invalid(
            input,
            format!("malformed diffID `{d}` (expected sha256:<64 hex>)"),
        )
    })
}

fn read_config(
    source: &dyn BlobSource,
    digest: &str,
    size: Option<u64>,
) -> Result<(ImageConfiguration, Platform)> {
    let bytes = read_blob(source, digest, size)?;
    let input = format!("{}: config {digest}", source.name());
    let config: ImageConfiguration = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid(&input, format!("malformed image config: {e}")))?;
    let platform = Platform {
        os: config.os().to_string(),
        architecture: config.architecture().to_string(),
        variant: config.variant().clone(),
    };
    Ok((config, platform))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let p: Platform = "linux/arm64".parse().unwrap();
        assert!(p.accepts(&"linux/arm64/v8".parse().unwrap()));
        let v7: Platform = "linux/arm/v7".parse().unwrap();
        assert!(!v7.accepts(&"linux/arm/v6".parse().unwrap()));
        assert!("linux".parse::<Platform>().is_err());
        assert_eq!(Platform::default().to_string(), "linux/amd64");
    }
}
