//! A bounded, seeded mutation fuzz of everything the engine parses from an image: index,
//! manifest and config JSON, docker-archive `manifest.json`, the archives themselves and layer
//! tar bytes. Only two things are asserted: nothing panics, and every error says something.
//!
//! `ASSURE_FUZZ_ITERS` sets the total number of mutated inputs (default 1500);
//! `ASSURE_FUZZ_SEED` replays another run.

use assure_engine::analyze::files::FileDigests;
use assure_engine::analyze::os::OsAnalyzer;
use assure_engine::source::open_local;
use assure_engine::{Error, ScanOptions, Scanner};
use assure_tests::fixture::{
    Built, Compression, Entry, ImageSpec, LayerSpec, TarEnd, replace_member, sha256,
    write_docker_archive, write_oci_archive, write_oci_layout,
};
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn total_iterations() -> usize {
    std::env::var("ASSURE_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500)
}

fn seed() -> u64 {
    std::env::var("ASSURE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_a55e_12e5)
}

/// This target's share (in percent) of the iterations, at least one.
fn share(percent: usize) -> usize {
    (total_iterations() * percent / 100).max(1)
}

/// Bytes that tend to matter to parsers.
const INTERESTING: &[u8] = b"\0\xff\x7f\x80\"\\{}[]:,0123456789-+.eE/ \n";

/// A byte-level mutation: bit flips, overwrites, insertions, deletions, truncation.
fn mutate_bytes(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(64).min(len - i);
                let noise = rng.bytes(n);
                b[i..i + n].copy_from_slice(&noise);
            }
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(32);
                let noise = rng.bytes(n);
                b.splice(i..i, noise);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(512).min(len - i);
                b.drain(i..i + n);
            }
            5 => b.truncate(rng.below(len + 1)),
            6 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(512).min(len - i);
                let chunk = b[i..i + n].to_vec();
                let at = rng.below(len + 1);
                b.splice(at..at, chunk);
            }
            _ if rng.chance(20) => {
                let n = rng.below(2048);
                b = rng.bytes(n);
            }
            _ => {}
        }
    }
    b
}

/// Name fragments that tend to matter to a layer walk.
const NAME_PARTS: &[&[u8]] = &[
    b"../",
    b"/",
    b"./",
    b".wh.",
    b".wh..wh..opq",
    b"\0",
    b"etc",
    b"a/",
    b"\xff",
];
/// Entry types, valid and not: files, links, devices, long names, PAX, sparse, unknown.
const TYPE_FLAGS: &[u8] = b"0125L K x g S 7 D M V 3 4 6 Z \0";

/// A header-aware mutation of a tar: damage one field of one header and fix its checksum,
/// so the reader gets past the checksum and has to deal with the field.
fn mutate_tar(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    let headers: Vec<usize> = (0..b.len() / 512)
        .map(|i| i * 512)
        .filter(|&o| &b[o + 257..o + 262] == b"ustar")
        .collect();
    if headers.is_empty() {
        return mutate_bytes(rng, input);
    }
    for _ in 0..1 + rng.below(2) {
        let o = headers[rng.below(headers.len())];
        let (start, len) = match rng.below(6) {
            0 => {
                b[o + 156] = TYPE_FLAGS[rng.below(TYPE_FLAGS.len())];
                (0, 0)
            }
            1 => (o + 124, 12),  // size
            2 => (o + 100, 8),   // mode
            3 => (o, 100),       // name
            4 => (o + 157, 100), // link name
            _ => (o + 345, 155), // ustar prefix / GNU times
        };
        if len > 0 {
            let value: Vec<u8> = match (start - o, rng.below(4)) {
                (124, 0) => b"77777777777\0".to_vec(),
                (124, 1) => {
                    // Base-256, as GNU tar writes sizes of 8 GiB and more.
                    let mut v = vec![0x80];
                    v.extend(rng.bytes(11));
                    v
                }
                (124 | 100, _) => format!("{:011o}\0", rng.next() % (1 << 33)).into_bytes(),
                (_, 0) => rng.bytes(len),
                _ => (0..1 + rng.below(12))
                    .flat_map(|_| NAME_PARTS[rng.below(NAME_PARTS.len())].to_vec())
                    .collect(),
            };
            let n = value.len().min(len);
            b[start..start + len].fill(0);
            b[start..start + n].copy_from_slice(&value[..n]);
        }
        let mut header = tar::Header::new_old();
        header.as_mut_bytes().copy_from_slice(&b[o..o + 512]);
        header.set_cksum();
        b[o..o + 512].copy_from_slice(header.as_bytes());
    }
    b
}

