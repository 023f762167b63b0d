//! The binary layout of the vulnerability database's values, read in place.
//!
//! Matching looks up every package of an inventory, and most packages have advisories: the
//! per-package index is therefore read without copying strings out of it, and holds what the
//! matcher needs in the form it needs it. Each affected entry keeps its explicitly listed
//! versions sorted (a binary search instead of a scan), and its range events and fixed versions
//! in the version order of the entry's ecosystem, so an installed version is compared with the
//! few bounds around it and only those are parsed. Advisory records carry their CVSS score,
//! worked out once at import; the record of an advisory about one package is kept in that
//! package's value, and its `adv` value names the package.
//!
//! The layout is a hand-written length-prefixed one: the workspace has no binary serde format
//! whose decoding borrows strings (prost decodes into owned `String`s and `Vec`s, the
//! allocations this layout exists to avoid). Integers are little-endian `u32`; a string is its
//! length and its UTF-8 bytes. A change of layout, or of any version ordering (events are
//! stored sorted), bumps [`crate::vuln::db::SCHEMA`].

use crate::vuln::advisory::{Advisory, Affected, Event};
use crate::vuln::requirements::Requirements;
use crate::vuln::version::{Scheme, Version};
use std::cmp::Ordering;

/// Schemes by their code in the layout; the position is the code.
const SCHEMES: [Scheme; 10] = [
    Scheme::Deb,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::Pep440,
    Scheme::Semver,
    Scheme::Go,
    Scheme::Maven,
    Scheme::Gem,
    Scheme::NuGet,
    Scheme::Composer,
];
/// The scheme code of an entry whose ecosystem has no known ordering.
const NO_SCHEME: u8 = u8::MAX;

/// A value that does not follow the layout (a corrupt or foreign database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

type Read<T> = Result<T, Malformed>;

/// Appends the layout's primitives to a buffer.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: usize) {
        // Lengths and counts of one advisory's data stay far below 4 GiB (records are capped
        // at 64 MiB on import); saturating keeps a wrong value detectable on read.
        self.0
            .extend_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }

    fn strs<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a str>) {
        self.u32(items.len());
        for s in items {
            self.str(s);
        }
    }

    /// Writes distinct strings in byte order, with a table of where each ends, so that
    /// [`SortedSet::contains`] is a binary search.
    fn sorted_set<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) {
        let mut items: Vec<&str> = items.into_iter().collect();
        items.sort_unstable();
        items.dedup();
        self.u32(items.len());
        let mut end = 0;
        for v in &items {
            end += v.len();
            self.u32(end);
        }
        for v in &items {
            self.0.extend_from_slice(v.as_bytes());
        }
    }

    /// Writes `body` prefixed with its length, so readers can step over it.
    fn framed(&mut self, body: &[u8]) {
        self.u32(body.len());
        self.0.extend_from_slice(body);
    }
}

/// Reads the layout's primitives from a slice, failing on anything out of bounds.
#[derive(Clone, Copy)]
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Read<&'a [u8]> {
        if n > self.0.len() {
            return Err(Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Read<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Read<usize> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn f64(&mut self) -> Read<f64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.bytes(8)?);
        Ok(f64::from_le_bytes(b))
    }

    fn raw_str(&mut self) -> Read<&'a [u8]> {
        let n = self.u32()?;
        self.bytes(n)
    }

    fn str(&mut self) -> Read<&'a str> {
        std::str::from_utf8(self.raw_str()?).map_err(|_| Malformed)
    }

    fn opt_str(&mut self) -> Read<Option<&'a str>> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.str().map(Some),
            _ => Err(Malformed),
        }
    }

    fn string_vec(&mut self) -> Read<Vec<String>> {
        let n = self.u32()?;
        let mut out = Vec::with_capacity(n.min(self.0.len() / 4));
        for _ in 0..n {
            out.push(self.str()?.to_string());
        }
        Ok(out)
    }

    fn framed(&mut self) -> Read<&'a [u8]> {
        let n = self.u32()?;
        self.bytes(n)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a range event does to the versions above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Vulnerable from this version on.
    Introduced,
    /// Fixed in this version.
    Fixed,
    /// The last vulnerable version.
    LastAffected,
}

