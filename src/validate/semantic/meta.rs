//! `metadata`: the name per kind, label keys and values, annotation keys and their total
//! size (the server's `ValidateObjectMeta` and each kind's name function).

use serde_json::Value;

use super::{Report, join};

/// How the server judges a kind's name (`ValidateXName` of its `validation.go`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NameRule {
    /// `NameIsDNSSubdomain`: most kinds.
    Subdomain,
    /// `NameIsDNSLabel`: Namespace.
    Label,
    /// `NameIsDNS1035Label`: Service.
    Dns1035,
    /// `path.IsValidPathSegmentName`: RBAC kinds, HorizontalPodAutoscaler.
    PathSegment,
}

pub(crate) const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
pub(crate) const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
/// The most bytes all annotations of an object may hold together.
const ANNOTATIONS_MAX: usize = 256 * 1024;

/// The name rule of a built-in kind.
pub(crate) fn name_rule(kind: &str) -> NameRule {
    match kind {
        "Namespace" => NameRule::Label,
        "Service" => NameRule::Dns1035,
        "Role"
        | "ClusterRole"
        | "RoleBinding"
        | "ClusterRoleBinding"
        | "HorizontalPodAutoscaler" => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    }
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Why `name` is not a DNS-1123 label, in the server's words.
pub(crate) fn label_problems(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if name.len() > 63 {
        out.push("must be no more than 63 characters".to_owned());
    }
    if !is_label(name) {
        out.push(LABEL.to_owned());
    }
    out
}

/// Why `name` is not a DNS-1123 subdomain, in the server's words.
pub(crate) fn subdomain_problems(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if name.len() > 253 {
        out.push("must be no more than 253 characters".to_owned());
    }
    if !name.split('.').all(is_label) {
        out.push(SUBDOMAIN.to_owned());
    }
    out
}

fn name_problems(name: &str, rule: NameRule) -> Vec<String> {
    match rule {
        NameRule::Subdomain => subdomain_problems(name),
        NameRule::Label => label_problems(name),
        NameRule::Dns1035 => {
            let mut out = Vec::new();
            if name.len() > 63 {
                out.push("must be no more than 63 characters".to_owned());
            }
            if !is_label(name) || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push(DNS1035.to_owned());
            }
            out
        }
        NameRule::PathSegment => {
            if name == "." || name == ".." {
                vec![format!("may not be '{name}'")]
            } else if let Some(bad) = ["/", "%"].into_iter().find(|s| name.contains(s)) {
                vec![format!("may not contain '{bad}'")]
            } else {
                Vec::new()
            }
        }
    }
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
fn is_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Why `key` is not a qualified name (`IsQualifiedName`): label and annotation keys.
pub(crate) fn qualified_name_problems(key: &str) -> Vec<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let mut out = Vec::new();
    if key.matches('/').count() > 1 {
        out.push(format!("a qualified name {NAME_PART} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
        return out;
    }
    match prefix {
        Some("") => out.push("prefix part must be non-empty".to_owned()),
        Some(prefix) => out.extend(
            subdomain_problems(prefix)
                .into_iter()
                .map(|p| format!("prefix part {p}")),
        ),
        None => {}
    }
    if name.is_empty() {
        out.push("name part must be non-empty".to_owned());
    } else {
        if name.len() > 63 {
            out.push("name part must be no more than 63 characters".to_owned());
        }
        if !is_name_part(name) {
            out.push(NAME_PART.to_owned());
        }
    }
    out
}

/// Why `value` is not a label value.
pub(crate) fn label_value_problems(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    if value.len() > 63 {
        out.push("must be no more than 63 characters".to_owned());
    }
    if !value.is_empty() && !is_name_part(value) {
        out.push(LABEL_VALUE.to_owned());
    }
    out
}

/// Label keys and values of a `key: value` map at `pointer` (metadata labels, selectors).
pub(crate) fn labels(report: &mut Report, pointer: &str, map: Option<&Value>) {
    let Some(map) = map.and_then(Value::as_object) else {
        return;
    };
    for (key, value) in map {
        let at = join(pointer, key);
        report.invalid_all(&at, key, qualified_name_problems(key));
        if let Some(value) = value.as_str() {
            report.invalid_all(&at, value, label_value_problems(value));
        }
    }
}

/// `metadata` of any object; the name only for built-in kinds (`kind` is `None` otherwise).
pub(crate) fn object_meta(report: &mut Report, kind: Option<&str>, object: &Value) {
    let Some(metadata) = object.get("metadata") else {
        return;
    };
    if let (Some(kind), Some(name)) = (kind, metadata.get("name").and_then(Value::as_str)) {
        let mut problems = name_problems(name, name_rule(kind));
        if kind == "CronJob" && name.len() > 52 {
            problems.push("must be no more than 52 characters".to_owned());
        }
        report.invalid_all("/metadata/name", name, problems);
    }
    if let Some(namespace) = metadata.get("namespace").and_then(Value::as_str) {
        report.invalid_all("/metadata/namespace", namespace, label_problems(namespace));
    }
    labels(report, "/metadata/labels", metadata.get("labels"));
    if let Some(annotations) = metadata.get("annotations").and_then(Value::as_object) {
        let mut size = 0;
        for (key, value) in annotations {
            size += key.len() + value.as_str().map_or(0, str::len);
            report.invalid_all(
                &join("/metadata/annotations", key),
                key,
                qualified_name_problems(&key.to_lowercase()),
            );
        }
        if size > ANNOTATIONS_MAX {
            report.push(
                "/metadata/annotations",
                format!("Too long: may not be more than {ANNOTATIONS_MAX} bytes"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_kind() {
        assert_eq!(name_rule("Service"), NameRule::Dns1035);
        assert!(name_problems("1web", NameRule::Dns1035).len() == 1);
        assert!(name_problems("1web", NameRule::Label).is_empty());
        assert!(name_problems("a.b", NameRule::Label).len() == 1);
        assert!(name_problems("a.b", NameRule::Subdomain).is_empty());
        assert!(name_problems("system:controller", NameRule::PathSegment).is_empty());
        assert!(name_problems("a/b", NameRule::PathSegment).len() == 1);
        assert!(qualified_name_problems("example.com/Tier").is_empty());
        assert!(!qualified_name_problems("a b").is_empty());
        assert!(!qualified_name_problems("/x").is_empty());
        assert!(label_value_problems("").is_empty());
        assert!(!label_value_problems("-x").is_empty());
    }
}
