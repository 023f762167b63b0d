//! IPsum (`ipsum.txt`): `IP<TAB>count`, the count being how many public blocklists list it.

use super::blocklist::data_lines;
use super::{Format, Parsed, Record};
use crate::report::Severity;
use crate::threat::ThreatEntry;
use crate::threat::indicator::Indicator;

/// The IPsum feed.
pub struct Ipsum;

impl Format for Ipsum {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(512)];
        name.ends_with(".txt") && head.windows(5).any(|w| w == b"IPsum")
    }

    fn parse(&self, _name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        Ok(data_lines(text)
            .map(|(n, line)| {
                let mut f = line.split_whitespace();
                let (Some(ip), Some(count)) = (f.next(), f.next()) else {
                    return Err(format!("line {n}: expected an IP and a count"));
                };
                let (Some(ind @ Indicator::Ip(_)), Ok(count)) =
                    (Indicator::parse(ip), count.parse::<u32>())
                else {
                    return Err(format!("line {n}: {line:?} is not `IP<TAB>count`"));
                };
                // IPsum's own advice: one or two lists is noise, three or more is signal.
                let severity = match count {
                    0..=2 => Severity::Low,
                    3..=4 => Severity::Medium,
                    _ => Severity::High,
                };
                Ok(Record::Indicator(ThreatEntry {
                    key: ind.key(),
                    classification: "attacking host".into(),
                    source: "IPsum".into(),
                    detail: Some(format!("on {count} public blocklists")),
                    severity,
                }))
            })
            .collect())
    }
}
