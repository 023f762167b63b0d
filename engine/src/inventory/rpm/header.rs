//! The rpm header blob, the record every rpmdb format stores once per installed package.
//!
//! Layout, all big-endian: `il: u32` index entries, `dl: u32` data bytes, `il` entries of
//! `{tag: i32, type: u32, offset: i32, count: u32}`, then the `dl`-byte data store the offsets
//! point into. Only the tags a package record needs are decoded.

use super::bytes::{Endian, u32_at};
use thiserror::Error;

/// `NAME` tag.
pub const TAG_NAME: u32 = 1000;
/// `VERSION` tag.
pub const TAG_VERSION: u32 = 1001;
/// `RELEASE` tag.
pub const TAG_RELEASE: u32 = 1002;
/// `EPOCH` tag.
pub const TAG_EPOCH: u32 = 1003;
/// `LICENSE` tag.
pub const TAG_LICENSE: u32 = 1014;
/// `ARCH` tag.
pub const TAG_ARCH: u32 = 1022;
/// `SOURCERPM` tag.
pub const TAG_SOURCERPM: u32 = 1044;

/// `RPM_INT32_TYPE`.
const TYPE_INT32: u32 = 4;
/// `RPM_STRING_TYPE`.
const TYPE_STRING: u32 = 6;
/// `RPM_STRING_ARRAY_TYPE`.
const TYPE_STRING_ARRAY: u32 = 8;
/// `RPM_I18NSTRING_TYPE`.
const TYPE_I18NSTRING: u32 = 9;

/// Most index entries rpm accepts in a header (its `hdrchkTags`).
pub const MAX_TAGS: u32 = 0xffff;
/// Most data bytes rpm accepts in a header (its `hdrchkData`).
pub const MAX_DATA: u32 = 0x00ff_ffff;
/// The largest blob a header can occupy.
pub const MAX_BLOB: usize = 8 + 16 * MAX_TAGS as usize + MAX_DATA as usize;

const ENTRY: usize = 16;
const PREAMBLE: usize = 8;

/// Why a header blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    /// Fewer bytes than the two length fields.
    #[error("header of {0} bytes is shorter than its 8-byte preamble")]
    Short(usize),
    /// An index without entries.
    #[error("header has no tags")]
    NoTags,
    /// More index entries than rpm accepts.
    #[error("header claims {0} tags, more than rpm accepts")]
    TooManyTags(u32),
    /// A data store larger than rpm accepts.
    #[error("header claims {0} data bytes, more than rpm accepts")]
    TooMuchData(u32),
    /// The index and data store run past the end of the blob.
    #[error("header needs {need} bytes, the record has {have}")]
    Truncated {
        /// Bytes the lengths call for.
        need: usize,
        /// Bytes there are.
        have: usize,
    },
    /// A tag whose value type is not what the tag is defined as.
    #[error("tag {tag} has type {ty}, expected {expected}")]
    WrongType {
        /// The tag.
        tag: u32,
        /// Its type as written.
        ty: u32,
        /// What it should be.
        expected: &'static str,
    },
    /// A tag whose value lies outside the data store.
    #[error("tag {tag}: value at offset {offset} lies outside the {dl}-byte data store")]
    BadOffset {
        /// The tag.
        tag: u32,
        /// Its offset as written.
        offset: u32,
        /// Size of the data store.
        dl: u32,
    },
    /// A string value without its terminating NUL inside the data store.
    #[error("tag {0}: string is not terminated inside the data store")]
    Unterminated(u32),
    /// A tag every package has is absent.
    #[error("header has no {0} tag")]
    Missing(&'static str),
}

