//! A rule set compiled for matching: every regex built once with size limits (so a
//! pathological user rule is refused at load, not at scan), the keyword prefilter built over
//! all rules' keywords, and allowlists turned into regex sets.

use super::error::RuleError;
use super::spec::{AllowlistSpec, Condition, RulesSpec, Target};
use crate::report::Severity;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use sha2::{Digest as _, Sha256};

/// Largest compiled program of one regex; larger ones are refused as regex bombs.
pub const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// Lazy-DFA cache of one regex (more avoids falling back to slower engines on long files).
const DFA_CACHE: usize = 4 << 20;
/// Longest regex source accepted.
const MAX_PATTERN_LEN: usize = 16 << 10;
/// Most rules in one set.
const MAX_RULES: usize = 5_000;

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What the secret is.
    pub description: Option<String>,
    /// Severity of its findings.
    pub severity: Severity,
    pub(super) regex: Option<regex::bytes::Regex>,
    pub(super) group: usize,
    pub(super) entropy: f64,
    pub(super) path: Option<regex::Regex>,
    pub(super) allowlists: Vec<Allowlist>,
    /// (required rule, within lines, within columns)
    pub(super) required: Vec<(usize, Option<u32>, Option<u32>)>,
    pub(super) skip_report: bool,
    pub(super) binary: bool,
    /// Yields to a specific rule matching the same secret on the same line.
    pub(super) generic: bool,
    /// Matches lie within a line holding one of the rule's keywords.
    pub(super) line_scoped: bool,
    /// The prefilter patterns of the rule's keywords.
    pub(super) patterns: Vec<usize>,
}

/// One compiled allowlist.
#[derive(Debug)]
pub struct Allowlist {
    pub(super) and: bool,
    pub(super) has_commits: bool,
    pub(super) paths: Option<regex::RegexSet>,
    pub(super) regexes: Option<regex::bytes::RegexSet>,
    pub(super) target: Target,
    pub(super) stopwords: Option<AhoCorasick>,
}

impl Allowlist {
    /// Whether this allowlist allows every match in a file at `path`, from the path alone.
    pub(super) fn allows_path(&self, path: &str) -> bool {
        // Content without a file (the image config) has no path to allow.
        if path.is_empty() {
            return false;
        }
        let path_ok = self.paths.as_ref().is_some_and(|p| p.is_match(path));
        if self.and {
            // Checks of the match itself come later; commits never match in an image.
            self.regexes.is_none()
                && self.stopwords.is_none()
                && !self.has_commits
                && self.paths.is_some()
                && path_ok
        } else {
            path_ok
        }
    }

    /// Whether this allowlist allows a match with this secret, match text and line.
    pub(super) fn allows_match(
        &self,
        path: &str,
        secret: &[u8],
        matched: &[u8],
        line: &[u8],
    ) -> bool {
        let target = match self.target {
            Target::Secret => secret,
            Target::Match => matched,
            Target::Line => line,
        };
        let regex_ok = self.regexes.as_ref().is_some_and(|r| r.is_match(target));
        let stop_ok = self.stopwords.as_ref().is_some_and(|s| s.is_match(secret));
        if !self.and {
            return regex_ok || stop_ok;
        }
        !self.has_commits
            && self.paths.as_ref().is_none_or(|p| p.is_match(path))
            && (self.regexes.is_none() || regex_ok)
            && (self.stopwords.is_none() || stop_ok)
    }
}

/// Rules ready for matching.
#[derive(Debug)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    pub(super) global: Vec<Allowlist>,
    /// Keyword prefilter (ASCII case-insensitive) and, per keyword, the rules it enables.
    pub(super) prefilter: Option<AhoCorasick>,
    pub(super) keyword_rules: Vec<Vec<usize>>,
    /// Rules with a regex and no keyword: they run on every text file.
    pub(super) unkeyed: Vec<usize>,
    /// Rules with a path and no regex.
    pub(super) path_only: Vec<usize>,
    pub(super) any_binary: bool,
    fingerprint: String,
    notes: Vec<String>,
}

