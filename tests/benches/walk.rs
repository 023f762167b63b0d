//! Benchmark of the streaming layer walk on synthetic OCI images.
//!
//! Measures the walk's wall time against the floor of decompressing the same layer blobs with
//! `zcat > /dev/null` in the same run, and the scanning process's peak RSS.
//! Targets: walk ≤ 1.3× the zcat floor; peak RSS ≤ 150 MiB.
//!
//! ```text
//! cargo bench -p assure-tests --bench walk -- all [--work DIR] [--sizes 256:50000,1024:210000,4096:400000]
//!                                                 [--reps N] [--keep] [--breakdown]
//! cargo bench -p assure-tests --bench walk -- gen --size-mib N --files N --out DIR
//!                                                 [--layers 4] [--level 1] [--seed 1] [--compression gzip|none]
//!                                                 [--binary-mib M]
//! cargo bench -p assure-tests --bench walk -- run --image DIR [--reps 3] [--breakdown]
//! cargo bench -p assure-tests --bench walk -- breakdown --image DIR [--reps 1]
//! ```
//!
//! `scan-only --image DIR --workers N` is what `run` starts in a child process for each engine
//! measurement, so that the peak RSS it reads (VmHWM) is the scan's alone.

use anyhow::{Context, Result, anyhow, bail};
use assure_engine::digest::Verify;
use assure_engine::image::LayerRef;
use assure_engine::layer::decompress::Compression as LayerCompression;
use assure_engine::layer::limits::{Budget, Limits, Metered};
use assure_engine::layer::path::normalize;
use assure_engine::layer::walk::{EntryMeta, Visitor, walk_layer};
use assure_engine::report::Status;
use assure_engine::scan::build_report;
use assure_engine::{ScanOptions, Scanner};
use assure_tests::measure::{median, vm_hwm_kib};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
const GIB: f64 = (1u64 << 30) as f64;
const TAG: &str = "bench";
const FILES_PER_DIR: usize = 64;
const RATIO_TARGET: f64 = 1.3;
const RSS_TARGET_MIB: f64 = 150.0;

const USAGE: &str = "usage: walk [all|gen|run|breakdown|scan-only|smoke] [options]
  all        --work DIR --sizes MIB:FILES,... --reps N --keep --breakdown (and gen's options)
  gen        --size-mib N --files N --out DIR [--layers 4] [--level 1] [--seed 1] [--compression gzip|none]
             [--binary-mib M]  (one M MiB executable at the start of every layer)
  run        --image DIR [--reps 3] [--breakdown]
  breakdown  --image DIR [--reps 1]
  scan-only  --image DIR [--workers N] [--analyzers default|none|NAME,...]
  smoke      all on one 16 MiB image (the default without --bench, as `cargo test --benches` runs it)";

const FLAGS: [&str; 3] = ["keep", "breakdown", "help"];
const OPTIONS: [&str; 14] = [
    "work",
    "sizes",
    "reps",
    "size-mib",
    "files",
    "out",
    "layers",
    "level",
    "seed",
    "compression",
    "image",
    "workers",
    "binary-mib",
    "analyzers",
];

fn main() -> Result<()> {
    let args = Args::parse()?;
    if args.flag("help") {
        println!("{USAGE}");
        return Ok(());
    }
    match args.cmd.as_str() {
        "all" => cmd_all(&args),
        "smoke" => {
            println!("walk bench in test mode: one small image (cargo bench runs the full sizes)");
            let mut args = args;
            args.opts
                .entry("sizes".into())
                .or_insert_with(|| "16:3000".into());
            args.opts.entry("reps".into()).or_insert_with(|| "1".into());
            cmd_all(&args)
        }
        "gen" => {
            let spec = GenSpec::from_args(&args, args.num("size-mib")?, args.num("files")?)?;
            let out = PathBuf::from(
                args.get("out")
                    .ok_or_else(|| anyhow!("gen needs --out DIR\n{USAGE}"))?,
            );
            let g = generate(&spec, &out)?;
            println!("{}", g.line(&out));
            Ok(())
        }
        "run" => {
            let image = args.image()?;
            let r = run(&image, args.num_or("reps", 3)?, args.flag("breakdown"))?;
            println!("{}", r.line());
            Ok(())
        }
        "breakdown" => breakdown(&load_image(&args.image()?)?, args.num_or("reps", 1)?),
        "scan-only" => scan_only(
            &args.image()?,
            args.num_or("workers", 2)?,
            args.get("analyzers").unwrap_or("default"),
        ),
        other => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Arguments

struct Args {
    cmd: String,
    opts: BTreeMap<String, String>,
    flags: BTreeSet<String>,
}

impl Args {
    fn parse() -> Result<Args> {
        // `cargo bench` passes `--bench` to harness-less benches; `cargo test --benches` runs
        // them without it, and then gets a quick check on a small image instead of `all`.
        let bench = std::env::args().any(|a| a == "--bench");
        let mut it = std::env::args().skip(1).filter(|a| a != "--bench");
        let mut cmd = None;
        let mut opts = BTreeMap::new();
        let mut flags = BTreeSet::new();
        while let Some(a) = it.next() {
            if let Some(key) = a.strip_prefix("--") {
                if FLAGS.contains(&key) {
                    flags.insert(key.to_string());
                } else if OPTIONS.contains(&key) {
                    let value = it
                        .next()
                        .ok_or_else(|| anyhow!("--{key} needs a value\n{USAGE}"))?;
                    opts.insert(key.to_string(), value);
                } else {
                    bail!("unknown option --{key}\n{USAGE}");
                }
            } else if cmd.is_none() {
                cmd = Some(a);
            } else {
                bail!("unexpected argument `{a}`\n{USAGE}");
            }
        }
        Ok(Args {
            cmd: cmd.unwrap_or_else(|| if bench { "all" } else { "smoke" }.to_string()),
            opts,
            flags,
        })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }

    fn flag(&self, key: &str) -> bool {
        self.flags.contains(key)
    }

    fn num<T: std::str::FromStr>(&self, key: &str) -> Result<T> {
        let v = self
            .get(key)
            .ok_or_else(|| anyhow!("--{key} is required\n{USAGE}"))?;
        v.parse()
            .map_err(|_| anyhow!("--{key}: `{v}` is not a number"))
    }

    fn num_or<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T> {
        if self.get(key).is_some() {
            self.num(key)
        } else {
            Ok(default)
        }
    }

    fn image(&self) -> Result<PathBuf> {
        Ok(PathBuf::from(self.get("image").ok_or_else(|| {
            anyhow!("--image DIR is required\n{USAGE}")
        })?))
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic content

/// xorshift64: deterministic, fast, good enough for file contents and sizes.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-uniform in [lo, hi).
    fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1)) as f64, hi as f64);
        (l * (h / l).powf(self.unit())) as u64
    }
}

