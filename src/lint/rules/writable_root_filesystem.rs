use serde_json::Value;

use super::{containers, where_};
use crate::json::At;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags containers without `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why it matters
    /// A writable root filesystem lets an intruder drop tools and change binaries inside the
    /// container, and hides state that is lost on the next restart anyway.
    ///
    /// ## How to fix
    /// Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the process must
    /// write (`/tmp`, caches, pid files).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext: {readOnlyRootFilesystem: true}
    /// volumes: [{name: tmp, mountPath: /tmp, emptyDir: {}}]
    /// ```
    pub struct WritableRootFilesystem;
}

impl Rule for WritableRootFilesystem {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        containers(objects)
            .into_iter()
            .filter(|site| {
                site.container
                    .value
                    .at("/securityContext/readOnlyRootFilesystem")
                    != Some(&Value::Bool(true))
            })
            .map(|site| {
                Hit::new(
                    site.object,
                    format!("{}/securityContext", site.container.pointer),
                    format!("{} has a writable root filesystem", where_(objects, &site)),
                )
                .help("set `readOnlyRootFilesystem: true`; mount emptyDir volumes where it writes")
            })
            .collect()
    }
}
