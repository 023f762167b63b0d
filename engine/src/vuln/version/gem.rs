//! RubyGems ordering: a port of `Gem::Version#<=>`.
//!
//! A version is read as runs of digits and runs of letters (`1.0.a10` → `1 0 a 10`), with `-`
//! standing for `.pre.`. Trailing zeros are dropped from the numeric part and from the part
//! after the first letters, so `1.0 = 1` and `1.0.a2 = 1.0.a.2`. Compared run by run, a
//! missing run counts as `0` and letters sort before numbers, which makes any version with
//! letters a pre-release of the one without (`1.0.b1 < 1.0`).
//!
//! Gem::Version itself refuses letters glued to the first number (`1beta`); the order it would
//! give them is well defined, and such strings do occur in advisories, so they are accepted.

use std::cmp::Ordering;

/// One run: a number (without leading zeros) or letters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Letters(String),
}

/// A parsed gem version: its canonical segments.
#[derive(Debug, Clone)]
pub(super) struct GemVersion {
    segments: Vec<Segment>,
}

impl GemVersion {
    /// Parses a gem version; it must start with a digit and hold only ASCII letters, digits,
    /// `.` and `-` (a blank version is `0`, as in RubyGems).
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let text = if text.is_empty() { "0" } else { text };
        if !text.starts_with(|c: char| c.is_ascii_digit()) {
            return Err("must start with a digit".to_string());
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && *c != '.' && *c != '-')
        {
            return Err(format!("unexpected character {bad:?}"));
        }
        let text = text.replace('-', ".pre.");
        Ok(GemVersion {
            segments: canonical(scan(&text)),
        })
    }
}

/// `_segments`: the runs of `/[0-9]+|[a-z]+/i`.
fn scan(text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = rest.get(start..).unwrap_or_default();
        let digits = rest.starts_with(|c: char| c.is_ascii_digit());
        let end = rest
            .find(|c: char| {
                if digits {
                    !c.is_ascii_digit()
                } else {
                    !c.is_ascii_alphabetic()
                }
            })
            .unwrap_or(rest.len());
        let (run, after) = rest.split_at(end);
        segments.push(if digits {
            let value = run.trim_start_matches('0');
            Segment::Number(if value.is_empty() { "0" } else { value }.to_string())
        } else {
            Segment::Letters(run.to_string())
        });
        rest = after;
    }
    segments
}

/// `canonical_segments`: trailing zeros dropped before the first letters and at the end.
fn canonical(segments: Vec<Segment>) -> Vec<Segment> {
    let split = segments
        .iter()
        .position(|s| matches!(s, Segment::Letters(_)))
        .unwrap_or(segments.len());
    let (numeric, rest) = segments.split_at(split);
    let trimmed = |part: &[Segment]| -> Vec<Segment> {
        let zero = Segment::Number("0".to_string());
        let keep = part.iter().rposition(|s| *s != zero).map_or(0, |i| i + 1);
        part.iter().take(keep).cloned().collect()
    };
    let mut out = trimmed(numeric);
    out.extend(trimmed(rest));
    out
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number("0".to_string());
        let len = self.segments.len().max(other.segments.len());
        for i in 0..len {
            let lhs = self.segments.get(i).unwrap_or(&zero);
            let rhs = other.segments.get(i).unwrap_or(&zero);
            let order = match (lhs, rhs) {
                (Segment::Number(a), Segment::Number(b)) => super::cmp_decimal(a, b),
                (Segment::Letters(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Letters(_)) => Ordering::Greater,
                (Segment::Letters(a), Segment::Letters(b)) => a.cmp(b),
            };
            if order.is_ne() {
                return order;
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        GemVersion::parse(a)
            .unwrap()
            .cmp(&GemVersion::parse(b).unwrap())
    }

    #[test]
    fn orders_like_gem_version() {
        let ladder = [
            "0.9",
            "1.0.a",
            "1.0.a.2",
            "1.0.a10",
            "1.0.b1",
            "1.0-1",
            "1.0.rc1",
            "1.0",
            "1.0.0.1",
            "1.2.4.beta",
            "1.2.4",
            "1.3.0",
            "3.2",
            "3.10",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn canonical_forms_are_equal() {
        for (a, b) in [
            ("1", "1.0.0"),
            ("1.0.a2", "1.0.a.2"),
            ("1.0.a.2.0", "1.0.a.2"),
            ("1.0-1", "1.0.pre.1"),
            ("01.2", "1.2"),
            ("", "0"),
            (" 1.2 ", "1.2"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
        }
        assert_eq!(cmp("1", "1beta"), Ordering::Greater);
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for bad in ["a1", "1.0+build", "1 0", "1.0_1", ".1"] {
            assert!(GemVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
