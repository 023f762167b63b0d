//! CISA's Known Exploited Vulnerabilities catalog (JSON).

use super::{Exploited, Format, Parsed, Record, json_has_keys};
use serde::Deserialize;

/// `known_exploited_vulnerabilities.json`.
pub struct Kev;

#[derive(Deserialize)]
struct Catalog {
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    date_added: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

impl Format for Kev {
    fn sniff(&self, name: &str, bytes: &[u8]) -> bool {
        json_has_keys(name, bytes, &["catalogVersion", "vulnerabilities"])
    }

    fn parse(&self, _name: &str, bytes: &[u8]) -> Result<Parsed, String> {
        let catalog: Catalog =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid KEV catalog: {e}"))?;
        Ok(catalog
            .vulnerabilities
            .into_iter()
            .map(|v| {
                let e: Entry =
                    serde_json::from_value(v).map_err(|e| format!("invalid KEV entry: {e}"))?;
                if !e.cve_id.starts_with("CVE-") {
                    return Err(format!("KEV entry with id {:?} is not a CVE", e.cve_id));
                }
                Ok(Record::Exploited(Exploited {
                    cve: e.cve_id,
                    source: "CISA KEV".into(),
                    date_added: e.date_added,
                    ransomware: e
                        .known_ransomware_campaign_use
                        .is_some_and(|k| k.eq_ignore_ascii_case("known")),
                }))
            })
            .collect())
    }
}
