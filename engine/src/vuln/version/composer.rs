//! Packagist ordering, as Composer orders versions: `VersionParser::normalize`, then PHP's
//! `version_compare` on the normalised strings.
//!
//! Normalisation pads to four numbers and spells stabilities out: `v1.0` → `1.0.0.0`,
//! `1.0rc1` → `1.0.0.0-RC1`, `1.0pl1` → `1.0.0.0-patch1`, `1.x-dev` →
//! `1.9999999.9999999.9999999-dev`, `dev-main` stays a branch. So `1.0 = 1.0.0`, as in Composer.
//! `version_compare` then splits at `.`, `-`, `_`, `+` and digit/letter switches and ranks the
//! words `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < numbers < `pl` = `p` (by prefix,
//! so `patch` is `p`); any other word is below `dev`.
//!
//! A string Composer cannot normalise (`4.3-2RC1`) is compared raw, as `version_compare` would,
//! after dropping a leading `v`. Two deliberate departures from PHP: numbers compare by value
//! at any size, where PHP's `strtol` saturates; and identical strings are equal, where PHP
//! finds `1.0.` less than itself.

use regex::Regex;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::LazyLock;

/// A version in the form `version_compare` compares.
#[derive(Debug, Clone)]
pub(super) struct ComposerVersion {
    /// The normalised (or raw) version, canonicalised as `version_compare` first does.
    canonical: Vec<u8>,
}

impl ComposerVersion {
    /// Normalises `text` like Composer, falling back to the raw string.
    pub(super) fn parse(text: &str) -> Self {
        let version = normalize(text).unwrap_or_else(|| {
            let raw = text.trim();
            raw.strip_prefix(['v', 'V']).unwrap_or(raw).to_string()
        });
        ComposerVersion {
            canonical: prepare(version.as_bytes()),
        }
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        version_compare_prepared(&self.canonical, &other.canonical)
    }
}

// Composer's patterns (composer/semver `VersionParser`), with `\d` spelled `[0-9]` because
// PCRE's is ASCII, and without PCRE's possessive quantifiers, which change no match here: what
// they forbid giving back could never be matched by what follows.
const MODIFIER: &str =
    r"[._-]?(?:((?i-u:stable|beta|b|RC|alpha|a|patch|pl|p))((?:[.-]?[0-9]+)*)?)?([.-]?(?i-u:dev))?";

fn regex(pattern: &str) -> Regex {
    // The patterns are constants; the unit tests compile every one of them.
    Regex::new(pattern).expect("constant pattern")
}

static ALIAS: LazyLock<Regex> = LazyLock::new(|| regex(r"^([^,\s]+) +as +([^,\s]+)$"));
static STABILITY_FLAG: LazyLock<Regex> =
    LazyLock::new(|| regex(r"@(?i-u:stable|RC|beta|alpha|dev)$"));
static BUILD: LazyLock<Regex> = LazyLock::new(|| regex(r"^([^,\s+]+)\+[^\s]+$"));
static CLASSICAL: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^[vV]?([0-9]{{1,5}})(\.[0-9]+)?(\.[0-9]+)?(\.[0-9]+)?{MODIFIER}$"
    ))
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^[vV]?([0-9]{{4}}(?:[.:-]?[0-9]{{2}}){{1,6}}(?:[.:-]?[0-9]{{1,3}}){{0,2}}){MODIFIER}$"
    ))
});
static DEV_SUFFIX: LazyLock<Regex> = LazyLock::new(|| regex(r"(.*?)[.-]?(?i-u:dev)$"));
static BRANCH: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^[vV]?([0-9]+)(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?$")
});

