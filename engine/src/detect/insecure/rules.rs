//! The rule file (`engine/rules/insecure.toml` and users' extensions): what each rule checks,
//! how severe it is and how to fix it, validated and compiled once.

use super::checks::{self, Check};
use super::code::Language;
use crate::detect::Detection;
use crate::report::{Category, Severity};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use std::path::Path;

/// The built-in rules, shipped inside the binary.
pub const BUILTIN: &str = include_str!("../../../rules/insecure.toml");

/// Name of the built-in rule file in error messages.
const BUILTIN_NAME: &str = "built-in insecure rules";

/// Bumped when the matching code changes, so cached layers are analysed again.
const ENGINE_VERSION: u32 = 1;

/// A user regex may not compile to more than this (bounds memory and matching time).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a rule file was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("{path}: cannot read insecure rules: {error}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or missing fields.
    #[error("{file}: not a valid insecure rule file: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// One rule is inconsistent.
    #[error("{file}: rule {id}: {problem}")]
    Rule {
        /// The file.
        file: String,
        /// The rule id.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// One rule as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    severity: Severity,
    cwe: String,
    description: String,
    remediation: String,
    #[serde(default = "enabled")]
    enabled: bool,
    check: Option<String>,
    pattern: Option<String>,
    unless: Option<String>,
    requires: Option<String>,
    #[serde(default)]
    languages: Vec<Language>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    history: bool,
    #[serde(default)]
    env: bool,
}

fn enabled() -> bool {
    true
}

/// A compiled rule.
pub struct Rule {
    /// Stable id, the finding's rule id.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Severity of a finding.
    pub severity: Severity,
    /// `CWE-n`.
    pub cwe: String,
    /// The problem and its remedy.
    pub description: String,
    /// What the rule matches.
    pub matcher: Matcher,
}

/// What a rule matches.
pub enum Matcher {
    /// A built-in check, with its optional parameter.
    Check {
        /// The check.
        check: &'static dyn Check,
        /// The check's parameter (env-secret: variable names).
        param: Option<Regex>,
    },
    /// A regex over text.
    Text(TextRule),
}

/// A regex rule and the texts it reads.
pub struct TextRule {
    /// What is looked for.
    pub pattern: Regex,
    /// Found on the matching line, clears the match.
    pub unless: Option<Regex>,
    /// The whole file must match this for the rule to apply.
    pub requires: Option<Regex>,
    /// Files of these languages.
    pub languages: Vec<Language>,
    /// Files at these paths.
    pub paths: Option<GlobSet>,
    /// Each history step's `created_by`.
    pub history: bool,
    /// Each ENV entry as `NAME=value`.
    pub env: bool,
}

impl Rule {
    /// A detection of this rule with what `hit` says about the match.
    pub fn detection(&self, hit: checks::Hit) -> Detection {
        let mut d = Detection::new(Category::InsecureCode, &self.id, &self.title, self.severity);
        d.description = Some(self.description.clone());
        d.evidence = hit.evidence;
        d.line = hit.line;
        d.aliases = vec![self.cwe.clone()];
        if let Some(n) = self.cwe.strip_prefix("CWE-") {
            d.references = vec![format!("https://cwe.mitre.org/data/definitions/{n}.html")];
        }
        d.unless_packaged = hit.unless_packaged;
        d
    }
}

/// A validated set of rules.
pub struct Rules {
    rules: Vec<Rule>,
    fingerprint: u32,
}

impl Rules {
    /// The built-in rules.
    pub fn builtin() -> Result<Rules, RuleError> {
        Rules::parse(&[(BUILTIN_NAME, BUILTIN)])
    }

