//! Leaked credentials (`InsecureContent`): secret rules matched against the text files of every
//! layer and against the image configuration (ENV, labels, history).
//!
//! Rules come from the built-in set (`engine/rules/secrets.toml`, our own format, see
//! [`native`]) and from user files in our format or gitleaks' TOML format (see [`gitleaks`]).
//! Evidence is always [`redact`](crate::detect::redact)ed: a secret is never stored, logged or
//! put in an error whole.

pub mod error;
pub mod gitleaks;
pub mod matcher;
pub mod native;
pub mod ruleset;
pub mod spec;

pub use error::RuleError;
pub use ruleset::RuleSet;

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::detect::{ConfigDetector, Detection, redact};
use crate::layer::walk::EntryMeta;
use crate::report::Category;
use matcher::Hit;
use spec::RulesSpec;
use std::path::Path;
use std::sync::{Arc, LazyLock};

/// The built-in rules, embedded at build time.
const BUILTIN: &str = include_str!("../../../rules/secrets.toml");
/// How errors and notes name the built-in rules.
const BUILTIN_NAME: &str = "built-in secret rules";
/// Bumped when matching changes in a way the rule fingerprint does not show.
const CODE_VERSION: u32 = 1;
/// Findings kept per file; more are counted in a warning.
const MAX_PER_FILE: usize = 100;
/// File name endings of formats that never hold text worth matching (compressed, media,
/// compiled): skipped without reading unless a rule reads binaries.
const BINARY_ENDINGS: &[&str] = &[
    ".gz", ".tgz", ".xz", ".bz2", ".zst", ".lz4", ".zip", ".jar", ".war", ".ear", ".whl", ".egg",
    ".7z", ".deb", ".rpm", ".apk", ".so", ".a", ".o", ".pyc", ".pyo", ".class", ".mo", ".png",
    ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".webp", ".tif", ".tiff", ".mp3", ".mp4", ".ogg",
    ".wav", ".ttf", ".otf", ".woff", ".woff2", ".eot", ".pdf", ".wasm", ".db", ".sqlite", ".pack",
    ".idx", ".br",
];

/// The built-in rules as written.
pub fn builtin_spec() -> Result<RulesSpec, RuleError> {
    native::parse(BUILTIN, BUILTIN_NAME)
}

/// The built-in rules, compiled once per process.
pub fn builtin() -> Arc<RuleSet> {
    static RULES: LazyLock<Arc<RuleSet>> = LazyLock::new(|| {
        // The embedded file is fixed at build time and compiled by this module's tests, so a
        // failure here is a build defect, not bad input.
        let spec = builtin_spec().expect("built-in secret rules parse (checked by tests)");
        Arc::new(
            RuleSet::compile(spec, BUILTIN_NAME, Vec::new())
                .expect("built-in secret rules compile (checked by tests)"),
        )
    });
    RULES.clone()
}

/// A rule file as written, in either format; relative `[extend] path`s resolve against
/// `base_dir` (the file's directory when `None`). Returns the rules, load notes, and whether
/// the file already extends the built-in rules (`useDefault`).
pub fn read_file(
    path: &Path,
    base_dir: Option<&Path>,
) -> Result<(RulesSpec, Vec<String>, bool), RuleError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| RuleError::Io {
        file: file.clone(),
        error,
    })?;
    let is_native = text
        .lines()
        .map(str::trim)
        .any(|l| l.starts_with("schema") && l.contains(native::SCHEMA));
    if is_native {
        return Ok((native::parse(&text, &file)?, Vec::new(), false));
    }
    let base_dir = base_dir
        .map(Path::to_path_buf)
        .or_else(|| path.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let ctx = gitleaks::ExtendContext {
        base_dir,
        builtin: &builtin_spec,
    };
    let loaded = gitleaks::parse(&text, &file, &ctx)?;
    Ok((loaded.spec, loaded.notes, loaded.extends_builtin))
}

/// The rules of one file alone (gitleaks semantics: the file is the whole configuration).
pub fn load_file(path: &Path, base_dir: Option<&Path>) -> Result<RuleSet, RuleError> {
    let (spec, notes, _) = read_file(path, base_dir)?;
    RuleSet::compile(spec, &path.display().to_string(), notes)
}

