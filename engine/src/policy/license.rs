//! Licence policy: SPDX licences classified the way trivy and Google's licence classifier do
//! (forbidden, restricted, reciprocal, notice, unencumbered), allow and deny lists, and one
//! `Package` finding per package whose licence the ruleset gives a severity.

use crate::policy::ruleset::LicensePolicy;
use crate::report::{Category, Finding, Package, PackageRef, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use spdx::expression::{ExprNode, Operator};
use spdx::{Expression, LicenseItem, ParseMode};
use std::cmp::Ordering;

/// The rule id of licence findings; thresholds select them with `rule: license`.
pub const RULE: &str = "license";

/// How much a licence obliges or forbids, from most to least restrictive.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum LicenseClass {
    /// Named in the ruleset's deny list.
    Denied,
    /// Must not be shipped (network copyleft, non-commercial, source-available).
    Forbidden,
    /// Strong copyleft: shipping obliges releasing the source of the whole work.
    Restricted,
    /// Weak copyleft: changes to the licensed files must be released.
    Reciprocal,
    /// Permissive with attribution notices.
    Notice,
    /// Public-domain-like: no obligations.
    Unencumbered,
    /// Not in the table (a `LicenseRef-…` or a rare id).
    Unknown,
}

impl LicenseClass {
    /// The name rulesets and findings use.
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseClass::Denied => "denied",
            LicenseClass::Forbidden => "forbidden",
            LicenseClass::Restricted => "restricted",
            LicenseClass::Reciprocal => "reciprocal",
            LicenseClass::Notice => "notice",
            LicenseClass::Unencumbered => "unencumbered",
            LicenseClass::Unknown => "unknown",
        }
    }
}

