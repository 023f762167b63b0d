//! Leaked-credential detection: the built-in rules against a labelled corpus (recall and
//! precision), gitleaks' own rule file and test configurations behaving as gitleaks describes
//! them, a clean Debian image, and secrets in layers and in the image configuration end to end.

use assure_engine::detect::secret::spec::{Condition, Target};
use assure_engine::detect::secret::{self, RuleSet, builtin, builtin_with, load_file, read_file};
use assure_engine::report::Category;
use assure_engine::source::open_local;
use assure_engine::{ScanOptions, Scanner};
use assure_tests::data::test_data;
use assure_tests::fixture::{Entry, ImageSpec, LayerSpec, write_oci_layout};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- corpus

/// A small deterministic generator (xorshift64*), so corpus tokens differ per rule but not per run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick(&mut self, alphabet: &[u8]) -> char {
        alphabet[(self.next() % alphabet.len() as u64) as usize] as char
    }
}

/// The class letters of corpus templates.
const CLASSES: &str = "AaxXbwunlh720g";

fn class(c: char) -> &'static str {
    match c {
        'A' => "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        'a' => "abcdefghijklmnopqrstuvwxyz",
        '0' => "0123456789",
        'x' => "0123456789abcdef",
        'X' => "0123456789ABCDEF",
        'b' => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        'w' => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        'u' => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        'n' => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        'l' => "abcdefghijklmnopqrstuvwxyz0123456789",
        'h' => "abcdefgh0123456789",
        '7' => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        '2' => "abcdefghijklmnopqrstuvwxyz234567",
        'g' => "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        other => panic!("unknown corpus class {other}"),
    }
}

