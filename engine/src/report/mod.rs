//! The scan report (`assure.report/v1`) and its renderings.

pub mod continuity;
pub mod cyclonedx;
pub mod model;
pub mod query;
pub mod sarif;
pub mod sbom;
pub mod spdx;
pub mod table;

pub use model::*;
