//! Ignores: findings accepted for a stated reason until an expiry. An expired ignore no longer
//! suppresses; the finding counts again and is marked so the owner sees the ignore lapsed.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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
