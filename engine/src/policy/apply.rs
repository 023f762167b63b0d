//! Applying a ruleset to a full report: licence findings, environment and ruleset on every
//! finding, VEX and ignore suppressions, the verdict, and the `ImageScan` finding that says
//! the image went over a threshold. Applying again (after a re-match, or with another ruleset)
//! gives the same result as applying once.

use crate::policy::evaluate::{Disposition, disposition, judge, scanned};
use crate::policy::ignore::IgnoreIndex;
use crate::policy::ruleset::Ruleset;
use crate::policy::vex::{self, VexDocument};
use crate::policy::{Context, license};
use crate::report::{
    Category, Finding, Report, Severity, Summary, SuppressedBy, Suppression, Verdict,
};
use sha2::{Digest as _, Sha256};
use std::collections::HashSet;

/// The rule id of the `ImageScan` finding a failed threshold yields.
pub const THRESHOLD_RULE: &str = "threshold";

/// Apply `ruleset` (and the VEX documents) to `report`.
pub fn apply(report: &mut Report, ruleset: &Ruleset, vex: &[VexDocument], ctx: &Context) {
    unapply(report);
    fill_purls(report);
    let licences = license::findings(&ruleset.licenses, &report.packages);
    report.findings.extend(licences);
    report.environment = ctx.environment.clone();
    report.units = ctx.units.clone();

    let image = (report.image.digest.clone(), report.image.reference.clone());
    let ignores = IgnoreIndex::new(&ruleset.ignores);
    for f in &mut report.findings {
        f.environment = ctx.environment.clone();
        f.ruleset = Some(ruleset.name.clone());
        f.suppression =
            vex_suppression(f, (&image.0, &image.1), vex).or_else(|| {
                match disposition(&ignores, f, ctx.now) {
                    Disposition::Active => None,
                    Disposition::Ignored(i) => Some(ignore_suppression(i, false)),
                    Disposition::Expired(i) => Some(ignore_suppression(i, true)),
                }
            });
    }
    let (active, suppressed): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut report.findings)
        .into_iter()
        .partition(|f| f.suppression.as_ref().is_none_or(|s| s.expired));
    report.findings = active;
    report.suppressed = suppressed;

    let refs: Vec<&Finding> = report.findings.iter().collect();
    let j = judge(
        ruleset,
        report.status,
        report.message.as_deref(),
        &refs,
        &[],
    );
    if !j.passed && scanned(report.status) {
        let f = image_scan_finding(report, ruleset, &j.violations, j.worst);
        report.findings.push(f);
    }
    report.verdict = Verdict {
        ruleset: ruleset.name.clone(),
        passed: j.passed,
        violations: j.violations,
        action: Some(j.action),
    };
    report.summary = Summary::of(&report.findings);
}

/// Undo an earlier application: suppressed findings come back, policy-made findings go.
pub fn unapply(report: &mut Report) {
    report.findings.append(&mut report.suppressed);
    let mut seen = HashSet::new();
    report.findings.retain(|f| {
        let made = match f.rule_id.as_deref() {
            Some(r) if f.category == Category::ImageScan => r == THRESHOLD_RULE,
            Some(r) if f.category == Category::Package => {
                r.starts_with(license::RULE) && r[license::RULE.len()..].starts_with(':')
            }
            _ => false,
        };
        !made && seen.insert(f.id.clone())
    });
    for f in &mut report.findings {
        f.suppression = None;
    }
}

/// Give findings the purl of their package, which VEX statements name products by.
fn fill_purls(report: &mut Report) {
    for f in &mut report.findings {
        let Some(p) = f.package.as_mut().filter(|p| p.purl.is_none()) else {
            continue;
        };
        p.purl = report
            .packages
            .iter()
            .find(|q| {
                q.name == p.name && q.version == p.version && p.kind.as_deref() == Some(&q.kind)
            })
            .and_then(|q| q.purl.clone());
    }
}

fn vex_suppression(f: &Finding, image: (&str, &str), docs: &[VexDocument]) -> Option<Suppression> {
    if docs.is_empty() {
        return None;
    }
    let mut ids: Vec<&str> = vec![f.title.as_str()];
    ids.extend(f.rule_id.as_deref());
    ids.extend(f.aliases.iter().map(String::as_str));
    vex::suppression(
        docs,
        &vex::Subject {
            ids: &ids,
            purl: f.package.as_ref().and_then(|p| p.purl.as_deref()),
            digest: image.0,
            reference: image.1,
        },
    )
}

