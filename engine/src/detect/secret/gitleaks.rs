//! gitleaks' TOML rule format (gitleaks v8): `[[rules]]`, `[[allowlists]]` and the older
//! `[allowlist]`, `[extend]` (`path`, `useDefault`, `disabledRules`), composite rules
//! (`[[rules.required]]`, `skipReport`).
//!
//! Differences from gitleaks, each stated rather than silently changed:
//! - `[extend] useDefault` extends assure's built-in rules (which use gitleaks' ids where the
//!   same credential is meant, e.g. `generic-api-key`), not gitleaks' own default file.
//! - `[extend] url` is refused: rule files are read from disk only.
//! - `commits` allowlists never match: an image has no commits.
//! - Keys gitleaks does not know are refused, so a misspelt key is an error, not a no-op.
//! - gitleaks' decoding of base64/hex/percent-encoded segments (`--max-decode-depth`) is not
//!   done: rules match the file content as it is.
//! - A rule with neither `regex` nor `path` is refused, except in a file that extends another,
//!   where gitleaks loads it without effect; there it is dropped with a load note.
//! - Go RE2 syntax is read by Rust's `regex` with ASCII classes (`\w`, `\d`, `\s`, `\b` as in
//!   RE2); a `{` that starts no repetition is taken as a literal, as RE2 does.

use super::error::RuleError;
use super::spec::{AllowlistSpec, Condition, RequiredSpec, RuleSpec, RulesSpec, Target};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

/// gitleaks follows `[extend] path` at most this deep.
const MAX_EXTEND_DEPTH: usize = 2;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    // Accepted so real files load; they change nothing about matching.
    #[serde(default, rename = "title")]
    _title: Option<String>,
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default, rename = "minVersion")]
    _min_version: Option<String>,
    #[serde(default)]
    extend: Option<Extend>,
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    allowlist: Option<Allowlist>,
    #[serde(default)]
    allowlists: Vec<Allowlist>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Extend {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, rename = "useDefault")]
    use_default: bool,
    #[serde(default, rename = "disabledRules")]
    disabled_rules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    #[serde(default)]
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default, rename = "secretGroup")]
    secret_group: i64,
    #[serde(default)]
    entropy: f64,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<Allowlist>,
    #[serde(default)]
    allowlists: Vec<Allowlist>,
    #[serde(default)]
    required: Vec<Required>,
    #[serde(default, rename = "skipReport")]
    skip_report: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Allowlist {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default, rename = "regexTarget")]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default, rename = "targetRules")]
    target_rules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Required {
    #[serde(default)]
    id: String,
    #[serde(default, rename = "withinLines")]
    within_lines: Option<u32>,
    #[serde(default, rename = "withinColumns")]
    within_columns: Option<u32>,
}

/// Where `[extend]` leads: relative paths are resolved against `base_dir` (gitleaks resolves
/// them against its working directory); `builtin` supplies the rules of `useDefault`.
pub struct ExtendContext<'a> {
    /// Directory relative `[extend] path`s are resolved against.
    pub base_dir: PathBuf,
    /// The built-in rules, for `useDefault = true`.
    pub builtin: &'a dyn Fn() -> Result<RulesSpec, RuleError>,
}

/// A parsed gitleaks file: its rules and what loading it noted.
pub struct Loaded {
    /// Rules and global allowlists, with `[extend]` applied.
    pub spec: RulesSpec,
    /// Things the user should know (rules redefined or without effect).
    pub notes: Vec<String>,
    /// Whether the file (or one it extends) extends the built-in rules (`useDefault`).
    pub extends_builtin: bool,
}

/// Parse gitleaks TOML `text` read from `file`, following `[extend]`.
pub fn parse(text: &str, file: &str, ctx: &ExtendContext<'_>) -> Result<Loaded, RuleError> {
    let mut notes = Vec::new();
    let mut extends_builtin = false;
    let (spec, extended) = parse_at(text, file, ctx, 0, &mut notes, &mut extends_builtin)?;
    let mut spec = spec;
    let mut kept = Vec::with_capacity(spec.rules.len());
    for rule in spec.rules {
        if rule.id.trim().is_empty() {
            let context = rule
                .regex
                .as_deref()
                .map(|r| format!(" (regex: {r})"))
                .or_else(|| rule.path.as_deref().map(|p| format!(" (path: {p})")))
                .unwrap_or_default();
            return Err(RuleError::invalid(
                file,
                format!("a rule has a missing or empty id{context}"),
            ));
        }
        if rule.regex.is_none() && rule.path.is_none() {
            if !extended {
                return Err(RuleError::invalid(
                    file,
                    format!(
                        "rule {}: both regex and path are empty, so it would have no effect",
                        rule.id
                    ),
                ));
            }
            // gitleaks skips validation in extending files; such a rule matches nothing.
            notes.push(format!(
                "{file}: rule {} has neither regex nor path and is ignored",
                rule.id
            ));
            continue;
        }
        kept.push(rule);
    }
    spec.rules = kept;
    for rule in &spec.rules {
        for r in &rule.required {
            if !spec.rules.iter().any(|o| o.id == r.id) {
                return Err(RuleError::invalid(
                    file,
                    format!("rule {}: required rule {} does not exist", rule.id, r.id),
                ));
            }
        }
    }
    Ok(Loaded {
        spec,
        notes,
        extends_builtin,
    })
}

