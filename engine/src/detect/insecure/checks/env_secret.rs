//! `env-secret`: an ENV entry whose name says credential and whose value is a real one.
//!
//! The rule's `pattern` names the variables; names of files or locations and placeholder
//! values are skipped, so `DB_PASSWORD_FILE=/run/secrets/db` or `TOKEN=${TOKEN}` stay quiet.

use super::{Check, Hit};
use crate::detect::redact;
use oci_spec::image::ImageConfiguration;
use regex::bytes::Regex;

/// See the module doc.
pub struct EnvSecret;

/// Suffixes of variables that name where a secret is, not the secret.
const LOCATION_SUFFIXES: &[&str] = &["_FILE", "_PATH", "_DIR", "_URL", "_URI", "_HOST", "_NAME"];

/// Values that stand for "set me": lowercase.
const PLACEHOLDERS: &[&str] = &[
    "none",
    "null",
    "nil",
    "undefined",
    "false",
    "true",
    "no",
    "yes",
    "empty",
    "unset",
    "placeholder",
    "redacted",
    "dummy",
    "example",
    "your_password",
    "your_token",
    "password",
    "secret",
    "token",
];

impl Check for EnvSecret {
    fn name(&self) -> &'static str {
        "env-secret"
    }

    fn config(&self, config: &ImageConfiguration, param: Option<&Regex>) -> Vec<Hit> {
        let Some(names) = param else {
            return Vec::new();
        };
        let env = config.config().as_ref().and_then(|c| c.env().clone());
        env.unwrap_or_default()
            .iter()
            .filter_map(|entry| {
                let (name, value) = entry.split_once('=')?;
                let upper = name.to_ascii_uppercase();
                if !names.is_match(name.as_bytes())
                    || LOCATION_SUFFIXES.iter().any(|s| upper.ends_with(s))
                    || is_placeholder(value)
                {
                    return None;
                }
                Some(Hit::evidence(format!("{name}={}", redact(value))))
            })
            .collect()
    }
}

/// Whether `value` is empty, a reference to something else, or an obvious stand-in.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let lower = v.to_ascii_lowercase();
    let mut chars = v.chars();
    let first = chars.next();
    v.is_empty()
        || v.starts_with('$')
        || v.starts_with('/')
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("{{") && v.ends_with("}}"))
        || (v.starts_with('%') && v.ends_with('%'))
        || first.is_some_and(|f| chars.all(|c| c == f))
        || PLACEHOLDERS.contains(&lower.as_str())
}
