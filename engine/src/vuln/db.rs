//! The vulnerability database in sled: advisories indexed by ecosystem and package.
//!
//! Every import writes a new generation of trees and switches to it with one write, so a failed
//! import leaves the previous database as it was; the old generation is dropped afterwards.
//!
//! An import stages one entry per (package, advisory) in a temporary database of its own,
//! then packs each package's entries into one value, so matching reads a package's advisories
//! with one lookup. Values follow the layout of [`crate::vuln::index`].

use crate::error::{Error, Result};
use crate::vuln::advisory::Affected;
use crate::vuln::import::{Exploited, ImportStats, Record, read_path};
use crate::vuln::index::{self, AdvisoryRecord, Candidates, Location, SortedSet, StoredAdvisory};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const META: &str = "vuln.meta";
const CURRENT: &str = "current";

/// Version of the database's layout; a database of another version is not read, and the next
/// import rebuilds it. 0: JSON values, one index entry per (package, advisory). 1: the binary
/// layout of [`crate::vuln::index`], one index value per package.
pub const SCHEMA: u32 = 1;

/// What the database holds and when it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    /// Generation number, bumped by every import.
    pub generation: u64,
    /// When the last import finished (RFC 3339).
    pub updated_at: String,
    /// Advisories stored.
    pub advisories: u64,
    /// What was imported, most recent last.
    pub sources: Vec<String>,
    /// The layout version ([`SCHEMA`]) the database was written in; 0 before layouts had one.
    #[serde(default)]
    pub schema: u32,
}

impl DbInfo {
    /// The version string reports carry.
    pub fn version(&self) -> String {
        format!("{}.{}", self.generation, self.advisories)
    }
}

/// The advisory store of a data directory.
pub struct VulnDb {
    db: sled::Db,
    /// Where imports stage their entries; the system's temporary directory when unset.
    staging: Option<PathBuf>,
}

/// The index key of a package: ecosystem family and the name as that ecosystem compares it.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    let family = ecosystem.split(':').next().unwrap_or(ecosystem).trim();
    let mut key = String::with_capacity(family.len() + name.len() + 2);
    key.extend(family.chars().map(|c| c.to_ascii_lowercase()));
    key.push('\0');
    if family.eq_ignore_ascii_case("pypi") {
        key.push_str(&crate::inventory::python::normalize_name(name));
    } else if ["nuget", "packagist", "npm"]
        .iter()
        .any(|f| family.eq_ignore_ascii_case(f))
    {
        key.extend(name.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        key.push_str(name);
    }
    key.push('\0');
    key
}

fn err(e: impl std::fmt::Display) -> Error {
    Error::Cache {
        path: "vulnerability database".into(),
        message: e.to_string(),
    }
}

impl VulnDb {
    /// The database inside an open sled database (the data directory's).
    pub fn new(db: sled::Db) -> Self {
        VulnDb { db, staging: None }
    }

    /// Stage imports in a temporary database under `dir` (the data directory) rather than in
    /// the system's temporary directory.
    pub fn staging_in(mut self, dir: &Path) -> Self {
        self.staging = Some(dir.to_path_buf());
        self
    }

    /// What the database holds, or `None` before the first import.
    pub fn info(&self) -> Result<Option<DbInfo>> {
        let meta = self.db.open_tree(META).map_err(err)?;
        match meta.get(CURRENT).map_err(err)? {
            Some(v) => Ok(serde_json::from_slice(&v).ok()),
            None => Ok(None),
        }
    }

    fn trees(&self, generation: u64) -> Result<Trees> {
        let open = |kind: &str| {
            self.db
                .open_tree(format!("vuln.{generation}.{kind}"))
                .map_err(err)
        };
        Ok(Trees {
            by_pkg: open("pkg")?,
            adv: open("adv")?,
            kev: open("kev")?,
            ind: open("ind")?,
        })
    }

