//! SBOM and report outputs of a real image validate against their published JSON Schemas.

use assure_tests::ground_truth::debian_minbase;
use assure_tests::schema::validate;
use assure_tests::system::assure;
use serde_json::Value;

fn scan(format: &str, source: &str) -> Value {
    let data = tempfile::tempdir().unwrap();
    let out = assure(data.path(), &["scan", "--format", format, source]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn outputs_of_the_debian_image_validate() {
    let Some((_, layout)) = debian_minbase() else {
        return;
    };
    let source = format!("oci:{}:1", layout.display());

    let report = scan("json", &source);
    validate("report-v1.schema.json", &report).unwrap();
    let packages = report["packages"].as_array().unwrap().len();
    assert!(packages > 50);

    let bom = scan("cyclonedx", &source);
    validate("cyclonedx/bom-1.6.schema.json", &bom).unwrap();
    assert_eq!(bom["components"].as_array().unwrap().len(), packages);
    assert_eq!(
        bom["metadata"]["component"]["version"],
        report["image"]["digest"]
    );

    let spdx = scan("spdx", &source);
    validate("spdx-2.3/spdx-schema.json", &spdx).unwrap();
    // The image plus every package, each contained by the image.
    assert_eq!(spdx["packages"].as_array().unwrap().len(), packages + 1);
    let contains = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "CONTAINS")
        .count();
    assert_eq!(contains, packages);
}

#[test]
fn the_validator_rejects_a_broken_document() {
    // A validator that accepts anything would make the test above meaningless.
    let bad = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "nonsense"}]});
    assert!(validate("cyclonedx/bom-1.6.schema.json", &bad).is_err());
    assert!(
        validate(
            "spdx-2.3/spdx-schema.json",
            &serde_json::json!({"spdxVersion": 2})
        )
        .is_err()
    );
}
