use serde_json::Value;

use super::{containers, where_};
use crate::json::At;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags containers with `securityContext.privileged: true`.
    ///
    /// ## Why it matters
    /// A privileged container has every capability and the host's devices: a process that
    /// escapes it owns the node, and through the node's credentials, often the cluster.
    ///
    /// ## How to fix
    /// Remove `privileged` and add only the capabilities the process needs
    /// (`capabilities.add`). For the rare agent that really needs it, allow the rule for that
    /// app with a reason.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext: {privileged: true}                          # flagged
    /// securityContext: {capabilities: {drop: [ALL], add: [NET_ADMIN]}}  # fine
    /// ```
    pub struct PrivilegedContainer;
}

impl Rule for PrivilegedContainer {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        containers(objects)
            .into_iter()
            .filter(|site| {
                site.container.value.at("/securityContext/privileged") == Some(&Value::Bool(true))
            })
            .map(|site| {
                Hit::new(
                    site.object,
                    format!("{}/securityContext/privileged", site.container.pointer),
                    format!("{} is privileged", where_(objects, &site)),
                )
                .help("drop `privileged` and add only the capabilities it needs")
            })
            .collect()
    }
}
