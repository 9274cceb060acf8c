use serde_json::Value;

use super::{containers, security_field, where_};
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags containers that may run as root. Neither the container nor the pod security
    /// context sets `runAsNonRoot: true` or a non-zero `runAsUser`.
    ///
    /// ## Why it matters
    /// Root in a container is root on the node's kernel; together with any other weakness
    /// (a writable hostPath, a kernel bug) it is the shortest way out of the container.
    ///
    /// ## How to fix
    /// Set `runAsNonRoot: true` (and `runAsUser` when the image's user is not numeric). Images
    /// that must start as root should allow the rule with a reason.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext: {runAsNonRoot: true, runAsUser: 101}
    /// ```
    pub struct RunAsNonRootUnset;
}

impl Rule for RunAsNonRootUnset {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        containers(objects)
            .into_iter()
            .filter(|site| {
                let non_root = security_field(site, "runAsNonRoot") == Some(&Value::Bool(true));
                let user = security_field(site, "runAsUser").and_then(Value::as_i64);
                !non_root && user.is_none_or(|u| u <= 0)
            })
            .map(|site| {
                Hit::new(
                    site.object,
                    format!("{}/securityContext", site.container.pointer),
                    format!(
                        "{} may run as root (runAsNonRoot is not set)",
                        where_(objects, &site)
                    ),
                )
                .help("set `securityContext.runAsNonRoot: true`")
            })
            .collect()
    }
}
