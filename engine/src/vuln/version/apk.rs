//! apk version ordering, ported from apk-tools 3's `src/version.c`.
//!
//! An Alpine version is `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`. It is read as a
//! stream of tokens; two versions compare token by token while both streams have tokens of the
//! same kind. When one stream ends or turns invalid first, the kind of the next token decides:
//! a pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`) makes a version older than its end,
//! any other token makes it newer, and an invalid token is older than anything valid.
//!
//! Like apk, this never rejects a version: an invalid stretch simply ends the comparable part.
//! Two differences from apk-tools, both outside what a real package version contains: numbers
//! are compared exactly rather than as wrapping `u64`s, and non-ASCII bytes are invalid tokens.

use std::cmp::Ordering;

/// What a token is; the declaration order is apk's `enum PARTS`, which the comparison uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks: pre-releases, then no suffix, then post-releases (apk's `DECLARE_SUFFIXES`).
const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];
const SUFFIX_NONE: u8 = PRE_SUFFIXES.len() as u8 + 1;

/// One token: its kind, its text, and for suffixes their rank.
#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    suffix: u8,
}

/// A version read into apk's tokens; the last token is always `End` or `Invalid`.
#[derive(Debug, Clone)]
pub(super) struct ApkVersion {
    tokens: Vec<Token>,
}

impl ApkVersion {
    /// Tokenises `text` the way apk's `token_first`/`token_next` do.
    pub(super) fn parse(text: &str) -> Self {
        let mut tokens = Vec::new();
        let mut rest = text.as_bytes();
        let digits = take_while(&mut rest, |b| b.is_ascii_digit());
        let mut kind = if digits.is_empty() {
            Kind::Invalid
        } else {
            Kind::InitialDigit
        };
        tokens.push(token(kind, digits));
        while kind < Kind::End {
            let next = next_token(kind, &mut rest);
            kind = next.kind;
            tokens.push(next);
        }
        ApkVersion { tokens }
    }
}

/// Reads the token after one of kind `prev`, validating that it may follow.
fn next_token(prev: Kind, rest: &mut &[u8]) -> Token {
    let Some(&first) = rest.first() else {
        return token(Kind::End, b"");
    };
    let invalid = token(Kind::Invalid, b"");
    match first {
        b'a'..=b'z' => {
            if prev > Kind::Digit {
                return invalid;
            }
            *rest = &rest[1..];
            token(Kind::Letter, &[first])
        }
        b'.' | b'0'..=b'9' => {
            if first == b'.' {
                if prev > Kind::Digit {
                    return invalid;
                }
                *rest = &rest[1..];
            }
            let kind = match prev {
                Kind::InitialDigit | Kind::Digit => Kind::Digit,
                Kind::Suffix => Kind::SuffixNo,
                _ => return invalid,
            };
            digits_token(kind, rest)
        }
        b'_' => {
            if prev > Kind::SuffixNo {
                return invalid;
            }
            *rest = &rest[1..];
            let name = take_while(rest, |b| b.is_ascii_lowercase());
            match suffix_rank(name) {
                Some(rank) => Token {
                    kind: Kind::Suffix,
                    text: String::from_utf8_lossy(name).into_owned(),
                    suffix: rank,
                },
                None => invalid,
            }
        }
        b'~' => {
            if prev >= Kind::CommitHash {
                return invalid;
            }
            *rest = &rest[1..];
            let hash = take_while(rest, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if hash.is_empty() {
                return invalid;
            }
            token(Kind::CommitHash, hash)
        }
        b'-' => {
            if prev >= Kind::RevisionNo {
                return invalid;
            }
            match rest.strip_prefix(b"-r") {
                Some(after) => {
                    *rest = after;
                    digits_token(Kind::RevisionNo, rest)
                }
                None => invalid,
            }
        }
        _ => invalid,
    }
}

/// A numeric token of `kind`, or an invalid one when no digit follows (apk's
/// `token_parse_digits`).
fn digits_token(kind: Kind, rest: &mut &[u8]) -> Token {
    let digits = take_while(rest, |b| b.is_ascii_digit());
    if digits.is_empty() {
        token(Kind::Invalid, b"")
    } else {
        token(kind, digits)
    }
}

fn token(kind: Kind, text: &[u8]) -> Token {
    Token {
        kind,
        text: String::from_utf8_lossy(text).into_owned(),
        suffix: 0,
    }
}

fn take_while<'a>(rest: &mut &'a [u8], keep: impl Fn(u8) -> bool) -> &'a [u8] {
    let end = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
    let (taken, after) = rest.split_at(end);
    *rest = after;
    taken
}

