//! Every output format on one image that carries a finding of every category: golden files
//! (insta), and the JSON formats validated against their schemas.

use assure_tests::data::test_data;
use assure_tests::fixture::write_oci_layout;
use assure_tests::samples::{every_category_image, urlhaus_csv};
use assure_tests::schema::validate;
use assure_tests::system::{bin, db_import};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2026-01-01T00:00:00Z: SBOM creation times come from it.
const EPOCH: &str = "1767225600";

struct Fixture {
    work: tempfile::TempDir,
    data: PathBuf,
    source: String,
}

impl Fixture {
    fn new(shared: &Path) -> Fixture {
        let work = tempfile::tempdir().unwrap();
        let feeds = work.path().join("feeds");
        std::fs::create_dir_all(&feeds).unwrap();
        std::fs::write(feeds.join("urlhaus-recent.csv"), urlhaus_csv()).unwrap();
        let data = work.path().join("data");
        let out = db_import(
            &data,
            &[
                &shared.join("debian/security-tracker/DSA-list.txt"),
                &shared.join("blocklists/abusech-feodo/ipblocklist.csv"),
                &feeds,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let layout = work.path().join("image");
        write_oci_layout(&every_category_image(), &layout).unwrap();
        let source = format!("oci:{}:latest", layout.display());
        Fixture { work, data, source }
    }

    fn scan(&self, args: &[&str]) -> Output {
        Command::new(bin("assure"))
            .arg("--data-dir")
            .arg(&self.data)
            .arg("scan")
            .args(args)
            .arg(&self.source)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .env_remove("ASSURE_DATA_DIR")
            .output()
            .unwrap()
    }

    /// stdout of a scan in `format`, with what changes from run to run (the temporary
    /// directory, the database's import time) replaced by fixed words.
    fn render(&self, format: &str, database: &Value) -> String {
        let out = self.scan(&["--format", format]);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let work = self.work.path().display().to_string();
        text.replace(&work, "[work]").replace(
            database["updated_at"].as_str().unwrap(),
            "[database updated_at]",
        )
    }
}

#[test]
fn every_category_is_found_and_every_format_renders_it() {
    let Some(shared) = test_data() else { return };
    let fx = Fixture::new(&shared);

    let out = fx.scan(&["--format", "json", "--exit-code", "3"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate("report-v1.schema.json", &report).unwrap();
    for category in [
        "CVE",
        "MaliciousURL",
        "MaliciousIP",
        "MaliciousFile",
        "InsecureCode",
        "InsecureContent",
        "ImageScan",
        "Package",
    ] {
        assert!(
            report["summary"]["by_category"][category].as_u64() > Some(0),
            "no {category} finding: {:#}",
            report["summary"]
        );
    }
    assert_eq!(report["verdict"]["passed"], false);
    let database = report["database"].clone();

    for (format, schema) in [
        ("json", Some("report-v1.schema.json")),
        ("sarif", Some("sarif-2.1.0/sarif-schema-2.1.0.json")),
        ("cyclonedx", Some("cyclonedx/bom-1.6.schema.json")),
        ("spdx", Some("spdx-2.3/spdx-schema.json")),
        ("table", None),
    ] {
        let text = fx.render(format, &database);
        if let Some(schema) = schema {
            let value: Value = serde_json::from_str(&text).unwrap();
            if let Err(e) = validate(schema, &value) {
                panic!("{format} does not validate against {schema}:\n{e}");
            }
        }
        insta::assert_snapshot!(format, text);
    }
}

#[test]
fn severity_and_category_filter_what_is_shown_not_the_verdict() {
    let Some(shared) = test_data() else { return };
    let fx = Fixture::new(&shared);
    let out = fx.scan(&[
        "--format",
        "json",
        "--severity",
        "critical,HIGH",
        "--category",
        "MaliciousIP,MaliciousFile,cve",
    ]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["category"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    // The DSA CVEs carry no severity, so of these categories only two are high or worse.
    assert_eq!(
        shown,
        [("MaliciousFile", "high"), ("MaliciousIP", "critical")]
    );
    assert_eq!(report["summary"]["by_category"]["MaliciousIP"], 1);
    assert_eq!(
        report["summary"]["by_category"].as_object().unwrap().len(),
        2
    );
    assert_eq!(report["verdict"]["passed"], false);
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 5);

    let out = fx.scan(&["--severity", "severe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"severe\" is not a severity"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_malformed_ruleset_stops_the_scan_naming_file_line_and_field() {
    let Some(shared) = test_data() else { return };
    let fx = Fixture::new(&shared);
    let file = fx.work.path().join("strict.yaml");
    std::fs::write(
        &file,
        "name: strict\nthresholds:\n  - category: CVE\n    severity: severe\n    max: 0\n",
    )
    .unwrap();
    let out = fx.scan(&["--ruleset", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:4:15: thresholds[0].severity:", file.display())),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // Nothing was scanned or stored.
    let out = assure_tests::system::assure_ok(&fx.data, &["findings", "--format", "json"]);
    assert_eq!(out.trim(), "[]");

    // Piped, a scan draws no progress bar: stderr stays clean for logs.
    let out = fx.scan(&["--format", "json"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
