//! rpm: the package database in the three formats images carry — SQLite (rpm ≥ 4.16: Fedora,
//! RHEL 9, CBL-Mariner 2), NDB (SUSE) and Berkeley DB hash (RHEL/CentOS 7–8, Amazon Linux 2).
//!
//! Every format stores one rpm header blob per installed package; the format readers only find
//! the blobs, [`header`] decodes them. The format is told by the file's first bytes, not its name.

pub mod bdb;
mod bytes;
pub mod header;
pub mod ndb;
pub mod sqlite;

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;
use header::Header;
use thiserror::Error;

/// A package database larger than this is not read.
pub const MAX_DB: u64 = 512 << 20;

/// Where rpm keeps its database: the classic place, and where newer distributions moved it
/// (with `/var/lib/rpm` left as a symlink).
const DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
/// The database file of each format.
const FILES: [&str; 3] = ["rpmdb.sqlite", "Packages.db", "Packages"];
/// The write-ahead log of the SQLite database.
const WAL: &str = "rpmdb.sqlite-wal";

/// The on-disk format of an rpm database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `rpmdb.sqlite`.
    Sqlite,
    /// `Packages.db`.
    Ndb,
    /// `Packages`.
    Bdb,
}

impl Format {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Sqlite => "SQLite",
            Format::Ndb => "NDB",
            Format::Bdb => "Berkeley DB",
        }
    }
}

/// Why a database could not be read at all.
#[derive(Debug, Error)]
pub enum DbError {
    /// The file starts like none of the formats.
    #[error("not an rpm database (unrecognised file header)")]
    Unrecognised,
    /// SQLite refused the file or the query.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database's own structure is broken.
    #[error("{} rpm database: {what}", .format.name())]
    Malformed {
        /// Which reader found it.
        format: Format,
        /// What is wrong, in plain words.
        what: String,
    },
}

impl DbError {
    /// A structural problem of a `format` database.
    pub fn malformed(format: Format, what: impl Into<String>) -> DbError {
        DbError::Malformed {
            format,
            what: what.into(),
        }
    }
}

/// Receives each package's header blob, or why a record was skipped.
pub type Sink<'a> = dyn FnMut(Result<&[u8], String>) + 'a;

/// What a database held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// The format it was read as.
    pub format: Format,
    /// The packages whose headers could be read.
    pub headers: Vec<Header>,
    /// Records skipped or damaged, in plain words.
    pub problems: Vec<String>,
}

/// The format `db` is in, from its first bytes.
pub fn detect(db: &[u8]) -> Option<Format> {
    if db.starts_with(sqlite::MAGIC) {
        Some(Format::Sqlite)
    } else if ndb::is_ndb(db) {
        Some(Format::Ndb)
    } else if bdb::is_hash(db) {
        Some(Format::Bdb)
    } else {
        None
    }
}

/// The package headers of an rpm database in any of the three formats.
///
/// Records that do not parse are skipped and named in `problems`; an `Err` means nothing could
/// be read.
pub fn read_headers(db: &[u8]) -> Result<Headers, DbError> {
    let format = detect(db).ok_or(DbError::Unrecognised)?;
    let mut headers = Vec::new();
    let mut problems = Vec::new();
    let mut sink = |record: Result<&[u8], String>| match record
        .and_then(|blob| header::parse(blob).map_err(|e| format!("package header: {e}")))
    {
        Ok(h) => headers.push(h),
        Err(p) => problems.push(p),
    };
    let outcome = match format {
        Format::Sqlite => sqlite::read(db, &mut sink),
        Format::Ndb => ndb::read(db, &mut sink),
        Format::Bdb => bdb::read(db, &mut sink),
    };
    if let Err(e) = outcome {
        if headers.is_empty() && problems.is_empty() {
            return Err(e);
        }
        // Keep what was read before the database broke off.
        problems.push(e.to_string());
    }
    Ok(Headers {
        format,
        headers,
        problems,
    })
}

/// The inventory record of an installed rpm.
pub fn package(h: &Header) -> Package {
    let source = h
        .source_rpm
        .as_deref()
        .and_then(split_source_rpm)
        .map(|(n, v)| (n.to_string(), v.to_string()));
    Package {
        name: h.name.clone(),
        version: h.evr(),
        kind: "rpm".into(),
        purl: None,
        licenses: h.license.iter().cloned().collect(),
        source_name: source.as_ref().map(|(n, _)| n.clone()),
        source_version: source.map(|(_, v)| v),
        arch: h.arch.clone(),
        layer: None,
        path: None,
    }
}

/// `openssl-3.0.7-1.el9.src.rpm` → (`openssl`, `3.0.7-1.el9`).
pub fn split_source_rpm(file: &str) -> Option<(&str, &str)> {
    let nvr = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    // The version-release pair is the tail of the string after `name-`.
    nvr.get(name.len() + 1..).map(|vr| (name, vr))
}

/// Reads the rpm database.
pub struct RpmAnalyzer;

