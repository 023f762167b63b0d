//! abuse.ch URLhaus database dumps (CSV, header commented:
//! `# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter`).

use super::blocklist::{data_lines, quoted_fields};
use super::{Format, Parsed, Record};
use crate::report::Severity;
use crate::threat::ThreatEntry;
use crate::threat::indicator::Indicator;

/// URLhaus CSV.
pub struct Urlhaus;

impl Format for Urlhaus {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(4096)];
        name.ends_with(".csv") && head.windows(7).any(|w| w == b"URLhaus")
    }

    fn parse(&self, _name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        Ok(data_lines(text)
            .map(|(n, line)| {
                let f = quoted_fields(line);
                let (Some(url), Some(status), Some(threat)) = (f.get(2), f.get(3), f.get(5)) else {
                    return Err(format!("line {n}: expected at least 6 fields"));
                };
                let ind = match Indicator::parse(url) {
                    Some(i @ Indicator::Url(_)) => i,
                    _ => return Err(format!("line {n}: {url:?} is not a URL")),
                };
                let tags = f.get(6).filter(|t| !t.is_empty() && **t != "None");
                Ok(Record::Indicator(ThreatEntry {
                    key: ind.key(),
                    classification: threat.replace("malware_download", "malware distribution"),
                    source: "abuse.ch URLhaus".into(),
                    detail: Some(match tags {
                        Some(t) => format!("{status}; tags {t}"),
                        None => status.to_string(),
                    }),
                    severity: Severity::High,
                }))
            })
            .collect())
    }
}