/// 4096 pseudo-words, each with its separator (a space, or a newline for about one in ten),
/// drawn with a Zipf-like skew (a word's rank is log-uniform) as in real text and code.
struct Dict {
    words: Vec<Vec<u8>>,
    /// 1024 phrases of 3–12 words, some indented: the repeated runs of real text and code.
    phrases: Vec<Vec<u8>>,
    /// 16-bit random number → word index, following the skew.
    zipf: Vec<u16>,
}

impl Dict {
    fn new(seed: u64) -> Dict {
        // Letters roughly by English frequency, picked with a skew towards the front.
        const LETTERS: &[u8] = b"etaoinshrdlcumwfgypbvkjxqz";
        let mut rng = Rng::new(seed ^ 0xD1C7);
        let words: Vec<Vec<u8>> = (0..4096)
            .map(|_| {
                let len = 1 + rng.below(6) + rng.below(6);
                let mut w: Vec<u8> = (0..len)
                    .map(|_| {
                        let a = rng.below(LETTERS.len() as u64);
                        let b = rng.below(LETTERS.len() as u64);
                        LETTERS[a.min(b) as usize]
                    })
                    .collect();
                w.push(if rng.below(10) == 0 { b'\n' } else { b' ' });
                w
            })
            .collect();
        let zipf: Vec<u16> = (0..1u32 << 16)
            .map(|i| ((4096f64.powf((f64::from(i) + 0.5) / 65536.0) - 1.0) as u16).min(4095))
            .collect();
        let phrases = (0..1024)
            .map(|_| {
                let mut p = vec![b' '; 4 * rng.below(4) as usize];
                for _ in 0..3 + rng.below(10) {
                    let w: &Vec<u8> = &words[usize::from(zipf[(rng.next() & 0xffff) as usize])];
                    p.extend_from_slice(&w[..w.len() - 1]);
                    p.push(b' ');
                }
                p.push(b'\n');
                p
            })
            .collect();
        Dict {
            words,
            phrases,
            zipf,
        }
    }

    fn fill_text(&self, rng: &mut Rng, buf: &mut [u8]) {
        let mut i = 0;
        while i < buf.len() {
            let r = rng.next();
            let rank = usize::from(self.zipf[(r & 0xffff) as usize]);
            // About one pick in four is a whole phrase.
            let w = if r >> 62 == 0 {
                &self.phrases[rank >> 2]
            } else {
                &self.words[rank]
            };
            let take = w.len().min(buf.len() - i);
            buf[i..i + take].copy_from_slice(&w[..take]);
            i += take;
        }
    }
}

fn fill_random(rng: &mut Rng, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let v = rng.next().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text-like words: compresses about like source code or docs.
    Text,
    /// Incompressible (already compressed assets, random data).
    Random,
    /// Three 2 KiB blocks of text, then one of random bytes (binaries: code and tables).
    Mixed,
}

/// A file's content, generated as it is read.
struct Content<'a> {
    dict: &'a Dict,
    rng: Rng,
    kind: Kind,
    left: u64,
    pos: u64,
}

impl Read for Content<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        let buf = &mut buf[..n];
        match self.kind {
            Kind::Text => self.dict.fill_text(&mut self.rng, buf),
            Kind::Random => fill_random(&mut self.rng, buf),
            Kind::Mixed => {
                let mut i = 0;
                while i < n {
                    let at = self.pos + i as u64;
                    let end = n.min(i + (2048 - (at % 2048)) as usize);
                    if (at / 2048) % 4 != 3 {
                        self.dict.fill_text(&mut self.rng, &mut buf[i..end]);
                    } else {
                        fill_random(&mut self.rng, &mut buf[i..end]);
                    }
                    i = end;
                }
            }
        }
        self.left -= n as u64;
        self.pos += n as u64;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Generating an OCI layout

#[derive(Clone, Copy, PartialEq, Eq)]
enum Comp {
    Gzip,
    None,
}

struct GenSpec {
    size_mib: u64,
    files: usize,
    layers: usize,
    level: u32,
    seed: u64,
    compression: Comp,
    /// Size of one large executable at the start of every layer (0: none), in MiB.
    binary_mib: u64,
}

impl GenSpec {
    fn from_args(args: &Args, size_mib: u64, files: usize) -> Result<GenSpec> {
        let compression = match args.get("compression").unwrap_or("gzip") {
            "gzip" => Comp::Gzip,
            "none" => Comp::None,
            other => bail!("--compression: `{other}` is neither gzip nor none"),
        };
        let spec = GenSpec {
            size_mib,
            files,
            layers: args.num_or("layers", 4)?,
            level: args.num_or("level", 1)?,
            seed: args.num_or("seed", 1)?,
            compression,
            binary_mib: args.num_or("binary-mib", 0)?,
        };
        if spec.files < spec.layers || spec.layers == 0 || spec.size_mib == 0 || spec.level > 9 {
            bail!("need --layers ≥ 1, --files ≥ --layers, --size-mib ≥ 1, --level 0..=9");
        }
        if spec.binary_mib * spec.layers as u64 >= spec.size_mib {
            bail!("--binary-mib × --layers must stay below --size-mib");
        }
        Ok(spec)
    }
}

/// Writes through to `inner`, hashing and counting what was written.
struct HashWrite<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashWrite<W> {
    fn new(inner: W) -> Self {
        HashWrite {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.clone().finalize()))
    }
}

