//! Subcommands.

pub mod db;
pub mod scan;
pub mod update;
