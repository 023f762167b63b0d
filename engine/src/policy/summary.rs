//! The compact, capped summary of a scan that is stored where the admission webhook reads it
//! (the `ImageScan` status), and judging it against a ruleset per admission, in microseconds.

use crate::policy::evaluate::{Disposition, Judged, Omitted, disposition, judge};
use crate::policy::ignore::IgnoreIndex;
use crate::policy::ruleset::Ruleset;
use crate::report::{Category, Report, Severity, Status, Verdict};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// What policy needs of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompactFinding {
    /// Stable id.
    pub id: String,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Title.
    pub title: String,
    /// Rule id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// Package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Package version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Version that fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// File path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Other identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl Judged for CompactFinding {
    fn id(&self) -> &str {
        &self.id
    }
    fn category(&self) -> Category {
        self.category
    }
    fn severity(&self) -> Severity {
        self.severity
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn rule_id(&self) -> Option<&str> {
        self.rule_id.as_deref()
    }
    fn aliases(&self) -> &[String] {
        &self.aliases
    }
    fn package(&self) -> Option<(&str, &str)> {
        Some((
            self.package.as_deref()?,
            self.version.as_deref().unwrap_or(""),
        ))
    }
    fn fixed_version(&self) -> Option<&str> {
        self.fixed_version.as_deref()
    }
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

/// A scan as stored for admission: status and the active findings, most severe first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSummary {
    /// Image reference.
    pub reference: String,
    /// Manifest digest.
    pub digest: String,
    /// How far the scan got.
    pub status: Status,
    /// Why it is not `scanned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Active (not suppressed) findings, most severe first, at most the cap.
    pub findings: Vec<CompactFinding>,
    /// Counts of the findings the cap left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Omitted>,
}

impl StoredSummary {
    /// The summary of `report`, keeping at most `cap` findings (the most severe); the policy's
    /// own `ImageScan` finding is left out, since a ruleset judges it afresh.
    pub fn of(report: &Report, cap: usize) -> StoredSummary {
        let mut active: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.category != Category::ImageScan)
            .collect();
        active.sort_by_key(|f| f.severity);
        let mut omitted: Vec<Omitted> = Vec::new();
        for f in active.iter().skip(cap) {
            let key = Omitted {
                category: f.category,
                severity: f.severity,
                fixed: f.fixed_version.is_some(),
                rule: f
                    .rule_id
                    .clone()
                    .filter(|_| f.category == Category::Package),
                count: 1,
            };
            match omitted.iter_mut().find(|o| {
                Omitted {
                    count: 1,
                    ..(*o).clone()
                } == key
            }) {
                Some(o) => o.count += 1,
                None => omitted.push(key),
            }
        }
        StoredSummary {
            reference: report.image.reference.clone(),
            digest: report.image.digest.clone(),
            status: report.status,
            message: report.message.clone(),
            findings: active
                .into_iter()
                .take(cap)
                .map(|f| CompactFinding {
                    id: f.id.clone(),
                    category: f.category,
                    severity: f.severity,
                    title: f.title.clone(),
                    rule_id: f.rule_id.clone(),
                    package: f.package.as_ref().map(|p| p.name.clone()),
                    version: f.package.as_ref().map(|p| p.version.clone()),
                    fixed_version: f.fixed_version.clone(),
                    path: f.path.clone(),
                    aliases: f.aliases.clone(),
                })
                .collect(),
            omitted,
        }
    }

    /// The verdict of `ruleset` on this image at `now` (ignores are applied again, so an
    /// ignore that lapsed since the scan counts).
    pub fn judge(&self, ruleset: &Ruleset, now: SystemTime) -> Verdict {
        let ignores = IgnoreIndex::new(&ruleset.ignores);
        let active: Vec<&CompactFinding> = self
            .findings
            .iter()
            .filter(|f| !matches!(disposition(&ignores, *f, now), Disposition::Ignored(_)))
            .collect();
        let j = judge(
            ruleset,
            self.status,
            self.message.as_deref(),
            &active,
            &self.omitted,
        );
        Verdict {
            ruleset: ruleset.name.clone(),
            passed: j.passed,
            violations: j.violations,
            action: Some(j.action),
        }
    }
}
