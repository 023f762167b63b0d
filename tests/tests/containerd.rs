//! `assure scan containerd:REF` against a real containerd: the report equals the one for the
//! same image read from its archive.

use assure_tests::system::{ContainerdEnv, assure};
use serde_json::Value;
use std::process::Command;

fn scan_json(data: &std::path::Path, env: &ContainerdEnv, source: &str) -> Value {
    let out = assure(
        data,
        &[
            "scan",
            "--format",
            "json",
            "--containerd-address",
            &env.address,
            "--namespace",
            &env.namespace,
            source,
        ],
    );
    assert!(
        out.status.success(),
        "assure scan {source} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// The report without the fields that name where the image was read from.
fn comparable(mut report: Value) -> Value {
    report["image"]["reference"] = Value::Null;
    report
}

#[test]
fn containerd_report_equals_oci_archive_report() {
    let Some(env) = ContainerdEnv::get() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let from_containerd = scan_json(data.path(), &env, &format!("containerd:{}", env.image));
    assert_eq!(
        from_containerd["image"]["digest"],
        env.image_digest.as_str()
    );
    assert_eq!(from_containerd["image"]["reference"], env.image.as_str());
    assert_eq!(from_containerd["image"]["os"]["family"], "debian");
    assert_eq!(
        from_containerd["image"]["layers"].as_array().unwrap().len(),
        3
    );
    // A fresh data directory, so the archive is really read rather than served from cache.
    let data2 = tempfile::tempdir().unwrap();
    let archive = format!("oci-archive:{}", env.oci_archive().display());
    let from_archive = scan_json(data2.path(), &env, &archive);
    assert_eq!(comparable(from_containerd), comparable(from_archive));
}

#[test]
fn image_pulled_from_registry_reads_like_the_imported_one() {
    let Some(env) = ContainerdEnv::get() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let pulled = scan_json(
        data.path(),
        &env,
        &format!("containerd:{}", env.image_registry),
    );
    let imported = scan_json(data.path(), &env, &format!("containerd:{}", env.image));
    assert_eq!(comparable(pulled), comparable(imported));
}

#[test]
fn docker_archive_import_matches_docker_archive_file() {
    let Some(env) = ContainerdEnv::get() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let from_containerd = scan_json(
        data.path(),
        &env,
        &format!("containerd:{}", env.image_docker),
    );
    let archive = format!("docker-archive:{}", env.docker_archive().display());
    let from_file = scan_json(data.path(), &env, &archive);
    // containerd writes its own manifest for a docker-archive; everything else must agree.
    assert_eq!(from_containerd["image"]["id"], from_file["image"]["id"]);
    assert_eq!(from_containerd["image"]["os"], from_file["image"]["os"]);
    let diff_ids = |r: &Value| -> Vec<Value> {
        r["image"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["diff_id"].clone())
            .collect()
    };
    assert_eq!(diff_ids(&from_containerd), diff_ids(&from_file));
}

#[test]
fn missing_layer_blob_is_a_clear_terminal_error() {
    let Some(env) = ContainerdEnv::get() else {
        return;
    };
    // A namespace of its own, so removing a blob there leaves the other tests' images intact.
    let ns = format!("assure-missing-{}", std::process::id());
    let ctr = |args: &[&str]| {
        let out = Command::new("ctr")
            .arg("--address")
            .arg(&env.address)
            .arg("-n")
            .arg(&ns)
            .args(args)
            .output()
            .expect("running ctr");
        assert!(
            out.status.success(),
            "ctr {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let archive = env.oci_archive();
    ctr(&[
        "images",
        "import",
        "--base-name",
        "docker.io/library/gone",
        archive.to_str().unwrap(),
    ]);
    let data = tempfile::tempdir().unwrap();
    let first = scan_json(
        data.path(),
        &ContainerdEnv {
            namespace: ns.clone(),
            ..env.clone()
        },
        "containerd:docker.io/library/gone:1",
    );
    let layer = first["image"]["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    ctr(&["content", "rm", &layer]);
    let fresh = tempfile::tempdir().unwrap();
    let out = assure(
        fresh.path(),
        &[
            "scan",
            "--containerd-address",
            &env.address,
            "--namespace",
            &ns,
            "containerd:docker.io/library/gone:1",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    ctr(&["images", "rm", "docker.io/library/gone:1"]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&layer), "error names the layer: {stderr}");
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(stderr.contains("discard_unpacked_layers"), "{stderr}");
}
