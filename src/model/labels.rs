//! Labels kforge puts on objects for a later stage to read, in `kforge validate` of the
//! rendered output as much as in `render` itself.

/// On a Namespace: the isolation the blueprint requests (`default-deny`, `strict`), so that
/// lint (KF402) can hold the namespace's policies against it, in `validate` too.
pub const ISOLATION_LABEL: &str = "kforge.io/isolation";
