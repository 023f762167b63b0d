//! Subcommands.

pub mod scan;
