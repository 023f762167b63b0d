//! rpm inventory against ground truth: real databases of all three formats with the `rpm -qa`
//! output recorded beside them, databases written here by rpm itself, and scans of images
//! carrying them.

use assure_engine::inventory::rpm::{self, Format, header::Header};
use assure_engine::source::open_local;
use assure_engine::{ScanOptions, Scanner};
use assure_tests::data::test_data;
use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use assure_tests::ground_truth::have;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The shared databases: folder, file, format, and the `os-release` of the system they come from.
const REAL: [(&str, &str, Format, &str); 3] = [
    (
        "sle15-bci",
        "Packages.db",
        Format::Ndb,
        "ID=\"sles\"\nVERSION_ID=\"15.3\"\n",
    ),
    (
        "cbl-mariner-2.0",
        "rpmdb.sqlite",
        Format::Sqlite,
        "ID=mariner\nVERSION_ID=\"2.0\"\n",
    ),
    (
        "libuuid",
        "Packages",
        Format::Bdb,
        "ID=\"rhel\"\nVERSION_ID=\"8.8\"\n",
    ),
];

/// One package as `rpm -q --qf` prints it: `(none)` for absent tags.
fn line(h: &Header) -> String {
    let none = || "(none)".to_string();
    format!(
        "{}|{}|{}|{}|{}|{}|{}",
        h.name,
        h.epoch.map_or_else(none, |e| e.to_string()),
        h.version,
        h.release,
        h.arch.clone().unwrap_or_else(none),
        h.source_rpm.clone().unwrap_or_else(none),
        h.license.clone().unwrap_or_else(none),
    )
}

fn sorted_lines(headers: &[Header]) -> Vec<String> {
    let mut v: Vec<String> = headers.iter().map(line).collect();
    v.sort();
    v
}

/// `expected.json` as `line`s; its epoch is 0 where the header has none.
fn expected(dir: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read(dir.join("expected.json")).unwrap();
    let json: Value = serde_json::from_slice(&text).unwrap();
    let field = |p: &Value, k: &str| match &p[k] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("{k}: {other}"),
    };
    let mut lines: Vec<String> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            [
                "name",
                "epoch",
                "version",
                "release",
                "arch",
                "sourcerpm",
                "license",
            ]
            .map(|k| field(p, k))
            .join("|")
        })
        .collect();
    lines.sort();
    (json["count"].as_u64().unwrap() as usize, lines)
}

