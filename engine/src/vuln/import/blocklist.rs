//! Plain indicator lists: one IP, CIDR network, URL or hostname per line (`#` comments), as
//! FireHOL `.ipset`/`.netset` files, Feodo's and URLhaus' text variants, IPsum's levels and
//! hosts-file blocklists (`0.0.0.0 host`) publish them.

use super::{Format, Parsed, Record};
use crate::report::Severity;
use crate::threat::ThreatEntry;
use crate::threat::indicator::Indicator;

/// A plain list.
pub struct Blocklist;

/// Lines that carry data: not blank, not comments; with 1-based line numbers.
pub(super) fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
}

/// The indicator of one list line: the line itself, or the host of a hosts-file line.
fn line_indicator(line: &str) -> Option<Indicator> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    match words.next() {
        Some(host) if matches!(first, "0.0.0.0" | "127.0.0.1" | "::") => Indicator::parse(host),
        Some(_) => None,
        None => Indicator::parse(first),
    }
}

/// Where a list comes from and what it means, from its file name.
fn describe(name: &str) -> (String, String, Severity) {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    if name.contains("ipsum/levels/") {
        let level: u32 = stem.parse().unwrap_or(0);
        let severity = if level >= 5 {
            Severity::High
        } else if level >= 3 {
            Severity::Medium
        } else {
            Severity::Low
        };
        return (
            format!("IPsum level {level}"),
            format!("an attacking host on at least {level} public blocklists"),
            severity,
        );
    }
    (
        format!("blocklist {stem}"),
        "a blocklisted indicator".to_string(),
        Severity::Medium,
    )
}

impl Format for Blocklist {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
        [".txt", ".ipset", ".netset", ".list"]
            .iter()
            .any(|e| name.ends_with(e))
            && data_lines(&head)
                .next()
                .is_some_and(|(_, l)| line_indicator(l).is_some())
    }

    fn parse(&self, name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let (source, classification, severity) = describe(name);
        Ok(data_lines(text)
            .map(|(n, line)| match line_indicator(line) {
                Some(ind) => Ok(Record::Indicator(ThreatEntry {
                    key: ind.key(),
                    classification: classification.clone(),
                    source: source.clone(),
                    detail: None,
                    severity,
                })),
                None => Err(format!(
                    "line {n}: not an IP, network, URL or host: {line:?}"
                )),
            })
            .collect())
    }
}

/// The fields of one line of a CSV file whose fields are all quoted and hold no quotes, as
/// abuse.ch writes them (a CSV crate would be a dependency for this one shape).
pub(super) fn quoted_fields(line: &str) -> Vec<&str> {
    line.split("\",\"").map(|f| f.trim_matches('"')).collect()
}
