//! Java inventory against ground truth: Debian's Java library packages downloaded by apt and
//! unpacked by dpkg-deb, a WAR, an EAR and a Spring Boot style jar built from their jars by
//! `zip`, every `pom.properties` in them (nested archives included) read by `unzip`, and our
//! scan of the same files packed into an OCI image.

use assure_tests::data::require_in_ci;
use assure_tests::ground_truth::{cache_dir, have, pack_with_umoci};
use assure_tests::ground_truth_lang::{packages_of, scan};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Libraries whose jars carry `META-INF/maven/**/pom.properties`; guava's manifest also has a
/// `Bundle-License`.
const DEBIAN: &[&str] = &[
    "libcommons-lang3-java",
    "libcommons-io-java",
    "libslf4j-java",
    "libguava-java",
    "libjackson2-core-java",
];

/// Bumped when the archives built from the packages change.
const RECIPE: &str = "java-1";

/// A copy of commons-io with its `pom.properties` removed: found from its manifest alone.
const NO_POM: &str = "opt/nopom/commons-io.jar";

const EXTENSIONS: &[&str] = &[".jar", ".war", ".ear"];

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
}

/// `zip -r` of everything in `dir` into `out`; `stored` keeps entries uncompressed, as Spring
/// Boot keeps nested jars.
fn zip_dir(dir: &Path, out: &Path, stored: bool) {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut cmd = Command::new("zip");
    cmd.args(["-q", "-r", "-X"]);
    if stored {
        cmd.arg("-0");
    }
    run(cmd.arg(out).arg(".").current_dir(dir));
}

