//! What Kubernetes requires of a name (DNS-1123 labels and subdomains, RFC 1035 labels, port
//! names), for the checks of a blueprint and of an overlay's environment name.

/// What Kubernetes requires of a name, by where it is used.
#[derive(Clone, Copy)]
pub enum NameRule {
    /// Namespaces, label-like names: lowercase alphanumerics and `-`, at most 63.
    Label,
    /// Service names: like a label, but starting with a letter.
    Rfc1035,
    /// Most object names: labels joined by dots, at most 253.
    Subdomain,
    /// Port names: at most 15, lowercase alphanumerics and `-`, at least one letter.
    Port,
}

/// Why `name` breaks `rule`, if it does.
pub fn name_problem(name: &str, rule: NameRule) -> Option<String> {
    let label_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    let (ok, max, what) = match rule {
        NameRule::Label => (
            label_ok(name),
            63,
            "a DNS-1123 label (lowercase letters, digits and `-`, starting and ending with a letter or digit)",
        ),
        NameRule::Rfc1035 => (
            label_ok(name) && name.starts_with(|c: char| c.is_ascii_lowercase()),
            63,
            "an RFC 1035 label (lowercase letters, digits and `-`, starting with a letter)",
        ),
        NameRule::Subdomain => (
            name.split('.').all(label_ok),
            253,
            "a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`)",
        ),
        NameRule::Port => (
            label_ok(name) && name.bytes().any(|b| b.is_ascii_lowercase()) && !name.contains("--"),
            15,
            "an IANA service name (lowercase letters, digits and `-`, with a letter)",
        ),
    };
    if !ok {
        Some(format!("`{name}` is not {what}"))
    } else if name.len() > max {
        Some(format!(
            "`{name}` is {} characters long; the limit is {max}",
            name.len()
        ))
    } else {
        None
    }
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63: a label value (when not empty)
/// and the name part of a qualified name.
fn qualified_part_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Why `key` is not a label key (a qualified name: an optional DNS-1123 subdomain prefix
/// and `/`, then a name of at most 63 characters), if it is not.
pub fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| name_problem(p, NameRule::Subdomain).is_none());
    (!prefix_ok || !qualified_part_ok(name)).then(|| {
        format!(
            "`{key}` is not a label key (an optional DNS subdomain and `/`, then letters, digits, `-`, `_` and `.`, at most 63, starting and ending with a letter or digit)"
        )
    })
}

/// Why `value` is not a label value (empty, or like the name part of a label key).
pub fn label_value_problem(value: &str) -> Option<String> {
    (!value.is_empty() && !qualified_part_ok(value)).then(|| {
        format!(
            "`{value}` is not a label value (letters, digits, `-`, `_` and `.`, at most 63, starting and ending with a letter or digit)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(name_problem("web-1", NameRule::Label).is_none());
        assert!(name_problem("Web", NameRule::Label).is_some());
        assert!(name_problem("1web", NameRule::Rfc1035).is_some());
        assert!(name_problem("a.b-c", NameRule::Subdomain).is_none());
        assert!(name_problem("a..b", NameRule::Subdomain).is_some());
        assert!(name_problem("http", NameRule::Port).is_none());
        assert!(name_problem("8080", NameRule::Port).is_some());
        assert!(name_problem("a-very-long-port-name", NameRule::Port).is_some());
        assert!(name_problem(&"a".repeat(64), NameRule::Label).is_some());
        assert!(label_key_problem("example.com/tier").is_none());
        assert!(label_key_problem("tier").is_none());
        assert!(label_key_problem("a;b").is_some());
        assert!(label_key_problem("Bad_Prefix/x").is_some());
        assert!(label_key_problem("x/").is_some());
        assert!(label_value_problem("").is_none());
        assert!(label_value_problem("v1.2_a").is_none());
        assert!(label_value_problem("a b").is_some());
    }
}
