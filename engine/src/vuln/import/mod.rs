//! Reading advisory feeds: OSV JSON or YAML and the native formats of Debian's security tracker,
//! Alpine's secdb, RustSec, the Node.js security WG and CISA's KEV catalog — alone, in
//! directories, or in `.zip`, `.tar`, `.tar.gz` and `.tar.zst` archives (as OSV and the shared
//! data publish them), and single files compressed with gzip or zstd.
//!
//! Each format is one module behind [`Format`]; [`FORMATS`] is the list a file is offered to.

mod alpine;
mod blocklist;
mod debian;
mod feodo;
mod ipsum;
mod kev;
mod nodejs_wg;
mod osv;
mod rustsec;
mod urlhaus;

use crate::error::{Error, Result};
use crate::vuln::advisory::Advisory;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// One advisory file larger than this is not an advisory file.
const MAX_RECORD: u64 = 64 << 20;
/// Directories deeper than this are not advisory trees.
const MAX_DEPTH: usize = 16;
/// Skipped records named in the summary; the rest are counted.
const MAX_NAMED: usize = 20;

/// A CVE known to be exploited in the wild (CISA KEV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploited {
    /// The CVE id.
    pub cve: String,
    /// Where this comes from (`CISA KEV`).
    pub source: String,
    /// When it was added to the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_added: Option<String>,
    /// Whether it is known to be used in ransomware campaigns.
    #[serde(default)]
    pub ransomware: bool,
}

/// One thing a feed says.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A vulnerability or malicious-package advisory.
    Advisory(Box<Advisory>),
    /// A CVE exploited in the wild.
    Exploited(Exploited),
    /// A URL, IP, network or host a threat feed lists.
    Indicator(crate::threat::ThreatEntry),
}

/// What one file holds: records, each usable or the reason it is not.
type Parsed = Vec<std::result::Result<Record, String>>;

/// One advisory file format.
trait Format: Sync {
    /// Whether the file `name` holding `bytes` is in this format (judged from its start).
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool;
    /// The file's records; `Err` when the whole file is unusable.
    fn parse(&self, name: &str, bytes: &[u8]) -> std::result::Result<Parsed, String>;
}

/// Formats in the order a file is offered to them; OSV takes the JSON and YAML left over.
const FORMATS: &[&dyn Format] = &[
    &kev::Kev,
    &nodejs_wg::NodejsWg,
    &rustsec::RustSec,
    &alpine::AlpineSecdb,
    &debian::DebianList,
    &feodo::Feodo,
    &urlhaus::Urlhaus,
    &ipsum::Ipsum,
    &osv::Osv,
    &blocklist::Blocklist,
];

/// What an import read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportStats {
    /// Advisory files read.
    pub files: u64,
    /// Advisories accepted.
    pub records: u64,
    /// Known-exploited entries accepted.
    pub exploited: u64,
    /// Threat-feed indicators accepted.
    pub indicators: u64,
    /// Files of no known format, or holding nothing that applies to an image's packages.
    pub ignored: u64,
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

/// Whether a file name can hold records (the formats decide from its content).
fn is_candidate(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let file = n.rsplit('/').next().unwrap_or(&n);
    !file.starts_with('.')
        && ([
            ".json", ".yaml", ".yml", ".md", ".txt", ".csv", ".ipset", ".netset", ".list",
        ]
        .iter()
        .any(|e| file.ends_with(e))
            || file == "list")
}

/// Read every record under `path`, handing each to `sink`. Malformed records are counted
/// and skipped; an unreadable file or a corrupt archive is an error naming it.
pub fn read_path(
    path: &Path,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    read_path_at(path, 0, stats, sink)
}

