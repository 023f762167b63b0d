//! Command-line contract: usage and input errors exit 2 with a message naming the input.

use std::process::Command;

fn assure(args: &[&str]) -> (Option<i32>, String, String) {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assure"))
        .arg("--data-dir")
        .arg(data.path())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn missing_source_names_the_path() {
    let (code, _, err) = assure(&["scan", "/no/such/image.tar"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/no/such/image.tar"), "{err}");
    assert!(err.contains("No such file"), "{err}");
}

#[test]
fn not_an_image_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    let (code, _, err) = assure(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("notes.txt") && err.contains("tar"), "{err}");
    let (code, _, err) = assure(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not an OCI image layout"), "{err}");
}

#[test]
fn bad_platform_is_a_usage_error() {
    let (code, _, err) = assure(&["scan", "--platform", "amd64", "x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid platform `amd64`"), "{err}");
}

#[test]
fn unreachable_containerd_names_the_socket() {
    let (code, _, err) = assure(&[
        "scan",
        "--containerd-address",
        "/nonexistent/containerd.sock",
        "containerd:nginx",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/containerd.sock"), "{err}");
}
