//! Go binaries: the build information the Go linker embeds in every executable (what
//! `go version -m` prints), found and decoded as Go's `debug/buildinfo` does.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;
use object::elf::{FileHeader32, FileHeader64, PF_W, PF_X, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, FileKind};

/// Executables larger than this are not read.
const MAX_BINARY: u64 = 256 << 20;

/// The first bytes of every ELF file.
const ELF_MAGIC: &[u8] = b"\x7fELF";

/// The first bytes of the build information blob.
const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// The blob's header: magic, pointer size, flags, two pointers (or padding).
const HEADER_LEN: usize = 32;

/// The linker aligns the blob to this within the data segment.
const ALIGN: usize = 16;

/// How far into the data segment the blob is searched for, as Go does.
const SEARCH_LEN: u64 = 64 << 10;

/// Flag bit: the strings follow the header inline (Go 1.18+) instead of being pointed to.
const FLAG_INLINE: u8 = 2;

/// The module information is framed by 16 sentinel bytes at each end.
const FRAME_LEN: usize = 16;

/// Module paths and versions longer than this are not believed.
const MAX_FIELD: usize = 1024;

/// Modules kept per binary.
const MAX_MODULES: usize = 20_000;

/// Reads the build information of Go executables.
pub struct GoBinaryAnalyzer;

impl Analyzer for GoBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        crate::analyze::wants_executable(entry, MAX_BINARY)
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        // A truncated binary is still tried: the build information sits near the start of the
        // data segment and the program headers at the start of the file.
        if !is_file(entry) || !content.starts_with(ELF_MAGIC) {
            return Ok(Vec::new());
        }
        let Some(info) = build_info(content).map_err(|e| format!("/{}: {e}", entry.path))? else {
            return Ok(Vec::new());
        };
        let (packages, skipped) = packages(&info);
        let mut out = vec![Artifact::Packages(packages)];
        if skipped > 0 {
            out.push(Artifact::Warning(format!(
                "/{}: {skipped} malformed or excess Go module lines skipped",
                entry.path
            )));
        }
        Ok(out)
    }
}

/// A module as the build information records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version as written (`(devel)` for the main module built from a checkout).
    pub version: String,
    /// What a `replace` directive substituted for it.
    pub replace: Option<Box<Module>>,
}

/// The decoded build information of a Go binary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    /// The toolchain, as `runtime.Version()` reports it (`go1.19.8`).
    pub go_version: String,
    /// The main package's import path.
    pub path: Option<String>,
    /// The main module.
    pub main: Option<Module>,
    /// The modules linked in, in the order recorded.
    pub deps: Vec<Module>,
    /// Lines that could not be parsed, or were over [`MAX_MODULES`].
    pub skipped: usize,
}

/// The build information of an ELF binary: `Ok(None)` when it is not a Go binary, `Err` when
/// it is malformed.
pub fn build_info(elf: &[u8]) -> Result<Option<BuildInfo>, String> {
    let layout = match FileKind::parse(elf) {
        Ok(FileKind::Elf32) => Layout::of::<FileHeader32<Endianness>>(elf),
        Ok(FileKind::Elf64) => Layout::of::<FileHeader64<Endianness>>(elf),
        _ => return Err("not a readable ELF file".into()),
    }
    .map_err(|e| format!("malformed ELF: {e}"))?;
    let Some(blob) = layout.find_blob() else {
        return Ok(None);
    };
    let (go_version, modinfo) = layout
        .decode(blob)
        .ok_or("Go build information truncated or malformed")?;
    let mut info = parse_modinfo(&unframe(modinfo));
    info.go_version = go_version;
    Ok(Some(info))
}

/// The file-backed part of a loadable segment.
struct Segment<'a> {
    vaddr: u64,
    writable_data: bool,
    bytes: &'a [u8],
}

/// What the decoder needs of an ELF file: its loaded bytes by address.
struct Layout<'a> {
    segments: Vec<Segment<'a>>,
    /// The address of `.go.buildinfo`, when the section table is readable.
    section: Option<u64>,
}

