//! Java archives (JAR, WAR, EAR, Jenkins `.jpi`/`.hpi` plugins, `.par`): the Maven
//! coordinates recorded in `META-INF/maven/<group>/<artifact>/pom.properties`, or guessed from
//! `META-INF/MANIFEST.MF` and the file name when there is none, for the archive and for every
//! Java archive nested in it (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, an EAR's modules).
//!
//! Archives are hostile input: nesting depth, entries per archive, archives and decompressed
//! bytes per top-level archive, and each metadata read are bounded. What goes over a bound or
//! does not parse is a warning naming the nested archive; a top-level archive that cannot be
//! opened at all is an error naming it. Packages found before a bound was hit are kept.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::layer::walk::{EntryKind, EntryMeta};
use crate::report::Package;
use std::io::{Cursor, Read};
use zip::ZipArchive;

/// Archives larger than this are not read (the scan's per-file limit may be lower).
pub const MAX_ARCHIVE: u64 = 256 << 20;

/// Decompressed bytes read from one top-level archive and everything nested in it.
pub const MAX_INFLATE: u64 = 256 << 20;

/// How many levels of archives nested in archives are opened.
pub const MAX_DEPTH: usize = 3;

/// Entries of one archive; an archive with more is not read.
pub const MAX_ENTRIES: usize = 200_000;

/// Archives (the top-level one and nested ones) opened per top-level archive.
pub const MAX_ARCHIVES: usize = 4096;

/// Packages reported per top-level archive.
const MAX_PACKAGES: usize = 10_000;

/// Bytes of one `pom.properties` or `MANIFEST.MF` read.
const MAX_METADATA: u64 = 1 << 20;

/// Warnings listed one by one per top-level archive; the rest are counted.
const MAX_LISTED: usize = 10;

/// File-name extensions of Java archives, lowercase.
const EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".jpi", ".hpi", ".par"];

/// The first bytes of every central directory header of a zip archive.
const CENTRAL_HEADER: &[u8] = b"PK\x01\x02";

/// The size of a central directory header with an empty name.
const MIN_CENTRAL_HEADER: usize = 46;

/// Characters of an entry name shown in paths and warnings.
const MAX_NAME: usize = 512;

/// Reads the Maven coordinates of Java archives.
pub struct JavaAnalyzer;

impl Analyzer for JavaAnalyzer {
    fn name(&self) -> &'static str {
        "java"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        // Every non-directory at an archive's name is wanted, so that a symlink or empty file
        // replacing the archive in an upper layer hides what a lower layer recorded there.
        (entry.kind != EntryKind::Dir && is_java_archive(&entry.path))
            .then_some(Want::Content(MAX_ARCHIVE))
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !is_file(entry) {
            return Ok(Vec::new());
        }
        let top = format!("/{}", entry.path);
        if truncated {
            // The central directory is at the end: a prefix of a zip archive cannot be read.
            return Err(format!(
                "{top}: {} bytes, over the read limit of {} bytes; not read",
                entry.size,
                content.len()
            ));
        }
        let found = scan(&top, content)?;
        let mut out = Vec::new();
        if !found.packages.is_empty() {
            out.push(Artifact::Packages(found.packages));
        }
        out.extend(found.warnings.into_iter().map(Artifact::Warning));
        Ok(out)
    }
}

/// What [`scan`] found in one top-level archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Maven packages, `path` set to the archive (`/app.war!/WEB-INF/lib/x.jar` when nested).
    pub packages: Vec<Package>,
    /// Guessed coordinates, limits reached, nested archives that could not be read.
    pub warnings: Vec<String>,
}

/// The Maven packages of the archive at `top` (its path in the image, with a leading `/`)
/// whose bytes are `bytes`, and of the archives nested in it. `Err` when the archive itself
/// is not a readable zip archive.
pub fn scan(top: &str, bytes: &[u8]) -> Result<Found, String> {
    let file_name = top.rsplit('/').next().unwrap_or(top);
    // The zip reader parses hostile input: a bug in it must cost one archive, not the scan.
    let walked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut walk = Walk::new(top);
        walk.archive(bytes, "", file_name, 0)
            .map(|()| walk)
            .map_err(|e| format!("{top}: {e}"))
    }))
    .map_err(|_| format!("{top}: the zip reader failed on this archive"))??;
    Ok(walked.finish())
}

/// Whether `path` names a Java archive.
fn is_java_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    EXTENSIONS.iter().any(|ext| {
        name.len() > ext.len()
            && name
                .get(name.len() - ext.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(ext))
    })
}

/// The state of reading one top-level archive and what is nested in it.
struct Walk<'a> {
    /// The top-level archive's path in the image.
    top: &'a str,
    /// Decompressed bytes still allowed.
    inflate_left: u64,
    /// Archives opened so far.
    archives: usize,
    /// The limit that ended the walk, once one was reached.
    stopped: Option<String>,
    packages: Vec<Package>,
    guessed: Vec<String>,
    problems: Vec<String>,
}

