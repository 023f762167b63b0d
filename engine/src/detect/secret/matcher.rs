//! Matching one file's content against a [`RuleSet`]: global path allowlists, then binary
//! sniffing, the keyword prefilter (one Aho-Corasick pass), each enabled rule's regex, the
//! entropy floor, allowlists, composite rules, and generic rules yielding to specific ones.
//!
//! The work is linear in the content: the prefilter is one pass, each enabled rule's regex runs
//! over windows of at most [`WINDOW`] bytes (so even a pattern whose match iteration is
//! quadratic in the worst case stays bounded per window), and the line context of a match is
//! capped at [`LINE_CONTEXT`] bytes each side.

use super::ruleset::RuleSet;
use memchr::{memchr, memchr_iter, memrchr};

/// Bytes sniffed for a NUL to tell binary from text.
const SNIFF: usize = 8 << 10;
/// Regexes run over windows of this size (plus [`OVERLAP`]) on large files.
const WINDOW: usize = 1 << 20;
/// A match may extend this far past its window.
const OVERLAP: usize = 16 << 10;
/// Line context kept each side of a match (for `line` allowlists and `gitleaks:allow`).
const LINE_CONTEXT: usize = 4 << 10;
/// Matches of one rule in one file beyond this are not looked at.
const MAX_PER_RULE: usize = 1_000;
/// Keyword positions kept per keyword and file; beyond, line-scoped rules read the whole file.
const MAX_POSITIONS: usize = 4_096;
/// A line holding this marker is not reported (gitleaks' inline allow comment).
const ALLOW_MARKER: &[u8] = b"gitleaks:allow";

/// One secret found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the rule in the set.
    pub rule: usize,
    /// The secret (whole: redact before storing or printing it); `None` for path-only rules.
    pub secret: Option<Vec<u8>>,
    /// 1-based line of the match start; `None` for path-only rules.
    pub line: Option<u32>,
    /// 1-based column of the match start.
    pub column: Option<u32>,
}

/// A regex match before allowlists are applied.
#[derive(Debug, Clone)]
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    secret: (usize, usize),
    line: u32,
    column: u32,
    line_span: (usize, usize),
}

/// Whether `content` looks binary: a NUL in its first bytes (as git and grep decide).
pub fn is_binary(content: &[u8]) -> bool {
    memchr(0, &content[..content.len().min(SNIFF)]).is_some()
}

/// Shannon entropy of `s` in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