impl Bound {
    fn code(self) -> u8 {
        match self {
            Bound::Introduced => 0,
            Bound::Fixed => 1,
            Bound::LastAffected => 2,
        }
    }

    fn from_code(code: u8) -> Read<Bound> {
        match code {
            0 => Ok(Bound::Introduced),
            1 => Ok(Bound::Fixed),
            2 => Ok(Bound::LastAffected),
            _ => Err(Malformed),
        }
    }
}

/// One event to store: what it does, where the record gave it, its version text.
struct Pending<'a> {
    bound: Bound,
    position: usize,
    text: &'a str,
}

/// Writes events with the ones `scheme` orders first, in its order (stable, so equal versions
/// keep the record's order; OSV's `introduced: 0` is below every version), then the ones it
/// cannot parse in record order.
fn write_events(w: &mut Writer, scheme: Option<Scheme>, events: Vec<Pending<'_>>) {
    let mut ordered: Vec<(Option<Version>, Pending<'_>)> = Vec::new();
    let mut rest = Vec::new();
    for e in events {
        if e.bound == Bound::Introduced && e.text == "0" {
            ordered.push((None, e));
            continue;
        }
        match scheme.map(|s| s.parse(e.text)) {
            Some(Ok(v)) => ordered.push((Some(v), e)),
            _ => rest.push(e),
        }
    }
    ordered.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    });
    w.u32(ordered.len());
    w.u32(ordered.len() + rest.len());
    for e in ordered.into_iter().map(|(_, e)| e).chain(rest) {
        w.u8(e.bound.code());
        w.u32(e.position);
        w.str(e.text);
    }
}

/// The index value of one advisory for one package: its affected entries for that package.
pub(crate) fn encode_entries(entries: &[Affected]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(entries.len());
    for a in entries {
        let mut e = Writer::default();
        let scheme = Scheme::for_ecosystem(&a.ecosystem);
        e.str(&a.ecosystem);
        e.opt_str(a.severity_label.as_deref());
        e.u8(scheme
            .and_then(|s| SCHEMES.iter().position(|x| *x == s))
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(NO_SCHEME));
        e.sorted_set(a.versions.iter().map(String::as_str));
        // Only ECOSYSTEM and SEMVER ranges are walked; `limit` never changes the walk.
        let walked: Vec<_> = a
            .ranges
            .iter()
            .filter(|r| r.kind == "ECOSYSTEM" || r.kind == "SEMVER")
            .collect();
        e.u32(walked.len());
        for r in walked {
            let events = r
                .events
                .iter()
                .enumerate()
                .filter_map(|(position, ev)| {
                    let (bound, text) = match ev {
                        Event::Introduced(t) => (Bound::Introduced, t),
                        Event::Fixed(t) => (Bound::Fixed, t),
                        Event::LastAffected(t) => (Bound::LastAffected, t),
                        Event::Limit(_) => return None,
                    };
                    Some(Pending {
                        bound,
                        position,
                        text,
                    })
                })
                .collect();
            write_events(&mut e, scheme, events);
        }
        // The fixed versions of every range, in the order the record lists them.
        let fixes = a
            .ranges
            .iter()
            .flat_map(|r| &r.events)
            .filter_map(|ev| match ev {
                Event::Fixed(t) => Some(t),
                _ => None,
            })
            .enumerate()
            .map(|(position, text)| Pending {
                bound: Bound::Fixed,
                position,
                text,
            })
            .collect();
        write_events(&mut e, scheme, fixes);
        match &a.requirements {
            Some(r) => {
                e.u8(1);
                e.strs(r.vulnerable.iter().map(String::as_str));
                e.strs(r.safe.iter().map(String::as_str));
            }
            None => e.u8(0),
        }
        w.framed(&e.0);
    }
    w.0
}

