//! The layer cache: a cached layer is not read again; a fresh data directory reads it.

use assure_tests::system::{ContainerdEnv, assure, copy_dir};
use serde_json::Value;

#[test]
fn cached_layers_are_not_read_again() {
    let Some(env) = ContainerdEnv::get() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("oci");
    copy_dir(&env.oci_layout, &layout);
    let source = format!("oci:{}:1", layout.display());
    let data = work.path().join("data");

    let first = assure(&data, &["scan", "--format", "json", &source]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();

    // Remove every layer blob: only the cache can answer now.
    for layer in report["image"]["layers"].as_array().unwrap() {
        let hex = layer["digest"]
            .as_str()
            .unwrap()
            .strip_prefix("sha256:")
            .unwrap();
        std::fs::remove_file(layout.join("blobs/sha256").join(hex)).unwrap();
    }
    let second = assure(&data, &["scan", "--format", "json", &source]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&second.stdout).unwrap(),
        report
    );

    // Without the cache the missing blob is a clear error naming it.
    let fresh = assure(&work.path().join("fresh"), &["scan", &source]);
    let stderr = String::from_utf8_lossy(&fresh.stderr);
    assert_eq!(fresh.status.code(), Some(2), "{stderr}");
    let first_layer = report["image"]["layers"][0]["digest"].as_str().unwrap();
    assert!(
        stderr.contains("not found") && stderr.contains("sha256:"),
        "{stderr}"
    );
    let _ = first_layer;
}