impl<'a> Layout<'a> {
    fn of<Elf: FileHeader<Endian = Endianness>>(data: &'a [u8]) -> object::read::Result<Self> {
        let header = Elf::parse(data)?;
        let endian = header.endian()?;
        let segments = header
            .program_headers(endian, data)?
            .iter()
            .filter(|p| p.p_type(endian) == PT_LOAD)
            .filter_map(|p| {
                let offset = usize::try_from(p.p_offset(endian).into()).ok()?;
                let size = usize::try_from(p.p_filesz(endian).into()).unwrap_or(usize::MAX);
                // Only the part present in `data`: the content may have been cut at the read limit.
                let end = offset.saturating_add(size).min(data.len());
                Some(Segment {
                    vaddr: p.p_vaddr(endian).into(),
                    writable_data: p.p_flags(endian).0 & (PF_X.0 | PF_W.0) == PF_W.0,
                    bytes: data.get(offset..end)?,
                })
            })
            .collect();
        // The section table is at the end of the file and optional: without it the blob is
        // looked for at the start of the data segment, as Go does.
        let section = header.sections(endian, data).ok().and_then(|table| {
            table
                .section_by_name(endian, b".go.buildinfo")
                .map(|(_, s)| s.sh_addr(endian).into())
        });
        Ok(Layout { segments, section })
    }

    /// Up to `len` loaded bytes at `addr`.
    fn read(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.segments.iter().find_map(|s| {
            let start = usize::try_from(addr.checked_sub(s.vaddr)?).ok()?;
            let rest = s.bytes.get(start..)?;
            let n = usize::try_from(len).unwrap_or(usize::MAX).min(rest.len());
            rest.get(..n).filter(|b| !b.is_empty())
        })
    }

    /// Exactly `len` loaded bytes at `addr`.
    fn read_exact(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.read(addr, len)
            .filter(|b| u64::try_from(b.len()).is_ok_and(|n| n == len))
    }

    /// The blob and everything after it in its segment.
    fn find_blob(&self) -> Option<&'a [u8]> {
        let start = self.section.or_else(|| {
            self.segments
                .iter()
                .find(|s| s.writable_data)
                .map(|s| s.vaddr)
        })?;
        let window = self.read(start, SEARCH_LEN)?;
        let offset = (0..window.len()).step_by(ALIGN).find(|&i| {
            window
                .get(i..)
                .is_some_and(|w| w.starts_with(BUILDINFO_MAGIC))
        })?;
        let blob = self.read(start.checked_add(u64::try_from(offset).ok()?)?, u64::MAX)?;
        (blob.len() >= HEADER_LEN).then_some(blob)
    }

    /// The toolchain version and the framed module information of a blob.
    fn decode(&self, blob: &'a [u8]) -> Option<(String, &'a [u8])> {
        let ptr_size = usize::from(*blob.get(14)?);
        let flags = *blob.get(15)?;
        let (version, modinfo) = if flags & FLAG_INLINE != 0 {
            let (version, rest) = varint_string(blob.get(HEADER_LEN..)?)?;
            let (modinfo, _) = varint_string(rest)?;
            (version, modinfo)
        } else {
            let big_endian = flags != 0;
            let version = self.go_string(blob.get(16..)?, ptr_size, big_endian)?;
            let modinfo = self.go_string(blob.get(16 + ptr_size..)?, ptr_size, big_endian)?;
            (version, modinfo)
        };
        let version = String::from_utf8_lossy(version).into_owned();
        (!version.is_empty() && version.len() <= MAX_FIELD).then_some((version, modinfo))
    }

    /// The bytes of the Go string whose header's address is at the start of `at`.
    fn go_string(&self, at: &[u8], ptr_size: usize, big_endian: bool) -> Option<&'a [u8]> {
        let header = self.read_exact(pointer(at, ptr_size, big_endian)?, 2 * ptr_size as u64)?;
        let data = pointer(header, ptr_size, big_endian)?;
        let len = pointer(header.get(ptr_size..)?, ptr_size, big_endian)?;
        if len == 0 {
            return Some(&[]);
        }
        self.read_exact(data, len)
    }
}

