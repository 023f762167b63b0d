//! The scan report (`assure.report/v1`) and its renderings.

pub mod model;
pub mod table;

pub use model::*;