/// How decompressing one entry went.
enum Inflated {
    /// All of it.
    Whole(Vec<u8>),
    /// More than the limit asked for: the first `limit` bytes.
    Longer(Vec<u8>),
    /// Declared larger than the decompression budget left (this many bytes); not read.
    Skipped(u64),
    /// The top-level archive's decompression budget ran out.
    OutOfBudget,
}

impl<'a> Walk<'a> {
    fn new(top: &'a str) -> Self {
        Walk {
            top,
            inflate_left: MAX_INFLATE,
            archives: 0,
            stopped: None,
            packages: Vec::new(),
            guessed: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn finish(self) -> Found {
        let mut warnings: Vec<String> = self.stopped.into_iter().collect();
        if !self.guessed.is_empty() {
            // Coordinates not recorded by Maven may be wrong: say which ones are guesses.
            let listed: Vec<&str> = self
                .guessed
                .iter()
                .take(MAX_LISTED)
                .map(String::as_str)
                .collect();
            let more = self.guessed.len() - listed.len();
            warnings.push(format!(
                "no pom.properties; Maven coordinates guessed from MANIFEST.MF and the file name: {}{}",
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        let listed = self.problems.len().min(MAX_LISTED);
        let more = self.problems.len() - listed;
        warnings.extend(self.problems.into_iter().take(listed));
        if more > 0 {
            warnings.push(format!(
                "{more} more problems with nested archives not listed"
            ));
        }
        Found {
            packages: self.packages,
            warnings,
        }
    }

    /// End the walk because of the limit `what`, reached at `at`; only the first counts.
    fn stop(&mut self, at: &str, what: impl std::fmt::Display) {
        if self.stopped.is_none() {
            self.stopped = Some(if at.is_empty() {
                what.to_string()
            } else {
                format!("{at}: {what}")
            });
        }
    }

    /// Record a problem at `at` (`""` for the top-level archive itself).
    fn problem(&mut self, at: &str, what: impl std::fmt::Display) {
        if at.is_empty() {
            self.problems.push(what.to_string());
        } else {
            self.problems.push(format!("{at}: {what}"));
        }
    }

    /// Read the archive `bytes`, at `nested` (`""` for the top-level one, else `!/a.war!/b.jar`)
    /// and named `file_name`, `depth` levels down. `Err` when it cannot be opened.
    fn archive(
        &mut self,
        bytes: &[u8],
        nested: &str,
        file_name: &str,
        depth: usize,
    ) -> Result<(), String> {
        self.archives += 1;
        if more_entries_than(bytes, MAX_ENTRIES) {
            return Err(format!("more than {MAX_ENTRIES} entries; not read"));
        }
        let mut zip = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;

        let mut poms = Vec::new();
        let mut manifest = None;
        let mut archives = Vec::new();
        for i in 0..zip.len() {
            let Ok(entry) = zip.by_index_data(i) else {
                continue;
            };
            if entry.is_dir() {
                continue;
            }
            let name = display(entry.name_raw());
            if let Some((group, artifact)) = pom_properties_dir(&name) {
                poms.push((i, group.to_string(), artifact.to_string(), name));
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest.get_or_insert(i);
            } else if is_java_archive(&name) {
                archives.push((i, name));
            }
        }

        let manifest = manifest
            .and_then(|i| {
                self.entry(
                    &mut zip,
                    i,
                    MAX_METADATA,
                    &format!("{nested}!/META-INF/MANIFEST.MF"),
                    true,
                )
            })
            .map(|b| Manifest::parse(&String::from_utf8_lossy(&b)));

        let mut found = Vec::new();
        for (i, group, artifact, name) in poms {
            let at = format!("{nested}!/{name}");
            let Some(b) = self.entry(&mut zip, i, MAX_METADATA, &at, false) else {
                continue;
            };
            match pom_coordinates(&String::from_utf8_lossy(&b), &group, &artifact) {
                Some(c) => found.push(c),
                None => self.problem(&at, "no valid groupId, artifactId and version"),
            }
        }
        found.sort();
        found.dedup();

        let path = format!("{}{nested}", self.top);
        let license = manifest
            .as_ref()
            .and_then(|m| m.get("Bundle-License"))
            .filter(|l| !l.is_empty() && *l != "<<EXTERNAL>>")
            .map(str::to_string);
        if found.is_empty() {
            if let Some(c) = guess(manifest.as_ref(), file_name) {
                let mut shown = format!("{}@{}", c.name(), c.version);
                if !nested.is_empty() {
                    shown.push_str(&format!(" ({nested})"));
                }
                self.guessed.push(shown);
                self.push(&path, c, license);
            }
        } else {
            let own = own_index(&found, manifest.as_ref(), file_name);
            for (k, c) in found.into_iter().enumerate() {
                let l = if Some(k) == own {
                    license.clone()
                } else {
                    None
                };
                self.push(&path, c, l);
            }
        }

        let mut too_deep = 0;
        for (i, name) in archives {
            if self.stopped.is_some() {
                break;
            }
            if depth >= MAX_DEPTH {
                too_deep += 1;
                continue;
            }
            if self.archives >= MAX_ARCHIVES {
                self.stop(
                    nested,
                    format!("more than {MAX_ARCHIVES} nested archives; the rest not read"),
                );
                break;
            }
            let inner = format!("{nested}!/{name}");
            let Some(bytes) = self.entry(&mut zip, i, u64::MAX, &inner, false) else {
                continue;
            };
            let inner_name = name.rsplit('/').next().unwrap_or(&name);
            if let Err(e) = self.archive(&bytes, &inner, inner_name, depth + 1) {
                self.problem(&inner, e);
            }
        }
        if too_deep > 0 {
            self.problem(
                nested,
                format!("{too_deep} archives nested more than {MAX_DEPTH} levels deep; not read"),
            );
        }
        Ok(())
    }

    /// The content of entry `index` (at `at`, as `!/a.war!/WEB-INF/web.xml`), or `None` with
    /// the reason recorded. With `prefix_ok`, an entry over `limit` yields its first bytes.
    fn entry(
        &mut self,
        zip: &mut ZipArchive<Cursor<&[u8]>>,
        index: usize,
        limit: u64,
        at: &str,
        prefix_ok: bool,
    ) -> Option<Vec<u8>> {
        match self.read(zip, index, limit) {
            Ok(Inflated::Whole(b)) => Some(b),
            Ok(Inflated::Longer(b)) if prefix_ok => Some(b),
            Ok(Inflated::Longer(_)) => {
                self.problem(at, format!("over {limit} bytes; not read"));
                None
            }
            Ok(Inflated::Skipped(size)) => {
                let left = self.inflate_left;
                self.problem(
                    at,
                    format!(
                        "declared {size} bytes uncompressed, over the {left} bytes left of the {} MiB decompression limit; not read",
                        MAX_INFLATE >> 20
                    ),
                );
                None
            }
            Ok(Inflated::OutOfBudget) => {
                self.stop(
                    at,
                    format!(
                        "over the {} MiB decompression limit; the rest of the archive not read",
                        MAX_INFLATE >> 20
                    ),
                );
                None
            }
            Err(e) => {
                self.problem(at, e);
                None
            }
        }
    }

    fn push(&mut self, path: &str, c: Coordinates, license: Option<String>) {
        if self.packages.len() >= MAX_PACKAGES {
            self.stop(
                "",
                format!("more than {MAX_PACKAGES} packages; the rest not read"),
            );
            return;
        }
        self.packages.push(Package {
            name: c.name(),
            version: c.version,
            kind: "maven".into(),
            purl: None,
            licenses: license.into_iter().collect(),
            source_name: None,
            source_version: None,
            arch: None,
            layer: None,
            path: Some(path.to_string()),
        });
    }

    /// Decompress entry `index`, at most `limit` bytes and never more than the budget left;
    /// declared sizes only ever shorten the work.
    fn read(
        &mut self,
        zip: &mut ZipArchive<Cursor<&[u8]>>,
        index: usize,
        limit: u64,
    ) -> Result<Inflated, String> {
        if self.stopped.is_some() {
            // A limit ended the walk; nothing more is read.
            return Ok(Inflated::OutOfBudget);
        }
        let cap = limit.min(self.inflate_left);
        let mut file = zip.by_index(index).map_err(|e| e.to_string())?;
        if file.size() > cap && cap < limit {
            return Ok(Inflated::Skipped(file.size()));
        }
        let mut buf = Vec::new();
        let result = (&mut file)
            .take(cap.saturating_add(1))
            .read_to_end(&mut buf);
        self.inflate_left = self.inflate_left.saturating_sub(buf.len() as u64);
        result.map_err(|e| e.to_string())?;
        if buf.len() as u64 <= cap {
            return Ok(Inflated::Whole(buf));
        }
        if cap < limit {
            // The entry lied about its size and used up the budget.
            self.inflate_left = 0;
            return Ok(Inflated::OutOfBudget);
        }
        buf.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
        Ok(Inflated::Longer(buf))
    }
}

/// Whether the zip archive `bytes` has more than `max` central directory entries. The zip
/// reader keeps every entry in memory, so this is checked before opening hostile archives;
/// only archives large enough to hold that many entries are searched.
pub(crate) fn more_entries_than(bytes: &[u8], max: usize) -> bool {
    bytes.len() / MIN_CENTRAL_HEADER > max
        && bytes
            .windows(CENTRAL_HEADER.len())
            .filter(|w| *w == CENTRAL_HEADER)
            .take(max + 1)
            .count()
            > max
}

/// An entry name fit to show: lossy UTF-8, control characters replaced, length bounded.
pub(crate) fn display(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .take(MAX_NAME)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `(group, artifact)` of a `…META-INF/maven/<group>/<artifact>/pom.properties` entry.
fn pom_properties_dir(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_suffix("/pom.properties")?;
    let (rest, artifact) = rest.rsplit_once('/')?;
    let (rest, group) = rest.rsplit_once('/')?;
    let meta = rest.strip_suffix("META-INF/maven")?;
    (meta.is_empty() || meta.ends_with('/')).then_some((group, artifact))
}

/// Maven coordinates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Coordinates {
    /// `None` when no group could be found or guessed.
    group: Option<String>,
    artifact: String,
    version: String,
}

impl Coordinates {
    /// `group:artifact`, or the artifact alone when the group is unknown.
    fn name(&self) -> String {
        match &self.group {
            Some(g) => format!("{g}:{}", self.artifact),
            None => self.artifact.clone(),
        }
    }
}

/// Whether `s` is a Maven groupId or artifactId.
fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether `s` can be a concrete version (not empty, no spaces, no unexpanded `${…}`).
fn is_version(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.contains("${")
        && !s.chars().any(char::is_whitespace)
        && !s.chars().any(char::is_control)
}

/// The coordinates a `pom.properties` records; `group` and `artifact` (from its directory)
/// stand in for keys it lacks.
fn pom_coordinates(text: &str, group: &str, artifact: &str) -> Option<Coordinates> {
    let props = properties(text);
    let get = |k: &str| {
        props
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim())
    };
    let group = get("groupId").unwrap_or(group);
    let artifact = get("artifactId").unwrap_or(artifact);
    let version = get("version")?;
    (is_id(group) && is_id(artifact) && is_version(version)).then(|| Coordinates {
        group: Some(group.to_string()),
        artifact: artifact.to_string(),
        version: version.to_string(),
    })
}

/// The key-value pairs of a Java properties file (comments, `=`/`:`/space separators,
/// continuation lines and backslash escapes).
fn properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        out.push(split_property(&logical));
        logical.clear();
    }
    if !logical.is_empty() {
        out.push(split_property(&logical));
    }
    out
}

/// One logical properties line split into its unescaped key and value.
fn split_property(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.chars();
    let mut escaped = false;
    for c in chars.by_ref() {
        if escaped {
            key.push(unescape(c));
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '=' | ':') || c.is_whitespace() {
            break;
        } else {
            key.push(c);
        }
    }
    let rest = chars.as_str().trim_start();
    let rest = rest.strip_prefix(['=', ':']).map_or(rest, str::trim_start);
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    value.push(ch);
                }
            }
            Some(c) => value.push(unescape(c)),
            None => {}
        }
    }
    (key, value)
}

