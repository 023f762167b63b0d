//! Native advisory feeds on real data: Debian's DSA list, Alpine's secdb, RustSec, the Node.js
//! security WG, AlmaLinux OSV, OpenSSF malicious packages and CISA KEV — imported with
//! `assure db import` and matched against images the real binary scans.

use assure_tests::data::test_data;
use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use assure_tests::ground_truth::{have, run};
use assure_tests::ground_truth_lang::npm_image;
use assure_tests::system::{assure, db_import, scan_json};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn import(data: &Path, paths: &[&Path]) -> String {
    let out = db_import(data, paths);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    format!("{}{stderr}", String::from_utf8_lossy(&out.stdout))
}

fn scan_layout(data: &Path, layout: &Path, tag: &str) -> Value {
    scan_json(data, &format!("oci:{}:{tag}", layout.display()))
}

/// Scan an image made of one layer holding `files`.
fn scan_files(data: &Path, files: Vec<Entry>) -> Value {
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(&ImageSpec::new(vec![LayerSpec::new(files)]), dir.path()).unwrap();
    scan_layout(data, dir.path(), "latest")
}

/// `(title, rule id, fixed version)` of the findings on `package`.
fn on(report: &Value, package: &str) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"]["name"] == package && f["category"] != "Package")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("title"), s("rule_id"), s("fixed_version"))
        })
        .collect()
}

fn finding<'a>(report: &'a Value, title: &str, package: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == title && f["package"]["name"] == package)
}

fn dpkg_status(packages: &[(&str, &str, &str)]) -> String {
    packages
        .iter()
        .map(|(name, source, version)| {
            format!(
                "Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nSource: {source}\nVersion: {version}\n\n"
            )
        })
        .collect()
}

fn debian_11(packages: &[(&str, &str, &str)]) -> Vec<Entry> {
    vec![
        Entry::file(
            "usr/lib/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n",
        ),
        Entry::file("var/lib/dpkg/status", dpkg_status(packages)),
    ]
}

#[test]
fn debian_dsa_list_matches_source_packages_of_the_release_and_marks_kev() {
    let Some(shared) = test_data() else { return };
    let data = tempfile::tempdir().unwrap();
    let summary = import(
        data.path(),
        &[
            &shared.join("debian/security-tracker/DSA-list.txt"),
            &shared.join("cisa-kev/known_exploited_vulnerabilities.json.zst"),
        ],
    );
    assert!(summary.contains("1404 known-exploited CVEs"), "{summary}");

    // apache2-bin comes from source apache2; DSA-5376-1 fixed it in 2.4.56-1~deb11u1.
    let old = scan_files(
        data.path(),
        debian_11(&[
            ("apache2-bin", "apache2", "2.4.54-1~deb11u1"),
            ("libwebkit2gtk-4.0-37", "webkit2gtk", "2.38.4-2~deb11u1"),
        ]),
    );
    let f = finding(&old, "CVE-2023-25690", "apache2-bin").expect("DSA-5376-1's CVE");
    assert_eq!(f["rule_id"], "DSA-5376-1");
    assert_eq!(f["fixed_version"], "2.4.56-1~deb11u1");
    assert!(
        f["aliases"]
            .as_array()
            .unwrap()
            .contains(&"DSA-5376-1".into())
    );
    for cve in [
        "CVE-2006-20001",
        "CVE-2022-36760",
        "CVE-2022-37436",
        "CVE-2023-27522",
    ] {
        assert!(finding(&old, cve, "apache2-bin").is_some(), "{cve}");
    }
    // CVE-2023-23529 (DSA-5351-1) is in CISA's catalog of exploited vulnerabilities.
    let webkit = finding(&old, "CVE-2023-23529", "libwebkit2gtk-4.0-37").expect("DSA-5351-1");
    assert_eq!(webkit["exploited"]["source"], "CISA KEV");
    assert!(f.get("exploited").is_none());

    let fixed = scan_files(
        data.path(),
        debian_11(&[("apache2-bin", "apache2", "2.4.56-1~deb11u1")]),
    );
    let left = on(&fixed, "apache2-bin");
    assert!(
        left.iter().all(|(_, rule, _)| rule != "DSA-5376-1"),
        "{left:?}"
    );

    // The same version on Debian 10 is judged by buster's lines, not bullseye's.
    let buster = scan_files(
        data.path(),
        vec![
            Entry::file("etc/os-release", "ID=debian\nVERSION_ID=\"10\"\n"),
            Entry::file(
                "var/lib/dpkg/status",
                dpkg_status(&[("apache2-bin", "apache2", "2.4.56-1~deb11u1")]),
            ),
        ],
    );
    assert!(
        on(&buster, "apache2-bin")
            .iter()
            .all(|(_, rule, _)| rule != "DSA-5376-1"),
        "DSA-5376-1 has no buster line"
    );
}

