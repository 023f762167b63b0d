//! `assure db update`: download advisory archives (by default OSV's per-ecosystem `all.zip`
//! and CISA's KEV catalog) from a list of mirrors, then import them in one atomic step.
//!
//! A download that fails on every mirror leaves the database as it was for that feed; what
//! did arrive is still imported. Scans never wait for an update.

use anyhow::{Context, Result, bail};
use assure_engine::vuln::db::VulnDb;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// OSV's public bucket: `<base>/<ecosystem>/all.zip`.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// CISA's catalog of known exploited vulnerabilities.
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The OSV ecosystems whose packages assure inventories.
pub const ECOSYSTEMS: &[&str] = &[
    "Alpine",
    "AlmaLinux",
    "Debian",
    "Rocky Linux",
    "PyPI",
    "npm",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
];
/// No advisory archive is larger than this.
const MAX_DOWNLOAD: u64 = 4 << 30;

/// Arguments of `assure db update`.
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Base URL of an OSV mirror (`<URL>/<ecosystem>/all.zip`); repeat to add fallbacks,
    /// tried in the order given.
    #[arg(long = "mirror", value_name = "URL", default_values_t = [OSV_BASE.to_string()])]
    mirrors: Vec<String>,
    /// OSV ecosystem to download; repeat for several (default: every ecosystem assure matches).
    #[arg(long = "ecosystem", value_name = "NAME")]
    ecosystems: Vec<String>,
    /// Another feed to download as it is (KEV, a Debian DSA list, …); repeat for several.
    #[arg(long = "feed", value_name = "URL", default_values_t = [KEV_URL.to_string()])]
    feeds: Vec<String>,
    /// Give up on one download after this long.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// Attempts per mirror before trying the next.
    #[arg(long, default_value_t = 2)]
    attempts: u32,
}

/// One file to fetch: where from (in order) and what to call it.
struct Download {
    name: String,
    urls: Vec<String>,
}

fn downloads(args: &UpdateArgs) -> Vec<Download> {
    let ecosystems: Vec<String> = if args.ecosystems.is_empty() {
        ECOSYSTEMS.iter().map(|e| e.to_string()).collect()
    } else {
        args.ecosystems.clone()
    };
    let mut out: Vec<Download> = ecosystems
        .iter()
        .map(|e| Download {
            name: format!("osv-{}.zip", e.replace(' ', "-")),
            urls: args
                .mirrors
                .iter()
                .map(|m| {
                    format!(
                        "{}/{}/all.zip",
                        m.trim_end_matches('/'),
                        e.replace(' ', "%20")
                    )
                })
                .collect(),
        })
        .collect();
    for url in &args.feeds {
        let file = url.rsplit('/').next().unwrap_or("feed").to_string();
        out.push(Download {
            name: format!("feed-{file}"),
            urls: vec![url.clone()],
        });
    }
    out
}

/// Run `assure db update` against the database `db` of `data_dir`.
pub fn run(args: UpdateArgs, db: &VulnDb, data_dir: &Path) -> Result<std::process::ExitCode> {
    let dir = data_dir.join("downloads");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let client = http::Http::new(args.timeout)?;
    let mut fetched = Vec::new();
    let mut failed = Vec::new();
    for d in downloads(&args) {
        match fetch(&client, &d, &dir, args.attempts.max(1)) {
            Ok((path, url)) => {
                eprintln!("downloaded {url}");
                fetched.push((path, url));
            }
            Err(e) => {
                eprintln!("{}: {e:#}", d.name);
                failed.push(d.name);
            }
        }
    }
    if fetched.is_empty() {
        bail!(
            "every download failed ({}); the database is unchanged",
            failed.join(", ")
        );
    }
    let (info, stats) = db
        .import_named(&fetched)
        .context("import failed; the previous database is unchanged")?;
    println!(
        "updated: {} advisories and {} known-exploited CVEs from {} archives; database version {} holds {} advisories",
        stats.records,
        stats.exploited,
        fetched.len(),
        info.version(),
        info.advisories
    );
    for (p, _) in &fetched {
        let _ = std::fs::remove_file(p);
    }
    if failed.is_empty() {
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        eprintln!("not updated (kept as they were): {}", failed.join(", "));
        Ok(std::process::ExitCode::from(1))
    }
}

/// Download `d` into `dir` from its first URL that works; the file and the URL it came from.
fn fetch(
    client: &http::Http,
    d: &Download,
    dir: &Path,
    attempts: u32,
) -> Result<(PathBuf, String)> {
    let mut errors = Vec::new();
    for url in &d.urls {
        for attempt in 1..=attempts {
            let part = dir.join(format!("{}.part", d.name));
            match client.get_to_file(url, &part) {
                Ok(()) => {
                    let done = dir.join(&d.name);
                    std::fs::rename(&part, &done)
                        .with_context(|| format!("renaming {}", part.display()))?;
                    return Ok((done, url.clone()));
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    errors.push(format!("{url} (attempt {attempt}): {e:#}"));
                    if attempt < attempts {
                        std::thread::sleep(Duration::from_millis(500 * u64::from(attempt)));
                    }
                }
            }
        }
    }
    bail!("no mirror worked:\n  {}", errors.join("\n  "))
}

/// The HTTP side, kept apart so the rest reads as plain steps.
mod http {
    use anyhow::{Context, Result, bail};
    use std::io::Write as _;
    use std::path::Path;
    use std::time::Duration;

    /// An HTTP client over rustls (ring), with the runtime that drives it.
    pub struct Http {
        client: ::reqwest::Client,
        runtime: tokio::runtime::Runtime,
    }

    impl Http {
        /// A client with connect and total timeouts.
        pub fn new(timeout: Duration) -> Result<Http> {
            let client = ::reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(15).min(timeout))
                .timeout(timeout)
                .user_agent(concat!("assure/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("building the HTTP client")?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the I/O runtime")?;
            Ok(Http { client, runtime })
        }

        /// GET `url` into `path`, refusing more than [`super::MAX_DOWNLOAD`] bytes and a
        /// body shorter than its `Content-Length`.
        pub fn get_to_file(&self, url: &str, path: &Path) -> Result<()> {
            let client = &self.client;
            self.runtime.block_on(async {
                let mut response = client.get(url).send().await?.error_for_status()?;
                let expected = response.content_length();
                let mut file = std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                let mut written = 0u64;
                while let Some(chunk) = response.chunk().await? {
                    written += chunk.len() as u64;
                    if written > super::MAX_DOWNLOAD {
                        bail!("larger than {} bytes", super::MAX_DOWNLOAD);
                    }
                    file.write_all(&chunk)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                if let Some(n) = expected
                    && n != written
                {
                    bail!("body cut short: {written} of {n} bytes");
                }
                file.sync_all()
                    .with_context(|| format!("writing {}", path.display()))?;
                Ok(())
            })
        }
    }
}
