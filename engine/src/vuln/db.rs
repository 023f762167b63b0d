//! The vulnerability database in sled: advisories indexed by ecosystem and package.
//!
//! Every import writes a new generation of trees and switches to it with one write, so a failed
//! import leaves the previous database as it was; the old generation is dropped afterwards.

use crate::error::{Error, Result};
use crate::vuln::advisory::{Advisory, Affected};
use crate::vuln::import::{Exploited, ImportStats, Record, read_path};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const META: &str = "vuln.meta";
const CURRENT: &str = "current";

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
}

/// The index key of a package: ecosystem family and the name as that ecosystem compares it.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    let family = ecosystem
        .split(':')
        .next()
        .unwrap_or(ecosystem)
        .trim()
        .to_ascii_lowercase();
    let name = match family.as_str() {
        "pypi" => crate::inventory::python::normalize_name(name),
        "nuget" | "packagist" | "npm" => name.to_ascii_lowercase(),
        _ => name.to_string(),
    };
    format!("{family}\0{name}\0")
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
        VulnDb { db }
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
        let trees = self.trees(generation)?;
        let result = (|| -> Result<ImportStats> {
            let old = previous
                .as_ref()
                .map(|p| self.trees(p.generation))
                .transpose()?;
            for (i, new) in trees.all().into_iter().enumerate() {
                new.clear().map_err(err)?;
                for kv in old.iter().flat_map(|t| t.all()[i].iter()) {
                    let (k, v) = kv.map_err(err)?;
                    new.insert(k, v).map_err(err)?;
                }
            }
            let mut stats = ImportStats::default();
            for (path, _) in inputs {
                read_path(path, &mut stats, &mut |r| store(&trees, r))?;
            }
            Ok(stats)
        })();
        let stats = match result {
            Ok(s) => s,
            Err(e) => {
                self.drop_generation(generation);
                return Err(e);
            }
        };
        let mut sources = previous
            .as_ref()
            .map(|p| p.sources.clone())
            .unwrap_or_default();
        for (_, name) in inputs {
            sources.retain(|s| s != name);
            sources.push(name.clone());
        }
        let info = DbInfo {
            generation,
            updated_at: crate::report::sbom::now(),
            advisories: trees.adv.len() as u64,
            sources,
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
    /// import. Later imports do not change what a snapshot sees.
    pub fn snapshot(&self) -> Result<Option<Snapshot>> {
        let Some(info) = self.info()? else {
            return Ok(None);
        };
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
    /// The ids of the advisories about `name` in `ecosystem` (any release), each with its
    /// affected entries for that package. The advisories themselves are read only on a hit,
    /// with [`advisory`](Self::advisory).
    pub fn candidates(&self, ecosystem: &str, name: &str) -> Result<Vec<(String, Vec<Affected>)>> {
        let mut out = Vec::new();
        for kv in self.trees.by_pkg.scan_prefix(package_key(ecosystem, name)) {
            let (k, v) = kv.map_err(err)?;
            let id = String::from_utf8_lossy(k.rsplit(|b| *b == 0).next().unwrap_or_default())
                .into_owned();
            if let Ok(affected) = serde_json::from_slice::<Vec<Affected>>(&v) {
                out.push((id, affected));
            }
        }
        Ok(out)
    }

    /// The advisory `id`, without its affected entries.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>> {
        Ok(self
            .trees
            .adv
            .get(id.as_bytes())
            .map_err(err)?
            .and_then(|a| serde_json::from_slice(&a).ok()))
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

fn get_json<T: serde::de::DeserializeOwned>(tree: &sled::Tree, key: &str) -> Result<Option<T>> {
    Ok(tree
        .get(key.as_bytes())
        .map_err(err)?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}

/// The trees of one generation.
struct Trees {
    /// `package_key + advisory id` → the advisory's affected entries for that package.
    by_pkg: sled::Tree,
    /// Advisory id → the advisory without its affected entries.
    adv: sled::Tree,
    /// CVE id → [`Exploited`].
    kev: sled::Tree,
    /// Indicator key → [`ThreatEntry`].
    ind: sled::Tree,
}

const TREES: [&str; 4] = ["pkg", "adv", "kev", "ind"];

impl Trees {
    fn all(&self) -> [&sled::Tree; 4] {
        [&self.by_pkg, &self.adv, &self.kev, &self.ind]
    }
}

fn store(trees: &Trees, record: Record) -> Result<()> {
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
    let (by_pkg, adv) = (&trees.by_pkg, &trees.adv);
    let mut per_package: std::collections::BTreeMap<String, Vec<Affected>> = Default::default();
    for affected in std::mem::take(&mut a.affected) {
        per_package
            .entry(package_key(&affected.ecosystem, &affected.name))
            .or_default()
            .push(affected);
    }
    for (key, affected) in per_package {
        let k = format!("{key}{}", a.id);
        // A withdrawn record replaces an earlier version of itself and then matches nothing.
        if a.withdrawn {
            by_pkg.remove(k.as_bytes()).map_err(err)?;
            continue;
        }
        by_pkg
            .insert(k.as_bytes(), serde_json::to_vec(&affected).map_err(err)?)
            .map_err(err)?;
    }
    adv.insert(a.id.as_bytes(), serde_json::to_vec(&a).map_err(err)?)
        .map_err(err)?;
    Ok(())
}
