//! Reading images from a containerd content store over its gRPC API.

pub mod source;

pub use source::ContainerdSource;