/// `VersionParser::normalize`, or `None` where Composer throws "Invalid version string".
fn normalize(text: &str) -> Option<String> {
    let mut version = text.trim();
    if let Some(aliased) = ALIAS.captures(version).and_then(|c| c.get(1)) {
        version = aliased.as_str();
    }
    if let Some(flag) = STABILITY_FLAG.find(version) {
        version = version.get(..flag.start()).unwrap_or(version);
    }
    let branch_name;
    if matches!(version, "master" | "trunk" | "default") {
        branch_name = format!("dev-{version}");
        version = &branch_name;
    }
    if let Some(prefix) = version.get(..4)
        && prefix.eq_ignore_ascii_case("dev-")
    {
        return Some(format!("dev-{}", version.get(4..).unwrap_or_default()));
    }
    if let Some(without_build) = BUILD.captures(version).and_then(|c| c.get(1)) {
        version = without_build.as_str();
    }
    if let Some(c) = CLASSICAL.captures(version) {
        let part = |i: usize| c.get(i).map_or(".0", |m| m.as_str());
        let numbers = format!(
            "{}{}{}{}",
            c.get(1).map_or("", |m| m.as_str()),
            part(2),
            part(3),
            part(4)
        );
        return Some(with_modifiers(numbers, &c, 5));
    }
    if let Some(c) = DATE.captures(version) {
        let date = c.get(1).map_or("", |m| m.as_str());
        let numbers = date
            .chars()
            .map(|ch| if ch.is_ascii_digit() { ch } else { '.' })
            .collect();
        return Some(with_modifiers(numbers, &c, 2));
    }
    let branch = DEV_SUFFIX.captures(version)?.get(1)?.as_str();
    Some(normalize_branch(branch)).filter(|n| !n.contains("dev-"))
}

/// Appends the stability (`-RC1`, `-patch2`) and `-dev` captured from group `index` on.
fn with_modifiers(mut version: String, c: &regex::Captures<'_>, index: usize) -> String {
    let group = |i: usize| c.get(i).map(|m| m.as_str()).filter(|s| !s.is_empty());
    if let Some(stability) = group(index) {
        if stability == "stable" {
            return version;
        }
        let number = group(index + 1).unwrap_or_default();
        version.push('-');
        version.push_str(&expand_stability(stability));
        version.push_str(number.trim_start_matches(['.', '-']));
    }
    if group(index + 2).is_some() {
        version.push_str("-dev");
    }
    version
}

fn expand_stability(stability: &str) -> String {
    match stability.to_ascii_lowercase().as_str() {
        "a" => "alpha".to_string(),
        "b" => "beta".to_string(),
        "p" | "pl" => "patch".to_string(),
        "rc" => "RC".to_string(),
        other => other.to_string(),
    }
}

/// `VersionParser::normalizeBranch`: numeric branches become `…9999999-dev`.
fn normalize_branch(name: &str) -> String {
    let name = name.trim();
    let Some(c) = BRANCH.captures(name) else {
        return format!("dev-{name}");
    };
    let mut version: String = (1..5)
        .map(|i| {
            c.get(i)
                .map_or(".x", |m| m.as_str())
                .replace(['*', 'X'], "x")
        })
        .collect();
    version = version.replace('x', "9999999");
    version.push_str("-dev");
    version
}

/// `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become `.`, digit and
/// non-digit runs are separated by `.`, and dots never repeat. The first byte is kept as is.
fn canonicalize(version: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = version.split_first() else {
        return Vec::new();
    };
    let is_dig = |b: u8| b.is_ascii_digit();
    let is_ndig = |b: u8| !b.is_ascii_digit() && b != b'.';
    let mut out = Vec::with_capacity(version.len() * 2);
    out.push(first);
    let mut lp = first;
    for &p in rest {
        let lq = out.last().copied().unwrap_or(b'.');
        if matches!(p, b'-' | b'_' | b'+') {
            if lq != b'.' {
                out.push(b'.');
            }
        } else if (is_ndig(lp) && is_dig(p)) || (is_dig(lp) && is_ndig(p)) {
            if lq != b'.' {
                out.push(b'.');
            }
            out.push(p);
        } else if !p.is_ascii_alphanumeric() {
            if lq != b'.' {
                out.push(b'.');
            }
        } else {
            out.push(p);
        }
        lp = p;
    }
    out
}

/// What `php_version_compare` does to an argument before splitting it.
fn prepare(version: &[u8]) -> Vec<u8> {
    if version.first() == Some(&b'#') {
        version.to_vec()
    } else {
        canonicalize(version)
    }
}

/// `compare_special_version_forms`'s rank of a word, by prefix; `-1` for unknown words.
fn special_rank(form: &[u8]) -> i8 {
    const FORMS: [(&[u8], i8); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |&(_, rank)| rank)
}

