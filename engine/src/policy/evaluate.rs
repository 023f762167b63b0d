//! Judging findings against a ruleset: ignores, thresholds, the verdict and its action. Works on
//! anything that exposes a finding's fields, so full reports and stored summaries are judged by
//! the same code.

use crate::policy::ignore::{Ignore, IgnoreIndex, Target};
use crate::policy::ruleset::{Ruleset, Threshold};
use crate::report::{Action, Category, Finding, Severity, Status};
use std::time::SystemTime;

/// Examples named in one violation; the rest are counted.
const EXAMPLES: usize = 5;

/// The fields of a finding that policy looks at.
pub trait Judged {
    /// Stable id.
    fn id(&self) -> &str;
    /// Category.
    fn category(&self) -> Category;
    /// Severity.
    fn severity(&self) -> Severity;
    /// Title.
    fn title(&self) -> &str;
    /// Rule id.
    fn rule_id(&self) -> Option<&str>;
    /// Other identifiers.
    fn aliases(&self) -> &[String];
    /// Package name and version.
    fn package(&self) -> Option<(&str, &str)>;
    /// Version that fixes it.
    fn fixed_version(&self) -> Option<&str>;
    /// File path.
    fn path(&self) -> Option<&str>;
}

impl Judged for Finding {
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
        self.package
            .as_ref()
            .map(|p| (p.name.as_str(), p.version.as_str()))
    }
    fn fixed_version(&self) -> Option<&str> {
        self.fixed_version.as_deref()
    }
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

/// How the ruleset's ignores treat one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition<'r> {
    /// No ignore names it.
    Active,
    /// An ignore in force suppresses it.
    Ignored(&'r Ignore),
    /// Only lapsed ignores name it: it counts again.
    Expired(&'r Ignore),
}

/// The disposition of `f` under the ignores at `now`; an ignore in force wins over a lapsed one.
pub fn disposition<'r>(
    ignores: &IgnoreIndex<'r>,
    f: &impl Judged,
    now: SystemTime,
) -> Disposition<'r> {
    if ignores.is_empty() {
        return Disposition::Active;
    }
    let target = Target {
        id: f.id(),
        title: f.title(),
        rule_id: f.rule_id(),
        aliases: f.aliases(),
        package: f.package().map(|(name, _)| name),
        path: f.path(),
    };
    let mut out = Disposition::Active;
    for ignore in ignores.matching(&target) {
        if !ignore.expired(now) {
            return Disposition::Ignored(ignore);
        }
        out = Disposition::Expired(ignore);
    }
    out
}

/// Findings left out of a capped list, counted so thresholds stay exact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Omitted {
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Whether they have a fix.
    pub fixed: bool,
    /// Rule id, kept for `Package` findings only, whose few rule ids (licence classes, the
    /// per-package roll-up) thresholds select by; other rule ids are per advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// How many.
    pub count: u64,
}

/// The outcome of judging findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Whether every threshold held and the image was scanned.
    pub passed: bool,
    /// What failed, in words a person can act on.
    pub violations: Vec<String>,
    /// What the webhook should do.
    pub action: Action,
    /// The worst severity among the findings over a threshold.
    pub worst: Option<Severity>,
}

/// Judge `findings` (already without suppressed ones) of an image with scan `status`.
/// `omitted` counts findings left out of a capped list; `message` says why an unscanned image
/// was not scanned.
pub fn judge<F: Judged>(
    ruleset: &Ruleset,
    status: Status,
    message: Option<&str>,
    findings: &[&F],
    omitted: &[Omitted],
) -> Judgement {
    if !scanned(status) {
        let why = message.map_or_else(|| format!("not scanned ({status:?})"), str::to_string);
        return Judgement {
            passed: false,
            violations: vec![why],
            action: ruleset.actions.unscanned,
            worst: None,
        };
    }
    let mut violations = Vec::new();
    let mut worst: Option<Severity> = None;
    let mut hits: Vec<&F> = Vec::new();
    for t in &ruleset.thresholds {
        hits.clear();
        hits.extend(findings.iter().copied().filter(|f| {
            t.counts(
                f.category(),
                f.severity(),
                f.rule_id(),
                f.fixed_version().is_some(),
            )
        }));
        let counted = |o: &&Omitted| t.counts(o.category, o.severity, o.rule.as_deref(), o.fixed);
        let extra: u64 = omitted.iter().filter(counted).map(|o| o.count).sum();
        let count = hits.len() as u64 + extra;
        if count <= t.max {
            continue;
        }
        hits.sort_by_key(|f| f.severity());
        let hit_worst = hits
            .first()
            .map(|f| f.severity())
            .into_iter()
            .chain(omitted.iter().filter(counted).map(|o| o.severity))
            .min();
        worst = worst.into_iter().chain(hit_worst).min();
        violations.push(describe(t, count, &hits));
    }
    let passed = violations.is_empty();
    Judgement {
        passed,
        action: if passed {
            ruleset.actions.compliant
        } else {
            ruleset.actions.non_compliant
        },
        violations,
        worst,
    }
}

/// Whether the image's findings are known: a partial scan is judged on what it found.
pub fn scanned(status: Status) -> bool {
    matches!(status, Status::Scanned | Status::Partial)
}

/// "2 critical CVE findings with a fix > 0 allowed: CVE-… in openssl 3.0.11 (fixed 3.0.13), …"
fn describe<F: Judged>(t: &Threshold, count: u64, hits: &[&F]) -> String {
    let mut s = count.to_string();
    match t.severity {
        Some(Severity::Critical) => s.push_str(" critical"),
        Some(Severity::Unknown) | None => {}
        Some(sev) => {
            s.push(' ');
            s.push_str(sev.as_str());
            s.push_str(" or worse");
        }
    }
    if let Some(c) = t.category {
        s.push(' ');
        s.push_str(c.as_str());
    }
    s.push_str(if count == 1 { " finding" } else { " findings" });
    if let Some(rule) = &t.rule {
        s.push_str(&format!(" of rule {rule}"));
    }
    if t.fixed_only {
        s.push_str(" with a fix");
    }
    s.push_str(&format!(" > {} allowed", t.max));
    let named: Vec<String> = hits.iter().take(EXAMPLES).map(|f| example(*f)).collect();
    if !named.is_empty() {
        s.push_str(": ");
        s.push_str(&named.join(", "));
    }
    let rest = count.saturating_sub(named.len() as u64);
    if rest > 0 {
        s.push_str(&format!(" and {rest} more"));
    }
    s
}

/// "CVE-2024-1 in openssl 3.0.11 (fixed 3.0.13)", "aws-access-key at /app/.env:3".
fn example(f: &impl Judged) -> String {
    let mut s = f.title().to_string();
    match (f.package(), f.path()) {
        (Some((name, version)), _) => s.push_str(&format!(" in {name} {version}")),
        (None, Some(path)) => s.push_str(&format!(" at {path}")),
        (None, None) => {}
    }
    if let Some(fixed) = f.fixed_version() {
        s.push_str(&format!(" (fixed {fixed})"));
    }
    s
}