/// Debian's jars unpacked into `rootfs`, and archives nesting them.
fn fill(rootfs: &Path, work: &Path) -> Option<()> {
    let debs = work.join("debs");
    std::fs::create_dir_all(&debs).unwrap();
    let out = Command::new("apt-get")
        .arg("download")
        .args(DEBIAN)
        .current_dir(&debs)
        .output()
        .expect("running apt-get download");
    if !out.status.success() {
        require_in_ci(&format!(
            "apt-get download {DEBIAN:?} failed (run apt-get update): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
        return None;
    }
    for deb in std::fs::read_dir(&debs).unwrap() {
        run(Command::new("dpkg-deb")
            .arg("-x")
            .arg(deb.unwrap().path())
            .arg(rootfs));
    }
    let java = rootfs.join("usr/share/java");

    let war = work.join("war");
    std::fs::create_dir_all(war.join("WEB-INF")).unwrap();
    std::fs::write(war.join("WEB-INF/web.xml"), "<web-app/>\n").unwrap();
    copy(
        &java.join("commons-lang3.jar"),
        &war.join("WEB-INF/lib/commons-lang3.jar"),
    );
    zip_dir(&war, &rootfs.join("srv/app/app.war"), false);

    let ear = work.join("ear");
    copy(&rootfs.join("srv/app/app.war"), &ear.join("app.war"));
    copy(&java.join("slf4j-api.jar"), &ear.join("lib/slf4j-api.jar"));
    zip_dir(&ear, &rootfs.join("srv/app/app.ear"), false);

    let boot = work.join("boot");
    let pom = boot.join("META-INF/maven/com.example/boot/pom.properties");
    std::fs::create_dir_all(pom.parent().unwrap()).unwrap();
    std::fs::write(
        &pom,
        "groupId=com.example\nartifactId=boot\nversion=1.0.0\n",
    )
    .unwrap();
    copy(
        &java.join("jackson-core.jar"),
        &boot.join("BOOT-INF/lib/jackson-core.jar"),
    );
    zip_dir(&boot, &rootfs.join("srv/app/boot.jar"), true);

    let no_pom = rootfs.join(NO_POM);
    copy(&java.join("commons-io.jar"), &no_pom);
    run(Command::new("zip")
        .args(["-q", "-d"])
        .arg(&no_pom)
        .arg("META-INF/maven/*"));
    Some(())
}

/// The image: `(rootfs, layout)`, built once and cached. `None` (skipped loudly, failing under
/// CI) when the tools are missing.
fn java_image() -> Option<(PathBuf, PathBuf)> {
    for tool in ["apt-get", "dpkg-deb", "zip", "unzip", "umoci"] {
        if !have(tool) {
            return None;
        }
    }
    let mut h = Sha256::new();
    h.update(RECIPE);
    for p in DEBIAN {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    let base = cache_dir().join(format!("deb-java-{}", &hex::encode(h.finalize())[..12]));
    let rootfs = base.join("rootfs");
    let layout = base.join("oci");
    let done = base.join("done");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&rootfs).unwrap();
        fill(&rootfs, &base.join("work"))?;
        pack_with_umoci(&rootfs, &layout);
        std::fs::write(&done, b"").unwrap();
    }
    Some((rootfs, layout))
}

fn is_archive(name: &str) -> bool {
    EXTENSIONS.iter().any(|e| name.ends_with(e))
}

/// `(path, group:artifact, version)` of every `pom.properties` that `unzip` finds in the
/// archive `file` (shown as `shown`) and in the archives nested in it.
fn unzip_poms(file: &Path, shown: &str, tmp: &Path, out: &mut Vec<(String, String, String)>) {
    let listing = run(Command::new("unzip").arg("-Z1").arg(file));
    for name in String::from_utf8(listing).unwrap().lines() {
        let parts: Vec<&str> = name.split('/').collect();
        if let ["META-INF", "maven", _, _, "pom.properties"] = parts.as_slice() {
            let text = run(Command::new("unzip").arg("-p").arg(file).arg(name));
            let text = String::from_utf8(text).unwrap();
            let get = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                    .unwrap_or_else(|| panic!("{shown}!/{name}: no {k}"))
                    .trim()
                    .to_string()
            };
            out.push((
                shown.to_string(),
                format!("{}:{}", get("groupId"), get("artifactId")),
                get("version"),
            ));
        } else if is_archive(name) {
            // A fresh name: the archives being read up the recursion must stay intact.
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let inner = tmp.join(format!("nested-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
            let bytes = run(Command::new("unzip").arg("-p").arg(file).arg(name));
            std::fs::write(&inner, bytes).unwrap();
            unzip_poms(&inner, &format!("{shown}!/{name}"), tmp, out);
        }
    }
}

/// The ground truth for every regular Java archive under `rootfs`, sorted.
fn expected(rootfs: &Path) -> Vec<(String, String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let mut stack = vec![rootfs.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let kind = e.file_type().unwrap();
            let path = e.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && is_archive(&e.file_name().to_string_lossy()) {
                let shown = format!("/{}", path.strip_prefix(rootfs).unwrap().display());
                unzip_poms(&path, &shown, tmp.path(), &mut out);
            }
        }
    }
    out.sort();
    out
}

fn triple(p: &Value) -> (String, String, String) {
    let s = |k: &str| {
        p[k].as_str()
            .unwrap_or_else(|| panic!("{k} in {p}"))
            .to_string()
    };
    (s("path"), s("name"), s("version"))
}

#[test]
fn java_inventory_equals_pom_properties() {
    let Some((rootfs, layout)) = java_image() else {
        return;
    };
    let want = expected(&rootfs);
    assert!(want.len() > 15, "pom.properties found: {want:?}");
    for nested in [
        "/srv/app/app.war!/WEB-INF/lib/commons-lang3.jar",
        "/srv/app/app.ear!/app.war!/WEB-INF/lib/commons-lang3.jar",
        "/srv/app/app.ear!/lib/slf4j-api.jar",
        "/srv/app/boot.jar!/BOOT-INF/lib/jackson-core.jar",
    ] {
        assert!(want.iter().any(|(p, _, _)| p == nested), "{nested}");
    }

    let report = scan(&layout);
    let ours = packages_of(&report, "maven");
    let no_pom = format!("/{NO_POM}");
    let mut got: Vec<(String, String, String)> = ours
        .iter()
        .map(|p| triple(p))
        .filter(|(path, _, _)| *path != no_pom)
        .collect();
    got.sort();
    assert_eq!(got, want);

    for p in &ours {
        let (_, name, version) = triple(p);
        let (group, artifact) = name.split_once(':').unwrap();
        assert_eq!(
            p["purl"],
            format!("pkg:maven/{group}/{artifact}@{version}"),
            "{p}"
        );
        assert_eq!(p["layer"], report["image"]["layers"][0]["diff_id"]);
    }

    // Licences only from a manifest's Bundle-License.
    let find = |path: &str| {
        *ours
            .iter()
            .find(|p| p["path"] == path)
            .unwrap_or_else(|| panic!("{path} not reported"))
    };
    let licenses = |path: &str| find(path)["licenses"].as_array().unwrap().len();
    assert!(licenses("/usr/share/java/guava.jar") > 0);
    assert_eq!(licenses("/usr/share/java/commons-lang3.jar"), 0);

    // Without pom.properties the manifest still names the release, and the note says so.
    let mut truth = Vec::new();
    let original = rootfs.join("usr/share/java/commons-io.jar");
    unzip_poms(&original, &no_pom, Path::new("/nonexistent"), &mut truth);
    assert_eq!(truth.len(), 1);
    assert_eq!(triple(find(&no_pom)), truth[0]);
    let notes = report["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().starts_with(&format!(
                "{no_pom}: no pom.properties; Maven coordinates guessed"
            ))),
        "{notes:?}"
    );
}
