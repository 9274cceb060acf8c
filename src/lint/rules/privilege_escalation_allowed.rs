use serde_json::Value;

use super::{containers, where_};
use crate::json::At;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags containers that do not set `securityContext.allowPrivilegeEscalation: false`.
    ///
    /// ## Why it matters
    /// Unless it is set to false, a process can gain more privileges than its parent through
    /// setuid binaries or file capabilities (`no_new_privs` stays off).
    ///
    /// ## How to fix
    /// Set `allowPrivilegeEscalation: false` in the container's security context (in a
    /// blueprint: the app's `securityContext`).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext: {runAsNonRoot: true}                                   # flagged
    /// securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}  # fine
    /// ```
    pub struct PrivilegeEscalationAllowed;
}

impl Rule for PrivilegeEscalationAllowed {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        containers(objects)
            .into_iter()
            .filter(|site| {
                site.container
                    .value
                    .at("/securityContext/allowPrivilegeEscalation")
                    != Some(&Value::Bool(false))
            })
            .map(|site| {
                Hit::new(
                    site.object,
                    format!("{}/securityContext", site.container.pointer),
                    format!(
                        "{} does not set allowPrivilegeEscalation: false",
                        where_(objects, &site)
                    ),
                )
                .help("set `securityContext.allowPrivilegeEscalation: false`")
            })
            .collect()
    }
}
