//! CycloneDX 1.6 JSON: the image, its packages, and the known vulnerabilities in them.
//!
//! Written with serde_json rather than cyclonedx-bom: that crate stops at spec 1.5
//! (cyclonedx-rust-cargo#769) and we emit a small, schema-validated subset.

use crate::report::sbom::{TOOL, TOOL_VERSION, document_uuid};
use crate::report::{Category, Finding, Package, Report, Severity, SuppressedBy};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Render the image and its packages as a CycloneDX 1.6 BOM, created at `created` (RFC 3339).
pub fn render(report: &Report, created: &str) -> Value {
    let image_ref = report.image.digest.clone();
    let mut seen = HashSet::new();
    let components: Vec<Value> = report
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| component(i, p, &mut seen))
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
        "vulnerabilities": vulnerabilities(report, &components),
    })
}

/// Whether a finding is a vulnerability of a package: CVEs, and packages known to be malicious
/// (OSV's `MAL-*`), as Grype and Trivy list them.
fn is_vulnerability(f: &Finding) -> bool {
    f.package.is_some() && matches!(f.category, Category::Cve | Category::MaliciousFile)
}

/// Vulnerabilities, and those a VEX statement says do not affect the image (with that
/// analysis); findings an ignore suppresses are left out, as an ignore claims nothing about
/// the vulnerability.
fn vulnerabilities(report: &Report, components: &[Value]) -> Vec<Value> {
    // Components follow the packages' order; the first with a purl or a name and version is
    // the one a finding about it affects.
    let mut refs = Refs::default();
    for (p, c) in report.packages.iter().zip(components) {
        let bom_ref = &c["bom-ref"];
        if let Some(purl) = &p.purl {
            refs.by_purl.entry(purl.as_str()).or_insert(bom_ref);
        }
        refs.by_name
            .entry((p.name.as_str(), p.version.as_str()))
            .or_insert(bom_ref);
    }
    let vex = report.suppressed.iter().filter(|f| {
        f.suppression
            .as_ref()
            .is_some_and(|s| s.by == SuppressedBy::Vex)
    });
    report
        .findings
        .iter()
        .chain(vex)
        .filter(|f| is_vulnerability(f))
        .map(|f| vulnerability(f, &refs))
        .collect()
}

/// Components' bom-refs by purl, and by name and version for packages without one.
#[derive(Default)]
struct Refs<'a> {
    by_purl: HashMap<&'a str, &'a Value>,
    by_name: HashMap<(&'a str, &'a str), &'a Value>,
}

fn vulnerability(f: &Finding, refs: &Refs<'_>) -> Value {
    let mut v = json!({
        "bom-ref": format!("vulnerability-{}", f.id),
        "id": f.title,
    });
    let mut rating = json!({"severity": severity(f.severity)});
    if let Some(c) = &f.cvss {
        rating["score"] = json!(c.score);
        rating["vector"] = json!(c.vector);
        rating["method"] = json!(method(&c.vector));
    }
    v["ratings"] = json!([rating]);
    let others: Vec<Value> = f
        .aliases
        .iter()
        .filter(|a| **a != f.title)
        .map(|a| json!({"id": a, "source": {"name": source_of(a)}}))
        .collect();
    if !others.is_empty() {
        v["references"] = json!(others);
    }
    if let Some(d) = &f.description {
        v["description"] = json!(d);
    }
    if let Some(fixed) = &f.fixed_version {
        v["recommendation"] = json!(format!("Upgrade to {fixed} or later."));
    }
    let advisories: Vec<Value> = f.references.iter().map(|u| json!({"url": u})).collect();
    if !advisories.is_empty() {
        v["advisories"] = json!(advisories);
    }
    if let Some(p) = &f.package
        && let Some(bom_ref) = match &p.purl {
            Some(purl) => refs.by_purl.get(purl.as_str()),
            None => refs.by_name.get(&(p.name.as_str(), p.version.as_str())),
        }
    {
        v["affects"] = json!([{
            "ref": bom_ref,
            "versions": [{"version": p.version, "status": "affected"}],
        }]);
    }
    if let Some(s) = f.suppression.as_ref().filter(|s| s.by == SuppressedBy::Vex) {
        v["analysis"] = json!({"state": "not_affected", "detail": s.reason});
    }
    if let Some(k) = &f.exploited {
        let mut props = vec![json!({"name": "assure:exploited:source", "value": k.source})];
        if let Some(d) = &k.date_added {
            props.push(json!({"name": "assure:exploited:date_added", "value": d}));
        }
        if k.ransomware {
            props.push(json!({"name": "assure:exploited:ransomware", "value": "true"}));
        }
        v["properties"] = json!(props);
    }
    v
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "info",
        Severity::Unknown => "unknown",
    }
}

/// CycloneDX's scoring method for a CVSS vector.
fn method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:4") {
        "CVSSv4"
    } else if vector.starts_with("CVSS:3.1") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:3") {
        "CVSSv3"
    } else {
        "CVSSv2"
    }
}

/// Who issues an identifier, by its prefix.
fn source_of(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "CVE" => "NVD",
        "GHSA" => "GitHub",
        "DSA" | "DLA" => "Debian",
        "ALSA" => "AlmaLinux",
        "RUSTSEC" => "RustSec",
        "PYSEC" => "PyPA",
        "GO" => "Go",
        "MAL" => "OSSF malicious packages",
        _ => "OSV",
    }
}

fn component(index: usize, p: &Package, seen: &mut HashSet<String>) -> Value {
    // bom-refs must be unique; the same package installed at two paths shares a purl.
    let bom_ref = p
        .purl
        .clone()
        .filter(|purl| seen.insert(purl.clone()))
        .unwrap_or_else(|| format!("package-{index}"));
    let mut c = json!({
        "type": "library",
        "bom-ref": bom_ref,
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
