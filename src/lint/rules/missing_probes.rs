use super::{containers, where_};
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;
use crate::model::pods::runs_to_completion;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags serving containers without a liveness or a readiness probe. Jobs, CronJobs
    /// and init containers run to completion and need none.
    ///
    /// ## Why it matters
    /// Without a readiness probe a Service sends traffic to pods that are still starting or
    /// broken, and rolling updates proceed over pods that never became healthy; without a
    /// liveness probe a hung process is never restarted.
    ///
    /// ## How to fix
    /// Add `probes.readiness` and `probes.liveness` (HTTP, TCP or exec). A `startup` probe
    /// helps slow starters without weakening the liveness probe.
    ///
    /// ## Example
    /// ```yaml
    /// probes:
    ///   liveness:  {tcp: http, periodSeconds: 10}
    ///   readiness: {http: {path: /ready, port: http}, periodSeconds: 5}
    /// ```
    pub struct MissingProbes;
}

impl Rule for MissingProbes {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let mut out = Vec::new();
        for site in containers(objects) {
            if site.container.init || runs_to_completion(&objects[site.object]) {
                continue;
            }
            let missing: Vec<&str> = [
                ("livenessProbe", "liveness"),
                ("readinessProbe", "readiness"),
            ]
            .iter()
            .filter(|(field, _)| site.container.value.get(field).is_none())
            .map(|(_, name)| *name)
            .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                Hit::new(
                    site.object,
                    site.container.pointer.clone(),
                    format!(
                        "{} has no {} probe",
                        where_(objects, &site),
                        missing.join(" or ")
                    ),
                )
                .help("add liveness and readiness probes"),
            );
        }
        out
    }
}