/// A staged entry of one advisory for one package: its affected entries (from
/// [`encode_entries`]) and, when the package is the only one the advisory is about, the
/// advisory's record (from [`encode_advisory`]).
pub(crate) fn encode_staged(entries: &[u8], record: Option<&[u8]>) -> Vec<u8> {
    let mut w = Writer::default();
    w.framed(entries);
    w.framed(record.unwrap_or_default());
    w.0
}

/// The parts of a value written by [`encode_staged`].
pub(crate) fn split_staged(value: &[u8]) -> Read<(&[u8], Option<&[u8]>)> {
    let mut r = Reader(value);
    let entries = r.framed()?;
    let record = r.framed()?;
    if !r.is_empty() {
        return Err(Malformed);
    }
    Ok((entries, (!record.is_empty()).then_some(record)))
}

/// Appends one advisory's entries, and its record when the package holds it, to a package's
/// index value (a count in front, from [`finish_candidates`], completes it).
pub(crate) fn push_candidate(value: &mut Vec<u8>, id: &str, entries: &[u8], record: Option<&[u8]>) {
    let mut w = Writer(std::mem::take(value));
    w.str(id);
    w.framed(entries);
    // A record is never empty: an empty one means none.
    w.framed(record.unwrap_or_default());
    *value = w.0;
}

/// The number of advisories in a package's index value, checking its framing.
fn count_candidates(value: &[u8]) -> Read<usize> {
    let mut r = Reader(value);
    let n = r.u32()?;
    for _ in 0..n {
        r.str()?;
        r.framed()?;
        r.framed()?;
    }
    if !r.is_empty() {
        return Err(Malformed);
    }
    Ok(n)
}

/// A package's index value from its `count` candidates appended with [`push_candidate`].
pub(crate) fn finish_candidates(count: usize, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(count);
    w.0.extend_from_slice(body);
    w.0
}

/// The advisories about one package, read in place from its index value.
#[derive(Clone, Default)]
pub struct Candidates {
    value: Option<sled::IVec>,
    count: usize,
}

impl Candidates {
    /// Wraps a package's index value, checking its framing.
    pub(crate) fn new(value: Option<sled::IVec>) -> Read<Candidates> {
        let Some(value) = value else {
            return Ok(Candidates::default());
        };
        let count = count_candidates(&value)?;
        Ok(Candidates {
            value: Some(value),
            count,
        })
    }

    /// Number of advisories.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no advisory is about the package.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The advisories in id order.
    pub fn iter(&self) -> impl Iterator<Item = Candidate<'_>> {
        let mut r = Reader(self.value.as_deref().unwrap_or_default());
        // `new` checked the framing, so these reads succeed; a failure ends the iteration.
        let count = if self.count > 0 {
            r.u32().unwrap_or(0)
        } else {
            0
        };
        (0..count).map_while(move |_| {
            Some(Candidate {
                id: r.str().ok()?,
                entries: r.framed().ok()?,
                record: r.framed().ok()?,
            })
        })
    }
}

/// One advisory about a package, with its affected entries for that package.
#[derive(Clone, Copy)]
pub struct Candidate<'a> {
    /// The advisory id.
    pub id: &'a str,
    entries: &'a [u8],
    record: &'a [u8],
}

impl<'a> Candidate<'a> {
    /// The candidate as an import stages it ([`encode_staged`]).
    pub(crate) fn staged(&self) -> Vec<u8> {
        encode_staged(
            self.entries,
            (!self.record.is_empty()).then_some(self.record),
        )
    }

    /// The advisory's record, when it is about this package alone and so is kept with it
    /// (otherwise [`crate::vuln::db::Snapshot::advisory_record`] reads it).
    pub fn advisory(&self) -> Result<Option<AdvisoryRecord>, Malformed> {
        if self.record.is_empty() {
            return Ok(None);
        }
        AdvisoryRecord::decode(self.record).map(Some)
    }

