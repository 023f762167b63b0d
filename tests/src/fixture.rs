//! Real OCI and docker-archive images, built deterministically from a list of tar entries.
//!
//! Tests describe an image as layers of [`Entry`]s and write it as an OCI layout, an OCI
//! archive, a docker-archive or a multi-platform layout. Layer tars are written by hand (not
//! with `tar::Builder`) so that hostile names, unpadded endings and cut-off tars can be
//! produced exactly; everything has mtime 0 and uid/gid 0, so the same spec always gives the
//! same digests. [`engine_view`] is the engine's side of a comparison: the final file view.

use assure_engine::analyze::Artifact;
use assure_engine::analyze::files::{FileDigests, FileRecord};
use assure_engine::merge::final_view;
use assure_engine::scan::Analysis;
use assure_engine::{BlobSource, ScanOptions, Scanner};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tar::{EntryType, Header};

/// Annotation holding the tag of a manifest in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Media type of an OCI image manifest.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image config.
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// One tar entry of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File {
        path: String,
        mode: u32,
        content: Vec<u8>,
    },
    /// A regular file of `size` zero bytes, streamed so it never sits in memory.
    Zeros { path: String, size: u64 },
    /// A directory.
    Dir { path: String, mode: u32 },
    /// A symbolic link; `target` is written as given.
    Symlink { path: String, target: String },
    /// A hard link to `target`, an earlier path.
    Hardlink { path: String, target: String },
    /// Deletes `path` of lower layers: written as `DIR/.wh.NAME`.
    Whiteout(String),
    /// Hides what lower layers have below this directory: written as `DIR/.wh..wh..opq`.
    Opaque(String),
    /// A regular file (mode 0644) whose header name is written verbatim, unchecked.
    RawName { name: Vec<u8>, content: Vec<u8> },
}

impl Entry {
    /// A file with mode 0644.
    pub fn file(path: &str, content: impl AsRef<[u8]>) -> Entry {
        Entry::file_mode(path, 0o644, content)
    }

    /// A file with the given mode (setuid and friends included).
    pub fn file_mode(path: &str, mode: u32, content: impl AsRef<[u8]>) -> Entry {
        Entry::File {
            path: path.into(),
            mode,
            content: content.as_ref().to_vec(),
        }
    }

    /// A directory with mode 0755.
    pub fn dir(path: &str) -> Entry {
        Entry::dir_mode(path, 0o755)
    }

    /// A directory with the given mode.
    pub fn dir_mode(path: &str, mode: u32) -> Entry {
        Entry::Dir {
            path: path.into(),
            mode,
        }
    }

    /// A symbolic link at `path` pointing to `target`.
    pub fn symlink(path: &str, target: &str) -> Entry {
        Entry::Symlink {
            path: path.into(),
            target: target.into(),
        }
    }

    /// A hard link at `path` to `target`.
    pub fn hardlink(path: &str, target: &str) -> Entry {
        Entry::Hardlink {
            path: path.into(),
            target: target.into(),
        }
    }

    /// A whiteout of `path`.
    pub fn whiteout(path: &str) -> Entry {
        Entry::Whiteout(path.into())
    }

    /// An opaque marker for the directory `dir`.
    pub fn opaque(dir: &str) -> Entry {
        Entry::Opaque(dir.into())
    }

    /// A file whose tar name is exactly `name` (`../../etc/passwd`, `/abs`, invalid UTF-8).
    pub fn raw(name: impl AsRef<[u8]>, content: impl AsRef<[u8]>) -> Entry {
        Entry::RawName {
            name: name.as_ref().to_vec(),
            content: content.as_ref().to_vec(),
        }
    }

    /// A file of `size` zero bytes.
    pub fn zeros(path: &str, size: u64) -> Entry {
        Entry::Zeros {
            path: path.into(),
            size,
        }
    }