// Base ids (without `-only`/`-or-later`), sorted case-insensitively for binary search. After
// trivy's pkg/licensing/category.go (its ids that are not on the SPDX list left out), plus
// SSPL-1.0 and BUSL-1.1 (source-available: forbidden), PSF-2.0, Unicode-3.0, MIT-0 and curl.
const CLASSES: &[(&str, LicenseClass)] = &[
    ("0BSD", LicenseClass::Unencumbered),
    ("AFL-1.1", LicenseClass::Notice),
    ("AFL-1.2", LicenseClass::Notice),
    ("AFL-2.0", LicenseClass::Notice),
    ("AFL-2.1", LicenseClass::Notice),
    ("AFL-3.0", LicenseClass::Notice),
    ("AGPL-1.0", LicenseClass::Forbidden),
    ("AGPL-3.0", LicenseClass::Forbidden),
    ("Apache-1.0", LicenseClass::Notice),
    ("Apache-1.1", LicenseClass::Notice),
    ("Apache-2.0", LicenseClass::Notice),
    ("APSL-1.0", LicenseClass::Reciprocal),
    ("APSL-1.1", LicenseClass::Reciprocal),
    ("APSL-1.2", LicenseClass::Reciprocal),
    ("APSL-2.0", LicenseClass::Reciprocal),
    ("Artistic-1.0", LicenseClass::Notice),
    ("Artistic-1.0-cl8", LicenseClass::Notice),
    ("Artistic-1.0-Perl", LicenseClass::Notice),
    ("Artistic-2.0", LicenseClass::Notice),
    ("BSD-2-Clause", LicenseClass::Notice),
    ("BSD-2-Clause-FreeBSD", LicenseClass::Notice),
    ("BSD-2-Clause-NetBSD", LicenseClass::Notice),
    ("BSD-3-Clause", LicenseClass::Notice),
    ("BSD-3-Clause-Attribution", LicenseClass::Notice),
    ("BSD-3-Clause-Clear", LicenseClass::Notice),
    ("BSD-3-Clause-LBNL", LicenseClass::Notice),
    ("BSD-4-Clause", LicenseClass::Notice),
    ("BSD-4-Clause-UC", LicenseClass::Notice),
    ("BSD-Protection", LicenseClass::Notice),
    ("BSL-1.0", LicenseClass::Notice),
    ("BUSL-1.1", LicenseClass::Forbidden),
    ("CC-BY-1.0", LicenseClass::Notice),
    ("CC-BY-2.0", LicenseClass::Notice),
    ("CC-BY-2.5", LicenseClass::Notice),
    ("CC-BY-3.0", LicenseClass::Notice),
    ("CC-BY-4.0", LicenseClass::Notice),
    ("CC-BY-NC-1.0", LicenseClass::Forbidden),
    ("CC-BY-NC-2.0", LicenseClass::Forbidden),
    ("CC-BY-NC-2.5", LicenseClass::Forbidden),
    ("CC-BY-NC-3.0", LicenseClass::Forbidden),
    ("CC-BY-NC-4.0", LicenseClass::Forbidden),
    ("CC-BY-NC-ND-1.0", LicenseClass::Forbidden),
    ("CC-BY-NC-ND-2.0", LicenseClass::Forbidden),
    ("CC-BY-NC-ND-2.5", LicenseClass::Forbidden),
    ("CC-BY-NC-ND-3.0", LicenseClass::Forbidden),
    ("CC-BY-NC-ND-4.0", LicenseClass::Forbidden),
    ("CC-BY-NC-SA-1.0", LicenseClass::Forbidden),
    ("CC-BY-NC-SA-2.0", LicenseClass::Forbidden),
    ("CC-BY-NC-SA-2.5", LicenseClass::Forbidden),
    ("CC-BY-NC-SA-3.0", LicenseClass::Forbidden),
    ("CC-BY-NC-SA-4.0", LicenseClass::Forbidden),
    ("CC-BY-ND-1.0", LicenseClass::Restricted),
    ("CC-BY-ND-2.0", LicenseClass::Restricted),
    ("CC-BY-ND-2.5", LicenseClass::Restricted),
    ("CC-BY-ND-3.0", LicenseClass::Restricted),
    ("CC-BY-ND-4.0", LicenseClass::Restricted),
    ("CC-BY-SA-1.0", LicenseClass::Restricted),
    ("CC-BY-SA-2.0", LicenseClass::Restricted),
    ("CC-BY-SA-2.5", LicenseClass::Restricted),
    ("CC-BY-SA-3.0", LicenseClass::Restricted),
    ("CC-BY-SA-4.0", LicenseClass::Restricted),
    ("CC0-1.0", LicenseClass::Unencumbered),
    ("CDDL-1.0", LicenseClass::Reciprocal),
    ("CDDL-1.1", LicenseClass::Reciprocal),
    ("CPL-1.0", LicenseClass::Reciprocal),
    ("curl", LicenseClass::Notice),
    ("EPL-1.0", LicenseClass::Reciprocal),
    ("EPL-2.0", LicenseClass::Reciprocal),
    ("FreeImage", LicenseClass::Reciprocal),
    ("FTL", LicenseClass::Notice),
    ("GPL-1.0", LicenseClass::Restricted),
    ("GPL-2.0", LicenseClass::Restricted),
    ("GPL-3.0", LicenseClass::Restricted),
    ("HPND", LicenseClass::Notice),
    ("ImageMagick", LicenseClass::Notice),
    ("IPL-1.0", LicenseClass::Reciprocal),
    ("ISC", LicenseClass::Notice),
    ("LGPL-2.0", LicenseClass::Restricted),
    ("LGPL-2.1", LicenseClass::Restricted),
    ("LGPL-3.0", LicenseClass::Restricted),
    ("LPL-1.0", LicenseClass::Notice),
    ("LPL-1.02", LicenseClass::Notice),
    ("MIT", LicenseClass::Notice),
    ("MIT-0", LicenseClass::Unencumbered),
    ("MPL-1.0", LicenseClass::Reciprocal),
    ("MPL-1.1", LicenseClass::Reciprocal),
    ("MPL-2.0", LicenseClass::Reciprocal),
    ("MS-PL", LicenseClass::Notice),
    ("NCSA", LicenseClass::Notice),
    ("NPL-1.0", LicenseClass::Restricted),
    ("NPL-1.1", LicenseClass::Restricted),
    ("OpenSSL", LicenseClass::Notice),
    ("OSL-1.0", LicenseClass::Restricted),
    ("OSL-1.1", LicenseClass::Restricted),
    ("OSL-2.0", LicenseClass::Restricted),
    ("OSL-2.1", LicenseClass::Restricted),
    ("OSL-3.0", LicenseClass::Restricted),
    ("PHP-3.0", LicenseClass::Notice),
    ("PHP-3.01", LicenseClass::Notice),
    ("PostgreSQL", LicenseClass::Notice),
    ("PSF-2.0", LicenseClass::Notice),
    ("Python-2.0", LicenseClass::Notice),
    ("QPL-1.0", LicenseClass::Restricted),
    ("Ruby", LicenseClass::Reciprocal),
    ("SGI-B-1.0", LicenseClass::Notice),
    ("SGI-B-1.1", LicenseClass::Notice),
    ("SGI-B-2.0", LicenseClass::Notice),
    ("Sleepycat", LicenseClass::Restricted),
    ("SSPL-1.0", LicenseClass::Forbidden),
    ("Unicode-3.0", LicenseClass::Notice),
    ("Unicode-DFS-2015", LicenseClass::Notice),
    ("Unicode-DFS-2016", LicenseClass::Notice),
    ("Unicode-TOU", LicenseClass::Notice),
    ("Unlicense", LicenseClass::Unencumbered),
    ("UPL-1.0", LicenseClass::Notice),
    ("W3C", LicenseClass::Notice),
    ("W3C-19980720", LicenseClass::Notice),
    ("W3C-20150513", LicenseClass::Notice),
    ("WTFPL", LicenseClass::Forbidden),
    ("X11", LicenseClass::Notice),
    ("Xnet", LicenseClass::Notice),
    ("Zend-2.0", LicenseClass::Notice),
    ("Zlib", LicenseClass::Notice),
    ("zlib-acknowledgement", LicenseClass::Notice),
    ("ZPL-1.1", LicenseClass::Notice),
    ("ZPL-2.0", LicenseClass::Notice),
    ("ZPL-2.1", LicenseClass::Notice),
];

