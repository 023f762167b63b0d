//! `assure scan SOURCE`.

use crate::containerd::{ContainerdSource, source};
use anyhow::{Context, Result, bail};
use assure_engine::analyze::default_analyzers;
use assure_engine::detect::default_config_detectors;
use assure_engine::detect::secret;
use assure_engine::layer::limits::Limits;
use assure_engine::report::Status;
use assure_engine::report::{cyclonedx, sbom, spdx, table};
use assure_engine::source::{BlobSource, open_local};
use assure_engine::vuln::db::VulnDb;
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
    /// CycloneDX 1.6 JSON SBOM.
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
    /// Name of the environment (cluster) stamped on the report.
    #[arg(long, env = "ASSURE_ENVIRONMENT")]
    environment: Option<String>,
    /// Largest uncompressed image scanned, in MiB; larger images get status too_large.
    #[arg(long, default_value_t = 2048, value_name = "N")]
    max_image_size_mb: u64,
    /// Exit with N when the policy verdict fails.
    #[arg(long, value_name = "N")]
    exit_code: Option<u8>,
    /// containerd socket.
    #[arg(long, env = "CONTAINERD_ADDRESS", default_value = source::DEFAULT_ADDRESS)]
    containerd_address: String,
    /// containerd namespace.
    #[arg(long, env = "CONTAINERD_NAMESPACE", default_value = source::DEFAULT_NAMESPACE)]
    namespace: String,
    /// Do not read or write the layer cache (the vulnerability database is still used).
    #[arg(long)]
    no_cache: bool,
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
    let cache = Arc::new(Cache::open(data_dir)?);
    let vulndb = VulnDb::new(cache.sled());
    let mut scanner = Scanner::new(options);
    if let Some(file) = &args.secret_rules {
        let rules = Arc::new(secret::builtin_with(file)?);
        for note in rules.notes() {
            eprintln!("note: {note}");
        }
        scanner = scanner
            .with_analyzers(secret::with_rules(default_analyzers(), &rules))
            .with_config_detectors(secret::with_config_rules(
                default_config_detectors(),
                &rules,
            ));
    }
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
    let mut report = scanner.scan(source.as_ref())?;
    assure_engine::vuln::apply(&mut report, &vulndb)?;
    report.environment = args.environment.clone();
    if report.status == Status::Scanned {
        // Kept so `assure rematch` can match the inventory again without reading the image.
        ImageStore::new(&cache.sled())?.put(&report)?;
    }
    let rendered = match args.format {
        Format::Json => report.to_json() + "\n",
        Format::Table => table::render(&report),
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
