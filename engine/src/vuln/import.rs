//! Reading advisory files: OSV JSON or YAML, alone, in directories, or in `.zip`, `.tar`,
//! `.tar.gz` and `.tar.zst` archives (as OSV and the shared data publish them).

use crate::error::{Error, Result};
use crate::vuln::advisory::Advisory;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// One advisory file larger than this is not an advisory.
const MAX_RECORD: u64 = 16 << 20;
/// Directories deeper than this are not advisory trees.
const MAX_DEPTH: usize = 16;
/// Skipped records named in the summary; the rest are counted.
const MAX_NAMED: usize = 20;

/// What an import read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportStats {
    /// Advisory files read.
    pub files: u64,
    /// Advisories accepted.
    pub records: u64,
    /// Records skipped as malformed.
    pub skipped: u64,
    /// The first skipped records: `file: reason`.
    pub skipped_named: Vec<String>,
}

impl ImportStats {
    fn skip(&mut self, name: &str, why: &str) {
        self.skipped += 1;
        if self.skipped_named.len() < MAX_NAMED {
            self.skipped_named.push(format!("{name}: {why}"));
        }
    }
}

fn is_record(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    (n.ends_with(".json") || n.ends_with(".yaml") || n.ends_with(".yml"))
        && !n.rsplit('/').next().is_some_and(|f| f.starts_with('.'))
}

/// Read every advisory under `path`, handing each to `sink`. Malformed records are counted
/// and skipped; an unreadable file or a corrupt archive is an error naming it.
pub fn read_path(
    path: &Path,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Advisory) -> Result<()>,
) -> Result<()> {
    read_path_at(path, 0, stats, sink)
}

fn read_path_at(
    path: &Path,
    depth: usize,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Advisory) -> Result<()>,
) -> Result<()> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(&shown, e))?;
    if meta.is_dir() {
        if depth > MAX_DEPTH {
            return Err(Error::invalid(shown, "directories nested too deep"));
        }
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Error::io(&shown, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let name = p.to_string_lossy();
            if p.is_dir() || is_record(&name) || is_archive(&name) {
                read_path_at(&p, depth + 1, stats, sink)?;
            }
        }
        return Ok(());
    }
    let lower = shown.to_ascii_lowercase();
    let file = File::open(path).map_err(|e| Error::io(&shown, e))?;
    if lower.ends_with(".zip") {
        return read_zip(file, &shown, stats, sink);
    }
    if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        return read_tar(
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
            &shown,
            stats,
            sink,
        );
    }
    if lower.ends_with(".tar.zst") || lower.ends_with(".tzst") {
        let dec = zstd::stream::read::Decoder::new(file).map_err(|e| Error::io(&shown, e))?;
        return read_tar(dec, &shown, stats, sink);
    }
    if lower.ends_with(".tar") {
        return read_tar(BufReader::new(file), &shown, stats, sink);
    }
    let bytes = crate::source::read_capped(file, MAX_RECORD, &shown)?;
    record(&shown, &bytes, stats, sink)
}

fn is_archive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".zip", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst"]
        .iter()
        .any(|e| n.ends_with(e))
}

/// Parse one file's bytes: a record, or an array of records.
fn record(
    name: &str,
    bytes: &[u8],
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Advisory) -> Result<()>,
) -> Result<()> {
    stats.files += 1;
    let lower = name.to_ascii_lowercase();
    let value: serde_json::Value = if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        match serde_norway::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                stats.skip(name, &format!("invalid YAML: {e}"));
                return Ok(());
            }
        }
    } else {
        match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                stats.skip(name, &format!("invalid JSON: {e}"));
                return Ok(());
            }
        }
    };
    let items = match value {
        serde_json::Value::Array(items) => items,
        v => vec![v],
    };
    for item in &items {
        match Advisory::from_osv(item) {
            Ok(a) => {
                stats.records += 1;
                sink(a)?;
            }
            Err(why) => stats.skip(name, &why),
        }
    }
    Ok(())
}

fn read_tar(
    reader: impl Read,
    shown: &str,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Advisory) -> Result<()>,
) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| Error::invalid(shown, format!("not a tar archive: {e}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| Error::invalid(shown, format!("corrupt archive: {e}")))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !entry.header().entry_type().is_file() || !is_record(&name) {
            continue;
        }
        let member = format!("{shown}: {name}");
        let bytes = crate::source::read_capped(&mut entry, MAX_RECORD, &member)?;
        record(&member, &bytes, stats, sink)?;
    }
    Ok(())
}

fn read_zip(
    file: File,
    shown: &str,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Advisory) -> Result<()>,
) -> Result<()> {
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| Error::invalid(shown, format!("corrupt zip archive: {e}")))?;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Error::invalid(shown, format!("corrupt zip archive: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| Error::invalid(shown, format!("corrupt zip entry name: {e}")))?
            .to_string();
        if !entry.is_file() || !is_record(&name) {
            continue;
        }
        let member = format!("{shown}: {name}");
        let bytes = crate::source::read_capped(&mut entry, MAX_RECORD, &member)?;
        record(&member, &bytes, stats, sink)?;
    }
    Ok(())
}
