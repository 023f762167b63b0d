//! `Packages`: a Berkeley DB hash database, rpm's format before 4.16 (RHEL/CentOS 7–8, Amazon
//! Linux 2). Keys are package numbers; values are header blobs, stored in the page when small
//! and on a chain of overflow pages otherwise.
//!
//! Every page is visited once in file order (as go-rpmdb does) instead of following the hash
//! buckets, so no damaged bucket chain can make the walk loop. Layout per Berkeley DB's
//! `db_page.h`, checks as in rpm's `lib/backend/bdb_ro.c`.

use super::bytes::{Endian, array, u16_at, u32_at};
use super::{DbError, Format, Sink, header};

/// Magic number of a hash database, at byte 12 of the metadata page.
const HASH_MAGIC: u32 = 0x0006_1561;
/// Every page starts with this many bytes of header.
const PAGE_HEADER: usize = 26;
/// Hash page types: old unsorted, and current.
const P_HASH_UNSORTED: u8 = 2;
const P_HASH: u8 = 13;
/// A page of an overflow chain.
const P_OVERFLOW: u8 = 7;
/// The metadata page of a hash database.
const P_HASHMETA: u8 = 8;
/// An item stored in the page: type byte, then the bytes.
const H_KEYDATA: u8 = 1;
/// An item on overflow pages: type byte, 3 bytes padding, first page, total length.
const H_OFFPAGE: u8 = 3;
const OFFPAGE_ITEM: usize = 12;

/// Whether `db` starts like a Berkeley DB hash database, in either byte order.
pub fn is_hash(db: &[u8]) -> bool {
    endian(db).is_some()
}

fn endian(db: &[u8]) -> Option<Endian> {
    match u32_at(db, 12, Endian::Little)? {
        HASH_MAGIC => Some(Endian::Little),
        m if m == HASH_MAGIC.swap_bytes() => Some(Endian::Big),
        _ => None,
    }
}

/// Read every header blob of a Berkeley DB hash database held in `db`.
pub fn read(db: &[u8], sink: &mut Sink<'_>) -> Result<(), DbError> {
    let bad = |what: String| DbError::malformed(Format::Bdb, what);
    let endian = endian(db).ok_or_else(|| bad("no hash database magic".into()))?;
    let meta = |at| u32_at(db, at, endian).unwrap_or(0);
    let version = meta(16);
    if !(8..=10).contains(&version) {
        return Err(bad(format!("unsupported hash version {version}")));
    }
    let page_size = meta(20);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bad(format!("invalid page size {page_size}")));
    }
    if array::<2>(db, 24) != Some([0, P_HASHMETA]) {
        return Err(bad("encrypted, or not a hash metadata page".into()));
    }
    let page_size = page_size as usize;
    let last_page = meta(32);
    let in_file = db.len() / page_size;
    let pages = usize::try_from(last_page)
        .ok()
        .and_then(|l| l.checked_add(1))
        .unwrap_or(usize::MAX);
    if pages > in_file {
        sink(Err(format!(
            "file ends after {in_file} of its {pages} pages; the rest is missing"
        )));
    }
    let file = Db {
        data: db,
        page_size,
        pages: pages.min(in_file),
        endian,
    };
    for n in 1..file.pages {
        file.hash_page(n, sink);
    }
    Ok(())
}

/// The pages of a database.
struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
    /// Pages present in the file and the database.
    pages: usize,
    endian: Endian,
}

