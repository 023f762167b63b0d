//! Stored reports and re-matching them: when the database changes, every stored inventory is
//! matched again, and every stored indicator checked against the threat feeds again, without
//! reading a layer; the findings that appeared and disappeared are reported per image.

use crate::error::{Error, Result};
use crate::report::{Category, Report};
use crate::threat::Sighting;
use crate::vuln::db::VulnDb;
use std::collections::BTreeSet;

const TREE: &str = "images";
/// Indicators found in each image, by manifest digest.
const SIGHTINGS: &str = "image-indicators";

fn err(e: impl std::fmt::Display) -> Error {
    Error::Cache {
        path: "stored reports".into(),
        message: e.to_string(),
    }
}

/// Reports of scanned images, by manifest digest.
pub struct ImageStore {
    tree: sled::Tree,
    sightings: sled::Tree,
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
    /// The verdict before and after, when it changed (passed = `true`).
    pub verdict: Option<(bool, bool)>,
}

fn keys(report: &Report) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter_map(|f| match f.category {
            Category::Cve | Category::MaliciousFile => f
                .package
                .as_ref()
                .map(|p| format!("{} {} {}", f.title, p.name, p.version)),
            Category::MaliciousURL | Category::MaliciousIP => Some(format!(
                "{} at {}",
                f.title,
                f.path.as_deref().unwrap_or("")
            )),
            _ => None,
        })
        .collect()
}

impl ImageStore {
    /// The store inside the data directory's sled database.
    pub fn new(db: &sled::Db) -> Result<Self> {
        Ok(ImageStore {
            tree: db.open_tree(TREE).map_err(err)?,
            sightings: db.open_tree(SIGHTINGS).map_err(err)?,
        })
    }

    /// Keep the indicators found in the image `digest` (replacing earlier ones).
    pub fn put_sightings(&self, digest: &str, sightings: &[Sighting]) -> Result<()> {
        let value = serde_json::to_vec(sightings).map_err(err)?;
        self.sightings
            .insert(digest.as_bytes(), value)
            .map_err(err)?;
        Ok(())
    }

    /// The indicators stored for the image `digest`; none when it was scanned before they
    /// were kept.
    pub fn sightings(&self, digest: &str) -> Result<Vec<Sighting>> {
        match self.sightings.get(digest.as_bytes()).map_err(err)? {
            Some(v) => serde_json::from_slice(&v).map_err(err),
            None => Ok(Vec::new()),
        }
    }

    /// Keep `report` (replacing an earlier one for the same digest).
    pub fn put(&self, report: &Report) -> Result<()> {
        let value = serde_json::to_vec(report).map_err(err)?;
        self.tree
            .insert(report.image.digest.as_bytes(), value)
            .map_err(err)?;
        Ok(())
    }

    /// The stored report of the image `digest`.
    pub fn get(&self, digest: &str) -> Result<Option<Report>> {
        match self.tree.get(digest.as_bytes()).map_err(err)? {
            Some(v) => Ok(serde_json::from_slice(&v).ok()),
            None => Ok(None),
        }
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
    /// Suppressions and verdicts stay as they were; [`ImageStore::rematch_with`] judges again.
    pub fn rematch(&self, db: &VulnDb) -> Result<Vec<Change>> {
        self.rematch_inner(db, None)
    }

    /// [`ImageStore::rematch`], then check the stored indicators against the threat feeds and
    /// `judge` each report again (apply the policy), so verdicts follow the new findings.
    pub fn rematch_with(
        &self,
        db: &VulnDb,
        judge: &mut dyn FnMut(&mut Report),
    ) -> Result<Vec<Change>> {
        self.rematch_inner(db, Some(judge))
    }

    fn rematch_inner(
        &self,
        db: &VulnDb,
        mut judge: Option<&mut dyn FnMut(&mut Report)>,
    ) -> Result<Vec<Change>> {
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
            let passed = report.verdict.passed;
            let earlier = crate::report::continuity::EarlierIds::of(&report);
            if judge.is_some() {
                // Suppressed findings are matched again like the rest, then judged again.
                crate::policy::unapply(&mut report);
            }
            crate::vuln::apply_with(&mut report, &mut matcher)?;
            earlier.carry(&mut report);
            if let Some(judge) = judge.as_mut() {
                let sightings = self.sightings(&report.image.digest)?;
                crate::threat::apply(&mut report, &sightings, &snap)?;
                judge(&mut report);
            }
            let after = keys(&report);
            self.put(&report)?;
            changes.push(Change {
                reference: report.image.reference.clone(),
                digest: report.image.digest.clone(),
                appeared: after.difference(&before).cloned().collect(),
                disappeared: before.difference(&after).cloned().collect(),
                verdict: (passed != report.verdict.passed)
                    .then_some((passed, report.verdict.passed)),
            });
        }
        Ok(changes)
    }
}
