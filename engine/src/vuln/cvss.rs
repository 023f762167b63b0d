//! CVSS base scores computed from vectors (v2.0, v3.0, v3.1 and v4.0, through the RustSec
//! `cvss` crate), so a finding's severity follows the vector rather than a label copied from
//! somewhere.

use crate::report::Severity;
use std::str::FromStr;

/// The base score of a vector of any CVSS version, or `None` when it does not parse.
pub fn base_score(vector: &str) -> Option<f64> {
    let vector = vector.trim();
    if !complete(vector) {
        return None;
    }
    let score = match cvss::Cvss::from_str(vector).ok()? {
        cvss::Cvss::CvssV30(v) | cvss::Cvss::CvssV31(v) => v.base_score().value(),
        other => other.score(),
    };
    score.is_finite().then_some(score)
}

/// Whether every base metric of the vector's version is present: the crate fills missing
/// ones with defaults, and a partial vector is not something to rate by.
fn complete(vector: &str) -> bool {
    let required: &[&str] = match vector.get(..8) {
        Some("CVSS:3.1" | "CVSS:3.0") => &["AV", "AC", "PR", "UI", "S", "C", "I", "A"],
        Some("CVSS:4.0") => &[
            "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
        ],
        _ => &["AV", "AC", "Au", "C", "I", "A"],
    };
    let present: Vec<&str> = vector
        .split('/')
        .filter_map(|m| m.split_once(':').map(|(k, _)| k))
        .collect();
    required.iter().all(|k| present.contains(k))
}

/// The vector to rate a vulnerability by, with its score: v3.x first (what most feeds and
/// peers rate by), then v4.0, then v2.0.
pub fn preferred<'a>(vectors: impl IntoIterator<Item = &'a str>) -> Option<(&'a str, f64)> {
    let rank = |v: &str| match v.get(..8) {
        Some("CVSS:3.1" | "CVSS:3.0") => 0,
        Some("CVSS:4.0") => 1,
        _ => 2,
    };
    let mut scored: Vec<(&str, f64)> = vectors
        .into_iter()
        .filter_map(|v| Some((v, base_score(v)?)))
        .collect();
    scored.sort_by_key(|(v, _)| rank(v));
    scored.into_iter().next()
}

/// The qualitative rating of a score (the v3/v4 scale; v2 scores are rated on it too so that
/// one threshold means one thing).
pub fn rating(score: f64) -> Severity {
    match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s > 0.0 => Severity::Low,
        _ => Severity::Negligible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_first_calculators() {
        // Reference values from FIRST's CVSS v2, v3.1 and v4.0 calculators.
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
            ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
            ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
                7.1,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                4.8,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(base_score(v), Some(want), "{v}");
        }
        assert_eq!(rating(9.8), Severity::Critical);
        assert_eq!(rating(6.1), Severity::Medium);
        for bad in [
            "CVSS:2.0/AV:N",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N",
            "",
            "garbage",
        ] {
            assert_eq!(base_score(bad), None, "{bad}");
        }
    }

    #[test]
    fn v3_is_preferred_over_v4_and_v2() {
        let v2 = "AV:N/AC:L/Au:N/C:P/I:P/A:P";
        let v3 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H";
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(preferred([v2, v4, v3]), Some((v3, 7.4)));
        assert_eq!(preferred([v2, v4]), Some((v4, 9.3)));
        assert_eq!(preferred([v2, "bad"]), Some((v2, 7.5)));
        assert_eq!(preferred(["bad"]), None);
    }
}
