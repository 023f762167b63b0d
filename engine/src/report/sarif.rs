//! SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).
//!
//! Written with serde_json, as the SBOMs are: the subset we emit is small and a test validates
//! it against the OASIS schema; serde-sarif's generated types would add build time for it.
//! One rule per kind of finding (a CVE id, a detector's rule), one result per finding, located
//! at the file in the image (the image itself for findings about its configuration).

use crate::report::sbom::{TOOL, TOOL_VERSION};
use crate::report::{Category, Finding, Report, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;
// Writing to a String cannot fail.
use std::fmt::Write as _;

/// Where the tool documents itself.
const INFORMATION_URI: &str = "https://github.com/assure-dev/assure";

/// Render `report` as a SARIF 2.1.0 log with one run.
pub fn render(report: &Report) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    let all = report
        .findings
        .iter()
        .map(|f| (f, false))
        .chain(report.suppressed.iter().map(|f| (f, true)));
    for (f, suppressed) in all {
        let id = rule_id(f);
        let i = *index.entry(id.clone()).or_insert_with(|| {
            rules.push(rule(&id, f));
            rules.len() - 1
        });
        results.push(result(report, f, &id, i, suppressed));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL,
                "version": TOOL_VERSION,
                "semanticVersion": TOOL_VERSION,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
            "results": results,
            "properties": {
                "image": report.image.reference,
                "digest": report.image.digest,
                "verdict": report.verdict,
            },
        }],
    })
}

/// The rule a finding is an instance of: the vulnerability for CVEs, else the detector's rule.
fn rule_id(f: &Finding) -> String {
    match (f.category, &f.rule_id) {
        (Category::Cve, _) | (_, None) => f.title.clone(),
        (_, Some(rule)) => rule.clone(),
    }
}

/// SARIF's levels: only error, warning and note mean anything to the dashboards.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Negligible | Severity::Unknown => "note",
    }
}

/// GitHub ranks alerts by `security-severity`, a CVSS-like score; without a vector, the middle
/// of the severity's CVSS band.
fn security_severity(f: &Finding) -> String {
    let score = f
        .cvss
        .as_ref()
        .map(|c| c.score)
        .unwrap_or(match f.severity {
            Severity::Critical => 9.5,
            Severity::High => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            Severity::Negligible | Severity::Unknown => 0.0,
        });
    format!("{score:.1}")
}

fn rule(id: &str, f: &Finding) -> Value {
    let short = match f.category {
        Category::Cve => match &f.package {
            Some(p) => format!("{id} in {}", p.name),
            None => id.to_string(),
        },
        _ => f.title.clone(),
    };
    let mut r = json!({
        "id": id,
        "name": f.category.as_str(),
        "shortDescription": {"text": short},
        "fullDescription": {"text": f.description.clone().unwrap_or_else(|| f.title.clone())},
        "defaultConfiguration": {"level": level(f.severity)},
        "properties": {
            "tags": ["security", f.category.as_str(), f.severity.as_str()],
            "security-severity": security_severity(f),
            "precision": "very-high",
        },
    });
    if let Some(uri) = f.references.first() {
        r["helpUri"] = json!(uri);
    }
    r
}

/// A finding's path splits into the file and, for text matches, the line (`/app/x.sh:12`).
fn file_and_line(path: &str) -> (&str, Option<u64>) {
    match path.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => {
            (file, line.parse().ok())
        }
        _ => (path, None),
    }
}

fn message(f: &Finding) -> String {
    let mut m = match (&f.package, f.category) {
        (Some(p), Category::Cve) => format!(
            "{} {}: {} ({})",
            p.name,
            p.version,
            f.title,
            f.severity.as_str()
        ),
        _ => format!("{} ({})", f.title, f.severity.as_str()),
    };
    if let Some(fixed) = &f.fixed_version {
        let _ = write!(m, "; fixed in {fixed}");
    }
    if let Some(e) = &f.evidence {
        let _ = write!(m, "; evidence: {e}");
    }
    if let Some(path) = &f.path {
        let _ = write!(m, "; at {path}");
    }
    m
}

fn result(report: &Report, f: &Finding, rule: &str, index: usize, suppressed: bool) -> Value {
    // Findings about the image as a whole (its configuration, the verdict) sit at the image.
    let (uri, line) = match f.path.as_deref() {
        Some(p) => {
            let (file, line) = file_and_line(p);
            (file.trim_start_matches('/').to_string(), line)
        }
        None => (report.image.reference.clone(), None),
    };
    let mut physical = json!({"artifactLocation": {"uri": uri, "uriBaseId": "ROOTPATH"}});
    physical["region"] = json!({"startLine": line.unwrap_or(1)});
    let mut r = json!({
        "ruleId": rule,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": message(f)},
        "locations": [{
            "physicalLocation": physical,
            "message": {"text": format!("{} ({})", report.image.reference, report.image.digest)},
        }],
        "partialFingerprints": {"assureFindingId/v1": f.id},
        "properties": {"category": f.category.as_str(), "severity": f.severity.as_str()},
    });
    if let Some(layer) = &f.layer {
        r["properties"]["layer"] = json!(layer);
    }
    if let Some(s) = f.suppression.as_ref().filter(|_| suppressed) {
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": s.reason,
        }]);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::file_and_line;

    #[test]
    fn a_trailing_line_number_is_split_off_and_nothing_else() {
        assert_eq!(file_and_line("/app/x.sh:12"), ("/app/x.sh", Some(12)));
        assert_eq!(file_and_line("/app/x.sh"), ("/app/x.sh", None));
        assert_eq!(file_and_line("/a:b/c"), ("/a:b/c", None));
        assert_eq!(file_and_line("/a/c:"), ("/a/c:", None));
    }
}
