//! Ground-truth executables: a Go program built by the Go toolchain against module sources
//! Debian ships (no module proxy needed), and a Rust program built by `cargo auditable`. Each
//! is packed alone into an OCI layout by umoci and cached under `target/ground-truth/`.

use crate::data::require_in_ci;
use crate::ground_truth::run;
use crate::ground_truth::{cache_dir, have, pack_with_umoci};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A built executable and the image holding it.
#[derive(Debug, Clone)]
pub struct BinImage {
    /// The executable on disk.
    pub binary: PathBuf,
    /// Where it is in the image, without the leading `/`.
    pub in_image: &'static str,
    /// The OCI layout; the image is tagged `1`.
    pub layout: PathBuf,
}

/// Where Debian's `golang-*-dev` packages install module sources.
const GOCODE: &str = "/usr/share/gocode/src";

/// The Go module versions the program declares. In vendor mode a version is only a label: these
/// are the upstream versions of Debian 12's `golang-golang-x-{net,text}-dev` (0.7.0), and x/text
/// is replaced by an older release, so advisories for both can be matched.
pub const GO_NET: (&str, &str) = ("golang.org/x/net", "v0.7.0");
/// See [`GO_NET`].
pub const GO_TEXT: (&str, &str) = ("golang.org/x/text", "v0.7.0");
/// What `go.mod` replaces x/text with.
pub const GO_TEXT_REPLACEMENT: (&str, &str) = ("golang.org/x/text", "v0.3.7");

/// The packages the Go program imports, by module; each is vendored from [`GOCODE`].
const GO_PACKAGES: &[(&str, &[&str])] = &[
    (
        GO_NET.0,
        &["golang.org/x/net/html", "golang.org/x/net/html/atom"],
    ),
    (
        GO_TEXT.0,
        &["golang.org/x/text/transform", "golang.org/x/text/width"],
    ),
];

const GO_MAIN: &str = r#"package main

import (
	"fmt"
	"os"

	"golang.org/x/net/html"
	"golang.org/x/text/width"
)

func main() {
	doc, err := html.Parse(os.Stdin)
	fmt.Println(width.Widen.String("ok"), doc != nil, err)
}
"#;

/// The Go program's module path.
pub const GO_MODULE: &str = "example.com/assure-ground-truth";

/// Build (once) `base/rootfs` with `fill`, then the OCI layout.
fn cached(base: &Path, fill: impl FnOnce(&Path, &Path)) -> PathBuf {
    let rootfs = base.join("rootfs");
    let layout = base.join("oci");
    let done = base.join("done");
    let _building = crate::ground_truth::building(base);
    if !done.exists() {
        let _ = std::fs::remove_dir_all(base);
        std::fs::create_dir_all(&rootfs).expect("creating the ground-truth dir");
        fill(base, &rootfs);
        pack_with_umoci(&rootfs, &layout);
        std::fs::write(&done, b"").expect("marking the ground truth built");
    }
    layout
}

/// Copy the non-test Go files of one package directory.
fn copy_go_package(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a vendor dir");
    for entry in std::fs::read_dir(from).expect("reading Debian's Go sources") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && name.ends_with(".go") && !name.ends_with("_test.go") {
            std::fs::copy(&path, to.join(name)).expect("copying a Go source");
        }
    }
}