impl RuleSet {
    /// The secrets in the file at `path` (no leading `/`) with this content, in file order.
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        if self.path_allowed(path) {
            return hits;
        }
        hits.extend(self.path_rules(path).map(|rule| Hit {
            rule,
            secret: None,
            line: None,
            column: None,
        }));
        if content.is_empty() {
            return hits;
        }
        let binary = is_binary(content);
        if binary && !self.reads_binary() {
            return hits;
        }
        let (active, positions) = self.active(content, binary);
        // Rules needed as parts of composite rules run even when their keywords are absent.
        let mut run = active.clone();
        for (i, r) in self.rules.iter().enumerate() {
            if active[i] {
                for &(j, _, _) in &r.required {
                    run[j] = true;
                }
            }
        }
        let mut candidates = Vec::new();
        for (i, &on) in run.iter().enumerate() {
            if on && self.applies_to(i, path) {
                self.collect(i, content, &positions, &mut candidates);
            }
        }
        if candidates.is_empty() {
            return hits;
        }
        candidates.sort_by_key(|c| (c.start, c.rule));
        locate(content, &mut candidates);
        candidates.retain(|c| !self.allowed(c, path, content));
        let kept = self.composite(&candidates, &active);
        let kept: Vec<&Candidate> = kept
            .into_iter()
            .filter(|c| !self.yields(c, &candidates, content))
            .collect();
        hits.extend(kept.into_iter().map(|c| Hit {
            rule: c.rule,
            secret: Some(content[c.secret.0..c.secret.1].to_vec()),
            line: Some(c.line),
            column: Some(c.column),
        }));
        hits
    }

    /// Which rules run on `content` (those without keywords and those whose keyword occurs),
    /// and where each keyword occurs (`None` past [`MAX_POSITIONS`]).
    fn active(&self, content: &[u8], binary: bool) -> (Vec<bool>, Vec<Option<Vec<usize>>>) {
        let ok = |i: usize| !binary || self.rules[i].binary;
        let mut on = vec![false; self.rules.len()];
        for &i in &self.unkeyed {
            on[i] = ok(i);
        }
        let mut positions: Vec<Option<Vec<usize>>> =
            vec![Some(Vec::new()); self.keyword_rules.len()];
        let Some(ac) = &self.prefilter else {
            return (on, positions);
        };
        for m in ac.find_overlapping_iter(content) {
            let p = m.pattern().as_usize();
            if let Some(list) = &mut positions[p] {
                if list.is_empty() {
                    for &i in &self.keyword_rules[p] {
                        on[i] |= ok(i);
                    }
                }
                if list.len() < MAX_POSITIONS {
                    list.push(m.start());
                } else {
                    positions[p] = None;
                }
            }
        }
        (on, positions)
    }

    /// Whether rule `i`'s regex applies to a file at `path` (its path filter and allowlists).
    fn applies_to(&self, i: usize, path: &str) -> bool {
        let r = &self.rules[i];
        r.regex.is_some()
            && r.path.as_ref().is_none_or(|p| p.is_match(path))
            && !r.allowlists.iter().any(|a| a.allows_path(path))
    }

    /// Rule `i`'s matches in `content` that pass its entropy floor.
    fn collect(
        &self,
        i: usize,
        content: &[u8],
        positions: &[Option<Vec<usize>>],
        out: &mut Vec<Candidate>,
    ) {
        let r = &self.rules[i];
        let Some(re) = &r.regex else { return };
        let mut found = 0;
        let lines: Option<Vec<usize>> = r
            .line_scoped
            .then(|| {
                r.patterns
                    .iter()
                    .map(|&p| positions[p].as_ref())
                    .collect::<Option<Vec<_>>>()
                    .map(|lists| {
                        let mut all: Vec<usize> = lists.into_iter().flatten().copied().collect();
                        all.sort_unstable();
                        all
                    })
            })
            .flatten();
        if let Some(hits) = lines {
            // Only the lines holding a keyword can hold a match of a line-scoped rule.
            let mut done = 0;
            for at in hits {
                if at < done {
                    continue;
                }
                let (from, to) = line_around(content, at, at);
                self.collect_in(i, re, content, (from.max(done), to, to), &mut found, out);
                done = to.max(at + 1);
                if found >= MAX_PER_RULE {
                    return;
                }
            }
            return;
        }
        let mut start = 0;
        while start < content.len() {
            let (end, stop) = window(content, start);
            self.collect_in(i, re, content, (start, end, stop), &mut found, out);
            if found >= MAX_PER_RULE {
                return;
            }
            start = stop;
        }
    }

    /// Matches of rule `i` in `content[start..end]` that start before `stop`.
    fn collect_in(
        &self,
        i: usize,
        re: &regex::bytes::Regex,
        content: &[u8],
        (start, end, stop): (usize, usize, usize),
        found: &mut usize,
        out: &mut Vec<Candidate>,
    ) {
        let r = &self.rules[i];
        {
            for caps in re.captures_iter(&content[start..end]) {
                let Some(m) = caps.get(0) else { continue };
                if start + m.start() >= stop {
                    break;
                }
                let secret = if r.group > 0 {
                    caps.get(r.group)
                } else {
                    caps.iter().skip(1).flatten().find(|g| !g.is_empty())
                };
                let (s, e) = match secret {
                    Some(g) => (g.start(), g.end()),
                    None => trim_newlines(&content[start..end], m.start(), m.end()),
                };
                if s == e {
                    continue;
                }
                if r.entropy > 0.0 && entropy(&content[start + s..start + e]) <= r.entropy {
                    continue;
                }
                out.push(Candidate {
                    rule: i,
                    start: start + m.start(),
                    end: start + m.end(),
                    secret: (start + s, start + e),
                    line: 0,
                    column: 0,
                    line_span: (0, 0),
                });
                *found += 1;
                if *found >= MAX_PER_RULE {
                    return;
                }
            }
        }
    }

    /// Whether an allowlist (global, then the rule's) or an inline marker allows `c`.
    fn allowed(&self, c: &Candidate, path: &str, content: &[u8]) -> bool {
        let line = &content[c.line_span.0..c.line_span.1];
        if memchr::memmem::find(line, ALLOW_MARKER).is_some() {
            return true;
        }
        let secret = &content[c.secret.0..c.secret.1];
        let matched = &content[c.start..c.end];
        self.global
            .iter()
            .chain(&self.rules[c.rule].allowlists)
            .any(|a| a.allows_match(path, secret, matched, line))
    }

    /// The reportable candidates: not `skipReport`, enabled by the prefilter, and for
    /// composite rules, with every required rule matching near by.
    fn composite<'a>(&self, all: &'a [Candidate], active: &[bool]) -> Vec<&'a Candidate> {
        all.iter()
            .filter(|c| {
                let r = &self.rules[c.rule];
                !r.skip_report
                    && active[c.rule]
                    && r.required.iter().all(|&(j, lines, cols)| {
                        all.iter().any(|o| {
                            o.rule == j
                                && lines.is_none_or(|n| c.line.abs_diff(o.line) <= n)
                                && cols.is_none_or(|n| c.column.abs_diff(o.column) <= n)
                        })
                    })
            })
            .collect()
    }

    /// Whether `c`, from a generic rule, yields to another rule's match of the same secret on
    /// the same line: a specific rule's, or an earlier generic rule's (the more generic rules
    /// come last in a rule file).
    fn yields(&self, c: &Candidate, all: &[Candidate], content: &[u8]) -> bool {
        if !self.rules[c.rule].generic {
            return false;
        }
        let secret = &content[c.secret.0..c.secret.1];
        all.iter().any(|o| {
            o.line == c.line
                && (!self.rules[o.rule].generic || o.rule < c.rule)
                && !self.rules[o.rule].skip_report
                && memchr::memmem::find(&content[o.secret.0..o.secret.1], secret).is_some()
        })
    }
}