/// Values that tend to break what reads JSON.
fn odd_value(rng: &mut Rng) -> Value {
    let zeros = format!("sha256:{}", "0".repeat(64));
    match rng.below(14) {
        0 => Value::Null,
        1 => serde_json::json!(-1),
        2 => serde_json::json!(u64::MAX),
        3 => serde_json::json!(1e308),
        4 => serde_json::json!(""),
        5 => serde_json::json!(zeros),
        6 => serde_json::json!("sha256:../../../etc/passwd"),
        7 => serde_json::json!([]),
        8 => serde_json::json!({}),
        9 => serde_json::json!("x".repeat(70_000)),
        10 => serde_json::json!(true),
        11 => serde_json::json!("linux/arm64/v8/extra"),
        12 => serde_json::json!([Value::Null, {"digest": zeros, "size": 0, "mediaType": ""}]),
        _ => serde_json::json!("md5:d41d8cd98f00b204e9800998ecf8427e"),
    }
}

/// JSON pointers of every node of `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                pointers(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// A structural mutation: replace a node with an odd value, or delete it.
fn mutate_json(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<Value>(input) else {
        return mutate_bytes(rng, input);
    };
    for _ in 0..1 + rng.below(3) {
        let mut all = Vec::new();
        pointers(&v, String::new(), &mut all);
        let target = all[rng.below(all.len())].clone();
        let delete = rng.chance(3);
        if delete && let Some((parent, key)) = target.rsplit_once('/') {
            match v.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(a)) => {
                    if let Ok(i) = key.parse::<usize>()
                        && i < a.len()
                    {
                        a.remove(i);
                    }
                }
                _ => {}
            }
        } else if let Some(node) = v.pointer_mut(&target) {
            *node = odd_value(rng);
        }
    }
    serde_json::to_vec(&v).unwrap_or_else(|_| input.to_vec())
}

/// Either kind of mutation, for JSON inputs.
fn mutate_any(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    if rng.chance(2) {
        mutate_json(rng, input)
    } else {
        mutate_bytes(rng, input)
    }
}

/// Scan `source` as the CLI would (with file digests, so every file is read) and render the
/// report: no panic, and an error must say something. Returns whether the scan succeeded.
fn scan_must_not_panic(target: &str, iteration: usize, source: &str) -> bool {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<String, Error> {
        let source = open_local(source)?;
        let mut options = ScanOptions::default();
        options.limits.max_image_bytes = 64 << 20;
        options.limits.max_entries = 10_000;
        let report = Scanner::new(options)
            .with_analyzers(vec![Arc::new(OsAnalyzer), Arc::new(FileDigests::all())])
            .scan(source.as_ref())?;
        Ok(report.to_json())
    }));
    match outcome {
        Err(_) => panic!(
            "{target}: iteration {iteration} panicked (ASSURE_FUZZ_SEED={})",
            seed()
        ),
        Ok(Err(e)) => {
            let msg = e.to_string();
            assert!(
                !msg.trim().is_empty(),
                "{target}: iteration {iteration}: empty error message: {e:?}"
            );
            false
        }
        Ok(Ok(json)) => {
            assert!(
                json.contains("assure.report/v1"),
                "{target}: iteration {iteration}"
            );
            true
        }
    }
}

/// The unmutated input must scan, or the fuzz would only ever exercise the first check.
fn assert_base_scans(target: &str, source: &str) {
    assert!(
        scan_must_not_panic(target, 0, source),
        "{target}: the unmutated fixture does not scan"
    );
}

/// A small image with something of everything the walk handles.
fn small_image(compression: Compression) -> ImageSpec {
    ImageSpec::new(vec![
        LayerSpec::new(vec![
            Entry::dir("etc"),
            Entry::file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
            Entry::file_mode("etc/shadow", 0o640, "root:*:19000:0:99999:7:::\n"),
            Entry::dir("opt"),
            Entry::file("opt/a", "a".repeat(700)),
            Entry::symlink("bin", "usr/bin"),
            Entry::hardlink("etc/shadow-", "etc/shadow"),
            Entry::file(&format!("long/{}", "n".repeat(150)), "long name"),
        ])
        .compression(compression),
        LayerSpec::new(vec![
            Entry::whiteout("etc/shadow"),
            Entry::opaque("opt"),
            Entry::file("opt/b", "b"),
            Entry::file("usr/bin/tool", vec![0x7f, b'E', b'L', b'F']),
        ])
        .compression(compression)
        .end(TarEnd::Unpadded),
    ])
}

fn layout(dir: &Path, compression: Compression) -> Built {
    write_oci_layout(&small_image(compression), dir).expect("write fixture")
}

#[test]
fn oci_index_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = layout(tmp.path(), Compression::Gzip);
    assert_base_scans("index.json", &built.source());
    let index = std::fs::read(built.dir.join("index.json")).expect("index.json");
    let mut rng = Rng::new(seed() ^ 1);
    for i in 0..share(15) {
        std::fs::write(built.dir.join("index.json"), mutate_any(&mut rng, &index)).expect("write");
        let source = if rng.chance(2) {
            built.source()
        } else {
            built.dir.display().to_string()
        };
        scan_must_not_panic("index.json", i, &source);
    }
}

