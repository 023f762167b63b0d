//! The engine's error type: every variant names the input it is about.

use std::io;

/// An error from reading or analysing an image. Messages name the input and the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed: a bad manifest, index, config or archive.
    #[error("{input}: {message}")]
    Invalid { input: String, message: String },
    /// Reading the input failed.
    #[error("{input}: {error}")]
    Io { input: String, error: io::Error },
    /// A blob the image refers to is not in the source.
    #[error("{source_name}: blob {digest} not found{hint}")]
    BlobNotFound {
        source_name: String,
        digest: String,
        /// Extra advice, starting with "; " when present.
        hint: String,
    },
    /// An index holds no image for the requested platform.
    #[error("{input}: no image for platform {wanted}; available: {available}")]
    NoPlatform {
        input: String,
        wanted: String,
        available: String,
    },
    /// A layer could not be read: bad digest, corrupt stream, truncated tar.
    #[error("layer {layer}: {message}")]
    Layer { layer: String, message: String },
    /// The cache directory could not be used.
    #[error("cache {path}: {message}")]
    Cache { path: String, message: String },
}

impl Error {
    /// An [`Error::Invalid`] for `input`.
    pub fn invalid(input: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            input: input.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Io`] for `input`.
    pub fn io(input: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            input: input.into(),
            error: source,
        }
    }

    /// An [`Error::Layer`] for the layer with this digest.
    pub fn layer(layer: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Layer {
            layer: layer.into(),
            message: message.into(),
        }
    }
}

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