/// The built-in rules with a user file's rules added; a user rule with a built-in rule's id
/// changes that rule as gitleaks' `[extend]` does.
pub fn builtin_with(path: &Path) -> Result<RuleSet, RuleError> {
    let (spec, notes, extends_builtin) = read_file(path, None)?;
    let spec = if extends_builtin {
        spec
    } else {
        spec.extend(builtin_spec()?, &[])
    };
    RuleSet::compile(spec, &path.display().to_string(), notes)
}

/// Detections for the hits of one piece of content.
fn detections(rules: &RuleSet, hits: Vec<Hit>, place: Option<&str>) -> Vec<Artifact> {
    let extra = hits.len().saturating_sub(MAX_PER_FILE);
    let mut out: Vec<Artifact> = hits
        .into_iter()
        .take(MAX_PER_FILE)
        .map(|h| {
            let rule = &rules.rules()[h.rule];
            let mut d =
                Detection::new(Category::InsecureContent, &rule.id, &rule.id, rule.severity);
            let what = match &h.secret {
                Some(_) => "Remove it from the image and revoke it",
                None => "A file of this kind holds credentials; remove it from the image",
            };
            let place = place
                .map(|p| format!(" in the image configuration ({p})"))
                .unwrap_or_default();
            d.description = Some(match &rule.description {
                Some(desc) => format!("{}{place}: {desc} {what}.", rule.title),
                None => format!("{}{place}. {what}.", rule.title),
            });
            d.evidence = h
                .secret
                .as_deref()
                .map(|s| redact(&String::from_utf8_lossy(s)));
            d.line = h.line;
            Artifact::Detection(d)
        })
        .collect();
    if extra > 0 {
        out.push(Artifact::Warning(format!(
            "{extra} more secret matches not reported (at most {MAX_PER_FILE} per file)"
        )));
    }
    out
}

/// Finds secrets in the text files of a layer.
pub struct SecretAnalyzer {
    rules: Arc<RuleSet>,
    version: u32,
}

impl SecretAnalyzer {
    /// An analyzer with these rules.
    pub fn new(rules: Arc<RuleSet>) -> Self {
        // The rule set's fingerprint is part of the version, so changed rules re-read layers.
        let fp = u32::from_str_radix(&rules.fingerprint()[..8], 16).unwrap_or(0);
        SecretAnalyzer {
            rules,
            version: fp.wrapping_add(CODE_VERSION),
        }
    }

    /// An analyzer with the built-in rules.
    pub fn builtin() -> Self {
        SecretAnalyzer::new(builtin())
    }
}

impl Analyzer for SecretAnalyzer {
    fn name(&self) -> &'static str {
        "secrets"
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        if !is_file(entry) || self.rules.path_allowed(&entry.path) {
            return None;
        }
        let lower = entry.path.to_ascii_lowercase();
        if !self.rules.reads_binary() && BINARY_ENDINGS.iter().any(|e| lower.ends_with(e)) {
            return self
                .rules
                .path_rules(&entry.path)
                .next()
                .map(|_| Want::Meta);
        }
        Some(Want::Content(u64::MAX))
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        let hits = self.rules.scan(&entry.path, content);
        Ok(detections(&self.rules, hits, None))
    }
}

/// Finds secrets in the image configuration: environment, labels and build history.
pub struct SecretConfigDetector {
    rules: Arc<RuleSet>,
}

impl SecretConfigDetector {
    /// A detector with these rules.
    pub fn new(rules: Arc<RuleSet>) -> Self {
        SecretConfigDetector { rules }
    }

    /// A detector with the built-in rules.
    pub fn builtin() -> Self {
        SecretConfigDetector::new(builtin())
    }
}

