//! Judging a stored summary against a ruleset, as the admission webhook does per request.
//!
//! `cargo bench -p assure-engine --bench policy`
//!
//! The summary holds 300 findings (CVEs of every severity, half with a fix, licence findings,
//! a leaked key and a malicious URL); the rulesets are the built-in one and one with 20 ignores.

use assure_engine::policy::load::from_yaml;
use assure_engine::policy::{Context, Ruleset, StoredSummary, apply};
use assure_engine::report::{
    Category, Finding, ImageInfo, Package, PackageRef, Report, Severity, Status,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Unknown,
];

fn report() -> Report {
    let mut r = Report::new(
        Status::Scanned,
        ImageInfo::new(
            "registry.example/app:1",
            format!("sha256:{}", "ab".repeat(32)),
        ),
    );
    for i in 0..280 {
        let mut f = Finding::new(
            format!("{i:016x}"),
            Category::Cve,
            format!("CVE-2024-{i:05}"),
            SEVERITIES[i % SEVERITIES.len()],
        );
        f.rule_id = Some(format!("GHSA-{i:04}-xxxx-yyyy"));
        f.package = Some(PackageRef {
            name: format!("lib{}", i % 40),
            version: "1.2.3".into(),
            kind: Some("deb".into()),
            purl: None,
        });
        f.fixed_version = (i % 2 == 0).then(|| "1.2.4".into());
        r.findings.push(f);
    }
    for (i, licence) in ["GPL-2.0-only", "MIT", "MPL-2.0", "AGPL-3.0-only"]
        .iter()
        .enumerate()
    {
        let mut p = Package::new("deb", format!("pkg{i}"), "1");
        p.licenses = vec![licence.to_string()];
        r.packages.push(p);
    }
    let mut key = Finding::new(
        "k",
        Category::InsecureContent,
        "aws-access-key-id",
        Severity::High,
    );
    key.path = Some("/app/.env:3".into());
    r.findings.push(key);
    r.findings.push(Finding::new(
        "u",
        Category::MaliciousURL,
        "http://evil.example/",
        Severity::High,
    ));
    r
}

fn with_ignores() -> Ruleset {
    let ignores: String = (0..20)
        .map(|i| {
            format!(
                "- {{id: CVE-2024-{:05}, reason: not reachable, expires: 2099-01-01}}\n",
                i * 5
            )
        })
        .collect();
    from_yaml(
        "bench.yaml",
        &format!(
            "name: strict\nthresholds:\n- {{category: CVE, severity: high, max: 5}}\n- {{severity: critical, fixedOnly: true, max: 0}}\nignores:\n{ignores}"
        ),
    )
    .expect("bench ruleset parses")
}

fn bench(c: &mut Criterion) {
    let builtin = Ruleset::builtin();
    let strict = with_ignores();
    let mut r = report();
    apply(&mut r, &builtin, &[], &Context::new(Some("prod".into())));
    let summary = StoredSummary::of(&r, 1000);
    let now = std::time::SystemTime::now();
    let mut g = c.benchmark_group("policy");
    g.bench_function("judge stored summary, built-in ruleset", |b| {
        b.iter(|| black_box(summary.judge(black_box(&builtin), now)))
    });
    g.bench_function("judge stored summary, 20 ignores", |b| {
        b.iter(|| black_box(summary.judge(black_box(&strict), now)))
    });
    let mut bare = strict.clone();
    bare.ignores.clear();
    g.bench_function(
        "judge stored summary, same thresholds without ignores",
        |b| b.iter(|| black_box(summary.judge(black_box(&bare), now))),
    );
    g.bench_function("apply ruleset to full report", |b| {
        b.iter(|| {
            let mut copy = r.clone();
            apply(
                &mut copy,
                black_box(&builtin),
                &[],
                &Context::new(Some("prod".into())),
            );
            black_box(copy)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