fn lowercase(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes().map(|b| b.to_ascii_lowercase())
}

/// An id without the `-only`/`-or-later`/`+` suffix that GNU licences carry.
fn base_id(id: &str) -> &str {
    ["-or-later", "-only", "+"]
        .iter()
        .find_map(|suffix| id.strip_suffix(suffix))
        .unwrap_or(id)
}

/// The class of one licence id (any GNU suffix ignored); `Unknown` when not in the table.
pub fn classify(id: &str) -> LicenseClass {
    let base = base_id(id);
    CLASSES
        .binary_search_by(|(k, _)| lowercase(k).cmp(lowercase(base)))
        .map_or(LicenseClass::Unknown, |i| CLASSES[i].1)
}

/// How one licence term (or a whole expression) is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Judgement {
    /// Allowed outright by the allow list.
    allowed: bool,
    class: LicenseClass,
    /// The licence that decided it.
    id: String,
}

impl Judgement {
    /// Orders judgements from the most lenient to the most severe.
    fn severity_order(&self, o: &Judgement) -> Ordering {
        o.allowed.cmp(&self.allowed).then(o.class.cmp(&self.class))
    }
}

fn listed(list: &[String], id: &str) -> bool {
    let base = base_id(id);
    list.iter()
        .any(|l| l.eq_ignore_ascii_case(id) || base_id(l).eq_ignore_ascii_case(base))
}

fn judge_id(policy: &LicensePolicy, id: &str) -> Judgement {
    let class = if listed(&policy.deny, id) {
        LicenseClass::Denied
    } else {
        classify(id)
    };
    Judgement {
        allowed: class != LicenseClass::Denied && listed(&policy.allow, id),
        class,
        id: id.to_string(),
    }
}