    /// Bytes of content this entry carries in the tar.
    fn size(&self) -> u64 {
        match self {
            Entry::File { content, .. } | Entry::RawName { content, .. } => content.len() as u64,
            Entry::Zeros { size, .. } => *size,
            _ => 0,
        }
    }
}

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

impl Compression {
    /// The OCI layer media type for this compression.
    pub fn media_type(self) -> &'static str {
        match self {
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// How a layer tar ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarEnd {
    /// Padding after the last entry, then two zero blocks (what `tar` and Docker write).
    Standard,
    /// Right after the last entry's data: no padding, no end-of-archive blocks (Debian's umoci).
    Unpadded,
    /// Like `Unpadded`, with this many more bytes cut off the end: a tar cut inside an entry.
    Cut(u64),
}

/// One layer: its entries in tar order, and how it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSpec {
    /// Entries in tar order.
    pub entries: Vec<Entry>,
    /// Compression of the blob.
    pub compression: Compression,
    /// How the tar ends.
    pub end: TarEnd,
}

impl LayerSpec {
    /// A gzip layer with a standard tar ending.
    pub fn new(entries: Vec<Entry>) -> LayerSpec {
        LayerSpec {
            entries,
            compression: Compression::Gzip,
            end: TarEnd::Standard,
        }
    }

    /// The same layer with another compression.
    pub fn compression(mut self, compression: Compression) -> LayerSpec {
        self.compression = compression;
        self
    }

    /// The same layer with another tar ending.
    pub fn end(mut self, end: TarEnd) -> LayerSpec {
        self.end = end;
        self
    }
}

/// An image: layers bottom first, platform and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// Layers, bottom first.
    pub layers: Vec<LayerSpec>,
    /// `os` of the config.
    pub os: String,
    /// `architecture` of the config.
    pub arch: String,
    /// `variant` of the config, if any.
    pub variant: Option<String>,
    /// The tag in `index.json` (and of the docker-archive's repo tag).
    pub tag: String,
}

impl ImageSpec {
    /// A linux/amd64 image tagged `latest`.
    pub fn new(layers: Vec<LayerSpec>) -> ImageSpec {
        ImageSpec {
            layers,
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
            tag: "latest".into(),
        }
    }

    /// The same image for another platform.
    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> ImageSpec {
        self.os = os.into();
        self.arch = arch.into();
        self.variant = variant.map(str::to_string);
        self
    }

    /// The same image with another tag.
    pub fn tag(mut self, tag: &str) -> ImageSpec {
        self.tag = tag.into();
        self
    }
}

/// A layer as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltLayer {
    /// `sha256:` of the blob as stored.
    pub digest: String,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
    /// Blob size in bytes.
    pub size: u64,
    /// Size of the uncompressed tar.
    pub tar_size: u64,
    /// Media type in the manifest.
    pub media_type: String,
    /// The blob file, for tests that corrupt it.
    pub path: PathBuf,
}

/// An image written into an OCI layout directory.
#[derive(Debug)]
pub struct Built {
    /// The layout directory (for archives: the staging layout they were packed from).
    pub dir: PathBuf,
    /// The tag `index.json` gives the manifest.
    pub tag: String,
    /// `sha256:` of the manifest.
    pub manifest_digest: String,
    /// The manifest as written.
    pub manifest: Vec<u8>,
    /// `sha256:` of the config (the image ID).
    pub config_digest: String,
    /// The config as written.
    pub config: Vec<u8>,
    /// Layers, bottom first.
    pub layers: Vec<BuiltLayer>,
    /// Keeps the staging layout of an archive alive.
    _staging: Option<tempfile::TempDir>,
}

/// A multi-platform image written into an OCI layout directory.
#[derive(Debug)]
pub struct BuiltIndex {
    /// The layout directory.
    pub dir: PathBuf,
    /// `sha256:` of the nested image index that lists the platforms.
    pub index_digest: String,
    /// Each platform's image, in the order given.
    pub images: Vec<Built>,
}

