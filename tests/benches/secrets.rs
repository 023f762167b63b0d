//! Benchmark of the secret analyzer's content pass on a text-heavy tree, against reading the
//! same files alone and against `detect-secrets` on the same files, in the same run.
//!
//! ```text
//! cargo bench -p assure-tests --bench secrets -- [--detect-secrets PATH] [DIR...]
//! ```
//!
//! Default trees: this machine's Python packages and standard library and `/usr/share/doc`.
//! Files are read once to warm the page cache, then:
//! - read: walking the trees and reading every file (at most 64 MiB each, the walk's cap);
//! - scan (image paths): the analyzer as a scan runs it, with paths as they sit in an image,
//!   so documentation paths are skipped by the built-in allowlist;
//! - scan (every byte): the same content under neutral paths, so every file is matched (binary
//!   files are still sniffed and skipped); its text MB/s per core is the headline figure;
//! - detect-secrets: `detect-secrets scan --all-files` over the same trees.
//!
//! CPU time (user + system, from /proc) is used instead of wall time, so other work on the
//! machine does not count; the analyzer runs on one thread, so CPU seconds are core seconds.
//! Findings are compared by (file, line).

use assure_engine::analyze::{Analyzer, Artifact, Want};
use assure_engine::detect::secret::SecretAnalyzer;
use assure_engine::detect::secret::matcher::is_binary;
use assure_engine::layer::walk::EntryMeta;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const READ_CAP: u64 = 64 << 20;

/// Findings as (file, line).
type Found = BTreeSet<(String, u32)>;
const TARGET_MB_S: f64 = 150.0;

/// User + system CPU seconds of this process (`children`: of its waited-for children).
fn cpu_seconds(children: bool) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17 of stat(5); `rest` starts at field 3.
    let (u, s) = if children {
        (f[13], f[14])
    } else {
        (f[11], f[12])
    };
    (u + s) / ticks_per_second()
}