/// The judgement of a licence expression: under `OR` the licensee picks the most lenient
/// choice, under `AND` every term applies, so the most severe decides.
fn judge(policy: &LicensePolicy, expression: &str) -> Judgement {
    let Ok(parsed) = Expression::parse_mode(expression, ParseMode::LAX) else {
        return judge_id(policy, expression);
    };
    let mut stack: Vec<Judgement> = Vec::new();
    for node in parsed.iter() {
        match node {
            ExprNode::Req(r) => {
                let id = match &r.req.license {
                    LicenseItem::Spdx { id, .. } => id.name.to_string(),
                    LicenseItem::Other(other) => format!("LicenseRef-{}", other.lic_ref),
                };
                stack.push(judge_id(policy, &id));
            }
            ExprNode::Op(op) => {
                let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                    // A parsed expression is well formed: every operator has two operands.
                    continue;
                };
                let worse = a.severity_order(&b) == Ordering::Less;
                let pick_a = match op {
                    Operator::And => !worse,
                    Operator::Or => worse,
                };
                stack.push(if pick_a { a } else { b });
            }
        }
    }
    stack.pop().unwrap_or_else(|| judge_id(policy, expression))
}

/// One `Package` finding per package licence the ruleset gives a severity.
pub fn findings(policy: &LicensePolicy, packages: &[Package]) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in packages {
        for expression in &p.licenses {
            let j = judge(policy, expression);
            if j.allowed {
                continue;
            }
            let Some(severity) = policy.severity_of(j.class) else {
                continue;
            };
            out.push(finding(p, expression, &j, severity));
        }
    }
    out
}

fn finding(p: &Package, expression: &str, j: &Judgement, severity: Severity) -> Finding {
    let path = p.path.as_deref().unwrap_or("");
    let key = format!(
        "Package\0{RULE}\0{}\0{}\0{path}\0{expression}",
        p.name, p.version
    );
    let description = match j.class {
        LicenseClass::Denied => format!(
            "{} {} is licensed under {expression}; the ruleset denies {}.",
            p.name, p.version, j.id
        ),
        class => format!(
            "{} {} is licensed under {expression}; {} is a {} licence.",
            p.name,
            p.version,
            j.id,
            class.as_str()
        ),
    };
    let mut f = Finding::new(
        hex::encode(&Sha256::digest(key.as_bytes())[..8]),
        Category::Package,
        j.id.clone(),
        severity,
    );
    f.description = Some(description);
    f.rule_id = Some(format!("{RULE}:{}", j.class.as_str()));
    f.package = Some(PackageRef {
        name: p.name.clone(),
        version: p.version.clone(),
        kind: Some(p.kind.clone()),
        purl: p.purl.clone(),
    });
    f.path = p.path.clone();
    f.layer = p.layer.clone();
    f.evidence = Some(expression.to_string());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_names_real_spdx_licences() {
        for w in CLASSES.windows(2) {
            assert_eq!(
                lowercase(w[0].0).cmp(lowercase(w[1].0)),
                Ordering::Less,
                "{} before {}",
                w[0].0,
                w[1].0
            );
        }
        let unknown: Vec<&str> = CLASSES
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| {
                spdx::license_id(id)
                    .or_else(|| spdx::license_id(&format!("{id}-only")))
                    .is_none()
            })
            .collect();
        assert!(unknown.is_empty(), "not SPDX licence ids: {unknown:?}");
    }

    #[test]
    fn expressions_take_the_lenient_choice_and_every_obligation() {
        let policy = LicensePolicy::default();
        let cases = [
            ("MIT", LicenseClass::Notice, "MIT"),
            (
                "GPL-2.0-or-later",
                LicenseClass::Restricted,
                "GPL-2.0-or-later",
            ),
            ("GPL-2.0+", LicenseClass::Restricted, "GPL-2.0-or-later"),
            ("MIT OR GPL-3.0-only", LicenseClass::Notice, "MIT"),
            (
                "MIT AND AGPL-3.0-only",
                LicenseClass::Forbidden,
                "AGPL-3.0-only",
            ),
            (
                "(MIT OR AGPL-3.0-only) AND MPL-2.0",
                LicenseClass::Reciprocal,
                "MPL-2.0",
            ),
            (
                "LicenseRef-custom",
                LicenseClass::Unknown,
                "LicenseRef-custom",
            ),
            ("CC0-1.0", LicenseClass::Unencumbered, "CC0-1.0"),
            (
                "not an expression (at all)",
                LicenseClass::Unknown,
                "not an expression (at all)",
            ),
        ];
        for (expression, class, id) in cases {
            let j = judge(&policy, expression);
            assert_eq!((j.class, j.id.as_str()), (class, id), "{expression}");
        }
    }
}
