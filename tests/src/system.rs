//! The real things system tests drive: the built binaries and the containerd and registry
//! that `../shared/scripts/setup-containerd.sh up DIR` starts (its `DIR/env.sh` exported).

use crate::data::require_in_ci;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Path of a workspace binary (`assure`, `assure-webhook`) built by `cargo test --workspace`.
pub fn bin(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps; binaries one level up.
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile> directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built; run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// Run `assure ARGS` with a private data directory.
pub fn assure(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(bin("assure"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ASSURE_DATA_DIR")
        .output()
        .expect("running assure")
}

/// `assure ARGS` that must succeed (the test fails with its stderr otherwise): its stdout.
pub fn assure_ok(data_dir: &std::path::Path, args: &[&str]) -> String {
    let out = assure(data_dir, args);
    assert!(
        out.status.success(),
        "assure {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What `setup-containerd.sh up` exported (see its `env.sh`).
#[derive(Debug, Clone)]
pub struct ContainerdEnv {
    /// containerd's socket.
    pub address: String,
    /// Namespace the test images were imported into.
    pub namespace: String,
    /// The demo image imported from its OCI archive (`docker.io/library/demo:1`).
    pub image: String,
    /// Its manifest digest.
    pub image_digest: String,
    /// The same image imported from a docker-archive.
    pub image_docker: String,
    /// The same image pushed to the registry and pulled from it.
    pub image_registry: String,
    /// The OCI layout the demo image was built in (its archives sit beside it).
    pub oci_layout: PathBuf,
}

impl ContainerdEnv {
    /// The environment, or `None` (skipping loudly, failing under CI) when not set up.
    pub fn get() -> Option<ContainerdEnv> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let found = (|| {
            Some(ContainerdEnv {
                address: var("CONTAINERD_ADDRESS")?,
                namespace: var("CONTAINERD_NAMESPACE").unwrap_or_else(|| "k8s.io".into()),
                image: var("TEST_IMAGE")?,
                image_digest: var("TEST_IMAGE_DIGEST")?,
                image_docker: var("TEST_IMAGE_DOCKER")?,
                image_registry: var("TEST_IMAGE_REGISTRY")?,
                oci_layout: PathBuf::from(var("TEST_IMAGE_OCI_LAYOUT")?),
            })
        })();
        if found.is_none() {
            require_in_ci(
                "containerd test environment not set (run ../shared/scripts/setup-containerd.sh up DIR and source DIR/env.sh)",
            );
        }
        found
    }

    /// The OCI archive the demo image was imported from.
    pub fn oci_archive(&self) -> PathBuf {
        self.oci_layout.with_file_name("demo-oci.tar")
    }

    /// The docker-archive the docker-named image was imported from.
    pub fn docker_archive(&self) -> PathBuf {
        self.oci_layout.with_file_name("demo-docker.tar")
    }
}

/// Copy a directory tree (a test's private copy of an image it then changes or removes).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for entry in std::fs::read_dir(from).expect("reading the directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// `assure scan --format json REFERENCE` with the data directory `data_dir`; the report.
/// Panics with assure's stderr when the scan fails.
pub fn scan_json(data_dir: &std::path::Path, reference: &str) -> serde_json::Value {
    let out = assure(data_dir, &["scan", "--format", "json", reference]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the JSON report parses")
}

/// `assure db import PATHS…` with the data directory `data_dir`.
pub fn db_import(data_dir: &std::path::Path, paths: &[&std::path::Path]) -> Output {
    let mut args = vec!["db".to_string(), "import".to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assure(data_dir, &args)
}

/// `assure db status --format json` without the age, which moves with the clock.
pub fn db_status(data_dir: &std::path::Path) -> serde_json::Value {
    let out = assure(data_dir, &["db", "status", "--format", "json"]);
    let mut v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("age_seconds");
    }
    v
}