/// A Go 1.18+ executable at `/usr/local/bin/go-app` that depends on x/net and (replaced)
/// x/text, built offline in vendor mode. `None` (skipped loudly, failing under CI) when `go`,
/// umoci or Debian's `golang-golang-x-net-dev`/`golang-golang-x-text-dev` are missing.
pub fn go_image() -> Option<BinImage> {
    if !have("go") || !have("umoci") {
        return None;
    }
    for (_, packages) in GO_PACKAGES {
        for p in *packages {
            if !Path::new(GOCODE).join(p).is_dir() {
                require_in_ci(&format!(
                    "{GOCODE}/{p} missing: install golang-golang-x-net-dev and golang-golang-x-text-dev"
                ));
                return None;
            }
        }
    }
    let in_image = "usr/local/bin/go-app";
    let base = cache_dir().join("go-binary-1");
    let layout = cached(&base, |base, rootfs| {
        let src = base.join("src");
        let mut modules_txt = String::new();
        for (module, packages) in GO_PACKAGES {
            let (_, version) = if *module == GO_NET.0 { GO_NET } else { GO_TEXT };
            modules_txt.push_str(&format!("# {module} {version}"));
            if *module == GO_TEXT.0 {
                let (path, v) = GO_TEXT_REPLACEMENT;
                modules_txt.push_str(&format!(" => {path} {v}"));
            }
            modules_txt.push_str("\n## explicit; go 1.17\n");
            for p in *packages {
                copy_go_package(&Path::new(GOCODE).join(p), &src.join("vendor").join(p));
                modules_txt.push_str(&format!("{p}\n"));
            }
        }
        let (rpath, rversion) = GO_TEXT_REPLACEMENT;
        modules_txt.push_str(&format!("# {} => {rpath} {rversion}\n", GO_TEXT.0));
        let go_mod = format!(
            "module {GO_MODULE}\n\ngo 1.19\n\nrequire (\n\t{} {}\n\t{} {}\n)\n\nreplace {} => {rpath} {rversion}\n",
            GO_NET.0, GO_NET.1, GO_TEXT.0, GO_TEXT.1, GO_TEXT.0
        );
        std::fs::write(src.join("vendor/modules.txt"), modules_txt).expect("writing modules.txt");
        std::fs::write(src.join("go.mod"), go_mod).expect("writing go.mod");
        std::fs::write(src.join("main.go"), GO_MAIN).expect("writing main.go");
        let out = rootfs.join(in_image);
        std::fs::create_dir_all(out.parent().expect("a parent")).expect("creating bin dir");
        run(Command::new("go")
            .args(["build", "-o"])
            .arg(&out)
            .arg(".")
            .current_dir(&src)
            .env("GOFLAGS", "-mod=vendor -buildvcs=false")
            .env("GOPROXY", "off")
            .env("GOWORK", "off")
            .env("GO111MODULE", "on")
            .env("CGO_ENABLED", "0")
            .env("GOCACHE", base.join("gocache"))
            .env("GOPATH", base.join("gopath")));
        let _ = std::fs::remove_dir_all(base.join("gocache"));
    });
    Some(BinImage {
        binary: base.join("rootfs").join(in_image),
        in_image,
        layout,
    })
}

/// What `go version -m` says of one executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersionM {
    /// The toolchain version, as printed.
    pub go_version: String,
    /// The `path`, `mod`, `dep` and `=>` lines as `keyword\tpath[\tversion]`, checksums and
    /// build settings dropped.
    pub modules: Vec<String>,
}

/// `go version -m` of files or directories (walked, as `go version` does): every Go executable
/// found, by path.
pub fn go_version_m(paths: &[&Path]) -> BTreeMap<PathBuf, GoVersionM> {
    // Not `run`: the exit status is non-zero when any one file could not be read.
    let out = Command::new("go")
        .args(["version", "-m"])
        .args(paths)
        .output()
        .expect("running go version -m");
    let mut found = BTreeMap::new();
    let mut current: Option<(PathBuf, GoVersionM)> = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(rest) = line.strip_prefix('\t') {
            let fields: Vec<&str> = rest.split('\t').collect();
            let module = match fields.as_slice() {
                ["path", p, ..] => format!("path\t{p}"),
                [w @ ("mod" | "dep" | "=>"), p, v, ..] => format!("{w}\t{p}\t{v}"),
                _ => continue,
            };
            if let Some((_, m)) = current.as_mut() {
                m.modules.push(module);
            }
        } else if let Some((file, version)) = line.split_once(": ") {
            found.extend(current.take());
            current = Some((
                PathBuf::from(file),
                GoVersionM {
                    go_version: version.to_string(),
                    modules: Vec::new(),
                },
            ));
        }
    }
    found.extend(current);
    found
}

