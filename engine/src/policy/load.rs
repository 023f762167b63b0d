//! Reading policy files (rulesets, organisation config) from YAML. A mistake yields one error
//! naming the file, the line and column, and the field path; nothing of the file is applied.

use crate::policy::PolicyError;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parse `text`, read from `file`, as a `T`.
pub fn from_yaml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, PolicyError> {
    let de = serde_norway::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = field_name(e.path());
        let inner = e.into_inner();
        let (line, column) = inner.location().map_or((0, 0), |l| (l.line(), l.column()));
        PolicyError::Malformed {
            file: file.to_string(),
            line,
            column,
            message: strip_field(&field, &strip_location(&inner.to_string())),
            field,
        }
    })
}

/// Without the field path the YAML parser puts before some messages (the error names it).
fn strip_field(field: &str, message: &str) -> String {
    match message.split_once(": ") {
        Some((head, rest)) if field.starts_with(head) => rest.to_string(),
        _ => message.to_string(),
    }
}

/// Parse `text`, read from `file`, as JSON of a `T`.
pub fn from_json<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, PolicyError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = field_name(e.path());
        let inner = e.into_inner();
        PolicyError::Malformed {
            file: file.to_string(),
            line: inner.line(),
            column: inner.column(),
            field,
            message: strip_location(&inner.to_string()),
        }
    })
}

fn field_name(path: &serde_path_to_error::Path) -> String {
    match path.to_string() {
        p if p == "." || p.is_empty() => "(document)".to_string(),
        p => p,
    }
}

/// Read and parse the YAML file at `path`.
pub fn from_file<T: DeserializeOwned>(path: &Path) -> Result<T, PolicyError> {
    let (file, text) = read(path)?;
    from_yaml(&file, &text)
}

/// The name errors use for `path`, and its text.
pub fn read(path: &Path) -> Result<(String, String), PolicyError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((file, text)),
        Err(error) => Err(PolicyError::Io { file, error }),
    }
}

/// The parser's message without its own "at line N column M" (the error says it once).
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
