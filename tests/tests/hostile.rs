//! Hostile and broken images end in a clear error or a report status, never a panic, a hang
//! or a write outside the image.

use assure_engine::analyze::files::FileDigests;
use assure_engine::analyze::os::OsAnalyzer;
use assure_engine::layer::limits::Limits;
use assure_engine::layer::walk::EntryKind;
use assure_engine::report::Status;
use assure_engine::source::open_local;
use assure_engine::{Error, Platform, Report, ScanOptions, Scanner};
use assure_tests::fixture::{
    Built, Compression, Entry, ImageSpec, LayerSpec, TarEnd, ViewFile, engine_view, sha256,
    write_multi_platform, write_oci_layout,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

type View = BTreeMap<String, ViewFile>;

/// Deterministic pseudo-random bytes (xorshift64*), so layers do not compress away.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Text that compresses, but not to nothing, so flipped bytes land in real Huffman data.
fn text(lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| format!("line {i}: the quick brown fox {} jumps\n", i * 7919 % 1013))
        .collect::<String>()
        .into_bytes()
}

fn write(spec: &ImageSpec, dir: &Path) -> Built {
    write_oci_layout(spec, dir).expect("write fixture image")
}

/// The final view, through `open_local` and the file-digest analyzer.
fn view(source: &str, options: ScanOptions) -> Result<View, Error> {
    let source = open_local(source)?;
    engine_view(source.as_ref(), options).map(|(view, _)| view)
}

/// A full scan with the default analyzers plus file digests.
fn scan(source: &str, options: ScanOptions) -> Result<Report, Error> {
    let source = open_local(source)?;
    Scanner::new(options)
        .with_analyzers(vec![Arc::new(OsAnalyzer), Arc::new(FileDigests::all())])
        .scan(source.as_ref())
}

fn limits(f: impl FnOnce(&mut Limits)) -> ScanOptions {
    let mut options = ScanOptions::default();
    f(&mut options.limits);
    options
}

/// `result` failed, with a message naming `what` and containing each of `words`.
fn assert_err<T: std::fmt::Debug>(result: Result<T, Error>, what: &str, words: &[&str]) -> Error {
    let err = result.expect_err("a broken input must be an error");
    let msg = err.to_string();
    assert!(msg.contains(what), "error does not name {what}: {msg}");
    for w in words {
        assert!(msg.contains(w), "error lacks `{w}`: {msg}");
    }
    err
}

/// A two-layer image: one gzip layer holding `first`, one uncompressed holding a small file.
fn two_layers(first: LayerSpec) -> ImageSpec {
    ImageSpec::new(vec![
        first,
        LayerSpec::new(vec![Entry::file("top", "top layer")]).compression(Compression::None),
    ])
}

#[test]
fn truncated_gzip_layer_names_the_layer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = two_layers(LayerSpec::new(vec![Entry::file("big", noise(1, 64 << 10))]));
    let built = write(&spec, tmp.path());
    let layer = &built.layers[0];
    let blob = std::fs::read(&layer.path).expect("read blob");

    // Cut in place: the blob no longer matches its descriptor.
    std::fs::write(&layer.path, &blob[..blob.len() / 2]).expect("truncate");
    let err = assert_err(
        view(&built.source(), ScanOptions::default()),
        &layer.digest,
        &[],
    );
    assert!(matches!(err, Error::Layer { .. }), "{err:?}");

    // Cut and relinked, so digests agree and only the gzip stream is short.
    let relinked = built
        .replace_layer(0, &blob[..blob.len() / 2], None)
        .expect("relink");
    let digest = &relinked.layers[0].digest;
    let err = assert_err(
        view(&relinked.source(), ScanOptions::default()),
        digest,
        &[],
    );
    let msg = err.to_string();
    assert!(
        msg.contains("truncated") || msg.contains("ends early"),
        "{msg}"
    );
}