impl Db<'_> {
    /// Page `n`, if it is in the database and says it is page `n`.
    fn page(&self, n: usize) -> Option<&[u8]> {
        if n == 0 || n >= self.pages {
            return None;
        }
        let start = n.checked_mul(self.page_size)?;
        let page = self.data.get(start..start.checked_add(self.page_size)?)?;
        (u32_at(page, 8, self.endian)? as usize == n).then_some(page)
    }

    /// Send the values of hash page `n` (if it is one) to `sink`.
    fn hash_page(&self, n: usize, sink: &mut Sink<'_>) {
        let start = n.saturating_mul(self.page_size);
        let Some(raw) = self.data.get(start..start.saturating_add(self.page_size)) else {
            return;
        };
        // Free and never-written pages are zeroed or typed otherwise: only hash pages hold
        // items.
        if !matches!(raw.get(25), Some(&(P_HASH | P_HASH_UNSORTED))) {
            return;
        }
        let Some(page) = self.page(n) else {
            sink(Err(format!("page {n}: page number field does not match")));
            return;
        };
        let items = usize::from(u16_at(page, 20, self.endian).unwrap_or(0));
        let first_item = PAGE_HEADER + 2 * items;
        if first_item > self.page_size {
            sink(Err(format!("page {n}: {items} items cannot fit in a page")));
            return;
        }
        let offset = |i: usize| u16_at(page, PAGE_HEADER + 2 * i, self.endian).map(usize::from);
        if items % 2 != 0 {
            sink(Err(format!("page {n}: odd number of items {items}")));
        }
        // Items are key/value pairs, stored from the end of the page backwards: an item ends
        // where the one before it in the index starts.
        for i in (0..items.saturating_sub(1)).step_by(2) {
            let key_end = if i == 0 {
                Some(self.page_size)
            } else {
                offset(i - 1)
            };
            let (Some(key_end), Some(key_at), Some(value_at)) = (key_end, offset(i), offset(i + 1))
            else {
                continue;
            };
            let in_range = |at: usize, end: usize| at >= first_item && at < end;
            if !in_range(key_at, key_end) || !in_range(value_at, key_at) {
                sink(Err(format!("page {n}: item {i} has offsets out of order")));
                continue;
            }
            let (Some(key), Some(value)) = (page.get(key_at..key_end), page.get(value_at..key_at))
            else {
                continue;
            };
            // rpm keeps a counter of package numbers under key 0; it is not a package.
            if key == [H_KEYDATA, 0, 0, 0, 0] {
                continue;
            }
            match value.split_first() {
                Some((&H_KEYDATA, blob)) => sink(Ok(blob)),
                Some((&H_OFFPAGE, _)) if value.len() == OFFPAGE_ITEM => {
                    let first = u32_at(value, 4, self.endian).unwrap_or(0);
                    let len = u32_at(value, 8, self.endian).unwrap_or(0);
                    match self.overflow(first, len) {
                        Ok(blob) => sink(Ok(&blob)),
                        Err(e) => sink(Err(format!("page {n}: item {}: {e}", i + 1))),
                    }
                }
                other => sink(Err(format!(
                    "page {n}: item {} of unsupported type {:?}",
                    i + 1,
                    other.map(|(t, _)| t)
                ))),
            }
        }
    }

    /// The `len` bytes stored on the overflow chain starting at page `first`.
    fn overflow(&self, first: u32, len: u32) -> Result<Vec<u8>, String> {
        let len = len as usize;
        if len == 0 || len > header::MAX_BLOB {
            return Err(format!(
                "overflow value of {len} bytes is not an rpm header"
            ));
        }
        let mut out = Vec::with_capacity(len.min(self.data.len()));
        let mut next = first as usize;
        let mut hops = 0;
        while out.len() < len {
            hops += 1;
            if hops > self.pages {
                return Err("overflow chain loops".into());
            }
            let page = self
                .page(next)
                .ok_or_else(|| format!("overflow page {next} is not in the file"))?;
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(format!("page {next} is not an overflow page"));
            }
            let used = usize::from(u16_at(page, 22, self.endian).unwrap_or(0));
            let part = page
                .get(PAGE_HEADER..PAGE_HEADER + used)
                .filter(|p| !p.is_empty() && p.len() <= len - out.len())
                .ok_or_else(|| format!("overflow page {next} claims {used} bytes"))?;
            out.extend_from_slice(part);
            next = u32_at(page, 16, self.endian).unwrap_or(0) as usize;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::rpm::header::testing::package;

    const PS: usize = 512;

    /// Page-building helpers in a given byte order.
    struct Builder {
        endian: Endian,
        pages: Vec<Vec<u8>>,
    }

    impl Builder {
        fn u16(&self, v: u16) -> [u8; 2] {
            match self.endian {
                Endian::Little => v.to_le_bytes(),
                Endian::Big => v.to_be_bytes(),
            }
        }

        fn u32(&self, v: u32) -> [u8; 4] {
            match self.endian {
                Endian::Little => v.to_le_bytes(),
                Endian::Big => v.to_be_bytes(),
            }
        }

        fn new_page(&mut self, ty: u8) -> usize {
            let n = self.pages.len();
            let mut p = vec![0u8; PS];
            p[8..12].copy_from_slice(&self.u32(n as u32));
            p[25] = ty;
            self.pages.push(p);
            n
        }

        /// Store `value` on a chain of overflow pages; the first page's number.
        fn overflow(&mut self, value: &[u8]) -> u32 {
            let chunks: Vec<&[u8]> = value.chunks(PS - PAGE_HEADER).collect();
            let first = self.pages.len();
            for (i, c) in chunks.iter().enumerate() {
                let n = self.new_page(P_OVERFLOW);
                let next = if i + 1 < chunks.len() { n + 1 } else { 0 };
                let (u16v, u32v) = (self.u16(c.len() as u16), self.u32(next as u32));
                let p = &mut self.pages[n];
                p[16..20].copy_from_slice(&u32v);
                p[22..24].copy_from_slice(&u16v);
                p[PAGE_HEADER..PAGE_HEADER + c.len()].copy_from_slice(c);
            }
            first as u32
        }

        /// A hash page with `(key, value item)` pairs.
        fn hash_page(&mut self, items: &[(u32, Vec<u8>)]) {
            let n = self.new_page(P_HASH);
            let mut end = PS;
            let mut index = Vec::new();
            let mut body = vec![0u8; PS];
            for (key, value) in items {
                let mut k = vec![H_KEYDATA];
                k.extend_from_slice(&key.to_le_bytes());
                for item in [k, value.clone()] {
                    end -= item.len();
                    body[end..end + item.len()].copy_from_slice(&item);
                    index.push(end as u16);
                }
            }
            let count = self.u16(index.len() as u16);
            let offsets: Vec<[u8; 2]> = index.iter().map(|&o| self.u16(o)).collect();
            let p = &mut self.pages[n];
            p[end..].copy_from_slice(&body[end..]);
            p[20..22].copy_from_slice(&count);
            for (i, o) in offsets.iter().enumerate() {
                p[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2].copy_from_slice(o);
            }
        }

        fn offpage(&self, first: u32, len: usize) -> Vec<u8> {
            let mut v = vec![H_OFFPAGE, 0, 0, 0];
            v.extend_from_slice(&self.u32(first));
            v.extend_from_slice(&self.u32(len as u32));
            v
        }

        fn finish(mut self) -> Vec<u8> {
            let last = self.u32(self.pages.len() as u32 - 1);
            let (magic, version, size) = (self.u32(HASH_MAGIC), self.u32(9), self.u32(PS as u32));
            let meta = &mut self.pages[0];
            meta[12..16].copy_from_slice(&magic);
            meta[16..20].copy_from_slice(&version);
            meta[20..24].copy_from_slice(&size);
            meta[25] = P_HASHMETA;
            meta[32..36].copy_from_slice(&last);
            self.pages.concat()
        }
    }

    /// A database with the counter record, one inline and two overflow packages.
    fn database(endian: Endian) -> Vec<u8> {
        let mut b = Builder {
            endian,
            pages: Vec::new(),
        };
        b.new_page(P_HASHMETA);
        let big = package("big", &"9".repeat(1500), "1", Some(2));
        let mid = package("mid", "1", "1", None);
        let big_at = b.overflow(&big);
        let mid_at = b.overflow(&mid);
        let small = package("s", "1", "1", None);
        let mut inline = vec![H_KEYDATA];
        inline.extend_from_slice(&small);
        let items = vec![
            (0, vec![H_KEYDATA, 9, 0, 0, 0]),
            (1, b.offpage(big_at, big.len())),
            (2, inline),
        ];
        b.hash_page(&items);
        let more = vec![(3, b.offpage(mid_at, mid.len()))];
        b.hash_page(&more);
        b.finish()
    }

    fn read_names(db: &[u8]) -> Result<(Vec<String>, Vec<String>), DbError> {
        let mut names = Vec::new();
        let mut problems = Vec::new();
        read(db, &mut |r: Result<&[u8], String>| match r
            .and_then(|b| header::parse(b).map_err(|e| e.to_string()))
        {
            Ok(h) => names.push(h.name),
            Err(p) => problems.push(p),
        })?;
        names.sort();
        Ok((names, problems))
    }

    #[test]
    fn reads_inline_and_overflow_values_in_both_byte_orders() {
        for endian in [Endian::Little, Endian::Big] {
            let db = database(endian);
            assert!(is_hash(&db));
            let (names, problems) = read_names(&db).unwrap();
            assert_eq!(names, ["big", "mid", "s"], "{endian:?}");
            assert!(problems.is_empty(), "{problems:?}");
        }
    }

    #[test]
    fn a_looping_overflow_chain_is_a_problem() {
        let mut db = database(Endian::Little);
        // Point the second overflow page of `big` back at the first.
        db[2 * PS + 16..2 * PS + 20].copy_from_slice(&1u32.to_le_bytes());
        let (names, problems) = read_names(&db).unwrap();
        assert_eq!(names, ["mid", "s"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn truncated_files_keep_what_is_there() {
        let db = database(Endian::Little);
        let (names, problems) = read_names(&db[..db.len() - PS]).unwrap();
        assert_eq!(names, ["big", "s"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        for cut in (0..db.len()).step_by(13) {
            let _ = read_names(&db[..cut]);
        }
    }

    #[test]
    fn hostile_metadata_and_pages() {
        let good = database(Endian::Little);
        for (at, bytes) in [
            (20, 1000u32.to_le_bytes()),
            (20, 0u32.to_le_bytes()),
            (16, 3u32.to_le_bytes()),
            (24, [1, P_HASHMETA, 0, 0]),
        ] {
            let mut db = good.clone();
            db[at..at + 4].copy_from_slice(&bytes);
            assert!(read(&db, &mut |_| ()).is_err(), "{at}");
        }
        // A last page number far beyond the file.
        let mut db = good.clone();
        db[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_names(&db).is_ok());
        // Every byte of every page flipped, one at a time.
        for i in PS..good.len() {
            let mut db = good.clone();
            db[i] ^= 0xff;
            let _ = read_names(&db);
        }
    }
}
