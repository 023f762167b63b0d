//! Licence strings from package metadata, normalised to SPDX expressions. Text that no SPDX
//! identifier fits stays visible as `LicenseRef-…`, never dropped.

use spdx::Expression;

/// Normalise one licence field to an SPDX expression.
pub fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("unknown") || raw == "NOASSERTION" {
        return None;
    }
    if Expression::parse(raw).is_ok() {
        return Some(raw.to_string());
    }
    // Lax spellings: `GPL-2.0+`, `MIT/Apache-2.0`, `Apache 2.0`, lowercase ids.
    if let Ok(Some(fixed)) = Expression::canonicalize(raw)
        && Expression::parse(&fixed).is_ok()
    {
        return Some(fixed);
    }
    if let Some((id, len)) = spdx::imprecise_license_id(raw)
        && len == raw.len()
    {
        return Some(id.name.to_string());
    }
    Some(license_ref(raw))
}

/// `LicenseRef-` plus the text with every character SPDX does not allow replaced by `-`.
pub fn license_ref(raw: &str) -> String {
    let mut id = String::from("LicenseRef-");
    let mut last_dash = true;
    for c in raw.chars().take(64) {
        if c.is_ascii_alphanumeric() || c == '.' {
            id.push(c);
            last_dash = false;
        } else if !last_dash {
            id.push('-');
            last_dash = true;
        }
    }
    let trimmed = id.trim_end_matches('-').len();
    id.truncate(trimmed);
    if id == "LicenseRef" || id == "LicenseRef-" {
        return "LicenseRef-unknown".into();
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings() {
        assert_eq!(normalize("MIT").as_deref(), Some("MIT"));
        assert_eq!(
            normalize("MIT OR Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(normalize("GPL-2.0+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(
            normalize("MIT/Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(normalize("UNKNOWN"), None);
        assert_eq!(
            normalize("Some Custom Terms (see COPYING)").as_deref(),
            Some("LicenseRef-Some-Custom-Terms-see-COPYING")
        );
        assert!(Expression::parse(&normalize("Frobnicate licence v1!").unwrap()).is_ok());
    }
}