#[test]
fn oci_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = layout(tmp.path(), Compression::Gzip);
    assert_base_scans("manifest", &built.source());
    let mut rng = Rng::new(seed() ^ 2);
    for i in 0..share(15) {
        let manifest = mutate_any(&mut rng, &built.manifest);
        let relinked = built.replace_manifest(&manifest).expect("relink");
        scan_must_not_panic("manifest", i, &relinked.source());
    }
}

#[test]
fn oci_config() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = layout(tmp.path(), Compression::None);
    assert_base_scans("config", &built.source());
    let mut rng = Rng::new(seed() ^ 3);
    for i in 0..share(15) {
        let config = mutate_any(&mut rng, &built.config);
        let relinked = built.replace_config(&config).expect("relink");
        scan_must_not_panic("config", i, &relinked.source());
    }
}

#[test]
fn docker_archive_manifest_and_config() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive = tmp.path().join("docker.tar");
    let built = write_docker_archive(&small_image(Compression::Gzip), &archive, "fuzz/image:1")
        .expect("write");
    let manifest = {
        let mut tar = tar::Archive::new(std::fs::File::open(&archive).expect("open"));
        let mut found = Vec::new();
        for entry in tar.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            if entry.path_bytes().as_ref() == b"manifest.json" {
                std::io::Read::read_to_end(&mut entry, &mut found).expect("read");
            }
        }
        found
    };
    assert_base_scans("docker manifest.json", &archive.display().to_string());
    let config_member = format!("{}.json", built.config_digest.trim_start_matches("sha256:"));
    let mut rng = Rng::new(seed() ^ 4);
    for i in 0..share(15) {
        if rng.chance(3) {
            replace_member(&archive, "manifest.json", &manifest).expect("restore manifest");
            replace_member(
                &archive,
                &config_member,
                &mutate_any(&mut rng, &built.config),
            )
            .expect("rewrite");
        } else {
            replace_member(&archive, &config_member, &built.config).expect("restore config");
            replace_member(&archive, "manifest.json", &mutate_any(&mut rng, &manifest))
                .expect("rewrite");
        }
        let source = if rng.chance(2) {
            format!("docker-archive:{}", archive.display())
        } else {
            archive.display().to_string()
        };
        scan_must_not_panic("docker manifest.json", i, &source);
    }
}

#[test]
fn whole_archives() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let oci = tmp.path().join("oci.tar");
    let docker = tmp.path().join("docker.tar");
    write_oci_archive(&small_image(Compression::None), &oci).expect("write");
    write_docker_archive(&small_image(Compression::None), &docker, "fuzz:1").expect("write");
    assert_base_scans("archive", &oci.display().to_string());
    assert_base_scans("archive", &docker.display().to_string());
    let originals = [
        std::fs::read(&oci).expect("read"),
        std::fs::read(&docker).expect("read"),
    ];
    let mutated = tmp.path().join("mutated.tar");
    let mut rng = Rng::new(seed() ^ 5);
    for i in 0..share(10) {
        let original = &originals[rng.below(2)];
        std::fs::write(&mutated, mutate_bytes(&mut rng, original)).expect("write");
        scan_must_not_panic("archive", i, &mutated.display().to_string());
    }
}

#[test]
fn layer_tar_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = layout(tmp.path(), Compression::None);
    assert_base_scans("layer tar", &built.source());
    let tars: Vec<Vec<u8>> = built
        .layers
        .iter()
        .map(|l| std::fs::read(&l.path).expect("read layer"))
        .collect();
    let mut rng = Rng::new(seed() ^ 6);
    for i in 0..share(20) {
        let which = rng.below(tars.len());
        let tar = if rng.chance(2) {
            mutate_tar(&mut rng, &tars[which])
        } else {
            mutate_bytes(&mut rng, &tars[which])
        };
        // Usually with a matching diffID, so the tar reader sees the damage, not the digest check.
        let diff_id = if rng.chance(8) {
            None
        } else {
            Some(sha256(&tar))
        };
        let relinked = built
            .replace_layer(which, &tar, diff_id.as_deref())
            .expect("relink");
        scan_must_not_panic("layer tar", i, &relinked.source());
    }
}

#[test]
fn compressed_layer_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gzip = layout(&tmp.path().join("gzip"), Compression::Gzip);
    let zstd = layout(&tmp.path().join("zstd"), Compression::Zstd);
    assert_base_scans("compressed layer", &gzip.source());
    assert_base_scans("compressed layer", &zstd.source());
    let mut rng = Rng::new(seed() ^ 7);
    for i in 0..share(10) {
        let built = if rng.chance(2) { &gzip } else { &zstd };
        let which = rng.below(built.layers.len());
        let blob = std::fs::read(&built.layers[which].path).expect("read layer");
        let relinked = built
            .replace_layer(which, &mutate_bytes(&mut rng, &blob), None)
            .expect("relink");
        scan_must_not_panic("compressed layer", i, &relinked.source());
    }
}