/// A pointer-sized integer at the start of `b`.
fn pointer(b: &[u8], size: usize, big_endian: bool) -> Option<u64> {
    match size {
        4 => {
            let raw: [u8; 4] = b.get(..4)?.try_into().ok()?;
            Some(u64::from(if big_endian {
                u32::from_be_bytes(raw)
            } else {
                u32::from_le_bytes(raw)
            }))
        }
        8 => {
            let raw: [u8; 8] = b.get(..8)?.try_into().ok()?;
            Some(if big_endian {
                u64::from_be_bytes(raw)
            } else {
                u64::from_le_bytes(raw)
            })
        }
        _ => None,
    }
}

/// A string prefixed by its length as an unsigned LEB128 varint, and what follows it.
fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            let rest = b.get(i + 1..)?;
            let len = usize::try_from(len).ok()?;
            return Some((rest.get(..len)?, rest.get(len..)?));
        }
    }
    None
}

/// The module information without its sentinel framing; empty when it has none (a binary
/// built outside module mode).
fn unframe(modinfo: &[u8]) -> String {
    let n = modinfo.len();
    if n > 2 * FRAME_LEN && modinfo.get(n - FRAME_LEN - 1) == Some(&b'\n') {
        String::from_utf8_lossy(modinfo.get(FRAME_LEN..n - FRAME_LEN).unwrap_or_default())
            .into_owned()
    } else {
        String::new()
    }
}

/// Parse the module information text (`runtime/debug.BuildInfo.String()`).
fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Where a `=>` line attaches: the line before it, if that was a module.
    let mut last: Option<&mut Module> = None;
    for line in text.lines() {
        let mut fields = line.split('\t');
        let word = fields.next().unwrap_or_default();
        let rest: Vec<&str> = fields.collect();
        match word {
            "path" => {
                info.path = rest.first().map(|p| p.to_string());
                last = None;
            }
            "mod" | "dep" | "=>" => {
                let Some(module) = module(&rest) else {
                    info.skipped += 1;
                    last = None;
                    continue;
                };
                if word == "=>" {
                    match last.take() {
                        Some(m) => m.replace = Some(Box::new(module)),
                        None => info.skipped += 1,
                    }
                    continue;
                }
                if word == "mod" {
                    last = Some(info.main.insert(module));
                } else if info.deps.len() < MAX_MODULES {
                    info.deps.push(module);
                    last = info.deps.last_mut();
                } else {
                    info.skipped += 1;
                    last = None;
                }
            }
            _ => last = None,
        }
    }
    info
}

/// A module from the fields after the line's keyword: path, version, checksum.
fn module(fields: &[&str]) -> Option<Module> {
    let (path, version) = match fields {
        [path, version] | [path, version, _] => (*path, *version),
        _ => return None,
    };
    (!path.is_empty() && path.len() <= MAX_FIELD && version.len() <= MAX_FIELD).then(|| Module {
        path: path.to_string(),
        version: version.to_string(),
        replace: None,
    })
}

/// The packages of a binary's build information, and how many lines were skipped.
///
/// A replaced module is reported as its replacement. A module without a version (the main
/// module built from a checkout, a dependency replaced by a local directory) is left out: there
/// is nothing to match advisories against.
pub fn packages(info: &BuildInfo) -> (Vec<Package>, usize) {
    let mut out: Vec<Package> = info
        .main
        .iter()
        .chain(&info.deps)
        .map(|m| m.replace.as_deref().unwrap_or(m))
        .filter(|m| !m.version.is_empty() && m.version != "(devel)")
        .map(|m| package(&m.path, &m.version))
        .collect();
    if let Some(v) = stdlib_version(&info.go_version) {
        out.push(package("stdlib", &v));
    }
    (out, info.skipped)
}

fn package(name: &str, version: &str) -> Package {
    Package {
        name: name.to_string(),
        version: version.to_string(),
        kind: "golang".into(),
        purl: None,
        licenses: Vec::new(),
        source_name: None,
        source_version: None,
        arch: None,
        layer: None,
        path: None,
    }
}