/// `sha256:<hex>` of `data`.
pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Write `spec` as an OCI image layout in `dir` (created if missing).
pub fn write_oci_layout(spec: &ImageSpec, dir: &Path) -> io::Result<Built> {
    init_layout(dir)?;
    let built = write_image(spec, dir)?;
    write_index(
        dir,
        MANIFEST_TYPE,
        &built.manifest_digest,
        built.manifest.len() as u64,
        &spec.tag,
    )?;
    Ok(built)
}

/// Write `spec` as an OCI archive (an OCI layout in an uncompressed tar) at `path`.
pub fn write_oci_archive(spec: &ImageSpec, path: &Path) -> io::Result<Built> {
    let staging = tempfile::tempdir()?;
    let mut built = write_oci_layout(spec, staging.path())?;
    pack_oci_archive(&built.dir, path)?;
    built._staging = Some(staging);
    Ok(built)
}

/// Pack an OCI layout directory into an uncompressed tar at `path`, in a stable order.
pub fn pack_oci_archive(layout: &Path, path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for name in ["oci-layout", "index.json"] {
        append_path(&mut out, name.as_bytes(), &layout.join(name))?;
    }
    write_header(&mut out, b"blobs/", EntryType::Directory, 0o755, 0, None)?;
    write_header(
        &mut out,
        b"blobs/sha256/",
        EntryType::Directory,
        0o755,
        0,
        None,
    )?;
    let mut blobs: Vec<_> = fs::read_dir(layout.join("blobs/sha256"))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    blobs.sort();
    for blob in blobs {
        let name = format!("blobs/sha256/{}", blob.to_string_lossy());
        append_path(&mut out, name.as_bytes(), &layout.join(&name))?;
    }
    out.write_all(&[0; 1024])?;
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}

/// Write `spec` in `docker save` format at `path`: `manifest.json`, `<hex>.json` config and
/// uncompressed `<diff-id hex>.tar` layers.
///
/// The returned layers describe the staging layout; in the archive each layer's digest is its
/// diffID.
pub fn write_docker_archive(spec: &ImageSpec, path: &Path, repo_tag: &str) -> io::Result<Built> {
    let staging = tempfile::tempdir()?;
    let mut built = write_oci_layout(spec, staging.path())?;
    let config_name = format!("{}.json", hex_of(&built.config_digest));
    let layer_names: Vec<String> = built
        .layers
        .iter()
        .map(|l| format!("{}.tar", hex_of(&l.diff_id)))
        .collect();
    let manifest =
        json!([{ "Config": config_name, "RepoTags": [repo_tag], "Layers": layer_names }]);
    let mut out = BufWriter::new(File::create(path)?);
    write_file(&mut out, b"manifest.json", &to_json(&manifest))?;
    write_file(&mut out, config_name.as_bytes(), &built.config)?;
    for (layer, (name, spec_layer)) in built
        .layers
        .iter()
        .zip(layer_names.iter().zip(&spec.layers))
    {
        let blob = io::BufReader::new(File::open(&layer.path)?);
        let mut tar: Box<dyn Read> = match spec_layer.compression {
            Compression::None => Box::new(blob),
            Compression::Gzip => Box::new(flate2::bufread::GzDecoder::new(blob)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(blob)?),
        };
        write_header(
            &mut out,
            name.as_bytes(),
            EntryType::Regular,
            0o644,
            layer.tar_size,
            None,
        )?;
        copy_exact(&mut tar, &mut out, layer.tar_size)?;
        pad(&mut out, layer.tar_size)?;
    }
    out.write_all(&[0; 1024])?;
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()?;
    built._staging = Some(staging);
    Ok(built)
}

