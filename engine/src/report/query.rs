//! Searching stored findings across scanned images: by environment (or the environments of an
//! organisational unit), minimum severity, ruleset, category, and free text matched against
//! the finding's ids, package and the image.

use crate::report::{Category, Finding, Report, Severity};
use std::collections::BTreeSet;

/// What to keep; every set criterion must hold.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// Keep findings of images scanned in one of these environments.
    pub environments: Option<BTreeSet<String>>,
    /// Keep findings at least this severe.
    pub min_severity: Option<Severity>,
    /// Keep findings judged by this ruleset.
    pub ruleset: Option<String>,
    /// Keep findings of these categories.
    pub categories: Vec<Category>,
    /// Keep findings whose title, aliases, rule, package or image contain this (any case).
    pub text: Option<String>,
    /// Keep findings suppressed by an ignore or a VEX statement too.
    pub include_suppressed: bool,
}

impl FindingQuery {
    /// Whether `finding` of `report` is wanted.
    pub fn matches(&self, report: &Report, finding: &Finding) -> bool {
        let env = finding
            .environment
            .as_deref()
            .or(report.environment.as_deref());
        if let Some(envs) = &self.environments
            && !env.is_some_and(|e| envs.contains(e))
        {
            return false;
        }
        // Severities are ordered most severe first.
        if let Some(min) = self.min_severity
            && finding.severity > min
        {
            return false;
        }
        if let Some(r) = &self.ruleset
            && finding
                .ruleset
                .as_deref()
                .unwrap_or(&report.verdict.ruleset)
                != r
        {
            return false;
        }
        if !self.categories.is_empty() && !self.categories.contains(&finding.category) {
            return false;
        }
        if !self.include_suppressed && finding.suppression.as_ref().is_some_and(|s| !s.expired) {
            return false;
        }
        match &self.text {
            None => true,
            Some(t) => {
                let t = t.to_ascii_lowercase();
                let has = |s: &str| s.to_ascii_lowercase().contains(&t);
                has(&finding.title)
                    || finding.aliases.iter().any(|a| has(a))
                    || finding.rule_id.as_deref().is_some_and(has)
                    || finding.package.as_ref().is_some_and(|p| has(&p.name))
                    || has(&report.image.reference)
                    || has(&report.image.digest)
            }
        }
    }
}
