//! Text matching: which files are code of which language (extension, else shebang), where
//! library and test code lives, and finding a rule's first match with its line.

use super::checks::Hit;
use super::rules::TextRule;
use crate::layer::path::file_name;
use crate::layer::walk::{EntryKind, EntryMeta};
use serde::Deserialize;

/// Scripts and sources larger than this are read only this far.
pub const MAX_READ: u64 = 1 << 20;

/// NUL bytes in the first this many bytes mark a binary file, which text rules skip.
const BINARY_SNIFF: usize = 8 << 10;

/// Matches examined per rule and file before giving up (bounds the work on hostile files).
const MAX_MATCHES: usize = 1000;

/// Evidence is cut to this many characters.
const MAX_EVIDENCE: usize = 120;

/// An `unless` regex looks this far either side of a match for its line.
const LINE_WINDOW: usize = 4 << 10;

/// A language code rules are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Python.
    Python,
    /// JavaScript (Node.js).
    Javascript,
    /// POSIX shell, bash and friends.
    Shell,
    /// PHP.
    Php,
}

/// The language a file's extension says, if any.
pub fn by_extension(path: &str) -> Option<Language> {
    let (_, ext) = file_name(path).rsplit_once('.')?;
    match ext {
        "py" | "pyw" => Some(Language::Python),
        "js" | "mjs" | "cjs" => Some(Language::Javascript),
        "sh" | "bash" => Some(Language::Shell),
        "php" | "phtml" => Some(Language::Php),
        _ => None,
    }
}

/// The language of a script's `#!` line, if any.
pub fn by_shebang(content: &[u8]) -> Option<Language> {
    let rest = content.strip_prefix(b"#!")?;
    let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
    let line = String::from_utf8_lossy(&line[..line.len().min(256)]).into_owned();
    let mut words = line.split_whitespace();
    let mut program = file_name(words.next()?);
    if program == "env" {
        program = words.find(|w| !w.starts_with('-'))?;
    }
    let program = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    match program {
        "python" | "pypy" => Some(Language::Python),
        "node" | "nodejs" => Some(Language::Javascript),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh" => Some(Language::Shell),
        "php" => Some(Language::Php),
        _ => None,
    }
}

/// Whether a file may be code: a known extension, or an executable that may start with `#!`.
pub fn may_be_code(entry: &EntryMeta) -> bool {
    entry.kind == EntryKind::File
        && (by_extension(&entry.path).is_some()
            || (entry.mode & 0o111 != 0 && entry.size <= MAX_READ))
}

/// Whether the path is part of a test suite: test code exercises insecure calls on purpose.
pub fn is_test(path: &str) -> bool {
    let name = file_name(path);
    path.split('/').rev().skip(1).any(|d| {
        matches!(
            d,
            "test" | "tests" | "__tests__" | "testing" | "spec" | "specs"
        )
    }) || name.starts_with("test_")
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains(".spec.")
}

/// Whether the path is inside a third-party package directory.
pub fn is_third_party(path: &str) -> bool {
    path.split('/').any(|d| {
        matches!(
            d,
            "site-packages" | "dist-packages" | "node_modules" | "vendor" | "bower_components"
        )
    })
}

/// Whether the content looks binary.
pub fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(BINARY_SNIFF)].contains(&0)
}

/// The first match of `rule` in `text` that no `unless` clears, with its 1-based line.
pub fn first_match(rule: &TextRule, text: &[u8]) -> Option<Hit> {
    if rule.requires.as_ref().is_some_and(|r| !r.is_match(text)) {
        return None;
    }
    let m = rule
        .pattern
        .find_iter(text)
        .take(MAX_MATCHES)
        .find(|m| match &rule.unless {
            Some(unless) => !unless.is_match(line_around(text, m.start(), m.end())),
            None => true,
        })?;
    let newlines = text[..m.start()].iter().filter(|&&b| b == b'\n').count();
    Some(Hit {
        line: Some(u32::try_from(newlines + 1).unwrap_or(u32::MAX)),
        evidence: Some(evidence(m.as_bytes())),
        unless_packaged: false,
    })
}

/// The matched text as evidence: one line, trimmed, cut short.
pub fn evidence(matched: &[u8]) -> String {
    let s = String::from_utf8_lossy(matched);
    let s = s.trim();
    let mut out: String = s
        .chars()
        .take(MAX_EVIDENCE)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > MAX_EVIDENCE {
        out.push('…');
    }
    out
}

/// The line holding `start..end`, at most [`LINE_WINDOW`] bytes either side.
fn line_around(text: &[u8], start: usize, end: usize) -> &[u8] {
    let lo = start.saturating_sub(LINE_WINDOW);
    let hi = end.saturating_add(LINE_WINDOW).min(text.len());
    let from = text[lo..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(lo, |i| lo + i + 1);
    let to = text[end..hi]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(hi, |i| end + i);
    &text[from..to]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_extension_or_shebang() {
        assert_eq!(by_extension("app/main.py"), Some(Language::Python));
        assert_eq!(by_extension("srv/index.mjs"), Some(Language::Javascript));
        assert_eq!(by_extension("www/index.php"), Some(Language::Php));
        assert_eq!(by_extension("usr/bin/run"), None);
        assert_eq!(by_extension("a.py/b"), None);
        let cases: [(&[u8], Option<Language>); 8] = [
            (b"#!/usr/bin/env python3\nimport os", Some(Language::Python)),
            (b"#!/usr/bin/python3.11 -u\n", Some(Language::Python)),
            (b"#! /bin/sh -e\n", Some(Language::Shell)),
            (
                b"#!/usr/bin/env -S node --harmony\n",
                Some(Language::Javascript),
            ),
            (b"#!/usr/bin/php\n", Some(Language::Php)),
            (b"#!/usr/bin/perl\n", None),
            (b"\x7fELF\x02\x01", None),
            (b"#!", None),
        ];
        for (text, want) in cases {
            assert_eq!(by_shebang(text), want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn test_and_library_paths_are_recognised() {
        assert!(is_test("app/tests/test_api.py"));
        assert!(is_test("srv/src/api.test.js"));
        assert!(!is_test("app/contest.py"));
        assert!(is_third_party(
            "usr/lib/python3/dist-packages/yaml/__init__.py"
        ));
        assert!(is_third_party("app/node_modules/x/index.js"));
        assert!(!is_third_party("app/vendors.py"));
    }

    #[test]
    fn line_around_stays_within_the_line_and_the_window() {
        let text = b"one\ntwo three\nfour";
        assert_eq!(line_around(text, 8, 13), b"two three");
        let long = vec![b'a'; 3 * LINE_WINDOW];
        assert_eq!(
            line_around(&long, LINE_WINDOW, LINE_WINDOW + 1).len(),
            2 * LINE_WINDOW + 1
        );
    }
}