/// Our lines with absent epochs printed as 0, as the recorded ground truth has them.
fn with_zero_epochs(headers: &[Header]) -> Vec<String> {
    let mut v: Vec<String> = headers
        .iter()
        .map(|h| {
            let mut h = h.clone();
            h.epoch.get_or_insert(0);
            line(&h)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn real_databases_equal_rpm_qa() {
    let Some(data) = test_data() else {
        return;
    };
    for (dir, file, format, _) in REAL {
        let dir = data.join("rpmdb").join(dir);
        let db = std::fs::read(dir.join(file)).unwrap();
        let read = rpm::read_headers(&db).unwrap();
        assert_eq!(read.format, format, "{}", dir.display());
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let (count, want) = expected(&dir);
        assert_eq!(read.headers.len(), count, "{}", dir.display());
        assert_eq!(with_zero_epochs(&read.headers), want, "{}", dir.display());

        for h in &read.headers {
            let p = rpm::package(h);
            assert_eq!(p.kind, "rpm");
            assert_eq!(p.version, h.evr());
            assert_eq!(p.licenses, h.license.iter().cloned().collect::<Vec<_>>());
            // The source name and version put back together give the SOURCERPM tag.
            let (Some(sn), Some(sv)) = (&p.source_name, &p.source_version) else {
                panic!("{}: no source package", h.name);
            };
            assert_eq!(Some(format!("{sn}-{sv}.src.rpm")), h.source_rpm);
        }
    }
}

#[test]
fn real_databases_give_the_same_packages_through_a_scan() {
    let Some(data) = test_data() else {
        return;
    };
    for (i, (dir, file, _, os_release)) in REAL.iter().enumerate() {
        let db = std::fs::read(data.join("rpmdb").join(dir).join(file)).unwrap();
        let want = rpm::read_headers(&db).unwrap().headers;
        // Alternate the two places rpm keeps its database.
        let db_dir = if i % 2 == 0 {
            "var/lib/rpm"
        } else {
            "usr/lib/sysimage/rpm"
        };
        let spec = ImageSpec::new(vec![LayerSpec::new(vec![
            Entry::dir("etc"),
            Entry::file("etc/os-release", os_release),
            Entry::dir(db_dir),
            Entry::file(&format!("{db_dir}/{file}"), &db),
        ])]);
        let layout = tempfile::tempdir().unwrap();
        let built = write_oci_layout(&spec, layout.path()).unwrap();
        let source = open_local(&format!("oci:{}:latest", layout.path().display())).unwrap();
        let report = Scanner::new(ScanOptions::default())
            .scan(source.as_ref())
            .unwrap();

        let family = report.image.os.as_ref().map(|o| o.family.clone()).unwrap();
        let mut got: Vec<(String, String, Option<String>)> = report
            .packages
            .iter()
            .filter(|p| p.kind == "rpm")
            .map(|p| (p.name.clone(), p.version.clone(), p.arch.clone()))
            .collect();
        got.sort();
        let mut expected: Vec<(String, String, Option<String>)> = want
            .iter()
            .map(|h| (h.name.clone(), h.evr(), h.arch.clone()))
            .collect();
        expected.sort();
        assert_eq!(got, expected, "{dir}");
        assert!(
            !report.notes.iter().any(|n| n.contains(file)),
            "{:?}",
            report.notes
        );
        for p in report.packages.iter().filter(|p| p.kind == "rpm") {
            let purl = p.purl.as_deref().unwrap();
            // Names are percent-encoded (`libstdc%2B%2B6`), so only the prefix is compared.
            assert!(purl.starts_with(&format!("pkg:rpm/{family}/")), "{purl}");
            assert!(purl.contains('@'), "{purl}");
            assert!(purl.contains("distro="), "{purl}");
            assert_eq!(p.path.as_deref(), Some(&*format!("/{db_dir}/{file}")));
            assert_eq!(p.layer.as_deref(), Some(built.layers[0].diff_id.as_str()));
        }
    }
}

#[test]
fn damaged_databases_keep_what_parses() {
    let Some(data) = test_data() else {
        return;
    };
    let db = std::fs::read(data.join("rpmdb/sle15-bci/Packages.db")).unwrap();
    let whole = rpm::read_headers(&db).unwrap().headers.len();
    // Cut off the last quarter: the packages stored there are missing and said to be.
    let cut = rpm::read_headers(&db[..db.len() * 3 / 4]).unwrap();
    assert!(!cut.headers.is_empty() && cut.headers.len() < whole);
    assert!(!cut.problems.is_empty());
    // Garbage over the middle of each database never panics.
    for (dir, file, _, _) in REAL {
        let mut db = std::fs::read(data.join("rpmdb").join(dir).join(file)).unwrap();
        let mid = db.len() / 2;
        let end = (mid + 8192).min(db.len());
        for (i, b) in db[mid..end].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(151).wrapping_add(7);
        }
        let _ = rpm::read_headers(&db);
    }
}

/// A spec file for a package without files.
fn spec(name: &str, epoch: Option<u32>, license: &str, noarch: bool) -> String {
    let mut s = format!(
        "Name: {name}\nVersion: 1.{}\nRelease: 3.test\nSummary: test package\nLicense: {license}\n",
        name.len()
    );
    if let Some(e) = epoch {
        s.push_str(&format!("Epoch: {e}\n"));
    }
    if noarch {
        s.push_str("BuildArch: noarch\n");
    }
    s.push_str("%description\nA package for tests.\n%files\n");
    s
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sqlite_database_written_by_rpm_equals_rpm_qa() {
    if !have("rpm") || !have("rpmbuild") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("top");
    let db = tmp.path().join("db");
    let specs = [
        spec(
            "tiny-epoch",
            Some(7),
            "MIT AND (Apache-2.0 OR BSD-3-Clause)",
            true,
        ),
        spec("tiny-zero-epoch", Some(0), "GPL-2.0-or-later", true),
        spec("tiny-plain", None, "LGPLv2+ and BSD", false),
    ];
    for (i, s) in specs.iter().enumerate() {
        let path = tmp.path().join(format!("{i}.spec"));
        std::fs::write(&path, s).unwrap();
        run(Command::new("rpmbuild")
            .arg("-bb")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg(&path));
    }
    let mut rpms: Vec<_> = walk(&top.join("RPMS"));
    rpms.sort();
    assert_eq!(rpms.len(), 3, "{rpms:?}");
    std::fs::create_dir_all(&db).unwrap();
    run(Command::new("rpm").arg("--initdb").arg("--dbpath").arg(&db));
    run(Command::new("rpm")
        .args(["-i", "--justdb", "--nodeps", "--dbpath"])
        .arg(&db)
        .args(&rpms));
    let qa = run(Command::new("rpm")
        .args(["-qa", "--dbpath"])
        .arg(&db)
        .args([
            "--qf",
            "%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\\n",
        ]));
    let mut want: Vec<String> = qa.lines().map(str::to_string).collect();
    want.sort();
    assert_eq!(want.len(), 3, "{qa}");

    let bytes = std::fs::read(db.join("rpmdb.sqlite")).unwrap();
    let read = rpm::read_headers(&bytes).unwrap();
    assert_eq!(read.format, Format::Sqlite);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(sorted_lines(&read.headers), want);
    let versions: Vec<String> = {
        let mut v: Vec<String> = read
            .headers
            .iter()
            .map(|h| rpm::package(h).version)
            .collect();
        v.sort();
        v
    };
    assert_eq!(versions, ["0:1.15-3.test", "1.10-3.test", "7:1.10-3.test"]);
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
