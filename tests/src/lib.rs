//! Support for assure's system tests: fixture images, the shared test data, the test
//! containerd and registry, and the built binaries.

pub mod data;
pub mod fixture;
pub mod system;
