//! Errors of loading and compiling secret rules. They name the rule file and the rule, never a
//! secret: rules hold patterns, not values found in images.

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("{file}: {error}")]
    Io {
        /// The rule file.
        file: String,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The file is not valid TOML, has unknown keys, or states something invalid.
    #[error("{file}: {message}")]
    Invalid {
        /// The rule file.
        file: String,
        /// The problem, naming the rule when there is one.
        message: String,
    },
}

impl RuleError {
    /// A [`RuleError::Invalid`] for `file`.
    pub fn invalid(file: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError::Invalid {
            file: file.into(),
            message: message.into(),
        }
    }
}
