//! Throughput of URL and IP extraction over the machine's own binaries and scripts, against a
//! floor of one `memchr` pass counting dots over the same bytes.
//!
//! `cargo bench -p assure-engine --bench indicators`

use assure_engine::threat::extract::extract;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

/// Files below `dir` (not following links), concatenated up to `limit` bytes, one `Vec` each.
fn corpus(dirs: &[&str], limit: usize) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<Vec<u8>>, total: &mut usize, limit: usize) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if *total >= limit {
                return;
            }
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                walk(&p, out, total, limit);
            } else if meta.is_file()
                && meta.len() <= 8 << 20
                && let Ok(bytes) = std::fs::read(&p)
            {
                *total += bytes.len();
                out.push(bytes);
            }
        }
    }
    let mut out = Vec::new();
    let mut total = 0;
    for d in dirs {
        walk(Path::new(d), &mut out, &mut total, limit);
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("indicators");
    group.sample_size(10);
    for (name, files) in [
        (
            "binaries",
            corpus(&["/usr/bin", "/usr/lib/x86_64-linux-gnu"], 64 << 20),
        ),
        (
            "scripts",
            corpus(&["/usr/share/perl", "/usr/lib/python3"], 32 << 20),
        ),
    ] {
        let bytes: usize = files.iter().map(Vec::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{name}/extract"), |b| {
            b.iter(|| {
                files
                    .iter()
                    .map(|f| extract(black_box(f)).len())
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("{name}/floor_memchr"), |b| {
            b.iter(|| {
                files
                    .iter()
                    .map(|f| memchr::memchr_iter(b'.', black_box(f)).count())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