/// The standard library's version as Go's vulnerability database writes it: `go1.19.8` →
/// `v1.19.8`, `go1.20` → `v1.20.0`, `go1.21rc2` → `v1.21.0-rc.2`; `None` for development
/// toolchains.
pub fn stdlib_version(go: &str) -> Option<String> {
    // Experiments follow a space: `go1.22.0 X:boringcrypto`.
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    let (release, pre) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
    let mut parts: Vec<&str> = release.split('.').collect();
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if parts.len() > 3 || !parts.iter().all(|p| numeric(p)) {
        return None;
    }
    parts.resize(3, "0");
    let pre = if pre.is_empty() {
        String::new()
    } else {
        let (word, n) = pre.split_at(pre.find(|c: char| c.is_ascii_digit())?);
        if !matches!(word, "rc" | "beta") || !numeric(n) {
            return None;
        }
        format!("-{word}.{n}")
    };
    Some(format!("v{}{pre}", parts.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODINFO: &str = "path\texample.com/app/cmd/app\n\
        mod\texample.com/app\t(devel)\t\n\
        dep\tgolang.org/x/net\tv0.0.0-20210405180319-a5a99cb37ef4\th1:abc=\n\
        dep\tgithub.com/old/thing\tv1.2.3+incompatible\n\
        =>\tgithub.com/new/thing\tv1.2.4\th1:def=\n\
        dep\texample.com/local\tv0.1.0\n\
        =>\t../local\t\t\n\
        build\t-compiler=gc\n";

    fn framed(text: &str) -> Vec<u8> {
        let mut v = vec![0x30u8; FRAME_LEN];
        v.extend_from_slice(text.as_bytes());
        v.extend_from_slice(&[0x31u8; FRAME_LEN]);
        v
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A minimal 64-bit little-endian ELF with one writable data segment at `VADDR` holding
    /// `data`.
    fn elf(data: &[u8]) -> Vec<u8> {
        const VADDR: u64 = 0x40_0000;
        let data_off = 64u64 + 56;
        let mut f = Vec::new();
        f.extend_from_slice(b"\x7fELF\x02\x01\x01\0");
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&VADDR.to_le_bytes()); // entry
        f.extend_from_slice(&64u64.to_le_bytes()); // phoff
        f.extend_from_slice(&0u64.to_le_bytes()); // shoff
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&64u16.to_le_bytes());
        f.extend_from_slice(&56u16.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes()); // phnum
        f.extend_from_slice(&64u16.to_le_bytes());
        f.extend_from_slice(&0u16.to_le_bytes());
        f.extend_from_slice(&0u16.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        f.extend_from_slice(&6u32.to_le_bytes()); // PF_R | PF_W
        f.extend_from_slice(&data_off.to_le_bytes());
        f.extend_from_slice(&VADDR.to_le_bytes());
        f.extend_from_slice(&VADDR.to_le_bytes());
        f.extend_from_slice(&(data.len() as u64).to_le_bytes());
        f.extend_from_slice(&(data.len() as u64).to_le_bytes());
        f.extend_from_slice(&16u64.to_le_bytes());
        f.extend_from_slice(data);
        f
    }

    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut b = BUILDINFO_MAGIC.to_vec();
        b.extend_from_slice(&[8, FLAG_INLINE]);
        b.resize(HEADER_LEN, 0);
        varint(version.len(), &mut b);
        b.extend_from_slice(version.as_bytes());
        varint(modinfo.len(), &mut b);
        b.extend_from_slice(modinfo);
        b
    }

    /// The pre-1.18 layout: two pointers to string headers, which point to the bytes.
    fn pointer_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        const VADDR: u64 = 0x40_0000;
        let headers = VADDR + HEADER_LEN as u64;
        let strings = headers + 32;
        let mut b = BUILDINFO_MAGIC.to_vec();
        b.extend_from_slice(&[8, 0]);
        b.extend_from_slice(&headers.to_le_bytes());
        b.extend_from_slice(&(headers + 16).to_le_bytes());
        b.extend_from_slice(&strings.to_le_bytes());
        b.extend_from_slice(&(version.len() as u64).to_le_bytes());
        b.extend_from_slice(&(strings + version.len() as u64).to_le_bytes());
        b.extend_from_slice(&(modinfo.len() as u64).to_le_bytes());
        b.extend_from_slice(version.as_bytes());
        b.extend_from_slice(modinfo);
        b
    }

    fn names(info: &BuildInfo) -> Vec<(String, String)> {
        packages(info)
            .0
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect()
    }

    fn expected() -> Vec<(String, String)> {
        [
            ("golang.org/x/net", "v0.0.0-20210405180319-a5a99cb37ef4"),
            ("github.com/new/thing", "v1.2.4"),
            ("stdlib", "v1.19.8"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn decodes_the_inline_format() {
        let bin = elf(&inline_blob("go1.19.8", &framed(MODINFO)));
        let info = build_info(&bin).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.19.8");
        assert_eq!(info.path.as_deref(), Some("example.com/app/cmd/app"));
        assert_eq!(info.main.as_ref().unwrap().version, "(devel)");
        assert_eq!(info.deps.len(), 3);
        assert_eq!(info.skipped, 0);
        assert_eq!(names(&info), expected());
    }

    #[test]
    fn decodes_the_pointer_format() {
        let bin = elf(&pointer_blob("go1.19.8", &framed(MODINFO)));
        let info = build_info(&bin).unwrap().unwrap();
        assert_eq!(names(&info), expected());
    }

    #[test]
    fn a_versioned_main_module_is_a_package() {
        let info = parse_modinfo("path\tx.io/a\nmod\tx.io/a\tv1.0.0\th1:x=\n");
        assert_eq!(packages(&info).0[0].version, "v1.0.0");
    }

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.19.8").as_deref(), Some("v1.19.8"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("v1.20.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("v1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.22.1 X:boringcrypto").as_deref(),
            Some("v1.22.1")
        );
        assert_eq!(stdlib_version("devel go1.23-abcdef"), None);
        assert_eq!(stdlib_version("go1.2.3.4"), None);
    }

    #[test]
    fn truncated_build_information_is_an_error() {
        let full = elf(&inline_blob("go1.19.8", &framed(MODINFO)));
        // Cut inside the module information: the blob is found, its string is short.
        let cut = &full[..full.len() - 40];
        assert!(build_info(cut).is_err());
        let pointers = elf(&pointer_blob("go1.19.8", &framed(MODINFO)));
        assert!(build_info(&pointers[..pointers.len() - 40]).is_err());
        // Every prefix: no panic.
        for n in 0..full.len() {
            let _ = build_info(&full[..n]);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(build_info(b"\x7fELF garbage").is_err());
        let mut bin = elf(&inline_blob("go1.19.8", &framed(MODINFO)));
        // Every single-byte corruption of the header, program header and blob header.
        for i in 0..(64 + 56 + HEADER_LEN + 4) {
            for v in [0x00, 0x7f, 0xff] {
                let old = bin[i];
                bin[i] = v;
                let _ = build_info(&bin);
                bin[i] = old;
            }
        }
        // Pointers far outside the file.
        let mut p = elf(&pointer_blob("go1.19.8", &framed(MODINFO)));
        let at = 64 + 56 + 16;
        p[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(build_info(&p).is_err());
    }

    #[test]
    fn a_non_go_elf_has_no_build_information() {
        assert_eq!(build_info(&elf(&[0u8; 256])).unwrap(), None);
        let Ok(true_bin) = std::fs::read("/bin/true") else {
            return;
        };
        assert_eq!(build_info(&true_bin).unwrap(), None);
        let entry = EntryMeta::file("bin/true", 0o755, true_bin.len() as u64);
        assert!(GoBinaryAnalyzer.wants(&entry).is_some());
        assert_eq!(
            GoBinaryAnalyzer.analyze(&entry, &true_bin, false).unwrap(),
            vec![]
        );
    }

    #[test]
    fn wants_only_executable_files() {
        let mut entry = EntryMeta::file("usr/bin/x", 0o644, 10);
        assert!(GoBinaryAnalyzer.wants(&entry).is_none());
        entry.mode = 0o100;
        assert!(GoBinaryAnalyzer.wants(&entry).is_some());
        entry.size = MAX_BINARY + 1;
        assert!(GoBinaryAnalyzer.wants(&entry).is_none());
    }
}