/// Expand `{CLASSES*N}` and `{uuid}` in `template`.
fn expand(template: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let token = after.find('}').map(|close| &after[..close]);
        match token {
            Some("uuid") => {
                let hex = "0123456789abcdef".as_bytes();
                for (i, n) in [8, 4, 4, 4, 12].iter().enumerate() {
                    if i > 0 {
                        out.push('-');
                    }
                    (0..*n).for_each(|_| out.push(rng.pick(hex)));
                }
                rest = &after[5..];
            }
            Some(t)
                if t.split_once('*').is_some_and(|(c, n)| {
                    !c.is_empty()
                        && c.chars().all(|ch| CLASSES.contains(ch))
                        && n.parse::<usize>().is_ok()
                }) =>
            {
                let (classes, n) = t.split_once('*').unwrap();
                let alphabet: String = classes.chars().map(class).collect();
                let n: usize = n.parse().unwrap();
                (0..n).for_each(|_| out.push(rng.pick(alphabet.as_bytes())));
                rest = &after[t.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn corpus() -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/secrets.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap()
}

fn found(rules: &RuleSet, path: &str, text: &str) -> Vec<String> {
    rules
        .scan(path, text.as_bytes())
        .into_iter()
        .map(|h| rules.rules()[h.rule].id.clone())
        .collect()
}

/// Negatives generated at test time: hashes, UUIDs, base64 of ordinary text.
fn generated_negatives(rng: &mut Rng) -> Vec<String> {
    let words = "the quick brown fox jumps over the lazy dog while seven wizards quietly judge boxing matches";
    let mut out = Vec::new();
    for i in 0..100 {
        out.push(expand("sha256:{x*64}  layer.tar", rng));
        out.push(expand("md5sum {x*32}", rng));
        out.push(expand("\"id\": \"{uuid}\"", rng));
        out.push(expand("Checksum-Sha1: {x*40}", rng));
        let text: String = words
            .split(' ')
            .cycle()
            .skip(i)
            .take(12)
            .collect::<Vec<_>>()
            .join(" ");
        out.push(format!("data: {}", base64(text.as_bytes())));
    }
    out
}

fn base64(data: &[u8]) -> String {
    let table = class('b').as_bytes();
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn builtin_rules_find_every_labelled_positive_and_no_negative() {
    let rules = builtin();
    let corpus = corpus();
    let positives = corpus["positives"].as_table().unwrap();
    let paths = corpus["paths"].as_table().unwrap();
    let mut missing_rules = Vec::new();
    for r in rules.rules() {
        if !positives.contains_key(&r.id) {
            missing_rules.push(r.id.clone());
        }
    }
    assert!(
        missing_rules.is_empty(),
        "rules without a positive: {missing_rules:?}"
    );

    let mut rng = Rng(0x05EC_2E75);
    let (mut tp, mut missed, mut extra) = (0usize, Vec::new(), BTreeMap::new());
    for (id, template) in positives {
        let text = expand(template.as_str().unwrap(), &mut rng);
        let path = paths
            .get(id)
            .and_then(|p| p.as_str())
            .unwrap_or("app/settings.conf");
        let ids = found(&rules, path, &text);
        if ids.iter().any(|i| i == id) {
            tp += 1;
        } else {
            missed.push(format!("{id}: found {ids:?} in {text:?}"));
        }
        for other in ids.iter().filter(|i| *i != id) {
            *extra.entry(format!("{id} -> {other}")).or_insert(0) += 1;
        }
    }
    let mut negatives: Vec<String> = corpus["negatives"]["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    negatives.extend(generated_negatives(&mut rng));
    let mut fp = Vec::new();
    for text in &negatives {
        let ids = found(&rules, "app/settings.conf", text);
        if !ids.is_empty() {
            fp.push(format!("{ids:?} in {text:?}"));
        }
    }
    let recall = tp as f64 / positives.len() as f64;
    let precision = tp as f64 / (tp + fp.len()) as f64;
    eprintln!(
        "secret corpus: {} rules, {} positives, {} negatives; recall {:.3}, precision {:.3}; \
         other rules also firing on positives: {extra:?}",
        rules.rules().len(),
        positives.len(),
        negatives.len(),
        recall,
        precision
    );
    assert!(
        missed.is_empty(),
        "missed positives:\n{}",
        missed.join("\n")
    );
    assert!(fp.is_empty(), "false positives:\n{}", fp.join("\n"));
}

#[test]
fn corpus_templates_expand_as_documented() {
    let mut rng = Rng(1);
    let s = expand("AKIA{7*16} {uuid} {not a token} {x*3}", &mut rng);
    let parts: Vec<&str> = s.split(' ').collect();
    assert_eq!(parts[0].len(), 20);
    assert!(
        parts[0][4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );
    assert_eq!(parts[1].len(), 36);
    assert_eq!(parts[2..5].join(" "), "{not a token}");
    assert_eq!(parts[5].len(), 3);
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE=");
}

// ---------------------------------------------------------------- gitleaks

fn gitleaks_dir() -> Option<PathBuf> {
    Some(test_data()?.join("secrets/gitleaks"))
}

/// The directory gitleaks' tests run in: `[extend] path`s in its test configs are relative to it.
fn gitleaks_cwd(dir: &Path) -> PathBuf {
    dir.join("config")
}

fn config(dir: &Path, name: &str) -> Result<RuleSet, String> {
    let path = dir.join("testdata/config").join(format!("{name}.toml"));
    load_file(&path, Some(&gitleaks_cwd(dir))).map_err(|e| e.to_string())
}

fn spec(dir: &Path, name: &str) -> secret::spec::RulesSpec {
    let path = dir.join("testdata/config").join(format!("{name}.toml"));
    read_file(&path, Some(&gitleaks_cwd(dir)))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .0
}

fn rule<'a>(s: &'a secret::spec::RulesSpec, id: &str) -> &'a secret::spec::RuleSpec {
    s.rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("rule {id} missing"))
}

fn ids_of(s: &secret::spec::RulesSpec) -> Vec<&str> {
    let mut ids: Vec<&str> = s.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids
}

const AWS_SECRET_RE: &str = r#"(?i)aws_(.{0,20})?=?.[\'\"0-9a-zA-Z\/+]{40}"#;
const AWS_KEY_RE: &str = "(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}";

#[test]
fn gitleaks_default_rules_load_and_match() {
    let Some(dir) = gitleaks_dir() else { return };
    let (s, notes, _) = read_file(&dir.join("gitleaks.toml"), None).unwrap();
    assert_eq!(s.rules.len(), 222);
    assert_eq!(s.rules.iter().filter(|r| r.regex.is_none()).count(), 1);
    assert!(notes.is_empty(), "{notes:?}");
    let rules = load_file(&dir.join("gitleaks.toml"), None).unwrap();
    let token = format!("ghp_{}", "Zq8Rt2Lm5Xw9Kp3Vb7Nc4Hd6Jf1Gs0Ty8Ua5E");
    assert!(
        found(&rules, "src/deploy.sh", &format!("GITHUB_TOKEN={token}\n"))
            .contains(&"github-pat".to_string())
    );
    // gitleaks' own global allowlist skips virtualenvs and lock files.
    assert!(
        found(
            &rules,
            "venv/lib/python3.11/site-packages/x.py",
            &format!("t = '{token}'")
        )
        .is_empty()
    );
    assert_eq!(found(&rules, "keys/client.p12", ""), ["pkcs12-file"]);
}

#[test]
fn gitleaks_rule_configs_translate_as_gitleaks_tests_describe() {
    let Some(dir) = gitleaks_dir() else { return };
    let s = spec(&dir, "generic");
    let r = rule(&s, "generic-api-key");
    assert_eq!(r.entropy, 3.5);
    assert_eq!(
        r.keywords,
        [
            "key", "api", "token", "secret", "client", "passwd", "password", "auth", "access"
        ]
    );

    let s = spec(&dir, "valid/rule_path_only");
    assert_eq!(rule(&s, "python-files-only").path.as_deref(), Some(".py"));
    assert!(rule(&s, "python-files-only").regex.is_none());

    let s = spec(&dir, "valid/rule_entropy_group");
    let r = rule(&s, "discord-api-key");
    assert_eq!((r.secret_group, r.entropy), (3, 3.5));

    for (name, error) in [
        (
            "invalid/rule_missing_id",
            "a rule has a missing or empty id (regex: (?i)(discord",
        ),
        (
            "invalid/rule_no_regex_or_path",
            "rule discord-api-key: both regex and path are empty",
        ),
        (
            "invalid/rule_bad_entropy_group",
            "rule discord-api-key: invalid regex secret group 5, max regex secret group 3",
        ),
        (
            "invalid/allowlist_global_empty",
            "[[allowlists]] must contain at least one check for: commits, paths, regexes, or stopwords",
        ),
        (
            "invalid/allowlist_global_old_and_new",
            "[allowlist] is deprecated and cannot be used alongside [[allowlists]]",
        ),
        (
            "invalid/allowlist_global_target_rule_id",
            "[[allowlists]] target rule github-pat does not exist",
        ),
        (
            "invalid/allowlist_global_regextarget",
            "unknown regexTarget 'mtach'",
        ),
        (
            "invalid/allowlist_rule_empty",
            "rule example: [[rules.allowlists]] must contain at least one check",
        ),
        (
            "invalid/allowlist_rule_old_and_new",
            "rule example: [rules.allowlist] is deprecated",
        ),
        (
            "invalid/allowlist_rule_regextarget",
            "rule example: [[rules.allowlists]] unknown regexTarget 'mtach'",
        ),
        (
            "invalid/extend_invalid_base",
            "[extend] path ../testdata/config/invalid/does_not_exist.toml",
        ),
        (
            "invalid/extend_invalid_ruleid",
            "a rule has a missing or empty id",
        ),
    ] {
        let e = config(&dir, name)
            .err()
            .unwrap_or_else(|| panic!("{name} loaded"));
        assert!(e.contains(error), "{name}: {e}");
        assert!(
            e.contains(&format!("{}.toml", name.rsplit('/').next().unwrap())),
            "{name} names the file: {e}"
        );
    }
}

#[test]
fn gitleaks_allowlist_configs_translate_and_behave() {
    let Some(dir) = gitleaks_dir() else { return };
    let s = spec(&dir, "valid/allowlist_global_old_compat");
    assert_eq!(
        s.allowlists[0].stopwords,
        ["0989c462-69c9-49fa-b7d2-30dc5c576a97"]
    );

    let s = spec(&dir, "valid/allowlist_global_multiple");
    assert_eq!(s.allowlists.len(), 2);
    assert_eq!(s.allowlists[1].condition, Condition::And);
    let rules = config(&dir, "valid/allowlist_global_multiple").unwrap();
    assert!(found(&rules, "src/a.js", r#"token = "changeit""#).is_empty());
    assert_eq!(
        found(&rules, "src/a.js", r#"token = "mock-value""#),
        ["test"]
    );
    assert!(found(&rules, "node_modules/x/a.js", r#"token = "mock-value""#).is_empty());
    assert_eq!(
        found(&rules, "node_modules/x/a.js", r#"token = "real-value""#),
        ["test"]
    );

    let rules = config(&dir, "valid/allowlist_global_target_rules").unwrap();
    let tail = "Zq8Rt2Lm5Xw9Kp3Vb7Nc4Hd6Jf1Gs0Ty8Ua5";
    let readme = "node_modules/@octokit/auth-token/README.md";
    assert!(found(&rules, readme, &format!("ghp_{tail}")).is_empty());
    assert!(found(&rules, readme, &format!("ghs_{tail}")).is_empty());
    assert_eq!(
        found(&rules, readme, &format!("gho_{tail}")),
        ["github-oauth"]
    );
    assert_eq!(
        found(&rules, "src/a.js", &format!("ghp_{tail}")),
        ["github-pat"]
    );
    assert!(found(&rules, "src/a.js", &format!("ghp_fake{}", "0".repeat(32))).is_empty());

    let s = spec(&dir, "valid/allowlist_global_regex");
    assert_eq!(s.allowlists[0].regexes, ["AKIALALEM.L33243OLIA"]);

    let rules = config(&dir, "valid/allowlist_rule_old_compat").unwrap();
    assert!(found(&rules, "a.txt", "example123").is_empty());
    assert_eq!(found(&rules, "a.txt", "example456"), ["example"]);

    let rules = config(&dir, "valid/allowlist_rule_regex").unwrap();
    assert!(found(&rules, "a.txt", "AKIALALEMEL33243OLIA").is_empty());
    assert_eq!(
        found(&rules, "a.txt", "AKIALALEMEL33243OLIB"),
        ["aws-access-key"]
    );

    // Commits never match in an image: the rule still reports.
    let rules = config(&dir, "valid/allowlist_rule_commit").unwrap();
    assert_eq!(
        found(&rules, "a.txt", "AKIALALEMEL33243OLIA"),
        ["aws-access-key"]
    );

    let rules = config(&dir, "valid/allowlist_rule_path").unwrap();
    assert!(found(&rules, "cmd/main.go", "AKIALALEMEL33243OLIA").is_empty());
    assert_eq!(
        found(&rules, "cmd/main.py", "AKIALALEMEL33243OLIA"),
        ["aws-access-key"]
    );

    let rules = config(&dir, "archives").unwrap();
    let env = std::fs::read_to_string(dir.join("testdata/repos/nogit/.env.prod")).unwrap();
    assert!(found(&rules, "app/.env.prod", &env).is_empty());
    assert_eq!(
        found(&rules, "app/keys.txt", "AKIALALEMEL33243OLIA"),
        ["aws-access-key"]
    );
}

#[test]
fn gitleaks_extend_configs_translate_as_gitleaks_tests_describe() {
    let Some(dir) = gitleaks_dir() else { return };
    let s = spec(&dir, "valid/extend");
    assert_eq!(
        ids_of(&s),
        ["aws-access-key", "aws-secret-key", "aws-secret-key-again"]
    );
    assert_eq!(
        rule(&s, "aws-access-key").regex.as_deref(),
        Some(AWS_KEY_RE)
    );
    assert_eq!(
        rule(&s, "aws-secret-key-again").regex.as_deref(),
        Some(AWS_SECRET_RE)
    );

    let s = spec(&dir, "valid/extend_disabled");
    assert_eq!(ids_of(&s), ["aws-secret-key", "pypi-upload-token"]);

    let s = spec(&dir, "valid/extend_rule_no_regexpath");
    let r = rule(&s, "aws-secret-key-again-again");
    assert_eq!(r.regex.as_deref(), Some(AWS_SECRET_RE));
    assert_eq!(r.allowlists[0].paths, ["something.py"]);

    let overrides = |name: &str| rule(&spec(&dir, name), "aws-access-key").clone();
    let r = overrides("valid/extend_rule_override_description");
    assert_eq!(
        (r.description.as_deref(), r.regex.as_deref()),
        (Some("Puppy Doggy"), Some(AWS_KEY_RE))
    );
    let r = overrides("valid/extend_rule_override_path");
    assert_eq!(
        (r.path.as_deref(), r.regex.as_deref()),
        (Some("(?:puppy)"), Some(AWS_KEY_RE))
    );
    assert_eq!(
        overrides("valid/extend_rule_override_regex")
            .regex
            .as_deref(),
        Some("(?:a)")
    );
    let r = overrides("valid/extend_rule_override_secret_group");
    assert_eq!((r.regex.as_deref(), r.secret_group), (Some("(a)(a)"), 2));
    assert_eq!(
        overrides("valid/extend_rule_override_entropy").entropy,
        999.0
    );
    assert_eq!(
        overrides("valid/extend_rule_override_keywords").keywords,
        ["puppy"]
    );
    assert_eq!(
        overrides("valid/extend_rule_override_tags").tags,
        ["key", "AWS", "puppy"]
    );

    for (name, condition) in [
        ("valid/extend_rule_allowlist_or", Condition::Or),
        ("valid/extend_rule_allowlist_and", Condition::And),
    ] {
        let s = spec(&dir, name);
        let r = rule(&s, "aws-secret-key-again-again");
        assert_eq!(r.allowlists.len(), 2, "{name}");
        assert_eq!(r.allowlists[0].stopwords, ["fake"]);
        let a = &r.allowlists[1];
        assert_eq!((a.condition, a.target), (condition, Target::Line), "{name}");
        assert_eq!(
            (a.paths.as_slice(), a.regexes.as_slice()),
            (
                &["ignore\\.xaml".to_string()][..],
                &["foo.+bar".to_string()][..]
            )
        );
    }
    // Behaviour of the two: OR allows on any check, AND needs every check, and commits never
    // match in an image, so the AND allowlist never applies.
    let line = "aws_key = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd' foo and bar";
    let or = config(&dir, "valid/extend_rule_allowlist_or").unwrap();
    assert!(found(&or, "src/a.txt", line).is_empty());
    let and = config(&dir, "valid/extend_rule_allowlist_and").unwrap();
    assert_eq!(
        found(&and, "src/ignore.xaml", line),
        ["aws-secret-key-again-again"]
    );

    let s = spec(
        &dir,
        "valid/extend_base_rule_including_keywords_with_attribute",
    );
    let r = rule(&s, "aws-secret-key-again-again");
    assert_eq!(
        (r.keywords.as_slice(), r.description.as_deref()),
        (&["aws".to_string()][..], Some("A new description"))
    );

    // A new rule with keywords only has no effect; gitleaks loads it, so do we, with a note.
    let (s, notes, _) = read_file(
        &dir.join("testdata/config/valid/extend_rule_new.toml"),
        Some(&gitleaks_cwd(&dir)),
    )
    .unwrap();
    assert!(
        s.rules
            .iter()
            .all(|r| r.id != "aws-rule-that-is-not-in-base")
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("aws-rule-that-is-not-in-base")),
        "{notes:?}"
    );

    // useDefault extends the built-in rules, which use gitleaks' id for the generic rule.
    let s = spec(&dir, "valid/allowlist_rule_extend_default");
    let r = rule(&s, "generic-api-key");
    assert!(r.regex.is_some());
    assert_eq!(
        r.allowlists.last().unwrap().paths,
        ["^path/to/your/problematic/file\\.js$"]
    );
    assert!(s.rules.len() >= 150);
}

#[test]
fn gitleaks_matching_configs_behave() {
    let Some(dir) = gitleaks_dir() else { return };
    // simple.toml defines "google" twice; the last definition is used, as in gitleaks.
    let (s, notes, _) = read_file(&dir.join("testdata/config/simple.toml"), None).unwrap();
    assert_eq!(
        rule(&s, "google").description.as_deref(),
        Some("Google (GCP) Service Account")
    );
    assert!(notes.iter().any(|n| n.contains("google")), "{notes:?}");
    let simple = config(&dir, "simple").unwrap();
    assert_eq!(
        found(&simple, "a.json", r#""type": "service_account""#),
        ["google"]
    );

    // secretGroup and entropy: the secret is group 3; a low-entropy value is not a finding.
    let rules = config(&dir, "valid/rule_entropy_group").unwrap();
    let secret: String = (0..64)
        .map(|i| b"0123456789abcdefgh"[(i * 7) % 18] as char)
        .collect();
    let hits = rules.scan("a.txt", format!("discord_key = \"{secret}\"").as_bytes());
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].secret.as_deref(), Some(secret.as_bytes()));
    assert!(
        rules
            .scan(
                "a.txt",
                &format!("discord_key = \"{}\"", "ab".repeat(32)).into_bytes()
            )
            .is_empty()
    );

    // path-only rules report the file by name.
    let rules = config(&dir, "valid/rule_path_only").unwrap();
    assert_eq!(
        found(&rules, "src/app.py", "print(1)"),
        ["python-files-only"]
    );
    assert!(found(&rules, "src/app.go", "package main").is_empty());

    // path + regex: only files on the path.
    let rules = config(&dir, "generic_with_py_path").unwrap();
    let text = "api_key = \"Zq8Rt2Lm5Xw9Kp3V\"";
    assert_eq!(found(&rules, "src/app.py", text), ["generic-api-key"]);
    assert!(found(&rules, "src/app.go", text).is_empty());

    // keywords: the rule runs only when one occurs (case-insensitively).
    let rules = config(&dir, "generic").unwrap();
    assert_eq!(
        found(&rules, "a.env", "API_TOKEN=Zq8Rt2Lm5Xw9Kp3Vb7Nc"),
        ["generic-api-key"]
    );

    // regexTarget: secret, match and line allowlists each drop the match; none drops nothing.
    let rules = config(&dir, "encoded").unwrap();
    let mut got = found(&rules, "a.txt", r#"password = "xplease-ignore-mex""#);
    got.sort();
    assert_eq!(got, ["decoded-password-dont-ignore"]);

    // Composite rules: the primary reports only with its required rule; skipReport rules never.
    let rules = config(&dir, "composite").unwrap();
    assert_eq!(
        found(
            &rules,
            "a.ini",
            "username = \"admin\"\npassword = \"s3cr3t\"\n"
        ),
        ["primary-rule"]
    );
    assert!(found(&rules, "a.ini", "password = \"s3cr3t\"\n").is_empty());
    assert!(found(&rules, "a.ini", "username = \"admin\"\n").is_empty());
}

#[test]
fn user_rule_files_add_to_the_builtin_rules() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(
        &file,
        "[[rules]]\nid = \"acme-token\"\nregex = '''acme_[a-z0-9]{20}'''\nkeywords = [\"acme_\"]\n",
    )
    .unwrap();
    let rules = builtin_with(&file).unwrap();
    assert!(rules.rules().len() > 150);
    assert_eq!(
        found(&rules, "a.txt", "acme_q8rt2lm5xw9kp3vb7nc4"),
        ["acme-token"]
    );
    std::fs::write(
        &file,
        "[[rules]]\nid = \"bomb\"\nregex = '''(?:\\w{1000}){1000}'''\n",
    )
    .unwrap();
    let e = builtin_with(&file).err().unwrap().to_string();
    assert!(
        e.contains("rules.toml: rule bomb: regex compiles to more than"),
        "{e}"
    );
}

// ---------------------------------------------------------------- images

fn secret_findings(report: &assure_engine::Report) -> Vec<(String, String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.category == Category::InsecureContent)
        .map(|f| {
            (
                f.rule_id.clone().unwrap_or_default(),
                f.path.clone().unwrap_or_default(),
                f.evidence.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn secrets_in_layers_and_config_become_redacted_findings() {
    let token = format!("ghp_{}", "Zq8Rt2Lm5Xw9Kp3Vb7Nc4Hd6Jf1Gs0Ty8Ua5");
    let stripe = format!("sk_live_{}", "Zq8Rt2Lm5Xw9Kp3Vb7Nc4Hd6");
    let dir = tempfile::tempdir().unwrap();
    let spec = ImageSpec::new(vec![
        LayerSpec::new(vec![
            Entry::dir("app"),
            Entry::file(
                "app/deploy.sh",
                format!("#!/bin/sh\nexport GITHUB_TOKEN={token}\n"),
            ),
            Entry::file("app/logo.png", format!("\u{89}PNG\r\n\x1a\n\0\0{token}")),
        ]),
        // The secret is deleted by the next layer, but it still ships in the image.
        LayerSpec::new(vec![Entry::whiteout("app/deploy.sh")]),
    ]);
    let built = write_oci_layout(&spec, dir.path()).unwrap();
    let mut config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    config["config"]["Env"] = serde_json::json!(["PATH=/usr/bin", format!("STRIPE_KEY={stripe}")]);
    let built = built
        .replace_config(&serde_json::to_vec(&config).unwrap())
        .unwrap();
    let source = open_local(&built.source()).unwrap();
    let report = Scanner::new(ScanOptions::default())
        .scan(source.as_ref())
        .unwrap();
    let found = secret_findings(&report);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("stripe-secret-key", "")
    );
    assert_eq!(
        (found[1].0.as_str(), found[1].1.as_str()),
        ("github-pat", "/app/deploy.sh:2")
    );
    let json = report.to_json();
    assert!(
        !json.contains(&token) && !json.contains(&stripe),
        "a secret leaked into the report"
    );
    assert!(found[1].2.starts_with("ghp_… (sha256:"), "{}", found[1].2);
}

#[test]
fn a_clean_debian_image_has_no_secret_findings() {
    let Some((_rootfs, layout)) = assure_tests::ground_truth::debian_minbase() else {
        return;
    };
    let source = open_local(&format!("oci:{}:1", layout.display())).unwrap();
    let report = Scanner::new(ScanOptions::default())
        .scan(source.as_ref())
        .unwrap();
    let found = secret_findings(&report);
    eprintln!("debian minbase: {} secret findings: {found:?}", found.len());
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn assure_scan_takes_user_secret_rules() {
    let dir = tempfile::tempdir().unwrap();
    let token = "acme_q8rt2lm5xw9kp3vb7nc4";
    let spec = ImageSpec::new(vec![LayerSpec::new(vec![
        Entry::dir("srv"),
        Entry::file("srv/app.ini", format!("[acme]\ntoken = {token}\n")),
    ])]);
    let built = write_oci_layout(&spec, &dir.path().join("image")).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rules]]\nid = \"acme-token\"\ndescription = \"ACME token\"\nregex = '''acme_[a-z0-9]{20}'''\nkeywords = [\"acme_\"]\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let rules_arg = rules.display().to_string();
    let source = built.source();
    let out = assure_tests::system::assure(
        data.path(),
        &[
            "scan",
            "--format",
            "json",
            "--secret-rules",
            &rules_arg,
            &source,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(token), "the secret is in the report");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "InsecureContent")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule_id"], "acme-token");
    assert_eq!(findings[0]["path"], "/srv/app.ini:2");

    std::fs::write(
        &rules,
        "[[rules]]\nid = \"bomb\"\nregex = '''(?:\\w{1000}){1000}'''\n",
    )
    .unwrap();
    let out = assure_tests::system::assure(
        data.path(),
        &["scan", "--secret-rules", &rules_arg, &source],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rules.toml: rule bomb: regex compiles to more than"),
        "{stderr}"
    );
}