#[test]
fn corrupt_gzip_layer_names_the_layer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = two_layers(LayerSpec::new(vec![Entry::file("text", text(4000))]));
    let built = write(&spec, tmp.path());
    let mut blob = std::fs::read(&built.layers[0].path).expect("read blob");
    let mid = blob.len() / 2;
    for b in &mut blob[mid..mid + 16] {
        *b ^= 0x5a;
    }
    let relinked = built.replace_layer(0, &blob, None).expect("relink");
    assert_err(
        view(&relinked.source(), ScanOptions::default()),
        &relinked.layers[0].digest,
        &[],
    );
}

#[test]
fn truncated_zstd_layer_names_the_layer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = two_layers(
        LayerSpec::new(vec![Entry::file("big", noise(2, 64 << 10))]).compression(Compression::Zstd),
    );
    let built = write(&spec, tmp.path());
    let blob = std::fs::read(&built.layers[0].path).expect("read blob");
    assert_eq!(&blob[..4], &[0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
    let relinked = built
        .replace_layer(0, &blob[..blob.len() * 2 / 3], None)
        .expect("relink");
    assert_err(
        view(&relinked.source(), ScanOptions::default()),
        &relinked.layers[0].digest,
        &[],
    );
}

#[test]
fn modified_blob_fails_its_digest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = ImageSpec::new(vec![
        LayerSpec::new(vec![Entry::file("f", "x".repeat(2000))]).compression(Compression::None),
    ]);
    let built = write(&spec, tmp.path());
    let layer = &built.layers[0];
    let mut blob = std::fs::read(&layer.path).expect("read blob");
    // A byte of file content: the tar still parses, only the digest can tell.
    blob[600] = b'y';
    std::fs::write(&layer.path, &blob).expect("write blob");
    assert_err(
        view(&built.source(), ScanOptions::default()),
        &layer.digest,
        &["blob digest mismatch"],
    );
}

#[test]
fn wrong_diff_id_in_config_is_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = write(
        &two_layers(LayerSpec::new(vec![Entry::file("f", "f")])),
        tmp.path(),
    );
    let mut config: serde_json::Value = serde_json::from_slice(&built.config).expect("config");
    config["rootfs"]["diff_ids"][1] = serde_json::json!(sha256(b"not this layer"));
    let relinked = built
        .replace_config(&serde_json::to_vec(&config).expect("json"))
        .expect("relink");
    assert_err(
        view(&relinked.source(), ScanOptions::default()),
        &relinked.layers[1].digest,
        &["diffID digest mismatch", &sha256(b"not this layer")],
    );
}

#[test]
fn missing_blobs_are_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = two_layers(LayerSpec::new(vec![Entry::file("f", "f")]));
    for (i, what) in ["layer", "config", "manifest"].into_iter().enumerate() {
        let built = write(&spec, &tmp.path().join(what));
        let digest = match what {
            "layer" => built.layers[1].digest.clone(),
            "config" => built.config_digest.clone(),
            _ => built.manifest_digest.clone(),
        };
        std::fs::remove_file(built.blob_path(&digest)).expect("remove blob");
        let err = assert_err(
            view(&built.source(), ScanOptions::default()),
            &digest,
            &["not found"],
        );
        assert!(
            matches!(err, Error::BlobNotFound { .. }),
            "case {i}: {err:?}"
        );
    }
}

#[test]
fn hostile_names_stay_inside_the_image() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![
        Entry::raw("../../etc/passwd", "escaped"),
        Entry::raw("/abs/file", "absolute"),
        Entry::raw("./dot/./x", "dots"),
        Entry::raw("a/../../../b", "climbs"),
        Entry::raw("//double//slash", "slashes"),
        Entry::raw(format!("{}/deep", "../".repeat(200)), "long climb"),
        Entry::raw(b"bad\xffutf8", "lossy"),
    ])]);
    let built = write(&spec, tmp.path());
    let view = view(&built.source(), ScanOptions::default()).expect("hostile names are not fatal");
    for path in view.keys() {
        assert!(
            !path.starts_with('/')
                && !path
                    .split('/')
                    .any(|c| c == ".." || c == "." || c.is_empty()),
            "path escapes or is not normal: {path:?}"
        );
    }
    for (path, content) in [
        ("etc/passwd", "escaped"),
        ("abs/file", "absolute"),
        ("dot/x", "dots"),
        ("b", "climbs"),
        ("double/slash", "slashes"),
        ("deep", "long climb"),
    ] {
        let file = view
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing from {:?}", view.keys()));
        assert_eq!(
            file.record.sha256.as_deref(),
            Some(sha256(content.as_bytes()).as_str()),
            "{path}"
        );
    }
    assert_eq!(view.len(), 7, "{:?}", view.keys());
}

