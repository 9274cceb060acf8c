use serde_json::Value;

use crate::lint::rule::{Hit, Rule};
use crate::model::Object;
use crate::model::pods;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags pods that share the node's network, process or IPC namespace (`hostNetwork`,
    /// `hostPID`, `hostIPC`).
    ///
    /// ## Why it matters
    /// A pod in the host's namespaces sees every process and connection of the node, can bind
    /// its ports and bypasses network policies; a compromise of the pod is one of the node.
    ///
    /// ## How to fix
    /// Remove the setting. Node agents that need it (metrics exporters, CNI plugins) should
    /// allow the rule for their app with a reason.
    ///
    /// ## Example
    /// ```yaml
    /// hostNetwork: true   # flagged
    /// hostPID: true       # flagged
    /// ```
    pub struct HostNamespaces;
}

impl Rule for HostNamespaces {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let mut out = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            let Some(template) = pods::pod_template(object) else {
                continue;
            };
            for (field, what) in [
                ("hostNetwork", "network"),
                ("hostPID", "process"),
                ("hostIPC", "IPC"),
            ] {
                if template.spec.get(field) == Some(&Value::Bool(true)) {
                    out.push(
                        Hit::new(
                            i,
                            format!("{}/{field}", template.pointer),
                            format!(
                                "{} `{}` shares the node's {what} namespace ({field})",
                                object.kind, object.name
                            ),
                        )
                        .help(format!("remove `{field}`, or allow the rule with a reason")),
                    );
                }
            }
        }
        out
    }
}