fn unescape(c: char) -> char {
    match c {
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'f' => '\x0c',
        other => other,
    }
}

/// The main section of a `MANIFEST.MF`.
#[derive(Debug, Default)]
struct Manifest(Vec<(String, String)>);

impl Manifest {
    /// The main section's attributes; continuation lines (starting with one space) joined.
    fn parse(text: &str) -> Manifest {
        let mut attrs: Vec<(String, String)> = Vec::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                // The main section ends at the first blank line; per-entry sections follow.
                break;
            }
            if let Some(more) = line.strip_prefix(' ') {
                if let Some((_, v)) = attrs.last_mut() {
                    v.push_str(more);
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                // Not trimmed yet: a value may be wrapped right after a space.
                let v = v.strip_prefix(' ').unwrap_or(v);
                attrs.push((k.trim().to_string(), v.to_string()));
            }
        }
        Manifest(attrs)
    }

    /// The first value of attribute `key` (names are case-insensitive).
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
    }

    /// `Bundle-SymbolicName` without its directives (`;singleton:=true`).
    fn symbolic_name(&self) -> Option<&str> {
        let bsn = self.get("Bundle-SymbolicName")?;
        Some(bsn.split(';').next().unwrap_or(bsn).trim()).filter(|s| is_id(s))
    }
}