/// The window starting at `start`: `(end, stop)`, where matches must start before `stop` and
/// may run to `end`. Windows end at a line break when one is near, so anchors behave.
fn window(content: &[u8], start: usize) -> (usize, usize) {
    if content.len() - start <= WINDOW + OVERLAP {
        return (content.len(), content.len());
    }
    let nominal = start + WINDOW;
    let stop = memchr(b'\n', &content[nominal..nominal + OVERLAP / 2])
        .map_or(nominal, |i| nominal + i + 1);
    ((stop + OVERLAP).min(content.len()), stop)
}

/// The line holding `start..end`, at most [`LINE_CONTEXT`] bytes each side.
fn line_around(content: &[u8], start: usize, end: usize) -> (usize, usize) {
    let from = start.saturating_sub(LINE_CONTEXT);
    let from = memrchr(b'\n', &content[from..start]).map_or(from, |i| from + i + 1);
    let limit = (end + LINE_CONTEXT).min(content.len());
    let to = memchr(b'\n', &content[end..limit]).map_or(limit, |i| end + i);
    (from, to)
}

/// The match without leading or trailing newlines.
fn trim_newlines(hay: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && matches!(hay[s], b'\n' | b'\r') {
        s += 1;
    }
    while e > s && matches!(hay[e - 1], b'\n' | b'\r') {
        e -= 1;
    }
    (s, e)
}

/// Fill in line, column and line span of candidates sorted by start, in one pass.
fn locate(content: &[u8], candidates: &mut [Candidate]) {
    let mut pos = 0;
    let mut line = 1u32;
    let mut line_start = 0;
    for c in candidates.iter_mut() {
        if c.start > pos {
            for nl in memchr_iter(b'\n', &content[pos..c.start]) {
                line = line.saturating_add(1);
                line_start = pos + nl + 1;
            }
            pos = c.start;
        }
        c.line = line;
        c.column = u32::try_from(c.start - line_start + 1).unwrap_or(u32::MAX);
        let (from, to) = line_around(content, c.start, c.end);
        c.line_span = (from.max(line_start), to.max(c.end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_matches_the_usual_values() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(entropy(b"8ae31cacf141669ddfb5da") > 3.0);
    }

    #[test]
    fn nul_bytes_mark_binary_content() {
        assert!(is_binary(b"\x7fELF\x02\x01\x01\0\0"));
        assert!(!is_binary(b"plain text\n"));
    }

    /// 64 MiB is the walk's default per-file read limit: the most one file can hand over.
    fn repeated(unit: &[u8]) -> Vec<u8> {
        let mut content = Vec::with_capacity(64 << 20);
        while content.len() < 64 << 20 {
            content.extend_from_slice(unit);
        }
        content
    }

    #[test]
    fn a_64_mib_line_of_near_misses_is_scanned_without_findings() {
        let rules = crate::detect::secret::builtin();
        let content = repeated(
            b"api_key=Zq8Rt2Lm5Xw9Kp3 token: ghp_short secret=\"abc\" -----BEGIN RSA PRIVATE KEY----- postgres://u:",
        );
        assert!(rules.scan("app/big.txt", &content).is_empty());
    }

    #[test]
    fn a_64_mib_file_of_secrets_yields_a_bounded_number_of_hits() {
        let rules = crate::detect::secret::builtin();
        let content = repeated(b"GITHUB_TOKEN=ghp_Zq8Rt2Lm5Xw9Kp3Vb7Nc4Hd6Jf1Gs0Ty8Ua5E\n");
        let hits = rules.scan("app/big.txt", &content);
        assert!(
            !hits.is_empty() && hits.len() <= MAX_PER_RULE,
            "{}",
            hits.len()
        );
        assert_eq!(hits[0].line, Some(1));
        assert_eq!(hits[1].line, Some(2));
    }

    #[test]
    fn random_binary_garbage_is_skipped() {
        let rules = crate::detect::secret::builtin();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let content: Vec<u8> = (0..(8 << 20))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(rules.scan("app/blob", &content).is_empty());
    }

    #[test]
    fn windows_cover_the_content_without_gaps() {
        let content = vec![b'a'; 3 * WINDOW + 123];
        let mut start = 0;
        let mut windows = 0;
        while start < content.len() {
            let (end, stop) = window(&content, start);
            assert!(stop > start && end >= stop && end <= content.len());
            start = stop;
            windows += 1;
        }
        assert_eq!(start, content.len());
        assert_eq!(windows, 3);
    }
}
