//! Support for assure's system tests: fixture images, ground-truth images built by real
//! package managers, the shared test data, the test containerd and registry, and the binaries.

pub mod data;
pub mod fixture;
pub mod ground_truth;
pub mod ground_truth_bin;
pub mod ground_truth_lang;
pub mod measure;
pub mod samples;
pub mod schema;
pub mod system;
