//! Rulesets: what an image must satisfy. The same types are the spec of the `ImagePolicy`
//! custom resource, so they derive a JSON Schema and know nothing of Kubernetes.

use crate::policy::ignore::Ignore;
use crate::policy::license::LicenseClass;
use crate::report::{Action, Category, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The built-in ruleset, applied when none is given (its comments say what it fails on).
pub const DEFAULT_YAML: &str = include_str!("../../rules/default.yaml");

/// Where the built-in ruleset's text comes from, for error messages.
pub const DEFAULT_NAME: &str = "engine/rules/default.yaml (built in)";

/// A named set of thresholds, licence rules, ignores and actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ruleset {
    /// Name stamped on findings and verdicts.
    pub name: String,
    /// What the ruleset is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Limits on counts of findings; going over one fails the image.
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// Which licences are reported and how severely.
    #[serde(default)]
    pub licenses: LicensePolicy,
    /// Findings accepted for a reason, until an expiry.
    #[serde(default)]
    pub ignores: Vec<Ignore>,
    /// What the admission webhook does with compliant, non-compliant and unscanned images.
    #[serde(default)]
    pub actions: Actions,
}

/// "More than `max` findings of this kind fail the image."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Threshold {
    /// Category counted; every category but `ImageScan` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Lowest severity counted (`high` counts high and critical); every severity when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Count only findings whose rule id starts with this (`license` for licence findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Count only findings with a fixed version available.
    #[serde(default)]
    pub fixed_only: bool,
    /// Most findings allowed.
    pub max: u64,
}

impl Threshold {
    /// Whether a finding of this kind counts against the threshold.
    pub fn counts(
        &self,
        category: Category,
        severity: Severity,
        rule_id: Option<&str>,
        fixed: bool,
    ) -> bool {
        let category_ok = match self.category {
            Some(c) => c == category,
            None => category != Category::ImageScan,
        };
        // Severities order most severe first, so "at least" is "not after".
        category_ok
            && self.severity.is_none_or(|s| severity <= s)
            && self
                .rule
                .as_deref()
                .is_none_or(|r| rule_id.is_some_and(|id| id.starts_with(r)))
            && (!self.fixed_only || fixed)
    }
}

/// Licence rules: allow and deny lists, and the severity of each licence class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LicensePolicy {
    /// SPDX ids never reported (`GPL-2.0` also allows `GPL-2.0-only` and `-or-later`).
    pub allow: Vec<String>,
    /// SPDX ids always reported, with the `denied` severity.
    pub deny: Vec<String>,
    /// Severity per licence class; `null` reports nothing for that class.
    pub severities: LicenseSeverities,
}

impl LicensePolicy {
    /// The severity a licence of `class` is reported with; `None`: not reported.
    pub fn severity_of(&self, class: LicenseClass) -> Option<Severity> {
        let s = &self.severities;
        match class {
            LicenseClass::Denied => s.denied,
            LicenseClass::Forbidden => s.forbidden,
            LicenseClass::Restricted => s.restricted,
            LicenseClass::Reciprocal => s.reciprocal,
            LicenseClass::Notice => s.notice,
            LicenseClass::Unencumbered => s.unencumbered,
            LicenseClass::Unknown => s.unknown,
        }
    }
}

/// Severity of each licence class (trivy's mapping by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LicenseSeverities {
    /// Licences on the deny list.
    pub denied: Option<Severity>,
    /// AGPL, non-commercial Creative Commons, SSPL, …
    pub forbidden: Option<Severity>,
    /// GPL, LGPL, CC-BY-SA, …
    pub restricted: Option<Severity>,
    /// MPL, EPL, CDDL, …
    pub reciprocal: Option<Severity>,
    /// MIT, BSD, Apache-2.0, …
    pub notice: Option<Severity>,
    /// CC0, Unlicense, 0BSD.
    pub unencumbered: Option<Severity>,
    /// Anything not in the classification table.
    pub unknown: Option<Severity>,
}

impl Default for LicenseSeverities {
    fn default() -> Self {
        LicenseSeverities {
            denied: Some(Severity::Critical),
            forbidden: Some(Severity::Critical),
            restricted: Some(Severity::High),
            reciprocal: Some(Severity::Medium),
            notice: Some(Severity::Low),
            unencumbered: None,
            unknown: Some(Severity::Unknown),
        }
    }
}

/// What the admission webhook does, by the image's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Actions {
    /// The image passed every threshold.
    pub compliant: Action,
    /// The image went over a threshold.
    pub non_compliant: Action,
    /// The image has no complete scan (not scanned yet, too large, unsupported, failed).
    pub unscanned: Action,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            compliant: Action::Allow,
            non_compliant: Action::Deny,
            unscanned: Action::Deny,
        }
    }
}

