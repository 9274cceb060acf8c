//! The one code table: every lint rule's stable id, name, severity and the version it arrived
//! in. Ids come in bands by concern and are never reused, not even after a rule is removed:
//!
//! - KF1xx images and resources
//! - KF2xx probes and availability
//! - KF3xx security
//! - KF4xx networking
//! - KF5xx secrets

use super::rule::Rule;
use super::rules::*;
use crate::diagnostic::Severity;
use crate::diagnostic::Severity::{Error, Warning};

/// One row of the table.
pub struct Code {
    pub id: &'static str,
    /// The kebab-case name; `KF-<name>` and `<name>` are accepted wherever an id is.
    pub name: &'static str,
    pub severity: Severity,
    pub since: &'static str,
    pub docs: &'static str,
    pub rule: &'static dyn Rule,
}

macro_rules! code {
    ($id:literal, $name:literal, $severity:expr, $since:literal, $rule:ident) => {
        Code {
            id: $id,
            name: $name,
            severity: $severity,
            since: $since,
            docs: $rule::DOCS,
            rule: &$rule,
        }
    };
}

pub const CODES: &[Code] = &[
    code!(
        "KF101",
        "latest-image-tag",
        Warning,
        "0.1.0",
        LatestImageTag
    ),
    code!(
        "KF102",
        "missing-resources",
        Warning,
        "0.1.0",
        MissingResources
    ),
    code!("KF201", "missing-probes", Warning, "0.1.0", MissingProbes),
    code!(
        "KF202",
        "undrainable-disruption-budget",
        Warning,
        "0.1.0",
        UndrainableDisruptionBudget
    ),
    code!("KF301", "privileged", Warning, "0.1.0", PrivilegedContainer),
    code!(
        "KF302",
        "privilege-escalation",
        Warning,
        "0.1.0",
        PrivilegeEscalationAllowed
    ),
    code!("KF303", "run-as-root", Warning, "0.1.0", RunAsNonRootUnset),
    code!(
        "KF304",
        "writable-root-filesystem",
        Warning,
        "0.1.0",
        WritableRootFilesystem
    ),
    code!("KF305", "host-namespaces", Warning, "0.1.0", HostNamespaces),
    code!(
        "KF306",
        "sensitive-host-path",
        Warning,
        "0.1.0",
        SensitiveHostPath
    ),
    code!(
        "KF401",
        "node-port-out-of-range",
        Warning,
        "0.1.0",
        NodePortOutOfRange
    ),
    code!(
        "KF402",
        "missing-default-deny",
        Error,
        "0.1.0",
        MissingDefaultDeny
    ),
    code!(
        "KF501",
        "literal-secret-value",
        Warning,
        "0.1.0",
        LiteralSecretValue
    ),
];

/// The row for an id (`KF301`), a name (`privileged`) or `KF-<name>`, ignoring case.
pub fn lookup(reference: &str) -> Option<&'static Code> {
    let wanted = reference.trim();
    let name = wanted
        .strip_prefix("KF-")
        .or_else(|| wanted.strip_prefix("kf-"))
        .unwrap_or(wanted);
    CODES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(wanted) || c.name.eq_ignore_ascii_case(name))
}

/// Every id and name, for did-you-mean.
pub fn known() -> Vec<&'static str> {
    CODES.iter().flat_map(|c| [c.id, c.name]).collect()
}
