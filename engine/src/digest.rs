//! SHA-256 digests and a reader that verifies one while the data streams through.

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::io::{self, Read};

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// The hex part of a `sha256:<hex>` digest, checked for shape.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(hex)
}

/// Why a verified stream was rejected; carried inside an [`io::Error`] of kind `InvalidData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The content hashed to another digest.
    Digest {
        what: &'static str,
        expected: String,
        actual: String,
    },
    /// The content was longer or shorter than its descriptor said.
    Size {
        what: &'static str,
        expected: u64,
        actual: u64,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Digest {
                what,
                expected,
                actual,
            } => write!(
                f,
                "{what} digest mismatch: expected {expected}, content hashes to {actual}"
            ),
            Mismatch::Size {
                what,
                expected,
                actual,
            } => write!(
                f,
                "{what} size mismatch: descriptor says {expected} bytes, read {actual}"
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

/// Hashes everything read through it and checks digest (and size, if known) at end of stream.
pub struct Verify<R> {
    inner: R,
    hasher: Sha256,
    what: &'static str,
    expected: String,
    expected_size: Option<u64>,
    read: u64,
    eof: bool,
}

impl<R: Read> Verify<R> {
    /// Verify `inner` against `expected` (`sha256:<hex>`); `what` names it in errors ("blob", "diffID").
    pub fn new(inner: R, what: &'static str, expected: &str, expected_size: Option<u64>) -> Self {
        Verify {
            inner,
            hasher: Sha256::new(),
            what,
            expected: expected.to_string(),
            expected_size,
            read: 0,
            eof: false,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Whether the underlying stream has ended (and was verified).
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// Read the rest of the stream (so the digest covers all of it) and verify it.
    pub fn finish(mut self) -> io::Result<u64> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.read)
    }

    fn check(&mut self) -> io::Result<()> {
        if let Some(size) = self.expected_size
            && size != self.read
        {
            return Err(mismatch(Mismatch::Size {
                what: self.what,
                expected: size,
                actual: self.read,
            }));
        }
        let actual = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
        if actual != self.expected {
            return Err(mismatch(Mismatch::Digest {
                what: self.what,
                expected: self.expected.clone(),
                actual,
            }));
        }
        Ok(())
    }
}

fn mismatch(m: Mismatch) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m)
}

impl<R: Read> Read for Verify<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.eof || buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Some(size) = self.expected_size
            && self.read > size
        {
            // A blob longer than its descriptor is rejected before we read it all.
            return Err(mismatch(Mismatch::Size {
                what: self.what,
                expected: size,
                actual: self.read,
            }));
        }
        if n == 0 {
            self.eof = true;
            self.check()?;
        } else {
            self.hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_good_and_rejects_bad() {
        let data = b"hello layer";
        let d = sha256_digest(data);
        let v = Verify::new(&data[..], "blob", &d, Some(data.len() as u64));
        assert_eq!(v.finish().unwrap(), data.len() as u64);

        let v = Verify::new(&b"hello layeR"[..], "blob", &d, None);
        let e = v.finish().unwrap_err();
        assert!(e.to_string().contains("blob digest mismatch"), "{e}");

        let v = Verify::new(&data[..], "blob", &d, Some(3));
        let e = v.finish().unwrap_err();
        assert!(e.to_string().contains("size mismatch"), "{e}");
    }

    #[test]
    fn hex_shape() {
        assert!(sha256_hex(&sha256_digest(b"")).is_some());
        assert!(sha256_hex("sha256:ABC").is_none());
        assert!(sha256_hex("md5:00").is_none());
    }
}