impl<W: Write> Write for HashWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The compressor of a layer: gzip, or a plain tar.
enum Encoder<W: Write> {
    Gzip(Box<flate2::write::GzEncoder<W>>),
    Plain(W),
}

impl<W: Write> Encoder<W> {
    fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Gzip(g) => (*g).finish(),
            Encoder::Plain(w) => Ok(w),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Gzip(g) => g.write(buf),
            Encoder::Plain(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Gzip(g) => g.flush(),
            Encoder::Plain(w) => w.flush(),
        }
    }
}

/// One layer as written.
struct LayerOut {
    digest: String,
    size: u64,
    diff_id: String,
    tar_bytes: u64,
}

/// What `generate` wrote.
struct Generated {
    tar_bytes: u64,
    blob_bytes: u64,
    files: u64,
    dirs: u64,
    others: u64,
    layers: usize,
    compression: Comp,
    elapsed: Duration,
}

impl Generated {
    fn line(&self, dir: &Path) -> String {
        format!(
            "gen {}: {} layers, {} uncompressed, {} files + {} dirs + {} links/whiteouts, {} {} ({:.2}x), {:.1} s",
            dir.display(),
            self.layers,
            human_bytes(self.tar_bytes),
            self.files,
            self.dirs,
            self.others,
            if self.compression == Comp::Gzip {
                "gzip"
            } else {
                "plain tar"
            },
            human_bytes(self.blob_bytes),
            self.tar_bytes as f64 / self.blob_bytes.max(1) as f64,
            self.elapsed.as_secs_f64(),
        )
    }
}

/// File sizes: 40% of the bytes in a few large files (256 KiB–16 MiB), the rest spread
/// log-uniformly over small ones, shuffled. The total aims a little over the target once tar
/// headers and padding are added.
fn plan_sizes(spec: &GenSpec, rng: &mut Rng) -> Vec<u64> {
    let n = spec.files;
    let dirs = n.div_ceil(FILES_PER_DIR) + spec.layers * 8;
    let overhead = (n + dirs + 16) as u64 * 512 + spec.layers as u64 * 1024;
    let binaries = spec.binary_mib * MIB * spec.layers as u64;
    let budget = (spec.size_mib * MIB).saturating_sub(overhead + binaries);
    let large_budget = budget * 2 / 5;
    let mut sizes = Vec::with_capacity(n);
    let mut large = 0;
    while large < large_budget && sizes.len() < n / 10 {
        let s = rng
            .log_uniform(256 << 10, 16 << 20)
            .min(large_budget - large);
        sizes.push(s);
        large += s;
    }
    let small_budget = budget - large;
    let raw: Vec<f64> = (0..n - sizes.len())
        .map(|_| rng.log_uniform(64, 64 << 10) as f64)
        .collect();
    let raw_sum: f64 = raw.iter().sum::<f64>().max(1.0);
    let scale = small_budget as f64 / raw_sum;
    let mut small = 0;
    for r in raw {
        let s = (r * scale) as u64;
        sizes.push(s);
        small += s;
    }
    if let Some(last) = sizes.last_mut() {
        *last += small_budget.saturating_sub(small);
    }
    for i in (1..sizes.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        sizes.swap(i, j);
    }
    sizes
}

fn header(
    kind: tar::EntryType,
    path: &str,
    size: u64,
    mode: u32,
    link: Option<&str>,
) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .with_context(|| format!("tar path {path}"))?;
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    if let Some(l) = link {
        h.set_link_name(l)
            .with_context(|| format!("tar link {l}"))?;
    }
    h.set_cksum();
    Ok(h)
}

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

/// Counts of what went into a tar.
#[derive(Default)]
struct Counts {
    files: u64,
    dirs: u64,
    others: u64,
}

/// Write layer `index` (files `range` of `sizes`) into `blobs/sha256`, streaming.
fn write_layer(
    blobs: &Path,
    spec: &GenSpec,
    index: usize,
    range: std::ops::Range<usize>,
    sizes: &[u64],
    dict: &Dict,
    counts: &mut Counts,
) -> Result<LayerOut> {
    let tmp = blobs.join(format!(".tmp-layer-{index}"));
    let file = File::create(&tmp).with_context(|| format!("create {}", tmp.display()))?;
    let blob = HashWrite::new(BufWriter::with_capacity(1 << 20, file));
    let encoder = match spec.compression {
        Comp::Gzip => Encoder::Gzip(Box::new(flate2::write::GzEncoder::new(
            blob,
            flate2::Compression::new(spec.level),
        ))),
        Comp::None => Encoder::Plain(blob),
    };
    let diff = HashWrite::new(encoder);
    let mut tar = tar::Builder::new(BufWriter::with_capacity(256 << 10, diff));
    let mut rng = Rng::new(spec.seed.wrapping_add(1000 + index as u64));

    fn dir<W: Write>(tar: &mut tar::Builder<W>, counts: &mut Counts, path: &str) -> Result<()> {
        counts.dirs += 1;
        tar.append(
            &header(tar::EntryType::Directory, path, 0, 0o755, None)?,
            io::empty(),
        )
        .context("write tar")
    }
    for d in ["usr/", "usr/share/", "usr/bin/", "var/", "var/cache/"] {
        dir(&mut tar, counts, d)?;
    }
    if index == 0 {
        dir(&mut tar, counts, "etc/")?;
        let h = header(
            tar::EntryType::Regular,
            "etc/os-release",
            OS_RELEASE.len() as u64,
            0o644,
            None,
        )?;
        tar.append(&h, OS_RELEASE.as_bytes()).context("write tar")?;
        counts.files += 1;
        for (kind, path, target) in [
            (tar::EntryType::Symlink, "bin", "usr/bin"),
            (
                tar::EntryType::Symlink,
                "usr/lib/os-release",
                "../../etc/os-release",
            ),
            (
                tar::EntryType::Link,
                "etc/os-release.link",
                "etc/os-release",
            ),
        ] {
            tar.append(&header(kind, path, 0, 0o777, Some(target))?, io::empty())
                .context("write tar")?;
            counts.others += 1;
        }
    } else {
        // A whiteout and an opaque directory, as upper layers have.
        for path in [
            format!("usr/bin/.wh.old-tool{index}"),
            "var/cache/.wh..wh..opq".to_string(),
        ] {
            tar.append(
                &header(tar::EntryType::Regular, &path, 0, 0o644, None)?,
                io::empty(),
            )
            .context("write tar")?;
            counts.others += 1;
        }
    }
    if spec.binary_mib > 0 {
        // A large executable (a statically linked program): analyzers of binaries read it whole.
        let size = spec.binary_mib * MIB;
        let path = format!("usr/bin/tool{index}");
        let content = Content {
            dict,
            rng: Rng::new(rng.next()),
            kind: Kind::Mixed,
            left: size,
            pos: 0,
        };
        tar.append(
            &header(tar::EntryType::Regular, &path, size, 0o755, None)?,
            content,
        )
        .context("write tar")?;
        counts.files += 1;
    }
    let mut current_dir = usize::MAX;
    for i in range {
        let d = i / FILES_PER_DIR;
        if d != current_dir {
            current_dir = d;
            dir(&mut tar, counts, &format!("usr/share/p{d:05}/"))?;
        }
        let kind = match rng.below(100) {
            0..75 => Kind::Text,
            75..83 => Kind::Random,
            _ => Kind::Mixed,
        };
        let (ext, mode) = match kind {
            Kind::Text => ("txt", 0o644),
            Kind::Random => ("dat", 0o644),
            Kind::Mixed => ("so", 0o755),
        };
        let path = format!("usr/share/p{d:05}/f{i:07}.{ext}");
        let content = Content {
            dict,
            rng: Rng::new(rng.next()),
            kind,
            left: sizes[i],
            pos: 0,
        };
        tar.append(
            &header(tar::EntryType::Regular, &path, sizes[i], mode, None)?,
            content,
        )
        .context("write tar")?;
        counts.files += 1;
    }

    let diff = tar
        .into_inner()
        .context("finish tar")?
        .into_inner()
        .map_err(|e| anyhow!("flush tar: {}", e.error()))?;
    let (diff_id, tar_bytes) = (diff.digest(), diff.written);
    let blob = diff.inner.finish().context("finish gzip")?;
    let (digest, size) = (blob.digest(), blob.written);
    let mut file = blob
        .inner
        .into_inner()
        .map_err(|e| anyhow!("flush layer: {}", e.error()))?;
    file.flush()?;
    drop(file);
    let hex = digest.trim_start_matches("sha256:");
    fs::rename(&tmp, blobs.join(hex)).context("rename layer blob")?;
    Ok(LayerOut {
        digest,
        size,
        diff_id,
        tar_bytes,
    })
}

