//! Insecure code and configuration (`InsecureCode`): rules from `engine/rules/insecure.toml`
//! (extensible by users) run over the image config ([`InsecureConfig`]) and the files of every
//! layer ([`InsecureAnalyzer`]).

pub mod checks;
pub mod code;
pub mod packaged;
pub mod rules;

pub use packaged::PackagedFiles;
pub use rules::{RuleError, Rules};

use crate::analyze::{Analyzer, Artifact, Want, below_any};
use crate::detect::{ConfigDetector, Detection};
use crate::layer::walk::EntryMeta;
use crate::report::Severity;
use oci_spec::image::ImageConfiguration;
use rules::{Matcher, Rule, TextRule};
use std::sync::{Arc, LazyLock};

/// The built-in rules, compiled once.
static BUILTIN_RULES: LazyLock<Arc<Rules>> = LazyLock::new(|| {
    // The embedded file is fixed at build time and parsed by the unit tests, so it is valid.
    Arc::new(Rules::builtin().unwrap_or_else(|e| panic!("{e}")))
});

/// The built-in rules.
pub fn builtin_rules() -> Arc<Rules> {
    BUILTIN_RULES.clone()
}

/// Files at fixed places the analyzer reads: a non-directory replacing one of their
/// directories must hide them in the merge.
const FIXED_FILES: &[&str] = &[
    "etc/passwd",
    "etc/ssh/sshd_config.d/x",
    "etc/sudoers.d/x",
    "var/lib/dpkg/info/x.list",
];

/// Runs the file rules over each layer.
pub struct InsecureAnalyzer {
    rules: Arc<Rules>,
}

impl InsecureAnalyzer {
    /// An analyzer applying `rules`.
    pub fn new(rules: Arc<Rules>) -> Self {
        InsecureAnalyzer { rules }
    }

    fn text_rules(&self) -> impl Iterator<Item = (&Rule, &TextRule)> {
        self.rules.iter().filter_map(|r| match &r.matcher {
            Matcher::Text(t) => Some((r, t)),
            Matcher::Check { .. } => None,
        })
    }
}

fn max_want(a: Option<u64>, b: Want) -> Option<u64> {
    let n = match b {
        Want::Meta => 0,
        Want::Content(n) => n,
    };
    Some(a.map_or(n, |a| a.max(n)))
}

impl Analyzer for InsecureAnalyzer {
    fn name(&self) -> &'static str {
        "insecure"
    }

    fn version(&self) -> u32 {
        self.rules.fingerprint()
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        let mut cap = None;
        if packaged::is_list(entry) {
            cap = max_want(cap, Want::Content(packaged::MAX_READ));
        }
        for rule in self.rules.iter() {
            let want = match &rule.matcher {
                Matcher::Check { check, .. } => check.wants(entry),
                Matcher::Text(t) => {
                    let by_path = t.paths.as_ref().is_some_and(|p| p.is_match(&entry.path));
                    let by_language = !t.languages.is_empty() && code::may_be_code(entry);
                    (entry.kind == crate::layer::walk::EntryKind::File && (by_path || by_language))
                        .then_some(Want::Content(code::MAX_READ))
                }
            };
            if let Some(w) = want {
                cap = max_want(cap, w);
            }
        }
        cap.map(|n| if n == 0 { Want::Meta } else { Want::Content(n) })
    }

    fn may_want_below(&self, dir: &str) -> bool {
        below_any(dir, FIXED_FILES)
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        let mut out = Vec::new();
        if packaged::is_list(entry) {
            out.push(Artifact::PackagedPaths(packaged::parse_list(content)));
        }
        for rule in self.rules.iter() {
            if let Matcher::Check { check, param } = &rule.matcher
                && check.wants(entry).is_some()
            {
                out.extend(
                    check
                        .file(entry, content, param.as_ref())
                        .into_iter()
                        .map(|h| Artifact::Detection(rule.detection(h))),
                );
            }
        }
        if content.is_empty() || code::is_binary(content) {
            return Ok(out);
        }
        let language = code::by_extension(&entry.path).or_else(|| code::by_shebang(content));
        let test = code::is_test(&entry.path);
        let third_party = code::is_third_party(&entry.path);
        for (rule, text) in self.text_rules() {
            let by_path = text.paths.as_ref().is_some_and(|p| p.is_match(&entry.path));
            let by_language = language.is_some_and(|l| text.languages.contains(&l)) && !test;
            if !(by_path || by_language) {
                continue;
            }
            if let Some(hit) = code::first_match(text, content) {
                let mut d = rule.detection(hit);
                if by_language && !by_path && third_party {
                    d.severity = d.severity.max(Severity::Low);
                }
                out.push(Artifact::Detection(d));
            }
        }
        Ok(out)
    }
}

/// Runs the config rules (checks of the config, history and ENV patterns) over the image config.
pub struct InsecureConfig {
    rules: Arc<Rules>,
}

impl InsecureConfig {
    /// A detector applying `rules`.
    pub fn new(rules: Arc<Rules>) -> Self {
        InsecureConfig { rules }
    }
}

impl ConfigDetector for InsecureConfig {
    fn name(&self) -> &'static str {
        "insecure"
    }

    fn detect(&self, config: &ImageConfiguration) -> Vec<Detection> {
        let history: Vec<String> = config
            .history()
            .as_ref()
            .map(|h| h.iter().filter_map(|s| s.created_by().clone()).collect())
            .unwrap_or_default();
        let env: Vec<String> = config
            .config()
            .as_ref()
            .and_then(|c| c.env().clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        for rule in self.rules.iter() {
            match &rule.matcher {
                Matcher::Check { check, param } => out.extend(
                    check
                        .config(config, param.as_ref())
                        .into_iter()
                        .map(|h| rule.detection(h)),
                ),
                Matcher::Text(t) => {
                    let texts = t
                        .history
                        .then_some(&history)
                        .into_iter()
                        .chain(t.env.then_some(&env))
                        .flatten();
                    for text in texts {
                        if let Some(mut hit) = code::first_match(t, text.as_bytes()) {
                            // A config string has no lines worth pointing at.
                            hit.line = None;
                            out.push(rule.detection(hit));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Make the insecure analyzer and config detector in these lists apply `rules` instead.
pub fn use_rules(
    analyzers: &mut Vec<Arc<dyn Analyzer>>,
    detectors: &mut Vec<Arc<dyn ConfigDetector>>,
    rules: Arc<Rules>,
) {
    let analyzer = InsecureAnalyzer::new(rules.clone());
    analyzers.retain(|a| a.name() != analyzer.name());
    analyzers.push(Arc::new(analyzer));
    let detector = InsecureConfig::new(rules);
    detectors.retain(|d| d.name() != detector.name());
    detectors.push(Arc::new(detector));
}

#[cfg(test)]
mod tests;