#[test]
fn symlinks_are_recorded_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = ImageSpec::new(vec![
        LayerSpec::new(vec![
            Entry::symlink("abs", "/etc/shadow"),
            Entry::symlink("loop", "loop"),
            Entry::symlink("ping", "pong"),
            Entry::symlink("pong", "ping"),
            Entry::symlink("out", "../../../../../../root"),
            Entry::symlink("evil", "/"),
        ]),
        // Extracting this through the `evil` link would write the host's /etc/passwd.
        LayerSpec::new(vec![Entry::file("evil/etc/passwd", "through a link")]),
    ]);
    let built = write(&spec, tmp.path());
    let view = view(&built.source(), ScanOptions::default()).expect("links are not fatal");
    for (path, target) in [
        ("abs", "/etc/shadow"),
        ("loop", "loop"),
        ("ping", "pong"),
        ("pong", "ping"),
        ("out", "../../../../../../root"),
        ("evil", "/"),
    ] {
        let r = &view[path].record;
        assert_eq!(
            (r.kind, r.link.as_deref()),
            (EntryKind::Symlink, Some(target)),
            "{path}"
        );
    }
    assert!(view.contains_key("evil/etc/passwd"));
    assert!(!view.contains_key("etc/passwd"), "a link was followed");
}

#[test]
fn hardlink_to_a_missing_file_is_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![
        Entry::hardlink("orphan", "no/such/file"),
        Entry::hardlink("climb", "../../etc/shadow"),
        Entry::hardlink("me", "me"),
    ])]);
    let built = write(&spec, tmp.path());
    let view =
        view(&built.source(), ScanOptions::default()).expect("dangling hard links are not fatal");
    assert_eq!(view["orphan"].record.link.as_deref(), Some("no/such/file"));
    // Hard-link targets are normalised like names.
    assert_eq!(view["climb"].record.link.as_deref(), Some("etc/shadow"));
    assert_eq!(view["me"].record.kind, EntryKind::Hardlink);
}

#[test]
fn ten_thousand_deep_directories_complete() {
    const DEPTH: usize = 10_000;
    let tmp = tempfile::tempdir().expect("tempdir");
    let nested = |name: &str, depth: usize| vec![name; depth].join("/");
    let deep = nested("d", DEPTH);
    let opaque = nested("o", DEPTH / 4);
    let mut lower: Vec<Entry> = (500..=DEPTH)
        .step_by(500)
        .map(|n| Entry::dir(&nested("d", n)))
        .collect();
    lower.extend([
        Entry::file(&format!("{deep}/leaf"), "deep"),
        Entry::file(&format!("{deep}/gone"), "whited out"),
        Entry::dir(&opaque),
        Entry::file(
            &format!("{}/hidden", nested("o", DEPTH / 2)),
            "under an opaque dir",
        ),
    ]);
    let upper = vec![
        Entry::whiteout(&format!("{deep}/gone")),
        Entry::opaque(&opaque),
        Entry::symlink(&format!("{deep}/up"), &"../".repeat(DEPTH)),
    ];
    let spec = ImageSpec::new(vec![LayerSpec::new(lower), LayerSpec::new(upper)]);
    let built = write(&spec, tmp.path());
    let view = view(&built.source(), ScanOptions::default()).expect("deep trees are fine");
    assert!(view.contains_key(&format!("{deep}/leaf")));
    assert!(view.contains_key(&format!("{deep}/up")));
    assert!(
        view.contains_key(&opaque),
        "an opaque directory itself stays"
    );
    assert!(!view.contains_key(&format!("{deep}/gone")));
    assert!(!view.contains_key(&format!("{}/hidden", nested("o", DEPTH / 2))));
    assert_eq!(view.len(), DEPTH / 500 + 3, "{} paths", view.len());
}

