//! Local sources: one image read as an OCI layout, an OCI archive and a docker-archive gives
//! the same answer; bare paths are recognised; reports match the published JSON schema.

use assure_engine::analyze::files::FileDigests;
use assure_engine::analyze::os::OsAnalyzer;
use assure_engine::report::Status;
use assure_engine::source::{Root, open_local};
use assure_engine::{Report, ScanOptions, Scanner};
use assure_tests::fixture::{
    Compression, Entry, ImageSpec, LayerSpec, TarEnd, ViewFile, engine_view, write_docker_archive,
    write_multi_platform, write_oci_archive, write_oci_layout,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A Debian-like image over all three compressions.
fn image() -> ImageSpec {
    ImageSpec::new(vec![
        LayerSpec::new(vec![
            Entry::dir("etc"),
            Entry::file(
                "etc/os-release",
                "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            ),
            Entry::file("etc/debian_version", "12.5\n"),
            Entry::dir("usr"),
            Entry::dir("usr/bin"),
            Entry::file_mode("usr/bin/tool", 0o755, "tool"),
            Entry::symlink("bin", "usr/bin"),
        ])
        .compression(Compression::Gzip),
        LayerSpec::new(vec![
            Entry::whiteout("etc/debian_version"),
            Entry::hardlink("usr/bin/tool2", "usr/bin/tool"),
        ])
        .compression(Compression::Zstd),
        LayerSpec::new(vec![Entry::file("app", "app")])
            .compression(Compression::None)
            .end(TarEnd::Unpadded),
    ])
    .tag("1.0")
}

fn scanner(options: ScanOptions) -> Scanner {
    Scanner::new(options).with_analyzers(vec![Arc::new(OsAnalyzer), Arc::new(FileDigests::all())])
}

fn scan(source: &str) -> Report {
    let source = open_local(source).unwrap_or_else(|e| panic!("open {source}: {e}"));
    scanner(ScanOptions::default())
        .scan(source.as_ref())
        .expect("scan")
}

fn view(source: &str) -> BTreeMap<String, ViewFile> {
    let source = open_local(source).expect("open");
    engine_view(source.as_ref(), ScanOptions::default())
        .expect("scan")
        .0
}

fn diff_ids(report: &Report) -> Vec<String> {
    report
        .image
        .layers
        .iter()
        .map(|l| l.diff_id.clone())
        .collect()
}

#[test]
fn every_source_kind_gives_the_same_image() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = image();
    let layout = write_oci_layout(&spec, &tmp.path().join("layout")).expect("layout");
    let oci_tar = tmp.path().join("oci.tar");
    let docker_tar = tmp.path().join("docker.tar");
    write_oci_archive(&spec, &oci_tar).expect("oci archive");
    write_docker_archive(&spec, &docker_tar, "example.com/app:1.0").expect("docker archive");
    let expected_diff_ids: Vec<String> = layout.layers.iter().map(|l| l.diff_id.clone()).collect();

    let reference = scan(&layout.source());
    let reference_view = view(&layout.source());
    assert_eq!(reference.status, Status::Scanned);
    let os = reference.image.os.clone().expect("OS detected");
    assert_eq!(
        (os.family.as_str(), os.version.as_deref()),
        ("debian", Some("12"))
    );
    assert_eq!(diff_ids(&reference), expected_diff_ids);
    assert!(
        reference_view.contains_key("app") && !reference_view.contains_key("etc/debian_version")
    );

    let sources = [
        layout.dir.display().to_string(),
        format!("oci-archive:{}:1.0", oci_tar.display()),
        oci_tar.display().to_string(),
        format!("docker-archive:{}", docker_tar.display()),
        format!("docker-archive:{}:1.0", docker_tar.display()),
        docker_tar.display().to_string(),
    ];
    for source in &sources {
        let report = scan(source);
        assert_eq!(report.status, Status::Scanned, "{source}");
        assert_eq!(report.image.os, reference.image.os, "{source}");
        assert_eq!(diff_ids(&report), expected_diff_ids, "{source}");
        assert_eq!(
            report.image.id.as_deref(),
            Some(layout.config_digest.as_str()),
            "{source}"
        );
        assert_eq!(view(source), reference_view, "{source}");
        if source.contains("docker") {
            // No manifest: the image is known by its ID and layers by their diffIDs.
            assert_eq!(report.image.digest, layout.config_digest, "{source}");
            let digests: Vec<String> = report
                .image
                .layers
                .iter()
                .map(|l| l.digest.clone())
                .collect();
            assert_eq!(digests, expected_diff_ids, "{source}");
            assert_eq!(report.image.reference, "example.com/app:1.0");
        } else {
            assert_eq!(report.image.digest, layout.manifest_digest, "{source}");
            let digests: Vec<&str> = report
                .image
                .layers
                .iter()
                .map(|l| l.digest.as_str())
                .collect();
            let built: Vec<&str> = layout.layers.iter().map(|l| l.digest.as_str()).collect();
            assert_eq!(digests, built, "{source}");
        }
    }
}

/// skopeo's syntax is `docker-archive:PATH[:REFERENCE]`, and a reference has colons of its own
/// (`example.com/app:1.0`, `localhost:5000/app:1`).
#[test]
fn docker_archive_reference_with_colons() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docker_tar = tmp.path().join("docker.tar");
    write_docker_archive(&image(), &docker_tar, "localhost:5000/app:1.0").expect("docker archive");
    for reference in ["localhost:5000/app:1.0", "1.0"] {
        let report = scan(&format!(
            "docker-archive:{}:{reference}",
            docker_tar.display()
        ));
        assert_eq!(report.image.reference, "localhost:5000/app:1.0");
    }
}

