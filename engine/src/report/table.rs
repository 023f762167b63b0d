//! The human-readable rendering of a report: the image, one table per finding category,
//! suppressed findings, a summary line and the verdict.

use crate::report::{Category, Finding, Report, Severity, Status};
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::fmt::Write as _;

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// Severity colours and a table fitted to the terminal's width (for a TTY).
    pub color: bool,
}

/// Longest text kept in a table cell when the terminal's width is unknown.
const CELL_MAX: usize = 72;

/// What one column of a category's table shows.
#[derive(Clone, Copy)]
enum Column {
    Severity,
    Title,
    Rule,
    Package,
    Installed,
    Fixed,
    Path,
    Layer,
    Evidence,
    Detail,
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::Severity => "SEVERITY",
            Column::Title => "ID",
            Column::Rule => "RULE",
            Column::Package => "PACKAGE",
            Column::Installed => "INSTALLED",
            Column::Fixed => "FIXED",
            Column::Path => "PATH",
            Column::Layer => "LAYER",
            Column::Evidence => "EVIDENCE",
            Column::Detail => "DETAIL",
        }
    }

    fn value(self, f: &Finding) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            Column::Severity => f.severity.as_str().to_string(),
            Column::Title => f.title.clone(),
            Column::Rule => text(&f.rule_id),
            Column::Package => f
                .package
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            Column::Installed => f
                .package
                .as_ref()
                .map(|p| p.version.clone())
                .unwrap_or_default(),
            Column::Fixed => text(&f.fixed_version),
            Column::Path => text(&f.path),
            // The short form `docker history` and `crane` print: enough to tell layers apart.
            Column::Layer => f
                .layer
                .as_deref()
                .map(|l| l.trim_start_matches("sha256:").chars().take(12).collect())
                .unwrap_or_default(),
            Column::Evidence => text(&f.evidence),
            Column::Detail => {
                let mut d = f
                    .description
                    .as_deref()
                    .and_then(|d| d.lines().next())
                    .unwrap_or("")
                    .to_string();
                if f.exploited.is_some() {
                    d.insert_str(0, "[known exploited] ");
                }
                d
            }
        }
    }
}

/// The columns a category's findings are shown with.
fn columns(category: Category) -> &'static [Column] {
    use Column::*;
    match category {
        Category::Cve => &[Severity, Title, Package, Installed, Fixed, Detail],
        Category::Package => &[Severity, Title, Rule, Package, Installed, Fixed],
        // The verdict below lists what went over the thresholds.
        Category::ImageScan => &[Severity, Title],
        Category::MaliciousURL
        | Category::MaliciousIP
        | Category::MaliciousFile
        | Category::InsecureCode
        | Category::InsecureContent => &[Severity, Title, Path, Layer, Evidence],
    }
}

const CATEGORIES: [Category; 8] = [
    Category::ImageScan,
    Category::Cve,
    Category::MaliciousFile,
    Category::MaliciousURL,
    Category::MaliciousIP,
    Category::InsecureContent,
    Category::InsecureCode,
    Category::Package,
];

fn severity_color(s: Severity) -> Option<(Color, bool)> {
    match s {
        Severity::Critical => Some((Color::Red, true)),
        Severity::High => Some((Color::Red, false)),
        Severity::Medium => Some((Color::Yellow, false)),
        Severity::Low => Some((Color::Blue, false)),
        Severity::Negligible | Severity::Unknown => None,
    }
}

/// Cut `s` to `max` characters, marking the cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn new_table(options: TableOptions, headers: impl IntoIterator<Item = &'static str>) -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    if options.color {
        table
            .enforce_styling()
            .set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        // The same bytes whatever the terminal: reports are diffed and kept in files.
        table.force_no_tty();
    }
    table.set_header(headers);
    table
}

fn findings_table(findings: &[&Finding], category: Category, options: TableOptions) -> Table {
    let cols = columns(category);
    let mut table = new_table(options, cols.iter().map(|c| c.header()));
    for f in findings {
        table.add_row(cols.iter().map(|c| {
            let value = c.value(f);
            let mut cell = Cell::new(if options.color {
                value
            } else {
                clip(&value, CELL_MAX)
            });
            if let (true, Column::Severity, Some((color, bold))) =
                (options.color, c, severity_color(f.severity))
            {
                cell = cell.fg(color);
                if bold {
                    cell = cell.add_attribute(Attribute::Bold);
                }
            }
            cell
        }));
    }
    table
}

