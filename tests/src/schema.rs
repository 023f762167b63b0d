//! Validating outputs against the JSON Schemas in `../shared/schemas`, offline: references to
//! sibling schemas (CycloneDX → spdx.schema.json, jsf) are served from the same folder.

use crate::data::repo_root;
use serde_json::Value;
use std::path::PathBuf;

/// Serves `$ref`s by file name from one directory.
struct Siblings(PathBuf);

impl jsonschema::Retrieve for Siblings {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(self.0.join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// The schemas folder: beside the test data (`ASSURE_TEST_DATA/../schemas`), else
/// `../shared/schemas` from the repository root.
pub fn schemas_dir() -> PathBuf {
    std::env::var_os("ASSURE_TEST_DATA")
        .map(PathBuf::from)
        .and_then(|d| d.parent().map(|p| p.join("schemas")))
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| repo_root().join("../shared/schemas"))
}

/// Validate `instance` against the schema at `rel` (relative to the schemas folder); the
/// error lists every violation with its JSON pointer.
pub fn validate(rel: &str, instance: &Value) -> Result<(), String> {
    let path = schemas_dir().join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let schema: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    let validator = jsonschema::options()
        .with_retriever(Siblings(dir))
        .build(&schema)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}
