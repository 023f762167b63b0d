//! Vulnerability matching on real data: real advisories imported with `assure db import`,
//! real packages installed by pip and built by Go, found by the real binary.

use assure_tests::data::test_data;
use assure_tests::ground_truth_bin::go_image;
use assure_tests::ground_truth_lang::{PIP_PINS, pip_image};
use assure_tests::system::{assure, copy_dir, db_import, db_status, scan_json};
use serde_json::Value;
use std::path::Path;

fn import(data: &Path, paths: &[&Path]) -> std::process::Output {
    db_import(data, paths)
}

fn scan(data: &Path, layout: &Path) -> Value {
    scan_json(data, &format!("oci:{}:1", layout.display()))
}

fn finding<'a>(report: &'a Value, title: &str, package: &str) -> Option<&'a Value> {
    report["findings"].as_array().unwrap().iter().find(|f| {
        f["title"] == title
            && f["package"]["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(package))
    })
}

#[test]
fn pip_packages_report_pypa_advisories() {
    let Some(data_dir) = test_data() else { return };
    let Some(image) = pip_image(PIP_PINS) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let out = import(
        data.path(),
        &[&data_dir.join("osv-pypi/pypa-advisory-database-vulns.tar.zst")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = scan(data.path(), &image.layout);
    assure_tests::schema::validate("report-v1.schema.json", &report).unwrap();
    assert!(report["database"]["version"].is_string());

    // jinja2 2.10: PYSEC-2019-217 (CVE-2019-10906), fixed in 2.10.1.
    let f = finding(&report, "CVE-2019-10906", "jinja2").expect("CVE-2019-10906 on jinja2 2.10");
    assert_eq!(f["category"], "CVE");
    assert_eq!(f["rule_id"], "PYSEC-2019-217");
    assert_eq!(f["fixed_version"], "2.10.1");
    assert_eq!(f["package"]["version"], "2.10");
    assert!(
        f["description"]
            .as_str()
            .is_some_and(|d| d.contains("sandbox")),
        "{f}"
    );
    // urllib3 1.24.1: CVE-2019-11324 (PYSEC-2019-133), fixed in 1.24.2.
    assert!(finding(&report, "CVE-2019-11324", "urllib3").is_some());
    // pyyaml 5.3: CVE-2020-1747, fixed in 5.3.1.
    assert!(finding(&report, "CVE-2020-1747", "pyyaml").is_some());
    // requests 2.31.0 is the fix of CVE-2023-32681: not reported.
    assert!(finding(&report, "CVE-2023-32681", "requests").is_none());
    // The per-package view: one `Package` finding listing jinja2's CVEs and the version that
    // fixes them all.
    let jinja_cves: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "CVE" && f["package"]["name"] == "Jinja2")
        .collect();
    let rollup = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "Package" && f["title"] == "Jinja2 2.10")
        .expect("a Package finding for jinja2");
    assert_eq!(
        rollup["aliases"].as_array().unwrap().len(),
        jinja_cves.len()
    );
    assert!(
        jinja_cves
            .iter()
            .any(|f| f["fixed_version"] == rollup["fixed_version"]),
        "{rollup}"
    );
    assert!(
        rollup["description"]
            .as_str()
            .unwrap()
            .contains("CVE-2019-10906")
    );
    // One finding per (vulnerability, package).
    let mut keys: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["category"], f["title"], f["package"]["name"]))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn old_golang_x_net_reports_go_advisories() {
    let Some(data_dir) = test_data() else { return };
    let Some(image) = go_image() else { return };
    let data = tempfile::tempdir().unwrap();
    let out = import(
        data.path(),
        &[&data_dir.join("osv-go/go-vulndb-osv.tar.zst")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = scan(data.path(), &image.layout);
    let on = |module: &str| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["package"]["name"] == module)
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    let net = on("golang.org/x/net");
    // HTTP/2 rapid reset (CVE-2023-39325), fixed in x/net 0.17.0; x/net is at 0.7.0.
    assert!(net.contains(&"GO-2023-2102".to_string()), "{net:?}");
    // GO-2023-1571 (CVE-2022-41723) was fixed in 0.7.0 itself: not reported.
    assert!(!net.contains(&"GO-2023-1571".to_string()), "{net:?}");
    // The Go 1.19 standard library has advisories too.
    assert!(!on("stdlib").is_empty());
}

#[test]
fn malformed_records_are_skipped_and_a_broken_archive_changes_nothing() {
    let Some(data_dir) = test_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let feed = work.path().join("feed");
    std::fs::create_dir_all(&feed).unwrap();
    std::fs::copy(
        data_dir.join("osv-go/samples/GO-2020-0004.json"),
        feed.join("GO-2020-0004.json"),
    )
    .unwrap();
    std::fs::write(
        feed.join("broken.json"),
        b"{\"id\": \"GO-9999\", \"affected\": [",
    )
    .unwrap();
    std::fs::write(feed.join("noid.json"), b"{\"summary\": \"no id\"}").unwrap();
    let out = import(&data, &[&feed]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 advisories"));
    assert!(stderr.contains("skipped 2 malformed records"), "{stderr}");
    assert!(
        stderr.contains("broken.json: invalid JSON") && stderr.contains("noid.json: no `id`"),
        "{stderr}"
    );

    let status = db_status;
    let before = status(&data);
    // A truncated archive: the import fails, naming it, and the database is as it was.
    let zst = std::fs::read(data_dir.join("osv-go/go-vulndb-osv.tar.zst")).unwrap();
    let cut = work.path().join("cut.tar.zst");
    std::fs::write(&cut, &zst[..zst.len() / 2]).unwrap();
    let out = import(&data, &[&cut]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cut.tar.zst") && stderr.contains("previous database is unchanged"),
        "{stderr}"
    );
    assert_eq!(status(&data), before);
}

#[test]
fn rematch_reports_new_findings_without_reading_the_image() {
    let Some(data_dir) = test_data() else { return };
    let Some(image) = pip_image(PIP_PINS) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    // A copy of the image that disappears after the first scan: rematch cannot read it.
    let layout = work.path().join("oci");
    copy_dir(&image.layout, &layout);
    let first = scan(&data, &layout);
    // Without a database no CVE is matched (content and licence findings remain).
    assert!(
        !first["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "CVE")
    );
    std::fs::remove_dir_all(&layout).unwrap();

    let out = import(
        &data,
        &[&data_dir.join("osv-pypi/pypa-advisory-database-vulns.tar.zst")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = assure(&data, &["rematch"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(first["image"]["digest"].as_str().unwrap()),
        "{stdout}"
    );
    assert!(stdout.contains("+ CVE-2019-10906 Jinja2 2.10"), "{stdout}");
    // Matching again against the same database changes nothing.
    let again = String::from_utf8_lossy(&assure(&data, &["rematch"]).stdout).into_owned();
    assert!(again.contains("0 appeared, 0 disappeared"), "{again}");
}