#[test]
fn fixture_images_are_deterministic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = write_oci_layout(&image(), &tmp.path().join("a")).expect("layout");
    let b = write_oci_layout(&image(), &tmp.path().join("b")).expect("layout");
    assert_eq!(a.manifest_digest, b.manifest_digest);
    let index = |dir: &Path| std::fs::read(dir.join("index.json")).expect("index.json");
    assert_eq!(index(&a.dir), index(&b.dir));
    write_oci_archive(&image(), &tmp.path().join("a.tar")).expect("archive");
    write_oci_archive(&image(), &tmp.path().join("b.tar")).expect("archive");
    let bytes = |name: &str| std::fs::read(tmp.path().join(name)).expect("read");
    assert!(bytes("a.tar") == bytes("b.tar"), "OCI archives differ");
}

#[test]
fn open_local_detects_bare_paths() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = image();
    let layout = write_oci_layout(&spec, &tmp.path().join("layout")).expect("layout");
    let oci_tar = tmp.path().join("oci.tar");
    let docker_tar = tmp.path().join("docker.tar");
    write_oci_archive(&spec, &oci_tar).expect("oci archive");
    write_docker_archive(&spec, &docker_tar, "example.com/app:1.0").expect("docker archive");
    for (path, oci) in [
        (layout.dir.as_path(), true),
        (&oci_tar, true),
        (&docker_tar, false),
    ] {
        let source = open_local(&path.display().to_string()).expect("detected");
        match source.root().expect("root") {
            Root::Index { .. } => assert!(oci, "{} read as OCI", path.display()),
            Root::Docker { .. } => assert!(!oci, "{} read as docker-archive", path.display()),
            Root::Blob(b) => panic!("{}: unexpected root blob {b:?}", path.display()),
        }
    }

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let not_tar = tmp.path().join("notes.txt");
    std::fs::write(&not_tar, "just text, not an image\n".repeat(100)).expect("write");
    let gz = tmp.path().join("image.tar.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &std::fs::read(&oci_tar).expect("read")).expect("gzip");
    std::fs::write(&gz, encoder.finish().expect("gzip")).expect("write");
    let missing = tmp.path().join("missing");
    for (spec, words) in [
        (empty.display().to_string(), "not an OCI image layout"),
        (not_tar.display().to_string(), "tar"),
        (gz.display().to_string(), "decompress"),
        (missing.display().to_string(), ""),
        ("registry:example.com/app:1".to_string(), "not handled"),
        (format!("oci:{}:nope", layout.dir.display()), "1.0"),
        (
            format!("docker-archive:{}:nope", docker_tar.display()),
            "nope",
        ),
    ] {
        let err = open_local(&spec)
            .and_then(|s| scanner(ScanOptions::default()).scan(s.as_ref()).map(|_| ()))
            .expect_err("not an image");
        let msg = err.to_string();
        assert!(
            msg.contains(&spec),
            "{spec}: message does not name the input: {msg}"
        );
        assert!(msg.contains(words), "{spec}: `{words}` missing from: {msg}");
    }
}

