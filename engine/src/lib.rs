//! assure's image analysis engine.
//!
//! The pipeline (see `scan`): a [`source::BlobSource`] yields an image's manifest, config and
//! layer blobs; each layer is streamed once through decompression and a tar walk
//! ([`layer::walk`]); [`analyze::Analyzer`]s receive the files they asked for; per-layer results
//! are cached ([`cache::Cache`]) and merged into the final filesystem view ([`merge`]); the
//! outcome is a [`report::Report`]. No Kubernetes, no containerd, no HTTP server here.

pub mod analyze;
pub mod cache;
pub mod detect;
pub mod digest;
pub mod error;
pub mod image;
pub mod inventory;
pub mod layer;
pub mod merge;
pub mod policy;
pub mod progress;
pub mod report;
pub mod scan;
pub mod source;
pub mod threat;
pub mod vuln;

pub use cache::Cache;
pub use error::Error;
pub use image::Platform;
pub use report::Report;
pub use scan::{ScanOptions, Scanner};
pub use source::BlobSource;
