//! Ground-truth images built by real package managers at test time, cached under
//! `target/ground-truth/` between runs.

use crate::data::{repo_root, require_in_ci};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where ground-truth images are cached.
pub fn cache_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("ground-truth");
    std::fs::create_dir_all(&dir).expect("creating target/ground-truth");
    dir
}

/// Whether `tool` is on PATH; otherwise skip loudly (fail under CI).
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        require_in_ci(&format!("{tool} is not installed"));
    }
    found
}

/// Run `cmd`, panicking with its output when it fails; its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Debian's apt mirror, as the machine's apt sources name it.
fn debian_mirror() -> String {
    std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("URIs:")
                    .map(|u| u.split_whitespace().next().unwrap_or("").to_string())
            })
        })
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "http://deb.debian.org/debian".into())
}

/// Hold while checking for and building the cached ground truth at `base`: two tests (or two
/// test processes) that ask for the same one at once would otherwise delete each other's
/// half-built trees. One lock file per ground truth, so building one may use another.
pub fn building(base: &Path) -> std::fs::File {
    let parent = base.parent().unwrap_or(base);
    std::fs::create_dir_all(parent).expect("creating the ground-truth cache");
    let file = std::fs::File::create(base.with_extension("lock")).expect("creating a lock file");
    file.lock().expect("locking the ground truth");
    file
}

/// A `debootstrap --variant=minbase bookworm` rootfs packed into an OCI layout by umoci.
/// Returns `(rootfs, layout)`; the image is tagged `1`. `None` when the tools are missing.
pub fn debian_minbase() -> Option<(PathBuf, PathBuf)> {
    if !have("debootstrap") || !have("umoci") || !have("dpkg-query") {
        return None;
    }
    let base = cache_dir().join("debian-bookworm-minbase");
    let rootfs = base.join("rootfs");
    let layout = base.join("oci");
    let done = base.join("done");
    let _building = building(&base);
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).expect("creating the ground-truth dir");
        run(Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(&rootfs)
            .arg(debian_mirror()));
        for junk in ["var/cache/apt/archives", "var/lib/apt/lists"] {
            clear_files(&rootfs.join(junk));
        }
        pack_with_umoci(&rootfs, &layout);
        std::fs::write(&done, b"").expect("marking the ground truth built");
    }
    Some((rootfs, layout))
}

fn clear_files(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Pack `rootfs` as the single layer of an OCI image tagged `1` at `layout`.
pub fn pack_with_umoci(rootfs: &Path, layout: &Path) {
    let image = format!("{}:1", layout.display());
    run(Command::new("umoci")
        .arg("init")
        .arg("--layout")
        .arg(layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci")
        .args(["insert", "--image", &image])
        .arg(rootfs)
        .arg("/"));
    run(Command::new("umoci").args(["gc", "--layout"]).arg(layout));
}

/// `dpkg-query -W` over the rootfs's database: `name\tversion\tsource\tsource version` lines.
pub fn dpkg_query(rootfs: &Path) -> Vec<String> {
    let out = run(Command::new("dpkg-query")
        .arg(format!(
            "--admindir={}",
            rootfs.join("var/lib/dpkg").display()
        ))
        .arg("-W")
        .arg("-f=${Package}\t${Version}\t${source:Package}\t${source:Version}\n"));
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}
