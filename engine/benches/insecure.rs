//! Throughput of the insecure-code rules over source text: ordinary code with a few hits, and a
//! hostile single-line file of near-matches.

use assure_engine::analyze::Analyzer;
use assure_engine::detect::insecure::{InsecureAnalyzer, builtin_rules};
use assure_engine::layer::walk::EntryMeta;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn entry(path: &str, size: usize) -> EntryMeta {
    EntryMeta::file(path, 0o644, size as u64)
}

fn bench(c: &mut Criterion) {
    let analyzer = InsecureAnalyzer::new(builtin_rules());
    let ordinary = "import os\nimport yaml\n\ndef handler(request):\n    name = request.args.get('name', '')\n    path = os.path.join(BASE, name)\n    with open(path) as f:\n        return yaml.safe_load(f)\n\n"
        .repeat(12_000);
    let hostile = "yaml.load(x, Loader=SafeLoader); ".repeat(30_000);
    let mut group = c.benchmark_group("insecure");
    for (name, path, text) in [
        ("python", "app/handlers.py", ordinary.as_bytes()),
        ("python_one_line", "app/min.py", hostile.as_bytes()),
        ("shell", "app/setup.sh", ordinary.as_bytes()),
    ] {
        let e = entry(path, text.len());
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| analyzer.analyze(black_box(&e), black_box(text), false))
        });
    }
    group.finish();
    c.bench_function("insecure/wants_per_entry", |b| {
        let e = entry("usr/share/doc/libc6/changelog.Debian.gz", 4096);
        b.iter(|| analyzer.wants(black_box(&e)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