fn parse_at(
    text: &str,
    file: &str,
    ctx: &ExtendContext<'_>,
    depth: usize,
    notes: &mut Vec<String>,
    extends_builtin: &mut bool,
) -> Result<(RulesSpec, bool), RuleError> {
    let parsed: File = toml::from_str(text).map_err(|e| RuleError::invalid(file, e.to_string()))?;
    let mut spec = RulesSpec::default();
    for r in parsed.rules {
        let id = r.id.clone();
        let rule = rule(r, file)?;
        if spec.put(rule) {
            notes.push(format!(
                "{file}: rule {id} is defined more than once; the last definition is used"
            ));
        }
    }
    if parsed.allowlist.is_some() && !parsed.allowlists.is_empty() {
        return Err(RuleError::invalid(
            file,
            "[allowlist] is deprecated and cannot be used alongside [[allowlists]]",
        ));
    }
    for a in parsed.allowlist.into_iter().chain(parsed.allowlists) {
        spec.allowlists
            .push(allowlist(a, file, "[[allowlists]]", true)?);
    }
    let extend = parsed.extend.unwrap_or_default();
    if extend.url.is_some() {
        return Err(RuleError::invalid(
            file,
            "[extend] url is not supported: download the file and name it in [extend] path",
        ));
    }
    if extend.path.is_some() && extend.use_default {
        return Err(RuleError::invalid(
            file,
            "[extend] path and useDefault cannot both be set",
        ));
    }
    if depth >= MAX_EXTEND_DEPTH || (extend.path.is_none() && !extend.use_default) {
        return Ok((spec, false));
    }
    let base = if extend.use_default {
        *extends_builtin = true;
        (ctx.builtin)()?
    } else {
        let rel = extend.path.unwrap_or_default();
        let path = resolve(&ctx.base_dir, &rel);
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| RuleError::invalid(file, format!("[extend] path {rel}: {shown}: {e}")))?;
        parse_at(&text, &shown, ctx, depth + 1, notes, extends_builtin)?.0
    };
    Ok((spec.extend(base, &extend.disabled_rules), true))
}

fn rule(r: Rule, file: &str) -> Result<RuleSpec, RuleError> {
    let name = if r.id.is_empty() { "(no id)" } else { &r.id };
    if r.allowlist.is_some() && !r.allowlists.is_empty() {
        return Err(RuleError::invalid(
            file,
            format!(
                "rule {name}: [rules.allowlist] is deprecated and cannot be used alongside [[rules.allowlists]]"
            ),
        ));
    }
    let secret_group = usize::try_from(r.secret_group).map_err(|_| {
        RuleError::invalid(
            file,
            format!("rule {name}: secretGroup {} is negative", r.secret_group),
        )
    })?;
    let mut allowlists = Vec::new();
    for a in r.allowlist.into_iter().chain(r.allowlists) {
        allowlists.push(allowlist(
            a,
            file,
            &format!("rule {name}: [[rules.allowlists]]"),
            false,
        )?);
    }
    let mut required = Vec::new();
    for q in r.required {
        if q.id.is_empty() {
            return Err(RuleError::invalid(
                file,
                format!("rule {name}: [[rules.required]] has an empty id"),
            ));
        }
        required.push(RequiredSpec {
            id: q.id,
            within_lines: q.within_lines,
            within_columns: q.within_columns,
        });
    }
    Ok(RuleSpec {
        id: r.id,
        title: None,
        description: r.description.filter(|d| !d.is_empty()),
        severity: None,
        regex: r.regex.filter(|s| !s.is_empty()).map(|s| go_regex(&s)),
        secret_group,
        entropy: r.entropy,
        path: r.path.filter(|s| !s.is_empty()).map(|s| go_regex(&s)),
        keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
        tags: r.tags,
        allowlists,
        required,
        skip_report: r.skip_report,
        binary: false,
        generic: false,
        line_scoped: false,
    })
}

