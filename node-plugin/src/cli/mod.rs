//! Subcommands.

pub mod db;
pub mod findings;
pub mod policy;
pub mod progress;
pub mod scan;
pub mod update;

use std::io::IsTerminal as _;

/// Whether stdout takes colours: a terminal, and `NO_COLOR` (no-color.org) unset or empty.
pub fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
