//! assure's own rule format (`schema = "assure.secret-rules/v1"`), the format of the built-in
//! rules. Every rule states an id, a title, a severity and keywords. The secret is either
//! matched by a whole `regex` (its group `group`), or by `context` + `secret`: `context` is a
//! case-insensitive alternation naming the credential (`stripe|stripe_api`) and `secret` the
//! case-sensitive shape of the value; they expand into one assignment pattern that reads
//! `name = value`, `name: value`, `"name": "value"`, `name => value` and `export NAME=value`.
//! `scope = "line"` says matches lie within one line that holds a keyword, so the regex runs
//! only on those lines instead of the whole file.

use super::error::RuleError;
use super::spec::{AllowlistSpec, Condition, RuleSpec, RulesSpec, Target};
use crate::report::Severity;
use serde::Deserialize;

/// The `schema` value that marks a file in this format.
pub const SCHEMA: &str = "assure.secret-rules/v1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "schema")]
    _schema: String,
    #[serde(default)]
    allowlists: Vec<Allowlist>,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    id: String,
    title: String,
    severity: Severity,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    group: usize,
    #[serde(default)]
    entropy: f64,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    binary: bool,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlists: Vec<Allowlist>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Allowlist {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
}

/// The regex `context` + `secret` expand into; the secret is group 1. A comma separates name
/// and value only before a quote (`("api_key", "…")`), so argument lists are not assignments.
pub fn assignment(context: &str, secret: &str) -> String {
    format!(
        r#"(?i:(?:{context})[\w.-]{{0,40}}?)["'\x60]?\s{{0,3}}(?:(?:=|:=|::|:|=>)\s{{0,3}}["'\x60]?|,\s{{0,3}}["'\x60])({secret})(?:[\x60'"\s;,)\]}}<&]|\\[nrt]|$)"#
    )
}

/// Parse `text` of `file`.
pub fn parse(text: &str, file: &str) -> Result<RulesSpec, RuleError> {
    let parsed: File = toml::from_str(text).map_err(|e| RuleError::invalid(file, e.to_string()))?;
    let mut spec = RulesSpec::default();
    for a in parsed.allowlists {
        spec.allowlists.push(allowlist(a, file, "[[allowlists]]")?);
    }
    for r in parsed.rules {
        let id = r.id.clone();
        if spec.put(rule(r, file)?) {
            return Err(RuleError::invalid(
                file,
                format!("rule {id} is defined more than once"),
            ));
        }
    }
    Ok(spec)
}

fn rule(r: Rule, file: &str) -> Result<RuleSpec, RuleError> {
    let id = r.id;
    let bad = |m: &str| RuleError::invalid(file, format!("rule {id}: {m}"));
    if id.trim().is_empty() {
        return Err(RuleError::invalid(file, "a rule has an empty id"));
    }
    let (regex, group) = match (r.regex, r.context, r.secret) {
        (Some(re), None, None) => (Some(re), r.group),
        (None, Some(c), Some(s)) => {
            if r.group != 0 {
                return Err(bad("group is implied by context + secret"));
            }
            (Some(assignment(&c, &s)), 1)
        }
        (None, None, None) if r.path.is_some() => (None, 0),
        _ => {
            return Err(bad(
                "needs either regex, or context and secret, or only path",
            ));
        }
    };
    let line_scoped = match r.scope.as_deref() {
        None | Some("file") => false,
        Some("line") if !r.keywords.is_empty() => true,
        Some("line") => return Err(bad("scope = \"line\" needs keywords")),
        Some(other) => {
            return Err(bad(&format!(
                "unknown scope '{other}' (expected file, line)"
            )));
        }
    };
    let mut allowlists = Vec::new();
    for a in r.allowlists {
        allowlists.push(allowlist(a, file, &format!("rule {id}: allowlist"))?);
    }
    Ok(RuleSpec {
        title: Some(r.title),
        description: r.description,
        severity: Some(r.severity),
        regex,
        secret_group: group,
        entropy: r.entropy,
        path: r.path,
        keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
        tags: r.tags,
        allowlists,
        required: Vec::new(),
        skip_report: false,
        binary: r.binary,
        generic: r.generic,
        line_scoped,
        id,
    })
}

fn allowlist(a: Allowlist, file: &str, what: &str) -> Result<AllowlistSpec, RuleError> {
    let target = Target::parse(a.target.as_deref(), file, what)?;
    AllowlistSpec {
        description: a.description,
        condition: if a.all { Condition::And } else { Condition::Or },
        commits: Vec::new(),
        paths: a.paths,
        regexes: a.regexes,
        target,
        stopwords: a.stopwords,
        target_rules: a.rules,
    }
    .validated(file, what)
}