/// `artifact-1.2.3.jar` → (`artifact`, `1.2.3`); `artifact.jar` → (`artifact`, none). When
/// `version` is known and ends the name, it is split off exactly (`guava-31.1-jre`).
fn split_file_name<'n>(file_name: &'n str, version: Option<&str>) -> (&'n str, Option<&'n str>) {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    if let Some(v) = version
        && let Some(artifact) = stem
            .strip_suffix(v)
            .and_then(|s| s.strip_suffix('-'))
            .filter(|a| !a.is_empty())
    {
        return (artifact, stem.get(artifact.len() + 1..));
    }
    let bytes = stem.as_bytes();
    let split = (2..bytes.len())
        .find(|&i| bytes.get(i - 1) == Some(&b'-') && bytes.get(i).is_some_and(u8::is_ascii_digit));
    match split {
        Some(i) => (stem.get(..i - 1).unwrap_or(stem), stem.get(i..)),
        None => (stem, None),
    }
}

/// Whether a version from a file name looks like a release: a number, a dot, a number.
fn looks_released(v: &str) -> bool {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && v.as_bytes().get(digits) == Some(&b'.')
        && v.as_bytes().get(digits + 1).is_some_and(u8::is_ascii_digit)
}

/// Coordinates for an archive without `pom.properties`; `None` when no version is found.
///
/// Every part is a guess, and is reported as one:
/// - version: `Implementation-Version`, else `Bundle-Version`, else the file name's
///   (`artifact-1.2.3.jar`);
/// - artifact: `Implementation-Title` when it is a valid artifactId (it is often a display
///   name), else the file name without its version, else the last part of
///   `Bundle-SymbolicName`;
/// - group: `Implementation-Vendor-Id` (Maven writes the groupId there), else
///   `Bundle-SymbolicName` without its last dot-separated part (the Maven bundle plugin makes
///   it `<groupId>.<artifactId>`, or shortens it: `org.apache.commons.lang3`), else none, and
///   the name is the artifact alone.
fn guess(manifest: Option<&Manifest>, file_name: &str) -> Option<Coordinates> {
    let attr = |k: &str| manifest.and_then(|m| m.get(k));
    let from_manifest = attr("Implementation-Version")
        .filter(|v| is_version(v))
        .or_else(|| attr("Bundle-Version").filter(|v| is_version(v)));
    let (file_artifact, file_version) = split_file_name(file_name, from_manifest);
    // A file name's version must look like one (`1.2`, `31.1-jre`): `lib-2.jar` is no release.
    let file_version = file_version.filter(|v| is_version(v) && looks_released(v));
    let version = from_manifest.or(file_version)?;
    let bsn = manifest.and_then(Manifest::symbolic_name);
    let artifact = attr("Implementation-Title")
        .filter(|t| is_id(t))
        .or(Some(file_artifact).filter(|a| is_id(a)))
        .or_else(|| bsn.and_then(|b| b.rsplit('.').next()).filter(|a| is_id(a)))?;
    let group = attr("Implementation-Vendor-Id")
        .filter(|g| is_id(g))
        .or_else(|| bsn.and_then(|b| b.rsplit_once('.')).map(|(g, _)| g))
        .filter(|g| is_id(g));
    Some(Coordinates {
        group: group.map(str::to_string),
        artifact: artifact.to_string(),
        version: version.to_string(),
    })
}