/// The number `strtol` reads at the start of a component, as digits.
fn leading_digits(component: &[u8]) -> &str {
    let end = component
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(component.len());
    std::str::from_utf8(component.get(..end).unwrap_or_default()).unwrap_or_default()
}

fn cmp_components(a: &[u8], b: &[u8]) -> Ordering {
    let digit = |c: &[u8]| c.first().is_some_and(u8::is_ascii_digit);
    const NUMBER: &[u8] = b"#N#";
    match (digit(a), digit(b)) {
        (true, true) => super::cmp_decimal(leading_digits(a), leading_digits(b)),
        (false, false) => special_rank(a).cmp(&special_rank(b)),
        (true, false) => special_rank(NUMBER).cmp(&special_rank(b)),
        (false, true) => special_rank(a).cmp(&special_rank(NUMBER)),
    }
}

/// How one pass of `php_version_compare` ends: decided, or PHP's recursive call comparing the
/// rest of one side (from this offset) with a bare number `#N#`.
enum Pass {
    Decided(Ordering),
    RestOfFirst(usize),
    RestOfSecond(usize),
}

/// One pass of `php_version_compare` over two prepared arguments.
fn compare_pass(v1: &[u8], v2: &[u8]) -> Pass {
    if v1.is_empty() || v2.is_empty() {
        return Pass::Decided((!v1.is_empty()).cmp(&!v2.is_empty()));
    }
    let mut p1 = 0;
    let mut p2 = 0;
    // Where the component just compared ended with a '.', as PHP's n1/n2.
    let mut n1 = Some(0);
    let mut n2 = Some(0);
    while p1 < v1.len() && p2 < v2.len() && n1.is_some() && n2.is_some() {
        n1 = v1.iter().skip(p1).position(|&b| b == b'.').map(|i| p1 + i);
        n2 = v2.iter().skip(p2).position(|&b| b == b'.').map(|i| p2 + i);
        let c1 = v1.get(p1..n1.unwrap_or(v1.len())).unwrap_or_default();
        let c2 = v2.get(p2..n2.unwrap_or(v2.len())).unwrap_or_default();
        let compare = cmp_components(c1, c2);
        if compare.is_ne() {
            return Pass::Decided(compare);
        }
        if let Some(n) = n1 {
            p1 = n + 1;
        }
        if let Some(n) = n2 {
            p2 = n + 1;
        }
    }
    if n1.is_some() {
        if v1.get(p1).is_some_and(u8::is_ascii_digit) {
            return Pass::Decided(Ordering::Greater);
        }
        Pass::RestOfFirst(p1)
    } else if n2.is_some() {
        if v2.get(p2).is_some_and(u8::is_ascii_digit) {
            return Pass::Decided(Ordering::Less);
        }
        Pass::RestOfSecond(p2)
    } else {
        Pass::Decided(Ordering::Equal)
    }
}

