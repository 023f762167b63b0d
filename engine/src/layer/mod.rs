//! Layers: decompression, the streaming tar walk, path normalisation and limits.

pub mod decompress;
pub mod limits;
pub mod path;
pub mod walk;
