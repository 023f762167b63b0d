//! `Packages.db`, rpm's own "NDB" format (SUSE): a file header, slot pages naming each
//! package's blob by 16-byte block, and the blobs, each framed by a head and a checksummed tail.
//!
//! Layout as written by rpm's `lib/backend/ndb/rpmpkg.c`; all integers little-endian.

use super::bytes::{Endian, array, slice, u32_at};
use super::{DbError, Format, Sink};

/// Slot pages are 4 KiB.
const PAGE: usize = 4096;
/// A slot: magic, package index, block offset, block count.
const SLOT: usize = 16;
/// Blobs are placed in 16-byte blocks.
const BLOCK: u64 = 16;
/// The file header occupies the first two slots of the first page.
const HEADER_SLOTS: usize = 2;
/// Blob head: magic, package index, generation, blob length.
const BLOB_HEAD: u64 = 16;
/// Blob tail: Adler-32, blob length, magic.
const BLOB_TAIL: u64 = 12;
/// rpm never grows the slot area beyond this many pages.
const MAX_SLOT_PAGES: u32 = 2048;

const FILE_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const HEAD_MAGIC: &[u8; 4] = b"BlbS";
const TAIL_MAGIC: &[u8; 4] = b"BlbE";

/// Whether `db` starts like an NDB package database.
pub fn is_ndb(db: &[u8]) -> bool {
    db.starts_with(FILE_MAGIC)
}

/// Read every header blob of an NDB database held in `db`.
pub fn read(db: &[u8], sink: &mut Sink<'_>) -> Result<(), DbError> {
    let bad = |what: String| DbError::malformed(Format::Ndb, what);
    if !is_ndb(db) {
        return Err(bad("no NDB file magic".into()));
    }
    let version = u32_at(db, 4, Endian::Little);
    if version != Some(0) {
        return Err(bad(format!("unsupported version {version:?}")));
    }
    let pages = u32_at(db, 12, Endian::Little).unwrap_or(0);
    if pages == 0 || pages > MAX_SLOT_PAGES {
        return Err(bad(format!("implausible slot page count {pages}")));
    }
    // Capped above, so this cannot overflow.
    let slots_end = pages as usize * PAGE;
    let slots = db.get(..slots_end).ok_or_else(|| {
        bad(format!(
            "file of {} bytes is shorter than its {pages} slot pages",
            db.len()
        ))
    })?;
    let first_blob_block = u64::from(pages) * (PAGE as u64 / BLOCK);
    let mut bad_slots = 0u64;
    for slot in slots.chunks_exact(SLOT).skip(HEADER_SLOTS) {
        let field = |at| u32_at(slot, at, Endian::Little).unwrap_or(0);
        if array::<4>(slot, 0).as_ref() != Some(SLOT_MAGIC) {
            bad_slots += 1;
            continue;
        }
        let index = field(4);
        if index == 0 {
            continue; // a free slot
        }
        let (offset, count) = (u64::from(field(8)), u64::from(field(12)));
        if offset < first_blob_block {
            sink(Err(format!(
                "package {index}: blob at block {offset} overlaps the slot pages"
            )));
            continue;
        }
        match blob(db, index, offset, count) {
            Ok((blob, checksum_ok)) => {
                if !checksum_ok {
                    // rpm itself reads such a blob without checking; say so and keep it.
                    sink(Err(format!("package {index}: blob checksum mismatch")));
                }
                sink(Ok(blob));
            }
            Err(e) => sink(Err(format!("package {index}: {e}"))),
        }
    }
    if bad_slots > 0 {
        // One line for them all: a garbage slot area would otherwise give thousands.
        sink(Err(format!(
            "{bad_slots} slots without the slot magic skipped"
        )));
    }
    Ok(())
}

/// The blob of package `index` in its frame of `count` blocks at block `offset`, and whether
/// its checksum matched.
fn blob(db: &[u8], index: u32, offset: u64, count: u64) -> Result<(&[u8], bool), String> {
    let frame = slice(db, offset * BLOCK, count * BLOCK).ok_or_else(|| {
        format!("blob of {count} blocks at block {offset} runs past the end of the file")
    })?;
    let field = |at| u32_at(frame, at, Endian::Little);
    if array::<4>(frame, 0).as_ref() != Some(HEAD_MAGIC) {
        return Err("blob head without its magic".into());
    }
    if field(4) != Some(index) {
        return Err(format!("blob belongs to package {:?}", field(4)));
    }
    let len = u64::from(field(12).unwrap_or(0));
    let blocks = (BLOB_HEAD + len + BLOB_TAIL).div_ceil(BLOCK);
    if blocks != count {
        return Err(format!(
            "blob of {len} bytes cannot fill the slot's {count} blocks"
        ));
    }
    // `count` blocks hold head, blob and tail (checked just above), so these are in range.
    let tail_at = frame.len().saturating_sub(BLOB_TAIL as usize);
    let tail = frame.get(tail_at..).unwrap_or_default();
    if array::<4>(tail, 8).as_ref() != Some(TAIL_MAGIC)
        || u32_at(tail, 4, Endian::Little).map(u64::from) != Some(len)
    {
        return Err("blob tail does not match its head".into());
    }
    let body = slice(frame, BLOB_HEAD, len).ok_or("blob longer than its frame")?;
    let checksum_ok =
        u32_at(tail, 0, Endian::Little) == Some(adler32(frame.get(..tail_at).unwrap_or_default()));
    Ok((body, checksum_ok))
}