#[test]
fn gzip_bomb_is_too_large_not_a_crash() {
    const GIB: u64 = 1 << 30;
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![
        Entry::file("before", "x"),
        Entry::zeros("zeros", GIB),
    ])]);
    let built = write(&spec, tmp.path());
    assert!(
        built.layers[0].size < 2 << 20,
        "not a bomb: {} bytes",
        built.layers[0].size
    );
    let options = limits(|l| l.max_image_bytes = 256 << 20);
    // The default analyzers: nothing reads the zeros, so only the decompression is measured.
    let source = open_local(&built.source()).expect("open");
    let report = Scanner::new(options)
        .scan(source.as_ref())
        .expect("a bomb is a status, not an error");
    assert_eq!(report.status, Status::TooLarge, "{report:?}");
    let msg = report.message.as_deref().unwrap_or_default();
    assert!(
        msg.contains("256 MiB") && msg.contains("bytes read"),
        "{msg}"
    );
    assert!(!report.verdict.passed);
}

#[test]
fn too_many_entries_is_too_large() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let files = (0..100)
        .map(|i| Entry::file(&format!("f{i}"), "x"))
        .collect();
    let built = write(&two_layers(LayerSpec::new(files)), tmp.path());
    let report =
        scan(&built.source(), limits(|l| l.max_entries = 50)).expect("a status, not an error");
    assert_eq!(report.status, Status::TooLarge);
    let msg = report.message.as_deref().unwrap_or_default();
    assert!(msg.contains("more than 50"), "{msg}");
    // The same image under the default limits scans.
    let report = scan(&built.source(), ScanOptions::default()).expect("scan");
    assert_eq!(report.status, Status::Scanned);
}

#[test]
fn per_file_read_cap_is_noted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = write(
        &two_layers(LayerSpec::new(vec![
            Entry::file("big", noise(3, 4096)),
            Entry::file("small", "s"),
        ])),
        tmp.path(),
    );
    let options = limits(|l| l.max_file_read = 1024);
    let report = scan(&built.source(), options.clone()).expect("scan");
    assert_eq!(report.status, Status::Scanned);
    assert!(
        report.notes.iter().any(|n| n.contains("/big")
            && n.contains("4096")
            && n.contains(&built.layers[0].digest)),
        "{:?}",
        report.notes
    );
    let view = view(&built.source(), options).expect("view");
    assert_eq!(
        view["big"].record.sha256, None,
        "a partial read is not a digest of the file"
    );
    assert_eq!(view["small"].record.sha256, Some(sha256(b"s")));
}

/// Three platforms, each with a file naming its architecture.
fn multi_platform(dir: &Path) -> assure_tests::fixture::BuiltIndex {
    let image = |arch: &str, variant: Option<&str>| {
        ImageSpec::new(vec![LayerSpec::new(vec![Entry::file("arch", arch)])])
            .platform("linux", arch, variant)
    };
    write_multi_platform(
        dir,
        &[
            image("amd64", None),
            image("arm64", Some("v8")),
            image("arm", Some("v7")),
        ],
        "multi",
    )
    .expect("write multi-platform image")
}

#[test]
fn index_without_the_platform_lists_the_available_ones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = multi_platform(tmp.path());
    let options = ScanOptions {
        platform: "linux/s390x".parse().expect("platform"),
        ..ScanOptions::default()
    };
    let err =
        view(&format!("oci:{}:multi", built.dir.display()), options).expect_err("no such platform");
    match &err {
        Error::NoPlatform {
            wanted, available, ..
        } => {
            assert_eq!(wanted, "linux/s390x");
            for p in ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"] {
                assert!(available.contains(p), "{available}");
            }
        }
        other => panic!("expected NoPlatform, got {other:?}"),
    }
    assert!(err.to_string().contains("linux/arm/v7"), "{err}");
}

