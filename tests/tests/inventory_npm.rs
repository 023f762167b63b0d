//! npm inventory against ground truth: packages installed by `npm install` into an application
//! directory, listed by `npm ls --all --long`, and our scan of the same files packed into an OCI
//! image.

use assure_tests::ground_truth_lang::{NPM_DIR, npm_image, packages_of, scan};
use std::collections::{BTreeMap, BTreeSet};

/// Old releases with known vulnerabilities; mkdirp 0.5.1 keeps its own minimist 0.0.8 nested
/// beside the hoisted 1.2.0, express brings ~50 packages with more nested duplicates, and
/// @types/lodash is scoped.
const NPM: &[&str] = &[
    "lodash@4.17.15",
    "minimist@1.2.0",
    "mkdirp@0.5.1",
    "@types/lodash@4.14.150",
    "express@4.17.1",
];

#[test]
fn npm_inventory_equals_npm_ls() {
    let Some(image) = npm_image(NPM) else {
        return;
    };
    assert!(
        image.expected.len() > 40,
        "npm ls: {} packages",
        image.expected.len()
    );
    let report = scan(&image.layout);
    let ours = packages_of(&report, "npm");
    let mut got: Vec<(String, String)> = ours
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, image.expected);
    for dup in [("minimist", "1.2.0"), ("minimist", "0.0.8")] {
        assert!(
            got.iter().any(|(n, v)| (n.as_str(), v.as_str()) == dup),
            "{dup:?}"
        );
    }
    assert!(!got.iter().any(|(n, _)| n == "ground-truth-app"));

    // Each copy is where npm installed it, with npm's licence.
    let mut by_path = BTreeMap::new();
    for p in &ours {
        by_path.insert(p["path"].as_str().unwrap().to_string(), *p);
    }
    // npm ls shows a copy under each package that depends on it.
    let mut checked = BTreeSet::new();
    let mut stack = vec![&image.listing["dependencies"]];
    while let Some(deps) = stack.pop() {
        for node in deps.as_object().into_iter().flat_map(|o| o.values()) {
            stack.push(&node["dependencies"]);
            let dir = node["path"].as_str().unwrap();
            let rel = &dir[dir.find(&format!("/{NPM_DIR}/node_modules/")).unwrap()..];
            let path = format!("{rel}/package.json");
            let p = by_path
                .get(&path)
                .unwrap_or_else(|| panic!("{path} not reported"));
            assert_eq!(p["version"], node["version"], "{path}");
            if node["license"].is_string() {
                assert_eq!(p["licenses"][0], node["license"], "{path}");
            }
            checked.insert(path);
        }
    }
    assert_eq!(checked.len(), by_path.len());
    let scoped = by_path
        .get(&format!(
            "/{NPM_DIR}/node_modules/@types/lodash/package.json"
        ))
        .expect("@types/lodash reported");
    assert_eq!(scoped["purl"], "pkg:npm/%40types/lodash@4.14.150");
}
