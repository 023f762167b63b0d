//! Ground-truth images of language packages: installed by pip and npm (or unpacked from
//! Debian's Python packages), listed by the same tools, packed into OCI layouts by umoci.
//! Each is cached under `target/ground-truth/`, keyed by what it installs.

use crate::data::require_in_ci;
use crate::ground_truth::run;
use crate::ground_truth::{cache_dir, have, pack_with_umoci};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Python distributions are put in the image.
pub const PYTHON_DIR: &str = "usr/lib/python3/dist-packages";

/// Old releases with known vulnerabilities (jinja2 2.10, urllib3 1.24.1, pyyaml 5.3), their
/// dependencies pinned, and modern releases whose metadata uses `License-Expression` (attrs,
/// idna) or only classifiers (packaging). PyYAML 5.3 has no wheel for this Python: pip builds
/// it from the sdist.
pub const PIP_PINS: &[&str] = &[
    "jinja2==2.10",
    "markupsafe==2.1.5",
    "urllib3==1.24.1",
    "pyyaml==5.3",
    "requests==2.31.0",
    "idna==3.6",
    "certifi==2024.2.2",
    "charset-normalizer==3.3.2",
    "attrs==25.3.0",
    "packaging==24.2",
];

/// Where the npm project is put in the image.
pub const NPM_DIR: &str = "app";

/// A built ground-truth image.
#[derive(Debug, Clone)]
pub struct LangImage {
    /// The OCI layout; the image is tagged `1`.
    pub layout: PathBuf,
    /// `(name, version)` as the package manager lists them, sorted, duplicates kept.
    pub expected: Vec<(String, String)>,
    /// The package manager's full listing, for checks beyond name and version.
    pub listing: Value,
}

/// A cache directory named by `kind` and a hash of `what`, so changing the set rebuilds it.
fn keyed_dir(kind: &str, what: &[&str]) -> PathBuf {
    let mut h = Sha256::new();
    for w in what {
        h.update(w.as_bytes());
        h.update(b"\n");
    }
    cache_dir().join(format!("{kind}-{}", &hex::encode(h.finalize())[..12]))
}

/// Build (once) `base/rootfs` with `fill`, its listing with `list`, and the OCI layout.
fn cached(
    base: &Path,
    fill: impl FnOnce(&Path) -> Option<()>,
    list: impl FnOnce(&Path) -> String,
) -> Option<(PathBuf, Value)> {
    let rootfs = base.join("rootfs");
    let layout = base.join("oci");
    let listing = base.join("listing.json");
    let done = base.join("done");
    let _building = crate::ground_truth::building(base);
    if !done.exists() {
        let _ = std::fs::remove_dir_all(base);
        std::fs::create_dir_all(&rootfs).expect("creating the ground-truth dir");
        fill(&rootfs)?;
        std::fs::write(&listing, list(&rootfs)).expect("writing the listing");
        pack_with_umoci(&rootfs, &layout);
        std::fs::write(&done, b"").expect("marking the ground truth built");
    }
    let text = std::fs::read_to_string(&listing).expect("reading the listing");
    let value = serde_json::from_str(&text).expect("the listing is JSON");
    Some((layout, value))
}

/// `python3 -m pip list --path DIR --format json`.
fn pip_list(dir: &Path) -> String {
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "list",
            "--disable-pip-version-check",
            "--format",
            "json",
        ])
        .arg("--path")
        .arg(dir))
}

fn pip_expected(listing: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = listing
        .as_array()
        .expect("pip list prints an array")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name").to_string(),
                p["version"].as_str().expect("version").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `pip install --target` of `requirements` into [`PYTHON_DIR`], listed by `pip list`.
/// `None` (skipped loudly, failing under CI) when python3 or umoci is missing.
pub fn pip_image(requirements: &[&str]) -> Option<LangImage> {
    if !have("python3") || !have("umoci") {
        return None;
    }
    let base = keyed_dir("pip", requirements);
    let (layout, listing) = cached(
        &base,
        |rootfs| {
            run(Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-compile",
                    "--no-warn-conflicts",
                    "--target",
                ])
                .arg(rootfs.join(PYTHON_DIR))
                .args(requirements));
            Some(())
        },
        |rootfs| pip_list(&rootfs.join(PYTHON_DIR)),
    )?;
    Some(LangImage {
        layout,
        expected: pip_expected(&listing),
        listing,
    })
}