    /// The affected entries, in the record's order.
    pub fn affected(&self) -> impl Iterator<Item = Result<AffectedRef<'a>, Malformed>> + 'a {
        let mut r = Reader(self.entries);
        let count = r.u32();
        let (count, failed) = match count {
            Ok(n) => (n, false),
            Err(_) => (1, true),
        };
        (0..count).map(move |_| {
            if failed {
                return Err(Malformed);
            }
            AffectedRef::decode(r.framed()?)
        })
    }
}

/// One affected entry, read in place.
#[derive(Clone, Copy)]
pub struct AffectedRef<'a> {
    /// The OSV ecosystem with its release, as written (`Debian:12`, `PyPI`).
    pub ecosystem: &'a str,
    /// A severity word for this package alone.
    pub severity_label: Option<&'a str>,
    scheme: Option<Scheme>,
    versions: SortedSet<'a>,
    ranges: &'a [u8],
    range_count: usize,
    fixes: Events<'a>,
    requirements: Option<(&'a [u8], &'a [u8])>,
}

impl<'a> AffectedRef<'a> {
    fn decode(bytes: &'a [u8]) -> Read<AffectedRef<'a>> {
        let mut r = Reader(bytes);
        let ecosystem = r.str()?;
        let severity_label = r.opt_str()?;
        let scheme = match r.u8()? {
            NO_SCHEME => None,
            code => Some(*SCHEMES.get(code as usize).ok_or(Malformed)?),
        };
        let versions = SortedSet::read(&mut r)?;
        let range_count = r.u32()?;
        let start = r.0;
        for _ in 0..range_count {
            Events::read(&mut r)?;
        }
        let ranges = &start[..start.len() - r.0.len()];
        let fixes = Events::read(&mut r)?;
        let requirements = match r.u8()? {
            0 => None,
            1 => {
                let vulnerable = strs_slice(&mut r)?;
                Some((vulnerable, strs_slice(&mut r)?))
            }
            _ => return Err(Malformed),
        };
        if !r.is_empty() {
            return Err(Malformed);
        }
        Ok(AffectedRef {
            ecosystem,
            severity_label,
            scheme,
            versions,
            ranges,
            range_count,
            fixes,
            requirements,
        })
    }

    /// The ordering the events were stored in, if the ecosystem has one.
    pub fn ordered_by(&self) -> Option<Scheme> {
        self.scheme
    }

    /// Whether `version` is one of the explicitly listed affected versions.
    pub fn lists(&self, version: &str) -> bool {
        self.versions.contains(version)
    }

    /// The ECOSYSTEM and SEMVER ranges, each as its events.
    pub fn ranges(&self) -> impl Iterator<Item = Events<'a>> + 'a {
        let mut r = Reader(self.ranges);
        // `decode` read each range once already, so these reads succeed.
        (0..self.range_count).map_while(move |_| Events::read(&mut r).ok())
    }

    /// The fixed versions of every range (any type).
    pub fn fixes(&self) -> Events<'a> {
        self.fixes
    }

    /// Version requirements, for feeds that state them instead of ranges.
    pub fn requirements(&self) -> Option<Requirements> {
        let (vulnerable, safe) = self.requirements?;
        let read = |b: &[u8]| Reader(b).string_vec().unwrap_or_default();
        Some(Requirements {
            vulnerable: read(vulnerable),
            safe: read(safe),
        })
    }
}

/// Distinct strings in byte order, read in place (see `Writer::sorted_set`).
#[derive(Clone, Copy, Default)]
pub struct SortedSet<'a> {
    ends: &'a [u8],
    bytes: &'a [u8],
}

