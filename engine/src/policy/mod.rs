//! Policy: rulesets (thresholds, licence rules, ignores, actions), OpenVEX statements and
//! organisational units, and judging reports and stored summaries against them.

pub mod apply;
pub mod evaluate;
pub mod ignore;
pub mod license;
pub mod load;
pub mod org;
pub mod ruleset;
pub mod summary;
pub mod vex;

pub use apply::{apply, unapply};
pub use org::Organisation;
pub use ruleset::Ruleset;
pub use summary::StoredSummary;
pub use vex::VexDocument;

use std::time::SystemTime;

/// Where and when a policy is applied.
#[derive(Debug, Clone)]
pub struct Context {
    /// Environment (cluster) stamped on the report and every finding.
    pub environment: Option<String>,
    /// Organisational units the environment belongs to.
    pub units: Vec<String>,
    /// The time ignores' expiries are compared with.
    pub now: SystemTime,
}

impl Context {
    /// A context in `environment`, now.
    pub fn new(environment: Option<String>) -> Context {
        Context {
            environment,
            units: Vec::new(),
            now: SystemTime::now(),
        }
    }
}

/// A policy file that cannot be used; nothing of it is applied.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file does not parse, or a field has the wrong type or value.
    #[error("{file}:{line}:{column}: {field}: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column.
        column: usize,
        /// Path of the field (`thresholds[0].severity`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The file parses but says something impossible.
    #[error("{file}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong, with the place it is.
        message: String,
    },
    /// The file could not be read.
    #[error("{file}: {error}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        error: std::io::Error,
    },
}
