//! Version ordering per ecosystem, against labelled fixtures and against the ecosystems' own
//! tools.
//!
//! The fixtures are osv-scalibr's hand-written `*-versions.txt` (`A op B` per line) in the
//! shared data. The oracles are dpkg, Python's `packaging`, the npm `semver` package, rpm's
//! Lua `rpm.vercmp` and Maven's `ComparableVersion`, each asked once per batch of pairs that
//! proptest generates from a small vocabulary (so that pairs often share a prefix and differ
//! deep inside).

use assure_engine::vuln::version::Scheme;
use assure_tests::data::{require_in_ci, test_data};
use assure_tests::ground_truth::{cache_dir, have};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::cmp::Ordering;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Pairs generated per oracle; `ASSURE_VERSION_CASES` asks for more in a longer local run.
fn cases() -> usize {
    std::env::var("ASSURE_VERSION_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

/// Fixture lines that do not hold: `(file, reason, lines)`. Each line must still fail, so the
/// list stays true.
const KNOWN_DIFFERENCES: &[(&str, &str, &[&str])] = &[
    // The fixture mixes apk-tools 2.x and 3 on invalid versions; ours is apk-tools 3.
    (
        "alpine-versions.txt",
        "invalid at the same token, which apk-tools 3 calls equal (apk-tools 2.x read on)",
        &[
            "0..1..0 < 0..1..1",
            "0...1...0 < 0...1...1",
            "0...1...0.r1 < 0...1...0.r2",
            "0...1...0r1 < 0...1...0r2",
            "0..8 > 0...8",
            "0.8.21.r2 > 0.8.21.r1",
            "6.6.2p1 < 6.6.2p2",
            ".2 > .1",
            "a < b",
            "c > b",
        ],
    ),
    (
        "alpine-versions.txt",
        "`-r` without a number is invalid in apk-tools 3, so older than `-r0` (2.x read `-r0`)",
        &["1-r = 1-r0"],
    ),
    (
        "alpine-versions.txt",
        "apk-tools 3 ranks the invalid `-r-2` below the valid `-r0` (2.x found them equal)",
        &["1-r0-1 = 1-r-2"],
    ),
    (
        "maven-versions.txt",
        "maven-artifact 3.8.7's ComparableVersion itself gives 1-1 > 1-ga-1",
        &["1-1 = 1-ga-1"],
    ),
    (
        "packagist-versions.txt",
        "Composer normalises both to 1.0.0.0 (raw PHP version_compare says >)",
        &["1.0.0 > 1.0"],
    ),
    (
        "packagist-versions.txt",
        "Composer cannot normalise `1.2.3.#`; PHP's version_compare reads `1.2.3.`, whose \
         empty last part is below any number",
        &["1.2.3.# = 1.2.3", "1.2.3.# = 1.2.3.1"],
    ),
    (
        "pypi-versions.txt",
        "not PEP 440 (legacy versions); packaging 22+ refuses them too",
        &[
            "0.1-bulbasaur < 0.1-charmander",
            "0.1-charmander < 0.9-doduo",
            "0.9-doduo < 0.9-eevee",
            "0.9-eevee < 0.9-fearow",
            "0.9-fearow < 0.9-gyarados",
            "0.9-gyarados < 0.9-horsea",
            "0.9-horsea < 0.9-ivysaur",
            "0.9-ivysaur < 1.0",
            "-class.-jw.util.version.version-pre < 1.0",
            "-class.-jw.util.version.version-preview < 1.0",
            "-class.-jw.util.version.version-dev < 1.0",
        ],
    ),
    (
        "semver-versions.txt",
        "not SemVer (numbers beyond u64, five parts); node-semver and the semver crate refuse \
         them too",
        &[
            "999999999999999999999999999991 < 999999999999999999999999999999",
            "999999999999999999999999999991.999999999999999999999999999991.\
             999999999999999999999999999991 < 999999999999999999999999999999.\
             999999999999999999999999999991.999999999999999999999999999991",
            "1.1.3.4.5 = 1.1.3.4.5",
        ],
    ),
];

fn is_known(file: &str, line: &str) -> bool {
    KNOWN_DIFFERENCES
        .iter()
        .any(|(f, _, lines)| *f == file && lines.contains(&line))
}

/// The scheme for a fixture file's ecosystem, or `None` for ecosystems we do not order.
fn scheme_of_fixture(ecosystem: &str) -> Option<Scheme> {
    Some(match ecosystem {
        "alpine" => Scheme::Apk,
        "debian" => Scheme::Deb,
        "maven" => Scheme::Maven,
        "pypi" => Scheme::Pep440,
        "packagist" => Scheme::Composer,
        "rubygems" => Scheme::Gem,
        "semver" => Scheme::Semver,
        "redhat" => Scheme::Rpm,
        "nuget" => Scheme::NuGet,
        _ => return None,
    })
}

fn op_of(op: &str) -> Option<Ordering> {
    match op {
        "<" => Some(Ordering::Less),
        "=" => Some(Ordering::Equal),
        ">" => Some(Ordering::Greater),
        _ => None,
    }
}

fn symbol(order: Ordering) -> &'static str {
    match order {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

/// Why `a op b` does not hold in both directions, if it does not.
fn check_line(scheme: Scheme, a: &str, want: Ordering, b: &str) -> Option<String> {
    match (scheme.compare(a, b), scheme.compare(b, a)) {
        (Ok(ab), Ok(ba)) if ab == want && ba == want.reverse() => None,
        (Ok(ab), Ok(ba)) => Some(format!(
            "got {a} {} {b} and {b} {} {a}",
            symbol(ab),
            symbol(ba)
        )),
        (Err(e), _) | (_, Err(e)) => Some(format!("error: {e}")),
    }
}

#[test]
fn fixture_comparisons_hold() {
    let Some(data) = test_data() else {
        return;
    };
    let dir = data.join("version-ordering");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        require_in_ci(&format!("{} is missing", dir.display()));
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("-versions.txt"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *-versions.txt in {}", dir.display());

    let mut unexpected = Vec::new();
    let mut known_seen = Vec::new();
    let mut total = 0;
    for path in &files {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ecosystem = file.trim_end_matches("-versions.txt");
        let Some(scheme) = scheme_of_fixture(ecosystem) else {
            eprintln!("{file}: skipped, no version scheme for {ecosystem}");
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let (mut held, mut known) = (0, 0);
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (a, want, b) = match parts[..] {
                [a, op, b] => match op_of(op) {
                    Some(want) => (a, want, b),
                    None => panic!("{file}: bad operator in {line:?}"),
                },
                _ => panic!("{file}: bad line {line:?}"),
            };
            let listed = is_known(file, line);
            match check_line(scheme, a, want, b) {
                None if listed => unexpected.push(format!(
                    "{file}: `{line}` now holds; remove it from KNOWN_DIFFERENCES"
                )),
                None => held += 1,
                Some(_) if listed => {
                    known += 1;
                    known_seen.push((file.to_string(), line.to_string()));
                }
                Some(why) => unexpected.push(format!("{file}: `{line}`: {why}")),
            }
        }
        eprintln!("{file}: {held} hold, {known} known differences ({scheme})");
        total += held;
    }
    for (file, _, lines) in KNOWN_DIFFERENCES {
        for line in *lines {
            if !known_seen.iter().any(|(f, l)| f == file && l == line) {
                unexpected.push(format!("{file}: known difference `{line}` was not found"));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} fixture problems:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(total > 1000, "only {total} comparisons checked");
}

// ---------------------------------------------------------------------------------------------
// Generated pairs.

/// `n` values from `strategy`, the same on every run.
fn sample<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("the strategy generates")
                .current()
        })
        .collect()
}

/// Pairs of versions built slot by slot: each version is one piece per slot, and half of the
/// pairs take their first slots from the same version, so that they agree on a prefix.
fn pairs(slots: Vec<BoxedStrategy<String>>) -> Vec<(String, String)> {
    let count = slots.len();
    let version = slots;
    let strategy = (version.clone(), version, 0..=count, any::<bool>()).prop_map(
        move |(a, b, keep, share)| {
            let right: Vec<String> = if share {
                a.iter()
                    .take(keep)
                    .chain(b.iter().skip(keep))
                    .cloned()
                    .collect()
            } else {
                b
            };
            (a.concat(), right.concat())
        },
    );
    sample(strategy, cases())
}

/// A slot: one of `pieces`.
fn one_of(pieces: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(pieces)
        .prop_map(str::to_string)
        .boxed()
}

/// A slot of zero to `max` pieces.
fn some_of(pieces: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(proptest::sample::select(pieces), 0..=max)
        .prop_map(|v| v.concat())
        .boxed()
}

/// Where the oracles' packages are installed, under the target directory.
fn oracle_dir(name: &str) -> PathBuf {
    let dir = cache_dir().join("version-oracles").join(name);
    std::fs::create_dir_all(&dir).expect("creating the oracle directory");
    dir
}

/// Runs `cmd` with `input` on stdin; its stdout, or a panic with its stderr.
fn run_with_input(cmd: &mut Command, input: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("writing to the oracle");
    let out = child.wait_with_output().expect("waiting for the oracle");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the oracle prints UTF-8")
}

/// Parses an oracle's `-1`/`0`/`1` answer.
fn order_of(answer: &str) -> Option<Ordering> {
    match answer.trim().parse::<i64>().ok()? {
        n if n < 0 => Some(Ordering::Less),
        0 => Some(Ordering::Equal),
        _ => Some(Ordering::Greater),
    }
}

/// Checks our order of every pair against the oracle's answers (`None` where the oracle finds
/// a version invalid), and that we refuse exactly what the oracle refuses when `validity`.
fn agree(scheme: Scheme, pairs: &[(String, String)], answers: &[Option<Ordering>], validity: bool) {
    assert_eq!(pairs.len(), answers.len(), "one answer per pair");
    let mut wrong = Vec::new();
    let mut compared = 0;
    for ((a, b), answer) in pairs.iter().zip(answers) {
        let ours = scheme.compare(a, b).ok();
        match (ours, answer) {
            (Some(o), Some(w)) if o == *w => compared += 1,
            (None, None) => {}
            (Some(_), None) if !validity => {}
            (ours, want) => wrong.push(format!("{a:?} vs {b:?}: ours {ours:?}, oracle {want:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{scheme}: {} of {} pairs disagree:\n{}",
        wrong.len(),
        pairs.len(),
        wrong
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        compared * 2 > pairs.len(),
        "{scheme}: only {compared} of {} pairs were comparable",
        pairs.len()
    );
    eprintln!("{scheme}: {compared} generated pairs agree with the oracle");
}

#[test]
fn deb_agrees_with_dpkg() {
    if !have("dpkg") {
        return;
    }
    let pairs = pairs(vec![
        one_of(&["", "", "0:", "1:", "2:"]),
        one_of(&["0", "1", "2", "9", "10"]),
        some_of(
            &[
                "0", "1", "2", "10", ".", "~", "+", "a", "b", "z", "rc", "~rc1", ".1", "+b1",
            ],
            5,
        ),
        one_of(&[
            "",
            "",
            "-1",
            "-0",
            "-1~deb12u1",
            "-2ubuntu1",
            "-1+b1",
            "-a",
            "-1.1",
        ]),
    ]);
    // One shell runs dpkg for every pair: `lt`, else `eq`, else greater.
    let script = r#"while IFS=' ' read -r a b; do
        if dpkg --compare-versions "$a" lt "$b"; then echo -1
        elif dpkg --compare-versions "$a" eq "$b"; then echo 0
        else echo 1; fi
    done"#;
    let input: String = pairs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
    let out = run_with_input(Command::new("sh").arg("-c").arg(script), &input);
    let answers: Vec<Option<Ordering>> = out.lines().map(order_of).collect();
    agree(Scheme::Deb, &pairs, &answers, true);
}

#[test]
fn rpm_agrees_with_rpm_vercmp() {
    if !have("rpm") {
        return;
    }
    let pairs = pairs(vec![
        one_of(&["", "", "0:", "1:", "2:", "01:"]),
        one_of(&["1", "0", "2", "10", "a", "1.0"]),
        some_of(
            &[
                "0", "1", "01", "2", "10", ".", "~", "^", "a", "b", "rc", "git", "_", "+", "p1",
            ],
            5,
        ),
        one_of(&[
            "", "", "-1", "-1.el9", "-2.el9_3", "-0.1.rc1", "-1~beta", "-", "-1^x",
        ]),
    ]);
    // One rpm process: a Lua file of pairs, in long brackets so nothing needs escaping.
    let mut lua = String::from("local pairs = {\n");
    for (a, b) in &pairs {
        lua.push_str(&format!("{{[==[{a}]==], [==[{b}]==]}},\n"));
    }
    lua.push_str("}\nfor _, p in ipairs(pairs) do io.write(rpm.vercmp(p[1], p[2]), \"\\n\") end\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pairs.lua");
    std::fs::write(&file, lua).unwrap();
    let expr = format!("%{{lua: dofile([==[{}]==])}}", file.display());
    let out = run_with_input(Command::new("rpm").arg("--eval").arg(expr), "");
    let answers: Vec<Option<Ordering>> = out
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(order_of)
        .collect();
    agree(Scheme::Rpm, &pairs, &answers, true);
}

/// `packaging` (22 or later, without legacy versions) installed for the tests, or `None`.
fn python_packaging() -> Option<PathBuf> {
    if !have("python3") {
        return None;
    }
    let dir = oracle_dir("python");
    if !dir.join("packaging").is_dir() {
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&dir)
            .arg("packaging>=22")
            .status();
        if !status.is_ok_and(|s| s.success()) {
            require_in_ci("pip install packaging failed");
            return None;
        }
    }
    Some(dir)
}

#[test]
fn pep440_agrees_with_packaging() {
    let Some(site) = python_packaging() else {
        return;
    };
    let pairs = pairs(vec![
        one_of(&["", "", "", "v", "V", " "]),
        one_of(&["", "", "", "1!", "0!"]),
        one_of(&["1", "1.0", "0.9", "2.0.0", "1.0.0.0", "01.2", "1.2", "1.x"]),
        one_of(&[
            "", "", "a1", "b2", "rc1", "c1", ".alpha1", "-beta.2", "pre3", "preview", "a", "RC2",
            "_a4",
        ]),
        one_of(&[
            "", "", ".post1", "-1", ".post", "post2", ".r3", "-rev1", "_post4",
        ]),
        one_of(&["", "", ".dev0", ".dev3", "dev", ".DEV1", "-dev2"]),
        one_of(&[
            "",
            "",
            "",
            "+abc",
            "+abc.5",
            "+5",
            "+1.abc",
            "+ubuntu-1",
            "+",
        ]),
    ]);
    let script = r#"
import json, sys
from packaging.version import Version, InvalidVersion
def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None
for a, b in json.load(sys.stdin):
    va, vb = parse(a), parse(b)
    if va is None or vb is None:
        print("invalid")
    else:
        print(-1 if va < vb else (0 if va == vb else 1))
"#;
    let input = serde_json::to_string(&pairs).unwrap();
    let out = run_with_input(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .env("PYTHONPATH", &site),
        &input,
    );
    let answers: Vec<Option<Ordering>> = out.lines().map(order_of).collect();
    agree(Scheme::Pep440, &pairs, &answers, true);
}

/// The npm `semver` package installed for the tests, or `None`.
fn node_semver() -> Option<PathBuf> {
    if !have("node") || !have("npm") {
        return None;
    }
    let dir = oracle_dir("npm");
    let module = dir.join("node_modules").join("semver");
    if !module.join("package.json").is_file() {
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .arg("semver@7")
            .status();
        if !status.is_ok_and(|s| s.success()) {
            require_in_ci("npm install semver failed");
            return None;
        }
    }
    Some(module)
}

#[test]
fn semver_agrees_with_node_semver() {
    let Some(module) = node_semver() else {
        return;
    };
    let pairs = pairs(vec![
        one_of(&["", "", "", "v", "="]),
        one_of(&["0", "1", "2", "10"]),
        one_of(&[".0", ".1", ".9", ".10"]),
        one_of(&[".0", ".1", ".2", ".11"]),
        one_of(&[
            "",
            "",
            "-alpha",
            "-alpha.1",
            "-alpha.beta",
            "-beta",
            "-beta.2",
            "-beta.11",
            "-rc.1",
            "-0",
            "-1",
            "-x-y",
            "-A",
            "-a.10.b",
        ]),
        one_of(&["", "", "", "+build", "+001", "+a.b"]),
    ]);
    let script = r#"
const semver = require(process.argv[1]);
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  for (const [a, b] of JSON.parse(input)) {
    if (!semver.valid(a) || !semver.valid(b)) console.log("invalid");
    else console.log(semver.compare(a, b));
  }
});
"#;
    let input = serde_json::to_string(&pairs).unwrap();
    let out = run_with_input(
        Command::new("node").arg("-e").arg(script).arg(&module),
        &input,
    );
    let answers: Vec<Option<Ordering>> = out.lines().map(order_of).collect();
    // The generated cores are complete, so we must refuse exactly what node-semver refuses.
    agree(Scheme::Semver, &pairs, &answers, true);
}

/// Debian's maven-artifact jar, which holds `ComparableVersion`.
fn maven_artifact_jar() -> Option<PathBuf> {
    if !have("java") {
        return None;
    }
    let lib = Path::new("/usr/share/maven/lib");
    let jar = std::fs::read_dir(lib).ok().and_then(|entries| {
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("maven-artifact-") && n.ends_with(".jar"))
        })
    });
    if jar.is_none() {
        require_in_ci("maven-artifact jar not found under /usr/share/maven/lib");
    }
    jar
}

