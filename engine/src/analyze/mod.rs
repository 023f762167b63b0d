//! Analyzers (the fanal pattern): each declares the files it wants and a version; the walk of a
//! layer hands it those files; its results are cached per layer.
//!
//! Adding an analyzer is one file and one line in [`default_analyzers`].

pub mod files;
pub mod layer;
pub mod os;

use crate::layer::walk::{EntryKind, EntryMeta};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;

pub use layer::{LayerAnalysis, PathResult};

/// What an analyzer wants of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The metadata only (type, mode, link target).
    Meta,
    /// The content, up to this many bytes (further capped by the scan's per-file limit).
    Content(u64),
}

/// One kind of analysis of the files of a layer.
pub trait Analyzer: Send + Sync {
    /// A stable name, used in cache keys and notes.
    fn name(&self) -> &'static str;
    /// Bumped whenever the analyzer's output changes, so cached layers are re-read.
    fn version(&self) -> u32;
    /// Whether (and how much of) this entry the analyzer wants; `None` for most entries.
    fn wants(&self, entry: &EntryMeta) -> Option<Want>;
    /// Whether this analyzer may want something below the directory `dir`: a non-directory
    /// there (a symlink replacing `etc`, say) must then take part in the merge, to hide what
    /// lower layers had below it. Analyzers of fixed paths answer with [`below_any`].
    fn may_want_below(&self, _dir: &str) -> bool {
        false
    }
    /// Analyse one wanted entry. An `Err` is recorded as a note and the scan goes on.
    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String>;
}

/// A result of analysing one file, cached with its layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Artifact {
    /// OS identification from `os-release` and friends.
    OsRelease(os::OsRelease),
    /// A file's metadata and content digest.
    File(files::FileRecord),
    /// Installed packages recorded in a package database or manifest.
    Packages(Vec<crate::report::Package>),
    /// Licences a file states for the package it belongs to (Debian copyright files).
    Licenses(Vec<String>),
    /// Paths a package database says its packages installed (dpkg's `info/*.list`).
    PackagedPaths(Vec<String>),
    /// A problem a content detector found in the file.
    Detection(crate::detect::Detection),
    /// Public URLs and IP addresses in the file, matched against threat feeds at report time.
    Indicators(Vec<crate::threat::indicator::Indicator>),
    /// Something the user should know: a malformed record skipped, a limit reached.
    Warning(String),
}

/// The analyzers every scan runs, in order.
pub fn default_analyzers() -> Vec<Arc<dyn Analyzer>> {
    vec![
        Arc::new(os::OsAnalyzer),
        Arc::new(crate::inventory::dpkg::DpkgAnalyzer),
        Arc::new(crate::inventory::deb_copyright::DebCopyrightAnalyzer),
        Arc::new(crate::inventory::apk::ApkAnalyzer),
        Arc::new(crate::inventory::gem::GemAnalyzer),
        Arc::new(crate::inventory::composer::ComposerAnalyzer),
        Arc::new(crate::inventory::dotnet::DotnetAnalyzer),
        Arc::new(crate::inventory::rpm::RpmAnalyzer),
        Arc::new(crate::inventory::python::PythonAnalyzer),
        Arc::new(crate::inventory::npm::NpmAnalyzer),
        Arc::new(crate::inventory::gobin::GoBinaryAnalyzer),
        Arc::new(crate::inventory::rustbin::RustBinaryAnalyzer),
        Arc::new(crate::inventory::java::JavaAnalyzer),
        Arc::new(crate::threat::extract::IndicatorAnalyzer),
        Arc::new(crate::detect::insecure::InsecureAnalyzer::new(
            crate::detect::insecure::builtin_rules(),
        )),
        Arc::new(crate::detect::secret::SecretAnalyzer::builtin()),
    ]
}

/// A short hash of analyzer names and versions: part of every layer's cache key.
pub fn set_version(analyzers: &[Arc<dyn Analyzer>]) -> String {
    let mut h = Sha256::new();
    for a in analyzers {
        h.update(format!("{}:{};", a.name(), a.version()));
    }
    hex::encode(&h.finalize()[..8])
}

/// Whether `dir` is a proper ancestor of one of `paths`.
pub fn below_any(dir: &str, paths: &[&str]) -> bool {
    paths.iter().any(|f| {
        f.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// For analyzers that need a whole file: `Ok(false)` for entries without content (a symlink
/// in its place), an error when the file was larger than `limit` and so not read whole.
pub fn whole_file(entry: &EntryMeta, truncated: bool, limit: u64) -> Result<bool, String> {
    if !is_file(entry) {
        return Ok(false);
    }
    if truncated {
        return Err(format!(
            "/{}: larger than {limit} bytes, not read",
            entry.path
        ));
    }
    Ok(true)
}

/// What executable analyzers want: regular files with an execute bit, up to `max` bytes.
pub fn wants_executable(entry: &EntryMeta, max: u64) -> Option<Want> {
    (entry.kind == EntryKind::File && entry.mode & 0o111 != 0 && entry.size <= max)
        .then_some(Want::Content(max))
}

/// Whether an entry kind has content.
pub fn is_file(entry: &EntryMeta) -> bool {
    entry.kind == EntryKind::File
}