fn alpine_311(name: &str, version: &str) -> Vec<Entry> {
    vec![
        Entry::file(
            "etc/os-release",
            "ID=alpine\nVERSION_ID=3.11.6\nNAME=\"Alpine Linux\"\n",
        ),
        Entry::file("etc/alpine-release", "3.11.6\n"),
        Entry::file(
            "lib/apk/db/installed",
            format!("P:{name}\nV:{version}\nA:x86_64\no:{name}\nL:GPL-3.0-or-later\n\n"),
        ),
    ]
}

#[test]
fn alpine_secdb_matches_by_release_and_origin() {
    let Some(shared) = test_data() else { return };
    let data = tempfile::tempdir().unwrap();
    import(data.path(), &[&shared.join("alpine-secdb")]);
    let old = scan_files(data.path(), alpine_311("ansible", "2.9.2-r0"));
    let f = finding(&old, "CVE-2019-14904", "ansible").expect("secdb v3.11 fix 2.9.3-r0");
    assert_eq!(f["fixed_version"], "2.9.3-r0");
    assert!(
        finding(&old, "CVE-2019-14846", "ansible").is_none(),
        "fixed in 2.8.6-r0"
    );
    let fixed = scan_files(data.path(), alpine_311("ansible", "2.9.3-r0"));
    assert!(finding(&fixed, "CVE-2019-14904", "ansible").is_none());
}

#[test]
fn lodash_4_17_15_reports_its_advisories() {
    let Some(shared) = test_data() else { return };
    let Some(image) = npm_image(&["lodash@4.17.15"]) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    import(
        data.path(),
        &[
            &shared.join("npm-nodejs-security-wg"),
            &shared.join("osv-ghsa/npm-github-advisory-database"),
        ],
    );
    let report = scan_layout(data.path(), &image.layout, "1");
    let found = on(&report, "lodash");
    // Prototype pollution in zipObjectDeep (npm advisory 1523), patched in 4.17.19.
    assert!(
        found
            .iter()
            .any(|(_, rule, fixed)| rule == "NSWG-ECO-516" && fixed == "4.17.19"),
        "{found:?}"
    );
    // CVE-2018-16487 was fixed in 4.17.11: not reported for 4.17.15.
    assert!(
        found.iter().all(|(t, _, _)| t != "CVE-2018-16487"),
        "{found:?}"
    );
}

#[test]
fn a_malicious_npm_package_in_node_modules_is_flagged() {
    let Some(shared) = test_data() else { return };
    let sample: Value = serde_json::from_slice(
        &std::fs::read(shared.join("malicious-packages/samples/MAL-2023-47.json")).unwrap(),
    )
    .unwrap();
    let name = sample["affected"][0]["package"]["name"].as_str().unwrap();
    let version = sample["affected"][0]["versions"][0].as_str().unwrap();
    let data = tempfile::tempdir().unwrap();
    import(data.path(), &[&shared.join("malicious-packages")]);
    let report = scan_files(
        data.path(),
        vec![Entry::file(
            &format!("app/node_modules/{name}/package.json"),
            format!("{{\"name\": \"{name}\", \"version\": \"{version}\"}}"),
        )],
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "MAL-2023-47")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(f["category"], "MaliciousFile");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["package"]["name"], name);
}

#[test]
fn almalinux_rpm_below_an_alsa_fix_reports_its_cves() {
    let Some(shared) = test_data() else { return };
    if !have("rpm") || !have("rpmbuild") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    import(data.path(), &[&shared.join("osv-almalinux")]);
    // ALSA-2023:0340 fixed CVE-2022-3715 in bash 5.1.8-6.el9_1 for AlmaLinux 9.
    let old = scan_files(data.path(), almalinux_9("bash", "5.1.8", "6.el9"));
    let f = finding(&old, "CVE-2022-3715", "bash").unwrap_or_else(|| panic!("{old:#}"));
    assert_eq!(f["fixed_version"], "5.1.8-6.el9_1");
    assert!(
        f["aliases"]
            .as_array()
            .unwrap()
            .contains(&"ALSA-2023:0340".into())
    );
    assert_eq!(f["severity"], "medium", "rated Moderate by the advisory");
    let fixed = scan_files(data.path(), almalinux_9("bash", "5.1.8", "6.el9_1"));
    assert!(finding(&fixed, "CVE-2022-3715", "bash").is_none());
}