    /// A database of its own for an import into `generation` to stage its entries in,
    /// deleted when dropped. Staged entries are rewritten and then dropped; in the database
    /// itself they would leave garbage behind, and dropping their tree would read every page
    /// of it back into memory.
    fn stage(&self, generation: u64) -> Result<(sled::Db, PathBuf)> {
        if let Some(dir) = &self.staging {
            // What an import stopped midway left behind; the data directory is this
            // process's alone while it holds the database open.
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if e.file_name().to_string_lossy().starts_with(STAGE_PREFIX) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = self.staging.clone().unwrap_or_else(std::env::temp_dir);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!(
            "{STAGE_PREFIX}{}-{generation}-{nanos}.sled",
            std::process::id()
        ));
        sled::Config::new()
            .path(&path)
            .temporary(true)
            .cache_capacity(STAGE_CACHE)
            // Nothing staged needs to survive the process.
            .flush_every_ms(None)
            .open()
            .map(|db| (db, path.clone()))
            .map_err(|e| Error::Cache {
                path: path.display().to_string(),
                message: e.to_string(),
            })
    }

    fn drop_generation(&self, generation: u64) {
        for kind in TREES {
            let _ = self.db.drop_tree(format!("vuln.{generation}.{kind}"));
        }
    }

    /// Import advisories from `paths` into a new generation (previous advisories are kept;
    /// a record with the same id replaces the old one).
    pub fn import(&self, paths: &[PathBuf]) -> Result<(DbInfo, ImportStats)> {
        let named: Vec<(PathBuf, String)> = paths
            .iter()
            .map(|p| (p.clone(), p.display().to_string()))
            .collect();
        self.import_named(&named)
    }

    /// [`import`](Self::import), recording each input under a name of its own (the URL a
    /// downloaded archive came from) in the database's source list.
    pub fn import_named(&self, inputs: &[(PathBuf, String)]) -> Result<(DbInfo, ImportStats)> {
        let previous = self.info()?;
        let generation = previous.as_ref().map_or(1, |p| p.generation + 1);
        // A database in another layout cannot be carried over: this import rebuilds it from
        // its own inputs alone.
        let carried = previous.as_ref().filter(|p| p.schema == SCHEMA);
        if let Some(p) = previous.as_ref().filter(|p| p.schema != SCHEMA) {
            tracing::warn!(
                layout = p.schema,
                current = SCHEMA,
                "the vulnerability database is in another layout; rebuilding it from this import alone"
            );
        }
        let trees = self.trees(generation)?;
        let (stage, stage_path) = self.stage(generation)?;
        let result = (|| -> Result<ImportStats> {
            for new in trees.all() {
                new.clear().map_err(err)?;
            }
            if let Some(p) = carried {
                let old = self.trees(p.generation)?;
                for (from, to) in [
                    (&old.adv, &trees.adv),
                    (&old.kev, &trees.kev),
                    (&old.ind, &trees.ind),
                ] {
                    for kv in from.iter() {
                        let (k, v) = kv.map_err(err)?;
                        to.insert(k, v).map_err(err)?;
                    }
                }
                // Unpack the previous index into one staged entry per (package, advisory), so
                // that records of this import replace theirs.
                for kv in old.by_pkg.iter() {
                    let (k, v) = kv.map_err(err)?;
                    let candidates = Candidates::new(Some(v)).map_err(|_| malformed(&k))?;
                    for c in candidates.iter() {
                        let mut key = k.to_vec();
                        key.extend_from_slice(c.id.as_bytes());
                        stage.insert(key, c.staged()).map_err(err)?;
                    }
                }
            }
            let mut stats = ImportStats::default();
            for (path, _) in inputs {
                read_path(path, &mut stats, &mut |r| store(&trees, &stage, r))?;
            }
            pack(&stage, &trees.by_pkg, &trees.adv)?;
            list_exploited(&trees.kev)?;
            Ok(stats)
        })();
        // sled removes a temporary database when its last handle, possibly held by one of its
        // threads, goes; removing it here makes that happen before the import returns.
        drop(stage);
        let _ = std::fs::remove_dir_all(&stage_path);
        let stats = match result {
            Ok(s) => s,
            Err(e) => {
                self.drop_generation(generation);
                return Err(e);
            }
        };
        let mut sources = carried.map(|p| p.sources.clone()).unwrap_or_default();
        for (_, name) in inputs {
            sources.retain(|s| s != name);
            sources.push(name.clone());
        }
        let info = DbInfo {
            generation,
            updated_at: crate::report::sbom::now(),
            advisories: trees.adv.len() as u64,
            sources,
            schema: SCHEMA,
        };
        let meta = self.db.open_tree(META).map_err(err)?;
        meta.insert(CURRENT, serde_json::to_vec(&info).map_err(err)?)
            .map_err(err)?;
        self.db.flush().map_err(err)?;
        if let Some(p) = previous {
            self.drop_generation(p.generation);
        }
        Ok((info, stats))
    }

