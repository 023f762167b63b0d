//! Ignores: findings accepted for a stated reason until an expiry. An expired ignore no longer
//! suppresses; the finding counts again and is marked so the owner sees the ignore lapsed.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ignore {
    /// CVE or advisory id, alias, rule id, licence id or finding id.
    pub id: String,
    /// Only in this package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Only at paths starting with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why the finding is accepted.
    pub reason: String,
    /// When the ignore lapses: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Expiry>,
}

/// The fields of a finding an ignore looks at.
pub struct Target<'a> {
    /// Finding id.
    pub id: &'a str,
    /// Title (CVE id, rule, indicator).
    pub title: &'a str,
    /// Rule id.
    pub rule_id: Option<&'a str>,
    /// Other identifiers.
    pub aliases: &'a [String],
    /// Package name.
    pub package: Option<&'a str>,
    /// File path.
    pub path: Option<&'a str>,
}

impl Ignore {
    /// Whether the ignore names this finding (expired or not).
    pub fn matches(&self, t: &Target<'_>) -> bool {
        let id = self.id.as_str();
        let named = id.eq_ignore_ascii_case(t.title)
            || id == t.id
            || t.rule_id.is_some_and(|r| id.eq_ignore_ascii_case(r))
            || t.aliases.iter().any(|a| id.eq_ignore_ascii_case(a));
        named
            && self.package.as_deref().is_none_or(|p| t.package == Some(p))
            && self
                .path
                .as_deref()
                .is_none_or(|p| t.path.is_some_and(|fp| fp.starts_with(p)))
    }

    /// Whether the ignore has lapsed at `now`.
    pub fn expired(&self, now: SystemTime) -> bool {
        self.expires.as_ref().is_some_and(|e| e.at <= now)
    }
}

/// A string compared and hashed without regard to ASCII case, so ids are looked up without
/// allocating a lowercase copy.
#[derive(Debug, Clone, Copy)]
struct Caseless<'a>(&'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.0.eq_ignore_ascii_case(o.0)
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Lowercased in chunks: one hasher call per byte would cost more than the lookup.
        let mut buf = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            let out = &mut buf[..chunk.len()];
            out.copy_from_slice(chunk);
            out.make_ascii_lowercase();
            h.write(out);
        }
    }
}

/// Ignores by the id they name, so judging a finding looks up its few ids instead of testing
/// every ignore (the admission path judges hundreds of findings against many ignores).
#[derive(Debug, Default)]
pub struct IgnoreIndex<'r> {
    by_id: HashMap<Caseless<'r>, Vec<&'r Ignore>>,
}

impl<'r> IgnoreIndex<'r> {
    /// The index of `ignores`.
    pub fn new(ignores: &'r [Ignore]) -> IgnoreIndex<'r> {
        let mut by_id: HashMap<Caseless<'r>, Vec<&'r Ignore>> = HashMap::new();
        for i in ignores {
            by_id.entry(Caseless(&i.id)).or_default().push(i);
        }
        IgnoreIndex { by_id }
    }

    /// The ignores that match `t`, in the order the ruleset lists them per id.
    pub fn matching<'t>(&'t self, t: &'t Target<'_>) -> impl Iterator<Item = &'r Ignore> + 't {
        let ids = [Some(t.title), Some(t.id), t.rule_id]
            .into_iter()
            .flatten()
            .chain(t.aliases.iter().map(String::as_str));
        let mut seen: Vec<&'r Ignore> = Vec::new();
        ids.filter_map(|id| self.by_id.get(&Caseless(id)))
            .flatten()
            .copied()
            .filter(move |i| {
                // An ignore may name a finding by more than one of its ids.
                let new = !seen.iter().any(|s| std::ptr::eq(*s, *i));
                if new {
                    seen.push(i);
                }
                new
            })
            .filter(|i| i.matches(t))
    }

    /// Whether there are no ignores.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// A point in time an ignore lapses, kept with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Expiry {
    text: String,
    at: SystemTime,
}

impl Expiry {
    /// The time as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The time it lapses.
    pub fn at(&self) -> SystemTime {
        self.at
    }
}

impl TryFrom<String> for Expiry {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        let at = if t.len() == 10 {
            humantime::parse_rfc3339(&format!("{t}T00:00:00Z"))
        } else {
            humantime::parse_rfc3339_weak(t)
        }
        .map_err(|e| {
            format!("invalid expiry `{text}` ({e}); write YYYY-MM-DD or an RFC 3339 time")
        })?;
        Ok(Expiry { text, at })
    }
}

// Parsed inside the visitor, so the YAML error points at the value itself.
impl<'de> Deserialize<'de> for Expiry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Expiry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a date (YYYY-MM-DD) or an RFC 3339 time")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Expiry, E> {
                Expiry::try_from(v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

impl From<Expiry> for String {
    fn from(e: Expiry) -> String {
        e.text
    }
}

impl Expiry {
    /// An expiry `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: u64) -> Expiry {
        let at = UNIX_EPOCH + Duration::from_secs(secs);
        Expiry {
            text: humantime::format_rfc3339_seconds(at).to_string(),
            at,
        }
    }
}

impl JsonSchema for Expiry {
    fn schema_name() -> Cow<'static, str> {
        "Expiry".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "YYYY-MM-DD (midnight UTC) or an RFC 3339 time",
            "pattern": r"^\d{4}-\d{2}-\d{2}([Tt ].*)?$"
        })
    }
}