fn ticks_per_second() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output();
    out.ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            files(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

fn read_all(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths
        .iter()
        .map(|p| {
            let mut buf = Vec::new();
            if let Ok(f) = std::fs::File::open(p) {
                let _ = f.take(READ_CAP).read_to_end(&mut buf);
            }
            buf
        })
        .collect()
}

/// Run the analyzer over every file; the (file, line) of each detection.
fn scan(
    analyzer: &SecretAnalyzer,
    paths: &[PathBuf],
    contents: &[Vec<u8>],
    neutral: bool,
) -> Found {
    let mut found = BTreeSet::new();
    for (i, (path, content)) in paths.iter().zip(contents).enumerate() {
        let real = path.to_string_lossy().trim_start_matches('/').to_string();
        let shown = if neutral {
            format!("data/{i}")
        } else {
            real.clone()
        };
        let meta = EntryMeta::file(shown, 0o644, content.len() as u64);
        let Some(want) = analyzer.wants(&meta) else {
            continue;
        };
        let content: &[u8] = if want == Want::Meta { &[] } else { content };
        for a in analyzer.analyze(&meta, content, false).unwrap_or_default() {
            if let Artifact::Detection(d) = a {
                if neutral {
                    println!("  assure: {} /{real}:{}", d.rule_id, d.line.unwrap_or(0));
                }
                found.insert((format!("/{real}"), d.line.unwrap_or(0)));
            }
        }
    }
    found
}

fn detect_secrets(bin: &str, dirs: &[PathBuf]) -> Option<(f64, f64, Found)> {
    let before = cpu_seconds(true);
    let start = std::time::Instant::now();
    let mut found = BTreeSet::new();
    // detect-secrets reports nothing for paths outside its working directory: run it in each
    // tree and map its relative paths back.
    for dir in dirs {
        let out = Command::new(bin)
            .current_dir(dir)
            .args(["scan", "--all-files", "."])
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "detect-secrets failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        for (file, list) in report["results"].as_object()? {
            for r in list.as_array()? {
                let line = r["line_number"].as_u64().unwrap_or(0) as u32;
                let file = dir.join(file.trim_start_matches("./"));
                found.insert((file.display().to_string(), line));
            }
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(true) - before;
    Some((wall, cpu, found))
}

fn main() {
    let mut args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut ds = std::env::var("DETECT_SECRETS").unwrap_or_else(|_| "detect-secrets".into());
    if let Some(i) = args.iter().position(|a| a == "--detect-secrets") {
        ds = args.get(i + 1).cloned().unwrap_or(ds);
        args.drain(i..(i + 2).min(args.len()));
    }
    let dirs: Vec<PathBuf> = if args.is_empty() {
        let mut d = vec![
            PathBuf::from("/usr/lib/python3/dist-packages"),
            PathBuf::from("/usr/share/doc"),
        ];
        if let Ok(entries) = std::fs::read_dir("/usr/lib") {
            let mut py: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("python3."))
                })
                .collect();
            py.sort();
            d.extend(py);
        }
        d.into_iter().filter(|p| p.is_dir()).collect()
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let mut paths = Vec::new();
    for d in &dirs {
        files(d, &mut paths);
    }
    paths.sort();
    let _warm = read_all(&paths);
    drop(_warm);

    let c0 = cpu_seconds(false);
    let contents = read_all(&paths);
    let read_cpu = cpu_seconds(false) - c0;
    let total: u64 = contents.iter().map(|c| c.len() as u64).sum();
    let text: u64 = contents
        .iter()
        .filter(|c| !is_binary(c))
        .map(|c| c.len() as u64)
        .sum();
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "trees: {}\nfiles: {}, {:.1} MB ({:.1} MB text)",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        paths.len(),
        mb(total),
        mb(text)
    );
    println!(
        "read (walk alone):       {:.2} s CPU, {:.0} MB/s per core",
        read_cpu,
        mb(total) / read_cpu.max(1e-9)
    );

    let analyzer = SecretAnalyzer::builtin();
    let c0 = cpu_seconds(false);
    let image_found = scan(&analyzer, &paths, &contents, false);
    let image_cpu = cpu_seconds(false) - c0;
    println!(
        "scan (image paths):      {:.2} s CPU, {:.0} MB/s per core, {} findings",
        image_cpu,
        mb(total) / image_cpu.max(1e-9),
        image_found.len()
    );
    let c0 = cpu_seconds(false);
    let ours = scan(&analyzer, &paths, &contents, true);
    let ours_cpu = cpu_seconds(false) - c0;
    let text_rate = mb(text) / ours_cpu.max(1e-9);
    println!(
        "scan (every byte):       {:.2} s CPU, {:.0} MB/s per core ({:.0} MB/s of text per core; target {TARGET_MB_S}), {} findings",
        ours_cpu,
        mb(total) / ours_cpu.max(1e-9),
        text_rate,
        ours.len()
    );
    match detect_secrets(&ds, &dirs) {
        Some((wall, cpu, theirs)) => {
            let both = ours.intersection(&theirs).count();
            println!(
                "detect-secrets:          {:.2} s CPU ({:.2} s wall), {:.1} MB/s per core, {} findings",
                cpu,
                wall,
                mb(total) / cpu.max(1e-9),
                theirs.len()
            );
            println!(
                "findings: {both} by both, {} only by assure, {} only by detect-secrets; assure is {:.1}x faster per core",
                ours.len() - both,
                theirs.len() - both,
                cpu / ours_cpu.max(1e-9)
            );
            let only: Vec<_> = theirs.difference(&ours).collect();
            for (f, l) in only.iter().take(15) {
                println!("  only detect-secrets: {f}:{l}");
            }
        }
        None => println!(
            "detect-secrets: not run ({ds} not found or failed; pip install detect-secrets)"
        ),
    }
}