/// Write several platform images into one OCI layout in `dir`: `index.json` names a nested
/// image index (tagged `tag`) that lists each image's manifest with its `platform`.
pub fn write_multi_platform(dir: &Path, specs: &[ImageSpec], tag: &str) -> io::Result<BuiltIndex> {
    init_layout(dir)?;
    let mut images = Vec::with_capacity(specs.len());
    let mut manifests = Vec::with_capacity(specs.len());
    for spec in specs {
        let built = write_image(spec, dir)?;
        let mut platform = json!({ "architecture": spec.arch, "os": spec.os });
        if let Some(v) = &spec.variant {
            platform["variant"] = json!(v);
        }
        manifests.push(json!({
            "mediaType": MANIFEST_TYPE,
            "digest": built.manifest_digest,
            "size": built.manifest.len(),
            "platform": platform,
        }));
        images.push(built);
    }
    let index =
        to_json(&json!({ "schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests }));
    let index_digest = put_blob(dir, &index)?;
    write_index(dir, INDEX_TYPE, &index_digest, index.len() as u64, tag)?;
    Ok(BuiltIndex {
        dir: dir.to_path_buf(),
        index_digest,
        images,
    })
}

/// Store `bytes` as a blob of the layout in `dir`; returns its digest.
pub fn put_blob(dir: &Path, bytes: &[u8]) -> io::Result<String> {
    let digest = sha256(bytes);
    fs::write(dir.join("blobs/sha256").join(hex_of(&digest)), bytes)?;
    Ok(digest)
}

/// Replace (or add) the member `member` of an uncompressed tar archive, keeping the others.
pub fn replace_member(archive: &Path, member: &str, bytes: &[u8]) -> io::Result<()> {
    let mut members = Vec::new();
    {
        let mut tar = tar::Archive::new(File::open(archive)?);
        for entry in tar.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path_bytes().into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            if name != member.as_bytes() {
                members.push((name, data));
            }
        }
    }
    members.push((member.as_bytes().to_vec(), bytes.to_vec()));
    let mut out = BufWriter::new(File::create(archive)?);
    for (name, data) in &members {
        write_file(&mut out, name, data)?;
    }
    out.write_all(&[0; 1024])?;
    out.flush()
}

impl Built {
    /// The `oci:DIR:TAG` source argument for this image.
    pub fn source(&self) -> String {
        format!("oci:{}:{}", self.dir.display(), self.tag)
    }

    /// The blob file of `digest` in the layout.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir.join("blobs/sha256").join(hex_of(digest))
    }

    /// Store `manifest` (any bytes) and point `index.json` at it alone.
    pub fn replace_manifest(&self, manifest: &[u8]) -> io::Result<Built> {
        let manifest_digest = put_blob(&self.dir, manifest)?;
        write_index(
            &self.dir,
            MANIFEST_TYPE,
            &manifest_digest,
            manifest.len() as u64,
            &self.tag,
        )?;
        Ok(Built {
            dir: self.dir.clone(),
            tag: self.tag.clone(),
            manifest_digest,
            manifest: manifest.to_vec(),
            config_digest: self.config_digest.clone(),
            config: self.config.clone(),
            layers: self.layers.clone(),
            _staging: None,
        })
    }

    /// Store `config` (any bytes), and a manifest and `index.json` that point at it.
    pub fn replace_config(&self, config: &[u8]) -> io::Result<Built> {
        let config_digest = put_blob(&self.dir, config)?;
        let mut manifest = self.manifest_value()?;
        manifest["config"]["digest"] = json!(config_digest);
        manifest["config"]["size"] = json!(config.len());
        let mut built = self.replace_manifest(&to_json(&manifest))?;
        built.config_digest = config_digest;
        built.config = config.to_vec();
        Ok(built)
    }

    /// Store `blob` as layer `index`, relinking manifest and `index.json`; with `diff_id`, the
    /// config's diffID of that layer changes too.
    pub fn replace_layer(
        &self,
        index: usize,
        blob: &[u8],
        diff_id: Option<&str>,
    ) -> io::Result<Built> {
        let digest = put_blob(&self.dir, blob)?;
        let mut manifest = self.manifest_value()?;
        manifest["layers"][index]["digest"] = json!(digest);
        manifest["layers"][index]["size"] = json!(blob.len());
        let mut layers = self.layers.clone();
        if let Some(layer) = layers.get_mut(index) {
            layer.digest = digest.clone();
            layer.size = blob.len() as u64;
            layer.path = self.blob_path(&digest);
        }
        let (config_digest, config) = match diff_id {
            Some(diff_id) => {
                let mut config: Value = serde_json::from_slice(&self.config)?;
                config["rootfs"]["diff_ids"][index] = json!(diff_id);
                if let Some(layer) = layers.get_mut(index) {
                    layer.diff_id = diff_id.to_string();
                }
                let bytes = to_json(&config);
                let config_digest = put_blob(&self.dir, &bytes)?;
                manifest["config"]["digest"] = json!(config_digest);
                manifest["config"]["size"] = json!(bytes.len());
                (config_digest, bytes)
            }
            None => (self.config_digest.clone(), self.config.clone()),
        };
        let mut built = self.replace_manifest(&to_json(&manifest))?;
        built.config_digest = config_digest;
        built.config = config;
        built.layers = layers;
        Ok(built)
    }

    fn manifest_value(&self) -> io::Result<Value> {
        Ok(serde_json::from_slice(&self.manifest)?)
    }
}

/// Create the layout skeleton: `oci-layout` and `blobs/sha256/`.
fn init_layout(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir.join("blobs/sha256"))?;
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
}

