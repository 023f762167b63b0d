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
    /// Show what the database holds.
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
}

/// Run `assure rematch`: match every stored inventory against the current database.
pub fn rematch(data_dir: &Path) -> Result<ExitCode> {
    let cache = Cache::open(data_dir)?;
    let db = VulnDb::new(cache.sled());
    let store = assure_engine::vuln::rematch::ImageStore::new(&cache.sled())?;
    let changes = store.rematch(&db)?;
    for c in &changes {
        println!(
            "{} ({}): {} appeared, {} disappeared",
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

/// Run an `assure db` subcommand.
pub fn run(command: DbCommand, data_dir: &Path) -> Result<ExitCode> {
    let cache = Cache::open(data_dir)?;
    let db = VulnDb::new(cache.sled());
    match command {
        DbCommand::Import(args) => {
            let (info, stats) = db
                .import(&args.paths)
                .context("import failed; the previous database is unchanged")?;
            println!(
                "imported {} advisories and {} known-exploited CVEs from {} files ({} ignored: not advisories, or not about packages); database generation {} holds {} advisories",
                stats.records,
                stats.exploited,
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
        DbCommand::Status(args) => match db.info()? {
            Some(info) if args.format == "json" => {
                println!("{}", serde_json::to_string_pretty(&info)?)
            }
            Some(info) => println!(
                "version {}\nupdated {}\nadvisories {}\nsources:\n  {}",
                info.version(),
                info.updated_at,
                info.advisories,
                info.sources.join("\n  ")
            ),
            None => {
                println!("no vulnerability database yet; import one with `assure db import PATH`")
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