fn ignore_suppression(i: &crate::policy::ignore::Ignore, expired: bool) -> Suppression {
    Suppression {
        by: SuppressedBy::Ignore,
        reason: i.reason.clone(),
        expires: i.expires.as_ref().map(|e| e.as_str().to_string()),
        expired,
    }
}

/// The `ImageScan` finding: titled with the image, saying which thresholds it went over.
fn image_scan_finding(
    report: &Report,
    ruleset: &Ruleset,
    violations: &[String],
    worst: Option<Severity>,
) -> Finding {
    let image = &report.image;
    let key = format!("ImageScan\0{}\0{}", ruleset.name, image.digest);
    let mut f = Finding::new(
        hex::encode(&Sha256::digest(key.as_bytes())[..8]),
        Category::ImageScan,
        image.reference.clone(),
        worst.unwrap_or(Severity::Unknown),
    );
    f.description = Some(format!(
        "{} ({}) goes over the thresholds of ruleset {}: {}.",
        image.reference,
        image.digest,
        ruleset.name,
        violations.join("; ")
    ));
    f.environment = report.environment.clone();
    f.ruleset = Some(ruleset.name.clone());
    f.rule_id = Some(THRESHOLD_RULE.into());
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load::from_yaml;
    use crate::policy::summary::StoredSummary;
    use crate::report::{ImageInfo, Package, PackageRef, Status};
    use std::time::{Duration, UNIX_EPOCH};

    const DIGEST: &str = "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

    fn finding(category: Category, title: &str, severity: Severity) -> Finding {
        let id = hex::encode(&Sha256::digest(format!("{category:?}{title}"))[..8]);
        let mut f = Finding::new(id, category, title, severity);
        f.rule_id = Some(title.into());
        f
    }

    fn cve(
        id: &str,
        severity: Severity,
        package: &str,
        version: &str,
        fixed: Option<&str>,
    ) -> Finding {
        let mut f = finding(Category::Cve, id, severity);
        f.package = Some(PackageRef {
            name: package.into(),
            version: version.into(),
            kind: Some("deb".into()),
            purl: None,
        });
        f.fixed_version = fixed.map(str::to_string);
        f
    }

    fn package(name: &str, version: &str, licence: &str) -> Package {
        let mut p = Package::new("deb", name, version);
        p.purl = Some(format!("pkg:deb/debian/{name}@{version}?arch=amd64"));
        p.licenses = vec![licence.into()];
        p
    }

    fn report(findings: Vec<Finding>, packages: Vec<Package>) -> Report {
        let mut r = Report::new(
            Status::Scanned,
            ImageInfo::new("docker.io/library/app:1", DIGEST),
        );
        r.findings = findings;
        r.packages = packages;
        r
    }

    fn ctx(now_secs: u64) -> Context {
        Context {
            environment: Some("prod-eu".into()),
            units: vec!["production".into()],
            now: UNIX_EPOCH + Duration::from_secs(now_secs),
        }
    }

    fn ruleset(yaml: &str) -> Ruleset {
        from_yaml("test.yaml", &format!("name: test\n{yaml}")).unwrap()
    }

    /// A report carrying one finding of every category, the previous `ImageScan` included.
    fn every_category() -> Report {
        let mut secret = finding(
            Category::InsecureContent,
            "aws-access-key-id",
            Severity::High,
        );
        secret.path = Some("/app/.env:3".into());
        secret.evidence = Some(crate::detect::redact("AKIAIOSFODNN7EXAMPLE"));
        let mut rollup = finding(Category::Package, "openssl 3.0.11", Severity::Critical);
        rollup.rule_id = Some(crate::vuln::rollup::RULE.into());
        let mut stale = finding(
            Category::ImageScan,
            "docker.io/library/app:1",
            Severity::Critical,
        );
        stale.rule_id = Some(THRESHOLD_RULE.into());
        report(
            vec![
                cve(
                    "CVE-2024-0001",
                    Severity::Critical,
                    "openssl",
                    "3.0.11",
                    Some("3.0.13"),
                ),
                finding(
                    Category::MaliciousURL,
                    "http://evil.example/x",
                    Severity::High,
                ),
                finding(Category::MaliciousIP, "203.0.113.7", Severity::High),
                finding(Category::MaliciousFile, "yara:EICAR", Severity::Critical),
                finding(Category::InsecureCode, "root-user", Severity::Medium),
                secret,
                rollup,
                stale,
            ],
            vec![
                package("openssl", "3.0.11", "Apache-2.0"),
                package("ghostscript", "10.0", "AGPL-3.0-or-later"),
            ],
        )
    }

    #[test]
    fn the_default_ruleset_on_one_finding_of_every_category() {
        let mut r = every_category();
        apply(&mut r, &Ruleset::builtin(), &[], &ctx(0));
        assert!(!r.verdict.passed);
        assert_eq!(r.verdict.ruleset, "default");
        assert_eq!(r.verdict.action, Some(crate::report::Action::Deny));
        let v = &r.verdict.violations;
        let expected = [
            "1 critical CVE finding with a fix > 0 allowed: CVE-2024-0001 in openssl 3.0.11 (fixed 3.0.13)",
            "1 MaliciousFile finding > 0 allowed: yara:EICAR",
            "1 MaliciousURL finding > 0 allowed: http://evil.example/x",
            "1 MaliciousIP finding > 0 allowed: 203.0.113.7",
            "1 high or worse InsecureContent finding > 0 allowed: aws-access-key-id at /app/.env:3",
            "1 critical Package finding of rule license: > 0 allowed: AGPL-3.0-or-later in ghostscript 10.0",
        ];
        assert_eq!(v, &expected, "{v:#?}");
        // Medium insecure code, the package rollup and the Apache licence are reported only.
        let scans: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.category == Category::ImageScan)
            .collect();
        assert_eq!(scans.len(), 1, "the stale ImageScan finding is replaced");
        assert_eq!(scans[0].title, "docker.io/library/app:1");
        assert_eq!(scans[0].severity, Severity::Critical);
        assert!(
            scans[0]
                .description
                .as_deref()
                .unwrap()
                .contains("CVE-2024-0001")
        );
        for category in Category::ALL {
            assert!(
                r.findings.iter().any(|f| f.category == category),
                "{category:?}"
            );
        }
        for f in &r.findings {
            assert_eq!(f.environment.as_deref(), Some("prod-eu"), "{}", f.title);
            assert_eq!(f.ruleset.as_deref(), Some("default"), "{}", f.title);
        }
        assert_eq!(r.environment.as_deref(), Some("prod-eu"));
        assert_eq!(r.units, ["production"]);
        assert_eq!(r.summary, Summary::of(&r.findings));
        let licences: Vec<(&str, Severity)> = r
            .findings
            .iter()
            .filter(|f| {
                f.rule_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("license:"))
            })
            .map(|f| (f.title.as_str(), f.severity))
            .collect();
        assert_eq!(
            licences,
            [
                ("Apache-2.0", Severity::Low),
                ("AGPL-3.0-or-later", Severity::Critical)
            ]
        );
    }

    #[test]
    fn applying_again_gives_the_same_report_and_the_same_ids() {
        let mut once = every_category();
        apply(&mut once, &Ruleset::builtin(), &[], &ctx(0));
        let mut twice = once.clone();
        apply(&mut twice, &ruleset("thresholds: []"), &[], &ctx(0));
        apply(&mut twice, &Ruleset::builtin(), &[], &ctx(0));
        assert_eq!(once, twice);
        let mut fresh = every_category();
        apply(&mut fresh, &Ruleset::builtin(), &[], &ctx(0));
        let ids = |r: &Report| r.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&once), ids(&fresh));
    }

    #[test]
    fn thresholds() {
        let crit_fixed = || {
            cve(
                "CVE-1",
                Severity::Critical,
                "openssl",
                "3.0.11",
                Some("3.0.13"),
            )
        };
        let crit_unfixed = || cve("CVE-2", Severity::Critical, "zlib", "1.2", None);
        let high = || cve("CVE-3", Severity::High, "curl", "8.0", Some("8.1"));
        let low = || cve("CVE-4", Severity::Low, "curl", "8.0", None);
        let secret = || finding(Category::InsecureContent, "github-pat", Severity::Critical);
        type Case = (&'static str, Vec<Finding>, Option<&'static str>);
        let cases: Vec<Case> = vec![
            (
                "- {category: CVE, severity: critical, max: 0}",
                vec![crit_fixed()],
                Some("1 critical CVE finding > 0 allowed: CVE-1 in openssl 3.0.11 (fixed 3.0.13)"),
            ),
            (
                "- {category: CVE, severity: critical, max: 1}",
                vec![crit_fixed()],
                None,
            ),
            (
                "- {category: CVE, severity: critical, max: 1}",
                vec![crit_fixed(), crit_unfixed()],
                Some(
                    "2 critical CVE findings > 1 allowed: CVE-1 in openssl 3.0.11 (fixed 3.0.13), CVE-2 in zlib 1.2",
                ),
            ),
            (
                "- {category: CVE, severity: high, max: 0}",
                vec![crit_unfixed()],
                Some("1 high or worse CVE finding > 0 allowed: CVE-2 in zlib 1.2"),
            ),
            (
                "- {category: CVE, severity: medium, max: 0}",
                vec![low()],
                None,
            ),
            (
                "- {category: CVE, max: 1}",
                vec![low(), high()],
                Some(
                    "2 CVE findings > 1 allowed: CVE-3 in curl 8.0 (fixed 8.1), CVE-4 in curl 8.0",
                ),
            ),
            (
                "- {category: CVE, severity: critical, fixedOnly: true, max: 0}",
                vec![crit_unfixed()],
                None,
            ),
            (
                "- {category: CVE, severity: critical, fixedOnly: true, max: 0}",
                vec![crit_unfixed(), crit_fixed()],
                Some(
                    "1 critical CVE finding with a fix > 0 allowed: CVE-1 in openssl 3.0.11 (fixed 3.0.13)",
                ),
            ),
            (
                "- {severity: critical, max: 0}",
                vec![secret()],
                Some("1 critical finding > 0 allowed: github-pat"),
            ),
            (
                "- {category: CVE, severity: critical, max: 0}",
                vec![secret()],
                None,
            ),
            (
                "- {category: InsecureContent, max: 0}",
                vec![secret()],
                Some("1 InsecureContent finding > 0 allowed: github-pat"),
            ),
            ("[]", vec![crit_fixed(), secret()], None),
        ];
        for (thresholds, findings, violation) in cases {
            let rules = ruleset(&format!("thresholds:\n  {thresholds}\n"));
            let mut r = report(findings, Vec::new());
            apply(&mut r, &rules, &[], &ctx(0));
            assert_eq!(
                r.verdict.passed,
                violation.is_none(),
                "{thresholds}: {:?}",
                r.verdict
            );
            assert_eq!(
                r.verdict.violations.first().map(String::as_str),
                violation,
                "{thresholds}"
            );
            let scans = r
                .findings
                .iter()
                .filter(|f| f.category == Category::ImageScan)
                .count();
            assert_eq!(scans, usize::from(violation.is_some()), "{thresholds}");
        }
    }

    #[test]
    fn many_hits_name_the_worst_five_and_count_the_rest() {
        let findings = (0..8)
            .map(|i| {
                let sev = if i == 7 {
                    Severity::Critical
                } else {
                    Severity::High
                };
                cve(&format!("CVE-{i}"), sev, "p", "1", None)
            })
            .collect();
        let mut r = report(findings, Vec::new());
        apply(
            &mut r,
            &ruleset("thresholds:\n- {category: CVE, severity: high, max: 2}\n"),
            &[],
            &ctx(0),
        );
        assert_eq!(
            r.verdict.violations,
            [
                "8 high or worse CVE findings > 2 allowed: CVE-7 in p 1, CVE-0 in p 1, CVE-1 in p 1, CVE-2 in p 1, CVE-3 in p 1 and 3 more"
            ]
        );
    }

    #[test]
    fn licence_classes_map_to_severities_with_allow_and_deny_lists() {
        let packages = vec![
            package("a", "1", "AGPL-3.0-only"),
            package("b", "1", "GPL-2.0-only"),
            package("c", "1", "MPL-2.0"),
            package("d", "1", "MIT"),
            package("e", "1", "CC0-1.0"),
            package("f", "1", "LicenseRef-Proprietary"),
            package("g", "1", "BSD-3-Clause"),
            package("h", "1", "LGPL-2.1-or-later"),
        ];
        let rules = ruleset(
            "licenses:\n  allow: [LGPL-2.1]\n  deny: [BSD-3-Clause]\nthresholds:\n- {category: Package, rule: 'license:', severity: high, max: 0}\n",
        );
        let mut r = report(Vec::new(), packages);
        apply(&mut r, &rules, &[], &ctx(0));
        let got: Vec<(&str, &str, Severity)> = r
            .findings
            .iter()
            .filter(|f| f.category == Category::Package)
            .map(|f| {
                (
                    f.package.as_ref().unwrap().name.as_str(),
                    f.rule_id.as_deref().unwrap(),
                    f.severity,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", "license:forbidden", Severity::Critical),
                ("b", "license:restricted", Severity::High),
                ("c", "license:reciprocal", Severity::Medium),
                ("d", "license:notice", Severity::Low),
                ("f", "license:unknown", Severity::Unknown),
                ("g", "license:denied", Severity::Critical),
            ]
        );
        assert_eq!(
            r.verdict.violations,
            [
                "3 high or worse Package findings of rule license: > 0 allowed: AGPL-3.0-only in a 1, BSD-3-Clause in g 1, GPL-2.0-only in b 1"
            ]
        );
        let d = r
            .findings
            .iter()
            .find(|f| f.title == "BSD-3-Clause")
            .unwrap();
        assert!(
            d.description
                .as_deref()
                .unwrap()
                .contains("the ruleset denies BSD-3-Clause")
        );
    }

    #[test]
    fn ignores_before_and_after_their_expiry() {
        // 2030-01-01T00:00:00Z
        const EXPIRY: u64 = 1_893_456_000;
        let rules = ruleset(
            "thresholds:\n- {category: CVE, max: 0}\nignores:\n- id: CVE-2024-0001\n  package: openssl\n  reason: not reachable from the service\n  expires: 2030-01-01\n",
        );
        type Case = (u64, &'static str, bool, Option<bool>);
        // (now, package, passed, Some(expired) when the finding carries a suppression)
        let cases: [Case; 4] = [
            (EXPIRY - 1, "openssl", true, Some(false)),
            (EXPIRY, "openssl", false, Some(true)),
            (EXPIRY + 86_400, "openssl", false, Some(true)),
            (EXPIRY - 1, "libssl3", false, None),
        ];
        for (now, pkg, passed, marked) in cases {
            let mut r = report(
                vec![cve("CVE-2024-0001", Severity::High, pkg, "3.0.11", None)],
                Vec::new(),
            );
            apply(&mut r, &rules, &[], &ctx(now));
            assert_eq!(r.verdict.passed, passed, "{now} {pkg}");
            let all: Vec<&Finding> = r
                .findings
                .iter()
                .chain(&r.suppressed)
                .filter(|f| f.category == Category::Cve)
                .collect();
            assert_eq!(all.len(), 1);
            assert_eq!(
                all[0].suppression.as_ref().map(|s| s.expired),
                marked,
                "{now} {pkg}"
            );
            let in_suppressed = r.suppressed.len() == 1;
            assert_eq!(in_suppressed, marked == Some(false), "{now} {pkg}");
            if let Some(s) = &all[0].suppression {
                assert_eq!(s.reason, "not reachable from the service");
                assert_eq!(s.expires.as_deref(), Some("2030-01-01"));
            }
        }
    }

    fn vex(statements: &str) -> crate::policy::VexDocument {
        let doc = format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/app-1",
                 "author": "app maintainers", "timestamp": "2024-05-01T00:00:00Z", "version": 1,
                 "statements": [{statements}]}}"#
        );
        crate::policy::VexDocument::from_json("app.vex.json", &doc).unwrap()
    }

    #[test]
    fn vex_not_affected_with_a_justification_suppresses() {
        let not_affected = r#"{"vulnerability": {"name": "CVE-2024-0001"},
            "products": [{"@id": "pkg:deb/debian/openssl@3.0.11"}],
            "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}"#;
        let via_image = r#"{"vulnerability": {"name": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2024-0001"]},
            "products": [{"@id": "pkg:oci/app@sha256%3A0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
                          "subcomponents": [{"@id": "pkg:deb/debian/openssl"}]}],
            "status": "not_affected", "impact_statement": "openssl is only used for hashing"}"#;
        let affected = r#"{"vulnerability": {"name": "CVE-2024-0001"},
            "products": [{"@id": "pkg:deb/debian/openssl@3.0.11"}], "status": "affected"}"#;
        let other_version = r#"{"vulnerability": {"name": "CVE-2024-0001"},
            "products": [{"@id": "pkg:deb/debian/openssl@3.0.9"}],
            "status": "not_affected", "justification": "component_not_present"}"#;
        let legacy = r#"{"vulnerability": "CVE-2024-0001", "products": ["pkg:deb/debian/openssl@3.0.11"],
            "status": "fixed"}"#;
        let cases: [(Vec<&str>, bool); 6] = [
            (vec![not_affected], true),
            (vec![via_image], true),
            (vec![not_affected, affected], false),
            (vec![affected, not_affected], true),
            (vec![other_version], false),
            (vec![legacy], true),
        ];
        let rules = ruleset("thresholds:\n- {category: CVE, max: 0}\n");
        for (statements, suppressed) in cases {
            let docs = [vex(&statements.join(","))];
            let mut r = report(
                vec![cve(
                    "CVE-2024-0001",
                    Severity::Critical,
                    "openssl",
                    "3.0.11",
                    Some("3.0.13"),
                )],
                vec![package("openssl", "3.0.11", "Apache-2.0")],
            );
            apply(&mut r, &rules, &docs, &ctx(0));
            assert_eq!(r.verdict.passed, suppressed, "{statements:?}");
            assert_eq!(
                r.suppressed.len(),
                usize::from(suppressed),
                "{statements:?}"
            );
            if suppressed {
                let s = r.suppressed[0].suppression.as_ref().unwrap();
                assert_eq!(s.by, SuppressedBy::Vex);
                assert!(
                    s.reason.contains("https://example.com/vex/app-1"),
                    "{}",
                    s.reason
                );
            }
        }
    }

    #[test]
    fn vex_documents_that_cannot_be_used_are_refused_with_the_place() {
        let cases = [
            (
                r#"{"statements": [{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "not_affected"}]}"#,
                "statements[0]: not_affected needs a justification",
            ),
            (
                r#"{"statements": [{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}]}"#,
                "statements[0]: no products",
            ),
            (
                "{\"statements\": [\n {\"vulnerability\": \"CVE-1\", \"products\": [], \"status\": \"gone\"}]}",
                "app.vex.json:2:",
            ),
            ("{\"statements\": 3}", "statements: invalid type"),
        ];
        for (text, words) in cases {
            let e = crate::policy::VexDocument::from_json("app.vex.json", text).unwrap_err();
            assert!(e.to_string().contains(words), "{e}");
            assert!(e.to_string().starts_with("app.vex.json:"), "{e}");
        }
    }

    #[test]
    fn a_stored_summary_is_judged_like_the_report() {
        let rulesets = [
            Ruleset::builtin(),
            ruleset(
                "thresholds:\n- {category: CVE, severity: high, max: 1}\n- {severity: low, max: 3}\n",
            ),
            ruleset("thresholds:\n- {max: 0}\nignores:\n- {id: yara:EICAR, reason: test file}\n"),
        ];
        for rules in &rulesets {
            let mut r = every_category();
            r.findings.extend(
                (0..20).map(|i| cve(&format!("CVE-9{i}"), Severity::High, "p", "1", Some("2"))),
            );
            apply(&mut r, rules, &[], &ctx(0));
            for cap in [1000, 3] {
                let summary = StoredSummary::of(&r, cap);
                let mut verdict = summary.judge(rules, ctx(0).now);
                if cap < 1000 {
                    // Capped: the counts stay exact; only the examples named may differ.
                    let counts = |v: &[String]| {
                        v.iter()
                            .map(|s| s.split(" allowed").next().unwrap().to_string())
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(
                        counts(&verdict.violations),
                        counts(&r.verdict.violations),
                        "{}",
                        rules.name
                    );
                    verdict.violations = r.verdict.violations.clone();
                }
                assert_eq!(verdict, r.verdict, "{} cap {cap}", rules.name);
            }
        }
    }

    #[test]
    fn unscanned_images_take_the_unscanned_action() {
        let mut r = report(Vec::new(), Vec::new());
        r.status = Status::TooLarge;
        r.message = Some("not scanned: over the limit: 2048 MiB".into());
        let rules = ruleset("actions: {unscanned: warn}\n");
        apply(&mut r, &rules, &[], &ctx(0));
        assert!(!r.verdict.passed);
        assert_eq!(r.verdict.action, Some(crate::report::Action::Warn));
        assert_eq!(
            r.verdict.violations,
            ["not scanned: over the limit: 2048 MiB"]
        );
        assert!(r.findings.is_empty());
        assert_eq!(
            StoredSummary::of(&r, 10).judge(&rules, ctx(0).now),
            r.verdict
        );
    }
}