fn allowlist(
    a: Allowlist,
    file: &str,
    what: &str,
    global: bool,
) -> Result<AllowlistSpec, RuleError> {
    let condition = match a
        .condition
        .as_deref()
        .unwrap_or("")
        .to_ascii_uppercase()
        .as_str()
    {
        "" | "OR" | "||" => Condition::Or,
        "AND" | "&&" => Condition::And,
        other => {
            return Err(RuleError::invalid(
                file,
                format!("{what} unknown condition '{other}' (expected 'and', 'or')"),
            ));
        }
    };
    let target = Target::parse(a.regex_target.as_deref(), file, what)?;
    if !global && !a.target_rules.is_empty() {
        return Err(RuleError::invalid(
            file,
            format!("{what}: targetRules is only valid in a global [[allowlists]]"),
        ));
    }
    AllowlistSpec {
        description: a.description,
        condition,
        commits: a.commits,
        paths: a.paths.iter().map(|p| go_regex(p)).collect(),
        regexes: a.regexes.iter().map(|p| go_regex(p)).collect(),
        target,
        stopwords: a.stopwords,
        target_rules: a.target_rules,
    }
    .validated(file, what)
}

/// A Go RE2 pattern as Rust's `regex` reads it. The one difference real gitleaks files hit:
/// RE2 takes a `{` that does not start a repetition (`{\d+}`) as a literal, Rust refuses it.
/// Hand-written: no crate translates between the two dialects.
pub fn go_regex(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && i + 1 < b.len() {
            // Keep the escape and the (possibly multi-byte) character it escapes.
            let next = pattern[i + 1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&pattern[i..i + 1 + next]);
            i += 1 + next;
            continue;
        }
        if in_class {
            in_class = c != b']';
        } else if c == b'[' {
            in_class = true;
            // A `]` right after `[` or `[^` is a literal member, not the end.
            let skip = if b.get(i + 1) == Some(&b'^') { 2 } else { 1 };
            if b.get(i + skip) == Some(&b']') {
                out.push_str(&pattern[i..i + skip + 1]);
                i += skip + 1;
                continue;
            }
        } else if c == b'{' && !is_repetition(&b[i + 1..]) {
            out.push_str("\\{");
            i += 1;
            continue;
        }
        let len = pattern[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&pattern[i..i + len]);
        i += len;
    }
    out
}

/// Whether `rest` (after a `{`) is `n}`, `n,}` or `n,m}`.
fn is_repetition(rest: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let n = digits(rest);
    if n == 0 {
        return false;
    }
    match rest.get(n) {
        Some(b'}') => true,
        Some(b',') => {
            let m = digits(&rest[n + 1..]);
            rest.get(n + 1 + m) == Some(&b'}')
        }
        _ => false,
    }
}

/// `base/rel` with `.` and `..` resolved lexically, so `dir/../x` works when `dir` is absent.
fn resolve(base: &Path, rel: &str) -> PathBuf {
    let joined = base.join(rel);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_builtin() -> Result<RulesSpec, RuleError> {
        Ok(RulesSpec::default())
    }

    fn load(text: &str) -> Result<Loaded, RuleError> {
        let ctx = ExtendContext {
            base_dir: PathBuf::from("/nonexistent"),
            builtin: &no_builtin,
        };
        parse(text, "test.toml", &ctx)
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = load("[[rules]]\nid = 'a'\nregex = 'x'\nfake_key = 1\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("fake_key"), "{e}");
    }

    #[test]
    fn extend_url_is_refused_with_a_reason() {
        let e = load("[extend]\nurl = 'https://example.com/x.toml'\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("url is not supported"), "{e}");
    }

    #[test]
    fn go_literal_braces_become_escaped() {
        assert_eq!(go_regex(r"^\$(?:\d+|{\d+})$"), r"^\$(?:\d+|\{\d+})$");
        assert_eq!(go_regex(r"a{2,3}b{4}c{5,}"), r"a{2,3}b{4}c{5,}");
        assert_eq!(go_regex(r"[{}]\{x{"), r"[{}]\{x\{");
        assert_eq!(go_regex(r"[]{]é{"), r"[]{]é\{");
    }

    #[test]
    fn paths_resolve_lexically() {
        assert_eq!(
            resolve(Path::new("/a/missing"), "../b/./c.toml"),
            PathBuf::from("/a/b/c.toml")
        );
    }
}