#[test]
fn index_selects_the_requested_platform() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = multi_platform(tmp.path());
    let source = format!("oci:{}:multi", built.dir.display());
    for (platform, arch) in [
        (Platform::default(), "amd64"),
        ("linux/arm64".parse().expect("platform"), "arm64"),
        ("linux/arm/v7".parse().expect("platform"), "arm"),
    ] {
        let options = ScanOptions {
            platform: platform.clone(),
            ..ScanOptions::default()
        };
        let source = open_local(&source).expect("open");
        let (view, analysis) = engine_view(source.as_ref(), options).expect("scan");
        assert_eq!(analysis.image.platform.architecture, arch, "{platform}");
        let chosen = built
            .images
            .iter()
            .find(|b| b.manifest_digest == analysis.image.digest)
            .expect("one of the index's manifests");
        assert_eq!(
            view["arch"].record.sha256,
            Some(sha256(arch.as_bytes())),
            "{platform}"
        );
        assert_eq!(analysis.image.config_digest, chosen.config_digest);
    }
}

#[test]
fn tar_cut_inside_an_entry_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let entries = vec![Entry::file("first", "1"), Entry::file("last", text(40))];
    for compression in [Compression::None, Compression::Gzip] {
        let spec = ImageSpec::new(vec![
            LayerSpec::new(entries.clone())
                .compression(compression)
                .end(TarEnd::Cut(100)),
        ]);
        let built = write(&spec, &tmp.path().join(format!("{compression:?}")));
        let digest = &built.layers[0].digest;
        // Whether or not an analyzer reads the cut file, the walk must notice.
        assert_err(
            view(&built.source(), ScanOptions::default()),
            digest,
            &["truncated"],
        );
        let source = open_local(&built.source()).expect("open");
        let err = Scanner::new(ScanOptions::default())
            .scan(source.as_ref())
            .expect_err("default analyzers do not read `last`");
        assert!(err.to_string().contains(digest.as_str()), "{err}");
    }
}

#[test]
fn tar_cut_inside_a_header_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = ImageSpec::new(vec![
        LayerSpec::new(vec![Entry::file("first", "1"), Entry::file("second", "2")])
            .compression(Compression::None),
    ]);
    let built = write(&spec, tmp.path());
    let tar = std::fs::read(&built.layers[0].path).expect("read layer");
    // header + one data block of `first`, then half of `second`'s header.
    let cut = &tar[..512 + 512 + 256];
    let relinked = built
        .replace_layer(0, cut, Some(&sha256(cut)))
        .expect("relink");
    assert_err(
        view(&relinked.source(), ScanOptions::default()),
        &relinked.layers[0].digest,
        &["truncated"],
    );
}

#[test]
fn unpadded_tar_end_is_accepted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let last = text(30);
    assert_ne!(last.len() % 512, 0, "the point is a missing partial block");
    for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let spec = ImageSpec::new(vec![
            LayerSpec::new(vec![Entry::dir("d"), Entry::file("d/last", &last)])
                .compression(compression)
                .end(TarEnd::Unpadded),
            LayerSpec::new(vec![Entry::file("top", "t")]).end(TarEnd::Unpadded),
        ]);
        let built = write(&spec, &tmp.path().join(format!("{compression:?}")));
        let view =
            view(&built.source(), ScanOptions::default()).expect("umoci-style layers are valid");
        assert_eq!(
            view["d/last"].record.sha256,
            Some(sha256(&last)),
            "{compression:?}"
        );
        assert_eq!(view["top"].record.sha256, Some(sha256(b"t")));
        // The default analyzers skip the content rather than reading it.
        let source = open_local(&built.source()).expect("open");
        let report = Scanner::new(ScanOptions::default())
            .scan(source.as_ref())
            .expect("scan");
        assert_eq!(report.status, Status::Scanned, "{compression:?}");
    }
}