/// The version of cargo-auditable used.
const CARGO_AUDITABLE: &str = "0.7.7";

/// The Rust program's dependencies: two at run time, one only at build time.
const RUST_MANIFEST: &str = r#"[package]
name = "rust-app"
version = "0.1.0"
edition = "2021"

[dependencies]
itoa = "=1.0.11"
semver = "=1.0.23"

[build-dependencies]
autocfg = "=1.4.0"

[workspace]
"#;

const RUST_MAIN: &str = r#"fn main() {
    let v = semver::Version::parse("1.2.3").unwrap();
    println!("{} {}", v, itoa::Buffer::new().format(42));
}
"#;

const RUST_BUILD: &str = "fn main() {\n    let _ = autocfg::new();\n}\n";

/// `cargo install cargo-auditable` into the cache; the directory holding it.
fn cargo_auditable() -> PathBuf {
    let root = cache_dir().join(format!("cargo-auditable-{CARGO_AUDITABLE}"));
    let done = root.join("done");
    let _building = crate::ground_truth::building(&root);
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&root);
        run(Command::new("cargo")
            .args(["install", "cargo-auditable", "--locked", "--version"])
            .arg(CARGO_AUDITABLE)
            .arg("--root")
            .arg(&root));
        std::fs::write(&done, b"").expect("marking cargo-auditable installed");
    }
    root.join("bin")
}

/// A Rust executable at `/usr/local/bin/rust-app` built by `cargo auditable build --release`,
/// with the `(name, version)` of the packages `cargo tree -e normal` lists besides the root,
/// sorted. `None` (skipped loudly, failing under CI) when cargo or umoci is missing.
pub fn rust_image() -> Option<(BinImage, Vec<(String, String)>)> {
    if !have("cargo") || !have("umoci") {
        return None;
    }
    let in_image = "usr/local/bin/rust-app";
    let base = cache_dir().join("rust-binary-1");
    let layout = cached(&base, |base, rootfs| {
        let tool = cargo_auditable();
        let src = base.join("src");
        std::fs::create_dir_all(src.join("src")).expect("creating the crate");
        std::fs::write(src.join("Cargo.toml"), RUST_MANIFEST).expect("writing Cargo.toml");
        std::fs::write(src.join("src/main.rs"), RUST_MAIN).expect("writing main.rs");
        std::fs::write(src.join("build.rs"), RUST_BUILD).expect("writing build.rs");
        let path = std::env::join_paths(std::iter::once(tool).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .expect("a PATH");
        let target = base.join("target");
        run(Command::new("cargo")
            .args(["auditable", "build", "--release"])
            .current_dir(&src)
            .env("PATH", &path)
            .env("CARGO_TARGET_DIR", &target));
        let tree = run(Command::new("cargo")
            .args(["tree", "-e", "normal", "--prefix", "none", "-f", "{p}"])
            .current_dir(&src)
            .env("CARGO_TARGET_DIR", &target));
        std::fs::write(base.join("cargo-tree.txt"), tree).expect("writing the listing");
        let out = rootfs.join(in_image);
        std::fs::create_dir_all(out.parent().expect("a parent")).expect("creating bin dir");
        std::fs::copy(target.join("release/rust-app"), &out).expect("copying the binary");
        let _ = std::fs::remove_dir_all(&target);
    });
    let tree = std::fs::read_to_string(base.join("cargo-tree.txt")).expect("reading the listing");
    let mut expected: Vec<(String, String)> = tree
        .lines()
        // Local packages (the root) carry their path: `rust-app v0.1.0 (/…)`.
        .filter(|l| !l.contains(" (/"))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?;
            let version = words.next()?.strip_prefix('v')?;
            Some((name.to_string(), version.to_string()))
        })
        .collect();
    expected.sort();
    expected.dedup();
    Some((
        BinImage {
            binary: base.join("rootfs").join(in_image),
            in_image,
            layout,
        },
        expected,
    ))
}
