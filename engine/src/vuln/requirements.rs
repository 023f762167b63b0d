//! Version requirements as RustSec and the Node.js security WG state them ("patched:
//! `>= 1.2.3`", "vulnerable: `<=4.17.15 || >=5.0.0 <5.0.2`"), kept in Cargo's syntax and
//! evaluated with the `semver` crate, whose prerelease rules are node-semver's and Cargo's.

use semver::{Comparator, Op, Version, VersionReq};
use serde::{Deserialize, Serialize};

/// Affected when the version meets one of `vulnerable` (any version when empty) and none of
/// `safe`. Each entry is one alternative in Cargo syntax (comparators joined by commas).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirements {
    /// Alternatives that are vulnerable; empty means every version not in `safe`.
    #[serde(default)]
    pub vulnerable: Vec<String>,
    /// Alternatives that are patched or were never affected.
    #[serde(default)]
    pub safe: Vec<String>,
}

impl Requirements {
    /// Check that every alternative parses; the error names the first that does not.
    pub fn validate(&self) -> Result<(), String> {
        for r in self.vulnerable.iter().chain(&self.safe) {
            VersionReq::parse(r)
                .map_err(|e| format!("unparsable version requirement {r:?}: {e}"))?;
        }
        Ok(())
    }

    /// Whether `version` is affected, and the lowest safe version above it.
    pub fn affects(&self, version: &str) -> Option<(bool, Option<String>)> {
        let v = Version::parse(version.trim().trim_start_matches('v')).ok()?;
        let meets = |alts: &[String]| {
            alts.iter()
                .filter_map(|r| VersionReq::parse(r).ok())
                .any(|r| r.matches(&v))
        };
        let hit = (self.vulnerable.is_empty() || meets(&self.vulnerable)) && !meets(&self.safe);
        if !hit {
            return Some((false, None));
        }
        let fix = self
            .safe
            .iter()
            .filter_map(|r| VersionReq::parse(r).ok())
            .flat_map(|r| r.comparators)
            .filter_map(lower_bound)
            .filter(|f| *f > v)
            .min();
        Some((true, fix.map(|f| f.to_string())))
    }
}

/// The smallest version a comparator admits, when it has one.
fn lower_bound(c: Comparator) -> Option<Version> {
    if !matches!(
        c.op,
        Op::GreaterEq | Op::Caret | Op::Tilde | Op::Exact | Op::Wildcard
    ) {
        return None;
    }
    Some(Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre,
        build: Default::default(),
    })
}

/// A node-semver range (`>= 5.2.1 <= 6.0.0 || 1.2.3 - 1.4.0 || ~2.1`) as Cargo-syntax
/// alternatives. A bare version means exactly that version in node-semver (not Cargo's caret).
pub fn from_node_range(range: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for alt in range.split("||") {
        let alt = alt.trim();
        let cargo = if alt.is_empty() || alt == "*" || alt.eq_ignore_ascii_case("x") {
            "*".to_string()
        } else if let Some((lo, hi)) = alt.split_once(" - ") {
            format!(">={}, <={}", plain(lo), plain(hi))
        } else {
            node_comparators(alt).join(", ")
        };
        VersionReq::parse(&cargo)
            .map_err(|e| format!("unparsable version range {range:?}: {e}"))?;
        out.push(cargo);
    }
    Ok(out)
}

/// Comparators of one node-semver alternative, with operators joined to their versions
/// (`>= 1.2` is one comparator) and bare versions made exact.
fn node_comparators(alt: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_op: Option<&str> = None;
    for token in alt.split_whitespace() {
        if token.chars().all(|c| "<>=~^".contains(c)) {
            pending_op = Some(token);
            continue;
        }
        let (op, version) = match pending_op.take() {
            Some(op) => (op, token),
            None => {
                let split = token
                    .find(|c: char| !"<>=~^".contains(c))
                    .unwrap_or(token.len());
                token.split_at(split)
            }
        };
        let op = if op.is_empty() { "=" } else { op };
        out.push(format!("{op}{}", plain(version)));
    }
    out
}

/// A version as Cargo's parser takes it: no `v` prefix, `x` wildcards as `*`.
fn plain(v: &str) -> String {
    v.trim()
        .trim_start_matches(['v', '='])
        .split('.')
        .map(|p| if p == "x" || p == "X" { "*" } else { p })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(vulnerable: &str, patched: Option<&str>) -> Requirements {
        Requirements {
            vulnerable: from_node_range(vulnerable).unwrap(),
            safe: patched
                .map(|p| from_node_range(p).unwrap())
                .unwrap_or_default(),
        }
    }

    #[test]
    fn node_ranges_follow_node_semver() {
        let r = node(">= 5.2.1 <= 6.0.0 || >=6.0.0 <= 6.0.2", Some(">= 7.0.0"));
        assert_eq!(r.affects("5.2.1"), Some((true, Some("7.0.0".into()))));
        assert_eq!(r.affects("6.0.2").map(|x| x.0), Some(true));
        assert_eq!(r.affects("6.0.3").map(|x| x.0), Some(false));
        assert_eq!(r.affects("5.2.0").map(|x| x.0), Some(false));
        let r = node("<=4.17.15", Some(">=4.17.16"));
        assert_eq!(r.affects("4.17.15"), Some((true, Some("4.17.16".into()))));
        assert_eq!(r.affects("4.17.16").map(|x| x.0), Some(false));
        // A bare version is exact, not Cargo's caret.
        let r = node("1.2.3", None);
        assert_eq!(r.affects("1.2.3").map(|x| x.0), Some(true));
        assert_eq!(r.affects("1.2.4").map(|x| x.0), Some(false));
        let r = node("1.0.0 - 1.4.0 || 2.x", None);
        assert_eq!(r.affects("1.4.0").map(|x| x.0), Some(true));
        assert_eq!(r.affects("2.9.1").map(|x| x.0), Some(true));
        assert_eq!(r.affects("3.0.0").map(|x| x.0), Some(false));
        assert_eq!(node("*", None).affects("0.0.1").map(|x| x.0), Some(true));
        assert!(from_node_range(">= banana").is_err());
        assert_eq!(node("*", None).affects("not-a-version"), None);
    }

    #[test]
    fn rustsec_requirements_are_cargo_syntax() {
        let r = Requirements {
            vulnerable: vec![],
            safe: vec![">= 0.3.5".into(), "^0.2.9".into(), "< 0.1.0".into()],
        };
        assert!(r.validate().is_ok());
        assert_eq!(r.affects("0.3.4"), Some((true, Some("0.3.5".into()))));
        assert_eq!(r.affects("0.2.9").map(|x| x.0), Some(false));
        assert_eq!(r.affects("0.2.8"), Some((true, Some("0.2.9".into()))));
        assert_eq!(r.affects("0.0.9").map(|x| x.0), Some(false));
        let bad = Requirements {
            vulnerable: vec![],
            safe: vec![">= x.y".into()],
        };
        assert!(bad.validate().unwrap_err().contains(">= x.y"));
    }
}
