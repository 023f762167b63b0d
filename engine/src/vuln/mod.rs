//! Vulnerability matching support: how each ecosystem orders its versions.

pub mod version;