/// Adler-32 (RFC 1950), which rpm computes over a blob's head, body and padding.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    // The most bytes that can be summed before `b` could overflow a u32 (zlib's NMAX).
    const RUN: usize = 5552;
    let (mut a, mut b) = (1u32, 0u32);
    for run in data.chunks(RUN) {
        for &x in run {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::rpm::header::testing::package;

    /// An NDB file with one slot page holding `blobs`.
    fn database(blobs: &[Vec<u8>]) -> Vec<u8> {
        let mut db = vec![0u8; PAGE];
        db[..4].copy_from_slice(FILE_MAGIC);
        db[12..16].copy_from_slice(&1u32.to_le_bytes());
        for chunk in db.chunks_exact_mut(SLOT).skip(HEADER_SLOTS) {
            chunk[..4].copy_from_slice(SLOT_MAGIC);
        }
        for (i, b) in blobs.iter().enumerate() {
            let index = i as u32 + 1;
            let offset = db.len() as u64 / BLOCK;
            let mut frame = Vec::new();
            frame.extend_from_slice(HEAD_MAGIC);
            frame.extend_from_slice(&index.to_le_bytes());
            frame.extend_from_slice(&7u32.to_le_bytes());
            frame.extend_from_slice(&(b.len() as u32).to_le_bytes());
            frame.extend_from_slice(b);
            let count = (BLOB_HEAD + b.len() as u64 + BLOB_TAIL).div_ceil(BLOCK);
            frame.resize((count * BLOCK - BLOB_TAIL) as usize, 0);
            let adl = adler32(&frame);
            frame.extend_from_slice(&adl.to_le_bytes());
            frame.extend_from_slice(&(b.len() as u32).to_le_bytes());
            frame.extend_from_slice(TAIL_MAGIC);
            db.extend_from_slice(&frame);
            let slot = (HEADER_SLOTS + i) * SLOT;
            db[slot + 4..slot + 8].copy_from_slice(&index.to_le_bytes());
            db[slot + 8..slot + 12].copy_from_slice(&(offset as u32).to_le_bytes());
            db[slot + 12..slot + 16].copy_from_slice(&(count as u32).to_le_bytes());
        }
        db
    }

    fn blobs(db: &[u8]) -> Result<(usize, Vec<String>), DbError> {
        let mut n = 0;
        let mut problems = Vec::new();
        read(db, &mut |r: Result<&[u8], String>| match r {
            Ok(_) => n += 1,
            Err(p) => problems.push(p),
        })?;
        Ok((n, problems))
    }

    #[test]
    fn adler32_known_value() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(&[0xff; 100_000]), {
            // Reference computed the slow way.
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 0xff) % 65521;
                b = (b + a) % 65521;
            }
            ((b << 16) | a) as u32
        });
    }

    #[test]
    fn reads_blobs() {
        let db = database(&[package("a", "1", "1", None), package("b", "1", "1", None)]);
        assert_eq!(blobs(&db).unwrap(), (2, vec![]));
    }

    #[test]
    fn damaged_blobs_are_problems_and_the_rest_is_read() {
        let mut db = database(&[package("a", "1", "1", None), package("b", "1", "1", None)]);
        // Corrupt the first blob's head magic.
        db[PAGE] = b'X';
        let (n, problems) = blobs(&db).unwrap();
        assert_eq!(n, 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        // A checksum mismatch keeps the blob but says so.
        let mut db = database(&[package("a", "1", "1", None)]);
        db[PAGE + 20] ^= 1;
        let (n, problems) = blobs(&db).unwrap();
        assert_eq!((n, problems.len()), (1, 1));
    }

    #[test]
    fn hostile_slots_and_headers() {
        let good = database(&[package("a", "1", "1", None)]);
        // Slot page count: zero, huge, beyond the file.
        for pages in [0u32, u32::MAX, 2] {
            let mut db = good.clone();
            db[12..16].copy_from_slice(&pages.to_le_bytes());
            assert!(blobs(&db).is_err(), "{pages}");
        }
        // Block offset and count far beyond the file, and overlapping the slot page.
        for (off, cnt) in [(u32::MAX, u32::MAX), (1, 4), (256, u32::MAX)] {
            let mut db = good.clone();
            let slot = HEADER_SLOTS * SLOT;
            db[slot + 8..slot + 12].copy_from_slice(&off.to_le_bytes());
            db[slot + 12..slot + 16].copy_from_slice(&cnt.to_le_bytes());
            let (n, problems) = blobs(&db).unwrap();
            assert_eq!((n, problems.len()), (0, 1), "{off} {cnt}");
        }
        // Every truncation and every byte of garbage in the slot area.
        for cut in (0..good.len()).step_by(7) {
            let _ = blobs(&good[..cut]);
        }
        let mut db = good.clone();
        db[PAGE / 2..PAGE].fill(0xa5);
        let (_, problems) = blobs(&db).unwrap();
        assert_eq!(problems.len(), 1, "one line for all bad slots");
    }
}
