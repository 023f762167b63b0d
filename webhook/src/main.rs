//! `assure-webhook`: the validating admission webhook (health endpoints so far).

mod server;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How often the certificate files are checked for rotation.
const RELOAD_EVERY: Duration = Duration::from_secs(10);

/// How long open connections may finish after SIGTERM; well inside the
/// default 30 s Kubernetes termination grace period.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Validating admission webhook for image assurance.
#[derive(Parser)]
#[command(name = "assure-webhook", version, about)]
struct Args {
    /// PEM certificate chain served to the API server (reloaded when it changes).
    #[arg(long, env = "ASSURE_WEBHOOK_TLS_CERT", value_name = "FILE")]
    tls_cert: PathBuf,
    /// PEM private key for the certificate (reloaded when it changes).
    #[arg(long, env = "ASSURE_WEBHOOK_TLS_KEY", value_name = "FILE")]
    tls_key: PathBuf,
    /// Address and port to serve HTTPS on.
    #[arg(
        long,
        env = "ASSURE_WEBHOOK_LISTEN",
        value_name = "ADDR",
        default_value = "0.0.0.0:8443"
    )]
    listen: SocketAddr,
    /// Log line format on stderr.
    #[arg(
        long,
        env = "ASSURE_WEBHOOK_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
}

/// Log line format.
#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Only ring is compiled in, but rustls refuses to guess if a second provider
    // ever joins the graph; installing it first makes the choice explicit.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    init_logging(args.log_format);
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            // 2 means the operator's input is wrong, as for the `assure` CLI.
            let bad_input = e
                .downcast_ref::<server::ServerError>()
                .is_some_and(server::ServerError::is_tls_input);
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("ASSURE_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(args: Args) -> Result<()> {
    let tls = server::Tls::load(server::TlsFiles {
        cert: args.tls_cert,
        key: args.tls_key,
    })
    .await?;
    let mut running = server::start(args.listen, tls.config()).await?;
    tracing::info!(addr = %running.local_addr(), "serving HTTPS");
    let reload = tls.spawn_reload(RELOAD_EVERY);

    let outcome = tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal = signal?, "shutting down");
            running.shutdown(SHUTDOWN_GRACE);
            running.wait().await.context("HTTPS server failed while shutting down")
        }
        // Not expected to finish on its own; if it does, the cause is the error.
        stopped = running.wait() => stopped.context("HTTPS server stopped unexpectedly"),
    };
    reload.abort();
    outcome
}

/// Waits for SIGTERM (kubelet) or SIGINT (terminal) and names which arrived.
async fn shutdown_signal() -> Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}