/// Wrap `text` in an ANSI SGR sequence when colouring.
fn paint(text: &str, sgr: &str, options: TableOptions) -> String {
    if options.color {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The one-line count of findings by severity and by category.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let total: u64 = s.by_severity.values().sum();
    let mut line = format!("{total} finding{}", if total == 1 { "" } else { "s" });
    // Both maps are ordered: most severe first, categories in schema order.
    let severities: Vec<String> = s
        .by_severity
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(sev, n)| format!("{n} {}", sev.as_str()))
        .collect();
    let categories: Vec<String> = s
        .by_category
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| format!("{n} {}", c.as_str()))
        .collect();
    if !severities.is_empty() {
        let _ = write!(
            line,
            ": {}; {}",
            severities.join(", "),
            categories.join(", ")
        );
    }
    if !report.suppressed.is_empty() {
        let _ = write!(line, "; {} suppressed", report.suppressed.len());
    }
    line
}

/// Render `report` as text for a terminal.
pub fn render(report: &Report, options: TableOptions) -> String {
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
    if let Some(env) = &report.environment {
        let _ = writeln!(out, "  environment: {env}");
    }
    if let Some(db) = &report.database {
        let _ = writeln!(
            out,
            "  database: {} (updated {})",
            db.version, db.updated_at
        );
    }
    let _ = writeln!(out, "  packages: {}", report.packages.len());

    for category in CATEGORIES {
        let mut found: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.category == category)
            .collect();
        if found.is_empty() {
            continue;
        }
        found.sort_by(|a, b| (a.severity, &a.title, &a.path).cmp(&(b.severity, &b.title, &b.path)));
        let _ = writeln!(
            out,
            "\n{} ({})",
            paint(category.as_str(), "1", options),
            found.len()
        );
        let _ = writeln!(out, "{}", findings_table(&found, category, options));
        for f in found
            .iter()
            .filter(|f| f.suppression.as_ref().is_some_and(|s| s.expired))
        {
            let _ = writeln!(out, "  {}: its ignore has expired", f.title);
        }
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "\nsuppressed ({})", report.suppressed.len());
        let mut table = new_table(options, ["CATEGORY", "ID", "BY", "REASON", "EXPIRES"]);
        for f in &report.suppressed {
            let s = f.suppression.as_ref();
            table.add_row([
                f.category.as_str().to_string(),
                f.title.clone(),
                s.map(|s| format!("{:?}", s.by).to_lowercase())
                    .unwrap_or_default(),
                clip(s.map_or("", |s| s.reason.as_str()), CELL_MAX),
                s.and_then(|s| s.expires.clone()).unwrap_or_default(),
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out);
    }
    for n in &report.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    let v = &report.verdict;
    let action = v
        .action
        .map(|a| format!(", action {}", format!("{a:?}").to_lowercase()))
        .unwrap_or_default();
    let verdict = if v.passed {
        paint("passed", "1;32", options)
    } else {
        paint("FAILED", "1;31", options)
    };
    let _ = writeln!(out, "verdict: {verdict} (ruleset {}{action})", v.ruleset);
    for violation in &v.violations {
        let _ = writeln!(out, "  - {violation}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ImageInfo, Verdict};

    fn report() -> Report {
        let mut r = Report::new(Status::Scanned, ImageInfo::new("app:1", "sha256:00"));
        r.findings = vec![
            Finding::new("1", Category::InsecureCode, "root-user", Severity::Medium),
            Finding::new("2", Category::Cve, "CVE-2026-1", Severity::Critical),
            Finding::new("3", Category::Cve, "CVE-2026-2", Severity::Low),
        ];
        r.summary = crate::report::Summary::of(&r.findings);
        r.verdict = Verdict {
            ruleset: "default".into(),
            passed: false,
            violations: vec!["1 critical CVE finding > 0 allowed: CVE-2026-1".into()],
            action: None,
        };
        r
    }

    #[test]
    fn findings_are_grouped_by_category_with_a_summary_and_the_verdict() {
        let text = render(&report(), TableOptions { color: false });
        let cve = text.find("\nCVE (2)").expect("CVE group");
        let code = text.find("\nInsecureCode (1)").expect("InsecureCode group");
        assert!(cve < code, "{text}");
        // Most severe first within a group.
        assert!(text.find("CVE-2026-1").unwrap() < text.find("CVE-2026-2").unwrap());
        assert!(
            text.contains("\n3 findings: 1 critical, 1 medium, 1 low; 2 CVE, 1 InsecureCode\n"),
            "{text}"
        );
        assert!(text.contains("verdict: FAILED (ruleset default)\n  - 1 critical CVE"));
        assert!(!text.contains('\x1b'), "no colours when not asked");
    }

    #[test]
    fn colours_mark_severities_and_the_verdict() {
        let text = render(&report(), TableOptions { color: true });
        assert!(text.contains("\x1b[1;31mFAILED\x1b[0m"), "{text}");
        // comfy-table styles the severity cells (crossterm's SGR for red).
        assert!(
            text.contains("\x1b[38;5;9m") || text.contains("\x1b[31m"),
            "{text:?}"
        );
    }

    #[test]
    fn long_cells_are_clipped_without_a_terminal() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