/// `php_version_compare` on arguments already [`prepare`]d.
///
/// PHP recurses when one side runs out; that call is a tail call, so it is a loop here. A rest
/// starting with `#` is used in place, so a long run of `#.#.#…` stays linear.
fn version_compare_prepared(v1: &[u8], v2: &[u8]) -> Ordering {
    // PHP finds `1.0.` less than itself (the empty last component loses to a number); a
    // version must equal itself, so identical strings are equal before PHP's rules apply.
    if v1 == v2 {
        return Ordering::Equal;
    }
    let mut v1 = Cow::Borrowed(v1);
    let mut v2 = Cow::Borrowed(v2);
    let (mut s1, mut s2) = (0, 0);
    loop {
        let a = v1.get(s1..).unwrap_or_default();
        let b = v2.get(s2..).unwrap_or_default();
        let (rest_of_first, offset) = match compare_pass(a, b) {
            Pass::Decided(order) => return order,
            Pass::RestOfFirst(p) => (true, p),
            Pass::RestOfSecond(p) => (false, p),
        };
        let (buf, start, other, other_start) = if rest_of_first {
            (&mut v1, &mut s1, &mut v2, &mut s2)
        } else {
            (&mut v2, &mut s2, &mut v1, &mut s1)
        };
        let rest = *start + offset;
        if buf.get(rest) == Some(&b'#') {
            *start = rest;
        } else {
            *buf = Cow::Owned(prepare(buf.get(rest..).unwrap_or_default()));
            *start = 0;
        }
        *other = Cow::Borrowed(&b"#N#"[..]);
        *other_start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        ComposerVersion::parse(a).cmp(&ComposerVersion::parse(b))
    }

    fn php_version_compare(a: &str, b: &str) -> Ordering {
        version_compare_prepared(&prepare(a.as_bytes()), &prepare(b.as_bytes()))
    }

    #[test]
    fn normalizes_like_composer() {
        for (input, want) in [
            ("1.0.0", Some("1.0.0.0")),
            ("v1.0", Some("1.0.0.0")),
            ("V2", Some("2.0.0.0")),
            ("1.0rc1", Some("1.0.0.0-RC1")),
            ("1.0.0.rc2", Some("1.0.0.0-RC2")),
            ("1.0pl1", Some("1.0.0.0-patch1")),
            ("1.25.0-beta2.1", Some("1.25.0.0-beta2.1")),
            ("1.25.0-b.2.1", Some("1.25.0.0-beta2.1")),
            ("1.0-dev", Some("1.0.0.0-dev")),
            ("1.0.0-alpha3-dev", Some("1.0.0.0-alpha3-dev")),
            ("1.0-stable", Some("1.0.0.0")),
            ("1.0.0+build.1", Some("1.0.0.0")),
            ("2.0.0@beta", Some("2.0.0.0")),
            ("1.0.0 as 2.0.0", Some("1.0.0.0")),
            ("20100102-203040", Some("20100102.203040")),
            ("dev-main", Some("dev-main")),
            ("DEV-Feature", Some("dev-Feature")),
            ("master", Some("dev-master")),
            ("1.x-dev", Some("1.9999999.9999999.9999999-dev")),
            ("v2.3.X-dev", Some("2.3.9999999.9999999-dev")),
            ("4.3-2RC1", None),
            ("foo-dev", None),
            ("1.2.3.#", None),
            ("", None),
        ] {
            assert_eq!(normalize(input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn version_compare_matches_php() {
        use Ordering::*;
        // From php-src's version_compare.phpt.
        let cases = [
            ("1", "2", Less),
            ("10", "2", Greater),
            ("1.0", "1.1", Less),
            ("1.2", "1.0.1", Greater),
            ("1.0-dev", "1.0a1", Less),
            ("1.0a1", "1.0b1", Less),
            ("1.0b1", "1.0RC1", Less),
            ("1.0RC1", "1.0rc1", Equal),
            ("1.0rc1", "1.0", Less),
            ("1.0", "1.0pl1", Less),
            ("1.0.0", "1.0", Greater),
            ("1.0", "1.0-dev", Greater),
            ("", "1", Less),
            ("", "", Equal),
            ("1.0-foo", "1.0-dev", Less),
            ("1.2.3.", "1.2.3", Less),
            ("1.0.0", "1.0.0.0", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(php_version_compare(a, b), want, "{a:?} vs {b:?}");
            assert_eq!(php_version_compare(b, a), want.reverse(), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn orders_packagist_versions() {
        let ladder = [
            "dev-foo",
            "1.0-dev",
            "1.0a1",
            "1.0.0-alpha2",
            "1.0b1",
            "1.0RC1",
            "v1.0",
            "1.0pl1",
            "1.0.1",
            "1.2-dev",
            "1.2",
            "1.x-dev",
            "2.0",
            "999999999999999999999999999991",
            "999999999999999999999999999999",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(cmp("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(cmp("v1.0.0", "V1.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.0rc1", "1.0RC1"), Ordering::Equal);
        assert_eq!(cmp("4.3-2RC1", "4.3-2RC2"), Ordering::Less);
        assert_eq!(cmp("1.2.3.#", "1.2.3.#"), Ordering::Equal);
        assert_eq!(cmp("1.2.3.#", "1.2.3"), Ordering::Less);
    }

    #[test]
    fn deep_remainders_do_not_recurse() {
        let long = "#.".repeat(100_000);
        assert_eq!(php_version_compare(&long, "#"), Ordering::Less);
    }
}
