//! Rules as a rule file states them, before compilation: the one shape both rule formats
//! (ours and gitleaks') are read into, and the `[extend]` merge between two rule files.

use super::error::RuleError;
use crate::report::Severity;

/// One secret rule as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSpec {
    /// Stable id (`aws-access-key-id`).
    pub id: String,
    /// Short title; the id when the file gives none.
    pub title: Option<String>,
    /// What the secret is and why it matters.
    pub description: Option<String>,
    /// Severity of a finding; `high` when the file gives none.
    pub severity: Option<Severity>,
    /// Regex over file content; the secret is in a capture group.
    pub regex: Option<String>,
    /// The capture group holding the secret; 0 means the first non-empty group (or the match).
    pub secret_group: usize,
    /// Minimum Shannon entropy of the secret; 0 means no floor.
    pub entropy: f64,
    /// Regex over the file path: alone, a rule on file names; with `regex`, a path filter.
    pub path: Option<String>,
    /// Lowercase keywords: the regex runs only on content holding one of them.
    pub keywords: Vec<String>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Matches of this rule that are not findings.
    pub allowlists: Vec<AllowlistSpec>,
    /// Other rules that must also match near a match of this one (composite rules).
    pub required: Vec<RequiredSpec>,
    /// Only used as a required part of other rules, never reported alone.
    pub skip_report: bool,
    /// Also run on binary files (skipped by default).
    pub binary: bool,
    /// Yields to a specific rule matching the same secret on the same line (always so for ids
    /// containing "generic", as in gitleaks).
    pub generic: bool,
    /// Matches lie within one line holding a keyword: the regex runs only on those lines.
    pub line_scoped: bool,
}

/// How an allowlist's checks combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Condition {
    /// Any check allows the match.
    #[default]
    Or,
    /// Every check present must allow the match.
    And,
}

/// What an allowlist's regexes are tested against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Target {
    /// The secret (capture group).
    #[default]
    Secret,
    /// The whole regex match.
    Match,
    /// The line(s) holding the match.
    Line,
}

/// Matches that are not findings: placeholders, documentation paths, known test values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllowlistSpec {
    /// Why the allowlist exists.
    pub description: Option<String>,
    /// How the checks combine.
    pub condition: Condition,
    /// Git commits (an image has none: a commit check never matches).
    pub commits: Vec<String>,
    /// Regexes over the file path.
    pub paths: Vec<String>,
    /// Regexes over [`Target`].
    pub regexes: Vec<String>,
    /// What `regexes` are tested against.
    pub target: Target,
    /// Case-insensitive substrings of the secret.
    pub stopwords: Vec<String>,
    /// For a global allowlist: the rules it applies to (all when empty).
    pub target_rules: Vec<String>,
}

impl Target {
    /// The target a rule file names (`secret`, `match`, `line`; none means `secret`), or an
    /// error naming `what` in `file`.
    pub fn parse(name: Option<&str>, file: &str, what: &str) -> Result<Target, RuleError> {
        match name.unwrap_or("") {
            "" | "secret" => Ok(Target::Secret),
            "match" => Ok(Target::Match),
            "line" => Ok(Target::Line),
            other => Err(RuleError::invalid(
                file,
                format!(
                    "{what} unknown regexTarget '{other}' (expected 'secret', 'match', 'line')"
                ),
            )),
        }
    }
}

impl AllowlistSpec {
    /// Whether the allowlist has no check at all (which would allow everything).
    pub fn is_empty(&self) -> bool {
        self.commits.is_empty()
            && self.paths.is_empty()
            && self.regexes.is_empty()
            && self.stopwords.is_empty()
    }

    /// The allowlist with lowercase stopwords, or an error naming `what` in `file` when it has
    /// no check.
    pub fn validated(mut self, file: &str, what: &str) -> Result<Self, RuleError> {
        if self.is_empty() {
            return Err(RuleError::invalid(
                file,
                format!(
                    "{what} must contain at least one check for: commits, paths, regexes, or stopwords"
                ),
            ));
        }
        for s in &mut self.stopwords {
            *s = s.to_lowercase();
        }
        Ok(self)
    }
}

