//! Content detectors: analyzers that report problems in files (leaked credentials, malware,
//! malicious indicators, insecure code) rather than packages.
//!
//! A detector is an [`Analyzer`](crate::analyze::Analyzer) whose artifacts are
//! [`Detection`]s. Detections are kept from every layer, not only the final view: a secret or
//! a piece of malware deleted by a later layer still ships in the image.

pub mod insecure;
pub mod malware;
pub mod secret;

use crate::report::{Category, Finding, Severity};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;

/// One problem found in one file of a layer (or in the image config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    /// Finding category.
    pub category: Category,
    /// Rule that fired (`aws-access-key-id`, `yara:EICAR`, …).
    pub rule_id: String,
    /// Short title.
    pub title: String,
    /// Severity the rule assigns.
    pub severity: Severity,
    /// The problem and its remedy, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Redacted evidence: never a whole secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// 1-based line of the match, for text files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Where inside the file the match is, for archive members: `!/inner.jar!/Evil.class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Identifiers such as CWE ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Dropped when a package database lists the file: a finding about files no package
    /// installed (see [`insecure::PackagedFiles`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unless_packaged: bool,
}

impl Detection {
    /// A detection with no description, evidence or line yet.
    pub fn new(
        category: Category,
        rule_id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
    ) -> Detection {
        Detection {
            category,
            rule_id: rule_id.into(),
            title: title.into(),
            severity,
            description: None,
            evidence: None,
            line: None,
            member: None,
            aliases: Vec::new(),
            references: Vec::new(),
            unless_packaged: false,
        }
    }

    /// The finding for this detection at `path` (no leading `/`) in the layer `layer`.
    pub fn into_finding(self, path: Option<&str>, layer: Option<&str>) -> Finding {
        let path = path.map(|p| {
            format!(
                "/{}{}",
                p.trim_start_matches('/'),
                self.member.as_deref().unwrap_or("")
            )
        });
        let mut h = Sha256::new();
        for part in [
            self.category.as_str(),
            &self.rule_id,
            path.as_deref().unwrap_or(""),
            self.evidence.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let path = match (path, self.line) {
            (Some(p), Some(line)) => Some(format!("{p}:{line}")),
            (p, _) => p,
        };
        Finding {
            description: self.description,
            rule_id: Some(self.rule_id),
            path,
            layer: layer.map(str::to_string),
            evidence: self.evidence,
            aliases: self.aliases,
            references: self.references,
            ..Finding::new(
                hex::encode(&h.finalize()[..8]),
                self.category,
                self.title,
                self.severity,
            )
        }
    }
}

/// A check of the image configuration (ENV, labels, history, user), run once per scan.
pub trait ConfigDetector: Send + Sync {
    /// A stable name, for notes.
    fn name(&self) -> &'static str;
    /// The problems found in `config`.
    fn detect(&self, config: &oci_spec::image::ImageConfiguration) -> Vec<Detection>;
}

/// The image-config checks every scan runs.
pub fn default_config_detectors() -> Vec<Arc<dyn ConfigDetector>> {
    vec![
        Arc::new(secret::SecretConfigDetector::builtin()),
        Arc::new(insecure::InsecureConfig::new(insecure::builtin_rules())),
    ]
}

/// Findings for every detection in every layer, bottom first, plus those in the image config.
///
/// The same detection at the same path in several layers is reported once, for the lowest
/// layer (the one that shipped it first). Detections about unpackaged files are dropped where
/// `packaged` excuses the file.
pub fn findings(
    layers: &[crate::analyze::LayerAnalysis],
    digests: &[&str],
    config: &[Detection],
    packaged: &insecure::PackagedFiles,
) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for d in config {
        let f = d.clone().into_finding(None, None);
        if seen.insert(f.id.clone()) {
            out.push(f);
        }
    }
    for (layer, digest) in layers.iter().zip(digests) {
        for r in &layer.results {
            for a in &r.artifacts {
                if let crate::analyze::Artifact::Detection(d) = a {
                    if d.unless_packaged && packaged.excuses(&r.path) {
                        continue;
                    }
                    let f = d.clone().into_finding(Some(&r.path), Some(digest));
                    if seen.insert(f.id.clone()) {
                        out.push(f);
                    }
                }
            }
        }
    }
    out
}

/// Evidence for a secret: its first few characters and a fingerprint of the whole, so the same
/// secret can be recognised across images without ever being stored.
pub fn redact(secret: &str) -> String {
    let shown: String = secret.chars().take(prefix_len(secret)).collect();
    let digest = Sha256::digest(secret.as_bytes());
    format!("{shown}… (sha256:{})", hex::encode(&digest[..6]))
}

/// Show at most 4 characters, and never more than a quarter of the secret.
fn prefix_len(secret: &str) -> usize {
    (secret.chars().count() / 4).min(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_a_short_prefix_and_a_fingerprint() {
        let secret = "AKIAIOSFODNN7EXAMPLE";
        let r = redact(secret);
        assert!(r.starts_with("AKIA… (sha256:"), "{r}");
        assert!(!r.contains("IOSFODNN7"), "{r}");
        assert_eq!(redact("abc"), redact("abc"));
        assert_ne!(redact("abcd1"), redact("abcd2"));
        assert!(redact("ab").starts_with("… (sha256:"));
    }

    #[test]
    fn finding_ids_are_stable_and_paths_carry_lines() {
        let mut d = Detection::new(Category::InsecureContent, "r", "t", Severity::High);
        d.line = Some(3);
        d.evidence = Some(redact("secret-value"));
        let a = d.clone().into_finding(Some("etc/x"), Some("sha256:1"));
        let b = d.into_finding(Some("/etc/x"), Some("sha256:2"));
        assert_eq!(a.id, b.id);
        assert_eq!(a.path.as_deref(), Some("/etc/x:3"));
    }
}
