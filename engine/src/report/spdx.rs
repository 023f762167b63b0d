//! SPDX 2.3 JSON: the image as the described package, containing its packages.

use crate::report::Report;
use crate::report::sbom::{TOOL, TOOL_VERSION, document_uuid};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Render the image and its packages as an SPDX 2.3 document, created at `created` (RFC 3339).
pub fn render(report: &Report, created: &str) -> Value {
    let mut packages = vec![json!({
        "name": report.image.reference,
        "SPDXID": "SPDXRef-Image",
        "versionInfo": report.image.digest,
        "downloadLocation": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    let mut license_refs = BTreeSet::new();
    for (i, p) in report.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}-{i}", p.kind);
        let declared = if p.licenses.is_empty() {
            "NOASSERTION".to_string()
        } else if p.licenses.len() == 1 {
            p.licenses[0].clone()
        } else {
            p.licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        for l in &p.licenses {
            license_refs.extend(
                l.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                    .filter(|t| t.starts_with("LicenseRef-"))
                    .map(str::to_string),
            );
        }
        let mut pkg = json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
        });
        if let Some(purl) = &p.purl {
            pkg["externalRefs"] = json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }]);
        }
        if let (Some(path), Some(layer)) = (&p.path, &p.layer) {
            pkg["sourceInfo"] = json!(format!("recorded in {path}, added by layer {layer}"));
        }
        if let Some(src) = &p.source_name {
            pkg["comment"] = json!(format!(
                "{} package; source {src} {}",
                p.kind,
                p.source_version.as_deref().unwrap_or("")
            ));
        }
        packages.push(pkg);
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": report.image.reference,
        "documentNamespace": format!("https://assure.dev/spdx/{}", document_uuid(report, created)),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: {TOOL}-{TOOL_VERSION}")],
        },
        "documentDescribes": ["SPDXRef-Image"],
        "packages": packages,
        "relationships": relationships,
    });
    if !license_refs.is_empty() {
        doc["hasExtractedLicensingInfos"] = license_refs
            .into_iter()
            .map(|id| {
                let text = id.trim_start_matches("LicenseRef-").replace('-', " ");
                json!({"licenseId": id, "extractedText": format!("Licence named in package metadata: {text}")})
            })
            .collect();
    }
    doc
}