/// Which of several `pom.properties` describes the archive itself (the rest were shaded or
/// copied in): the only one, or the one named like the file, or the one matching the
/// manifest's version and symbolic name.
fn own_index(found: &[Coordinates], manifest: Option<&Manifest>, file_name: &str) -> Option<usize> {
    if found.len() == 1 {
        return Some(0);
    }
    let (file_artifact, file_version) = split_file_name(file_name, None);
    let by_name: Vec<usize> = (0..found.len())
        .filter(|&k| {
            found.get(k).is_some_and(|c| {
                c.artifact == file_artifact && file_version.is_none_or(|v| v == c.version)
            })
        })
        .collect();
    if let [k] = by_name.as_slice() {
        return Some(*k);
    }
    let version = manifest.and_then(|m| m.get("Implementation-Version"));
    let bsn = manifest.and_then(Manifest::symbolic_name)?;
    let matching: Vec<usize> = (0..found.len())
        .filter(|&k| {
            found.get(k).is_some_and(|c| {
                version.is_none_or(|v| v == c.version)
                    && c.group
                        .as_deref()
                        .is_some_and(|g| bsn == format!("{g}.{}", c.artifact))
            })
        })
        .collect();
    match matching.as_slice() {
        [k] => Some(*k),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    fn zip_of(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(false);
        for (name, data) in entries {
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        zip_of(entries, CompressionMethod::Deflated)
    }

    fn pom(g: &str, a: &str, v: &str) -> (String, Vec<u8>) {
        (
            format!("META-INF/maven/{g}/{a}/pom.properties"),
            format!("#Generated by Maven\ngroupId={g}\nartifactId={a}\nversion={v}\n").into_bytes(),
        )
    }

    fn coords(found: &Found) -> Vec<(String, String, String)> {
        let mut v: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.path.clone().unwrap(), p.name.clone(), p.version.clone()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn wants_java_archives_only() {
        let meta = |path: &str, kind| EntryMeta {
            path: path.into(),
            kind,
            mode: 0o644,
            size: 10,
            link: None,
        };
        let a = JavaAnalyzer;
        for p in [
            "usr/share/java/commons-lang3.jar",
            "app/app.WAR",
            "srv/app.ear",
            "var/jenkins_home/plugins/git.jpi",
            "x/plugin.hpi",
        ] {
            assert_eq!(
                a.wants(&meta(p, EntryKind::File)),
                Some(Want::Content(MAX_ARCHIVE)),
                "{p}"
            );
        }
        assert!(
            a.wants(&meta("usr/share/java/x.jar", EntryKind::Symlink))
                .is_some()
        );
        for p in ["usr/share/java", "a.jar.txt", ".jar", "jar", "x/jar"] {
            assert_eq!(a.wants(&meta(p, EntryKind::File)), None, "{p}");
        }
        assert_eq!(a.wants(&meta("x.jar", EntryKind::Dir)), None);
    }

    #[test]
    fn uber_jar_reports_every_pom_properties() {
        let (p1, d1) = pom("org.example", "app", "1.0.0");
        let (p2, d2) = pom("com.google.guava", "guava", "31.1-jre");
        let manifest = b"Manifest-Version: 1.0\r\nBundle-License: Apache-2.0\r\n\r\n";
        let bytes = jar(&[
            ("META-INF/MANIFEST.MF", manifest),
            (&p1, &d1),
            (&p2, &d2),
            ("org/example/App.class", b"\xca\xfe\xba\xbe"),
        ]);
        let found = scan("/app/app-1.0.0.jar", &bytes).unwrap();
        assert_eq!(
            coords(&found),
            vec![
                (
                    "/app/app-1.0.0.jar".into(),
                    "com.google.guava:guava".into(),
                    "31.1-jre".into()
                ),
                (
                    "/app/app-1.0.0.jar".into(),
                    "org.example:app".into(),
                    "1.0.0".into()
                ),
            ]
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        // The manifest's licence is the archive's own, not the shaded library's.
        for p in &found.packages {
            let want: &[&str] = if p.name == "org.example:app" {
                &["Apache-2.0"]
            } else {
                &[]
            };
            assert_eq!(p.licenses, want, "{}", p.name);
            assert_eq!(p.kind, "maven");
        }
    }

    #[test]
    fn nested_archives_get_bang_paths() {
        let (p, d) = pom("org.slf4j", "slf4j-api", "1.7.32");
        let inner = jar(&[(&p, &d)]);
        let (p2, d2) = pom("org.apache.commons", "commons-lang3", "3.12.0");
        let lib = jar(&[(&p2, &d2)]);
        // Spring Boot stores nested jars uncompressed; WARs usually deflate them.
        let war = zip_of(
            &[
                ("WEB-INF/web.xml", b"<web-app/>"),
                ("WEB-INF/lib/slf4j-api-1.7.32.jar", &inner),
            ],
            CompressionMethod::Stored,
        );
        let ear = jar(&[("app.war", &war), ("lib/commons-lang3-3.12.0.jar", &lib)]);
        let found = scan("/srv/app.ear", &ear).unwrap();
        assert_eq!(
            coords(&found),
            vec![
                (
                    "/srv/app.ear!/app.war!/WEB-INF/lib/slf4j-api-1.7.32.jar".into(),
                    "org.slf4j:slf4j-api".into(),
                    "1.7.32".into()
                ),
                (
                    "/srv/app.ear!/lib/commons-lang3-3.12.0.jar".into(),
                    "org.apache.commons:commons-lang3".into(),
                    "3.12.0".into()
                ),
            ]
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    #[test]
    fn manifest_and_file_name_guesses_are_marked() {
        let manifest = b"Manifest-Version: 1.0\nImplementation-Title: Apache Commons IO\nImplementation-Version: 2.11.0\nImplementation-Vendor-Id: commons-io\nBundle-SymbolicName: org.apache.commons.io\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\n\nName: org/\nImplementation-Version: 9\n";
        let found = scan(
            "/usr/share/java/commons-io-2.11.0.jar",
            &jar(&[("META-INF/MANIFEST.MF", manifest)]),
        )
        .unwrap();
        assert_eq!(
            coords(&found),
            vec![(
                "/usr/share/java/commons-io-2.11.0.jar".into(),
                "commons-io:commons-io".into(),
                "2.11.0".into()
            )]
        );
        assert_eq!(
            found.packages[0].licenses,
            ["https://www.apache.org/licenses/LICENSE-2.0.txt"]
        );
        assert_eq!(found.warnings.len(), 1);
        assert!(
            found.warnings[0].contains("guessed"),
            "{:?}",
            found.warnings
        );

        // The group from the bundle's symbolic name; the artifact from the file name.
        let manifest =
            b"Bundle-SymbolicName: org.apache.commons.lang3;singleton:=true\nBundle-Version: 3.12.0\n";
        let found = scan(
            "/x/commons-lang3.jar",
            &jar(&[("META-INF/MANIFEST.MF", manifest)]),
        )
        .unwrap();
        assert_eq!(found.packages[0].name, "org.apache.commons:commons-lang3");
        assert_eq!(found.packages[0].version, "3.12.0");

        // Only a file name: no group.
        let found = scan("/x/kotlin-stdlib-1.9.0.jar", &jar(&[("a.class", b"")])).unwrap();
        assert_eq!(found.packages[0].name, "kotlin-stdlib");
        assert_eq!(found.packages[0].version, "1.9.0");
        assert!(found.packages[0].licenses.is_empty());

        // No version anywhere: nothing.
        let manifest = b"Manifest-Version: 1.0\nImplementation-Title: app\n";
        let found = scan("/x/app.jar", &jar(&[("META-INF/MANIFEST.MF", manifest)])).unwrap();
        assert!(found.packages.is_empty());
        assert!(found.warnings.is_empty());
    }

    #[test]
    fn manifest_continuation_lines() {
        let m = Manifest::parse(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jac\r\n kson-databind\r\nbundle-version: 2.13.4.2\r\n\r\nName: x\r\nBundle-Version: 0\r\n",
        );
        assert_eq!(
            m.symbolic_name(),
            Some("com.fasterxml.jackson.core.jackson-databind")
        );
        assert_eq!(m.get("Bundle-Version"), Some("2.13.4.2"));
    }

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("commons-lang3-3.12.0.jar", None),
            ("commons-lang3", Some("3.12.0"))
        );
        assert_eq!(
            split_file_name("guava-31.1-jre.jar", Some("31.1-jre")),
            ("guava", Some("31.1-jre"))
        );
        assert_eq!(
            split_file_name("log4j-1.2-api-2.17.1.jar", Some("2.17.1")),
            ("log4j-1.2-api", Some("2.17.1"))
        );
        assert_eq!(split_file_name("app.jar", None), ("app", None));
        assert_eq!(split_file_name("-1.jar", None), ("-1", None));
    }

    #[test]
    fn properties_syntax() {
        let p = properties(
            "# c\n! c\n  groupId = org.ex\\\n   ample\nartifactId:a\\u0062c\nversion 1.0\n",
        );
        assert_eq!(
            p,
            vec![
                ("groupId".into(), "org.example".into()),
                ("artifactId".into(), "abc".into()),
                ("version".into(), "1.0".into()),
            ]
        );
        assert_eq!(
            pom_coordinates("version=${project.version}\n", "g", "a"),
            None
        );
        assert_eq!(
            pom_coordinates("version=1\n", "g", "a").map(|c| c.name()),
            Some("g:a".to_string())
        );
        assert_eq!(
            pom_properties_dir("META-INF/maven/g/a/pom.properties"),
            Some(("g", "a"))
        );
        assert_eq!(
            pom_properties_dir("WEB-INF/classes/META-INF/maven/g/a/pom.properties"),
            Some(("g", "a"))
        );
        assert_eq!(
            pom_properties_dir("XMETA-INF/maven/g/a/pom.properties"),
            None
        );
        assert_eq!(pom_properties_dir("META-INF/maven/a/pom.properties"), None);
    }

    #[test]
    fn corrupt_archives_are_errors_or_warnings() {
        let err = scan("/x/broken.jar", b"PK\x03\x04 not really a zip").unwrap_err();
        assert!(err.starts_with("/x/broken.jar: "), "{err}");
        assert!(scan("/x/empty.jar", b"").is_err());

        // A truncated archive: its central directory is gone.
        let (p, d) = pom("g", "a", "1");
        let good = jar(&[(&p, &d)]);
        assert!(scan("/x/cut.jar", &good[..good.len() / 2]).is_err());

        // A nested archive that is garbage, and one whose data is corrupt: warnings; the
        // outer archive's own package is still reported.
        let mut bad_data = jar(&[(&p, &d)]);
        // Flip bytes of the compressed pom.properties, after its local header.
        for b in bad_data.iter_mut().skip(30 + p.len()).take(8) {
            *b ^= 0xff;
        }
        let (op, od) = pom("g", "outer", "2");
        let outer = jar(&[
            (&op, &od),
            ("WEB-INF/lib/junk.jar", b"junk"),
            ("WEB-INF/lib/bad.jar", &bad_data),
        ]);
        let found = scan("/x/outer.war", &outer).unwrap();
        assert_eq!(found.packages.len(), 1, "{:?}", found.packages);
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.starts_with("!/WEB-INF/lib/junk.jar: not a readable zip archive")),
            "{:?}",
            found.warnings
        );
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.contains("!/WEB-INF/lib/bad.jar")),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn analyzer_errors_name_the_archive() {
        let meta = EntryMeta::file("app/app.jar", 0o644, 1 << 30);
        let err = JavaAnalyzer.analyze(&meta, b"PK", true).unwrap_err();
        assert!(err.starts_with("/app/app.jar: 1073741824 bytes"), "{err}");
        let err = JavaAnalyzer.analyze(&meta, b"garbage", false).unwrap_err();
        assert!(err.starts_with("/app/app.jar: not a readable zip"), "{err}");
    }

    /// A deflated entry of `mib` MiB of zeros: a few KiB compressed.
    fn zeros(w: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, mib: usize) {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(false);
        w.start_file(name, options).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..mib {
            w.write_all(&zeros).unwrap();
        }
    }

    /// Overwrite the uncompressed size that the local and central headers of the entry named
    /// `name` declare.
    fn lie_about_size(zip: &mut [u8], name: &str, size: u32) {
        for (magic, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
            let at = (0..zip.len() - name_at - name.len())
                .find(|&i| {
                    zip[i..].starts_with(magic) && zip[i + name_at..].starts_with(name.as_bytes())
                })
                .unwrap();
            zip[at + size_at..at + size_at + 4].copy_from_slice(&size.to_le_bytes());
        }
    }

    #[test]
    fn zip_bombs_are_bounded() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        zeros(&mut w, "WEB-INF/lib/bomb.jar", 300);
        zeros(&mut w, "WEB-INF/lib/liar.jar", 300);
        zeros(&mut w, "META-INF/maven/g/big/pom.properties", 4);
        let (p, d) = pom("g", "a", "1");
        w.start_file(&p, SimpleFileOptions::default()).unwrap();
        w.write_all(&d).unwrap();
        let mut bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 4 << 20, "{}", bomb.len());
        lie_about_size(&mut bomb, "WEB-INF/lib/liar.jar", 1000);

        let found = scan("/x/bomb.war", &bomb).unwrap();
        assert_eq!(
            coords(&found),
            vec![("/x/bomb.war".into(), "g:a".into(), "1".into())]
        );
        let has = |prefix: &str| found.warnings.iter().any(|w| w.starts_with(prefix));
        // Declared too large: not even inflated.
        assert!(
            has("!/WEB-INF/lib/bomb.jar: declared 314572800 bytes uncompressed"),
            "{:?}",
            found.warnings
        );
        // Declared small: the zip reader stops at the declared size (else the limit would).
        assert!(has("!/WEB-INF/lib/liar.jar: "), "{:?}", found.warnings);
        assert!(
            has("!/META-INF/maven/g/big/pom.properties: over 1048576 bytes"),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // Each level holds its own pom.properties and the level below.
        let mut bytes = Vec::new();
        for level in (0..=MAX_DEPTH + 2).rev() {
            let (p, d) = pom("g", &format!("level{level}"), "1");
            let mut entries: Vec<(&str, &[u8])> = vec![(&p, &d)];
            if !bytes.is_empty() {
                entries.push(("lib/inner.jar", &bytes));
            }
            bytes = jar(&entries);
        }
        let found = scan("/x/deep.jar", &bytes).unwrap();
        let names: Vec<String> = found.packages.iter().map(|p| p.name.clone()).collect();
        assert_eq!(
            names,
            (0..=MAX_DEPTH)
                .map(|l| format!("g:level{l}"))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            found.packages[MAX_DEPTH].path.as_deref(),
            Some("/x/deep.jar!/lib/inner.jar!/lib/inner.jar!/lib/inner.jar")
        );
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.contains("nested more than 3 levels deep")),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn archive_count_is_bounded() {
        // 20 archives of 20 archives of 20 archives: more to open than allowed.
        let mut bytes = Vec::new();
        for level in 0..3 {
            let names: Vec<String> = (0..20).map(|i| format!("lib/l{level}-{i}.jar")).collect();
            let entries: Vec<(&str, &[u8])> = names
                .iter()
                .map(|n| (n.as_str(), bytes.as_slice()))
                .collect();
            bytes = zip_of(&entries, CompressionMethod::Stored);
        }
        let found = scan("/x/wide.jar", &bytes).unwrap();
        assert!(found.packages.is_empty());
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.contains("more than 4096 nested archives")),
            "{:?}",
            found.warnings
        );
        assert!(
            found.warnings.len() <= MAX_LISTED + 2,
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn too_many_entries_is_refused() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(false);
        for i in 0..=MAX_ENTRIES {
            w.start_file(format!("e{i}"), options).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        let err = scan("/x/many.jar", &bytes).unwrap_err();
        assert_eq!(err, "/x/many.jar: more than 200000 entries; not read");
    }
}