/// Debian's `packages` (Python modules with `.egg-info` metadata) downloaded by apt and unpacked
/// by dpkg-deb, listed by `pip list`. `None` (skipped loudly, failing under CI) when the tools or
/// apt's package lists are missing.
pub fn debian_python_image(packages: &[&str]) -> Option<LangImage> {
    if !have("python3") || !have("umoci") || !have("apt-get") || !have("dpkg-deb") {
        return None;
    }
    let base = keyed_dir("deb-python", packages);
    let (layout, listing) = cached(
        &base,
        |rootfs| {
            let debs = rootfs.with_file_name("debs");
            std::fs::create_dir_all(&debs).expect("creating the download dir");
            let out = Command::new("apt-get")
                .arg("download")
                .args(packages)
                .current_dir(&debs)
                .output()
                .expect("running apt-get download");
            if !out.status.success() {
                require_in_ci(&format!(
                    "apt-get download {packages:?} failed (run apt-get update): {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
                return None;
            }
            for deb in std::fs::read_dir(&debs).expect("listing the downloads") {
                let deb = deb.expect("a download").path();
                run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(rootfs));
            }
            Some(())
        },
        |rootfs| pip_list(&rootfs.join(PYTHON_DIR)),
    )?;
    Some(LangImage {
        layout,
        expected: pip_expected(&listing),
        listing,
    })
}

/// `npm install` of `specs` into [`NPM_DIR`] (an application with a `package.json` of its own),
/// listed by `npm ls --all --json --long`. `None` (skipped loudly, failing under CI) when npm or
/// umoci is missing.
///
/// The expected list has one entry per installed copy: `npm ls` shows a package once under each
/// package that depends on it, so copies are told apart by their `path`.
pub fn npm_image(specs: &[&str]) -> Option<LangImage> {
    if !have("npm") || !have("umoci") {
        return None;
    }
    let base = keyed_dir("npm", specs);
    let (layout, listing) = cached(
        &base,
        |rootfs| {
            let app = rootfs.join(NPM_DIR);
            std::fs::create_dir_all(&app).expect("creating the app dir");
            // The application's own manifest is not an installed package.
            std::fs::write(
                app.join("package.json"),
                r#"{"name":"ground-truth-app","version":"1.0.0","private":true}"#,
            )
            .expect("writing package.json");
            run(Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&app)
                .args(specs));
            Some(())
        },
        |rootfs| {
            run(Command::new("npm")
                .args(["ls", "--all", "--json", "--long", "--prefix"])
                .arg(rootfs.join(NPM_DIR)))
        },
    )?;
    let mut by_path = std::collections::BTreeMap::new();
    collect_npm(&listing["dependencies"], &mut by_path);
    let mut expected: Vec<(String, String)> = by_path.into_values().collect();
    expected.sort();
    Some(LangImage {
        layout,
        expected,
        listing,
    })
}

/// Every node of an `npm ls --long` tree, by install path.
fn collect_npm(deps: &Value, out: &mut std::collections::BTreeMap<String, (String, String)>) {
    let Some(deps) = deps.as_object() else {
        return;
    };
    for (key, node) in deps {
        let path = node["path"].as_str().expect("npm ls --long gives paths");
        let name = node["name"].as_str().unwrap_or(key);
        let version = node["version"]
            .as_str()
            .expect("installed packages have versions");
        out.insert(path.to_string(), (name.to_string(), version.to_string()));
        collect_npm(&node["dependencies"], out);
    }
}

/// The JSON report of `assure scan` (the real binary) of the image tagged `1` at `layout`.
pub fn scan(layout: &Path) -> Value {
    let data = tempfile::tempdir().expect("creating a data dir");
    let image = format!("oci:{}:1", layout.display());
    let out = crate::system::assure(data.path(), &["scan", "--format", "json", &image]);
    assert!(
        out.status.success(),
        "assure scan {image} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// The reported packages of type `kind`.
pub fn packages_of<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["packages"]
        .as_array()
        .expect("packages is an array")
        .iter()
        .filter(|p| p["type"] == kind)
        .collect()
}