/// The identity of one installed package, as its header records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`, when the header has one.
    pub epoch: Option<u32>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH` (absent on `gpg-pubkey` pseudo-packages).
    pub arch: Option<String>,
    /// `LICENSE` as written.
    pub license: Option<String>,
    /// `SOURCERPM`: the file name of the source package it was built from.
    pub source_rpm: Option<String>,
}

impl Header {
    /// `EPOCH:VERSION-RELEASE`, or `VERSION-RELEASE` without an epoch.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// One index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: u32,
}

/// Read the package identity out of a header blob.
pub fn parse(blob: &[u8]) -> Result<Header, HeaderError> {
    let (Some(il), Some(dl)) = (u32_at(blob, 0, Endian::Big), u32_at(blob, 4, Endian::Big)) else {
        return Err(HeaderError::Short(blob.len()));
    };
    if il == 0 {
        return Err(HeaderError::NoTags);
    }
    if il > MAX_TAGS {
        return Err(HeaderError::TooManyTags(il));
    }
    if dl > MAX_DATA {
        return Err(HeaderError::TooMuchData(dl));
    }
    // Both are capped above, so this cannot overflow.
    let data_start = PREAMBLE + ENTRY * il as usize;
    let need = data_start + dl as usize;
    let (Some(index), Some(data)) = (blob.get(PREAMBLE..data_start), blob.get(data_start..need))
    else {
        return Err(HeaderError::Truncated {
            need,
            have: blob.len(),
        });
    };

    let mut wanted: [(u32, Option<Entry>); 7] = [
        (TAG_NAME, None),
        (TAG_VERSION, None),
        (TAG_RELEASE, None),
        (TAG_EPOCH, None),
        (TAG_LICENSE, None),
        (TAG_ARCH, None),
        (TAG_SOURCERPM, None),
    ];
    for raw in index.chunks_exact(ENTRY) {
        let field = |at| u32_at(raw, at, Endian::Big).unwrap_or(0);
        let entry = Entry {
            tag: field(0),
            ty: field(4),
            offset: field(8),
        };
        // Entries after the immutable region ("dribbles") replace region entries of the same
        // tag, so the last one wins.
        if let Some(slot) = wanted.iter_mut().find(|(t, _)| *t == entry.tag) {
            slot.1 = Some(entry);
        }
    }
    let [name, version, release, epoch, license, arch, source_rpm] = wanted.map(|(_, e)| e);
    let required = |e: Option<Entry>, what| -> Result<String, HeaderError> {
        string(data, e.ok_or(HeaderError::Missing(what))?)
    };
    let optional = |e: Option<Entry>| e.map(|e| string(data, e)).transpose();
    Ok(Header {
        name: required(name, "NAME")?,
        epoch: epoch.map(|e| int32(data, e)).transpose()?,
        version: required(version, "VERSION")?,
        release: required(release, "RELEASE")?,
        arch: optional(arch)?,
        license: optional(license)?,
        source_rpm: optional(source_rpm)?,
    })
}

/// The (first) string of a string-typed entry.
fn string(data: &[u8], e: Entry) -> Result<String, HeaderError> {
    if !matches!(e.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
        return Err(HeaderError::WrongType {
            tag: e.tag,
            ty: e.ty,
            expected: "string",
        });
    }
    let rest = value(data, e)?;
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(HeaderError::Unterminated(e.tag))?;
    Ok(String::from_utf8_lossy(rest.get(..len).unwrap_or_default()).into_owned())
}

/// The (first) integer of an `INT32` entry.
fn int32(data: &[u8], e: Entry) -> Result<u32, HeaderError> {
    if e.ty != TYPE_INT32 {
        return Err(HeaderError::WrongType {
            tag: e.tag,
            ty: e.ty,
            expected: "int32",
        });
    }
    u32_at(value(data, e)?, 0, Endian::Big).ok_or_else(|| bad_offset(data, e))
}

/// The data store from an entry's offset on.
fn value(data: &[u8], e: Entry) -> Result<&[u8], HeaderError> {
    usize::try_from(e.offset)
        .ok()
        .and_then(|o| data.get(o..))
        .filter(|rest| !rest.is_empty())
        .ok_or_else(|| bad_offset(data, e))
}

fn bad_offset(data: &[u8], e: Entry) -> HeaderError {
    HeaderError::BadOffset {
        tag: e.tag,
        offset: e.offset,
        dl: u32::try_from(data.len()).unwrap_or(u32::MAX),
    }
}

/// Builds header blobs for tests of every format.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// A header blob with string entries for `tags` and, when given, an `EPOCH`.
    pub fn blob(tags: &[(u32, &str)], epoch: Option<u32>) -> Vec<u8> {
        let mut entries: Vec<(u32, u32, Vec<u8>)> = Vec::new();
        if let Some(e) = epoch {
            entries.push((TAG_EPOCH, TYPE_INT32, e.to_be_bytes().to_vec()));
        }
        for (tag, s) in tags {
            let mut v = s.as_bytes().to_vec();
            v.push(0);
            entries.push((*tag, TYPE_STRING, v));
        }
        raw(&entries)
    }

    /// A header blob from `(tag, type, value bytes)` entries, values stored in order.
    pub fn raw(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, value) in entries {
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(value);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }

    /// A complete package header.
    pub fn package(name: &str, version: &str, release: &str, epoch: Option<u32>) -> Vec<u8> {
        let source = format!("{name}-{version}-{release}.src.rpm");
        blob(
            &[
                (TAG_NAME, name),
                (TAG_VERSION, version),
                (TAG_RELEASE, release),
                (TAG_ARCH, "x86_64"),
                (TAG_LICENSE, "MIT"),
                (TAG_SOURCERPM, &source),
            ],
            epoch,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{blob, package, raw};
    use super::*;

    #[test]
    fn reads_a_package_identity() {
        let h = parse(&package("openssl", "3.0.7", "1.el9", Some(1))).unwrap();
        assert_eq!(h.name, "openssl");
        assert_eq!(h.epoch, Some(1));
        assert_eq!(h.evr(), "1:3.0.7-1.el9");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.license.as_deref(), Some("MIT"));
        assert_eq!(h.source_rpm.as_deref(), Some("openssl-3.0.7-1.el9.src.rpm"));
        let h = parse(&package("bash", "5.1", "2", None)).unwrap();
        assert_eq!(h.epoch, None);
        assert_eq!(h.evr(), "5.1-2");
    }

    #[test]
    fn epoch_zero_is_kept_when_written() {
        let h = parse(&package("a", "1", "2", Some(0))).unwrap();
        assert_eq!(h.evr(), "0:1-2");
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let b = blob(
            &[
                (TAG_NAME, "a"),
                (TAG_VERSION, "1"),
                (TAG_RELEASE, "1"),
                (TAG_NAME, "b"),
            ],
            None,
        );
        assert_eq!(parse(&b).unwrap().name, "b");
    }

    #[test]
    fn optional_tags_may_be_absent() {
        let h = parse(&blob(
            &[
                (TAG_NAME, "gpg-pubkey"),
                (TAG_VERSION, "fd431d51"),
                (TAG_RELEASE, "4ae0493b"),
            ],
            None,
        ))
        .unwrap();
        assert_eq!((h.arch, h.license, h.source_rpm), (None, None, None));
    }

    #[test]
    fn i18n_strings_give_their_first_translation() {
        let b = raw(&[
            (TAG_NAME, TYPE_I18NSTRING, b"n\0other\0".to_vec()),
            (TAG_VERSION, TYPE_STRING, b"1\0".to_vec()),
            (TAG_RELEASE, TYPE_STRING, b"2\0".to_vec()),
        ]);
        assert_eq!(parse(&b).unwrap().name, "n");
    }

    #[test]
    fn short_and_empty_blobs() {
        assert_eq!(parse(&[]), Err(HeaderError::Short(0)));
        assert_eq!(parse(&[0, 0, 0, 1]), Err(HeaderError::Short(4)));
        assert_eq!(parse(&[0; 8]), Err(HeaderError::NoTags));
    }

    #[test]
    fn lengths_beyond_rpm_limits_are_refused_before_any_read() {
        let mut b = vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        assert_eq!(parse(&b), Err(HeaderError::TooManyTags(u32::MAX)));
        b[..4].copy_from_slice(&1u32.to_be_bytes());
        b[4..].copy_from_slice(&0x0100_0000u32.to_be_bytes());
        assert_eq!(parse(&b), Err(HeaderError::TooMuchData(0x0100_0000)));
    }

    #[test]
    fn truncated_index_or_data() {
        let b = package("a", "1", "1", None);
        for cut in [9, 8 + 16, b.len() - 1] {
            assert!(
                matches!(parse(&b[..cut]), Err(HeaderError::Truncated { .. })),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn offsets_outside_the_data_store() {
        let mut b = package("a", "1", "1", None);
        // The first entry's offset field.
        b[8 + 8..8 + 12].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
        assert!(matches!(
            parse(&b),
            Err(HeaderError::BadOffset { tag: TAG_NAME, .. })
        ));
        // A negative offset, as the signed field would read.
        b[8 + 8..8 + 12].copy_from_slice(&(-4i32).to_be_bytes());
        assert!(matches!(parse(&b), Err(HeaderError::BadOffset { .. })));
    }

    #[test]
    fn epoch_at_the_very_end_is_bounded() {
        let b = raw(&[
            (TAG_NAME, TYPE_STRING, b"a\0".to_vec()),
            (TAG_VERSION, TYPE_STRING, b"1\0".to_vec()),
            (TAG_RELEASE, TYPE_STRING, b"1\0".to_vec()),
            (TAG_EPOCH, TYPE_INT32, vec![0, 1]),
        ]);
        assert!(matches!(
            parse(&b),
            Err(HeaderError::BadOffset { tag: TAG_EPOCH, .. })
        ));
    }

    #[test]
    fn unterminated_strings() {
        let b = raw(&[
            (TAG_VERSION, TYPE_STRING, b"1\0".to_vec()),
            (TAG_RELEASE, TYPE_STRING, b"1\0".to_vec()),
            (TAG_NAME, TYPE_STRING, b"abc".to_vec()),
        ]);
        assert_eq!(parse(&b), Err(HeaderError::Unterminated(TAG_NAME)));
    }

    #[test]
    fn wrong_types_and_missing_tags() {
        let b = raw(&[
            (TAG_NAME, TYPE_INT32, vec![0, 0, 0, 1]),
            (TAG_VERSION, TYPE_STRING, b"1\0".to_vec()),
            (TAG_RELEASE, TYPE_STRING, b"1\0".to_vec()),
        ]);
        assert!(matches!(
            parse(&b),
            Err(HeaderError::WrongType { tag: TAG_NAME, .. })
        ));
        let b = blob(&[(TAG_NAME, "a"), (TAG_VERSION, "1")], None);
        assert_eq!(parse(&b), Err(HeaderError::Missing("RELEASE")));
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap deterministic generator: every prefix and byte flip of a real header.
        let good = package("zlib", "1.2.11", "5.cm2", Some(3));
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
        for i in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = good.clone();
                b[i] ^= flip;
                let _ = parse(&b);
            }
        }
    }
}