fn validate(schema: &jsonschema::Validator, json: &str, what: &str) {
    let instance: serde_json::Value = serde_json::from_str(json).expect("report is JSON");
    let errors: Vec<String> = schema
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: report does not match the schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn reports_match_the_json_schema() {
    let path = assure_tests::schema::schemas_dir().join("report-v1.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("schema is JSON");
    let schema = jsonschema::validator_for(&schema).expect("schema compiles");
    // The schema must be able to say no.
    assert!(!schema.is_valid(&serde_json::json!({"schema": "assure.report/v1", "status": "fine"})));

    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = image();
    let layout = write_oci_layout(&spec, &tmp.path().join("layout")).expect("layout");
    let docker_tar = tmp.path().join("docker.tar");
    write_docker_archive(&spec, &docker_tar, "example.com/app:1.0").expect("docker archive");
    let multi = write_multi_platform(
        &tmp.path().join("multi"),
        &[
            spec.clone(),
            spec.clone().platform("linux", "arm64", Some("v8")),
        ],
        "multi",
    )
    .expect("multi");

    validate(&schema, &scan(&layout.source()).to_json(), "OCI layout");
    validate(
        &schema,
        &scan(&docker_tar.display().to_string()).to_json(),
        "docker-archive",
    );
    validate(
        &schema,
        &scan(&format!("oci:{}:multi", multi.dir.display())).to_json(),
        "multi-platform",
    );

    let mut options = ScanOptions::default();
    options.limits.max_file_read = 2;
    let source = open_local(&layout.source()).expect("open");
    let capped = scanner(options).scan(source.as_ref()).expect("scan");
    assert!(!capped.notes.is_empty(), "the read cap leaves notes");
    validate(&schema, &capped.to_json(), "notes");

    let mut options = ScanOptions::default();
    options.limits.max_entries = 3;
    let too_large = scanner(options).scan(source.as_ref()).expect("scan");
    assert_eq!(too_large.status, Status::TooLarge);
    validate(&schema, &too_large.to_json(), "too_large");
}

#[test]
fn an_index_naming_one_image_under_two_tags_needs_no_tag() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let layout = write_oci_layout(&image(), &tmp.path().join("layout")).expect("layout");
    let path = layout.dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("index.json")).expect("parses");
    let mut second = index["manifests"][0].clone();
    second["annotations"]["org.opencontainers.image.ref.name"] = "latest".into();
    index["manifests"]
        .as_array_mut()
        .expect("array")
        .push(second);
    std::fs::write(&path, serde_json::to_vec(&index).expect("serialises")).expect("write");
    let report = scan(&format!("oci:{}", layout.dir.display()));
    assert_eq!(report.image.digest, layout.manifest_digest);

    // Two different images without platforms still need a tag to choose between them.
    let mut other = index["manifests"][0].clone();
    other["digest"] = format!("sha256:{}", "0".repeat(64)).into();
    index["manifests"]
        .as_array_mut()
        .expect("array")
        .push(other);
    std::fs::write(&path, serde_json::to_vec(&index).expect("serialises")).expect("write");
    let source = open_local(&format!("oci:{}", layout.dir.display())).expect("open");
    let err = scanner(ScanOptions::default())
        .scan(source.as_ref())
        .expect_err("ambiguous index refused");
    assert!(err.to_string().contains("name one by tag"), "{err}");
}
