//! `assure scan SOURCE`.

use crate::containerd::{ContainerdSource, source};
use anyhow::{Context, Result, bail};
use assure_engine::analyze::default_analyzers;
use assure_engine::detect::malware::{self, MalwareOptions};
use assure_engine::detect::{default_config_detectors, insecure, secret};
use assure_engine::layer::limits::Limits;
use assure_engine::report::Status;
use assure_engine::report::continuity::EarlierIds;
use assure_engine::report::{cyclonedx, sarif, sbom, spdx, table};
use assure_engine::source::{BlobSource, open_local};
use assure_engine::vuln::db::VulnDb;

/// A database older than this is reported as stale in every scan.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(5 * 86_400);
use assure_engine::vuln::rematch::ImageStore;
use assure_engine::{Cache, Platform, ScanOptions, Scanner};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Table,
    /// Report v1 JSON (`assure.report/v1`).
    Json,
    /// SARIF 2.1.0 JSON, for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.6 JSON SBOM with the vulnerabilities found.
    Cyclonedx,
    /// SPDX 2.3 JSON SBOM.
    Spdx,
}

/// Arguments of `assure scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// oci-archive:PATH | oci:DIR[:TAG] | docker-archive:PATH | containerd:REF | PATH
    source: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Platform to pick from multi-platform images.
    #[arg(long, default_value = "linux/amd64", value_parser = parse_platform)]
    platform: Platform,
    /// Name of the environment (cluster) stamped on the report and every finding.
    #[arg(long, env = "ASSURE_ENVIRONMENT")]
    environment: Option<String>,
    #[command(flatten)]
    policy: super::policy::PolicyArgs,
    /// Largest uncompressed image scanned, in MiB; larger images get status too_large.
    #[arg(long, default_value_t = 2048, value_name = "N")]
    max_image_size_mb: u64,
    /// Show only findings of these severities (comma-separated); the verdict still counts
    /// every finding.
    #[arg(long, value_delimiter = ',', value_parser = super::parse_severity, value_name = "LIST")]
    severity: Vec<assure_engine::report::Severity>,
    /// Show only findings of these categories (comma-separated); the verdict still counts
    /// every finding.
    #[arg(long, value_delimiter = ',', value_parser = super::parse_category, value_name = "LIST")]
    category: Vec<assure_engine::report::Category>,
    /// Exit with N when the policy verdict fails.
    #[arg(long, value_name = "N")]
    exit_code: Option<u8>,
    /// containerd socket.
    #[arg(long, env = "CONTAINERD_ADDRESS", default_value = source::DEFAULT_ADDRESS)]
    containerd_address: String,
    /// containerd namespace.
    #[arg(long, env = "CONTAINERD_NAMESPACE", default_value = source::DEFAULT_NAMESPACE)]
    namespace: String,
    /// Insecure-code rules to add to the built-in ones (TOML, their format; a rule with a
    /// built-in id replaces it).
    #[arg(long, value_name = "FILE")]
    insecure_rules: Option<PathBuf>,
    /// Do not read or write the layer cache (the vulnerability database is still used).
    #[arg(long)]
    no_cache: bool,
    /// A directory of YARA rule files (searched recursively), added to the built-in rules;
    /// repeatable.
    #[arg(long = "yara-rules", value_name = "DIR")]
    yara_rules: Vec<PathBuf>,
    /// Also send every file scanned for malware to the clamd listening on this Unix socket.
    #[arg(long, value_name = "PATH")]
    clamd_socket: Option<PathBuf>,
    /// Secret rules added to the built-in ones: assure's rule format or gitleaks' TOML (a rule
    /// with a built-in rule's id changes that rule, as gitleaks' [extend] does).
    #[arg(long, value_name = "FILE")]
    secret_rules: Option<PathBuf>,
}

fn pretty(v: &serde_json::Value) -> String {
    // A Value built from strings and numbers always serialises.
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    s.parse()
}