/// Write an image's layers, config and manifest blobs into the layout `dir`.
fn write_image(spec: &ImageSpec, dir: &Path) -> io::Result<Built> {
    let layers = spec
        .layers
        .iter()
        .map(|l| write_layer(l, dir))
        .collect::<io::Result<Vec<_>>>()?;
    let mut config = json!({
        "architecture": spec.arch,
        "os": spec.os,
        "config": {},
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| l.diff_id.as_str()).collect::<Vec<_>>(),
        },
    });
    if let Some(v) = &spec.variant {
        config["variant"] = json!(v);
    }
    let config = to_json(&config);
    let config_digest = put_blob(dir, &config)?;
    let manifest = to_json(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": { "mediaType": CONFIG_TYPE, "digest": config_digest, "size": config.len() },
        "layers": layers.iter().map(|l| json!({
            "mediaType": l.media_type,
            "digest": l.digest,
            "size": l.size,
        })).collect::<Vec<_>>(),
    }));
    let manifest_digest = put_blob(dir, &manifest)?;
    Ok(Built {
        dir: dir.to_path_buf(),
        tag: spec.tag.clone(),
        manifest_digest,
        manifest,
        config_digest,
        config,
        layers,
        _staging: None,
    })
}

/// Write `index.json` with one entry, tagged `tag`.
fn write_index(dir: &Path, media_type: &str, digest: &str, size: u64, tag: &str) -> io::Result<()> {
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{
            "mediaType": media_type,
            "digest": digest,
            "size": size,
            "annotations": { REF_NAME: tag },
        }],
    });
    fs::write(dir.join("index.json"), to_json(&index))
}

/// Write one layer blob into the layout `dir`, streaming: tar → diffID hash → compression →
/// blob hash → file.
fn write_layer(spec: &LayerSpec, dir: &Path) -> io::Result<BuiltLayer> {
    let tmp = tempfile::NamedTempFile::new_in(dir.join("blobs/sha256"))?;
    let blob = Hashing::new(BufWriter::new(tmp.reopen()?));
    let (diff_id, tar_size, blob) = match spec.compression {
        Compression::None => {
            let mut tar = Hashing::new(blob);
            write_tar(&mut tar, spec)?;
            tar.finish()
        }
        Compression::Gzip => {
            let mut tar = Hashing::new(flate2::write::GzEncoder::new(
                blob,
                flate2::Compression::default(),
            ));
            write_tar(&mut tar, spec)?;
            let (diff_id, tar_size, encoder) = tar.finish();
            (diff_id, tar_size, encoder.finish()?)
        }
        Compression::Zstd => {
            let mut tar = Hashing::new(zstd::stream::write::Encoder::new(blob, 3)?);
            write_tar(&mut tar, spec)?;
            let (diff_id, tar_size, encoder) = tar.finish();
            (diff_id, tar_size, encoder.finish()?)
        }
    };
    let (digest, size, mut file) = blob.finish();
    file.flush()?;
    let path = dir.join("blobs/sha256").join(hex_of(&digest));
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(BuiltLayer {
        digest,
        diff_id,
        size,
        tar_size,
        media_type: spec.compression.media_type().to_string(),
        path,
    })
}

