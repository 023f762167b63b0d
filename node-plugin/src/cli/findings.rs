//! `assure findings`: the findings of every scanned image kept in the data directory, filtered
//! by environment or organisational unit, severity, ruleset, category, and searched by CVE id,
//! package or image.

use anyhow::{Context, Result, bail};
use assure_engine::Cache;
use assure_engine::policy::{self, Organisation};
use assure_engine::report::query::FindingQuery;
use assure_engine::report::{Category, Severity};
use assure_engine::vuln::rematch::ImageStore;
use clap::Args;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `assure findings`.
#[derive(Args, Debug)]
pub struct FindingsArgs {
    /// Only images scanned in this environment (cluster); repeat for several.
    #[arg(long = "environment", value_name = "NAME")]
    environments: Vec<String>,
    /// Only images of the environments of this organisational unit (needs --organisation).
    #[arg(long, value_name = "UNIT")]
    ou: Option<String>,
    /// Organisation file (YAML) mapping units to environments.
    #[arg(long, value_name = "FILE", env = "ASSURE_ORGANISATION")]
    organisation: Option<PathBuf>,
    /// Only findings at least this severe: critical, high, medium, low, negligible, unknown.
    #[arg(long, value_parser = super::parse_severity)]
    severity: Option<Severity>,
    /// Only findings judged by this ruleset.
    #[arg(long)]
    ruleset: Option<String>,
    /// Only this category (CVE, MaliciousURL, MaliciousIP, MaliciousFile, InsecureCode,
    /// InsecureContent, ImageScan, Package); repeat for several.
    #[arg(long = "category", value_parser = super::parse_category)]
    categories: Vec<Category>,
    /// Search: a CVE or advisory id, a package name, or part of an image reference or digest.
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Include findings suppressed by an ignore or a VEX statement.
    #[arg(long)]
    include_suppressed: bool,
    /// `table` or `json`.
    #[arg(long, default_value = "table")]
    format: String,
}

/// Run `assure findings`.
pub fn run(args: FindingsArgs, data_dir: &Path) -> Result<ExitCode> {
    let mut environments: BTreeSet<String> = args.environments.iter().cloned().collect();
    if let Some(unit) = &args.ou {
        let Some(path) = &args.organisation else {
            bail!("--ou {unit} needs --organisation FILE naming the units' environments");
        };
        let org: Organisation = policy::load::from_file(path)?;
        let Some(envs) = org.environments_of(unit) else {
            bail!("{}: no unit named {unit:?}", path.display());
        };
        environments.extend(envs.iter().cloned());
    }
    let query = FindingQuery {
        environments: (!environments.is_empty()).then_some(environments),
        min_severity: args.severity,
        ruleset: args.ruleset,
        categories: args.categories,
        text: args.search,
        include_suppressed: args.include_suppressed,
    };
    let cache = Cache::open(data_dir)?;
    let store = ImageStore::new(&cache.sled())?;
    let mut rows = Vec::new();
    for report in store.reports() {
        let report = report.context("reading stored reports")?;
        // Suppressed findings are kept apart in a report; the query decides whether they show.
        for f in report.findings.iter().chain(&report.suppressed) {
            if query.matches(&report, f) {
                rows.push((
                    report.image.reference.clone(),
                    report.environment.clone(),
                    f.clone(),
                ));
            }
        }
    }
    rows.sort_by(|a, b| (a.2.severity, &a.0, &a.2.title).cmp(&(b.2.severity, &b.0, &b.2.title)));
    if args.format == "json" {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|(image, env, f)| {
                serde_json::json!({"image": image, "environment": env, "finding": f})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = comfy_table::Table::new();
    table.set_header([
        "SEVERITY",
        "CATEGORY",
        "TITLE",
        "PACKAGE",
        "PATH",
        "IMAGE",
        "ENVIRONMENT",
    ]);
    for (image, env, f) in &rows {
        table.add_row([
            f.severity.as_str().to_string(),
            f.category.as_str().to_string(),
            f.title.clone(),
            f.package
                .as_ref()
                .map(|p| format!("{} {}", p.name, p.version))
                .unwrap_or_default(),
            f.path.clone().unwrap_or_default(),
            image.clone(),
            env.clone().unwrap_or_default(),
        ]);
    }
    println!("{table}");
    println!("{} findings in {} images", rows.len(), store.len());
    Ok(ExitCode::SUCCESS)
}