impl RuleSet {
    /// Compile `spec` (read from `file`); `notes` are kept for the user.
    pub fn compile(spec: RulesSpec, file: &str, notes: Vec<String>) -> Result<RuleSet, RuleError> {
        if spec.rules.len() > MAX_RULES {
            return Err(RuleError::invalid(
                file,
                format!(
                    "{} rules; at most {MAX_RULES} are accepted",
                    spec.rules.len()
                ),
            ));
        }
        let fingerprint = {
            let digest = Sha256::digest(format!("{spec:?}").as_bytes());
            hex::encode(&digest[..8])
        };
        let RulesSpec {
            rules: specs,
            allowlists: global_specs,
        } = spec;
        let index = |id: &str| specs.iter().position(|r| r.id == id);
        let mut targeted: Vec<Vec<Allowlist>> = specs.iter().map(|_| Vec::new()).collect();
        let mut global = Vec::new();
        for a in &global_specs {
            let compiled = allowlist(a, file, "[[allowlists]]")?;
            if a.target_rules.is_empty() {
                global.push(compiled);
                continue;
            }
            for id in &a.target_rules {
                let i = index(id).ok_or_else(|| {
                    RuleError::invalid(
                        file,
                        format!("[[allowlists]] target rule {id} does not exist"),
                    )
                })?;
                targeted[i].push(allowlist(a, file, "[[allowlists]]")?);
            }
        }
        let mut rules = Vec::with_capacity(specs.len());
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut unkeyed = Vec::new();
        let mut path_only = Vec::new();
        for ((i, s), extra) in specs.iter().enumerate().zip(targeted) {
            let what = format!("rule {}", s.id);
            let regex = s
                .regex
                .as_deref()
                .map(|r| bytes_regex(r, file, &what))
                .transpose()?;
            if let Some(re) = &regex {
                let groups = re.captures_len() - 1;
                if s.secret_group > groups {
                    return Err(RuleError::invalid(
                        file,
                        format!(
                            "{what}: invalid regex secret group {}, max regex secret group {groups}",
                            s.secret_group
                        ),
                    ));
                }
            }
            let path = s
                .path
                .as_deref()
                .map(|p| str_regex(p, file, &format!("{what}: path")))
                .transpose()?;
            if !s.entropy.is_finite() || s.entropy < 0.0 {
                return Err(RuleError::invalid(
                    file,
                    format!("{what}: entropy must be a number ≥ 0"),
                ));
            }
            let mut allowlists = Vec::new();
            for a in &s.allowlists {
                allowlists.push(allowlist(a, file, &format!("{what}: allowlist"))?);
            }
            allowlists.extend(extra);
            let mut required = Vec::new();
            for r in &s.required {
                let j = index(&r.id).ok_or_else(|| {
                    RuleError::invalid(
                        file,
                        format!("{what}: required rule {} does not exist", r.id),
                    )
                })?;
                required.push((j, r.within_lines, r.within_columns));
            }
            let mut patterns = Vec::new();
            if regex.is_some() {
                if s.keywords.is_empty() {
                    unkeyed.push(i);
                }
                for k in &s.keywords {
                    if k.is_empty() {
                        continue;
                    }
                    let p = match keywords.iter().position(|x| x == k) {
                        Some(p) => p,
                        None => {
                            keywords.push(k.clone());
                            keyword_rules.push(Vec::new());
                            keywords.len() - 1
                        }
                    };
                    keyword_rules[p].push(i);
                    patterns.push(p);
                }
            } else if path.is_some() {
                path_only.push(i);
            }
            rules.push(Rule {
                id: s.id.clone(),
                title: s.title.clone().unwrap_or_else(|| s.id.clone()),
                description: s.description.clone(),
                severity: s.severity.unwrap_or(Severity::High),
                regex,
                group: s.secret_group,
                entropy: s.entropy,
                path,
                allowlists,
                required,
                skip_report: s.skip_report,
                binary: s.binary,
                generic: s.generic || s.id.to_ascii_lowercase().contains("generic"),
                line_scoped: s.line_scoped && !s.keywords.is_empty(),
                patterns,
            });
        }
        let prefilter = if keywords.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&keywords)
                    .map_err(|e| RuleError::invalid(file, format!("keywords: {e}")))?,
            )
        };
        let any_binary = rules.iter().any(|r| r.binary);
        Ok(RuleSet {
            rules,
            global,
            prefilter,
            keyword_rules,
            unkeyed,
            path_only,
            any_binary,
            fingerprint,
            notes,
        })
    }

    /// The compiled rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A short hash of everything that decides matches: part of the layer cache key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// What loading noted (rules redefined, rules without effect).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Whether a global allowlist allows every match in the file at `path`.
    pub fn path_allowed(&self, path: &str) -> bool {
        self.global.iter().any(|a| a.allows_path(path))
    }

    /// Whether some rule reads binary files.
    pub fn reads_binary(&self) -> bool {
        self.any_binary
    }

    /// Path-only rules that match `path`.
    pub fn path_rules<'a>(&'a self, path: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.path_only.iter().copied().filter(move |&i| {
            let r = &self.rules[i];
            !r.skip_report
                && r.path.as_ref().is_some_and(|p| p.is_match(path))
                && !r.allowlists.iter().any(|a| a.allows_path(path))
        })
    }
}

