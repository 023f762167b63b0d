//! Insecure code and configuration through the `assure` binary: a fixture image with one
//! violation of each filesystem and config rule, user rules, and a clean Debian image.

use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use assure_tests::ground_truth::debian_minbase;
use assure_tests::schema::validate;
use assure_tests::system::{assure, scan_json};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

/// `(rule id, path)` of every InsecureCode finding in a report, sorted.
fn insecure(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "InsecureCode")
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(r, p)| (r.to_string(), p.to_string()))
        .collect()
}

/// An image breaking every filesystem and config rule once, next to things that must pass.
fn insecure_image(dir: &Path) -> String {
    let layer = LayerSpec::new(vec![
        Entry::dir("usr"),
        Entry::dir("usr/bin"),
        Entry::file_mode("usr/bin/newgrp", 0o4755, b"\x7fELF"),
        Entry::dir("usr/local"),
        Entry::dir("usr/local/bin"),
        Entry::file_mode("usr/local/bin/backdoor", 0o4755, b"\x7fELF"),
        Entry::dir("usr/sbin"),
        Entry::file_mode("usr/sbin/sshd", 0o755, b"\x7fELF"),
        Entry::dir_mode("tmp", 0o1777),
        Entry::dir("app"),
        Entry::dir_mode("app/uploads", 0o777),
        Entry::file(
            "app/main.py",
            "import yaml\ncfg = yaml.load(open('c.yml'))\n",
        ),
        Entry::dir("etc"),
        Entry::dir("etc/ssh"),
        Entry::file("etc/ssh/sshd_config", "Port 22\nPermitRootLogin yes\n"),
        Entry::dir("etc/sudoers.d"),
        Entry::file_mode("etc/sudoers.d/app", 0o440, "app ALL=(ALL) NOPASSWD: ALL\n"),
        Entry::file(
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\nguest:x:1000:1000::/home/guest:/bin/sh\n",
        ),
        Entry::file_mode(
            "etc/shadow",
            0o640,
            "root:*:19000:0:99999:7:::\ntoor:!:19000:0:99999:7:::\nguest::19000:0:99999:7:::\n",
        ),
        Entry::dir_mode("root", 0o700),
        Entry::dir_mode("root/.ssh", 0o700),
        Entry::file_mode(
            "root/.ssh/id_rsa",
            0o644,
            "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
    ]);
    let built = write_oci_layout(&ImageSpec::new(vec![layer]), dir).expect("fixture image");
    let mut config: Value = serde_json::from_slice(&built.config).expect("config");
    config["config"] = json!({
        "Env": ["PATH=/usr/bin", "DB_PASSWORD=s3cr3t-Pa55w0rd-value"],
        "ExposedPorts": {"22/tcp": {}},
    });
    config["history"] = json!([
        {"created_by": "ADD https://example.com/tool.tgz /opt/ # buildkit"},
        {"created_by": "RUN /bin/sh -c curl -fsSL https://get.example.com | sh # buildkit"},
    ]);
    let built = built
        .replace_config(&serde_json::to_vec(&config).expect("json"))
        .expect("config replaced");
    built.source()
}

#[test]
fn each_filesystem_and_config_rule_is_reported_with_its_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = insecure_image(&tmp.path().join("oci"));
    let report = scan_json(&tmp.path().join("data"), &source);
    validate("report-v1.schema.json", &report).expect("schema");
    let want = set(&[
        ("root-user", ""),
        ("env-secret", ""),
        ("ssh-server", ""),
        ("add-from-url", ""),
        ("curl-pipe-shell", ""),
        ("ssh-server", "/usr/sbin/sshd"),
        ("setuid-file", "/usr/local/bin/backdoor"),
        ("world-writable", "/app/uploads"),
        ("sshd-permit-root-login", "/etc/ssh/sshd_config:2"),
        ("sudo-nopasswd-all", "/etc/sudoers.d/app:1"),
        ("empty-password", "/etc/shadow:3"),
        ("extra-root-user", "/etc/passwd:2"),
        ("private-key-readable", "/root/.ssh/id_rsa"),
        ("python-yaml-load", "/app/main.py:2"),
    ]);
    assert_eq!(insecure(&report), want);
    let text = report.to_string();
    assert!(!text.contains("s3cr3t-Pa55w0rd-value"), "secret leaked");
    let env = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule_id"] == "env-secret"))
        .expect("env-secret finding");
    assert_eq!(env["aliases"], json!(["CWE-798"]));
    assert_eq!(env["severity"], "high");
    assert!(
        env["description"]
            .as_str()
            .is_some_and(|d| d.contains("Remediation:"))
    );
}

#[test]
fn user_rules_add_replace_and_disable_and_bad_ones_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = insecure_image(&tmp.path().join("oci"));
    let rules = tmp.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
id = "python-yaml-import"
title = "yaml imported"
severity = "low"
cwe = "CWE-502"
description = "PyYAML is used."
remediation = "Check how."
languages = ["python"]
pattern = '^import yaml'

[[rule]]
id = "root-user"
title = "root"
severity = "low"
cwe = "CWE-250"
description = "d"
remediation = "r"
check = "root-user"
enabled = false
"#,
    )
    .expect("rules written");
    let data = tmp.path().join("data");
    let out = assure(
        &data,
        &[
            "scan",
            "--format",
            "json",
            "--insecure-rules",
            rules.to_str().unwrap_or(""),
            &source,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    let found = insecure(&report);
    assert!(
        found.contains(&("python-yaml-import".into(), "/app/main.py:1".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("python-yaml-load".into(), "/app/main.py:2".into())),
        "{found:?}"
    );
    assert!(!found.iter().any(|(r, _)| r == "root-user"), "{found:?}");

    std::fs::write(&rules, "[[rule]]\nid = \"x\"\n").expect("rules written");
    let out = assure(
        &data,
        &[
            "scan",
            "--insecure-rules",
            rules.to_str().unwrap_or(""),
            &source,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.toml") && err.contains("missing field"),
        "{err}"
    );
}

/// A clean debootstrap Debian: its setuid binaries are dpkg's and not reported; the one finding
/// is `root-user`, true of the image (it sets no USER).
#[test]
fn a_clean_debian_image_reports_only_that_it_runs_as_root() {
    let Some((rootfs, layout)) = debian_minbase() else {
        return;
    };
    // The image does hold setuid binaries: not reporting them is attribution, not blindness.
    assert!(std::fs::metadata(rootfs.join("usr/bin/passwd")).is_ok());
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = scan_json(tmp.path(), &format!("oci:{}:1", layout.display()));
    assert_eq!(insecure(&report), set(&[("root-user", "")]));
}
