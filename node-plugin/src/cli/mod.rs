//! Subcommands.

pub mod db;
pub mod findings;
pub mod policy;
pub mod progress;
pub mod scan;
pub mod update;

use assure_engine::report::{Category, Severity};
use std::io::IsTerminal as _;

/// Whether stdout takes colours: a terminal, and `NO_COLOR` (no-color.org) unset or empty.
pub fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A severity named on the command line, in any case.
pub fn parse_severity(s: &str) -> Result<Severity, String> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase())).map_err(|_| {
        format!("{s:?} is not a severity (critical, high, medium, low, negligible, unknown)")
    })
}

/// A category named on the command line, in any case.
pub fn parse_category(s: &str) -> Result<Category, String> {
    let all = Category::ALL;
    all.into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
            format!("{s:?} is not a category ({})", names.join(", "))
        })
}
