//! Labels kforge puts on objects for a later stage to read, in `kforge validate` of the
//! rendered output as much as in `render` itself.

/// On a Namespace: the isolation the blueprint requests (`default-deny`, `strict`), so that
/// lint (KF402) can hold the namespace's policies against it, in `validate` too.
pub const ISOLATION_LABEL: &str = "kforge.io/isolation";
/// On a workload whose app relaxes its Pod Security level below `restricted`: the level
/// (`baseline` or `privileged`), and why. Lint takes the pair as allowing the security rules
/// that level stands for, so `kforge validate` of the output agrees with `render`.
pub const POD_SECURITY: &str = "kforge.io/pod-security";
pub const POD_SECURITY_REASON: &str = "kforge.io/pod-security-reason";
