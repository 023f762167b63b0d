//! abuse.ch Feodo Tracker's botnet C2 blocklist (CSV:
//! `"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"`).

use super::blocklist::{data_lines, quoted_fields};
use super::{Format, Parsed, Record};
use crate::report::Severity;
use crate::threat::ThreatEntry;
use crate::threat::indicator::Indicator;

/// Feodo Tracker CSV.
pub struct Feodo;

impl Format for Feodo {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(4096)];
        name.ends_with(".csv") && head.windows(8).any(|w| w == b"\"dst_ip\"")
    }

    fn parse(&self, _name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        Ok(data_lines(text)
            .filter(|(_, l)| !l.starts_with("\"first_seen"))
            .map(|(n, line)| {
                let f = quoted_fields(line);
                let (Some(ip), Some(port), Some(status), Some(malware)) =
                    (f.get(1), f.get(2), f.get(3), f.get(5))
                else {
                    return Err(format!("line {n}: expected 6 fields"));
                };
                let ind = match Indicator::parse(ip) {
                    Some(i @ Indicator::Ip(_)) => i,
                    _ => return Err(format!("line {n}: {ip:?} is not an IP address")),
                };
                Ok(Record::Indicator(ThreatEntry {
                    key: ind.key(),
                    classification: "botnet C2".into(),
                    source: "abuse.ch Feodo Tracker".into(),
                    detail: Some(format!("{malware}, port {port}, {status}")),
                    severity: Severity::Critical,
                }))
            })
            .collect())
    }
}