    /// The built-in rules extended by the file at `path` (same id: the file's rule wins).
    pub fn with_file(path: &Path) -> Result<Rules, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| RuleError::Read {
            path: name.clone(),
            error,
        })?;
        Rules::parse(&[(BUILTIN_NAME, BUILTIN), (&name, &text)])
    }

    /// Rules from `(name, text)` sources in order; a later rule replaces an earlier one of the
    /// same id, and disabled rules are dropped.
    pub fn parse(sources: &[(&str, &str)]) -> Result<Rules, RuleError> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut h = Sha256::new();
        h.update(ENGINE_VERSION.to_le_bytes());
        for (file, text) in sources {
            h.update(text.as_bytes());
            h.update([0]);
            let parsed: RuleFile = toml::from_str(text).map_err(|e| RuleError::Syntax {
                file: file.to_string(),
                message: e.to_string(),
            })?;
            let mut ids = std::collections::HashSet::new();
            for spec in parsed.rule {
                if !ids.insert(spec.id.clone()) {
                    return Err(rule_error(file, &spec.id, "defined twice in this file"));
                }
                rules.retain(|r| r.id != spec.id);
                if spec.enabled {
                    rules.push(compile(file, spec)?);
                }
            }
        }
        let digest = h.finalize();
        let fingerprint = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
        Ok(Rules { rules, fingerprint })
    }

    /// The rules, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    /// Changes whenever the rules or the matching code change: the analyzer's cache version.
    pub fn fingerprint(&self) -> u32 {
        self.fingerprint
    }
}

fn rule_error(file: &str, id: &str, problem: impl Into<String>) -> RuleError {
    RuleError::Rule {
        file: file.to_string(),
        id: id.to_string(),
        problem: problem.into(),
    }
}