/// A byte regex with the size limits; ASCII classes as in Go's RE2, Unicode only when the
/// pattern needs it.
fn bytes_regex(pattern: &str, file: &str, what: &str) -> Result<regex::bytes::Regex, RuleError> {
    check_len(pattern, file, what)?;
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(DFA_CACHE)
            .build()
    };
    build(false)
        .or_else(|_| build(true))
        .map_err(|e| regex_error(e, file, what))
}

fn str_regex(pattern: &str, file: &str, what: &str) -> Result<regex::Regex, RuleError> {
    check_len(pattern, file, what)?;
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| regex_error(e, file, what))
}

fn check_len(pattern: &str, file: &str, what: &str) -> Result<(), RuleError> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(RuleError::invalid(
            file,
            format!(
                "{what}: regex is {} bytes long; at most {MAX_PATTERN_LEN} are accepted",
                pattern.len()
            ),
        ));
    }
    Ok(())
}

fn regex_error(e: regex::Error, file: &str, what: &str) -> RuleError {
    let message = match e {
        regex::Error::CompiledTooBig(limit) => format!(
            "{what}: regex compiles to more than {limit} bytes (a pattern this large would make scans slow or exhaust memory); simplify it or bound its repetitions"
        ),
        other => format!("{what}: invalid regex: {other}"),
    };
    RuleError::invalid(file, message)
}

fn allowlist(a: &AllowlistSpec, file: &str, what: &str) -> Result<Allowlist, RuleError> {
    let paths = if a.paths.is_empty() {
        None
    } else {
        for p in &a.paths {
            check_len(p, file, what)?;
        }
        Some(
            regex::RegexSetBuilder::new(&a.paths)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| regex_error(e, file, &format!("{what}: paths")))?,
        )
    };
    let regexes = if a.regexes.is_empty() {
        None
    } else {
        for p in &a.regexes {
            check_len(p, file, what)?;
        }
        let build = |unicode: bool| {
            regex::bytes::RegexSetBuilder::new(&a.regexes)
                .unicode(unicode)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
        };
        Some(
            build(false)
                .or_else(|_| build(true))
                .map_err(|e| regex_error(e, file, &format!("{what}: regexes")))?,
        )
    };
    let stopwords = if a.stopwords.is_empty() {
        None
    } else {
        Some(
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&a.stopwords)
                .map_err(|e| RuleError::invalid(file, format!("{what}: stopwords: {e}")))?,
        )
    };
    Ok(Allowlist {
        and: a.condition == Condition::And,
        has_commits: !a.commits.is_empty(),
        paths,
        regexes,
        target: a.target,
        stopwords,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::secret::spec::RuleSpec;

    fn one(regex: &str) -> Result<RuleSet, RuleError> {
        let spec = RulesSpec {
            rules: vec![RuleSpec {
                id: "bomb".into(),
                regex: Some(regex.into()),
                ..Default::default()
            }],
            allowlists: Vec::new(),
        };
        RuleSet::compile(spec, "user.toml", Vec::new())
    }

    #[test]
    fn regex_bombs_are_refused_at_load_with_a_clear_error() {
        for bomb in [
            r"(?:\w{1000}){1000}",
            r"((a{100}){100}){100}",
            r"[\p{L}\p{N}]{5000}",
        ] {
            let e = one(bomb).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                e.starts_with("user.toml: rule bomb: regex compiles to more than"),
                "{bomb}: {e}"
            );
        }
        let long = "a".repeat(MAX_PATTERN_LEN + 1);
        let e = one(&long).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("at most"), "{e}");
        assert!(one(r"ghp_[0-9a-zA-Z]{36}").is_ok());
    }

    #[test]
    fn invalid_regexes_name_the_rule() {
        let e = one("(unclosed")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("user.toml: rule bomb: invalid regex"), "{e}");
    }
}