/// A rule that must match near a match of a composite rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequiredSpec {
    /// The required rule.
    pub id: String,
    /// At most this many lines away (any distance when unset).
    pub within_lines: Option<u32>,
    /// At most this many columns away (any distance when unset).
    pub within_columns: Option<u32>,
}

/// A whole rule file: rules and global allowlists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesSpec {
    /// Rules in file order; ids are unique.
    pub rules: Vec<RuleSpec>,
    /// Global allowlists.
    pub allowlists: Vec<AllowlistSpec>,
}

impl RulesSpec {
    /// Add a rule; a later rule with the same id replaces the earlier one (as gitleaks does).
    /// Returns whether one was replaced.
    pub fn put(&mut self, rule: RuleSpec) -> bool {
        match self.rules.iter_mut().find(|r| r.id == rule.id) {
            Some(old) => {
                *old = rule;
                true
            }
            None => {
                self.rules.push(rule);
                false
            }
        }
    }

    /// Merge `self` (the extending file) over `base` (the file it extends), gitleaks' `[extend]`
    /// semantics: base rules not in `disabled` are kept; a rule in both takes the extending
    /// file's non-empty fields and the union of tags, keywords and allowlists; new rules are
    /// added; global allowlists of both apply.
    pub fn extend(self, base: RulesSpec, disabled: &[String]) -> RulesSpec {
        let mut merged = RulesSpec {
            rules: Vec::new(),
            allowlists: self.allowlists,
        };
        let mut own = self.rules;
        for mut b in base.rules {
            if disabled.contains(&b.id) {
                continue;
            }
            if let Some(i) = own.iter().position(|r| r.id == b.id) {
                let o = own.remove(i);
                b.title = o.title.or(b.title);
                b.description = o.description.or(b.description);
                b.severity = o.severity.or(b.severity);
                b.regex = o.regex.or(b.regex);
                b.path = o.path.or(b.path);
                if o.entropy != 0.0 {
                    b.entropy = o.entropy;
                }
                if o.secret_group != 0 {
                    b.secret_group = o.secret_group;
                }
                b.tags.extend(o.tags);
                b.keywords.extend(o.keywords);
                b.allowlists.extend(o.allowlists);
                b.required.extend(o.required);
                b.skip_report |= o.skip_report;
                b.binary |= o.binary;
                b.generic |= o.generic;
                b.line_scoped = o.line_scoped || b.line_scoped;
            }
            merged.rules.push(b);
        }
        merged.rules.extend(own);
        merged.allowlists.extend(base.allowlists);
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, regex: Option<&str>) -> RuleSpec {
        RuleSpec {
            id: id.into(),
            regex: regex.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn extend_merges_fields_and_drops_disabled_rules() {
        let mut base = RulesSpec::default();
        let mut a = rule("a", Some("x"));
        a.keywords = vec!["k1".into()];
        base.put(a);
        base.put(rule("b", Some("y")));
        let mut own = RulesSpec::default();
        let mut a2 = rule("a", None);
        a2.keywords = vec!["k2".into()];
        a2.entropy = 3.0;
        own.put(a2);
        own.put(rule("c", Some("z")));
        let merged = own.extend(base, &["b".to_string()]);
        let ids: Vec<&str> = merged.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(merged.rules[0].regex.as_deref(), Some("x"));
        assert_eq!(merged.rules[0].keywords, ["k1", "k2"]);
        assert_eq!(merged.rules[0].entropy, 3.0);
    }

    #[test]
    fn a_later_rule_replaces_an_earlier_one_with_the_same_id() {
        let mut s = RulesSpec::default();
        assert!(!s.put(rule("g", Some("1"))));
        assert!(s.put(rule("g", Some("2"))));
        assert_eq!(s.rules.len(), 1);
        assert_eq!(s.rules[0].regex.as_deref(), Some("2"));
    }
}
