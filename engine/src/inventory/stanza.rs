//! RFC 822-style stanzas (dpkg `status`, apk `installed` uses a variant): `Key: value` lines,
//! continuation lines starting with a space, stanzas separated by blank lines.

/// One stanza: its fields in order, continuation lines joined with `\n`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// `(key, value)` pairs.
    pub fields: Vec<(String, String)>,
    /// Line number (1-based) where the stanza starts, for messages.
    pub line: usize,
}

impl Stanza {
    /// The value of the first field named `key` (case-insensitive, as dpkg does).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Split `text` into stanzas; lines that are neither fields nor continuations are reported.
pub fn parse(text: &str) -> (Vec<Stanza>, Vec<String>) {
    let mut stanzas = Vec::new();
    let mut problems = Vec::new();
    let mut cur = Stanza::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                stanzas.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if cur.fields.is_empty() {
            cur.line = i + 1;
        }
        if line.starts_with([' ', '\t']) {
            match cur.fields.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => problems.push(format!("line {}: continuation line without a field", i + 1)),
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                cur.fields.push((k.to_string(), v.trim().to_string()))
            }
            _ => problems.push(format!("line {}: not a `Field: value` line", i + 1)),
        }
    }
    if !cur.fields.is_empty() {
        stanzas.push(cur);
    }
    (stanzas, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stanzas_and_continuations() {
        let (s, problems) =
            parse("Package: a\nDescription: x\n more\n\n\nPackage: b\nbroken line\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].get("description"), Some("x\nmore"));
        assert_eq!(s[1].get("Package"), Some("b"));
        assert_eq!(s[1].line, 6);
        assert_eq!(problems, vec!["line 7: not a `Field: value` line"]);
    }
}