/// Store `bytes` as a blob; its digest and size.
fn put_blob(blobs: &Path, bytes: &[u8]) -> Result<(String, u64)> {
    let hex = hex::encode(Sha256::digest(bytes));
    fs::write(blobs.join(&hex), bytes).context("write blob")?;
    Ok((format!("sha256:{hex}"), bytes.len() as u64))
}

/// Write an OCI image layout at `out`, tagged `bench`, never holding a layer in memory.
fn generate(spec: &GenSpec, out: &Path) -> Result<Generated> {
    let start = Instant::now();
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        bail!("{} exists and is not empty", out.display());
    }
    let blobs = out.join("blobs/sha256");
    fs::create_dir_all(&blobs).with_context(|| format!("create {}", blobs.display()))?;
    let mut rng = Rng::new(spec.seed);
    let sizes = plan_sizes(spec, &mut rng);
    let dict = Dict::new(spec.seed);
    let mut counts = Counts::default();
    let mut layers = Vec::with_capacity(spec.layers);
    for index in 0..spec.layers {
        let range = index * sizes.len() / spec.layers..(index + 1) * sizes.len() / spec.layers;
        layers.push(write_layer(
            &blobs,
            spec,
            index,
            range,
            &sizes,
            &dict,
            &mut counts,
        )?);
    }

    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
    });
    let (config_digest, config_size) = put_blob(&blobs, &serde_json::to_vec(&config)?)?;
    let layer_type = match spec.compression {
        Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Comp::None => "application/vnd.oci.image.layer.v1.tar",
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": layer_type, "digest": l.digest, "size": l.size,
        })).collect::<Vec<_>>(),
    });
    let (manifest_digest, manifest_size) = put_blob(&blobs, &serde_json::to_vec(&manifest)?)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": TAG},
        }],
    });
    fs::write(out.join("index.json"), serde_json::to_vec(&index)?)?;
    fs::write(out.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let g = Generated {
        tar_bytes: layers.iter().map(|l| l.tar_bytes).sum(),
        blob_bytes: layers.iter().map(|l| l.size).sum(),
        files: counts.files,
        dirs: counts.dirs,
        others: counts.others,
        layers: layers.len(),
        compression: spec.compression,
        elapsed: start.elapsed(),
    };
    // Regular files, for the result lines of `run` (the engine counts every entry).
    fs::write(out.join("bench-files"), g.files.to_string())?;
    Ok(g)
}

// ---------------------------------------------------------------------------------------------
// Reading a layout back (for the floor and the breakdown)

struct Image {
    dir: PathBuf,
    /// Blob paths, bottom layer first.
    blobs: Vec<PathBuf>,
    layers: Vec<LayerRef>,
    compressed: bool,
}

