//! Command-line contract: usage and input errors exit 2 with a message naming the input.

use std::process::Command;

fn assure(args: &[&str]) -> (Option<i32>, String, String) {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assure"))
        .arg("--data-dir")
        .arg(data.path())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn missing_source_names_the_path() {
    let (code, _, err) = assure(&["scan", "/no/such/image.tar"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/no/such/image.tar"), "{err}");
    assert!(err.contains("No such file"), "{err}");
}

#[test]
fn not_an_image_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    let (code, _, err) = assure(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("notes.txt") && err.contains("tar"), "{err}");
    let (code, _, err) = assure(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not an OCI image layout"), "{err}");
}

#[test]
fn bad_platform_is_a_usage_error() {
    let (code, _, err) = assure(&["scan", "--platform", "amd64", "x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid platform `amd64`"), "{err}");
}

#[test]
fn unreachable_containerd_names_the_socket() {
    let (code, _, err) = assure(&[
        "scan",
        "--containerd-address",
        "/nonexistent/containerd.sock",
        "containerd:nginx",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/containerd.sock"), "{err}");
}

/// An OCI archive whose one package is under a forbidden licence (AGPL), so the built-in
/// ruleset fails it.
fn agpl_image(dir: &std::path::Path) -> String {
    use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_archive};
    let installed = "P:ghostscript\nV:10.02.1-r0\nA:x86_64\nL:AGPL-3.0-or-later\no:ghostscript\n\n";
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![
        Entry::file("etc/alpine-release", "3.19.1\n"),
        Entry::file("lib/apk/db/installed", installed),
    ])]);
    let path = dir.join("agpl.tar");
    write_oci_archive(&spec, &path).unwrap();
    format!("oci-archive:{}", path.display())
}

#[test]
fn a_failed_verdict_exits_with_the_given_code() {
    let dir = tempfile::tempdir().unwrap();
    let image = agpl_image(dir.path());
    let pass = dir.path().join("lenient.yaml");
    std::fs::write(
        &pass,
        "name: lenient\nthresholds:\n  - {category: CVE, severity: critical, max: 0}\n",
    )
    .unwrap();
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        "name: accepted\nthresholds:\n  - {category: Package, rule: 'license:', severity: critical, max: 0}\nignores:\n  - {id: AGPL-3.0-or-later, package: ghostscript, reason: internal tool, expires: 2099-01-01}\n",
    )
    .unwrap();
    let lapsed = dir.path().join("lapsed.yaml");
    std::fs::write(
        &lapsed,
        "name: lapsed\nthresholds:\n  - {category: Package, rule: 'license:', severity: critical, max: 0}\nignores:\n  - {id: AGPL-3.0-or-later, reason: internal tool, expires: 2020-01-01}\n",
    )
    .unwrap();
    let (pass, ignore, lapsed) = (
        pass.to_str().unwrap(),
        ignore.to_str().unwrap(),
        lapsed.to_str().unwrap(),
    );
    // (arguments before the source, exit code, words in the output)
    let cases: [(Vec<&str>, i32, &str); 6] = [
        (
            vec!["--exit-code", "3"],
            3,
            "verdict: FAILED (ruleset default, action deny)",
        ),
        (vec![], 0, "verdict: FAILED (ruleset default, action deny)"),
        (
            vec!["--ruleset", pass, "--exit-code", "3"],
            0,
            "verdict: passed (ruleset lenient, action allow)",
        ),
        (
            vec!["--ruleset", ignore, "--exit-code", "3"],
            0,
            "suppressed (1)",
        ),
        (
            vec!["--ruleset", lapsed, "--exit-code", "3"],
            3,
            "its ignore has expired",
        ),
        (
            vec!["--ruleset", lapsed, "--exit-code", "0"],
            0,
            "verdict: FAILED (ruleset lapsed, action deny)",
        ),
    ];
    for (args, code, words) in cases {
        let mut all = vec!["scan"];
        all.extend(&args);
        all.push(&image);
        let (got, out, err) = assure(&all);
        assert_eq!(got, Some(code), "{args:?}: {err}\n{out}");
        assert!(out.contains(words), "{args:?}: {out}");
    }
}

#[test]
fn the_json_report_carries_the_verdict_environment_and_units() {
    let dir = tempfile::tempdir().unwrap();
    let image = agpl_image(dir.path());
    let org = dir.path().join("org.yaml");
    std::fs::write(&org, "units:\n  production: [prod-eu, prod-us]\n  europe: [prod-eu, stage-eu]\n  staging: [stage-eu]\n").unwrap();
    let (code, out, err) = assure(&[
        "scan",
        "--format",
        "json",
        "--environment",
        "prod-eu",
        "--organisation",
        org.to_str().unwrap(),
        "--exit-code",
        "3",
        &image,
    ]);
    assert_eq!(code, Some(3), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    if assure_tests::schema::schemas_dir().is_dir() {
        assure_tests::schema::validate("report-v1.schema.json", &report).unwrap();
    } else {
        assure_tests::data::require_in_ci("report schema");
    }
    assert_eq!(report["verdict"]["passed"], false);
    assert_eq!(report["verdict"]["action"], "deny");
    assert_eq!(report["environment"], "prod-eu");
    assert_eq!(report["units"], serde_json::json!(["europe", "production"]));
    let findings = report["findings"].as_array().unwrap();
    let scan = findings
        .iter()
        .find(|f| f["category"] == "ImageScan")
        .unwrap();
    assert_eq!(scan["title"], image.as_str());
    for f in findings {
        assert_eq!(f["environment"], "prod-eu", "{f}");
        assert_eq!(f["ruleset"], "default", "{f}");
    }
}

#[test]
fn a_malformed_ruleset_stops_the_scan_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let image = agpl_image(dir.path());
    let cases = [
        (
            "name: x\nthresholds:\n  - {category: CVE, severity: severe, max: 0}\n",
            ":3:",
            "thresholds[0].severity",
        ),
        (
            "name: x\nignores:\n  - id: CVE-1\n    reason: r\n    expires: soon\n",
            ":5:",
            "ignores[0].expires",
        ),
        ("name: x\nactons: {}\n", ":2:", "actons"),
    ];
    for (text, line, field) in cases {
        let rules = dir.path().join("bad.yaml");
        std::fs::write(&rules, text).unwrap();
        let (code, out, err) = assure(&[
            "scan",
            "--ruleset",
            rules.to_str().unwrap(),
            "--exit-code",
            "3",
            &image,
        ]);
        assert_eq!(code, Some(2), "{err}");
        assert!(out.is_empty(), "nothing is reported: {out}");
        let at = format!("{}{line}", rules.display());
        assert!(err.contains(&at) && err.contains(field), "{err}");
    }
}
