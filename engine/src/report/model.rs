//! Report v1 (DESIGN §5): stable; fields are only ever added.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema identifier every report carries.
pub const SCHEMA: &str = "assure.report/v1";

/// How far a scan got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every layer was read and analysed.
    Scanned,
    /// Some analysis could not complete; findings may be missing.
    Partial,
    /// The image is over a configured limit and was not scanned.
    TooLarge,
    /// The image is of a kind that cannot be scanned.
    Unsupported,
    /// The scan failed; `message` says why.
    Failed,
}

/// A complete scan report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// How far the scan got.
    pub status: Status,
    /// Why the status is not `scanned`, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What was scanned.
    pub image: ImageInfo,
    /// The cluster (environment) the image belongs to.
    pub environment: Option<String>,
    /// The vulnerability database used.
    pub database: Option<Database>,
    /// Installed packages.
    pub packages: Vec<Package>,
    /// Findings of every category.
    pub findings: Vec<Finding>,
    /// Counts of findings.
    pub summary: Summary,
    /// The policy's verdict.
    pub verdict: Verdict,
    /// Findings an ignore or a VEX statement suppresses: kept so they stay visible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Finding>,
    /// Organisational units the environment belonged to when the policy was applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// Things the user should know about how the scan went (files over the read limit, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Identity and shape of the scanned image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The reference as given.
    pub reference: String,
    /// Manifest digest (for a docker-archive, which has no manifest: the image ID).
    pub digest: String,
    /// Image ID: the config digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// Operating system found in the image.
    pub os: Option<Os>,
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
}

/// The image's operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Os {
    /// `debian`, `alpine`, `rhel`, …
    pub family: String,
    /// `12`, `3.19.1`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `bookworm`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Blob digest.
    pub digest: String,
    /// Uncompressed digest.
    pub diff_id: String,
    /// Blob size in bytes.
    pub size: u64,
}

/// The vulnerability database a report was matched against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// Version identifier.
    pub version: String,
    /// When it was last updated (RFC 3339).
    pub updated_at: String,
}

/// An installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Name as the ecosystem spells it.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Ecosystem: deb, apk, rpm, pypi, npm, golang, cargo, maven, gem, composer, nuget.
    #[serde(rename = "type")]
    pub kind: String,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// SPDX licence expressions.
    #[serde(default)]
    pub licenses: Vec<String>,
    /// Source package name (OS packages: what advisories are keyed by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version, when the ecosystem has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Architecture, for OS packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The layer that added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Where it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ImageInfo {
    /// An image known by its reference and digest only, before its layers are read.
    pub fn new(reference: impl Into<String>, digest: impl Into<String>) -> ImageInfo {
        ImageInfo {
            reference: reference.into(),
            digest: digest.into(),
            id: None,
            platform: None,
            os: None,
            layers: Vec::new(),
        }
    }
}

impl Package {
    /// A package of ecosystem `kind` with nothing else known yet.
    pub fn new(kind: &str, name: impl Into<String>, version: impl Into<String>) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            kind: kind.to_string(),
            purl: None,
            licenses: Vec::new(),
            source_name: None,
            source_version: None,
            arch: None,
            layer: None,
            path: None,
        }
    }
}

/// Finding categories (MISSION: all required).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Category {
    /// A known vulnerability in an installed package.
    #[serde(rename = "CVE")]
    Cve,
    /// A URL known to be malicious.
    MaliciousURL,
    /// An IP address known to be malicious.
    MaliciousIP,
    /// Malware.
    MaliciousFile,
    /// Insecure code or configuration.
    InsecureCode,
    /// Leaked credentials.
    InsecureContent,
    /// The image fails the policy's threshold.
    ImageScan,
    /// Package licence and information.
    Package,
}

/// Severities, most severe first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Critical.
    Critical,
    /// High.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
    /// Negligible.
    Negligible,
    /// Not rated.
    Unknown,
}