impl<'a> SortedSet<'a> {
    fn read(r: &mut Reader<'a>) -> Read<SortedSet<'a>> {
        let n = r.u32()?;
        let ends = r.bytes(n.checked_mul(4).ok_or(Malformed)?)?;
        let total = match ends.last_chunk::<4>() {
            Some(b) => u32::from_le_bytes(*b) as usize,
            None => 0,
        };
        Ok(SortedSet {
            ends,
            bytes: r.bytes(total)?,
        })
    }

    /// Reads a value that holds one set and nothing else.
    pub(crate) fn from_value(value: &'a [u8]) -> Read<SortedSet<'a>> {
        let mut r = Reader(value);
        let set = SortedSet::read(&mut r)?;
        if !r.is_empty() {
            return Err(Malformed);
        }
        Ok(set)
    }

    /// Whether `item` is in the set.
    pub fn contains(&self, item: &str) -> bool {
        let end_of = |i: usize| -> Option<usize> {
            let b = self.ends.get(i * 4..i * 4 + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let at = |i: usize| -> Option<&[u8]> {
            let start = if i == 0 { 0 } else { end_of(i - 1)? };
            self.bytes.get(start..end_of(i)?)
        };
        let (mut lo, mut hi) = (0, self.ends.len() / 4);
        let wanted = item.as_bytes();
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            // A slice out of bounds would mean a corrupt value: it holds nothing.
            let Some(v) = at(mid) else { return false };
            match v.cmp(wanted) {
                Ordering::Equal => return true,
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
            }
        }
        false
    }
}

/// A value holding the set of `items` (for [`SortedSet::from_value`]).
pub(crate) fn encode_set<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut w = Writer::default();
    w.sorted_set(items);
    w.0
}

/// The raw bytes of a list of strings, checked.
fn strs_slice<'a>(r: &mut Reader<'a>) -> Read<&'a [u8]> {
    let start = r.0;
    let n = r.u32()?;
    for _ in 0..n {
        r.str()?;
    }
    Ok(&start[..start.len() - r.0.len()])
}

/// Events of a range (or an entry's fixed versions): first those its ecosystem's ordering
/// parses, in that order, then the rest.
#[derive(Clone, Copy)]
pub struct Events<'a> {
    ordered: usize,
    total: usize,
    bytes: &'a [u8],
}

/// One stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// What it does.
    pub bound: Bound,
    /// Its place in the record, counting events the layout drops (`limit`).
    pub position: usize,
    /// The version as written.
    pub text: &'a str,
}

impl<'a> Events<'a> {
    fn read(r: &mut Reader<'a>) -> Read<Events<'a>> {
        let ordered = r.u32()?;
        let total = r.u32()?;
        if ordered > total {
            return Err(Malformed);
        }
        let start = r.0;
        for _ in 0..total {
            Bound::from_code(r.u8()?)?;
            r.u32()?;
            // UTF-8 is checked when an event is read: most are never reached.
            r.raw_str()?;
        }
        Ok(Events {
            ordered,
            total,
            bytes: &start[..start.len() - r.0.len()],
        })
    }

    fn all(&self) -> impl Iterator<Item = EventRef<'a>> + 'a {
        let mut r = Reader(self.bytes);
        // `read` checked the framing of every event, so only text that is not UTF-8 (a
        // corrupt value) ends the iteration early.
        (0..self.total).map_while(move |_| {
            Some(EventRef {
                bound: Bound::from_code(r.u8().ok()?).ok()?,
                position: r.u32().ok()?,
                text: r.str().ok()?,
            })
        })
    }

    /// The events [`AffectedRef::ordered_by`] parses, in its version order.
    pub fn ordered(&self) -> impl Iterator<Item = EventRef<'a>> + 'a {
        self.all().take(self.ordered)
    }

    /// Every event, in the record's order.
    pub fn in_record_order(&self) -> Vec<EventRef<'a>> {
        let mut all: Vec<EventRef<'a>> = self.all().collect();
        all.sort_by_key(|e| e.position);
        all
    }
}

/// An advisory as stored: the record without its affected entries, and the CVSS vector it is
/// rated by with that vector's base score.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAdvisory {
    /// The advisory (its `affected` list is empty: those live in the package index).
    pub advisory: Advisory,
    /// The preferred CVSS vector and its base score ([`crate::vuln::cvss::preferred`]).
    pub cvss: Option<(String, f64)>,
}

/// The tag of an advisory value that is the record itself.
const RECORD: u8 = 0;
/// The tag of an advisory value that names the package whose index value holds the record.
const KEPT_WITH: u8 = 1;

