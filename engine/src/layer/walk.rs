//! The streaming walk of one layer: blob → digest check → decompression → diffID check → tar
//! entries, each handed to a [`Visitor`]. Nothing is unpacked; memory does not grow with the
//! layer (content is read only for entries a visitor wants, up to a cap).

use crate::digest::{Mismatch, Verify};
use crate::error::Error;
use crate::image::LayerRef;
use crate::layer::decompress::{Compression, read_head};
use crate::layer::limits::{Budget, Exceeded, Metered, SMALL_READ};
use crate::layer::path::{file_name, join, normalize, parent};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::io::{self, BufReader, Cursor, Read};

/// What a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// A hard link to an earlier path.
    Hardlink,
    /// A device or FIFO.
    Other,
}

/// An entry's metadata, with its path normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    /// Path relative to the image root, no leading `/`.
    pub path: String,
    /// Entry type.
    pub kind: EntryKind,
    /// Permission bits (including setuid/setgid/sticky).
    pub mode: u32,
    /// Content size for files.
    pub size: u64,
    /// Symlink target as written, or the normalised hardlink target.
    pub link: Option<String>,
}

impl EntryMeta {
    /// A regular file at `path` (normalised, no leading `/`).
    pub fn file(path: impl Into<String>, mode: u32, size: u64) -> EntryMeta {
        EntryMeta {
            path: path.into(),
            kind: EntryKind::File,
            mode,
            size,
            link: None,
        }
    }
}

/// Receives the entries of a layer.
pub trait Visitor {
    /// How many bytes of this entry's content to read: `None` when the entry is not wanted.
    fn wants(&mut self, entry: &EntryMeta) -> Option<u64>;
    /// A wanted entry with (the first bytes of) its content; `truncated` if there was more.
    fn visit(&mut self, entry: &EntryMeta, content: &[u8], truncated: bool);
    /// A whiteout: `path` and everything below it is deleted from lower layers.
    fn whiteout(&mut self, path: &str);
    /// An opaque directory: everything below `dir` in lower layers is hidden.
    fn opaque(&mut self, dir: &str);
}

/// What a walk measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkStats {
    /// Tar entries seen.
    pub entries: u64,
    /// Uncompressed bytes read.
    pub uncompressed: u64,
}

/// Why a walk stopped early.
#[derive(Debug)]
pub enum WalkError {
    /// The layer is broken; the error names it.
    Layer(Error),
    /// The image went over a limit.
    Exceeded(Exceeded),
    /// Another layer failed and asked everyone to stop.
    Stopped,
}

/// Counts what the tar reader consumed and whether the stream ended.
struct Tracked<'a, R> {
    inner: R,
    pos: &'a Cell<u64>,
    eof: &'a Cell<bool>,
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof.set(true);
        }
        self.pos.set(self.pos.get() + n as u64);
        Ok(n)
    }
}

/// Walk one layer blob, verifying its digest and diffID, calling `visitor` for each entry.
pub fn walk_layer(
    blob: impl Read,
    layer: &LayerRef,
    budget: &Budget,
    visitor: &mut dyn Visitor,
) -> Result<WalkStats, WalkError> {
    let fail = |e: io::Error| classify(layer, budget, e, "reading the layer blob");
    // A size of 0 means "unknown" (docker-archive layers found by name).
    let size = (layer.size > 0).then_some(layer.size);
    let mut blob = Verify::new(blob, "blob", &layer.digest, size);
    let mut head = [0u8; 4];
    let n = read_head(&mut blob, &mut head).map_err(fail)?;
    let compression = Compression::detect(&head[..n]);
    let stats = {
        let input = BufReader::with_capacity(128 << 10, Cursor::new(&head[..n]).chain(&mut blob));
        let decoded = compression
            .decoder(input)
            .map_err(|e| classify(layer, budget, e, "starting decompression"))?;
        let mut tar = Verify::new(
            Metered::new(decoded, budget),
            "diffID",
            &layer.diff_id,
            None,
        );
        let entries = walk_tar(&mut tar, layer, budget, visitor)?;
        let uncompressed = tar
            .finish()
            .map_err(|e| classify(layer, budget, e, "reading the end of the layer"))?;
        WalkStats {
            entries,
            uncompressed,
        }
    };
    blob.finish().map_err(fail)?;
    Ok(stats)
}

/// Turn an I/O error into the walk's error, recognising limits, stops and digest mismatches.
fn classify(layer: &LayerRef, budget: &Budget, e: io::Error, doing: &str) -> WalkError {
    if let Some(x) = budget.exceeded() {
        return WalkError::Exceeded(x);
    }
    if budget.stopped() {
        return WalkError::Stopped;
    }
    if let Some(m) = find_mismatch(&e) {
        return WalkError::Layer(Error::layer(&layer.digest, m.to_string()));
    }
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "stream ends early (truncated)".to_string(),
        _ => e.to_string(),
    };
    WalkError::Layer(Error::layer(&layer.digest, format!("{doing}: {what}")))
}

