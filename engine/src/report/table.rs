//! The human-readable rendering of a report.

use crate::report::{Report, Status};
use std::fmt::Write as _;

/// Render `report` as text for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let img = &report.image;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{} ({})", img.reference, img.digest);
    if let Some(p) = &img.platform {
        let _ = writeln!(out, "  platform: {p}");
    }
    match &img.os {
        Some(os) => {
            let _ = writeln!(
                out,
                "  os:       {} {}{}",
                os.family,
                os.version.as_deref().unwrap_or(""),
                os.codename
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(out, "  os:       not detected");
        }
    }
    let total: u64 = img.layers.iter().map(|l| l.size).sum();
    let _ = writeln!(out, "  layers:   {} ({} bytes)", img.layers.len(), total);
    let status = match report.status {
        Status::Scanned => "scanned",
        Status::Partial => "partial",
        Status::TooLarge => "too large",
        Status::Unsupported => "unsupported",
        Status::Failed => "failed",
    };
    let _ = writeln!(out, "  status:   {status}");
    if let Some(m) = &report.message {
        let _ = writeln!(out, "  message:  {m}");
    }
    let _ = writeln!(out, "  packages: {}", report.packages.len());
    let _ = writeln!(out, "  findings: {}", report.findings.len());
    for f in &report.findings {
        let lapsed = match &f.suppression {
            Some(s) if s.expired => " (ignore expired)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "    {:?} {:?} {}{lapsed}",
            f.severity, f.category, f.title
        );
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "  suppressed: {}", report.suppressed.len());
        for f in &report.suppressed {
            let why = f.suppression.as_ref().map_or("", |s| s.reason.as_str());
            let _ = writeln!(out, "    {:?} {} ({why})", f.category, f.title);
        }
    }
    for n in &report.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    let _ = writeln!(
        out,
        "verdict: {} (ruleset {}){}",
        if report.verdict.passed {
            "passed"
        } else {
            "FAILED"
        },
        report.verdict.ruleset,
        if report.verdict.violations.is_empty() {
            String::new()
        } else {
            format!(": {}", report.verdict.violations.join("; "))
        }
    );
    out
}