/// Where an advisory's record is, from its value in the `adv` tree.
pub(crate) enum Location<'a> {
    /// The value is the record.
    Here,
    /// The index value of this package key holds it.
    With(&'a str),
}

/// Where the record of an advisory value is.
pub(crate) fn locate(value: &[u8]) -> Read<Location<'_>> {
    match value.split_first() {
        Some((&RECORD, _)) => Ok(Location::Here),
        Some((&KEPT_WITH, key)) => std::str::from_utf8(key)
            .map(Location::With)
            .map_err(|_| Malformed),
        _ => Err(Malformed),
    }
}

/// The `adv` value of an advisory whose record the index value of `package_key` holds.
pub(crate) fn encode_kept_with(package_key: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + package_key.len());
    v.push(KEPT_WITH);
    v.extend_from_slice(package_key.as_bytes());
    v
}

/// An advisory record; `affected` is not stored.
pub(crate) fn encode_advisory(a: &Advisory) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(RECORD);
    w.str(&a.id);
    w.strs(a.aliases.iter().map(String::as_str));
    w.opt_str(a.summary.as_deref());
    w.opt_str(a.details.as_deref());
    w.u8(u8::from(a.withdrawn));
    w.u32(a.cvss.len());
    for (kind, vector) in &a.cvss {
        w.str(kind);
        w.str(vector);
    }
    w.opt_str(a.severity_label.as_deref());
    w.strs(a.references.iter().map(String::as_str));
    match crate::vuln::cvss::preferred(a.cvss.iter().map(|(_, v)| v.as_str())) {
        Some((vector, score)) => {
            w.u8(1);
            w.str(vector);
            w.0.extend_from_slice(&score.to_le_bytes());
        }
        None => w.u8(0),
    }
    w.0
}

/// An advisory record read once: its strings checked and copied into one buffer, so that a
/// record a matcher keeps for many findings costs two allocations and no second check.
#[derive(Debug, Clone)]
pub struct AdvisoryRecord {
    text: String,
    /// `(start, end)` of each string in `text`: the id, the aliases, the references, the CVSS
    /// `(type, vector)` pairs, then the optional fields present.
    spans: Vec<(usize, usize)>,
    aliases: usize,
    references: usize,
    cvss_pairs: usize,
    summary: Option<usize>,
    details: Option<usize>,
    severity_label: Option<usize>,
    preferred: Option<(usize, f64)>,
    withdrawn: bool,
}

