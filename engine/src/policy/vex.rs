//! OpenVEX: statements from a product's maintainers that a vulnerability does not affect it.
//! A `not_affected` statement with a justification (or impact statement), or a `fixed` one,
//! suppresses the matching finding; the last statement about a finding wins, in the order
//! documents were given and statements written.

use crate::policy::PolicyError;
use crate::report::{SuppressedBy, Suppression};
use packageurl::PackageUrl;
use serde::Deserialize;
use std::path::Path;

/// A parsed OpenVEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    /// Where it came from (file name or `@id`).
    pub name: String,
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    vulnerabilities: Vec<String>,
    products: Vec<Product>,
    status: Status,
    why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Product {
    id: String,
    subcomponents: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

// The wire form: OpenVEX 0.2 objects, and the 0.0.x strings some tools still write.
#[derive(Deserialize)]
struct RawDocument {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    statements: Vec<RawStatement>,
}

#[derive(Deserialize)]
struct RawStatement {
    vulnerability: RawVulnerability,
    #[serde(default)]
    products: Vec<RawProduct>,
    #[serde(default)]
    subcomponents: Vec<RawComponent>,
    status: Status,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    status_notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawVulnerability {
    Name(String),
    Object {
        #[serde(default)]
        name: Option<String>,
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawProduct {
    Id(String),
    Object {
        #[serde(rename = "@id")]
        id: String,
        #[serde(default)]
        subcomponents: Vec<RawComponent>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawComponent {
    Id(String),
    Object {
        #[serde(rename = "@id")]
        id: String,
    },
}

impl RawComponent {
    fn into_id(self) -> String {
        match self {
            RawComponent::Id(id) | RawComponent::Object { id } => id,
        }
    }
}

impl VexDocument {
    /// Parse an OpenVEX JSON document read from `file`.
    pub fn from_json(file: &str, text: &str) -> Result<VexDocument, PolicyError> {
        let raw: RawDocument = crate::policy::load::from_json(file, text)?;
        let mut statements = Vec::with_capacity(raw.statements.len());
        for (i, s) in raw.statements.into_iter().enumerate() {
            let vulnerabilities = match s.vulnerability {
                RawVulnerability::Name(n) => vec![n],
                RawVulnerability::Object { name, id, aliases } => {
                    name.into_iter().chain(id).chain(aliases).collect()
                }
            };
            let invalid = |message: &str| PolicyError::Invalid {
                file: file.to_string(),
                message: format!("statements[{i}]: {message}"),
            };
            if vulnerabilities.is_empty() {
                return Err(invalid("the vulnerability has no name"));
            }
            let shared: Vec<String> = s
                .subcomponents
                .into_iter()
                .map(RawComponent::into_id)
                .collect();
            let products: Vec<Product> = s
                .products
                .into_iter()
                .map(|p| match p {
                    RawProduct::Id(id) => Product {
                        id,
                        subcomponents: shared.clone(),
                    },
                    RawProduct::Object { id, subcomponents } => Product {
                        id,
                        subcomponents: subcomponents
                            .into_iter()
                            .map(RawComponent::into_id)
                            .collect(),
                    },
                })
                .collect();
            if products.is_empty() {
                return Err(invalid(
                    "no products: a statement must name what it is about",
                ));
            }
            let why = match (&s.justification, &s.impact_statement) {
                (Some(j), Some(i)) => format!("{j}: {i}"),
                (Some(j), None) => j.clone(),
                (None, Some(i)) => i.clone(),
                (None, None) if s.status == Status::NotAffected => {
                    return Err(invalid(
                        "not_affected needs a justification or an impact_statement",
                    ));
                }
                (None, None) => s.status_notes.clone().unwrap_or_default(),
            };
            statements.push(Statement {
                vulnerabilities,
                products,
                status: s.status,
                why,
            });
        }
        Ok(VexDocument {
            name: raw.id.unwrap_or_else(|| file.to_string()),
            statements,
        })
    }

    /// Read and parse the OpenVEX JSON file at `path`.
    pub fn load(path: &Path) -> Result<VexDocument, PolicyError> {
        let (file, text) = crate::policy::load::read(path)?;
        VexDocument::from_json(&file, &text)
    }
}

/// What a VEX statement is matched against.
pub struct Subject<'a> {
    /// Every id of the vulnerability (title, rule id, aliases).
    pub ids: &'a [&'a str],
    /// The package's purl.
    pub purl: Option<&'a str>,
    /// The image's manifest digest.
    pub digest: &'a str,
    /// The image's reference.
    pub reference: &'a str,
}

/// The suppression the documents give `subject`, if the last statement about it is
/// `not_affected` or `fixed`.
pub fn suppression(docs: &[VexDocument], subject: &Subject<'_>) -> Option<Suppression> {
    let (doc, statement) = docs
        .iter()
        .flat_map(|d| d.statements.iter().map(move |s| (d, s)))
        .rfind(|(_, s)| applies(s, subject))?;
    let status = match statement.status {
        Status::NotAffected => "not_affected",
        Status::Fixed => "fixed",
        Status::Affected | Status::UnderInvestigation => return None,
    };
    Some(Suppression {
        by: SuppressedBy::Vex,
        reason: format!("{status} ({}) per {}", statement.why, doc.name),
        expires: None,
        expired: false,
    })
}

fn applies(s: &Statement, subject: &Subject<'_>) -> bool {
    let named = s
        .vulnerabilities
        .iter()
        .any(|v| subject.ids.iter().any(|id| v.eq_ignore_ascii_case(id)));
    named
        && s.products.iter().any(|p| {
            let package = |id: &str| subject.purl.is_some_and(|purl| same_package(id, purl));
            package(&p.id)
                || (is_image(&p.id, subject)
                    && (p.subcomponents.is_empty() || p.subcomponents.iter().any(|c| package(c))))
        })
}

/// Whether a product id names the image: its digest (also inside a `pkg:oci` purl, where the
/// colon is escaped) or its reference.
fn is_image(id: &str, subject: &Subject<'_>) -> bool {
    let hex = subject
        .digest
        .strip_prefix("sha256:")
        .unwrap_or(subject.digest);
    id == subject.reference || (!hex.is_empty() && id.contains(hex))
}

/// Purls name the same package when type, namespace and name agree, and the statement's
/// version (when it gives one) is the package's. Qualifiers (arch, distro) are left out.
fn same_package(statement: &str, package: &str) -> bool {
    match (
        statement.parse::<PackageUrl>(),
        package.parse::<PackageUrl>(),
    ) {
        (Ok(s), Ok(p)) => {
            s.ty() == p.ty()
                && s.namespace() == p.namespace()
                && s.name() == p.name()
                && s.version().is_none_or(|v| Some(v) == p.version())
        }
        _ => statement == package,
    }
}
