//! One lint rule per file, each a unit struct named after the bad pattern. The table in
//! [`super::codes`] gives them ids; helpers shared by several rules live here.

mod host_namespaces;
mod latest_image_tag;
mod literal_secret_value;
mod missing_default_deny;
mod missing_probes;
mod missing_resources;
mod node_port_out_of_range;
mod privilege_escalation_allowed;
mod privileged_container;
mod run_as_non_root_unset;
mod sensitive_host_path;
mod undrainable_disruption_budget;
mod writable_root_filesystem;

pub use host_namespaces::HostNamespaces;
pub use latest_image_tag::LatestImageTag;
pub use literal_secret_value::LiteralSecretValue;
pub use missing_default_deny::MissingDefaultDeny;
pub use missing_probes::MissingProbes;
pub use missing_resources::MissingResources;
pub use node_port_out_of_range::NodePortOutOfRange;
pub use privilege_escalation_allowed::PrivilegeEscalationAllowed;
pub use privileged_container::PrivilegedContainer;
pub use run_as_non_root_unset::RunAsNonRootUnset;
pub use sensitive_host_path::SensitiveHostPath;
pub use undrainable_disruption_budget::UndrainableDisruptionBudget;
pub use writable_root_filesystem::WritableRootFilesystem;

use serde_json::Value;

use crate::json::At;
use crate::model::Object;
use crate::model::pods::{self, Container, PodTemplate};

/// One container of one pod template of the set.
pub(crate) struct Site<'a> {
    pub object: usize,
    pub template: PodTemplate<'a>,
    pub container: Container<'a>,
}

/// Every container (init containers included) of every pod template of the set.
pub(crate) fn containers(objects: &[Object]) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        let Some(template) = pods::pod_template(object) else {
            continue;
        };
        for container in pods::containers(&template) {
            out.push(Site {
                object: i,
                template,
                container,
            });
        }
    }
    out
}

/// A container's `securityContext` field, else the pod's (for the fields both have).
pub(crate) fn security_field<'a>(site: &Site<'a>, field: &str) -> Option<&'a Value> {
    site.container
        .value
        .at(&format!("/securityContext/{field}"))
        .or_else(|| site.template.spec.at(&format!("/securityContext/{field}")))
}

/// `container `name`` of `Kind name`, for messages.
pub(crate) fn where_(objects: &[Object], site: &Site<'_>) -> String {
    format!(
        "container `{}` of {} `{}`",
        site.container.name, objects[site.object].kind, objects[site.object].name
    )
}
