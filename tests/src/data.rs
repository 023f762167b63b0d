//! Where the shared test data and the test containerd live.

use std::path::PathBuf;

/// `ASSURE_TEST_DATA` (default `../shared/data` from the repository root), if it exists.
///
/// When it is missing, the caller skips loudly — except under `CI=true`, where this panics so a
/// missing data set fails the run instead of passing silently.
pub fn test_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ASSURE_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    require_in_ci(&format!(
        "test data not found at {} (set ASSURE_TEST_DATA)",
        dir.display()
    ));
    None
}

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Skip loudly outside CI; fail under `CI=true`.
pub fn require_in_ci(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{what}: required under CI=true");
    }
    eprintln!("SKIPPED: {what}");
}