/// The rank of a suffix name: pre-release suffixes below [`SUFFIX_NONE`], the others above.
fn suffix_rank(name: &[u8]) -> Option<u8> {
    let rank_in = |list: &[&str], base: u8| {
        list.iter()
            .position(|s| s.as_bytes() == name)
            .map(|i| base + i as u8)
    };
    rank_in(&PRE_SUFFIXES, 1).or_else(|| rank_in(&POST_SUFFIXES, SUFFIX_NONE + 1))
}

/// apk's `token_cmp` for two tokens of the same kind.
fn token_cmp(a: &Token, b: &Token) -> Ordering {
    match a.kind {
        // A leading zero makes a component compare as a string (Gentoo's rule): 1.01 < 1.1.
        Kind::Digit if a.text.starts_with('0') || b.text.starts_with('0') => a.text.cmp(&b.text),
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => {
            super::cmp_decimal(&a.text, &b.text)
        }
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        Kind::Letter | Kind::CommitHash | Kind::End | Kind::Invalid => a.text.cmp(&b.text),
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ApkVersion {
    /// apk's `apk_version_compare` (without fuzzy matching).
    fn cmp(&self, other: &Self) -> Ordering {
        let end = token(Kind::End, b"");
        let mut pairs = self.tokens.iter().zip(other.tokens.iter());
        let (ta, tb) = loop {
            let Some((ta, tb)) = pairs.next() else {
                // Both streams end in End or Invalid, so the loop always stops before this.
                break (&end, &end);
            };
            if ta.kind != tb.kind || ta.kind >= Kind::End {
                break (ta, tb);
            }
            match token_cmp(ta, tb) {
                Ordering::Equal => {}
                decided => return decided,
            }
        };
        if ta.kind == tb.kind {
            return Ordering::Equal;
        }
        if ta.kind == Kind::Suffix && ta.suffix < SUFFIX_NONE {
            return Ordering::Less;
        }
        if tb.kind == Kind::Suffix && tb.suffix < SUFFIX_NONE {
            return Ordering::Greater;
        }
        // The stream whose next token is the "later" kind ran out sooner: it is older.
        tb.kind.cmp(&ta.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        ApkVersion::parse(a).cmp(&ApkVersion::parse(b))
    }

    fn valid(v: &str) -> bool {
        ApkVersion::parse(v)
            .tokens
            .last()
            .is_some_and(|t| t.kind == Kind::End)
    }

    /// A selection from apk-tools' `test/unit/version.data`.
    const VERSION_DATA: &str = "
        2.34 > 0.1.0_alpha
        23_foo > 4_beta
        1.0 < 1.0bc
        0.1.0_alpha = 0.1.0_alpha
        0.1.0_alpha < 0.1.3_alpha
        0.1.0_alpha2 > 0.1.0_alpha
        0.1.0_alpha < 2.2.39-r1
        2.2.39-r1 > 1.0.4-r3
        1.0.4-r3 < 1.0.4-r4
        1.1 > 1.1_alpha1
        1.2.1 > 1.2
        1.3_alpha2 < 1.3_alpha3
        0.7.0 < 0.8_beta1
        3.10.18-r1 > 2.3.0b-r1
        2.3.0b-r1 < 2.3.0b-r2
        0.12.3 > 0.12
        0.12 < 0.13_beta1
        1.2.11 < 1.2.12.1
        1.06-r6 < 006
        006 > 1.0.0
        1.2.2-r1 > 1.2.2
        2.59 < 20050718-r1
        3.9.8-r5 > 2.01.01_alpha10
        1.0 > 0.99.3.20040818
        1.39 > 1.00_beta2
        4.2.52_p2-r1 < 4.2.52_p4-r2
        1.02 < 1.03-r1
        2.38 < 20050405
        3.0.20060720 < 20060720
        2.5.1-r8 < 2.5.1a-r1
        20040401 > 2.0.0_rc3-r1
        0.99.163 < 2.6.15.20060110
        3.0.0-r2 < 021109-r3
        021109-r3 < 20060512
        0.9.16-r1 < 3.9_pre20060124
        1.1.7 < 6b-r7
        0.10.0 < 0.10.1_rc1
        1.0-r1 > 0.15.1b
        22.7 > 2.1_pre20
        2.10.1 > 02.08.01b
        3.81 > 1.6d
        1.2.07.8 < 1.2.12.04
        0.20070118 < 0.20070207_rc1
        3.7_p1 > 1.3
        4.5_p1-r1 > 4.5_p1
        0.9.8c-r1 < 0.9.8d
        2.2.3-r2 < 013
        1.8.5 < 1.8.5_p2
        2.9.11_pre20051101-r3 > 2.9.11_pre20051101
        1.6.8_p12-r1 > 1.6.8_p9-r2
        0.9.28.1 < 087-r1
        20040406-r1 > 2.12r-r4
        7.0.17 < 7.0.174
        1.3-r0 < 1.3.1-r0
        1.3_pre1-r1 < 1.3.2
        1.0_p10-r0 > 1.0_p9-r0
        0.1.0_alpha_pre2 < 0.1.0_alpha
        1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
        6.0_pre1 < 6.0
        6.1_pre1 < 6.1
        6.0_p1 > 6.0
        6.1_p1 > 6.1
        8.2.0 < 8.2.001
        8.2.0015 < 8.2.002
        1.0~1234 < 1.0~2345
        1.0~1234-r1 < 1.0~2345-r0
        1.0~1234-r1 > 1.0~1234-r0
    ";

    #[test]
    fn matches_apk_tools_version_data() {
        let mut checked = 0;
        for line in VERSION_DATA
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [a, op, b] = parts[..] else {
                panic!("bad test line {line:?}");
            };
            let want = match op {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                _ => panic!("bad operator in {line:?}"),
            };
            assert_eq!(cmp(a, b), want, "{line}");
            assert_eq!(cmp(b, a), want.reverse(), "{line} (reversed)");
            checked += 1;
        }
        assert!(checked > 60);
    }

    #[test]
    fn suffixes_rank_around_the_release() {
        let ladder = [
            "1.2_alpha1",
            "1.2_beta",
            "1.2_pre2",
            "1.2_rc1",
            "1.2",
            "1.2-r1",
            "1.2_cvs1",
            "1.2_svn1",
            "1.2_git1",
            "1.2_hg1",
            "1.2_p1",
            "1.2a",
            "1.2.0",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
    }

    #[test]
    fn validates_like_apk_tools() {
        for ok in [
            "1.2",
            "0.1_pre2",
            "0.1_pre2~1234abcd",
            "0.1_p1_pre2",
            "0.1_alpha1_pre2",
            "0.1_git20240101_pre1",
            "1.2.3-r10",
        ] {
            assert!(valid(ok), "{ok} should be valid");
        }
        for bad in [
            "",
            "0.1bc",
            "0.1bc1",
            "0.1a1",
            "0.1a.1",
            "0.1_pre2~",
            "0.1_pre2~1234xbcd",
            "0.1_pre2~1234abcd_pre1",
            "0.1_pre2-r1~1234xbcd",
            "0.1_foobar",
            "0.1_foobar1",
            "0.1-pre1.1",
            "0.1-r",
            "0.1-r2_pre1",
            "0.1-r2_p3_pre1",
            "0.1-r2-r3",
            "0.1-r2.1",
            ".1",
            "a",
            "_pre1",
            "-r1",
            "0.1_",
            "0.1_-r0",
            "0.1__alpha",
            "0.1_1_alpha",
            "1.0é",
        ] {
            assert!(!valid(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn an_invalid_tail_is_older_than_any_valid_continuation() {
        assert_eq!(cmp("1-r-0", "1-r0"), Ordering::Less);
        assert_eq!(cmp("1.2.0A", "1.2.0d"), Ordering::Less);
        assert_eq!(cmp("1", "1-ruff"), Ordering::Greater);
        // Invalid at the same place: apk calls them equal.
        assert_eq!(cmp("1-ruff2", "1-ruff1"), Ordering::Equal);
    }

    #[test]
    fn huge_numbers_compare_exactly() {
        assert_eq!(
            cmp("1.99999999999999999999999", "1.100000000000000000000000"),
            Ordering::Less
        );
    }
}
