//! docker-archive: the tar `docker save` and `skopeo copy … docker-archive:` write.
//!
//! It has no manifest blob: `manifest.json` names a config file and uncompressed layer tars.
//! Layers are addressed by their diffIDs (their own sha256, since they are uncompressed), and
//! the image's digest is its ID, the config digest.

use crate::digest::sha256_digest;
use crate::error::{Error, Result};
use crate::source::{BlobReader, BlobSource, Files, Root, TarIndex, read_capped};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// An image in a docker-archive tar.
pub struct DockerArchive {
    name: String,
    reference: String,
    files: TarIndex,
    config_digest: String,
    config_path: String,
    /// diffID → member path, filled from the config's `rootfs.diff_ids` in order.
    layers: HashMap<String, String>,
}

impl DockerArchive {
    /// Open the archive at `path`; `tag` picks an image when it holds several.
    pub fn open(name: &str, path: &str, tag: Option<&str>) -> Result<Self> {
        Self::from_index(name, TarIndex::open(Path::new(path))?, tag)
    }

    /// A docker-archive over an indexed tar.
    pub fn from_index(name: &str, files: TarIndex, tag: Option<&str>) -> Result<Self> {
        let input = format!("{name}: manifest.json");
        let reader = files
            .open("manifest.json")?
            .ok_or_else(|| Error::invalid(name, "no manifest.json: not a docker-archive"))?;
        let entries: Vec<Entry> = serde_json::from_slice(&read_capped(reader, 16 << 20, &input)?)
            .map_err(|e| Error::invalid(&input, format!("malformed: {e}")))?;
        let tags = |e: &Entry| e.repo_tags.clone().unwrap_or_default();
        let entry = match tag {
            None if entries.len() == 1 => &entries[0],
            None => {
                return Err(Error::invalid(
                    &input,
                    format!(
                        "holds {} images; name one (docker-archive:PATH:REF), one of: {}",
                        entries.len(),
                        entries.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            Some(t) => entries
                .iter()
                .find(|e| {
                    tags(e).iter().any(|r| {
                        r == t || r.ends_with(&format!("/{t}")) || r.ends_with(&format!(":{t}"))
                    })
                })
                .ok_or_else(|| Error::invalid(&input, format!("no image tagged `{t}`")))?,
        };
        let config_path = crate::layer::path::normalize(entry.config.as_bytes())
            .ok_or_else(|| Error::invalid(&input, "empty Config path"))?;
        let config_reader = files
            .open(&config_path)?
            .ok_or_else(|| Error::invalid(&input, format!("config {config_path} is missing")))?;
        let config_bytes = read_capped(config_reader, 16 << 20, &format!("{name}: {config_path}"))?;
        let config_digest = sha256_digest(&config_bytes);
        let diff_ids = diff_ids(&config_bytes)
            .map_err(|m| Error::invalid(format!("{name}: {config_path}"), m))?;
        if diff_ids.len() != entry.layers.len() {
            return Err(Error::invalid(
                &input,
                format!(
                    "lists {} layers but the config has {} diff_ids",
                    entry.layers.len(),
                    diff_ids.len()
                ),
            ));
        }
        let mut layers = HashMap::new();
        for (diff_id, layer) in diff_ids.into_iter().zip(&entry.layers) {
            let path = crate::layer::path::normalize(layer.as_bytes())
                .ok_or_else(|| Error::invalid(&input, "empty layer path"))?;
            layers.insert(diff_id, path);
        }
        let reference = tags(entry)
            .into_iter()
            .next()
            .unwrap_or_else(|| name.to_string());
        Ok(DockerArchive {
            name: name.to_string(),
            reference,
            files,
            config_digest,
            config_path,
            layers,
        })
    }
}

fn diff_ids(config: &[u8]) -> std::result::Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Config {
        rootfs: RootFs,
    }
    #[derive(Deserialize)]
    struct RootFs {
        diff_ids: Vec<String>,
    }
    let c: Config = serde_json::from_slice(config).map_err(|e| format!("malformed config: {e}"))?;
    Ok(c.rootfs.diff_ids)
}

impl BlobSource for DockerArchive {
    fn name(&self) -> &str {
        &self.name
    }

    fn reference(&self) -> &str {
        &self.reference
    }

    fn root(&self) -> Result<Root> {
        Ok(Root::Docker {
            config: self.config_digest.clone(),
        })
    }

    fn open_blob(&self, digest: &str) -> Result<BlobReader<'_>> {
        let path = if digest == self.config_digest {
            Some(&self.config_path)
        } else {
            self.layers.get(digest)
        };
        let not_found = || Error::BlobNotFound {
            source_name: self.name.clone(),
            digest: digest.to_string(),
            hint: String::new(),
        };
        let path = path.ok_or_else(not_found)?;
        self.files.open(path)?.ok_or_else(not_found)
    }

    fn blob_size(&self, digest: &str) -> Option<u64> {
        self.files.size(self.layers.get(digest)?)
    }
}