/// The package a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRef {
    /// Name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Ecosystem.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Package URL, which VEX statements name products by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable hash of what the finding is about.
    pub id: String,
    /// Category.
    pub category: Category,
    /// CVE id, image name, rule id or indicator.
    pub title: String,
    /// The problem in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// Environment (cluster).
    pub environment: Option<String>,
    /// Ruleset that produced or judged it.
    pub ruleset: Option<String>,
    /// Rule id.
    pub rule_id: Option<String>,
    /// Package concerned.
    pub package: Option<PackageRef>,
    /// First fixed version.
    pub fixed_version: Option<String>,
    /// File path in the image.
    pub path: Option<String>,
    /// Layer concerned.
    pub layer: Option<String>,
    /// Redacted evidence; never a whole secret.
    pub evidence: Option<String>,
    /// The CVSS vector the severity was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// Other identifiers.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Links.
    #[serde(default)]
    pub references: Vec<String>,
    /// Set when the vulnerability is known to be exploited in the wild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploited: Option<KnownExploited>,
    /// The ignore or VEX statement that suppresses it, or an ignore that has expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

impl Finding {
    /// A finding with only its identity, category, title and severity filled in.
    pub fn new(
        id: impl Into<String>,
        category: Category,
        title: impl Into<String>,
        severity: Severity,
    ) -> Finding {
        Finding {
            id: id.into(),
            category,
            title: title.into(),
            description: None,
            severity,
            environment: None,
            ruleset: None,
            rule_id: None,
            package: None,
            fixed_version: None,
            path: None,
            layer: None,
            evidence: None,
            cvss: None,
            aliases: Vec::new(),
            references: Vec::new(),
            exploited: None,
            suppression: None,
        }
    }
}

/// Evidence that a vulnerability is exploited in the wild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownExploited {
    /// Who says so (`CISA KEV`).
    pub source: String,
    /// Since when (the catalog's date added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_added: Option<String>,
    /// Whether it is known to be used in ransomware campaigns.
    #[serde(default)]
    pub ransomware: bool,
}

/// What suppresses a finding (or did, until its ignore expired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// An ignore of the ruleset or a VEX statement.
    pub by: SuppressedBy,
    /// Why, as the ignore or statement gives it.
    pub reason: String,
    /// When the ignore stops applying (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The ignore has expired: the finding counts again.
    #[serde(default)]
    pub expired: bool,
}

/// The kind of statement that suppresses a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressedBy {
    /// An ignore entry of the ruleset.
    Ignore,
    /// An OpenVEX statement.
    Vex,
}

/// What the admission webhook does with an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Admit the pod.
    Allow,
    /// Admit the pod with a warning.
    Warn,
    /// Refuse the pod.
    Deny,
}

/// A CVSS vector and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// The vector as published.
    pub vector: String,
    /// Its base score.
    pub score: f64,
}

/// Counts of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// By severity.
    pub by_severity: BTreeMap<Severity, u64>,
    /// By category.
    pub by_category: BTreeMap<Category, u64>,
}

impl Category {
    /// Every category, in the order of the report schema.
    pub const ALL: [Category; 8] = [
        Category::Cve,
        Category::MaliciousURL,
        Category::MaliciousIP,
        Category::MaliciousFile,
        Category::InsecureCode,
        Category::InsecureContent,
        Category::ImageScan,
        Category::Package,
    ];

    /// The name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Cve => "CVE",
            Category::MaliciousURL => "MaliciousURL",
            Category::MaliciousIP => "MaliciousIP",
            Category::MaliciousFile => "MaliciousFile",
            Category::InsecureCode => "InsecureCode",
            Category::InsecureContent => "InsecureContent",
            Category::ImageScan => "ImageScan",
            Category::Package => "Package",
        }
    }
}

impl Severity {
    /// The name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Negligible => "negligible",
            Severity::Unknown => "unknown",
        }
    }
}

impl Summary {
    /// Count `findings`.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            *s.by_severity.entry(f.severity).or_default() += 1;
            *s.by_category.entry(f.category).or_default() += 1;
        }
        s
    }
}

/// The policy verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Ruleset applied.
    pub ruleset: String,
    /// Whether the image passed.
    pub passed: bool,
    /// What failed, in plain words.
    #[serde(default)]
    pub violations: Vec<String>,
    /// What the ruleset says to do with the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

impl Report {
    /// A report with no packages or findings yet.
    pub fn new(status: Status, image: ImageInfo) -> Report {
        Report {
            schema: SCHEMA.to_string(),
            status,
            message: None,
            image,
            environment: None,
            database: None,
            packages: Vec::new(),
            findings: Vec::new(),
            summary: Summary::default(),
            verdict: Verdict {
                ruleset: "default".into(),
                passed: true,
                violations: Vec::new(),
                action: None,
            },
            suppressed: Vec::new(),
            units: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain structs with string keys cannot fail.
        serde_json::to_string_pretty(self).expect("report serialises")
    }
}