fn read_path_at(
    path: &Path,
    depth: usize,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Record) -> Result<()>,
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
            if p.is_dir() || is_candidate(&name) || is_archive(&name) {
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
    if let Some(inner) = lower.strip_suffix(".zst") {
        let dec = zstd::stream::read::Decoder::new(file).map_err(|e| Error::io(&shown, e))?;
        let bytes = crate::source::read_capped(dec, MAX_RECORD, &shown)?;
        return record(&shown, inner, &bytes, stats, sink);
    }
    if let Some(inner) = lower.strip_suffix(".gz") {
        let dec = flate2::read::MultiGzDecoder::new(BufReader::new(file));
        let bytes = crate::source::read_capped(dec, MAX_RECORD, &shown)?;
        return record(&shown, inner, &bytes, stats, sink);
    }
    let bytes = crate::source::read_capped(file, MAX_RECORD, &shown)?;
    record(&shown, &lower, &bytes, stats, sink)
}

fn is_archive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        ".zip",
        ".tar",
        ".tar.gz",
        ".tgz",
        ".tar.zst",
        ".tzst",
        ".json.zst",
        ".json.gz",
    ]
    .iter()
    .any(|e| n.ends_with(e))
}

/// Offer one file's bytes to the formats. `shown` names it in messages; `kind` is the name
/// its format is judged by (without a compression suffix).
fn record(
    shown: &str,
    kind: &str,
    bytes: &[u8],
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let Some(format) = FORMATS.iter().find(|f| f.sniff(kind, bytes)) else {
        stats.ignored += 1;
        return Ok(());
    };
    stats.files += 1;
    let parsed = match format.parse(kind, bytes) {
        Ok(p) => p,
        Err(why) => {
            stats.skip(shown, &why);
            return Ok(());
        }
    };
    if parsed.is_empty() {
        stats.ignored += 1;
    }
    for item in parsed {
        match item {
            Ok(r) => {
                match &r {
                    Record::Advisory(_) => stats.records += 1,
                    Record::Exploited(_) => stats.exploited += 1,
                    Record::Indicator(_) => stats.indicators += 1,
                }
                sink(r)?;
            }
            Err(why) => stats.skip(shown, &why),
        }
    }
    Ok(())
}

fn read_tar(
    reader: impl Read,
    shown: &str,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| Error::invalid(shown, format!("not a tar archive: {e}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| Error::invalid(shown, format!("corrupt archive: {e}")))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !entry.header().entry_type().is_file() || !is_candidate(&name) {
            continue;
        }
        let member = format!("{shown}: {name}");
        let bytes = crate::source::read_capped(&mut entry, MAX_RECORD, &member)?;
        record(&member, &name.to_ascii_lowercase(), &bytes, stats, sink)?;
    }
    Ok(())
}

fn read_zip(
    file: File,
    shown: &str,
    stats: &mut ImportStats,
    sink: &mut dyn FnMut(Record) -> Result<()>,
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
        if !entry.is_file() || !is_candidate(&name) {
            continue;
        }
        let member = format!("{shown}: {name}");
        let bytes = crate::source::read_capped(&mut entry, MAX_RECORD, &member)?;
        record(&member, &name.to_ascii_lowercase(), &bytes, stats, sink)?;
    }
    Ok(())
}

/// Parse JSON or YAML by the file name's extension.
fn structured(name: &str, bytes: &[u8]) -> std::result::Result<serde_json::Value, String> {
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        serde_norway::from_slice(bytes).map_err(|e| format!("invalid YAML: {e}"))
    } else {
        serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))
    }
}

/// Whether a JSON file mentions every one of `keys` as an object key in its first 16 KiB.
fn json_has_keys(name: &str, bytes: &[u8], keys: &[&str]) -> bool {
    let head = &bytes[..bytes.len().min(16 << 10)];
    name.ends_with(".json")
        && keys.iter().all(|k| {
            let quoted = format!("\"{k}\"");
            head.windows(quoted.len()).any(|w| w == quoted.as_bytes())
        })
}

/// A range `introduced 0 → fixed`, or open when there is no fix.
fn fixed_range(fixed: Option<&str>) -> crate::vuln::advisory::Range {
    use crate::vuln::advisory::{Event, Range};
    let mut events = vec![Event::Introduced("0".into())];
    if let Some(f) = fixed {
        events.push(Event::Fixed(f.to_string()));
    }
    Range {
        kind: "ECOSYSTEM".into(),
        events,
    }
}