impl Ruleset {
    /// The built-in ruleset.
    pub fn builtin() -> Ruleset {
        // The built-in text is checked by a unit test; a failure here is a build defect.
        crate::policy::load::from_yaml(DEFAULT_NAME, DEFAULT_YAML)
            .unwrap_or_else(|e| panic!("built-in ruleset: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyError;
    use crate::policy::load::from_yaml;

    #[test]
    fn the_builtin_ruleset_loads_and_fails_on_what_its_comments_say() {
        let r = Ruleset::builtin();
        assert_eq!(r.name, "default");
        assert_eq!(r.actions, Actions::default());
        let critical_fixed_cve = r.thresholds.iter().any(|t| {
            t.max == 0
                && t.fixed_only
                && t.counts(Category::Cve, Severity::Critical, Some("GHSA-1"), true)
        });
        assert!(critical_fixed_cve);
        for c in [
            Category::MaliciousFile,
            Category::MaliciousURL,
            Category::MaliciousIP,
        ] {
            assert!(
                r.thresholds
                    .iter()
                    .any(|t| t.max == 0 && t.counts(c, Severity::Low, None, false)),
                "{c:?}"
            );
        }
    }

    /// One case per kind of mistake: (file text, line, field, words of the message).
    #[test]
    fn a_malformed_ruleset_names_file_line_and_field() {
        let cases: &[(&str, usize, &str, &str)] = &[
            (
                "name: x\nthreshold: []\n",
                2,
                "threshold",
                "unknown field `threshold`",
            ),
            (
                "name: x\nthresholds:\n  - max: ten\n",
                3,
                "thresholds[0].max",
                "invalid type: string \"ten\"",
            ),
            (
                "name: x\nthresholds:\n  - max: -1\n",
                3,
                "thresholds[0].max",
                "expected u64",
            ),
            (
                "name: x\nthresholds:\n  - severity: severe\n    max: 0\n",
                3,
                "thresholds[0].severity",
                "unknown variant `severe`",
            ),
            (
                "name: x\nthresholds:\n  - category: CVEs\n    max: 0\n",
                3,
                "thresholds[0].category",
                "unknown variant `CVEs`",
            ),
            (
                "name: x\nignores:\n  - id: CVE-1\n",
                3,
                "ignores[0]",
                "missing field `reason`",
            ),
            (
                "name: x\nignores:\n  - id: CVE-1\n    reason: r\n    expires: next week\n",
                5,
                "ignores[0].expires",
                "invalid expiry `next week`",
            ),
            (
                "name: x\nactions:\n  nonCompliant: block\n",
                3,
                "actions.nonCompliant",
                "unknown variant `block`",
            ),
            (
                "name: x\nlicenses:\n  severities:\n    forbiden: high\n",
                4,
                "licenses.severities.forbiden",
                "unknown field `forbiden`",
            ),
            (
                "name: x\nthresholds: [\n",
                3,
                "thresholds",
                "did not find expected node",
            ),
            ("thresholds: []\n", 1, "(document)", "missing field `name`"),
        ];
        for (text, line, field, words) in cases {
            let e = from_yaml::<Ruleset>("rules/strict.yaml", text).unwrap_err();
            let PolicyError::Malformed {
                file,
                line: l,
                field: f,
                message,
                ..
            } = &e
            else {
                panic!("{text}: {e}");
            };
            assert_eq!(
                (file.as_str(), *l, f.as_str()),
                ("rules/strict.yaml", *line, *field),
                "{text}"
            );
            assert!(message.contains(words), "{text}: {message}");
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("rules/strict.yaml:{line}:")) && shown.contains(field),
                "{shown}"
            );
        }
    }

    #[test]
    fn a_ruleset_file_that_cannot_be_read_is_named() {
        let e =
            crate::policy::load::from_file::<Ruleset>(std::path::Path::new("/no/such/rules.yaml"))
                .unwrap_err();
        assert!(e.to_string().starts_with("/no/such/rules.yaml: "), "{e}");
    }

    #[test]
    fn the_json_schema_accepts_what_serde_accepts_and_rejects_what_it_rejects() {
        let schema = serde_json::to_value(schemars::schema_for!(Ruleset)).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let builtin = serde_json::to_value(Ruleset::builtin()).unwrap();
        assert!(validator.is_valid(&builtin), "{builtin}");
        let mut wrong = builtin.clone();
        wrong["thresholds"][0]["severity"] = "severe".into();
        assert!(!validator.is_valid(&wrong));
        assert!(serde_json::from_value::<Ruleset>(wrong).is_err());
        let mut expiry = builtin;
        expiry["ignores"] =
            serde_json::json!([{"id": "CVE-1", "reason": "r", "expires": "2030-01-01"}]);
        assert!(validator.is_valid(&expiry));
        assert!(serde_json::from_value::<Ruleset>(expiry).is_ok());
    }
}