fn load_image(dir: &Path) -> Result<Image> {
    let read_json = |p: PathBuf| -> Result<serde_json::Value> {
        let bytes = fs::read(&p).with_context(|| format!("read {}", p.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parse {}", p.display()))
    };
    let blob_path = |digest: &str| {
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let index = read_json(dir.join("index.json"))?;
    let manifests = index["manifests"]
        .as_array()
        .ok_or_else(|| anyhow!("index.json lists no manifests"))?;
    let chosen = manifests
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == TAG)
        .or(manifests.first())
        .ok_or_else(|| anyhow!("index.json lists no manifests"))?;
    let manifest = read_json(blob_path(chosen["digest"].as_str().unwrap_or_default()))?;
    let config = read_json(blob_path(
        manifest["config"]["digest"].as_str().unwrap_or_default(),
    ))?;
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let descs = manifest["layers"].as_array().cloned().unwrap_or_default();
    if descs.len() != diff_ids.len() || descs.is_empty() {
        bail!(
            "{}: manifest and config disagree on the layers",
            dir.display()
        );
    }
    let mut layers = Vec::new();
    let mut blobs = Vec::new();
    for (d, diff_id) in descs.iter().zip(&diff_ids) {
        let digest = d["digest"]
            .as_str()
            .ok_or_else(|| anyhow!("layer without digest"))?;
        blobs.push(blob_path(digest));
        layers.push(LayerRef {
            digest: digest.to_string(),
            diff_id: diff_id.as_str().unwrap_or_default().to_string(),
            size: d["size"].as_u64().unwrap_or(0),
            media_type: d["mediaType"].as_str().unwrap_or_default().to_string(),
        });
    }
    let mut head = [0u8; 4];
    let n = File::open(&blobs[0])?.read(&mut head)?;
    let compressed = LayerCompression::detect(&head[..n]) != LayerCompression::None;
    Ok(Image {
        dir: dir.to_path_buf(),
        blobs,
        layers,
        compressed,
    })
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// Decompress every blob with `tool < blob > /dev/null`, `procs` at a time, layers handed out
/// in order as the engine's workers take them.
fn floor(image: &Image, procs: usize) -> Result<Duration> {
    let tool = if image.compressed { "zcat" } else { "cat" };
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let workers: Vec<_> = (0..procs)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    while let Some(blob) = image.blobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let status = Command::new(tool)
                            .stdin(
                                File::open(blob)
                                    .with_context(|| format!("open {}", blob.display()))?,
                            )
                            .stdout(Stdio::null())
                            .status()
                            .with_context(|| format!("run {tool}"))?;
                        if !status.success() {
                            bail!("{tool} < {} failed: {status}", blob.display());
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| anyhow!("floor thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(start.elapsed())
}

/// What one `scan-only` child reported.
#[derive(Clone, Copy, Default)]
struct EngineRun {
    elapsed: Duration,
    entries: u64,
    uncompressed: u64,
    hwm_before_kib: u64,
    hwm_kib: u64,
}

fn engine_child(image: &Path, workers: usize) -> Result<EngineRun> {
    let exe = std::env::current_exe().context("locate the bench binary")?;
    let out = Command::new(exe)
        .arg("scan-only")
        .arg("--image")
        .arg(image)
        .args(["--workers", &workers.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .context("start the scan-only child")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("scan-only child failed ({}): {stdout}", out.status);
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("scan-only "))
        .ok_or_else(|| anyhow!("scan-only child printed no result: {stdout}"))?;
    let fields: BTreeMap<&str, &str> = line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let num = |k: &str| -> Result<u64> {
        fields
            .get(k)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("scan-only child: no {k} in `{line}`"))
    };
    // The image's only release file says Debian: a scan that misses it did not run the analyzers.
    if fields.get("os") != Some(&"debian") {
        bail!("scan-only child did not find the OS: `{line}`");
    }
    Ok(EngineRun {
        elapsed: Duration::from_nanos(num("elapsed_ns")?),
        entries: num("entries")?,
        uncompressed: num("uncompressed")?,
        hwm_before_kib: num("hwm_before_kib")?,
        hwm_kib: num("hwm_kib")?,
    })
}

/// CPU time (user + system) of this process's children that have been waited for.
fn children_cpu() -> Result<Duration> {
    proc_stat_cpu(13)
}

/// The sum of two consecutive tick counts of /proc/self/stat, `first` counted from the field
/// after the command name: 11 for `utime`+`stime`, 13 for `cutime`+`cstime`.
fn proc_stat_cpu(first: usize) -> Result<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").context("read /proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may hold spaces. In proc(5)
    // numbering the first one after `)` is field 3, `utime`/`stime` are 14/15 and
    // `cutime`/`cstime` 16/17.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("malformed /proc/self/stat"))
    };
    let total = ticks(first)? + ticks(first + 1)?;
    Ok(Duration::from_secs_f64(total as f64 / clock_ticks()))
}

/// Clock ticks per second of /proc times.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU time (user + system) of this process, all threads.
fn self_cpu() -> Result<Duration> {
    proc_stat_cpu(11)
}

/// The result of `f` and the CPU time of the child processes it waited for.
fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let before = children_cpu()?;
    let out = f()?;
    Ok((out, children_cpu()?.saturating_sub(before)))
}

/// The child: one full scan (resolve, walk every layer with the default analyzers, report).
fn scan_only(image: &Path, workers: usize, analyzers: &str) -> Result<()> {
    let hwm_before = vm_hwm_kib()?;
    let start = Instant::now();
    let source = assure_engine::source::open_local(&format!("oci:{}:{TAG}", image.display()))?;
    let limits = Limits {
        max_image_bytes: u64::MAX,
        ..Limits::default()
    };
    let scanner = Scanner::new(ScanOptions {
        limits,
        workers,
        ..ScanOptions::default()
    });
    // Fewer analyzers (by name, from the default list), to tell the walk's own memory and time
    // from theirs.
    let scanner = match analyzers {
        "default" => scanner,
        "none" => scanner.with_analyzers(Vec::new()),
        names => {
            let all = assure_engine::analyze::default_analyzers();
            let known: Vec<&str> = all.iter().map(|a| a.name()).collect();
            let wanted: Vec<&str> = names.split(',').collect();
            if let Some(bad) = wanted.iter().find(|n| !known.contains(n)) {
                bail!(
                    "--analyzers: no analyzer `{bad}`; known: {}",
                    known.join(",")
                );
            }
            scanner.with_analyzers(
                all.into_iter()
                    .filter(|a| wanted.contains(&a.name()))
                    .collect(),
            )
        }
    };
    let analysis = scanner.analyze(source.as_ref())?;
    let report = build_report(&analysis);
    let elapsed = start.elapsed();
    if report.status != Status::Scanned {
        bail!(
            "scan status {:?}: {}",
            report.status,
            report.message.unwrap_or_default()
        );
    }
    let os = report
        .image
        .os
        .as_ref()
        .map_or("none".to_string(), |o| o.family.clone());
    println!(
        "scan-only elapsed_ns={} entries={} uncompressed={} layers={} os={os} hwm_before_kib={hwm_before} hwm_kib={}",
        elapsed.as_nanos(),
        analysis.layers.iter().map(|l| l.entries).sum::<u64>(),
        analysis.layers.iter().map(|l| l.uncompressed).sum::<u64>(),
        analysis.layers.len(),
        vm_hwm_kib()?,
    );
    Ok(())
}

/// Results of `run` on one image.
struct RunResult {
    uncompressed: u64,
    blob_bytes: u64,
    entries: u64,
    files: Option<u64>,
    layers: usize,
    floor_tool: &'static str,
    floor_par: Duration,
    floor_seq: Duration,
    engine_par: Duration,
    engine_seq: Duration,
    rss_par_kib: u64,
    rss_seq_kib: u64,
    rss_base_kib: u64,
    /// Peak RSS of one scan with 4 workers, the default on a node with 4 or more CPUs.
    rss_w4_kib: u64,
    /// CPU time of the floor's processes and of the scanning process (median over all runs, both
    /// worker counts): less disturbed than wall time when other work shares the machine.
    cpu_floor: Duration,
    cpu_engine: Duration,
    /// 1-minute load average before and after the measurements.
    load: (f64, f64),
}

impl RunResult {
    fn ratio_par(&self) -> f64 {
        self.engine_par.as_secs_f64() / self.floor_par.as_secs_f64()
    }

    fn ratio_seq(&self) -> f64 {
        self.engine_seq.as_secs_f64() / self.floor_seq.as_secs_f64()
    }

    fn ratio_cpu(&self) -> f64 {
        self.cpu_engine.as_secs_f64() / self.cpu_floor.as_secs_f64()
    }

    fn rss_mib(&self) -> f64 {
        self.rss_par_kib.max(self.rss_seq_kib) as f64 / 1024.0
    }

    fn verdict(&self) -> String {
        let ratio_ok = self.ratio_par() <= RATIO_TARGET && self.ratio_seq() <= RATIO_TARGET;
        let rss_ok = self.rss_mib() <= RSS_TARGET_MIB;
        format!(
            "ratio {} (target ≤ {RATIO_TARGET}), RSS {} (target ≤ {RSS_TARGET_MIB} MiB), RSS with 4 workers {}",
            if ratio_ok { "MET" } else { "MISSED" },
            if rss_ok { "MET" } else { "MISSED" },
            if self.rss_w4_kib as f64 / 1024.0 <= RSS_TARGET_MIB {
                "MET"
            } else {
                "MISSED"
            },
        )
    }

    fn line(&self) -> String {
        let mibs = |d: Duration| self.uncompressed as f64 / MIB as f64 / d.as_secs_f64();
        let files = self.files.map_or(String::new(), |f| format!("{f} files, "));
        format!(
            "walk {}, {files}{} entries, {} layers ({} {}): \
             engine {:.2} s (2 workers), {} {:.2} s (2 parallel), ratio {:.2}; \
             engine {:.2} s (1 worker), {} {:.2} s (sequential), ratio {:.2}; \
             CPU time engine {:.2} s, {} {:.2} s, ratio {:.2}; \
             engine {:.0} MiB/s (2 workers) / {:.0} MiB/s (1 worker) uncompressed; \
             peak RSS {:.1} MiB (2 workers) / {:.1} MiB (1 worker) / {:.1} MiB (4 workers), \
             {:.1} MiB before the scan; {}; \
             load {:.1}→{:.1} on {} CPUs",
            human_bytes(self.uncompressed),
            self.entries,
            self.layers,
            human_bytes(self.blob_bytes),
            if self.floor_tool == "zcat" {
                "gzip"
            } else {
                "plain tar"
            },
            self.engine_par.as_secs_f64(),
            self.floor_tool,
            self.floor_par.as_secs_f64(),
            self.ratio_par(),
            self.engine_seq.as_secs_f64(),
            self.floor_tool,
            self.floor_seq.as_secs_f64(),
            self.ratio_seq(),
            self.cpu_engine.as_secs_f64(),
            self.floor_tool,
            self.cpu_floor.as_secs_f64(),
            self.ratio_cpu(),
            mibs(self.engine_par),
            mibs(self.engine_seq),
            self.rss_par_kib as f64 / 1024.0,
            self.rss_seq_kib as f64 / 1024.0,
            self.rss_w4_kib as f64 / 1024.0,
            self.rss_base_kib as f64 / 1024.0,
            self.verdict(),
            self.load.0,
            self.load.1,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        )
    }
}

/// Measure the floor and the engine on an image, `reps` times each, interleaved; medians.
fn run(dir: &Path, reps: usize, with_breakdown: bool) -> Result<RunResult> {
    let image = load_image(dir)?;
    let blob_bytes: u64 = image
        .blobs
        .iter()
        .map(|b| fs::metadata(b).map_or(0, |m| m.len()))
        .sum();
    // Warm the page cache so every measurement reads the blobs from memory.
    for b in &image.blobs {
        io::copy(&mut File::open(b)?, &mut io::sink())?;
    }
    let files = count_files_hint(dir);
    let load_before = load_average();
    let (mut fp, mut fs_, mut ep, mut es) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut rss_par, mut rss_seq, mut rss_base) = (0, 0, 0);
    let mut last = EngineRun::default();
    let (mut cpu_floor, mut cpu_engine) = (Vec::new(), Vec::new());
    for rep in 0..reps.max(1) {
        let (f2, f2_cpu) = timed(|| floor(&image, 2))?;
        let (e2, e2_cpu) = timed(|| engine_child(dir, 2))?;
        let (f1, f1_cpu) = timed(|| floor(&image, 1))?;
        let (e1, e1_cpu) = timed(|| engine_child(dir, 1))?;
        eprintln!(
            "  rep {}: floor {:.2} s (2 parallel), {:.2} s (sequential), CPU {:.2} s / {:.2} s; \
             engine {:.2} s (2 workers, peak RSS {:.1} MiB), {:.2} s (1 worker, peak RSS {:.1} MiB), \
             CPU {:.2} s / {:.2} s; load {:.1}",
            rep + 1,
            f2.as_secs_f64(),
            f1.as_secs_f64(),
            f2_cpu.as_secs_f64(),
            f1_cpu.as_secs_f64(),
            e2.elapsed.as_secs_f64(),
            e2.hwm_kib as f64 / 1024.0,
            e1.elapsed.as_secs_f64(),
            e1.hwm_kib as f64 / 1024.0,
            e2_cpu.as_secs_f64(),
            e1_cpu.as_secs_f64(),
            load_average(),
        );
        fp.push(f2);
        fs_.push(f1);
        ep.push(e2.elapsed);
        es.push(e1.elapsed);
        cpu_floor.extend([f2_cpu, f1_cpu]);
        cpu_engine.extend([e2_cpu, e1_cpu]);
        rss_par = rss_par.max(e2.hwm_kib);
        rss_seq = rss_seq.max(e1.hwm_kib);
        rss_base = rss_base.max(e1.hwm_before_kib.max(e2.hwm_before_kib));
        if e1.entries != e2.entries || e1.uncompressed != e2.uncompressed {
            bail!("the two engine runs disagree on entries or size");
        }
        last = e2;
    }
    let rss_w4 = engine_child(dir, 4)?.hwm_kib;
    let load = (load_before, load_average());
    if with_breakdown {
        breakdown(&image, reps)?;
    }
    Ok(RunResult {
        uncompressed: last.uncompressed,
        blob_bytes,
        entries: last.entries,
        files,
        layers: image.layers.len(),
        floor_tool: if image.compressed { "zcat" } else { "cat" },
        floor_par: median(fp),
        floor_seq: median(fs_),
        engine_par: median(ep),
        engine_seq: median(es),
        rss_par_kib: rss_par,
        rss_seq_kib: rss_seq,
        rss_base_kib: rss_base,
        rss_w4_kib: rss_w4,
        cpu_floor: median(cpu_floor),
        cpu_engine: median(cpu_engine),
        load,
    })
}

/// The 1-minute load average: other work on the machine skews every figure.
fn load_average() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// The number of regular files `gen` recorded next to the layout, if it did.
fn count_files_hint(dir: &Path) -> Option<u64> {
    let text = fs::read_to_string(dir.join("bench-files")).ok()?;
    text.trim().parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Where the time goes: the walk's stages one by one, in this process, one layer at a time

struct NullVisitor;

impl Visitor for NullVisitor {
    fn wants(&mut self, _: &EntryMeta) -> Option<u64> {
        None
    }
    fn visit(&mut self, _: &EntryMeta, _: &[u8], _: bool) {}
    fn whiteout(&mut self, _: &str) {}
    fn opaque(&mut self, _: &str) {}
}

/// Read `r` to its end in 32 KiB reads (what the tar reader uses to skip file data).
fn drain(mut r: impl Read, hasher: Option<&mut Sha256>) -> io::Result<u64> {
    let mut buf = vec![0u8; 32 << 10];
    let mut total = 0;
    let mut hasher = hasher;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&buf[..n]);
        }
        total += n as u64;
    }
}