    /// A consistent view of the current generation for matching, or `None` before the first
    /// import. Later imports do not change what a snapshot sees. A database in another layout
    /// is an error that says how to rebuild it.
    pub fn snapshot(&self) -> Result<Option<Snapshot>> {
        let Some(info) = self.info()? else {
            return Ok(None);
        };
        if info.schema != SCHEMA {
            return Err(err(format!(
                "written in layout {} and this assure reads layout {SCHEMA}; run `assure db update` (or `assure db import`) to rebuild it",
                info.schema
            )));
        }
        let trees = self.trees(info.generation)?;
        Ok(Some(Snapshot { info, trees }))
    }
}

/// One generation of the database, opened once for many lookups.
pub struct Snapshot {
    /// What the generation holds.
    pub info: DbInfo,
    trees: Trees,
}

impl Snapshot {
    /// The advisories about `name` in `ecosystem` (any release), each with its affected entries
    /// for that package, read with one lookup. The advisories themselves are read only on a
    /// hit, with [`advisory`](Self::advisory).
    pub fn candidates(&self, ecosystem: &str, name: &str) -> Result<Candidates> {
        self.candidates_at(&package_key(ecosystem, name))
    }

    /// [`candidates`](Self::candidates) by the package's [`package_key`].
    pub fn candidates_at(&self, key: &str) -> Result<Candidates> {
        let value = self.trees.by_pkg.get(key.as_bytes()).map_err(err)?;
        Candidates::new(value).map_err(|_| malformed(key.as_bytes()))
    }

    /// The advisory `id`, without its affected entries, with its CVSS score.
    pub fn advisory(&self, id: &str) -> Result<Option<StoredAdvisory>> {
        Ok(self.advisory_record(id)?.map(|r| r.to_stored()))
    }

    /// The advisory `id` as stored, read once for many findings.
    pub fn advisory_record(&self, id: &str) -> Result<Option<AdvisoryRecord>> {
        let Some(value) = self.trees.adv.get(id.as_bytes()).map_err(err)? else {
            return Ok(None);
        };
        let bad = |_| malformed(id.as_bytes());
        match index::locate(&value).map_err(bad)? {
            Location::Here => AdvisoryRecord::decode(&value).map(Some).map_err(bad),
            Location::With(key) => {
                let candidates = self.candidates_at(key)?;
                match candidates.iter().find(|c| c.id == id) {
                    Some(c) => c.advisory().map_err(bad),
                    None => Ok(None),
                }
            }
        }
    }

    /// The CVE ids of the known-exploited catalogs, read with one lookup: cheaper than one
    /// lookup per CVE when many are checked. `None` when the database does not hold the list.
    pub fn exploited_ids(&self) -> Result<Option<ExploitedIds>> {
        let Some(value) = self.trees.kev.get(EXPLOITED_IDS).map_err(err)? else {
            return Ok(None);
        };
        SortedSet::from_value(&value).map_err(|_| malformed(EXPLOITED_IDS))?;
        Ok(Some(ExploitedIds(value)))
    }

    /// The error for an index value of `name` in `ecosystem` that does not follow the layout.
    pub(crate) fn malformed(&self, ecosystem: &str, name: &str) -> Error {
        malformed(package_key(ecosystem, name).as_bytes())
    }

    /// The error for the record of advisory `id` that does not follow the layout.
    pub(crate) fn malformed_record(&self, id: &str) -> Error {
        malformed(id.as_bytes())
    }

    /// Whether `cve` is known to be exploited, and by whose account.
    pub fn exploited(&self, cve: &str) -> Result<Option<Exploited>> {
        get_json(&self.trees.kev, cve)
    }

    /// What a threat feed says about the indicator with key `key`, if any lists it.
    pub fn indicator(&self, key: &str) -> Result<Option<crate::threat::ThreatEntry>> {
        get_json(&self.trees.ind, key)
    }
}

/// The CVE ids of the known-exploited catalogs ([`Snapshot::exploited_ids`]).
pub struct ExploitedIds(sled::IVec);

