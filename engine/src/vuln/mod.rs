//! Vulnerabilities: advisories, their import into the database, version ordering and matching.

pub mod advisory;
pub mod cvss;
pub mod db;
pub mod import;
pub mod matcher;
pub mod version;

use crate::error::Result;
use crate::report::{Category, Database, Report, Summary};

/// Match the report's packages against `db`: replaces its CVE and malicious-package findings,
/// records the database version, and recounts the summary. A database never imported changes
/// nothing.
pub fn apply(report: &mut Report, db: &db::VulnDb) -> Result<()> {
    let Some(info) = db.info()? else {
        return Ok(());
    };
    let found = matcher::match_packages(db, &report.packages, report.image.os.as_ref())?;
    report.findings.retain(|f| {
        !(f.category == Category::Cve
            || (f.category == Category::MaliciousFile && f.package.is_some()))
    });
    report.findings.extend(found);
    report.database = Some(Database {
        version: info.version(),
        updated_at: info.updated_at,
    });
    report.summary = Summary::of(&report.findings);
    Ok(())
}