/// The digest mismatch inside an I/O error, however deeply the tar reader wrapped it.
fn find_mismatch(e: &io::Error) -> Option<Mismatch> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(err) = cur {
        if let Some(m) = err.downcast_ref::<Mismatch>() {
            return Some(m.clone());
        }
        if let Some(io) = err.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
        {
            cur = Some(inner);
            continue;
        }
        cur = err.source();
    }
    None
}

fn round_up_512(n: u64) -> u64 {
    n.div_ceil(512) * 512
}

fn walk_tar(
    reader: impl Read,
    layer: &LayerRef,
    budget: &Budget,
    visitor: &mut dyn Visitor,
) -> Result<u64, WalkError> {
    let pos = Cell::new(0u64);
    let eof = Cell::new(false);
    let mut archive = tar::Archive::new(Tracked {
        inner: reader,
        pos: &pos,
        eof: &eof,
    });
    let mut entries = archive
        .entries()
        .map_err(|e| classify(layer, budget, e, "reading tar"))?;
    let mut count = 0u64;
    // Where the data of the last entry ends in the tar stream.
    let mut last_end: Option<u64> = None;
    let mut content = Vec::new();
    loop {
        if budget.stopped() {
            return Err(budget
                .exceeded()
                .map_or(WalkError::Stopped, WalkError::Exceeded));
        }
        let mut entry = match entries.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                // Debian's umoci ends layer tars right after the last entry's data, without
                // padding or end-of-archive blocks; containerd accepts that, so do we. A stream
                // that ends anywhere else is truncated.
                if eof.get()
                    && let Some(end) = last_end
                    && (end..=round_up_512(end)).contains(&pos.get())
                    && budget.exceeded().is_none()
                    && find_mismatch(&e).is_none()
                {
                    break;
                }
                let after = if count == 0 {
                    "at the first entry".to_string()
                } else {
                    format!("after entry {count}")
                };
                return Err(classify(
                    layer,
                    budget,
                    e,
                    &format!("corrupt or truncated tar {after}"),
                ));
            }
        };
        budget.add_entry().map_err(WalkError::Exceeded)?;
        count += 1;
        let header = entry.header();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::Hardlink,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => EntryKind::Other,
            // Global PAX headers and unknown types carry no file.
            _ => continue,
        };
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let size = entry.size();
        last_end = Some(entry.raw_file_position() + size);
        let Some(path) = normalize(&entry.path_bytes()) else {
            continue; // the root directory itself
        };
        let name = file_name(&path);
        if let Some(target) = name.strip_prefix(".wh.") {
            if target == ".wh..opq" {
                visitor.opaque(parent(&path));
            } else if !target.starts_with(".wh.") && !target.is_empty() {
                visitor.whiteout(&join(parent(&path), target));
            }
            continue;
        }
        let link = match kind {
            EntryKind::Symlink => entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned()),
            EntryKind::Hardlink => entry.link_name_bytes().and_then(|l| normalize(&l)),
            _ => None,
        };
        let meta = EntryMeta {
            path,
            kind,
            mode,
            size: if kind == EntryKind::File { size } else { 0 },
            link,
        };
        let Some(cap) = visitor.wants(&meta) else {
            continue;
        };
        content.clear();
        let mut truncated = false;
        let mut permit = None;
        if kind == EntryKind::File && cap > 0 {
            let want = cap.min(budget.limits().max_file_read).min(size);
            if want > SMALL_READ {
                permit = Some(budget.reserve_content(want));
                // Exactly what is needed: growing by doubling would hold up to twice as much.
                content = Vec::with_capacity(usize::try_from(want).unwrap_or(usize::MAX));
            }
            (&mut entry)
                .take(want)
                .read_to_end(&mut content)
                .map_err(|e| classify(layer, budget, e, &format!("reading {}", meta.path)))?;
            if (content.len() as u64) < want {
                return Err(WalkError::Layer(Error::layer(
                    &layer.digest,
                    format!(
                        "truncated tar: {} ends after {} of {size} bytes",
                        meta.path,
                        content.len()
                    ),
                )));
            }
            truncated = size > want;
        }
        visitor.visit(&meta, &content, truncated);
        if permit.take().is_some() {
            // Give a large buffer back rather than keep it for the rest of the layer.
            content = Vec::new();
        }
    }
    Ok(count)
}
