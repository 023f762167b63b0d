//! RubyGems: installed gems' `specifications/*.gemspec`.
//!
//! Installed gemspecs are Ruby code that `gem` writes in one fixed shape
//! (`s.name = "rake".freeze`); reading the few assignments we need beats evaluating Ruby.

use crate::analyze::{Analyzer, Artifact, Want, is_file};
use crate::layer::walk::EntryMeta;
use crate::report::Package;

/// Gemspecs are small; anything bigger is not one `gem` wrote.
const MAX_GEMSPEC: u64 = 1 << 20;

/// Reads installed gemspecs.
pub struct GemAnalyzer;

fn is_gemspec(path: &str) -> bool {
    path.ends_with(".gemspec")
        && (path.contains("/specifications/") || path.starts_with("specifications/"))
}

impl Analyzer for GemAnalyzer {
    fn name(&self) -> &'static str {
        "gem"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, entry: &EntryMeta) -> Option<Want> {
        is_gemspec(&entry.path).then_some(Want::Content(MAX_GEMSPEC))
    }

    fn analyze(
        &self,
        entry: &EntryMeta,
        content: &[u8],
        _truncated: bool,
    ) -> Result<Vec<Artifact>, String> {
        if !is_file(entry) {
            return Ok(Vec::new());
        }
        match parse_gemspec(&String::from_utf8_lossy(content)) {
            Some(p) => Ok(vec![Artifact::Packages(vec![p])]),
            None => Err(format!("/{}: no gem name and version found", entry.path)),
        }
    }
}

/// The first string literal of an assignment's right-hand side (`"rake".freeze`, `%q{rake}`).
fn string_value(rhs: &str) -> Option<String> {
    let rhs = rhs.trim_start();
    let rhs = rhs
        .strip_prefix("Gem::Version.new(")
        .map(str::trim_start)
        .unwrap_or(rhs);
    let (open, close) = match rhs.chars().next()? {
        '"' => ('"', '"'),
        '\'' => ('\'', '\''),
        '%' => {
            let rest = rhs.strip_prefix("%q").or_else(|| rhs.strip_prefix("%Q"))?;
            let close = match rest.chars().next()? {
                '{' => '}',
                '(' => ')',
                '[' => ']',
                '<' => '>',
                c => c,
            };
            return rest.get(1..)?.split(close).next().map(str::to_string);
        }
        _ => return None,
    };
    let inner = rhs.strip_prefix(open)?;
    inner.split(close).next().map(str::to_string)
}

/// All string literals in an array literal (`["MIT".freeze, "Ruby".freeze]`).
fn string_list(rhs: &str) -> Vec<String> {
    let Some(start) = rhs.find('[') else {
        return string_value(rhs).into_iter().collect();
    };
    let body = &rhs[start + 1..];
    let body = body.split(']').next().unwrap_or(body);
    body.split(',').filter_map(string_value).collect()
}

/// Name, version and licences of a gemspec `gem` wrote.
pub fn parse_gemspec(text: &str) -> Option<Package> {
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        let line = line.trim();
        let Some((lhs, rhs)) = line.split_once(" = ") else {
            continue;
        };
        match lhs.rsplit('.').next() {
            Some("name") if name.is_none() => name = string_value(rhs),
            Some("version") if version.is_none() => version = string_value(rhs),
            Some("licenses") => licenses = string_list(rhs),
            Some("license") if licenses.is_empty() => {
                licenses = string_value(rhs).into_iter().collect()
            }
            _ => {}
        }
    }
    let (name, version) = (
        name.filter(|n| !n.is_empty())?,
        version.filter(|v| !v.is_empty())?,
    );
    Some(Package {
        licenses,
        ..Package::new("gem", name, version)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_gem_writes() {
        let spec = "# -*- encoding: utf-8 -*-\n# stub: rake 13.0.6 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\n  s.required_ruby_version = Gem::Requirement.new(\">= 2.2\".freeze)\nend\n";
        let p = parse_gemspec(spec).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("rake", "13.0.6"));
        assert_eq!(p.licenses, vec!["MIT"]);
        let old = "Gem::Specification.new do |s|\n  s.name = %q{rack}\n  s.version = Gem::Version.new(\"2.2.4\")\n  s.license = 'MIT'\nend";
        let p = parse_gemspec(old).unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.licenses[0].as_str()),
            ("rack", "2.2.4", "MIT")
        );
        assert!(parse_gemspec("s.name = \"x\"\n").is_none());
        assert!(parse_gemspec("garbage = [[[\"").is_none());
        assert!(is_gemspec(
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"
        ));
        assert!(!is_gemspec("src/app/rake.gemspec"));
    }
}