/// An AlmaLinux 9 image whose rpm database (written by the real rpm) holds one package.
fn almalinux_9(name: &str, version: &str, release: &str) -> Vec<Entry> {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("p.spec");
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: s\nLicense: GPLv3+\nBuildArch: noarch\n%description\nd\n%files\n"
        ),
    )
    .unwrap();
    let top = tmp.path().join("top");
    run(Command::new("rpmbuild")
        .args(["-bb", "--define"])
        .arg(format!("_topdir {}", top.display()))
        .arg(&spec));
    let rpm = top
        .join("RPMS/noarch")
        .join(format!("{name}-{version}-{release}.noarch.rpm"));
    let db = tmp.path().join("db");
    std::fs::create_dir_all(&db).unwrap();
    run(Command::new("rpm").arg("--initdb").arg("--dbpath").arg(&db));
    run(Command::new("rpm")
        .args(["-i", "--justdb", "--nodeps", "--dbpath"])
        .arg(&db)
        .arg(&rpm));
    vec![
        Entry::file(
            "etc/os-release",
            "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"9.1\"\n",
        ),
        Entry::file(
            "var/lib/rpm/rpmdb.sqlite",
            std::fs::read(db.join("rpmdb.sqlite")).unwrap(),
        ),
    ]
}

#[test]
fn rustsec_advisories_match_crates_by_patched_and_unaffected_requirements() {
    use assure_engine::report::Package;
    use assure_engine::vuln::{db::VulnDb, matcher::match_packages};
    let Some(shared) = test_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cache = assure_engine::Cache::open(dir.path()).unwrap();
    let db = VulnDb::new(cache.sled());
    let (_, stats) = db
        .import(&[shared.join("rustsec/rustsec-advisory-db.tar.zst")])
        .unwrap();
    assert!(stats.records > 1000, "{stats:?}");
    let rules = |version: &str| -> Vec<(String, Option<String>)> {
        let p = Package::new("cargo", "smallvec", version);
        match_packages(&db, &[p], None)
            .unwrap()
            .into_iter()
            .filter(|f| f.rule_id.as_deref() == Some("RUSTSEC-2021-0003"))
            .map(|f| (f.title, f.fixed_version))
            .collect()
    };
    // patched = [">= 0.6.14, < 1.0.0", ">= 1.6.1"], unaffected = ["< 0.6.3"].
    assert_eq!(
        rules("1.6.0"),
        vec![("CVE-2021-25900".to_string(), Some("1.6.1".to_string()))]
    );
    assert_eq!(rules("0.6.13").len(), 1);
    assert!(rules("1.6.1").is_empty());
    assert!(rules("0.6.14").is_empty());
    assert!(rules("0.6.2").is_empty());
}

#[test]
fn a_truncated_zip_fails_by_name_and_bad_records_are_named_and_skipped() {
    let Some(shared) = test_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let feed = work.path().join("feed");
    std::fs::create_dir_all(&feed).unwrap();
    std::fs::copy(
        shared.join("osv-go/samples/GO-2020-0004.json"),
        feed.join("GO-2020-0004.json"),
    )
    .unwrap();
    let record = |id: &str, ecosystem: &str, fixed: &str| {
        format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"p"}},
              "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        )
    };
    std::fs::write(feed.join("a.json"), record("X-1", "NoSuchEcosystem", "1.0")).unwrap();
    std::fs::write(feed.join("b.json"), record("X-2", "npm", "not.a.version!")).unwrap();
    let summary = import(&data, &[&feed]);
    assert!(summary.contains("imported 1 advisories"), "{summary}");
    assert!(
        summary.contains("a.json: X-1: unknown ecosystem NoSuchEcosystem"),
        "{summary}"
    );
    assert!(
        summary.contains("b.json: X-2: npm p: unparsable version \"not.a.version!\""),
        "{summary}"
    );

    // A zip cut short: the import fails naming it, and the database keeps what it had.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "GO-2020-0004.json",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(
        &mut zip,
        &std::fs::read(feed.join("GO-2020-0004.json")).unwrap(),
    )
    .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let cut = work.path().join("go.zip");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let out = assure(&data, &["db", "import", &cut.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("go.zip") && stderr.contains("corrupt zip"),
        "{stderr}"
    );
    let status = assure(&data, &["db", "status", "--format", "json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["advisories"], 1);
}