fn compile(file: &str, spec: RuleSpec) -> Result<Rule, RuleError> {
    let err = |problem: String| rule_error(file, &spec.id, problem);
    let id_ok = !spec.id.is_empty()
        && spec
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !id_ok {
        return Err(err(
            "an id is letters, digits and - _ . : only, and not empty".into(),
        ));
    }
    let cwe_ok = spec
        .cwe
        .strip_prefix("CWE-")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if !cwe_ok {
        return Err(err(format!(
            "cwe {:?} is not of the form CWE-123",
            spec.cwe
        )));
    }
    let regex = |what: &str, src: &Option<String>| -> Result<Option<Regex>, RuleError> {
        src.as_deref()
            .map(|s| {
                RegexBuilder::new(s)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| err(format!("{what}: {e}")))
            })
            .transpose()
    };
    let text_fields = spec.unless.is_some()
        || spec.requires.is_some()
        || !spec.languages.is_empty()
        || !spec.paths.is_empty()
        || spec.history
        || spec.env;
    let matcher = match (&spec.check, &spec.pattern) {
        (Some(name), _) => {
            if text_fields {
                return Err(err(
                    "a check rule takes no unless, requires, languages, paths, history or env"
                        .into(),
                ));
            }
            let check = checks::find(name).ok_or_else(|| {
                err(format!(
                    "unknown check {name:?}; known: {}",
                    checks::names().join(", ")
                ))
            })?;
            Matcher::Check {
                check,
                param: regex("pattern", &spec.pattern)?,
            }
        }
        (None, Some(_)) => {
            if spec.languages.is_empty() && spec.paths.is_empty() && !spec.history && !spec.env {
                return Err(err(
                    "a pattern rule needs languages, paths, history or env to match against".into(),
                ));
            }
            let paths = if spec.paths.is_empty() {
                None
            } else {
                let mut b = GlobSetBuilder::new();
                for p in &spec.paths {
                    let glob = Glob::new(p.trim_start_matches('/'))
                        .map_err(|e| err(format!("paths: {e}")))?;
                    b.add(glob);
                }
                Some(b.build().map_err(|e| err(format!("paths: {e}")))?)
            };
            Matcher::Text(TextRule {
                pattern: regex("pattern", &spec.pattern)?
                    .ok_or_else(|| err("pattern missing".into()))?,
                unless: regex("unless", &spec.unless)?,
                requires: regex("requires", &spec.requires)?,
                languages: spec.languages.clone(),
                paths,
                history: spec.history,
                env: spec.env,
            })
        }
        (None, None) => return Err(err("needs either check or pattern".into())),
    };
    Ok(Rule {
        description: format!(
            "{}\nRemediation: {}",
            spec.description.trim(),
            spec.remediation.trim()
        ),
        id: spec.id,
        title: spec.title,
        severity: spec.severity,
        cwe: spec.cwe,
        matcher,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "id = \"x\"\ntitle = \"t\"\nseverity = \"low\"\ncwe = \"CWE-1\"\ndescription = \"d\"\nremediation = \"r\"\n";

    fn one(body: &str) -> Result<Rules, RuleError> {
        let text = format!("[[rule]]\n{HEAD}{body}");
        Rules::parse(&[("user.toml", &text)])
    }

    #[test]
    fn builtin_rules_parse_and_every_rule_has_cwe_and_remediation() {
        let rules = Rules::builtin().expect("built-in rules");
        assert!(rules.iter().count() >= 20);
        for r in rules.iter() {
            assert!(r.cwe.starts_with("CWE-"), "{}", r.id);
            assert!(r.description.contains("Remediation: "), "{}", r.id);
        }
    }

    #[test]
    fn user_rules_extend_replace_and_disable_builtin_ones() {
        let user = format!(
            "[[rule]]\n{}languages = [\"python\"]\npattern = 'os\\.system\\('\n\
             [[rule]]\nid = \"root-user\"\ntitle = \"t\"\nseverity = \"critical\"\ncwe = \"CWE-250\"\n\
             description = \"d\"\nremediation = \"r\"\ncheck = \"root-user\"\n\
             [[rule]]\nid = \"js-eval\"\ntitle = \"t\"\nseverity = \"low\"\ncwe = \"CWE-95\"\n\
             description = \"d\"\nremediation = \"r\"\nenabled = false\npattern = 'eval'\nlanguages = [\"javascript\"]\n",
            HEAD
        );
        let builtin = Rules::builtin().expect("built-in").iter().count();
        let rules = Rules::parse(&[(BUILTIN_NAME, BUILTIN), ("user.toml", &user)]).expect("rules");
        assert_eq!(rules.iter().count(), builtin);
        assert!(rules.iter().any(|r| r.id == "x"));
        assert!(!rules.iter().any(|r| r.id == "js-eval"));
        let root = rules
            .iter()
            .find(|r| r.id == "root-user")
            .expect("root-user");
        assert_eq!(root.severity, Severity::Critical);
        assert_ne!(
            rules.fingerprint(),
            Rules::builtin().expect("built-in").fingerprint()
        );
    }

    #[test]
    fn bad_rules_are_refused_with_the_file_rule_and_problem() {
        let cases = [
            ("check = \"nope\"", "unknown check"),
            ("pattern = 'a('\nlanguages = [\"python\"]", "pattern"),
            ("pattern = 'a'", "needs languages"),
            ("", "needs either check or pattern"),
            ("check = \"setuid\"\nhistory = true", "takes no"),
            (
                "pattern = 'a'\nlanguages = [\"cobol\"]",
                "not a valid insecure rule file",
            ),
            ("pattern = 'a'\npaths = [\"a[\"]", "paths"),
            (
                "pattern = 'a'\nenv = true\nbogus = 1",
                "not a valid insecure rule file",
            ),
            ("pattern = 'a{1000}{1000}'\nenv = true", "pattern"),
        ];
        for (body, want) in cases {
            let e = one(body).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("user.toml") && e.contains(want), "{body}: {e}");
        }
        let bad_cwe = "[[rule]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"low\"\ncwe = \"250\"\n\
                       description = \"d\"\nremediation = \"r\"\ncheck = \"setuid\"\n";
        let e = Rules::parse(&[("u", bad_cwe)]).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("CWE-123")));
        let dup =
            format!("[[rule]]\n{HEAD}check = \"setuid\"\n[[rule]]\n{HEAD}check = \"setuid\"\n");
        let e = Rules::parse(&[("u", &dup)]).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("defined twice")));
        assert!(Rules::parse(&[("u", "not toml [[[")]).is_err());
    }
}
