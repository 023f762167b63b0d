//! `assure findings` over a data directory holding three scanned images in two environments:
//! each filter alone, and an organisational unit standing for its environments.

use assure_tests::data::test_data;
use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use assure_tests::system::{assure, assure_ok, db_import};
use serde_json::Value;
use std::path::Path;

fn scan(data: &Path, dir: &Path, environment: &str, files: Vec<Entry>) {
    write_oci_layout(&ImageSpec::new(vec![LayerSpec::new(files)]), dir).unwrap();
    let out = assure(
        data,
        &[
            "scan",
            "--format",
            "json",
            "--environment",
            environment,
            &format!("oci:{}:latest", dir.display()),
        ],
    );
    // The default ruleset fails these images: exit 0 without --exit-code, report printed.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn findings(data: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["findings", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str::<Vec<Value>>(&assure_ok(data, &all)).unwrap()
}

fn images(rows: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| {
            r["image"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn findings_filter_by_environment_unit_severity_ruleset_category_and_search() {
    let Some(shared) = test_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let out = db_import(
        &data,
        &[
            &shared.join("debian/security-tracker/DSA-list.txt"),
            &shared.join("alpine-secdb/v3.11"),
            &shared.join("blocklists/abusech-feodo/ipblocklist.csv"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let debian = vec![
        Entry::file("etc/os-release", "ID=debian\nVERSION_ID=\"11\"\n"),
        Entry::file(
            "var/lib/dpkg/status",
            "Package: apache2-bin\nStatus: install ok installed\nSource: apache2\nVersion: 2.4.54-1~deb11u1\n\n",
        ),
    ];
    let alpine = vec![
        Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.11.6\n"),
        Entry::file(
            "lib/apk/db/installed",
            "P:ansible\nV:2.9.2-r0\nA:x86_64\no:ansible\n\n",
        ),
    ];
    let c2 = vec![Entry::file_mode(
        "app/run.sh",
        0o755,
        "#!/bin/sh\nnc 192.9.135.73 1194\n",
    )];
    scan(&data, &work.path().join("web/image"), "prod", debian);
    scan(&data, &work.path().join("ops/image"), "prod", alpine);
    scan(&data, &work.path().join("batch/image"), "staging", c2);

    let all = findings(&data, &[]);
    assert_eq!(images(&all), ["batch", "ops", "web"]);
    assert_eq!(
        images(&findings(&data, &["--environment", "staging"])),
        ["batch"]
    );
    assert_eq!(
        images(&findings(&data, &["--environment", "prod"])),
        ["ops", "web"]
    );

    let org = work.path().join("org.yaml");
    std::fs::write(&org, "units:\n  payments: [prod]\n  data: [staging, dev]\n").unwrap();
    let org = org.display().to_string();
    assert_eq!(
        images(&findings(
            &data,
            &["--ou", "payments", "--organisation", &org]
        )),
        ["ops", "web"]
    );
    assert_eq!(
        images(&findings(&data, &["--ou", "data", "--organisation", &org])),
        ["batch"]
    );
    let out = assure(&data, &["findings", "--ou", "nope", "--organisation", &org]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no unit named \"nope\""));

    let ip = findings(&data, &["--category", "MaliciousIP"]);
    assert_eq!(images(&ip), ["batch"]);
    assert!(ip.iter().all(|r| r["finding"]["category"] == "MaliciousIP"));

    let critical = findings(&data, &["--severity", "critical"]);
    assert!(!critical.is_empty());
    assert!(
        critical
            .iter()
            .all(|r| r["finding"]["severity"] == "critical")
    );
    // `unknown` is the least severe level: every finding is at least that.
    let every = findings(&data, &["--severity", "unknown"]);
    assert_eq!(every.len(), all.len());
    assert!(every.len() > critical.len());

    let cve = findings(&data, &["--search", "CVE-2023-25690"]);
    assert_eq!(images(&cve), ["web"]);
    assert_eq!(images(&findings(&data, &["--search", "ansible"])), ["ops"]);
    assert_eq!(
        images(&findings(&data, &["--search", "batch/image"])),
        ["batch"]
    );

    let ruleset = all[0]["finding"]["ruleset"].as_str().unwrap().to_string();
    assert_eq!(findings(&data, &["--ruleset", &ruleset]).len(), all.len());
    assert!(findings(&data, &["--ruleset", "no-such-ruleset"]).is_empty());

    let out = assure(&data, &["findings", "--severity", "bad"]);
    assert_eq!(out.status.code(), Some(2));
    let table = assure(&data, &["findings", "--environment", "staging"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("192.9.135.73") && table.contains("in 3 images"),
        "{table}"
    );
}
