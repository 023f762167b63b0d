//! Subcommands.

pub mod db;
pub mod findings;
pub mod scan;
pub mod update;
