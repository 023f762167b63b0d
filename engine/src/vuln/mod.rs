//! Vulnerabilities: advisories, their import into the database, version ordering and matching.

pub mod advisory;
pub mod cvss;
pub mod db;
pub mod import;
pub mod index;
pub mod matcher;
pub mod rematch;
pub mod requirements;
pub mod rollup;
pub mod version;

use crate::error::Result;
use crate::report::{Category, Database, Report, Summary};

/// Match the report's packages against `db`: replaces its CVE, malicious-package and
/// per-package findings, records the database version, and recounts the summary. A database never imported changes
/// nothing.
pub fn apply(report: &mut Report, db: &db::VulnDb) -> Result<()> {
    match db.snapshot()? {
        Some(snap) => apply_with(report, &mut matcher::Matcher::new(&snap)),
        None => Ok(()),
    }
}

/// [`apply`] with a matcher that may already hold lookups from other reports.
pub fn apply_with(report: &mut Report, matcher: &mut matcher::Matcher<'_>) -> Result<()> {
    let found = matcher.match_packages(&report.packages, report.image.os.as_ref())?;
    let info = matcher.info().clone();
    report.findings.retain(|f| {
        !(f.category == Category::Cve
            || (f.category == Category::MaliciousFile && f.package.is_some())
            || f.rule_id.as_deref() == Some(rollup::RULE))
    });
    let per_package = rollup::package_findings(&found, &report.packages);
    report.findings.extend(found);
    report.findings.extend(per_package);
    report.database = Some(Database {
        version: info.version(),
        updated_at: info.updated_at,
    });
    report.summary = Summary::of(&report.findings);
    Ok(())
}