#[test]
fn maven_agrees_with_comparable_version() {
    let Some(jar) = maven_artifact_jar() else {
        return;
    };
    let pairs = pairs(vec![
        one_of(&["1", "0", "2", "10", "01"]),
        some_of(
            &[
                ".",
                "-",
                "0",
                "1",
                "2",
                "10",
                "alpha",
                "a",
                "beta",
                "b",
                "m",
                "milestone",
                "rc",
                "cr",
                "snapshot",
                "SNAPSHOT",
                "ga",
                "final",
                "release",
                "sp",
                "foo",
                "x",
                "RC",
                "1a",
                "b2",
            ],
            6,
        ),
    ]);
    // ComparableVersion's main compares each argument with the one before it: pass a, b, a, b…
    // and read every other comparison. It prints "   A OP B" for each.
    let out = Command::new("java")
        .arg("-cp")
        .arg(&jar)
        .arg("org.apache.maven.artifact.versioning.ComparableVersion")
        .args(pairs.iter().flat_map(|(a, b)| [a, b]))
        .output()
        .expect("running java");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<Option<Ordering>> = text
        .lines()
        .filter(|l| l.starts_with("   "))
        .step_by(2)
        .map(|l| match l.split_whitespace().nth(1) {
            Some("<") => Some(Ordering::Less),
            Some("==") => Some(Ordering::Equal),
            Some(">") => Some(Ordering::Greater),
            _ => None,
        })
        .collect();
    agree(Scheme::Maven, &pairs, &answers, true);
}