/// The file name of `path` when it is directly inside one of rpm's database directories.
fn db_file(path: &str) -> Option<&str> {
    DIRS.iter().find_map(|dir| path.strip_prefix(dir))
}

fn is_db(path: &str) -> bool {
    db_file(path).is_some_and(|name| FILES.contains(&name))
}

/// SQLite's write-ahead log beside `rpmdb.sqlite`: only its size matters.
fn is_wal(path: &str) -> bool {
    db_file(path) == Some(WAL)
}

impl Analyzer for RpmAnalyzer {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        if is_db(&entry.path) {
            Some(Want::Content(MAX_DB))
        } else {
            is_wal(&entry.path).then_some(Want::Meta)
        }
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !is_file(entry) {
            return Ok(Vec::new());
        }
        if is_wal(&entry.path) {
            // rpm checkpoints on close and leaves the log empty; a non-empty one holds changes
            // the database file does not have yet.
            return Ok(if entry.size > 0 {
                vec![Artifact::Warning(format!(
                    "/{}: {} bytes of changes not yet written to the rpm database; packages installed or removed last may be misreported",
                    entry.path, entry.size
                ))]
            } else {
                Vec::new()
            });
        }
        if truncated {
            return Err(format!(
                "/{}: {} bytes, over the read limit (only {} read); a partial rpm database is not parsed",
                entry.path,
                entry.size,
                content.len()
            ));
        }
        // Images that drop the database sometimes leave an empty file behind.
        if content.is_empty() {
            return Ok(Vec::new());
        }
        let read = read_headers(content).map_err(|e| format!("/{}: {e}", entry.path))?;
        let packages = read.headers.iter().map(package).collect();
        let mut out = vec![Artifact::Packages(packages)];
        if let Some(first) = read.problems.first() {
            out.push(Artifact::Warning(format!(
                "/{}: {} rpm database records skipped or damaged (first: {first})",
                entry.path,
                read.problems.len()
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> EntryMeta {
        EntryMeta::file(path, 0o644, 0)
    }

    #[test]
    fn wants_the_database_files_only() {
        let a = RpmAnalyzer;
        for p in [
            "var/lib/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            "var/lib/rpm/Packages",
            "usr/lib/sysimage/rpm/Packages.db",
        ] {
            assert_eq!(a.wants(&entry(p)), Some(Want::Content(MAX_DB)), "{p}");
        }
        assert_eq!(
            a.wants(&entry("var/lib/rpm/rpmdb.sqlite-wal")),
            Some(Want::Meta)
        );
        for p in [
            "var/lib/rpm/Name",
            "var/lib/rpm/rpmdb.sqlite-shm",
            "var/lib/rpm/x/Packages",
            "srv/var/lib/rpm/Packages",
        ] {
            assert_eq!(a.wants(&entry(p)), None, "{p}");
        }
    }

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            split_source_rpm("openssl-3.0.7-1.el9.src.rpm"),
            Some(("openssl", "3.0.7-1.el9"))
        );
        assert_eq!(
            split_source_rpm("python3-pip-21.2.3-6.el9.nosrc.rpm"),
            Some(("python3-pip", "21.2.3-6.el9"))
        );
        assert_eq!(split_source_rpm("(none)"), None);
        assert_eq!(split_source_rpm("a-1.src.rpm"), None);
        assert_eq!(split_source_rpm("-1-2.src.rpm"), None);
    }

    #[test]
    fn package_records() {
        let h = Header {
            name: "openssl-libs".into(),
            epoch: Some(1),
            version: "3.0.7".into(),
            release: "1.el9".into(),
            arch: Some("x86_64".into()),
            license: Some("Apache-2.0".into()),
            source_rpm: Some("openssl-3.0.7-1.el9.src.rpm".into()),
        };
        let p = package(&h);
        assert_eq!(p.version, "1:3.0.7-1.el9");
        assert_eq!(p.kind, "rpm");
        assert_eq!(p.licenses, vec!["Apache-2.0".to_string()]);
        assert_eq!(p.source_name.as_deref(), Some("openssl"));
        assert_eq!(p.source_version.as_deref(), Some("3.0.7-1.el9"));
        assert_eq!(p.arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn unreadable_content_is_an_error_not_a_panic() {
        let a = RpmAnalyzer;
        let e = entry("var/lib/rpm/Packages");
        assert!(a.analyze(&e, b"garbage", false).is_err());
        assert!(a.analyze(&e, b"garbage", true).is_err());
        assert_eq!(a.analyze(&e, b"", false), Ok(Vec::new()));
    }

    #[test]
    fn a_non_empty_wal_is_a_warning() {
        let a = RpmAnalyzer;
        let mut wal = entry("usr/lib/sysimage/rpm/rpmdb.sqlite-wal");
        assert_eq!(a.analyze(&wal, b"", false), Ok(Vec::new()));
        wal.size = 32768;
        assert!(matches!(
            a.analyze(&wal, b"", false).as_deref(),
            Ok([Artifact::Warning(_)])
        ));
    }
}
