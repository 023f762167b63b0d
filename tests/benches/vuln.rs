//! Benchmark of the vulnerability database: import of every advisory set in the shared data,
//! matching a 2,000-package inventory, and re-matching 1,000 stored inventories.
//!
//! Floors measured in the same run: for the import, reading and parsing the same feeds without
//! storing them; for matching, one database lookup per package. Each phase runs in a child
//! process so that the peak RSS it reports (VmHWM) is its own.
//! Targets: import ≤ 30 s and ≤ 200 MiB; match ≤ 20 ms; re-match ≤ 10 s.
//!
//! ```text
//! cargo bench -p assure-tests --bench vuln [-- --work DIR]
//! ```

use anyhow::{Context, Result, anyhow};
use assure_engine::Cache;
use assure_engine::report::{ImageInfo, Os, Package, Report, Status};
use assure_engine::vuln::db::VulnDb;
use assure_engine::vuln::import::{ImportStats, read_path};
use assure_engine::vuln::matcher::match_packages;
use assure_engine::vuln::rematch::ImageStore;
use assure_tests::measure::{median, vm_hwm_kib};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Every advisory set of the shared data.
const FEEDS: &[&str] = &[
    "osv-go",
    "osv-pypi",
    "osv-ghsa",
    "osv-almalinux",
    "osv-bitnami",
    "osv-kubernetes",
    "debian",
    "alpine-secdb",
    "malicious-packages",
    "rustsec",
    "npm-nodejs-security-wg",
    "cisa-kev",
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let data = assure_tests::data::test_data().ok_or_else(|| anyhow!("no shared data"))?;
    let feeds: Vec<PathBuf> = FEEDS.iter().map(|f| data.join(f)).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    match args.first().map(String::as_str) {
        Some("phase") => {
            let work = PathBuf::from(flag("--work").context("--work")?);
            let phase = args.get(1).context("phase name")?;
            run_phase(phase, &work, &feeds)
        }
        _ => {
            let tmp = tempfile::tempdir()?;
            let work = flag("--work").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
            std::fs::create_dir_all(&work)?;
            for phase in ["parse", "import", "inventory", "match", "rematch"] {
                let out = Command::new(std::env::current_exe()?)
                    .args(["phase", phase, "--work"])
                    .arg(&work)
                    .output()?;
                if !out.status.success() {
                    anyhow::bail!("{phase}: {}", String::from_utf8_lossy(&out.stderr));
                }
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
            Ok(())
        }
    }
}

fn run_phase(phase: &str, work: &Path, feeds: &[PathBuf]) -> Result<()> {
    let dir = work.join("data");
    match phase {
        "parse" => {
            let start = Instant::now();
            let mut stats = ImportStats::default();
            for f in feeds {
                read_path(f, &mut stats, &mut |_| Ok(()))?;
            }
            report(
                "parse (floor)",
                start.elapsed(),
                &format!("{} advisories, {} skipped", stats.records, stats.skipped),
            )
        }
        "import" => {
            let _ = std::fs::remove_dir_all(&dir);
            let cache = Cache::open(&dir)?;
            let db = VulnDb::new(cache.sled()).staging_in(&dir);
            let start = Instant::now();
            let (info, stats) = db.import(feeds)?;
            cache.flush()?;
            let took = start.elapsed();
            drop(db);
            drop(cache);
            report(
                "import",
                took,
                &format!(
                    "{} advisories stored, {} KEV entries, {} MiB on disk",
                    info.advisories,
                    stats.exploited,
                    dir_size(&dir) >> 20
                ),
            )
        }
        "inventory" => {
            // A 2,000-package inventory of names the feeds know (a third deb, a third PyPI, a
            // third npm), at versions old enough to be affected often.
            let packages = inventory(feeds)?;
            std::fs::write(work.join("inventory.json"), serde_json::to_vec(&packages)?)?;
            report(
                "inventory",
                Duration::ZERO,
                &format!("{} packages", packages.len()),
            )
        }
        "match" => {
            let packages: Vec<Package> =
                serde_json::from_slice(&std::fs::read(work.join("inventory.json"))?)?;
            let cache = Cache::open(&dir)?;
            let db = VulnDb::new(cache.sled());
            let os = debian_11();
            let snap = db.snapshot()?.context("empty database")?;
            let mut floor = Vec::new();
            let mut times = Vec::new();
            let mut found = 0;
            for _ in 0..7 {
                let start = Instant::now();
                for p in &packages {
                    let eco = if p.kind == "deb" {
                        "debian"
                    } else {
                        p.kind.as_str()
                    };
                    std::hint::black_box(snap.candidates(eco, &p.name)?);
                }
                floor.push(start.elapsed());
                let start = Instant::now();
                found = match_packages(&db, &packages, Some(&os))?.len();
                times.push(start.elapsed());
            }
            let (t, f) = (median(times), median(floor));
            report(
                "match",
                t,
                &format!(
                    "{} packages, {found} findings; floor (one lookup per package) {:.1} ms, ratio {:.2}",
                    packages.len(),
                    f.as_secs_f64() * 1e3,
                    t.as_secs_f64() / f.as_secs_f64()
                ),
            )
        }
        "rematch" => {
            let packages: Vec<Package> =
                serde_json::from_slice(&std::fs::read(work.join("inventory.json"))?)?;
            let cache = Cache::open(&dir)?;
            let db = VulnDb::new(cache.sled());
            let store = ImageStore::new(&cache.sled())?;
            // 1,000 images of 200 packages each, drawn from the inventory.
            for i in 0..1000usize {
                let mut r = Report::new(Status::Scanned, image(i));
                r.image.os = Some(debian_11());
                r.packages = (0..200)
                    .map(|k| packages[(i * 37 + k * 11) % packages.len()].clone())
                    .collect();
                store.put(&r)?;
            }
            cache.flush()?;
            let start = Instant::now();
            let changes = store.rematch(&db)?;
            let took = start.elapsed();
            let appeared: usize = changes.iter().map(|c| c.appeared.len()).sum();
            report(
                "rematch",
                took,
                &format!(
                    "{} stored inventories of 200 packages, {appeared} findings appeared",
                    changes.len()
                ),
            )
        }
        other => Err(anyhow!("unknown phase {other}")),
    }
}

fn report(phase: &str, took: Duration, what: &str) -> Result<()> {
    println!(
        "{phase:14} {:>9.1} ms  peak RSS {:>6.1} MiB  {what}",
        took.as_secs_f64() * 1e3,
        vm_hwm_kib()? as f64 / 1024.0
    );
    Ok(())
}

fn debian_11() -> Os {
    Os {
        family: "debian".into(),
        version: Some("11".into()),
        codename: Some("bullseye".into()),
        name: None,
    }
}

fn image(i: usize) -> ImageInfo {
    ImageInfo::new(format!("bench/image:{i}"), format!("sha256:{i:064x}"))
}

/// Package names from the feeds themselves: Debian source packages of the DSA list, PyPI
/// project directories and npm modules of the Node.js WG, ~667 of each.
fn inventory(feeds: &[PathBuf]) -> Result<Vec<Package>> {
    let root = feeds[0].parent().context("data dir")?;
    let dsa = std::fs::read_to_string(root.join("debian/security-tracker/DSA-list.txt"))?;
    let mut debs: Vec<String> = dsa
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[bullseye] - "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    debs.sort();
    debs.dedup();
    let mut out: Vec<Package> = debs
        .into_iter()
        .take(667)
        .map(|n| {
            let mut p = Package::new("deb", n.clone(), "0.1-1");
            p.source_name = Some(n);
            p
        })
        .collect();
    let names = |archive: &str, prefix: &str| -> Result<Vec<String>> {
        let file = std::fs::File::open(root.join(archive))?;
        let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(file)?);
        let mut names: Vec<String> = Vec::new();
        for e in tar.entries()? {
            let e = e?;
            let path = e.path()?.to_string_lossy().into_owned();
            if let Some(rest) = path.strip_prefix(prefix)
                && let Some(name) = rest.split('/').next()
                && !name.is_empty()
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    };
    out.extend(
        names("osv-pypi/pypa-advisory-database-vulns.tar.zst", "./vulns/")?
            .into_iter()
            .take(667)
            .map(|n| Package::new("pypi", n, "0.1")),
    );
    let npm: Vec<String> = names(
        "malicious-packages/ossf-malicious-packages-osv.tar.zst",
        "./osv/malicious/npm/",
    )?;
    out.extend(
        npm.into_iter()
            .take(2000 - out.len())
            .map(|n| Package::new("npm", n, "0.0.1")),
    );
    Ok(out)
}

fn dir_size(dir: &Path) -> u64 {
    walk(dir)
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
