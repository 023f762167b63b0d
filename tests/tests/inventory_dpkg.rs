//! dpkg inventory against ground truth: a debootstrap rootfs, `dpkg-query -W` on it, and our
//! scan of the same rootfs packed into an OCI image.

use assure_tests::ground_truth::{debian_minbase, dpkg_query};
use assure_tests::system::assure;
use serde_json::Value;

#[test]
fn dpkg_inventory_equals_dpkg_query() {
    let Some((rootfs, layout)) = debian_minbase() else {
        return;
    };
    let expected = dpkg_query(&rootfs);
    assert!(
        expected.len() > 50,
        "debootstrap minbase has ~90 packages, got {}",
        expected.len()
    );

    let data = tempfile::tempdir().unwrap();
    let out = assure(
        data.path(),
        &[
            "scan",
            "--format",
            "json",
            &format!("oci:{}:1", layout.display()),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["image"]["os"]["family"], "debian");
    assert_eq!(report["image"]["os"]["version"], "12");
    let mut got: Vec<String> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "deb")
        .map(|p| {
            format!(
                "{}\t{}\t{}\t{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["source_name"].as_str().unwrap(),
                p["source_version"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
    // Licences come from the DEP-5 copyright files, in SPDX terms.
    let licenses = |name: &str| -> Vec<String> {
        let p = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap();
        p["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(licenses("zlib1g"), vec!["Zlib"]);
    assert!(
        licenses("bash").contains(&"GPL-3.0-or-later".to_string()),
        "{:?}",
        licenses("bash")
    );
    assert!(
        licenses("tar").contains(&"GPL-3.0-or-later".to_string()),
        "{:?}",
        licenses("tar")
    );
    for p in report["packages"].as_array().unwrap() {
        let purl = p["purl"].as_str().unwrap();
        assert!(
            purl.starts_with("pkg:deb/debian/") && purl.contains("distro=debian-12"),
            "{purl}"
        );
        assert_eq!(p["path"], "/var/lib/dpkg/status");
        assert_eq!(p["layer"], report["image"]["layers"][0]["diff_id"]);
    }
}