impl ExploitedIds {
    /// Whether `cve` is listed.
    pub fn contains(&self, cve: &str) -> bool {
        // `exploited_ids` checked the value, so it reads as a set.
        SortedSet::from_value(&self.0).is_ok_and(|set| set.contains(cve))
    }
}

fn get_json<T: serde::de::DeserializeOwned>(tree: &sled::Tree, key: &str) -> Result<Option<T>> {
    Ok(tree
        .get(key.as_bytes())
        .map_err(err)?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}

/// The trees of one generation.
struct Trees {
    /// `package_key` → every advisory about the package with its affected entries for it
    /// ([`Candidates`]).
    by_pkg: sled::Tree,
    /// Advisory id → the advisory without its affected entries ([`StoredAdvisory`]).
    adv: sled::Tree,
    /// CVE id → [`Exploited`]; and under [`EXPLOITED_IDS`], every CVE id listed.
    kev: sled::Tree,
    /// Indicator key → [`ThreatEntry`].
    ind: sled::Tree,
}

const TREES: [&str; 4] = ["pkg", "adv", "kev", "ind"];
/// The key of the set of every CVE id in the `kev` tree; no CVE id starts with NUL.
const EXPLOITED_IDS: &[u8] = b"\0ids";
/// The page cache of an import's staging database ([`VulnDb::stage`]), which holds
/// `package_key + advisory id` → that advisory's entries for the package (and its record when
/// kept with it). It is written once and read once in key order, so a small cache does; a
/// larger one only adds to the import's memory.
const STAGE_CACHE: u64 = 1 << 20;
/// How the names of staging databases start.
const STAGE_PREFIX: &str = "assure-import-";

impl Trees {
    fn all(&self) -> [&sled::Tree; 4] {
        [&self.by_pkg, &self.adv, &self.kev, &self.ind]
    }
}

/// The error for a value that does not follow the layout.
fn malformed(key: &[u8]) -> Error {
    err(format!(
        "unreadable entry {:?}; run `assure db update` (or `assure db import`) to rebuild the database",
        String::from_utf8_lossy(key).replace('\0', " ")
    ))
}

/// Store the set of every CVE id in the `kev` tree under [`EXPLOITED_IDS`].
fn list_exploited(kev: &sled::Tree) -> Result<()> {
    let mut ids = Vec::new();
    for k in kev.iter().keys() {
        let k = k.map_err(err)?;
        if k != EXPLOITED_IDS {
            ids.push(String::from_utf8_lossy(&k).into_owned());
        }
    }
    kev.insert(
        EXPLOITED_IDS,
        index::encode_set(ids.iter().map(String::as_str)),
    )
    .map_err(err)?;
    Ok(())
}

/// How large a package's index value may grow with the records kept in it: sled writes a
/// page larger than a quarter of its 512 KiB segments to a file of its own (and a leaf page
/// holds up to 16 values), so the few packages with hundreds of advisories keep theirs in the
/// advisory tree (with the shared data, 8 MiB of 140 MiB end up in such files).
const KEEP_RECORDS_UP_TO: usize = 64 << 10;

/// Pack the staged entries into one index value per package. Staged keys sort by package
/// first, so each package's entries are consecutive and in advisory-id order.
///
/// A staged record is kept only where the advisory's value in `adv` says it is (a later import
/// may have made the advisory about other packages too, or replaced the record), and while
/// the package's value stays under [`KEEP_RECORDS_UP_TO`]; past that, the record goes back
/// to `adv`.
fn pack(stage: &sled::Tree, by_pkg: &sled::Tree, adv: &sled::Tree) -> Result<()> {
    by_pkg.clear().map_err(err)?;
    let mut package: Vec<u8> = Vec::new();
    let mut body = Vec::new();
    let mut count = 0;
    // Records that go back to `adv`, written in id order at the end: written as packages
    // come, they would rewrite the tree's pages over and over.
    let mut returned: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let flush = |package: &[u8], count: usize, body: &[u8]| -> Result<()> {
        if count > 0 {
            by_pkg
                .insert(package, index::finish_candidates(count, body))
                .map_err(err)?;
        }
        Ok(())
    };
    for kv in stage.iter() {
        let (k, v) = kv.map_err(err)?;
        // The package key ends at its last NUL; the advisory id follows.
        let split = k.iter().rposition(|b| *b == 0).map_or(0, |i| i + 1);
        let (key, id) = k.split_at(split);
        if key != package.as_slice() {
            flush(&package, count, &body)?;
            package = key.to_vec();
            body.clear();
            count = 0;
        }
        let (entries, record) = index::split_staged(&v).map_err(|_| malformed(&k))?;
        let record = match record {
            Some(r) => {
                let location = adv.get(id).map_err(err)?;
                let here = location.as_deref().map(index::locate);
                matches!(here, Some(Ok(Location::With(at))) if at.as_bytes() == key).then_some(r)
            }
            None => None,
        };
        let record = match record {
            Some(r) if body.len() + r.len() > KEEP_RECORDS_UP_TO => {
                returned.insert(id.to_vec(), r.to_vec());
                None
            }
            r => r,
        };
        index::push_candidate(&mut body, &String::from_utf8_lossy(id), entries, record);
        count += 1;
    }
    flush(&package, count, &body)?;
    for (id, record) in returned {
        adv.insert(id, record).map_err(err)?;
    }
    Ok(())
}

fn store(trees: &Trees, stage: &sled::Tree, record: Record) -> Result<()> {
    let mut a = match record {
        Record::Advisory(a) => *a,
        Record::Exploited(e) => {
            trees
                .kev
                .insert(e.cve.as_bytes(), serde_json::to_vec(&e).map_err(err)?)
                .map_err(err)?;
            return Ok(());
        }
        Record::Indicator(e) => {
            trees
                .ind
                .insert(e.key.as_bytes(), serde_json::to_vec(&e).map_err(err)?)
                .map_err(err)?;
            return Ok(());
        }
    };
    let adv = &trees.adv;
    let mut per_package: BTreeMap<String, Vec<Affected>> = Default::default();
    for affected in std::mem::take(&mut a.affected) {
        per_package
            .entry(package_key(&affected.ecosystem, &affected.name))
            .or_default()
            .push(affected);
    }
    let record = index::encode_advisory(&a);
    // An advisory about one package is kept with that package's index entries, so a hit
    // reads it with the lookup that found the package; `adv` then says where it is.
    let only = match per_package.keys().next() {
        Some(key) if per_package.len() == 1 && !a.withdrawn => Some(key.clone()),
        _ => None,
    };
    for (key, affected) in per_package {
        let k = format!("{key}{}", a.id);
        // A withdrawn record replaces an earlier version of itself and then matches nothing.
        if a.withdrawn {
            stage.remove(k.as_bytes()).map_err(err)?;
            continue;
        }
        let kept = only.is_some().then_some(record.as_slice());
        stage
            .insert(
                k.as_bytes(),
                index::encode_staged(&index::encode_entries(&affected), kept),
            )
            .map_err(err)?;
    }
    let value = match &only {
        Some(key) => index::encode_kept_with(key),
        None => record,
    };
    adv.insert(a.id.as_bytes(), value).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snapshot after importing `files` into `db`.
    fn imported(db: &VulnDb, files: &[PathBuf]) -> Snapshot {
        db.import(files).expect("import");
        db.snapshot().expect("snapshot").expect("imported")
    }

    /// A database that lives as long as the test.
    fn test_db() -> VulnDb {
        VulnDb::new(sled::Config::new().temporary(true).open().expect("sled"))
    }

    fn osv(dir: &std::path::Path, id: &str, fixed: &str) -> PathBuf {
        osv_about(dir, id, fixed, &["Demo_Pkg"])
    }

    /// An OSV record about PyPI `packages`, fixed in `fixed`, written under `dir`.
    fn osv_about(dir: &std::path::Path, id: &str, fixed: &str, packages: &[&str]) -> PathBuf {
        let sub = dir.join(format!("{id}-{fixed}-{}", packages.join("+")));
        std::fs::create_dir_all(&sub).expect("a directory per version of a record");
        let path = sub.join(format!("{id}.json"));
        let affected: Vec<serde_json::Value> = packages
            .iter()
            .map(|name| {
                serde_json::json!({
                    "package": {"ecosystem": "PyPI", "name": name},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                    "versions": ["0.9", "0.1"]
                })
            })
            .collect();
        let record = serde_json::json!({"id": id, "summary": fixed, "affected": affected});
        std::fs::write(&path, record.to_string()).expect("writing a record");
        path
    }

    /// The summary of `id` as read by id, and whether the index of `package` keeps its record.
    fn placement(snap: &Snapshot, id: &str, package: &str) -> (Option<String>, bool) {
        let summary = snap
            .advisory(id)
            .expect("read")
            .and_then(|a| a.advisory.summary);
        let candidates = snap.candidates("PyPI", package).expect("lookup");
        let kept = candidates
            .iter()
            .find(|c| c.id == id)
            .is_some_and(|c| c.advisory().expect("record").is_some());
        (summary, kept)
    }

    fn fixes(snap: &Snapshot) -> Vec<(String, Vec<String>)> {
        let c = snap.candidates("PyPI", "demo-pkg").expect("lookup");
        c.iter()
            .map(|c| {
                let fixed = c
                    .affected()
                    .flat_map(|a| a.expect("entry").fixes().ordered().collect::<Vec<_>>())
                    .map(|e| e.text.to_string())
                    .collect();
                (c.id.to_string(), fixed)
            })
            .collect()
    }

    #[test]
    fn imports_replace_records_and_keep_the_others() {
        let dir = tempfile::tempdir().expect("tempdir");
        let staging = tempfile::tempdir().expect("tempdir");
        let db = test_db().staging_in(staging.path());
        db.import(&[
            osv(dir.path(), "PYSEC-1", "1.0"),
            osv(dir.path(), "PYSEC-2", "2.0"),
        ])
        .expect("first import");
        let snap = imported(&db, &[osv(dir.path(), "PYSEC-2", "2.1")]);
        assert_eq!(snap.info.schema, SCHEMA);
        assert_eq!(
            fixes(&snap),
            [
                ("PYSEC-1".to_string(), vec!["1.0".to_string()]),
                ("PYSEC-2".to_string(), vec!["2.1".to_string()])
            ]
        );
        let a = snap.advisory("PYSEC-1").expect("read").expect("stored");
        assert_eq!(a.advisory.summary.as_deref(), Some("1.0"));
        assert!(snap.candidates("PyPI", "other").expect("lookup").is_empty());
        // Imports stage outside the database, and remove what they staged (and what an
        // import stopped midway left behind).
        std::fs::create_dir(staging.path().join("assure-import-1-1-1.sled")).expect("mkdir");
        db.import(&[osv(dir.path(), "PYSEC-2", "2.1")])
            .expect("third import");
        assert!(!db.db.tree_names().iter().any(|t| t.ends_with(b"stage")));
        let staged: Vec<_> = std::fs::read_dir(staging.path())
            .expect("listing")
            .collect();
        assert!(staged.is_empty(), "{staged:?}");
    }

    #[test]
    fn a_database_in_another_layout_is_refused_then_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = test_db();
        db.import(&[osv(dir.path(), "PYSEC-1", "1.0")])
            .expect("import");
        // What an older assure wrote: no layout version.
        let meta = db.db.open_tree(META).expect("meta");
        let mut info: serde_json::Value =
            serde_json::from_slice(&meta.get(CURRENT).expect("read").expect("info")).expect("json");
        info.as_object_mut().expect("object").remove("schema");
        meta.insert(CURRENT, info.to_string().as_bytes())
            .expect("write");
        let e = db.snapshot().err().expect("refused").to_string();
        assert!(
            e.contains("layout 0") && e.contains("assure db update"),
            "{e}"
        );
        // The next import starts over from its own inputs.
        let (info, _) = db
            .import(&[osv(dir.path(), "PYSEC-2", "2.0")])
            .expect("rebuild");
        assert_eq!(info.schema, SCHEMA);
        assert_eq!(info.advisories, 1);
        assert_eq!(info.sources.len(), 1);
        let snap = db.snapshot().expect("snapshot").expect("imported");
        assert_eq!(
            fixes(&snap),
            [("PYSEC-2".to_string(), vec!["2.0".to_string()])]
        );
    }

    #[test]
    fn a_record_about_one_package_is_kept_with_it_until_that_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = test_db();
        let p = dir.path();
        let snap = imported(&db, &[osv_about(p, "X", "1.0", &["a"])]);
        assert_eq!(placement(&snap, "X", "a"), (Some("1.0".into()), true));
        // About two packages: the record moves to the advisory tree.
        let snap = imported(&db, &[osv_about(p, "X", "2.0", &["a", "b"])]);
        assert_eq!(placement(&snap, "X", "a"), (Some("2.0".into()), false));
        assert_eq!(placement(&snap, "X", "b"), (Some("2.0".into()), false));
        // About `b` alone: `b` keeps the new record; `a` keeps its earlier entry, which reads
        // the record where `b` keeps it.
        let snap = imported(&db, &[osv_about(p, "X", "3.0", &["b"])]);
        assert_eq!(placement(&snap, "X", "b"), (Some("3.0".into()), true));
        assert_eq!(placement(&snap, "X", "a"), (Some("3.0".into()), false));
        // Back to `a` alone: the record `b` kept is left behind.
        let snap = imported(&db, &[osv_about(p, "X", "4.0", &["a"])]);
        assert_eq!(placement(&snap, "X", "a"), (Some("4.0".into()), true));
        assert_eq!(placement(&snap, "X", "b"), (Some("4.0".into()), false));
    }

    #[test]
    fn known_exploited_ids_are_listed_in_one_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = test_db();
        let kev = dir.path().join("known_exploited_vulnerabilities.json");
        let catalog = serde_json::json!({
            "catalogVersion": "1",
            "vulnerabilities": [
                {"cveID": "CVE-2021-44228", "dateAdded": "2021-12-10", "knownRansomwareCampaignUse": "Known"},
                {"cveID": "CVE-2014-0160"}
            ]
        });
        std::fs::write(&kev, catalog.to_string()).expect("writing the catalog");
        db.import(&[kev]).expect("import");
        // A later import keeps the catalog.
        let snap = imported(&db, &[osv(dir.path(), "PYSEC-1", "1.0")]);
        let ids = snap.exploited_ids().expect("read").expect("listed");
        assert!(ids.contains("CVE-2021-44228") && ids.contains("CVE-2014-0160"));
        assert!(!ids.contains("CVE-2021-44229") && !ids.contains(""));
        let e = snap
            .exploited("CVE-2021-44228")
            .expect("read")
            .expect("listed");
        assert!(e.ransomware);
    }
    #[test]
    fn a_package_keeps_records_up_to_a_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = test_db();
        let p = dir.path();
        let ids: Vec<String> = (0..1000).map(|i| format!("X-{i:04}")).collect();
        let files: Vec<PathBuf> = ids
            .iter()
            .map(|id| osv_about(p, id, "1.0", &["a"]))
            .collect();
        db.import(&files).expect("import");
        for _ in 0..2 {
            let snap = db.snapshot().expect("snapshot").expect("imported");
            let kept: Vec<bool> = ids.iter().map(|id| placement(&snap, id, "a").1).collect();
            assert!(kept[0] && !kept[999], "the first records only");
            for id in &ids {
                assert_eq!(placement(&snap, id, "a").0.as_deref(), Some("1.0"), "{id}");
            }
            // The next generation places them alike.
            db.import(&[osv_about(p, "Y", "1.0", &["b"])])
                .expect("import");
        }
    }

    #[test]
    fn a_failed_import_leaves_nothing_behind_for_the_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = test_db();
        let p = dir.path();
        db.import(&[osv_about(p, "A", "1.0", &["a"])])
            .expect("import");
        let broken = p.join("broken.tar.gz");
        std::fs::write(&broken, b"not gzip").expect("writing");
        // `B` is staged before the broken archive fails the import.
        assert!(
            db.import(&[osv_about(p, "B", "1.0", &["b"]), broken])
                .is_err()
        );
        let snap = db.snapshot().expect("snapshot").expect("imported");
        assert_eq!(snap.info.generation, 1);
        let snap = imported(&db, &[osv_about(p, "C", "1.0", &["c"])]);
        assert_eq!(placement(&snap, "A", "a"), (Some("1.0".into()), true));
        assert_eq!(placement(&snap, "C", "c"), (Some("1.0".into()), true));
        assert!(snap.candidates("PyPI", "b").expect("lookup").is_empty());
        assert!(snap.advisory("B").expect("read").is_none());
    }
}