impl AdvisoryRecord {
    /// Reads a record written by [`encode_advisory`].
    pub(crate) fn decode(bytes: &[u8]) -> Read<AdvisoryRecord> {
        let mut r = Reader(bytes);
        if r.u8()? != RECORD {
            return Err(Malformed);
        }
        let mut record = AdvisoryRecord {
            // Most of a record is its text; lengths and flags take a few bytes.
            text: String::with_capacity(bytes.len()),
            spans: Vec::new(),
            aliases: 0,
            references: 0,
            cvss_pairs: 0,
            summary: None,
            details: None,
            severity_label: None,
            preferred: None,
            withdrawn: false,
        };
        record.push(r.str()?);
        let aliases = r.u32()?;
        for _ in 0..aliases {
            record.push(r.str()?);
        }
        record.aliases = aliases;
        let summary = r.opt_str()?;
        let details = r.opt_str()?;
        record.withdrawn = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Malformed),
        };
        let pairs = r.u32()?;
        let mut cvss = Vec::with_capacity(pairs.min(bytes.len() / 8));
        for _ in 0..pairs {
            cvss.push((r.str()?, r.str()?));
        }
        let severity_label = r.opt_str()?;
        let references = r.u32()?;
        for _ in 0..references {
            record.push(r.str()?);
        }
        record.references = references;
        for (kind, vector) in cvss {
            record.push(kind);
            record.push(vector);
        }
        record.cvss_pairs = pairs;
        record.summary = summary.map(|s| record.push(s));
        record.details = details.map(|s| record.push(s));
        record.severity_label = severity_label.map(|s| record.push(s));
        record.preferred = match r.u8()? {
            0 => None,
            1 => {
                let vector = r.str()?;
                Some((record.push(vector), r.f64()?))
            }
            _ => return Err(Malformed),
        };
        if !r.is_empty() {
            return Err(Malformed);
        }
        Ok(record)
    }

    /// Appends `s` to the text; its index in `spans`.
    fn push(&mut self, s: &str) -> usize {
        let start = self.text.len();
        self.text.push_str(s);
        self.spans.push((start, self.text.len()));
        self.spans.len() - 1
    }

    /// The string at `spans[i]`. Spans are where `push` put whole strings, so the slice is
    /// always there; an empty string stands in otherwise.
    fn at(&self, i: usize) -> &str {
        self.spans
            .get(i)
            .and_then(|(a, b)| self.text.get(*a..*b))
            .unwrap_or_default()
    }

    fn run(&self, first: usize, count: usize) -> impl Iterator<Item = &str> {
        (first..first + count).map(|i| self.at(i))
    }

    /// The advisory id.
    pub fn id(&self) -> &str {
        self.at(0)
    }

    /// Other ids of the same vulnerability.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.run(1, self.aliases)
    }

    /// Links.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.run(1 + self.aliases, self.references)
    }

    /// CVSS vectors as `(type, vector)`.
    pub fn cvss_vectors(&self) -> impl Iterator<Item = (&str, &str)> {
        let first = 1 + self.aliases + self.references;
        (0..self.cvss_pairs).map(move |i| (self.at(first + 2 * i), self.at(first + 2 * i + 1)))
    }

    /// One-line summary.
    pub fn summary(&self) -> Option<&str> {
        self.summary.map(|i| self.at(i))
    }

    /// Longer description.
    pub fn details(&self) -> Option<&str> {
        self.details.map(|i| self.at(i))
    }

    /// Whether the record was withdrawn.
    pub fn withdrawn(&self) -> bool {
        self.withdrawn
    }

    /// A severity word the source gives.
    pub fn severity_label(&self) -> Option<&str> {
        self.severity_label.map(|i| self.at(i))
    }

    /// The preferred CVSS vector and its base score ([`crate::vuln::cvss::preferred`]).
    pub fn cvss(&self) -> Option<(&str, f64)> {
        self.preferred.map(|(i, score)| (self.at(i), score))
    }

    /// Whether this is a malicious-package record (OpenSSF `MAL-…`).
    pub fn is_malicious(&self) -> bool {
        self.id().starts_with("MAL-")
    }

    /// The record as an owned [`StoredAdvisory`].
    pub fn to_stored(&self) -> StoredAdvisory {
        let owned = |s: Option<&str>| s.map(str::to_string);
        StoredAdvisory {
            advisory: Advisory {
                id: self.id().to_string(),
                aliases: self.aliases().map(str::to_string).collect(),
                summary: owned(self.summary()),
                details: owned(self.details()),
                withdrawn: self.withdrawn,
                cvss: self
                    .cvss_vectors()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                severity_label: owned(self.severity_label()),
                references: self.references().map(str::to_string).collect(),
                affected: Vec::new(),
            },
            cvss: self.cvss().map(|(v, s)| (v.to_string(), s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vuln::advisory::Range;

    fn affected(ecosystem: &str, events: Vec<Event>, versions: &[&str]) -> Affected {
        Affected {
            ecosystem: ecosystem.into(),
            name: "x".into(),
            ranges: vec![
                Range {
                    kind: "ECOSYSTEM".into(),
                    events,
                },
                Range {
                    kind: "GIT".into(),
                    events: vec![Event::Fixed("abc123".into())],
                },
            ],
            versions: versions.iter().map(|v| v.to_string()).collect(),
            severity_label: Some("HIGH".into()),
            requirements: None,
        }
    }

    fn texts<'a>(e: impl Iterator<Item = EventRef<'a>>) -> Vec<&'a str> {
        e.map(|e| e.text).collect()
    }

    #[test]
    fn entries_round_trip_in_version_order() {
        let a = affected(
            "PyPI",
            vec![
                Event::Introduced("1.10".into()),
                Event::Fixed("1.10.3".into()),
                Event::Introduced("0".into()),
                Event::Fixed("1.9.2".into()),
                Event::Limit("2.0".into()),
                Event::Fixed("not a version".into()),
            ],
            &["1.9", "1.10", "1.1", "1.9"],
        );
        let mut value = Vec::new();
        push_candidate(&mut value, "PYSEC-1", &encode_entries(&[a]), None);
        let candidates =
            Candidates::new(Some(finish_candidates(1, &value).into())).expect("well formed");
        assert_eq!(candidates.len(), 1);
        let c = candidates.iter().next().expect("one candidate");
        assert_eq!(c.id, "PYSEC-1");
        let entries: Vec<AffectedRef<'_>> = c.affected().map(|a| a.expect("entry")).collect();
        let [e] = entries.as_slice() else {
            panic!("one entry")
        };
        assert_eq!(e.ecosystem, "PyPI");
        assert_eq!(e.severity_label, Some("HIGH"));
        assert_eq!(e.ordered_by(), Some(Scheme::Pep440));
        assert!(e.lists("1.9") && e.lists("1.10") && e.lists("1.1"));
        assert!(!e.lists("1.2") && !e.lists("") && !e.lists("1.10.0"));
        let ranges: Vec<Events<'_>> = e.ranges().collect();
        assert_eq!(ranges.len(), 1, "the GIT range is not walked");
        assert_eq!(texts(ranges[0].ordered()), ["0", "1.9.2", "1.10", "1.10.3"]);
        assert_eq!(
            texts(ranges[0].in_record_order().into_iter()),
            ["1.10", "1.10.3", "0", "1.9.2", "not a version"]
        );
        assert_eq!(texts(e.fixes().ordered()), ["1.9.2", "1.10.3"]);
        assert_eq!(
            texts(e.fixes().in_record_order().into_iter()),
            ["1.10.3", "1.9.2", "not a version", "abc123"]
        );
        assert!(e.requirements().is_none());
    }

    #[test]
    fn truncated_values_are_malformed() {
        let entries = encode_entries(&[affected("npm", vec![], &["1.0.0"])]);
        let mut value = Vec::new();
        push_candidate(&mut value, "GHSA-1", &entries, None);
        let full = finish_candidates(1, &value);
        for cut in 0..full.len() {
            assert!(Candidates::new(Some(full[..cut].into())).is_err(), "{cut}");
        }
        // Framing intact, an entry cut short: reading that entry fails.
        let mut value = Vec::new();
        push_candidate(&mut value, "GHSA-1", &entries[..entries.len() - 1], None);
        let c = Candidates::new(Some(finish_candidates(1, &value).into())).expect("framing");
        let c = c.iter().next().expect("one candidate");
        assert!(c.affected().any(|a| a.is_err()));
        assert!(Candidates::new(None).expect("absent").is_empty());
    }

    #[test]
    fn advisories_round_trip_with_their_score() {
        let a = Advisory {
            id: "GHSA-x".into(),
            aliases: vec!["CVE-2020-8203".into()],
            summary: Some("Prototype pollution".into()),
            details: None,
            withdrawn: false,
            cvss: vec![(
                "CVSS_V3".into(),
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H".into(),
            )],
            severity_label: Some("HIGH".into()),
            references: vec!["https://example.org/a".into()],
            affected: Vec::new(),
        };
        let bytes = encode_advisory(&a);
        let stored = AdvisoryRecord::decode(&bytes)
            .expect("well formed")
            .to_stored();
        assert_eq!(stored.advisory, a);
        let (vector, score) = stored.cvss.expect("scored");
        assert_eq!(vector, a.cvss[0].1);
        assert_eq!(score, 7.4);
        assert!(AdvisoryRecord::decode(&[1, 0]).is_err());
        assert!(AdvisoryRecord::decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
