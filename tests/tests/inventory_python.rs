//! Python inventory against ground truth: distributions installed by `pip install --target`
//! and Debian's Python packages unpacked by dpkg-deb, listed by `pip list`, and our scan of
//! the same files packed into an OCI image.

use assure_engine::inventory::python::normalize_name;
use assure_tests::ground_truth_lang::{
    LangImage, PIP_PINS, PYTHON_DIR, debian_python_image, packages_of, pip_image, scan,
};
use serde_json::Value;

/// A `*.egg-info` directory (six, dbus-python) and a single-file `*.egg-info` (pycairo).
const DEBIAN: &[&str] = &["python3-six", "python3-dbus", "python3-cairo"];

/// `(PEP 503 name, version)`, sorted.
fn normalized<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .map(|(n, v)| (normalize_name(n), v.to_string()))
        .collect();
    out.sort();
    out
}

/// Compare the scan with the ground truth; the report's pypi packages.
fn check(image: &LangImage, report: &Value) -> Vec<Value> {
    let ours: Vec<Value> = packages_of(report, "pypi").into_iter().cloned().collect();
    let got = normalized(
        ours.iter()
            .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap())),
    );
    let want = normalized(image.expected.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    assert_eq!(got, want);
    for p in &ours {
        let path = p["path"].as_str().unwrap();
        assert!(path.starts_with(&format!("/{PYTHON_DIR}/")), "{path}");
        let name = normalize_name(p["name"].as_str().unwrap());
        let purl = p["purl"].as_str().unwrap();
        assert!(purl.starts_with(&format!("pkg:pypi/{name}@")), "{purl}");
        assert_eq!(p["layer"], report["image"]["layers"][0]["diff_id"]);
    }
    ours
}

fn find<'a>(ours: &'a [Value], name: &str) -> &'a Value {
    ours.iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not reported"))
}

fn licenses(p: &Value) -> Vec<&str> {
    p["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect()
}

#[test]
fn pip_target_inventory_equals_pip_list() {
    let Some(image) = pip_image(PIP_PINS) else {
        return;
    };
    assert!(
        image.expected.len() >= PIP_PINS.len(),
        "pip list: {:?}",
        image.expected
    );
    let report = scan(&image.layout);
    let ours = check(&image, &report);
    for p in &ours {
        let path = p["path"].as_str().unwrap();
        assert!(path.ends_with(".dist-info/METADATA"), "{path}");
        assert!(!licenses(p).is_empty(), "no licence for {p}");
    }
    // Names as the metadata writes them.
    assert_eq!(find(&ours, "Jinja2")["version"], "2.10");
    assert_eq!(find(&ours, "PyYAML")["version"], "5.3");
    assert_eq!(find(&ours, "urllib3")["version"], "1.24.1");
    // License-Expression, License, and classifiers only.
    assert_eq!(licenses(find(&ours, "attrs")), ["MIT"]);
    assert_eq!(licenses(find(&ours, "idna")), ["BSD-3-Clause"]);
    assert_eq!(licenses(find(&ours, "requests")), ["Apache-2.0"]);
    assert_eq!(
        licenses(find(&ours, "packaging")),
        ["Apache-2.0", "BSD-3-Clause"]
    );
}

#[test]
fn debian_egg_info_inventory_equals_pip_list() {
    let Some(image) = debian_python_image(DEBIAN) else {
        return;
    };
    assert_eq!(image.expected.len(), DEBIAN.len(), "{:?}", image.expected);
    let report = scan(&image.layout);
    let ours = check(&image, &report);
    let pycairo = find(&ours, "pycairo");
    assert!(
        pycairo["path"].as_str().unwrap().ends_with(".egg-info"),
        "{pycairo}"
    );
    assert_eq!(licenses(pycairo), ["LGPL-2.1-only OR MPL-1.1"]);
    assert!(
        find(&ours, "six")["path"]
            .as_str()
            .unwrap()
            .ends_with(".egg-info/PKG-INFO")
    );
    assert_eq!(licenses(find(&ours, "six")), ["MIT"]);
    // "Expat (MIT/X11)" is no SPDX id: kept visible rather than dropped or guessed.
    assert_eq!(
        licenses(find(&ours, "dbus-python")),
        ["LicenseRef-Expat-MIT-X11"]
    );
}
