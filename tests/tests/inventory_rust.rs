//! Rust binaries against ground truth: a crate built by `cargo auditable`, its runtime
//! dependencies as `cargo tree -e normal` lists them, our reading of the binary, and our scan
//! of it packed into an OCI image.

use assure_engine::inventory::rustbin::audit_packages;
use assure_tests::ground_truth_bin::rust_image;
use assure_tests::ground_truth_lang::{packages_of, scan};

#[test]
fn audit_data_equals_cargo_tree() {
    let Some((image, expected)) = rust_image() else {
        return;
    };
    // itoa and semver at run time; autocfg only in build.rs, so not in the list.
    assert_eq!(
        expected.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["itoa", "semver"]
    );
    let bytes = std::fs::read(&image.binary).unwrap();
    let mut got: Vec<(String, String)> = audit_packages(&bytes)
        .unwrap()
        .expect("cargo auditable embeds the dependency list")
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect();
    got.sort();
    assert_eq!(got, expected);

    let report = scan(&image.layout);
    let cargo = packages_of(&report, "cargo");
    let mut scanned: Vec<(String, String)> = cargo
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    scanned.sort();
    assert_eq!(scanned, expected);
    for p in cargo {
        let (name, version) = (p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
        assert_eq!(
            p["purl"].as_str().unwrap(),
            format!("pkg:cargo/{name}@{version}")
        );
        assert_eq!(p["path"], format!("/{}", image.in_image));
    }
    // A Rust binary is not a Go binary: neither analyzer complains about it.
    assert!(
        !report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["type"] == "golang"),
        "{report}"
    );
    // No note about reading the binaries (the data directory has no vulnerability database,
    // which is noted too).
    assert!(
        report["notes"].as_array().is_none_or(|n| n
            .iter()
            .all(|n| n.as_str().unwrap().starts_with("no vulnerability database"))),
        "{}",
        report["notes"]
    );
}

/// Every executable of the machine's bin directories reads without error: most have no audit
/// data, none is malformed.
#[test]
fn installed_executables_read_without_error() {
    let mut checked = 0;
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            if bytes.starts_with(b"\x7fELF") {
                checked += 1;
                if let Err(err) = audit_packages(&bytes) {
                    panic!("{}: {err}", e.path().display());
                }
            }
        }
    }
    assert!(checked > 0, "no ELF executables found");
}
