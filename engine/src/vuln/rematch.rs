//! Stored reports and re-matching them: when the database changes, every stored inventory is
//! matched again without reading a layer, and the findings that appeared and disappeared are
//! reported per image.

use crate::error::{Error, Result};
use crate::report::{Category, Report};
use crate::vuln::db::VulnDb;
use std::collections::BTreeSet;

const TREE: &str = "images";

fn err(e: impl std::fmt::Display) -> Error {
    Error::Cache {
        path: "stored reports".into(),
        message: e.to_string(),
    }
}

/// Reports of scanned images, by manifest digest.
pub struct ImageStore {
    tree: sled::Tree,
}

/// How one image's findings changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The image reference.
    pub reference: String,
    /// Its digest.
    pub digest: String,
    /// `CVE-… package version` findings that appeared.
    pub appeared: Vec<String>,
    /// Findings that disappeared.
    pub disappeared: Vec<String>,
}

fn keys(report: &Report) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|f| {
            matches!(f.category, Category::Cve | Category::MaliciousFile) && f.package.is_some()
        })
        .map(|f| {
            let p = f
                .package
                .as_ref()
                .map(|p| format!("{} {}", p.name, p.version))
                .unwrap_or_default();
            format!("{} {p}", f.title)
        })
        .collect()
}

impl ImageStore {
    /// The store inside the data directory's sled database.
    pub fn new(db: &sled::Db) -> Result<Self> {
        Ok(ImageStore {
            tree: db.open_tree(TREE).map_err(err)?,
        })
    }

    /// Keep `report` (replacing an earlier one for the same digest).
    pub fn put(&self, report: &Report) -> Result<()> {
        let value = serde_json::to_vec(report).map_err(err)?;
        self.tree
            .insert(report.image.digest.as_bytes(), value)
            .map_err(err)?;
        Ok(())
    }

    /// Every stored report, in digest order; one that no longer parses is skipped.
    pub fn reports(&self) -> impl Iterator<Item = Result<Report>> + '_ {
        self.tree.iter().filter_map(|kv| match kv {
            Ok((_, v)) => serde_json::from_slice::<Report>(&v).ok().map(Ok),
            Err(e) => Some(Err(err(e))),
        })
    }

    /// Number of stored reports.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether no report is stored.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Match every stored report again against `db`, store the results, and say what changed.
    pub fn rematch(&self, db: &VulnDb) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        let Some(snap) = db.snapshot()? else {
            return Ok(changes);
        };
        let mut matcher = crate::vuln::matcher::Matcher::new(&snap);
        for kv in self.tree.iter() {
            let (_, v) = kv.map_err(err)?;
            let Ok(mut report) = serde_json::from_slice::<Report>(&v) else {
                continue;
            };
            let before = keys(&report);
            crate::vuln::apply_with(&mut report, &mut matcher)?;
            let after = keys(&report);
            self.put(&report)?;
            changes.push(Change {
                reference: report.image.reference.clone(),
                digest: report.image.digest.clone(),
                appeared: after.difference(&before).cloned().collect(),
                disappeared: before.difference(&after).cloned().collect(),
            });
        }
        Ok(changes)
    }
}
