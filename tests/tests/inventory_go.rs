//! Go binaries against ground truth: a program built by the Go toolchain, `go version -m` on
//! it (and on every Go executable installed on the machine), our decoder on the same bytes,
//! and our scan of the program packed into an OCI image.

use assure_engine::inventory::gobin::{BuildInfo, Module, build_info};
use assure_tests::ground_truth::have;
use assure_tests::ground_truth_bin::{GO_NET, GO_TEXT_REPLACEMENT, go_image, go_version_m};
use assure_tests::ground_truth_lang::{packages_of as scanned_packages, scan};
use std::path::{Path, PathBuf};

/// Our decoding in `go version -m`'s terms (see [`go_version_m`]).
fn as_go_prints(info: &BuildInfo) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &info.path {
        out.push(format!("path\t{p}"));
    }
    let mut push = |word: &str, m: &Module| {
        out.push(format!("{word}\t{}\t{}", m.path, m.version));
        if let Some(r) = &m.replace {
            out.push(format!("=>\t{}\t{}", r.path, r.version));
        }
    };
    if let Some(m) = &info.main {
        push("mod", m);
    }
    for d in &info.deps {
        push("dep", d);
    }
    out
}

/// The packages `go version -m` lines describe: each dep (as replaced), the main module unless
/// built from a checkout, and the standard library.
fn packages_of(go_version: &str, modules: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in modules {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod" | "dep", p, v] => out.push((p.to_string(), v.to_string())),
            ["=>", p, v] => {
                if let Some(last) = out.last_mut() {
                    *last = (p.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    out.retain(|(_, v)| !v.is_empty() && v != "(devel)");
    let release = go_version.strip_prefix("go").expect("a go version");
    assert_eq!(release.split('.').count(), 3, "{go_version}");
    out.push(("stdlib".into(), format!("v{release}")));
    out.sort();
    out
}

#[test]
fn build_info_equals_go_version_m() {
    let Some(image) = go_image() else {
        return;
    };
    let listed = go_version_m(&[&image.binary]);
    let expected = listed
        .values()
        .next()
        .expect("go version -m lists the binary");
    let info = build_info(&std::fs::read(&image.binary).unwrap())
        .unwrap()
        .expect("a Go binary");
    assert_eq!(info.go_version, expected.go_version);
    assert_eq!(as_go_prints(&info), expected.modules);
    assert!(
        expected
            .modules
            .contains(&format!("dep\t{}\t{}", GO_NET.0, GO_NET.1)),
        "{:?}",
        expected.modules
    );
    assert!(
        expected.modules.contains(&format!(
            "=>\t{}\t{}",
            GO_TEXT_REPLACEMENT.0, GO_TEXT_REPLACEMENT.1
        )),
        "{:?}",
        expected.modules
    );
}

/// Regular files (or symlinks to them) with an executable bit, below `dir`, as `go version`
/// walks it.
fn executables(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            executables(&path, out);
        } else if std::fs::metadata(&path).is_ok_and(|m| {
            m.is_file() && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
        }) {
            out.push(path);
        }
    }
}

/// Every executable of the machine's bin directories and Go toolchain: the same Go binaries as
/// `go version -m` finds, with the same modules, and no error on any other executable.
#[test]
fn installed_executables_agree_with_go_version_m() {
    if !have("go") {
        return;
    }
    let goroot = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .unwrap();
    let goroot = PathBuf::from(String::from_utf8_lossy(&goroot.stdout).trim());
    let dirs = [
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/sbin"),
        PathBuf::from("/usr/local/bin"),
        goroot.join("bin"),
        goroot.join("pkg/tool"),
    ];
    let dirs: Vec<&Path> = dirs
        .iter()
        .map(PathBuf::as_path)
        .filter(|d| d.is_dir())
        .collect();
    let expected = go_version_m(&dirs);
    let mut files = Vec::new();
    for d in &dirs {
        executables(d, &mut files);
    }
    let mut go = 0;
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let ours = if bytes.starts_with(b"\x7fELF") {
            build_info(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        } else {
            None
        };
        match (ours, expected.get(&file)) {
            (Some(info), Some(theirs)) => {
                go += 1;
                assert_eq!(info.go_version, theirs.go_version, "{}", file.display());
                assert_eq!(as_go_prints(&info), theirs.modules, "{}", file.display());
            }
            (None, None) => {}
            (ours, theirs) => panic!("{}: ours {ours:?}, go's {theirs:?}", file.display()),
        }
    }
    assert!(go > 0, "the Go toolchain's own tools are Go binaries");
}

#[test]
fn scanned_image_lists_go_modules_with_purls() {
    let Some(image) = go_image() else {
        return;
    };
    let listed = go_version_m(&[&image.binary]);
    let theirs = listed
        .values()
        .next()
        .expect("go version -m lists the binary");
    let expected = packages_of(&theirs.go_version, &theirs.modules);
    assert!(expected.len() >= 3, "{expected:?}");

    let report = scan(&image.layout);
    let golang = scanned_packages(&report, "golang");
    let mut got: Vec<(String, String)> = golang
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
    for p in golang {
        let (name, version) = (p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
        assert_eq!(
            p["purl"].as_str().unwrap(),
            format!("pkg:golang/{name}@{version}"),
            "{p}"
        );
        assert_eq!(p["path"], format!("/{}", image.in_image));
        assert_eq!(p["layer"], report["image"]["layers"][0]["diff_id"]);
    }
    assert!(
        report["notes"]
            .as_array()
            .is_none_or(|n| n.iter().all(|n| !n.as_str().unwrap().contains("go-binary"))),
        "{}",
        report["notes"]
    );
}
