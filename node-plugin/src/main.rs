//! `assure`: scan container images; the node agent and registry scanner build on it.

mod cli;
mod containerd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Image assurance for Kubernetes.
#[derive(Parser)]
#[command(name = "assure", version, about)]
struct Cli {
    /// Data directory (cache of layer analyses).
    #[arg(long, global = true, env = "ASSURE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan one image.
    Scan(Box<cli::scan::ScanArgs>),
    /// Match every stored inventory against the current database, check stored indicators
    /// against the threat feeds and judge every image again, without reading images.
    Rematch(cli::policy::PolicyArgs),
    /// List the findings of every scanned image, filtered and searched.
    Findings(cli::findings::FindingsArgs),
    /// Manage the vulnerability database.
    #[command(subcommand)]
    Db(cli::db::DbCommand),
}

fn main() -> ExitCode {
    // One process-wide TLS provider: ring (aws-lc-rs is kept out of the build).
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ASSURE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let result = match cli.command {
        Command::Scan(args) => cli::scan::run(*args, &data_dir),
        Command::Db(command) => cli::db::run(command, &data_dir),
        Command::Rematch(policy) => cli::db::rematch(&policy, &data_dir),
        Command::Findings(args) => cli::findings::run(args, &data_dir),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("assure: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `~/.cache/assure` (or `$XDG_CACHE_HOME/assure`).
fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("assure");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/assure"),
        None => PathBuf::from("/var/lib/assure"),
    }
}
