//! Path normalisation: every path inside an image is relative to its root and cannot escape it.

/// Normalise a tar member name: drop `/`, `.` and empty components, resolve `..` lexically
/// and clamp it at the root (as containerd and umoci do). `None` for the root itself.
pub fn normalize(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The parent directory of a normalised path (`""` for the root).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// The last component of a normalised path.
pub fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// `dir/name`, or `name` at the root.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Every proper ancestor of a normalised path, nearest last (`a`, `a/b` for `a/b/c`).
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_clamps() {
        assert_eq!(normalize(b"./etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(normalize(b"/etc//passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(
            normalize(b"../../etc/passwd").as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(normalize(b"a/b/../../../c").as_deref(), Some("c"));
        assert_eq!(normalize(b"./"), None);
        assert_eq!(normalize(b"a/./b/").as_deref(), Some("a/b"));
    }

    #[test]
    fn splits() {
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
        assert_eq!(file_name("a/b/c"), "c");
        assert_eq!(join("", "x"), "x");
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), vec!["a", "a/b"]);
    }
}