/// Write the tar stream of a layer, ending as `spec.end` says.
fn write_tar(w: &mut impl Write, spec: &LayerSpec) -> io::Result<()> {
    let last = spec.entries.len().checked_sub(1);
    for (i, entry) in spec.entries.iter().enumerate() {
        let is_last = Some(i) == last;
        let size = entry.size();
        // What `Cut` removes comes off the last entry's data, so it must have that much.
        let keep = match (is_last, spec.end) {
            (true, TarEnd::Cut(n)) => size.checked_sub(n).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "TarEnd::Cut is longer than the last entry",
                )
            })?,
            _ => size,
        };
        write_entry(w, entry, keep)?;
        if !is_last || spec.end == TarEnd::Standard {
            pad(w, size)?;
        }
    }
    if spec.end == TarEnd::Standard {
        w.write_all(&[0; 1024])?;
    }
    Ok(())
}

/// Write an entry's header(s) and the first `keep` bytes of its content.
fn write_entry(w: &mut impl Write, entry: &Entry, keep: u64) -> io::Result<()> {
    let size = entry.size();
    match entry {
        Entry::File {
            path,
            mode,
            content,
        } => {
            write_header(w, path.as_bytes(), EntryType::Regular, *mode, size, None)?;
            w.write_all(&content[..keep as usize])
        }
        Entry::RawName { name, content } => {
            write_header(w, name, EntryType::Regular, 0o644, size, None)?;
            w.write_all(&content[..keep as usize])
        }
        Entry::Zeros { path, .. } => {
            write_header(w, path.as_bytes(), EntryType::Regular, 0o644, size, None)?;
            copy_exact(&mut io::repeat(0), w, keep)
        }
        Entry::Dir { path, mode } => write_header(
            w,
            format!("{path}/").as_bytes(),
            EntryType::Directory,
            *mode,
            0,
            None,
        ),
        Entry::Symlink { path, target } => write_header(
            w,
            path.as_bytes(),
            EntryType::Symlink,
            0o777,
            0,
            Some(target.as_bytes()),
        ),
        Entry::Hardlink { path, target } => write_header(
            w,
            path.as_bytes(),
            EntryType::Link,
            0o644,
            0,
            Some(target.as_bytes()),
        ),
        Entry::Whiteout(path) => {
            let name = match path.rsplit_once('/') {
                Some((dir, name)) => format!("{dir}/.wh.{name}"),
                None => format!(".wh.{path}"),
            };
            write_header(w, name.as_bytes(), EntryType::Regular, 0o644, 0, None)
        }
        Entry::Opaque(dir) => {
            let name = format!("{}/.wh..wh..opq", dir.trim_end_matches('/'));
            write_header(w, name.as_bytes(), EntryType::Regular, 0o644, 0, None)
        }
    }
}