/// Run `assure scan`.
pub fn run(args: ScanArgs, data_dir: &Path) -> Result<ExitCode> {
    let max_image_bytes = args
        .max_image_size_mb
        .checked_mul(1 << 20)
        .context("--max-image-size-mb is too large")?;
    let options = ScanOptions {
        platform: args.platform.clone(),
        limits: Limits {
            max_image_bytes,
            ..Limits::default()
        },
        ..ScanOptions::default()
    };
    // Policy files are read first: a mistake in one stops the scan before any work is done.
    let policy = args.policy.load()?;
    let cache = Arc::new(Cache::open(data_dir)?);
    let vulndb = VulnDb::new(cache.sled());
    let (malware, skipped_rules) = malware::analyzer(&MalwareOptions {
        rule_dirs: args.yara_rules.clone(),
        clamd_socket: args.clamd_socket.clone(),
    })?;
    for skipped in &skipped_rules {
        eprintln!("warning: {skipped}");
    }
    let mut analyzers = default_analyzers();
    let mut detectors = default_config_detectors();
    if let Some(file) = &args.secret_rules {
        let rules = Arc::new(secret::builtin_with(file)?);
        for note in rules.notes() {
            eprintln!("note: {note}");
        }
        analyzers = secret::with_rules(analyzers, &rules);
        detectors = secret::with_config_rules(detectors, &rules);
    }
    if let Some(file) = &args.insecure_rules {
        let rules = Arc::new(insecure::Rules::with_file(file)?);
        insecure::use_rules(&mut analyzers, &mut detectors, rules);
    }
    analyzers.push(Arc::new(malware));
    let mut scanner = Scanner::new(options)
        .with_analyzers(analyzers)
        .with_config_detectors(detectors);
    if !args.no_cache {
        scanner = scanner.with_cache(cache.clone());
    }
    // The runtime only drives containerd's gRPC client; the scan itself runs on plain threads.
    let runtime;
    let source: Box<dyn BlobSource> = if let Some(reference) =
        args.source.strip_prefix("containerd:")
    {
        runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        Box::new(ContainerdSource::connect(
            runtime.handle(),
            &args.containerd_address,
            &args.namespace,
            reference,
        )?)
    } else if args.source.starts_with("registry:") {
        bail!(
            "{}: registry sources are not supported yet; pull the image into containerd or save it as an OCI archive",
            args.source
        );
    } else {
        open_local(&args.source)?
    };
    let bar = super::progress::Bar::on_terminal();
    if let Some(bar) = &bar {
        scanner = scanner.with_progress(bar.clone());
    }
    let analysis = scanner.analyze(source.as_ref());
    if let Some(bar) = &bar {
        bar.finish();
    }
    let analysis = analysis?;
    let mut report = assure_engine::scan::build_report(&analysis);
    let digests: Vec<&str> = analysis
        .image
        .layers
        .iter()
        .map(|l| l.digest.as_str())
        .collect();
    let sightings = assure_engine::threat::sightings(&analysis.layers, &digests);
    let store = ImageStore::new(&cache.sled())?;
    // One snapshot for the packages, the indicators and the database's age.
    match vulndb.snapshot()? {
        None => report.notes.push(
            "no vulnerability database: CVEs were not matched; run `assure db update` or `assure db import`".into(),
        ),
        Some(snap) => {
            let mut matcher = assure_engine::vuln::matcher::Matcher::new(&snap);
            assure_engine::vuln::apply_with(&mut report, &mut matcher)?;
            // A finding renamed since the last scan of this image keeps its id.
            if let Some(earlier) = store.get(&report.image.digest)? {
                EarlierIds::of(&earlier).carry(&mut report);
            }
            assure_engine::threat::apply(&mut report, &sightings, &snap)?;
            if let Some(age) = super::db::age(&snap.info.updated_at).filter(|a| *a > STALE_AFTER) {
                report.notes.push(format!(
                    "the vulnerability database was last updated {} days ago; run `assure db update`",
                    age.as_secs() / 86_400
                ));
            }
        }
    }
    report
        .notes
        .extend(skipped_rules.iter().map(ToString::to_string));
    policy.apply(&mut report, args.environment.clone());
    if report.status == Status::Scanned {
        // Kept so `assure rematch` can match the inventory again without reading the image.
        store.put(&report)?;
        store.put_sightings(&report.image.digest, &sightings)?;
    }
    let shown = |f: &assure_engine::report::Finding| {
        (args.severity.is_empty() || args.severity.contains(&f.severity))
            && (args.category.is_empty() || args.category.contains(&f.category))
    };
    // The stored report keeps everything; only what is printed is filtered.
    report.findings.retain(shown);
    report.suppressed.retain(shown);
    report.summary = assure_engine::report::Summary::of(&report.findings);
    let rendered = match args.format {
        Format::Json => report.to_json() + "\n",
        Format::Table => table::render(
            &report,
            table::TableOptions {
                color: args.output.is_none() && super::colour_stdout(),
            },
        ),
        Format::Sarif => pretty(&sarif::render(&report)),
        Format::Cyclonedx => pretty(&cyclonedx::render(&report, &sbom::now())),
        Format::Spdx => pretty(&spdx::render(&report, &sbom::now())),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, rendered).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{rendered}"),
    }
    Ok(match args.exit_code {
        Some(code) if !report.verdict.passed => ExitCode::from(code),
        _ => ExitCode::SUCCESS,
    })
}
