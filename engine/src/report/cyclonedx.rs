//! CycloneDX 1.6 JSON.
//!
//! Written with serde_json rather than cyclonedx-bom: that crate stops at spec 1.5
//! (cyclonedx-rust-cargo#769) and we emit a small, schema-validated subset.

use crate::report::sbom::{TOOL, TOOL_VERSION, document_uuid};
use crate::report::{Package, Report};
use serde_json::{Value, json};

/// Render the image and its packages as a CycloneDX 1.6 BOM, created at `created` (RFC 3339).
pub fn render(report: &Report, created: &str) -> Value {
    let image_ref = report.image.digest.clone();
    let components: Vec<Value> = report
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| component(i, p))
        .collect();
    let refs: Vec<Value> = components.iter().map(|c| c["bom-ref"].clone()).collect();
    let mut image = json!({
        "type": "container",
        "bom-ref": image_ref,
        "name": report.image.reference,
        "version": report.image.digest,
    });
    if let Some(os) = &report.image.os {
        image["properties"] = json!([
            {"name": "assure:os:family", "value": os.family},
            {"name": "assure:os:version", "value": os.version.clone().unwrap_or_default()},
        ]);
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", document_uuid(report, created)),
        "version": 1,
        "metadata": {
            "timestamp": created,
            "tools": {"components": [{"type": "application", "name": TOOL, "version": TOOL_VERSION}]},
            "component": image,
        },
        "components": components,
        "dependencies": [{"ref": image_ref, "dependsOn": refs}],
    })
}

fn component(index: usize, p: &Package) -> Value {
    let mut c = json!({
        "type": "library",
        "bom-ref": p.purl.clone().unwrap_or_else(|| format!("package-{index}")),
        "name": p.name,
        "version": p.version,
    });
    if let Some(purl) = &p.purl {
        c["purl"] = json!(purl);
    }
    if !p.licenses.is_empty() {
        // One expression per component, as the schema allows either ids or one expression.
        let expression = if p.licenses.len() == 1 {
            p.licenses[0].clone()
        } else {
            p.licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        c["licenses"] = json!([{"expression": expression}]);
    }
    let mut props = vec![json!({"name": "assure:package:type", "value": p.kind})];
    for (name, value) in [
        ("assure:package:source_name", &p.source_name),
        ("assure:package:source_version", &p.source_version),
        ("assure:package:arch", &p.arch),
        ("assure:layer:diff_id", &p.layer),
        ("assure:path", &p.path),
    ] {
        if let Some(v) = value {
            props.push(json!({"name": name, "value": v}));
        }
    }
    c["properties"] = Value::Array(props);
    c
}