/// Write a GNU tar header for `name` (verbatim), preceded by GNU long-name / long-link
/// records when `name` or `link` do not fit the 100-byte fields.
fn write_header(
    w: &mut impl Write,
    name: &[u8],
    kind: EntryType,
    mode: u32,
    size: u64,
    link: Option<&[u8]>,
) -> io::Result<()> {
    if name.len() > 100 {
        write_long(w, EntryType::GNULongName, name)?;
    }
    if let Some(link) = link.filter(|l| l.len() > 100) {
        write_long(w, EntryType::GNULongLink, link)?;
    }
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_size(size);
    let old = header.as_old_mut();
    let n = name.len().min(100);
    old.name[..n].copy_from_slice(&name[..n]);
    if let Some(link) = link {
        let n = link.len().min(100);
        old.linkname[..n].copy_from_slice(&link[..n]);
    }
    header.set_cksum();
    w.write_all(header.as_bytes())
}

/// A GNU `././@LongLink` record carrying a long name or link target.
fn write_long(w: &mut impl Write, kind: EntryType, value: &[u8]) -> io::Result<()> {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    let len = value.len() as u64 + 1;
    header.set_size(len);
    let old = header.as_old_mut();
    old.name[..13].copy_from_slice(b"././@LongLink");
    header.set_cksum();
    w.write_all(header.as_bytes())?;
    w.write_all(value)?;
    w.write_all(&[0])?;
    pad(w, len)
}

/// A regular-file member with content `data`, padded.
fn write_file(w: &mut impl Write, name: &[u8], data: &[u8]) -> io::Result<()> {
    write_header(w, name, EntryType::Regular, 0o644, data.len() as u64, None)?;
    w.write_all(data)?;
    pad(w, data.len() as u64)
}

/// A regular-file member streamed from the file at `path`, padded.
fn append_path(w: &mut impl Write, name: &[u8], path: &Path) -> io::Result<()> {
    let size = fs::metadata(path)?.len();
    write_header(w, name, EntryType::Regular, 0o644, size, None)?;
    copy_exact(&mut File::open(path)?, w, size)?;
    pad(w, size)
}

/// Zero bytes up to the next 512-byte block boundary after `size` bytes of data.
fn pad(w: &mut impl Write, size: u64) -> io::Result<()> {
    let rest = (512 - size % 512) % 512;
    w.write_all(&[0; 512][..rest as usize])
}

/// Copy exactly `n` bytes, failing if `r` has fewer.
fn copy_exact(r: &mut impl Read, w: &mut impl Write, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), w)?;
    if copied != n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("expected {n} bytes, got {copied}"),
        ));
    }
    Ok(())
}

/// The hex part of a `sha256:<hex>` digest.
fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// Stable JSON bytes.
fn to_json(v: &Value) -> Vec<u8> {
    // A `Value` built by `json!` always serialises.
    serde_json::to_vec(v).unwrap_or_default()
}

/// Hashes and counts what passes through to `inner`.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }

    /// `(sha256:<hex>, bytes written, inner)`.
    fn finish(self) -> (String, u64, W) {
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        (digest, self.len, self.inner)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One path of an image's final view, as the engine's file-digest analyzer records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFile {
    /// Index of the layer it comes from (0 = bottom).
    pub layer: usize,
    /// Type, mode, link target and content digest.
    pub record: FileRecord,
}

/// Scan `source` with [`FileDigests::all`] as the only analyzer and return the final view
/// (after whiteouts and opaque directories) with the per-layer analyses it came from.
pub fn engine_view(
    source: &dyn BlobSource,
    options: ScanOptions,
) -> Result<(BTreeMap<String, ViewFile>, Analysis), assure_engine::Error> {
    let scanner = Scanner::new(options).with_analyzers(vec![Arc::new(FileDigests::all())]);
    let analysis = scanner.analyze(source)?;
    let view = final_view(&analysis.layers)
        .into_iter()
        .filter_map(|(path, entry)| {
            let record = entry.result.artifacts.iter().find_map(|a| match a {
                Artifact::File(r) => Some(r.clone()),
                _ => None,
            })?;
            Some((
                path.to_string(),
                ViewFile {
                    layer: entry.layer,
                    record,
                },
            ))
        })
        .collect();
    Ok((view, analysis))
}
