//! `assure db import|status`: the vulnerability database of the data directory.

use anyhow::{Context, Result};
use assure_engine::Cache;
use assure_engine::vuln::db::VulnDb;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `assure db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Import advisories: OSV JSON/YAML, Debian DSA/DLA lists, Alpine secdb, RustSec,
    /// Node.js security WG, CISA KEV — files, directories, .zip, .tar, .tar.gz, .tar.zst.
    Import(ImportArgs),
    /// Download advisory archives from mirrors and import them.
    Update(super::update::UpdateArgs),
    /// Show what the database holds and how old it is.
    Status(StatusArgs),
}

/// Arguments of `assure db import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files, directories or archives to import.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Arguments of `assure db status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    format: String,
    /// Warn when the last update is older than this.
    #[arg(long, default_value = "5days", value_parser = humantime::parse_duration)]
    max_age: std::time::Duration,
}

/// Run `assure rematch`: match every stored inventory against the current database and judge
/// every image again.
pub fn rematch(policy: &super::policy::PolicyArgs, data_dir: &Path) -> Result<ExitCode> {
    let policy = policy.load()?;
    let cache = Cache::open(data_dir)?;
    let db = VulnDb::new(cache.sled());
    let store = assure_engine::vuln::rematch::ImageStore::new(&cache.sled())?;
    let changes = store.rematch_with(&db, &mut |report| {
        let environment = report.environment.clone();
        policy.apply(report, environment);
    })?;
    for c in &changes {
        let verdict = match c.verdict {
            Some((_, true)) => "; verdict now passed",
            Some((_, false)) => "; verdict now FAILED",
            None => "",
        };
        println!(
            "{} ({}): {} appeared, {} disappeared{verdict}",
            c.reference,
            c.digest,
            c.appeared.len(),
            c.disappeared.len()
        );
        for a in &c.appeared {
            println!("  + {a}");
        }
        for d in &c.disappeared {
            println!("  - {d}");
        }
    }
    if changes.is_empty() {
        println!("no scanned images stored yet");
    }
    Ok(ExitCode::SUCCESS)
}

/// How long ago an RFC 3339 time was.
pub fn age(rfc3339: &str) -> Option<std::time::Duration> {
    let then = humantime::parse_rfc3339_weak(rfc3339).ok()?;
    std::time::SystemTime::now().duration_since(then).ok()
}

/// Run an `assure db` subcommand.
pub fn run(command: DbCommand, data_dir: &Path) -> Result<ExitCode> {
    let cache = Cache::open(data_dir)?;
    let db = VulnDb::new(cache.sled()).staging_in(data_dir);
    match command {
        DbCommand::Import(args) => {
            let (info, stats) = db
                .import(&args.paths)
                .context("import failed; the previous database is unchanged")?;
            println!(
                "imported {} advisories, {} known-exploited CVEs and {} threat indicators from {} files ({} ignored: not advisories, or not about packages); database generation {} holds {} advisories",
                stats.records,
                stats.exploited,
                stats.indicators,
                stats.files,
                stats.ignored,
                info.generation,
                info.advisories
            );
            if stats.skipped > 0 {
                eprintln!("skipped {} malformed records:", stats.skipped);
                for s in &stats.skipped_named {
                    eprintln!("  {s}");
                }
                if stats.skipped as usize > stats.skipped_named.len() {
                    eprintln!(
                        "  … and {} more",
                        stats.skipped as usize - stats.skipped_named.len()
                    );
                }
            }
        }
        DbCommand::Update(args) => return super::update::run(args, &db, data_dir),
        DbCommand::Status(args) => match db.info()? {
            Some(info) if args.format == "json" => {
                let mut v = serde_json::to_value(&info)?;
                v["age_seconds"] = age(&info.updated_at).map(|a| a.as_secs()).into();
                v["stale"] = age(&info.updated_at)
                    .is_some_and(|a| a > args.max_age)
                    .into();
                println!("{}", serde_json::to_string_pretty(&v)?)
            }
            Some(info) => {
                let age = age(&info.updated_at);
                println!(
                    "version {}\nupdated {} ({} ago)\nadvisories {}\nsources:\n  {}",
                    info.version(),
                    info.updated_at,
                    age.map_or("unknown time".into(), |a| humantime::format_duration(
                        std::time::Duration::from_secs(a.as_secs())
                    )
                    .to_string()),
                    info.advisories,
                    info.sources.join("\n  ")
                );
                if info.schema != assure_engine::vuln::db::SCHEMA {
                    eprintln!(
                        "warning: the vulnerability database is in layout {} and this assure reads layout {}: it is not used for matching; run `assure db update` to rebuild it",
                        info.schema,
                        assure_engine::vuln::db::SCHEMA
                    );
                }
                if let Some(a) = age.filter(|a| *a > args.max_age) {
                    eprintln!(
                        "warning: the vulnerability database is {} old (more than {}); run `assure db update`",
                        humantime::format_duration(std::time::Duration::from_secs(
                            a.as_secs() / 3600 * 3600
                        )),
                        humantime::format_duration(args.max_age)
                    );
                }
            }
            None => {
                println!("no vulnerability database yet; import one with `assure db import PATH`")
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