impl ConfigDetector for SecretConfigDetector {
    fn name(&self) -> &'static str {
        "secrets"
    }

    fn detect(&self, config: &oci_spec::image::ImageConfiguration) -> Vec<Detection> {
        let mut items: Vec<(&str, String)> = Vec::new();
        if let Some(c) = config.config() {
            for e in c.env().iter().flatten() {
                items.push(("ENV", e.clone()));
            }
            for (k, v) in c.labels().iter().flatten() {
                items.push(("LABEL", format!("{k}={v}")));
            }
            for e in c.entrypoint().iter().chain(c.cmd()).flatten() {
                items.push(("CMD", e.clone()));
            }
        }
        for h in config.history().iter().flatten() {
            if let Some(c) = h.created_by() {
                items.push(("history", c.clone()));
            }
        }
        let mut out = Vec::new();
        for (place, text) in items {
            let hits = self.rules.scan("", text.as_bytes());
            for a in detections(&self.rules, hits, Some(place)) {
                if let Artifact::Detection(mut d) = a {
                    // A line number within one ENV entry or history step says nothing.
                    d.line = None;
                    out.push(d);
                }
            }
        }
        out
    }
}

/// `analyzers` with the secret analyzer (if any) replaced by one with `rules`.
pub fn with_rules(
    analyzers: Vec<Arc<dyn Analyzer>>,
    rules: &Arc<RuleSet>,
) -> Vec<Arc<dyn Analyzer>> {
    analyzers
        .into_iter()
        .map(|a| {
            if a.name() == "secrets" {
                Arc::new(SecretAnalyzer::new(rules.clone())) as Arc<dyn Analyzer>
            } else {
                a
            }
        })
        .collect()
}

/// `detectors` with the secret config detector (if any) replaced by one with `rules`.
pub fn with_config_rules(
    detectors: Vec<Arc<dyn ConfigDetector>>,
    rules: &Arc<RuleSet>,
) -> Vec<Arc<dyn ConfigDetector>> {
    detectors
        .into_iter()
        .map(|d| {
            if d.name() == "secrets" {
                Arc::new(SecretConfigDetector::new(rules.clone())) as Arc<dyn ConfigDetector>
            } else {
                d
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(rules: &RuleSet, path: &str, text: &str) -> Vec<String> {
        rules
            .scan(path, text.as_bytes())
            .into_iter()
            .map(|h| rules.rules()[h.rule].id.clone())
            .collect()
    }

    #[test]
    fn builtin_rules_compile_and_are_complete() {
        let spec = builtin_spec().unwrap();
        assert!(spec.rules.len() >= 150, "{} rules", spec.rules.len());
        for r in &spec.rules {
            assert!(
                r.title.as_deref().is_some_and(|t| !t.is_empty()),
                "{}",
                r.id
            );
            assert!(r.severity.is_some(), "{}", r.id);
            // Rules limited to a path need no keyword: the path check is cheaper.
            assert!(
                !r.keywords.is_empty() || r.regex.is_none() || r.path.is_some(),
                "{}: a content rule without keywords would run on every file",
                r.id
            );
        }
        let rules = RuleSet::compile(spec, BUILTIN_NAME, Vec::new()).unwrap();
        assert!(rules.notes().is_empty());
    }

    #[test]
    fn placeholders_and_documentation_paths_are_allowed() {
        let rules = builtin();
        let token = format!("ghp_{}", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6");
        assert_eq!(
            ids(&rules, "app/config.yml", &format!("token: {token}\n")),
            ["github-pat"]
        );
        assert!(
            ids(
                &rules,
                "usr/share/doc/x/README",
                &format!("token: {token}\n")
            )
            .is_empty()
        );
        assert!(
            ids(
                &rules,
                "app/a.py",
                "aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n"
            )
            .is_empty()
        );
        assert!(ids(&rules, "app/a.env", "API_TOKEN=${API_TOKEN}\n").is_empty());
        assert!(ids(&rules, "app/a.env", "api_token: <your-token-here>\n").is_empty());
    }

    #[test]
    fn binary_files_are_skipped() {
        let rules = builtin();
        let token = format!("ghp_{}", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6");
        let mut content = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
        content.extend_from_slice(token.as_bytes());
        assert!(rules.scan("usr/bin/x", &content).is_empty());
    }
}
