//! OSV records (JSON or YAML; one record or an array of them per file).

use super::{Format, Parsed, Record, structured};
use crate::vuln::advisory::Advisory;

/// The OSV schema: what osv.dev, GHSA, PyPA, Go, AlmaLinux, Bitnami and OpenSSF publish.
pub struct Osv;

impl Format for Osv {
    fn sniff(&self, name: &str, _bytes: &[u8]) -> bool {
        [".json", ".yaml", ".yml"].iter().any(|e| name.ends_with(e))
    }

    fn parse(&self, name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let items = match structured(name, bytes)? {
            serde_json::Value::Array(items) => items,
            v => vec![v],
        };
        Ok(items
            .iter()
            .map(|item| {
                Advisory::from_osv(item)
                    .and_then(Advisory::validate)
                    .map(|a| Record::Advisory(Box::new(a)))
            })
            .collect())
    }
}