fn decoder(blob: &Path) -> Result<Box<dyn Read>> {
    decoder_of(BufReader::with_capacity(128 << 10, File::open(blob)?))
}

/// The engine's decoder for what `input` starts with.
fn decoder_of<'a, R: io::BufRead + 'a>(mut input: R) -> Result<Box<dyn Read + 'a>> {
    let head = input.fill_buf()?;
    let c = LayerCompression::detect(&head[..head.len().min(4)]);
    Ok(c.decoder(input)?)
}

fn breakdown(image: &Image, reps: usize) -> Result<()> {
    // The fastest of `reps` passes, in wall and in CPU time: the least disturbed by other work
    // on the machine. Ratios are of CPU time.
    let stage = |name: &str, f: &dyn Fn(usize) -> Result<u64>| -> Result<f64> {
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        let mut bytes = 0;
        for _ in 0..reps.max(1) {
            let start = Instant::now();
            let cpu_start = self_cpu()?;
            bytes = 0;
            for i in 0..image.blobs.len() {
                bytes += f(i)?;
            }
            cpu = cpu.min((self_cpu()?.saturating_sub(cpu_start)).as_secs_f64());
            wall = wall.min(start.elapsed().as_secs_f64());
        }
        println!(
            "  stage {name:<46} {wall:>7.2} s wall {cpu:>7.2} s CPU  {:>6.0} MiB/s of its input (CPU)",
            bytes as f64 / MIB as f64 / cpu
        );
        Ok(cpu)
    };
    println!(
        "breakdown {} (1 thread, layers one after another, fastest of {} passes; load {:.1}):",
        image.dir.display(),
        reps.max(1),
        load_average()
    );
    let limits = Limits {
        max_image_bytes: u64::MAX,
        ..Limits::default()
    };
    stage("read blobs (page cache)", &|i| {
        Ok(drain(File::open(&image.blobs[i])?, None)?)
    })?;
    stage("sha256 of blobs", &|i| {
        Ok(drain(
            File::open(&image.blobs[i])?,
            Some(&mut Sha256::new()),
        )?)
    })?;
    let inflate = stage("decompress (flate2/zlib-rs)", &|i| {
        Ok(drain(decoder(&image.blobs[i])?, None)?)
    })?;
    stage("decompress + sha256 of tar", &|i| {
        Ok(drain(decoder(&image.blobs[i])?, Some(&mut Sha256::new()))?)
    })?;
    stage("decompress + tar entries (no hashing)", &|i| {
        let mut archive = tar::Archive::new(decoder(&image.blobs[i])?);
        let mut n = 0u64;
        for e in archive.entries()? {
            n += std::hint::black_box(e?.size()) + 512;
        }
        Ok(n)
    })?;
    // The engine's reader stack (blob digest → decompression → size meter → diffID digest → tar),
    // rebuilt here to see what a buffer between decompression and the tar reader would change:
    // none (as the engine is), right after decompression, or above the meter and the digest.
    #[derive(Clone, Copy, PartialEq)]
    enum Buffer {
        None,
        AfterDecompression,
        AboveDigest,
    }
    let stack = |buffer: Buffer| {
        move |i: usize| -> Result<u64> {
            let budget = Budget::new(limits);
            let layer = &image.layers[i];
            let blob = BufReader::with_capacity(256 << 10, File::open(&image.blobs[i])?);
            let mut blob = Verify::new(blob, "blob", &layer.digest, Some(layer.size));
            let input = BufReader::with_capacity(128 << 10, &mut blob);
            let decoded = decoder_of(input)?;
            let decoded: Box<dyn Read> = if buffer == Buffer::AfterDecompression {
                Box::new(BufReader::with_capacity(128 << 10, decoded))
            } else {
                decoded
            };
            let verified = Verify::new(
                Metered::new(decoded, &budget),
                "diffID",
                &layer.diff_id,
                None,
            );
            let mut reader = BufReader::with_capacity(
                if buffer == Buffer::AboveDigest {
                    128 << 10
                } else {
                    0
                },
                verified,
            );
            let mut n = 0u64;
            for e in tar::Archive::new(&mut reader).entries()? {
                let e = e?;
                n += 512 + e.size();
                std::hint::black_box(normalize(&e.path_bytes()));
            }
            // Bytes left in the buffer were hashed already; `finish` reads and checks the rest.
            reader.into_inner().finish()?;
            blob.finish()?;
            Ok(n)
        }
    };
    stage("decompress → 128 KiB buffer → tar entries", &|i| {
        let decoded = BufReader::with_capacity(128 << 10, decoder(&image.blobs[i])?);
        let mut n = 0u64;
        for e in tar::Archive::new(decoded).entries()? {
            n += std::hint::black_box(e?.size()) + 512;
        }
        Ok(n)
    })?;
    stage("engine reader stack + tar entries", &stack(Buffer::None))?;
    stage(
        "same, 128 KiB buffer after decompression",
        &stack(Buffer::AfterDecompression),
    )?;
    stage(
        "same, 128 KiB buffer above meter and digest",
        &stack(Buffer::AboveDigest),
    )?;
    let walk = |analyzers: bool| {
        move |i: usize| -> Result<u64> {
            let budget = Budget::new(limits);
            let blob = BufReader::with_capacity(256 << 10, File::open(&image.blobs[i])?);
            let layer = &image.layers[i];
            let stats = if analyzers {
                let all = assure_engine::analyze::default_analyzers();
                let mut v = assure_engine::analyze::layer::LayerVisitor::new(&all, &layer.diff_id);
                walk_layer(blob, layer, &budget, &mut v)
            } else {
                walk_layer(blob, layer, &budget, &mut NullVisitor)
            }
            .map_err(|e| anyhow!("walk layer {}: {e:?}", layer.digest))?;
            Ok(stats.uncompressed)
        }
    };
    let w0 = stage("walk_layer, no analyzers", &walk(false))?;
    let w1 = stage("walk_layer, default analyzers", &walk(true))?;
    println!(
        "  walk_layer / decompress alone (CPU): {:.2} (no analyzers), {:.2} (default analyzers)",
        w0 / inflate,
        w1 / inflate
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Everything: generate, measure, summarise, clean up

fn cmd_all(args: &Args) -> Result<()> {
    let sizes = args
        .get("sizes")
        .unwrap_or("256:50000,1024:210000,4096:400000");
    let sizes: Vec<(u64, usize)> = sizes
        .split(',')
        .map(|s| {
            let (m, f) = s
                .split_once(':')
                .ok_or_else(|| anyhow!("--sizes: `{s}` is not MIB:FILES"))?;
            Ok((m.parse()?, f.parse()?))
        })
        .collect::<Result<_>>()?;
    let reps = args.num_or("reps", 3)?;
    let work = match args.get("work") {
        Some(w) => {
            fs::create_dir_all(w)?;
            tempfile::Builder::new()
                .prefix("walk-bench-")
                .tempdir_in(w)?
        }
        None => tempfile::Builder::new().prefix("walk-bench-").tempdir()?,
    };
    let keep = args.flag("keep");
    let mut results = Vec::new();
    for (size_mib, files) in sizes {
        let spec = GenSpec::from_args(args, size_mib, files)?;
        let dir = work.path().join(format!("img-{size_mib}mib-{files}files"));
        let g = generate(&spec, &dir)?;
        println!("{}", g.line(&dir));
        let r = run(&dir, reps, args.flag("breakdown"))?;
        println!("{}", r.line());
        if !keep {
            fs::remove_dir_all(&dir)?;
        }
        results.push(r);
    }
    println!();
    println!(
        "{:<9} {:>8} {:>9} {:>9} | {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6} | {:>6} {:>8} {:>8} | result",
        "size",
        "files",
        "entries",
        "gzip",
        "eng w2",
        "zcat x2",
        "ratio",
        "eng w1",
        "zcat x1",
        "ratio",
        "eng cpu",
        "zcat cpu",
        "ratio",
        "MiB/s",
        "peakRSS",
        "RSS w4"
    );
    for r in &results {
        println!(
            "{:<9} {:>8} {:>9} {:>9} | {:>7.2}s {:>7.2}s {:>6.2} | {:>7.2}s {:>7.2}s {:>6.2} | {:>7.2}s {:>7.2}s {:>6.2} | {:>6.0} {:>7.1}M {:>7.1}M | {}",
            human_bytes(r.uncompressed),
            r.files.map_or("-".to_string(), |f| f.to_string()),
            r.entries,
            human_bytes(r.blob_bytes),
            r.engine_par.as_secs_f64(),
            r.floor_par.as_secs_f64(),
            r.ratio_par(),
            r.engine_seq.as_secs_f64(),
            r.floor_seq.as_secs_f64(),
            r.ratio_seq(),
            r.cpu_engine.as_secs_f64(),
            r.cpu_floor.as_secs_f64(),
            r.ratio_cpu(),
            r.uncompressed as f64 / MIB as f64 / r.engine_par.as_secs_f64(),
            r.rss_mib(),
            r.rss_w4_kib as f64 / 1024.0,
            r.verdict(),
        );
    }
    if keep {
        let kept = work.keep();
        println!("images kept under {}", kept.display());
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= GIB {
        format!("{:.2} GiB", n / GIB)
    } else {
        format!("{:.0} MiB", n / MIB as f64)
    }
}
